//! PUT /itineraries/{id}/cancel {"reason"} — the sender cancels before
//! payment: pending requests are withdrawn, capacity reserved by accepted
//! bookings is released (CapacityChanged each), and the shipment is a draft
//! again. A paid itinerary is refunded through payments, not here.
//! Query (itinerary + bookings) + GetItem (shipment) + TransactWriteItems.
use handoff::domain::bookings::{BookingStatus, Itinerary, ItineraryStatus};
use handoff::domain::events::ItineraryCancelled;
use handoff::domain::shipments::{Shipment, ShipmentStatus};
use handoff::keys;
use handoff::platform::booking_records::{
    booking_changed, booking_write, capacity_event, itinerary_write, own_itinerary, release, shipment_status,
};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
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
    let at = ctx.now_rfc3339();
    let mut it = l.itinerary.data.clone();
    let previous = it.status;
    if matches!(previous, ItineraryStatus::Confirmed | ItineraryStatus::InTransit | ItineraryStatus::Delivered) {
        return Err(Problem::conflict(
            "illegal-transition",
            format!(
                "an itinerary that is {} is not cancelled here: a paid one is refunded through payments",
                previous.as_str()
            ),
        ));
    }
    it.go(ItineraryStatus::Cancelled, &at, reason.clone())?;
    let shipment: Option<Record<Shipment>> = table.get(&keys::shipment(&it.shipment_id), true).await?;
    let shipment = shipment.ok_or_else(Problem::internal)?;
    let (cid, actor) = (&req.correlation_id, req.actor());
    let mut writes = Vec::new();
    let mut released = Vec::new();
    for current in &l.bookings {
        let mut b = current.data.clone();
        let was = b.status;
        if !was.is_live() {
            continue;
        }
        b.status = BookingStatus::Cancelled;
        b.reason = Some("the sender cancelled the itinerary".into());
        b.updated_at = at.clone();
        if was == BookingStatus::Accepted {
            writes.push((release(&b.trip_id, b.parcel.weight_grams), None));
            writes.push((capacity_event(&b, b.parcel.weight_grams as i64, cid, actor.clone()), None));
            released.push(b.booking_id.clone());
        }
        if let Some(r) = it.booking_mut(&b.booking_id) {
            r.status = BookingStatus::Cancelled;
        }
        writes.push((booking_write(Some(current), &b), Some(booking_changed())));
    }
    let event = ItineraryCancelled {
        itinerary_id: it.itinerary_id.clone(),
        shipment_id: it.shipment_id.clone(),
        sender_id: it.sender_id.clone(),
        previous_status: previous,
        released,
        reason,
    };
    let mut reply = Reply::ok(&it)
        .write(itinerary_write(Some(&l.itinerary), &it), Some(booking_changed()))
        .write(shipment_status(&shipment.data, ShipmentStatus::Booked, ShipmentStatus::Draft, None, &at), None)
        .write(outbox::event(&event, cid, actor), None);
    for (w, on_fail) in writes {
        reply = reply.write(w, on_fail);
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::put("/itineraries/{id}/cancel", "bookings", "Cancel an itinerary before payment")
        .describe(
            "Pending requests are withdrawn, capacity reserved by accepted bookings is released, and the \
             shipment is a draft again.",
        )
        .optional_body::<Body>()
        .example(serde_json::json!({"reason": "Plans changed"}))
        .reply::<Itinerary>(200, "the cancelled itinerary")
        .problem(409, "illegal-transition")
        .problem(409, "booking-changed")
}
