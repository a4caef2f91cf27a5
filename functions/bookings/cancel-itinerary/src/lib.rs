//! PUT /itineraries/{id}/cancel {"reason"} — the sender cancels before any
//! pickup: pending requests are withdrawn, capacity reserved by accepted
//! bookings is released (CapacityChanged each), and the shipment is a draft
//! again. A paid (confirmed) itinerary is refunded under the cancellation
//! policy by payments, which acts on ItineraryCancelled; not while its
//! payment is disputed (409 payment-disputed: the bank decides).
//! Query (itinerary partition) + GetItem (shipment) + TransactWriteItems.
use handoff::domain::bookings::Itinerary;
use handoff::domain::payments::CancelledBy;
use handoff::domain::shipments::Shipment;
use handoff::keys;
use handoff::platform::booking_records::{booking_changed, cancellation, own_itinerary};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::Record;
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema, Default)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CancelItinerary")]
struct Body {
    /// Why (at most 500 characters).
    #[serde(default)]
    reason: Option<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let body: Body = if req.body.is_empty() { Body::default() } else { req.json()? };
    let reason = body.reason.map(|r| r.trim().to_string()).filter(|r| !r.is_empty());
    if reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(Problem::field("reason", "is at most 500 characters"));
    }
    let l = own_itinerary(table, req.path_param("id")?, &me.user_id).await?;
    l.refundable()?;
    let shipment: Option<Record<Shipment>> = table.get(&keys::shipment(&l.itinerary.data.shipment_id), true).await?;
    let shipment = shipment.ok_or_else(Problem::internal)?;
    let (it, writes) = cancellation(
        &l,
        &shipment.data,
        &ctx.now_rfc3339(),
        reason,
        CancelledBy::Sender,
        &req.correlation_id,
        req.actor(),
    )?;
    let mut reply = Reply::ok(&it);
    for w in writes {
        reply = reply.write(w, Some(booking_changed()));
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::put("/itineraries/{id}/cancel", "bookings", "Cancel an itinerary before pickup")
        .describe(
            "Pending requests are withdrawn, capacity reserved by accepted bookings is released, and the \
             shipment is a draft again. A paid itinerary is refunded under the cancellation policy: in full \
             until 48 hours before the first departure, less the platform fee after that (see \
             GET /itineraries/{id}/payment for the refund).",
        )
        .optional_body::<Body>()
        .example(serde_json::json!({"reason": "Plans changed"}))
        .reply::<Itinerary>(200, "the cancelled itinerary")
        .problem(409, "illegal-transition")
        .problem(409, "payment-disputed")
        .problem(409, "booking-changed")
}
