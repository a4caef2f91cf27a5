//! PUT /trips/{id}/publish — makes a complete trip searchable: at least one
//! leg reaching the destination, constraints, a verified traveler, not yet
//! departed; for a car trip, each vehicle still the traveler's, verified and
//! big enough for the trip's capacity. BatchGetItem (trip + traveler)
//! [+ BatchGetItem (vehicles) for car trips] + one transaction (trip,
//! TripPublished in the outbox).
use handoff::domain::events::TripPublished;
use handoff::domain::identity::{User, Verification};
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::Trip;
use handoff::domain::vehicles::Vehicle;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{record, Record};
use handoff::platform::trip_records::{saved_with, trip_rule_problems, TripView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let trip_id = req.path_param("id")?;
    let mut items = table.get_many(&[keys::trip(trip_id), keys::user(&me.user_id)], true).await?.into_iter();
    let current: Record<Trip> = record(items.next().flatten())?
        .filter(|r: &Record<Trip>| r.data.traveler_id == me.user_id)
        .ok_or_else(|| Problem::not_found("trip"))?;
    let user: Option<Record<User>> = record(items.next().flatten())?;
    let verified = user.is_some_and(|u| u.data.verification == Verification::Verified);
    let mut trip = current.data.clone();
    let vehicles = trip.vehicle_ids();
    if !vehicles.is_empty() {
        let found = table.get_many(&vehicles.iter().map(|v| keys::vehicle(v)).collect::<Vec<_>>(), true).await?;
        for (id, item) in vehicles.iter().zip(found) {
            let v: Option<Record<Vehicle>> = record(item)?;
            trip.check_vehicle(id, v.as_ref().map(|r| &r.data))?;
        }
    }
    let constraints = trip.publish(verified, ctx.now())?;
    Ok(saved_with(req, Gazetteer::embedded(), &current, trip, |t, revision| TripPublished {
        trip_id: t.trip_id.clone(),
        traveler_id: t.traveler_id.clone(),
        revision,
        mode: t.mode,
        legs: t.legs.clone(),
        constraints,
    }))
}

pub fn operation() -> Operation {
    Operation::put("/trips/{id}/publish", "trips", "Make a complete trip searchable")
        .describe(
            "Needs a leg reaching the destination, constraints, a verified traveler, a trip not yet \
                    departed; a car trip's vehicles verified and big enough.",
        )
        .reply::<TripView>(200, "the published trip")
        .problem(422, "traveler-not-verified")
        .problems_of(trip_rule_problems())
}
