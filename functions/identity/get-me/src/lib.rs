//! GET /me — the caller's profile. One GetItem.
use handoff::domain::identity::User;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::Record;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let user: Record<User> =
        table.get(&keys::user(&me.user_id), true).await?.ok_or_else(|| Problem::not_found("user"))?;
    Ok(Reply::ok(&user.data))
}

pub fn operation() -> Operation {
    Operation::get("/me", "identity", "The caller's profile")
        .reply::<User>(200, "the profile")
        .problem(404, "not-found")
}
