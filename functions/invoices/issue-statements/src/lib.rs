//! On a schedule (daily): the earnings statements of the month before the
//! schedule's time, for every payee with payouts sent in it, one per
//! currency. Issuing is idempotent (a statement issued is found, not
//! numbered again), so the daily runs of a month only fill what an earlier
//! run missed. Query (gsi2, the month's sent payouts) + per payee: Query
//! (statements) + Query (their sent payouts) + for each new statement:
//! BatchGetItem + GetItem (counter) + TransactWriteItems + PutObject + PutItem.
use handoff::domain::invoices::previous_month;
use handoff::platform::clock::rfc3339;
use handoff::platform::context::Ctx;
use handoff::platform::invoice_records::{payees_paid_in, statements, Asked, Seller};
use handoff::platform::lambda::EventError;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Report {
    pub month: String,
    pub payees: usize,
    /// Statement numbers, issued now or before.
    pub statements: Vec<String>,
}

pub async fn handle(ctx: &Ctx<Seller>, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let at = rfc3339(i128::from(ctx.scheduled_time(&scheduled)) * 1000);
    let month = previous_month(&at);
    let (table, files) = (ctx.table()?, ctx.files()?);
    // Boxed: the query's future is deep enough to overflow the binary's layout queries.
    let payees = Box::pin(payees_paid_in(table, &month)).await?;
    let mut numbers = Vec::new();
    let correlation_id = format!("statements-{month}");
    for payee in &payees {
        let asked = Asked { at: &at, issue_missing: true, correlation_id: &correlation_id };
        for d in statements(table, files, &ctx.config.0, payee, &month, asked).await? {
            numbers.push(d.data.number);
        }
    }
    tracing::info!(month, payees = payees.len(), statements = numbers.len(), "statements issued");
    Ok(Report { month, payees: payees.len(), statements: numbers })
}
