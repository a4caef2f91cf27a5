//! On a schedule (hourly): the ledger's invariants, checked against the
//! whole table: in each currency debits equal credits (posted and pending),
//! every account holds exactly what its transfers add up to (so every
//! itinerary's escrow is what was paid in less what was released, retained
//! and refunded), no account beyond its constraint. Each breach is logged
//! and counted in the metric `LedgerBreaches` (alarmed in template.yaml).
//! Scan (accounts and transfers, filtered by entity).
use handoff::domain::ledger::{check, Breach};
use handoff::keys::entity;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::observability::metric;
use handoff::platform::payment_records::{AccountRecord, TransferRecord};
use serde::Serialize;

/// Pages of the table read at most per run.
const PAGES: usize = 1000;

#[derive(Debug, Serialize)]
pub struct Report {
    pub accounts: usize,
    pub transfers: usize,
    pub breaches: Vec<Breach>,
    /// The table was larger than one run reads: the check is partial.
    pub partial: bool,
}

pub async fn handle(ctx: &Ctx, _scheduled: serde_json::Value) -> Result<Report, EventError> {
    let (items, partial) =
        ctx.table()?.scan_entities(&[entity::LEDGER_ACCOUNT, entity::LEDGER_TRANSFER], PAGES).await?;
    let mut accounts = Vec::new();
    let mut transfers = Vec::new();
    for r in items {
        if r.entity == entity::LEDGER_ACCOUNT {
            let a: AccountRecord = serde_json::from_value(r.data).map_err(EventError::Malformed)?;
            accounts.push((a.id(), a.balance, a.headroom));
        } else {
            let t: TransferRecord = serde_json::from_value(r.data).map_err(EventError::Malformed)?;
            transfers.push(t.transfer);
        }
    }
    let breaches = check(&accounts, &transfers);
    for b in &breaches {
        tracing::error!(subject = %b.subject, what = %b.what, "ledger invariant broken");
    }
    metric(ctx.name, "LedgerBreaches", breaches.len() as f64, "Count");
    tracing::info!(
        accounts = accounts.len(),
        transfers = transfers.len(),
        breaches = breaches.len(),
        partial,
        "ledger checked"
    );
    Ok(Report { accounts: accounts.len(), transfers: transfers.len(), breaches, partial })
}
