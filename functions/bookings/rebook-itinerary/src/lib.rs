//! POST /itineraries/{id}/rebook {"quote_id"} — replaces the failed part of
//! an itinerary that needs rebooking: the new quote (for the whole route,
//! from a fresh search for the failed part) must keep every live booking's
//! trip and legs; its other trips become new requests, checked like a new
//! booking. Accepted parts are not asked again. Query (itinerary) +
//! GetItem (quote) + BatchGetItem + TransactWriteItems.
use handoff::domain::bookings::{new_trip_segments, BookingRef, ItineraryStatus};
use handoff::domain::events::{BookingRequested, ItineraryRequested};
use handoff::domain::search::RouteSegment;
use handoff::platform::booking_records::{
    booking_changed, booking_write, checked_quote, itinerary_write, new_bookings, own_itinerary,
};
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
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
#[schemars(rename = "RebookQuote")]
struct Body {
    quote_id: String,
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let body: Body = req.json()?;
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let l = own_itinerary(table, req.path_param("id")?, &me.user_id).await?;
    let mut it = l.itinerary.data.clone();
    if it.status != ItineraryStatus::NeedsRebooking {
        return Err(Problem::conflict(
            "illegal-transition",
            format!("the itinerary is {}: only one that needs rebooking is rebooked", it.status.as_str()),
        ));
    }
    let live: Vec<(String, Vec<u32>)> = it
        .bookings
        .iter()
        .filter(|b| b.status.is_live())
        .filter_map(|b| match it.segments.get(b.segment) {
            Some(RouteSegment::Trip { trip_id, legs, .. }) => {
                Some((trip_id.clone(), legs.iter().map(|l| l.leg_no).collect()))
            }
            _ => None,
        })
        .collect();
    let c = checked_quote(table, &body.quote_id, &me.user_id, now, &live).await?;
    let q = &c.quote;
    if q.shipment_id != it.shipment_id {
        return Err(Problem::field("quote_id", "the quote is for another shipment"));
    }
    let kept_refs: Vec<(&str, Vec<u32>)> = live.iter().map(|(t, l)| (t.as_str(), l.clone())).collect();
    let fresh = new_trip_segments(&q.segments, &kept_refs);
    for (_, seg) in &fresh {
        if let RouteSegment::Trip { trip_id, .. } = seg {
            if it.bookings.iter().any(|b| &b.trip_id == trip_id && !b.status.is_live()) {
                return Err(Problem::field(
                    "quote_id",
                    format!("trip {trip_id} declined or let its request expire; quote a route without it"),
                ));
            }
        }
    }
    let still: Vec<(String, Vec<u32>)> = live
        .iter()
        .filter(|(t, l)| {
            q.segments.iter().any(|s| {
                matches!(s, RouteSegment::Trip { trip_id, legs, .. }
                if trip_id == t && legs.iter().map(|x| x.leg_no).collect::<Vec<_>>() == *l)
            })
        })
        .cloned()
        .collect();
    if still.len() != live.len() {
        return Err(Problem::field(
            "quote_id",
            "the new route must keep every accepted or pending trip of the itinerary",
        ));
    }
    // Kept bookings point at their segment in the new route.
    for b in it.bookings.iter_mut().filter(|b| b.status.is_live()) {
        let old = it.segments.get(b.segment).cloned();
        if let Some(i) = q.segments.iter().position(|s| Some(s) == old.as_ref()) {
            b.segment = i;
        }
    }
    let bookings = new_bookings(
        &it,
        &c.shipment,
        &fresh,
        &c.capacities,
        it.bookings.len() + 1,
        now,
        ctx.config.respond_seconds,
        &at,
    );
    for (b, (segment, _)) in bookings.iter().zip(&fresh) {
        it.bookings.push(BookingRef {
            booking_id: b.booking_id.clone(),
            trip_id: b.trip_id.clone(),
            traveler_id: b.traveler_id.clone(),
            status: b.status,
            segment: *segment,
            respond_by: b.respond_by,
            reason: None,
        });
    }
    it.quote_id = q.quote_id.clone();
    it.currency = q.currency.clone();
    it.total = q.total;
    it.lines = q.lines.clone();
    it.segments = q.segments.clone();
    it.go(ItineraryStatus::Requested, &at, Some("rebooked".into()))?;
    it.accepted("", &at)?;
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
        rebooking: true,
    };
    let mut reply = Reply::ok(&it)
        .write(itinerary_write(Some(&l.itinerary), &it), Some(booking_changed()))
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None);
    for b in &bookings {
        reply = reply.write(booking_write(None, b), None);
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::post("/itineraries/{id}/rebook", "bookings", "Rebook the failed part of an itinerary")
        .describe(
            "Search again for the failed part, then quote the whole route (kept segments + the new ones) \
             and post the quote here: kept bookings stay, the new trips become requests.",
        )
        .body::<Body>()
        .example(serde_json::json!({"quote_id": "0192f0c2-0000-7000-8000-000000000004"}))
        .reply::<handoff::domain::bookings::Itinerary>(200, "the itinerary, requested again")
        .problem(409, "illegal-transition")
        .problem(409, "route-changed")
        .problem(409, "shipment-changed")
        .problem(409, "photo-required")
        .problem(409, "booking-changed")
        .problem(410, "quote-expired")
}
