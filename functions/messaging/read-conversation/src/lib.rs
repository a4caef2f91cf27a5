//! PUT /conversations/{id}/read — the caller has read the conversation: no
//! unread messages, no email digest due. 404 for a conversation the caller
//! is not in. One conditional UpdateItem.
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::messaging_records::member_read;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let at = ctx.now_rfc3339();
    Ok(Reply::no_content().write(member_read(&me.user_id, id, &at), Some(Problem::not_found("conversation"))))
}

pub fn operation() -> Operation {
    Operation::put("/conversations/{id}/read", "messaging", "Mark a conversation read")
        .no_content("no unread messages are left")
}
