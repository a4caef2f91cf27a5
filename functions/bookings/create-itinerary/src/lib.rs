//! POST /itineraries {"quote_id"} — books a quote: the quote must hold
//! (410 once expired) and every leg is checked again (still published,
//! capacity left, times and price as quoted, the shipment as priced, a
//! photo taken): a stale route answers 409 saying what changed. Each trip
//! becomes a booking request to its traveler, answered by a deadline
//! (`BOOKING_RESPONSE_MINUTES`, never after departure). GetItem (quote) +
//! BatchGetItem (shipment, trips, capacities, areas) + TransactWriteItems
//! (itinerary, bookings, shipment booked, ItineraryRequested).
use handoff::domain::bookings::{new_trip_segments, BookingRef, Itinerary, ItineraryStatus};
use handoff::domain::events::{BookingRequested, ItineraryRequested};
use handoff::domain::identity::Role;
use handoff::domain::shipments::ShipmentStatus;
use handoff::platform::booking_records::{
    booking_write, checked_quote, itinerary_write, new_bookings, shipment_status,
};
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::crypto::new_id;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::shipment_records::shipment_changed;
use serde::Deserialize;

/// How long a traveler has to answer (`BOOKING_RESPONSE_MINUTES`, 5 to 10080).
pub struct Config {
    pub respond_seconds: i64,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let minutes: i64 = env.parse("BOOKING_RESPONSE_MINUTES")?;
        if !(5..=7 * 24 * 60).contains(&minutes) {
            return Err(Env::invalid("BOOKING_RESPONSE_MINUTES", "must be 5 to 10080"));
        }
        Ok(Self { respond_seconds: minutes * 60 })
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "BookQuote")]
struct Body {
    quote_id: String,
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.require_role(Role::Sender)?;
    let body: Body = req.json()?;
    let now = ctx.now();
    let at = ctx.now_rfc3339();
    let c = checked_quote(table, &body.quote_id, &me.user_id, now, &[]).await?;
    c.shipment.ensure_draft()?;
    let q = &c.quote;
    let mut it = Itinerary {
        itinerary_id: new_id(),
        sender_id: me.user_id.clone(),
        shipment_id: q.shipment_id.clone(),
        quote_id: q.quote_id.clone(),
        status: ItineraryStatus::Draft,
        currency: q.currency.clone(),
        total: q.total,
        lines: q.lines.clone(),
        segments: q.segments.clone(),
        bookings: Vec::new(),
        reason: None,
        history: Vec::new(),
        created_at: at.clone(),
        updated_at: at.clone(),
    };
    let trips = new_trip_segments(&q.segments, &[]);
    let bookings = new_bookings(&it, &c.shipment, &trips, &c.capacities, 1, now, ctx.config.respond_seconds, &at);
    it.bookings = bookings
        .iter()
        .zip(&trips)
        .map(|(b, (segment, _))| BookingRef {
            booking_id: b.booking_id.clone(),
            trip_id: b.trip_id.clone(),
            traveler_id: b.traveler_id.clone(),
            status: b.status,
            segment: *segment,
            respond_by: b.respond_by,
            reason: None,
        })
        .collect();
    it.go(ItineraryStatus::Requested, &at, None)?;
    if it.bookings.is_empty() {
        // Couriers only: nobody to ask.
        it.accepted("", &at)?;
    }
    let event = ItineraryRequested {
        itinerary_id: it.itinerary_id.clone(),
        shipment_id: it.shipment_id.clone(),
        sender_id: it.sender_id.clone(),
        quote_id: it.quote_id.clone(),
        bookings: bookings
            .iter()
            .map(|b| BookingRequested {
                booking_id: b.booking_id.clone(),
                trip_id: b.trip_id.clone(),
                traveler_id: b.traveler_id.clone(),
                respond_by: b.respond_by,
            })
            .collect(),
        rebooking: false,
    };
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
