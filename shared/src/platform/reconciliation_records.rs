//! The reconciliation's reads and its report (see `domain::reconciliation`):
//! the ledger's side is the platform's clearing accounts (one per currency)
//! and the transfers that debit or credit them (gsi1 / gsi2 by time); the
//! provider's side is Stripe's lists of charges, refunds and transfers by
//! creation time. The report is one item per day, written again by each run.
use super::payment_records::{AccountRecord, TransferRecord};
use super::store::{put, Record, StoreError, Table, WriteItem};
use crate::domain::ledger::{AccountKind, TransferCode};
use crate::domain::reconciliation::{day_of, on_day, window, Entry, Kind, Report};
use crate::keys::{self, entity};

/// Pages read per list and side at most in one run (100 objects a page at
/// the provider, up to 1 MB at the table).
pub const MAX_PAGES: usize = 200;

/// What the ledger booked at the provider in the window around the day:
/// payments, settled refunds, payouts and what was taken back from them
/// (transfers of the clearing accounts), each with the provider's id it
/// carries.
pub async fn ledger_entries(table: &Table, day_start: i64) -> Result<(Vec<Entry>, bool), StoreError> {
    let (from, to) = window(day_start);
    let (from, to) = (day_of(from), day_of(to));
    let day = day_of(day_start);
    let accounts: Vec<Record<AccountRecord>> =
        table.under(keys::ledger_partition(AccountKind::Clearing.as_str(), "platform"), "ACCOUNT#", 1000).await?;
    let mut out = Vec::new();
    let mut partial = false;
    for a in accounts {
        let partition = keys::account_transfers(&a.data.id());
        for index in ["gsi1", "gsi2"] {
            // `to` sorts before every time of that day: the window ends before it.
            let (items, more) =
                table.query_between::<TransferRecord>(index, partition.clone(), (&from, &to), MAX_PAGES).await?;
            partial |= more;
            for r in items {
                let t = r.data.transfer;
                let kind = match t.code {
                    TransferCode::Payment => Kind::Charge,
                    TransferCode::RefundSettled => Kind::Refund,
                    TransferCode::Payout => Kind::Transfer,
                    // Clearing debited back from a payee: a reversal at the provider.
                    TransferCode::PayoutReversed | TransferCode::Refund => Kind::Reversal,
                    _ => continue,
                };
                out.push(Entry {
                    kind,
                    // A transfer without the provider's id cannot match: its own id stands in.
                    reference: t.reference.clone().unwrap_or_else(|| t.transfer_id.clone()),
                    on_day: t.at.starts_with(&day),
                    id: t.transfer_id,
                    amount: t.amount,
                    currency: t.currency.as_str().to_string(),
                    itinerary_id: Some(t.itinerary_id),
                });
            }
        }
    }
    Ok((out, partial))
}

/// The `{day}` of a request (`YYYY-MM-DD`) and its first second, or 422.
pub fn day_param(req: &super::http::ApiRequest) -> Result<(&str, i64), super::http::Problem> {
    let day = req.path_param("day")?;
    crate::domain::reconciliation::parse_day(day)
        .map(|start| (day, start))
        .ok_or_else(|| super::http::Problem::field("day", "must be a day as YYYY-MM-DD, such as 2026-11-21"))
}

/// The report of a day, if one was made.
pub async fn report(table: &Table, day: &str) -> Result<Option<Report>, StoreError> {
    Ok(table.get::<Report>(&keys::reconciliation(day), true).await?.map(|r| r.data))
}

/// The report, stored (a later run replaces it).
pub fn report_write(r: &Report) -> WriteItem {
    put(&Record::new(keys::reconciliation(&r.day), entity::RECONCILIATION, r), None)
}

#[cfg(feature = "stripe")]
pub use provider::*;

#[cfg(feature = "stripe")]
mod provider {
    use super::*;
    use crate::domain::reconciliation::reconcile;
    use crate::platform::lambda::EventError;
    use crate::platform::observability::metric;
    use crate::platform::stripe::{Charge, Client, Refund, StripeError, Transfer};

