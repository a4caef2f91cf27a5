//! PUT /trips/{id}/unpublish — takes a published trip out of search; it can
//! then be edited and published again. GetItem + one transaction (trip,
//! TripUnpublished in the outbox).
use handoff::domain::events::TripUnpublished;
use handoff::domain::places::Gazetteer;
use handoff::platform::aws::Aws;
use handoff::platform::clock::now_rfc3339;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::store::Table;
use handoff::platform::trips::{changed_meanwhile, own_trip, save_trip, trip_view};

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
        trip.updated_at = now_rfc3339();
        let (write, revision) = save_trip(&current, trip.clone());
        let event = TripUnpublished { trip_id: trip.trip_id.clone(), traveler_id: trip.traveler_id.clone(), revision };
        Ok(Reply::ok(&trip_view(&trip, self.places, &[])).write(write, Some(changed_meanwhile())).write(outbox::event(&event, &req.correlation_id, req.actor()), None))
    }
}
