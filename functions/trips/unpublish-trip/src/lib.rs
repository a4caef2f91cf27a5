//! PUT /trips/{id}/unpublish — takes a published trip out of search; it can
//! then be edited and published again. GetItem + one transaction (trip,
//! TripUnpublished in the outbox).
use handoff::domain::events::TripUnpublished;
use handoff::domain::places::Gazetteer;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::{own_trip, saved_with};

pub struct Function {
    table: Table,
    places: &'static Gazetteer,
}

impl HttpFunction for Function {
    const NAME: &'static str = "unpublish-trip";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, places: Gazetteer::embedded() })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let current = own_trip(&self.table, req.path_param("id")?, &me.user_id).await?;
        let mut trip = current.data.clone();
        trip.unpublish()?;
        Ok(saved_with(req, self.places, &current, trip, |t, revision| TripUnpublished { trip_id: t.trip_id.clone(), traveler_id: t.traveler_id.clone(), revision }))
    }
}
