//! POST /vehicles/{id}/documents {"type": "registration"|"insurance",
//! "content_type", "size_bytes"} — a pending document and a presigned S3 PUT
//! URL (PDF, JPEG or PNG, at most 10 MiB). GetItem (vehicle) + PutItem.
use handoff::domain::documents::DocType;
use handoff::keys;
use handoff::platform::aws::Aws;
use handoff::platform::documents::Files;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::own_vehicle;

pub struct Function {
    table: Table,
    files: Files,
}

impl HttpFunction for Function {
    const NAME: &'static str = "request-vehicle-document";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, files: Files::from_env(env, aws)? })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let v = own_vehicle(&self.table, req.path_param("id")?, &me.user_id).await?;
        self.files.request_upload(&keys::vehicle_partition(&v.data.vehicle_id), req, DocType::FOR_VEHICLES).await
    }
}
