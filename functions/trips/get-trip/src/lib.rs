//! GET /trips/{id} — a trip with its legs (UTC and local times) and, for its
//! traveler, its documents. Others see published trips only; anything else
//! answers 404. One Query (the trip's partition: trip + documents).
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::Trip;
use handoff::keys::{self, entity};
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::{trip_view, visible_to, with_documents};

pub struct Function {
    table: Table,
    places: &'static Gazetteer,
}

impl HttpFunction for Function {
    const NAME: &'static str = "get-trip";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, places: Gazetteer::embedded() })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let (trip, mut docs) = with_documents::<Trip>(&self.table, keys::trip_partition(req.path_param("id")?), entity::TRIP).await?;
        let trip = trip.map(|r| r.data).filter(|t| visible_to(t, &me.user_id)).ok_or_else(|| Problem::not_found("trip"))?;
        if trip.traveler_id != me.user_id {
            docs.clear();
        }
        Ok(Reply::ok(&trip_view(&trip, self.places, &docs)))
    }
}
