//! POST /admin/payouts/run — an admin runs the payout run now (the same
//! code as the daily schedule) and gets its report. It starts payees for
//! at most 20 seconds (the HTTP API answers within 30): `unfinished` says
//! when the rest waits for another run. A run beside another is harmless:
//! each payout is sent under its own idempotency key and written once.
//! As run-payouts: Query + per payee BatchGetItem ×2 + per payout Stripe + TransactWriteItems.
use handoff::domain::identity::Role;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payout_records::{run, PayoutConfig, RunReport};
use std::time::Duration;

const BUDGET: Duration = Duration::from_secs(20);

pub async fn handle(ctx: &Ctx<PayoutConfig>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Admin)?;
    let run_id = format!("payout-run-{}-{}", ctx.now(), me.user_id);
    let report = run(ctx.table()?, &ctx.config, &ctx.now_rfc3339(), BUDGET, &run_id).await?;
    Ok(Reply::ok(&report))
}

pub fn operation() -> Operation {
    Operation::post("/admin/payouts/run", "admin", "Run the payout run now")
        .describe(
            "Sends every due payout that can go now (as the daily run does) and answers what was sent, \
             refused, failed for now or held, and why.",
        )
        .role(Role::Admin)
        .reply::<RunReport>(200, "what the run did")
}