    /// What the provider made in the window around the day: succeeded
    /// charges, refunds that were not refused, and transfers.
    pub async fn provider_entries(stripe: &Client, day_start: i64) -> Result<(Vec<Entry>, bool), StripeError> {
        let w = window(day_start);
        let entry = |kind, reference: &str, id: &str, amount, currency: &str, created| Entry {
            kind,
            reference: reference.into(),
            id: id.into(),
            amount,
            currency: currency.to_ascii_uppercase(),
            on_day: on_day(day_start, created),
            itinerary_id: None,
        };
        let (charges, refunds, transfers) = tokio::join!(
            stripe.created_between::<Charge>("ListCharges", "/v1/charges", w, |c| &c.id, MAX_PAGES),
            stripe.created_between::<Refund>("ListRefunds", "/v1/refunds", w, |r| &r.id, MAX_PAGES),
            stripe.created_between::<Transfer>("ListTransfers", "/v1/transfers", w, |t| &t.id, MAX_PAGES),
        );
        let ((charges, p1), (refunds, p2), (transfers, p3)) = (charges?, refunds?, transfers?);
        let mut out = Vec::new();
        for c in charges.iter().filter(|c| c.status == "succeeded") {
            out.push(entry(Kind::Charge, &c.id, &c.id, c.amount, &c.currency, c.created));
        }
        for r in refunds.iter().filter(|r| !matches!(r.status.as_str(), "failed" | "canceled")) {
            let charge = r.charge.as_deref().unwrap_or(&r.id);
            out.push(entry(Kind::Refund, charge, &r.id, r.amount, &r.currency, r.created));
        }
        for t in &transfers {
            out.extend(transfer_entries(t, day_start));
        }
        Ok((out, p1 || p2 || p3))
    }

    /// A transfer and its reversals (the ten Stripe embeds), as entries.
    fn transfer_entries(t: &Transfer, day_start: i64) -> Vec<Entry> {
        let entry = |kind, id: &str, amount, created| Entry {
            kind,
            reference: t.id.clone(),
            id: id.into(),
            amount,
            currency: t.currency.to_ascii_uppercase(),
            on_day: on_day(day_start, created),
            itinerary_id: None,
        };
        let mut out = vec![entry(Kind::Transfer, &t.id, t.amount, t.created)];
        for r in t.reversals.iter().flat_map(|l| &l.data) {
            out.push(entry(Kind::Reversal, &r.id, r.amount, r.created));
        }
        out
    }

    /// The reversals of transfers older than the window that the ledger
    /// booked reversals of on the day (each such transfer read).
    async fn older_reversals(
        stripe: &Client,
        day_start: i64,
        provider: &[Entry],
        ledger: &[Entry],
    ) -> Result<Vec<Entry>, StripeError> {
        let listed: std::collections::BTreeSet<&str> =
            provider.iter().filter(|e| e.kind == Kind::Transfer).map(|e| e.reference.as_str()).collect();
        let mut wanted: Vec<&str> = ledger
            .iter()
            .filter(|e| e.kind == Kind::Reversal && e.on_day && !listed.contains(e.reference.as_str()))
            .map(|e| e.reference.as_str())
            .collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut out = Vec::new();
        for id in wanted {
            match stripe.transfer(id).await {
                Ok(t) => out.extend(transfer_entries(&t, day_start).into_iter().filter(|e| e.kind == Kind::Reversal)),
                // Not the provider's: the ledger's reversal is reported missing there.
                Err(StripeError::Api { status: 404, .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Reconciles the day starting at `day_start` (unix, UTC midnight):
    /// reads both sides, matches them, stores the report, logs each line
    /// and counts them in the metric `ReconciliationMismatches` (alarmed in
    /// template.yaml).
    pub async fn run(
        table: &Table,
        stripe: &Client,
        metric_source: &str,
        day_start: i64,
        at: &str,
    ) -> Result<Report, EventError> {
        let (ledger, provider) = tokio::join!(ledger_entries(table, day_start), provider_entries(stripe, day_start));
        let unavailable = |e| EventError::dependency("payment provider", e);
        let ((ledger, lp), (mut provider, pp)) = (ledger?, provider.map_err(unavailable)?);
        let older = older_reversals(stripe, day_start, &provider, &ledger).await.map_err(unavailable)?;
        provider.extend(older);
        let (lines, tallies) = reconcile(&provider, &ledger);
        let tally = |k| tallies.get(&k).copied().unwrap_or_default();
        let report = Report {
            day: day_of(day_start),
            ran_at: at.into(),
            charges: tally(Kind::Charge),
            refunds: tally(Kind::Refund),
            transfers: tally(Kind::Transfer),
            reversals: tally(Kind::Reversal),
            clean: lines.is_empty() && !(lp || pp),
            partial: lp || pp,
            lines,
        };
        for l in &report.lines {
            tracing::error!(
                day = %report.day,
                kind = ?l.kind,
                issue = ?l.issue,
                reference = %l.reference,
                provider = l.provider_amount,
                ledger = l.ledger_amount,
                currency = %l.currency,
                "reconciliation mismatch"
            );
        }
        metric(metric_source, "ReconciliationMismatches", report.lines.len() as f64, "Count");
        table.write_one(report_write(&report)).await?;
        tracing::info!(
            day = %report.day,
            charges = report.charges.provider,
            refunds = report.refunds.provider,
            transfers = report.transfers.provider,
            reversals = report.reversals.provider,
            mismatches = report.lines.len(),
            partial = report.partial,
            "reconciled"
        );
        Ok(report)
    }
}
