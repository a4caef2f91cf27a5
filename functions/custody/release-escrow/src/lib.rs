//! DeliveryConfirmed releases the escrow: every pending transfer of the
//! itinerary (each traveler's and courier's share to their payable, the
//! platform fee and insurance to revenue, VAT and duties to their
//! payables) is posted, with the accounts' balances, in one transaction
//! with the processed-marker. A shipment an incident froze keeps its
//! escrow pending (held for support). Paying payables out is the payouts'.
//! GetItem (custody) + Query (itinerary, bookings, payment,
//! transfers) + TransactWriteItems.
use handoff::domain::custody::Custody;
use handoff::domain::events::{DeliveryConfirmed, DomainEvent};
use handoff::domain::payments::release_transfers;
use handoff::keys;
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::payment_records::ledger_writes;
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
    let batch = release_transfers(&l.pending(), &ctx.now_rfc3339());
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let writes = ledger_writes(&batch, &l.transfers)?;
    tracing::info!(itinerary = %d.itinerary_id, transfers = batch.len(), "escrow released");
    Ok(writes)
}
