//! GET /pricing/quotes/{id} — a quote of the caller's (404 for anyone
//! else), expired or not: `expires_at` says until when it holds. GetItem.
use handoff::domain::bookings::Quote;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::Record;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let q: Option<Record<Quote>> = ctx.table()?.get(&keys::quote(req.path_param("id")?), false).await?;
    let q = q.filter(|q| q.data.sender_id == me.user_id).ok_or_else(|| Problem::not_found("quote"))?;
    Ok(Reply::ok(&q.data))
}

pub fn operation() -> Operation {
    Operation::get("/pricing/quotes/{id}", "pricing", "A quote of the caller's").reply::<Quote>(200, "the quote")
}
