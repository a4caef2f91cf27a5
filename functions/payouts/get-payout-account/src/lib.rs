//! GET /me/payout-account — the caller's payout account: whether the
//! provider enabled payouts, what it still needs, whether the identity is
//! verified, and so whether payouts can go. BatchGetItem (account, user).
use handoff::domain::identity::Role;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payout_records::{account_and_user, PayoutAccountView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_any_role(&[Role::Traveler, Role::Driver])?;
    let (account, user) = account_and_user(ctx.table()?, &me.user_id).await?;
    let Some(a) = account else {
        return Err(Problem::not_found("a payout account"));
    };
    Ok(Reply::ok(&PayoutAccountView::new(a.data, user.as_ref().map(|u| &u.data), None)))
}

pub fn operation() -> Operation {
    Operation::get("/me/payout-account", "payouts", "The caller's payout account")
        .describe("404 until the caller has connected one with POST /me/payout-account.")
        .any_role(&[Role::Traveler, Role::Driver])
        .reply::<PayoutAccountView>(200, "the payout account")
        .problem(404, "not-found")
}
