//! POST /trips/{id}/legs — appends the next leg of a draft or unpublished
//! trip: contiguous, in time order, inside the trip window, at a speed the
//! mode can do; a flight leg names carrier and number, a car leg a verified
//! vehicle of the traveler's. GetItem (trip) [+ GetItem (vehicle)] + one write.
use handoff::domain::identity::Verification;
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::{parse_carrier, parse_flight_number, Instant, Mode, NewLeg};
use handoff::domain::validation::Errors;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::{own_trip, own_vehicle, saved, trip_rule_problems, TripView};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewLeg")]
struct Body {
    /// A place id (`airport:ZRH`, `city:2988507`): the previous leg's destination, or the trip's origin.
    origin: String,
    destination: String,
    depart_at: String,
    arrive_at: String,
    #[serde(default)]
    carrier: Option<String>,
    #[serde(default)]
    flight_number: Option<String>,
    #[serde(default)]
    vehicle_id: Option<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let b: Body = req.json()?;
    let mut errors = Errors::new();
    let dep = errors.check("depart_at", Instant::parse(&b.depart_at));
    let arr = errors.check("arrive_at", Instant::parse(&b.arrive_at));
    let carrier = b.carrier.as_deref().map(parse_carrier).and_then(|r| errors.check("carrier", r));
    let number = b.flight_number.as_deref().map(parse_flight_number).and_then(|r| errors.check("flight_number", r));
    if let (Some(c), Some(n)) = (&carrier, &number) {
        if !n.starts_with(c.as_str()) {
            errors.push("flight_number", format!("must start with the carrier code {c}"));
        }
    }
    let (depart_at, arrive_at) = errors.finish((|| Some((dep?, arr?)))())?;
    let current = own_trip(table, req.path_param("id")?, &me.user_id).await?;
    let mut trip = current.data.clone();
    if trip.mode != Mode::Car && b.vehicle_id.is_some() {
        return Err(Problem::field("vehicle_id", "only car legs name a vehicle"));
    }
    if trip.mode == Mode::Car {
        if let Some(v) = &b.vehicle_id {
            let vehicle = own_vehicle(table, v, &me.user_id)
                .await
                .map_err(|_| Problem::field("vehicle_id", "no vehicle of yours has this id"))?;
            if vehicle.data.verification != Verification::Verified {
                return Err(Problem::new(422, "vehicle-not-verified", "The vehicle is not verified", "a car leg needs a verified vehicle; upload its registration and insurance and wait for verification"));
            }
        }
    }
    let leg = NewLeg {
        origin: b.origin,
        destination: b.destination,
        depart_at,
        arrive_at,
        carrier,
        flight_number: number,
        vehicle_id: b.vehicle_id,
    };
    trip.add_leg(leg, Gazetteer::embedded())?;
    let mut reply = saved(Gazetteer::embedded(), &current, trip);
    reply.status = 201;
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::post("/trips/{id}/legs", "trips", "Append the next leg of a draft or unpublished trip")
        .describe(
            "Contiguous, in time order, inside the trip window, at a speed the mode can do; a flight leg \
                    names carrier and number, a car leg a verified vehicle of the traveler's.",
        )
        .body::<Body>()
        .example(serde_json::json!({"origin": "airport:ZRH", "destination": "airport:JFK",
            "depart_at": "2026-12-01T09:30:00+01:00", "arrive_at": "2026-12-01T12:45:00-05:00",
            "carrier": "LX", "flight_number": "LX14"}))
        .reply::<TripView>(201, "the trip with its new leg")
        .problems_of(trip_rule_problems())
}
