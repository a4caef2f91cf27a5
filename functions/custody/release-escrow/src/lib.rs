//! Releases a delivered shipment's escrow: every pending transfer of the
//! itinerary (each traveler's and courier's share to their payable, the
//! platform fee and insurance to revenue, VAT and duties to their
//! payables) is posted, with the accounts' balances, in one transaction
//! with the processed-marker. Each share posted to a payable becomes a due
//! payout in the same transaction (the payout run sends it).
//!
//! It runs on DeliveryConfirmed, and on DisputeClosed when the dispute was
//! won and the shipment was delivered meanwhile. The escrow stays pending
//! (held for support) while an incident froze the shipment or a dispute of
//! its payment is open (the open case records the delivery). The transaction also writes the payment's next
//! version, so a dispute opening at the same moment makes one of the two
//! try again: a release never slips past an open dispute.
//! GetItem (custody) + Query (itinerary, bookings, payment, transfers) +
//! TransactWriteItems.
use handoff::domain::custody::{Custody, CustodyStatus};
use handoff::domain::disputes::{Dispute, DisputeStatus};
use handoff::domain::events::{DeliveryConfirmed, DisputeClosed, DomainEvent};
use handoff::domain::payments::release_transfers;
use handoff::domain::payouts::payouts_of_release;
use handoff::keys;
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::payment_records::{dispute_write, ledger_writes, payment_write};
use handoff::platform::payout_records::payout_new;
use handoff::platform::store::{Record, WriteItem};

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let (shipment_id, itinerary_id) = match e.detail_type.as_str() {
        DeliveryConfirmed::DETAIL_TYPE => {
            let d: DeliveryConfirmed = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (d.shipment_id, d.itinerary_id)
        }
        DisputeClosed::DETAIL_TYPE => {
            let d: DisputeClosed = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            if d.status != DisputeStatus::Won {
                return Ok(Vec::new());
            }
            (d.shipment_id, d.itinerary_id)
        }
        _ => return Ok(Vec::new()),
    };
    let table = ctx.table()?;
    let custody: Option<Record<Custody>> = table.get(&keys::custody(&shipment_id), true).await?;
    match custody {
        Some(c) if c.data.frozen => {
            tracing::info!(shipment = %shipment_id, "escrow held: an incident froze the shipment");
            return Ok(Vec::new());
        }
        Some(c) if c.data.status == CustodyStatus::Delivered => {}
        _ => {
            tracing::info!(shipment = %shipment_id, "escrow kept: the shipment is not delivered");
            return Ok(Vec::new());
        }
    }
    let Some(l) = load(table, &itinerary_id).await? else {
        return Ok(Vec::new());
    };
    let at = ctx.now_rfc3339();
    if l.dispute_open() {
        tracing::info!(itinerary = %itinerary_id, "escrow held: a dispute of its payment is open");
        // The case says so (support submits the delivery proof to the bank).
        let open = l.disputes.iter().find(|d| d.data.status == DisputeStatus::Open && d.data.delivered_at.is_none());
        return Ok(open
            .map(|d| dispute_write(Some(d), &Dispute { delivered_at: Some(at.clone()), ..d.data.clone() }))
            .into_iter()
            .collect());
    }
    let batch = release_transfers(&l.pending(), &at);
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    let mut writes = ledger_writes(&batch, &l.transfers)?;
    let charge = l.payment.as_ref().and_then(|p| p.data.charge_id.as_deref());
    writes.extend(payouts_of_release(&batch, charge, &at).iter().map(payout_new));
    if let Some(p) = &l.payment {
        writes.push(payment_write(Some(p), &p.data));
    }
    tracing::info!(itinerary = %itinerary_id, transfers = batch.len(), "escrow released");
    Ok(writes)
}
