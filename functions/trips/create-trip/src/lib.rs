//! POST /trips — a draft trip: mode, origin and destination places, the
//! window from earliest departure to latest arrival. Travelers only.
//! One write (PutItem, new key).
use handoff::domain::identity::Role;
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::{Instant, Mode, NewTrip, Trip};
use handoff::domain::validation::Errors;
use handoff::platform::context::Ctx;
use handoff::platform::crypto::new_id;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::{new_trip, trip_view, TripView};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewTrip")]
struct Body {
    #[schemars(with = "Mode")]
    mode: String,
    origin: String,
    destination: String,
    /// RFC 3339 with an offset; within the next year.
    #[schemars(with = "Instant")]
    earliest_departure: String,
    #[schemars(with = "Instant")]
    latest_arrival: String,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Traveler)?;
    let b: Body = req.json()?;
    let mut errors = Errors::new();
    let mode = errors.check("mode", b.mode.parse::<Mode>());
    let dep = errors.check("earliest_departure", Instant::parse(&b.earliest_departure));
    let arr = errors.check("latest_arrival", Instant::parse(&b.latest_arrival));
    let (mode, earliest_departure, latest_arrival) = errors.finish((|| Some((mode?, dep?, arr?)))())?;
    let new = NewTrip { mode, origin: b.origin, destination: b.destination, earliest_departure, latest_arrival };
    let trip = Trip::draft(new_id(), me.user_id.clone(), new, Gazetteer::embedded(), ctx.now(), ctx.now_rfc3339())?;
    Ok(Reply::json(201, &trip_view(&trip, Gazetteer::embedded(), &[]))
        .header("location", &format!("/trips/{}", trip.trip_id))
        .write(new_trip(trip), None))
}

pub fn operation() -> Operation {
    Operation::post("/trips", "trips", "Create a draft trip")
        .role(Role::Traveler)
        .body::<Body>()
        .example(serde_json::json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:JFK",
            "earliest_departure": "2026-12-01T08:00:00+01:00", "latest_arrival": "2026-12-01T20:00:00-05:00"}))
        .reply::<TripView>(201, "the draft trip")
        .header("location", "the trip's URL")
}
