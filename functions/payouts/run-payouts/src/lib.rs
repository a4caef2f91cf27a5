//! On a schedule (daily): the payout run. Every payee whose due payouts
//! reach `PayoutMinimum`, with payouts enabled at the provider and a
//! verified identity, is paid each due payout by a Stripe Transfer
//! (transfer_group = the itinerary, source_transaction = its charge,
//! idempotency key = the payout id), written sent with payable → clearing
//! on the ledger and PayoutSent in one transaction. A refused transfer is
//! tried again on the next run. See `platform::payout_records::run`.
//! Query (gsi2, due) + per payee: BatchGetItem (account, user) +
//! BatchGetItem (payouts) + per payout: Stripe (CreateTransfer) + TransactWriteItems.
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::payout_records::{run, PayoutConfig, RunReport};
use std::time::Duration;

/// Payees are started for this long; the function's timeout leaves room to finish.
const BUDGET: Duration = Duration::from_secs(240);

pub async fn handle(ctx: &Ctx<PayoutConfig>, scheduled: serde_json::Value) -> Result<RunReport, EventError> {
    let at = ctx.now_rfc3339();
    let run_id = format!("payout-run-{}", ctx.scheduled_time(&scheduled));
    Ok(run(ctx.table()?, &ctx.config, &at, BUDGET, &run_id).await?)
}
