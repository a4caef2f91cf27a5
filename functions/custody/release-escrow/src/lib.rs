//! DeliveryConfirmed releases the escrow: every pending transfer of the
//! itinerary (each traveler's and courier's share to their payable, the
//! platform fee and insurance to revenue, VAT and duties to their
//! payables) is posted, with the accounts' balances, in one transaction
//! with the processed-marker. A shipment an incident froze keeps its
//! escrow pending (held for support). Each share posted to a payable
//! becomes a due payout in the same transaction (the payout run sends it).
//! GetItem (custody) + Query (itinerary, bookings, payment,
//! transfers) + TransactWriteItems.
use handoff::domain::custody::Custody;
use handoff::domain::events::{DeliveryConfirmed, DomainEvent};
use handoff::domain::payments::release_transfers;
use handoff::domain::payouts::payouts_of_release;
use handoff::keys;
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::payment_records::ledger_writes;
use handoff::platform::payout_records::payout_new;
use handoff::platform::store::{Record, WriteItem};

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    if e.detail_type != DeliveryConfirmed::DETAIL_TYPE {
        return Ok(Vec::new());
    }
    let d: DeliveryConfirmed = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
    let table = ctx.table()?;
    let custody: Option<Record<Custody>> = table.get(&keys::custody(&d.shipment_id), true).await?;
    if custody.is_some_and(|c| c.data.frozen) {
        tracing::info!(shipment = %d.shipment_id, "escrow held: an incident froze the shipment");
        return Ok(Vec::new());
    }
    let Some(l) = load(table, &d.itinerary_id).await? else {
        return Ok(Vec::new());
    };
    let at = ctx.now_rfc3339();
    let batch = release_transfers(&l.pending(), &at);
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut writes = ledger_writes(&batch, &l.transfers)?;
    let charge = l.payment.as_ref().and_then(|p| p.data.charge_id.as_deref());
    writes.extend(payouts_of_release(&batch, charge, &at).iter().map(payout_new));
    tracing::info!(itinerary = %d.itinerary_id, transfers = batch.len(), "escrow released");
    Ok(writes)
}
