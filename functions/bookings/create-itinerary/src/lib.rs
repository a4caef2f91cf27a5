//! POST /itineraries {"quote_id"} — books a quote: the quote must hold
//! (410 once expired) and every leg is checked again (still published,
//! capacity left, times and price as quoted, the shipment as priced, a
//! photo taken): a stale route answers 409 saying what changed. Each trip
//! becomes a booking request to its traveler, answered by a deadline
//! (`BOOKING_RESPONSE_MINUTES`, never after departure). GetItem (quote) +
//! BatchGetItem (shipment, trips, capacities, areas) + TransactWriteItems
//! (itinerary, bookings, shipment booked, ItineraryRequested).
use handoff::domain::bookings::{new_trip_segments, Itinerary};
use handoff::domain::identity::Role;
use handoff::domain::shipments::ShipmentStatus;
use handoff::platform::booking_records::{
    booking_write, check_quote, itinerary_write, new_bookings, own_quote, requested, shipment_status, ResponseWindow,
};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::new_id;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::shipment_records::shipment_changed;
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "BookQuote")]
struct Body {
    quote_id: String,
}

pub async fn handle(ctx: &Ctx<ResponseWindow>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.require_role(Role::Sender)?;
    let body: Body = req.json()?;
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let quote = own_quote(table, &body.quote_id, &me.user_id).await?;
    let c = check_quote(table, quote, &me.user_id, now, &[]).await?;
    c.shipment.ensure_draft()?;
    let mut it = Itinerary::from_quote(new_id(), &c.quote, &at);
    let trips = new_trip_segments(&c.quote.segments, &[]);
    let bookings = new_bookings(&it, &c.shipment, &trips, &c.capacities, 1, now, ctx.config.seconds, &at);
    it.add_requests(&bookings, &trips);
    it.request(&at, None)?;
    let event = requested(&it, &bookings, false);
    let mut reply = Reply::json(201, &it)
        .header("location", &format!("/itineraries/{}", it.itinerary_id))
        .write(itinerary_write(None, &it), None)
        .write(
            shipment_status(&c.shipment, ShipmentStatus::Draft, ShipmentStatus::Booked, Some(&it.itinerary_id), &at),
            Some(shipment_changed()),
        )
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None);
    for b in &bookings {
        reply = reply.write(booking_write(None, b), None);
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::post("/itineraries", "bookings", "Book a quote: each trip becomes a request to its traveler")
        .describe(
            "Every leg is checked again; a stale route answers 409 saying what changed, an expired quote \
             410. The itinerary is `requested` until every traveler accepts, then `awaiting_payment`.",
        )
        .role(Role::Sender)
        .body::<Body>()
        .example(serde_json::json!({"quote_id": "0192f0c2-0000-7000-8000-000000000003"}))
        .reply::<Itinerary>(201, "the requested itinerary")
        .header("location", "the itinerary's URL")
        .problem(404, "not-found")
        .problem(409, "route-changed")
        .problem(409, "shipment-changed")
        .problem(409, "shipment-not-draft")
        .problem(409, "photo-required")
        .problem(410, "quote-expired")
}
