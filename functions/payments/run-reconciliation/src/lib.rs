//! POST /admin/reconciliation/{day} — reconciles a day (`YYYY-MM-DD`, UTC)
//! now, for admins: after a mismatch was put right, or for today so far.
//! The same run as the daily one; its report replaces the day's and is the
//! answer. A day that has not begun answers 422. Query (clearing
//! accounts), per currency 2 Query (gsi1, gsi2), Stripe ListCharges,
//! ListRefunds and ListTransfers, PutItem.
use handoff::domain::identity::Role;
use handoff::domain::reconciliation::Report;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payment_records::Provider;
use handoff::platform::reconciliation_records::{day_param, run};

pub async fn handle(ctx: &Ctx<Provider>, req: &ApiRequest) -> Result<Reply, Problem> {
    req.require_any_role(&[Role::Admin])?;
    let (_, start) = day_param(req)?;
    if start > ctx.now() {
        return Err(Problem::field("day", "has not begun"));
    }
    // Boxed: the run's future is deep enough to overflow the binary's layout queries.
    let r =
        Box::pin(run(ctx.table()?, &ctx.config.stripe, ctx.name, start, &ctx.now_rfc3339())).await.map_err(|e| {
            tracing::warn!(error = %e, "reconciliation failed");
            Problem::unavailable()
        })?;
    Ok(Reply::ok(&r))
}

pub fn operation() -> Operation {
    Operation::post("/admin/reconciliation/{day}", "payments", "Reconcile a day now")
        .describe(
            "`day` is YYYY-MM-DD (UTC), today or earlier. Lists the day's Stripe charges, refunds and transfers \
             (and the day before and after, for what was booked across midnight), matches them with the ledger, \
             stores the report in place of the day's and answers it. Admin only.",
        )
        .any_role(&[Role::Admin])
        .reply::<Report>(200, "the report, stored")
        .problem(422, "validation-failed")
        .problem(503, "unavailable")
}
