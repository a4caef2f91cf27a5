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
use handoff::platform::aws::Aws;
use handoff::platform::clock::now_unix;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::{record, Record, Table};
use handoff::platform::trips::{saved_with};

pub struct Function {
    table: Table,
    places: &'static Gazetteer,
}

impl HttpFunction for Function {
    const NAME: &'static str = "publish-trip";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, places: Gazetteer::embedded() })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let trip_id = req.path_param("id")?;
        let mut items = self.table.get_many(&[keys::trip(trip_id), keys::user(&me.user_id)], true).await?.into_iter();
        let current: Record<Trip> = record(items.next().flatten())?.filter(|r: &Record<Trip>| r.data.traveler_id == me.user_id).ok_or_else(|| Problem::not_found("trip"))?;
        let user: Option<Record<User>> = record(items.next().flatten())?;
        let verified = user.is_some_and(|u| u.data.verification == Verification::Verified);
        let mut trip = current.data.clone();
        let vehicles = trip.vehicle_ids();
        if !vehicles.is_empty() {
            let found = self.table.get_many(&vehicles.iter().map(|v| keys::vehicle(v)).collect::<Vec<_>>(), true).await?;
            for (id, item) in vehicles.iter().zip(found) {
                let v: Option<Record<Vehicle>> = record(item)?;
                trip.check_vehicle(id, v.as_ref().map(|r| &r.data))?;
            }
        }
        trip.publish(verified, now_unix())?;
        Ok(saved_with(req, self.places, &current, trip, |t, revision| TripPublished {
            trip_id: t.trip_id.clone(),
            traveler_id: t.traveler_id.clone(),
            revision,
            mode: t.mode,
            legs: t.legs.clone(),
            constraints: t.constraints.clone().expect("publish checked"),
        }))
    }
}
