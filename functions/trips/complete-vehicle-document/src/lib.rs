//! POST /vehicles/{id}/documents/{document_id}/complete — checks the uploaded
//! file and accepts or rejects it (see complete-trip-document).
//! BatchGetItem (vehicle + document) + HeadObject + GetObject + PutItem.
use handoff::domain::vehicles::Vehicle;
use handoff::keys;
use handoff::platform::aws::Aws;
use handoff::platform::documents::Files;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::owned_document;

pub struct Function {
    table: Table,
    files: Files,
}

impl HttpFunction for Function {
    const NAME: &'static str = "complete-vehicle-document";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, files: Files::from_env(env, aws)? })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let id = req.path_param("id")?;
        let document = keys::document(&keys::vehicle_partition(id), req.path_param("document_id")?);
        let doc = owned_document(&self.table, keys::vehicle(id), document, "vehicle", |v: &Vehicle| v.owner_id == me.user_id).await?;
        self.files.complete_upload(&self.table, doc).await
    }
}
