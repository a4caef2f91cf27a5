//! GET /me/payouts?limit=&cursor= — the caller's payouts, newest first:
//! each delivered share, due until the payout run sends it, then sent (with
//! the provider's transfer), or reversed. One Query (gsi1).
use handoff::domain::identity::Role;
use handoff::domain::payouts::Payout;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::Query;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Payouts {
    pub items: Vec<Payout>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_any_role(&[Role::Traveler, Role::Driver])?;
    let (limit, cursor) = req.page()?;
    let page = ctx
        .table()?
        .query::<Payout>(Query {
            index: Some("gsi1"),
            partition: keys::payouts_of_payee(&me.user_id),
            sort_prefix: None,
            forward: false,
            limit,
            cursor,
        })
        .await?;
    Ok(Reply::ok(&Payouts { items: page.items.into_iter().map(|r| r.data).collect(), next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/me/payouts", "payouts", "The caller's payouts, newest first")
        .any_role(&[Role::Traveler, Role::Driver])
        .paged()
        .reply::<Payouts>(200, "a page of payouts")
}
