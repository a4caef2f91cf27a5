//! PUT /me/notifications/{id}/read — marks one of the caller's
//! notifications read (again: no change). Another user's is 404.
//! One conditional UpdateItem.
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::notify_records::mark_read;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    Ok(Reply::no_content()
        .write(mark_read(&me.user_id, id, &ctx.now_rfc3339()), Some(Problem::not_found("notification"))))
}

pub fn operation() -> Operation {
    Operation::put("/me/notifications/{id}/read", "notifications", "Mark a notification read")
        .no_content("the notification is read")
}
