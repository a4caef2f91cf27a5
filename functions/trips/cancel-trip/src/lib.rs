//! POST /trips/{id}/cancel {"reason"?} — ends a published or unpublished trip
//! for good (a trip that was ever published is cancelled, not deleted).
//! GetItem + one transaction (trip, TripCancelled in the outbox).
use handoff::domain::events::TripCancelled;
use handoff::domain::places::Gazetteer;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::{own_trip, saved_with};
use serde::Deserialize;

pub struct Function {
    table: Table,
    places: &'static Gazetteer,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Body {
    #[serde(default)]
    reason: Option<String>,
}

impl HttpFunction for Function {
    const NAME: &'static str = "cancel-trip";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, places: Gazetteer::embedded() })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let body: Body = if req.body.is_empty() { Body::default() } else { req.json()? };
        if body.reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
            return Err(Problem::field("reason", "must be at most 500 characters"));
        }
        let current = own_trip(&self.table, req.path_param("id")?, &me.user_id).await?;
        let mut trip = current.data.clone();
        trip.cancel()?;
        Ok(saved_with(req, self.places, &current, trip, |t, revision| TripCancelled { trip_id: t.trip_id.clone(), traveler_id: t.traveler_id.clone(), revision, reason: body.reason }))
    }
}
