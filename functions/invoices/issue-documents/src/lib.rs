//! The sender's sales documents: ItineraryConfirmed issues the receipt,
//! DeliveryConfirmed the invoice. Each is numbered once in its series
//! (counter and document in one transaction: no gap, no number twice),
//! its PDF rendered and put in the files bucket, and marked stored with
//! DocumentIssued in one transaction. A retry finds the document issued and
//! only stores its PDF again (the same bytes).
//! Query (itinerary, bookings, payment, documents) + GetItem (shipment) +
//! GetItem (counter) + TransactWriteItems + PutObject + TransactWriteItems
//! (stored, event) + PutItem (marker).
use handoff::domain::events::{DeliveryConfirmed, DomainEvent, ItineraryConfirmed};
use handoff::domain::invoices::{sale_draft, DocKind, Party};
use handoff::domain::shipments::Shipment;
use handoff::keys;
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::invoice_records::{issue, store, Seller};
use handoff::platform::lambda::EventError;
use handoff::platform::store::{Record, WriteItem};

pub async fn handle(ctx: &Ctx<Seller>, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let (kind, itinerary_id) = match e.detail_type.as_str() {
        ItineraryConfirmed::DETAIL_TYPE => {
            let c: ItineraryConfirmed = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (DocKind::Receipt, c.itinerary_id)
        }
        DeliveryConfirmed::DETAIL_TYPE => {
            let d: DeliveryConfirmed = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (DocKind::Invoice, d.itinerary_id)
        }
        _ => return Ok(Vec::new()),
    };
    let table = ctx.table()?;
    // An itinerary or payment that is not there will not appear on a retry.
    let Some(l) = load(table, &itinerary_id).await? else {
        tracing::error!(itinerary = %itinerary_id, "no such itinerary: nothing to issue");
        return Ok(Vec::new());
    };
    let it = &l.itinerary.data;
    let Some(payment) = l.payment.as_ref() else {
        tracing::error!(itinerary = %itinerary_id, "an itinerary without a payment: nothing to issue");
        return Ok(Vec::new());
    };
    let doc = match l.document(kind) {
        Some(d) => d.clone(),
        None => {
            let shipment: Record<Shipment> = table
                .get(&keys::shipment(&it.shipment_id), true)
                .await?
                .ok_or_else(|| EventError::Invalid(format!("shipment {} does not exist", it.shipment_id)))?;
            let draft =
                sale_draft(kind, it, &payment.data, ctx.config.0.clone(), Party::of_contact(&shipment.data.sender));
            let key = keys::sales_document(&keys::itinerary_partition(&itinerary_id), kind.as_str());
            issue(table, &key, &draft, &ctx.now_rfc3339()).await?
        }
    };
    // Storing it announces it (DocumentIssued), once, whoever stores it first.
    store(table, ctx.files()?, &doc, &e.correlation_id).await?;
    Ok(Vec::new())
}
