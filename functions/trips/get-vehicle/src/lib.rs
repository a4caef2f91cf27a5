//! GET /vehicles/{id} — a vehicle, its verification and its documents, for
//! its owner or an administrator (404 for anyone else). One Query.
use handoff::domain::identity::Role;
use handoff::domain::vehicles::Vehicle;
use handoff::keys::{self, entity};
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::with_documents;
use serde_json::json;

pub struct Function {
    table: Table,
}

impl HttpFunction for Function {
    const NAME: &'static str = "get-vehicle";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)? })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let (v, docs) = with_documents::<Vehicle>(&self.table, keys::vehicle_partition(req.path_param("id")?), entity::VEHICLE).await?;
        let v = v.map(|r| r.data).filter(|v| v.owner_id == me.user_id || me.has(Role::Admin)).ok_or_else(|| Problem::not_found("vehicle"))?;
        let mut body = json!(v);
        body["documents"] = json!(docs);
        Ok(Reply::ok(&body))
    }
}
