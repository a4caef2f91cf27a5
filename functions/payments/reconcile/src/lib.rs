//! On a schedule (daily): the reconciliation of the day before the
//! schedule's time (UTC) with Stripe. The day's charges, refunds and
//! transfers, listed through Stripe's API, are matched one to one with the
//! ledger's transfers of the clearing accounts (`domain::reconciliation`);
//! each mismatch is a line of the report (GET /admin/reconciliation/{day}),
//! an error in the log, and counted in the metric `ReconciliationMismatches`
//! (alarmed in template.yaml). A run replaces the day's report.
//! Query (clearing accounts), per currency 2 Query (gsi1, gsi2; paged),
//! Stripe ListCharges, ListRefunds and ListTransfers (paged), PutItem.
use handoff::domain::reconciliation::{Report, DAY_SECONDS};
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::payment_records::Provider;
use handoff::platform::reconciliation_records::run;

pub async fn handle(ctx: &Ctx<Provider>, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let t = ctx.scheduled_time(&scheduled);
    let yesterday = t - t.rem_euclid(DAY_SECONDS) - DAY_SECONDS;
    // Boxed: the run's future is deep enough to overflow the binary's layout queries.
    Box::pin(run(ctx.table()?, &ctx.config.stripe, ctx.name, yesterday, &ctx.now_rfc3339())).await
}
