//! Applies the provider's Connect events (ProviderEventReceived, from the
//! webhook or the scheduled listing), only forward:
//! - `account.updated`: the payee's payout account records whether payouts
//!   are enabled and what the provider still needs (an event older than the
//!   last one applied changes nothing);
//! - `transfer.reversed`: what is newly reversed of a payout goes back from
//!   clearing to the payee's payable, the payout is marked reversed, and
//!   PayoutReversed is told (one transaction; the reversed total makes the
//!   ledger transfer's id, so a repeat is a no-op).
//!
//! GetItem (account or payout) + TransactWriteItems.
use handoff::domain::events::{DomainEvent, PayoutReversed, ProviderEventReceived};
use handoff::domain::money::Money;
use handoff::domain::payouts::{Payout, PayoutAccount};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::{Actor, Envelope};
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::payment_records::ledger_writes;
use handoff::platform::payout_records::{account_record, payout_next};
use handoff::platform::store::{put_versioned, Record, WriteItem};
use handoff::platform::stripe::Event;

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    if e.detail_type != ProviderEventReceived::DETAIL_TYPE {
        return Ok(Vec::new());
    }
    let r: ProviderEventReceived = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
    let event = Event::from(r);
    let table = ctx.table()?;
    let at = ctx.now_rfc3339();
    if let Some((account_id, user_id, state)) = event.account_update() {
        let Some(current) = table.get::<PayoutAccount>(&keys::payout_account(&user_id), true).await? else {
            tracing::warn!(event_id = %event.id, account = %account_id, "an account the platform does not know");
            return Ok(Vec::new());
        };
        if current.data.account_id != account_id {
            tracing::warn!(event_id = %event.id, account = %account_id, "not the user's payout account");
            return Ok(Vec::new());
        }
        let mut a = current.data.clone();
        if !a.apply(state, event.created, &at) {
            return Ok(Vec::new());
        }
        let mut next = account_record(&a);
        next.version = current.version + 1;
        tracing::info!(user = %user_id, status = ?a.status, "payout account updated");
        return Ok(vec![put_versioned(&next)]);
    }
    if let Some((payout_id, total)) = event.transfer_reversal() {
        let current: Option<Record<Payout>> = table.get(&keys::payout(&payout_id), true).await?;
        let Some(current) = current else {
            tracing::warn!(event_id = %event.id, payout = %payout_id, "a transfer of no payout the platform knows");
            return Ok(Vec::new());
        };
        let mut p = current.data.clone();
        let before = p.amount_reversed;
        let Some(t) = p.reversal(total, &at) else {
            return Ok(Vec::new());
        };
        let mut writes = vec![payout_next(&current, &p)];
        writes.extend(ledger_writes(&[t], &[])?);
        let reversed = PayoutReversed {
            payout_id: p.payout_id.clone(),
            payee_id: p.payee_id.clone(),
            itinerary_id: p.itinerary_id.clone(),
            amount: Money { amount: p.amount_reversed - before, currency: p.currency.clone() },
            total_reversed: p.amount_reversed,
        };
        writes.push(outbox::event(&reversed, &e.correlation_id, Actor::system()));
        tracing::info!(payout = %payout_id, total, "payout reversed");
        return Ok(writes);
    }
    Ok(Vec::new())
}
