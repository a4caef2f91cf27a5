//! POST /trips/{id}/documents/{document_id}/complete — checks the uploaded
//! file (size as declared; PDF, JPEG or PNG as declared, by its first bytes)
//! and accepts or rejects it. BatchGetItem (trip + document) + HeadObject +
//! GetObject (16 bytes) + PutItem [+ DeleteObject if rejected].
use handoff::domain::trips::Trip;
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
    const NAME: &'static str = "complete-trip-document";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, files: Files::from_env(env, aws)? })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let id = req.path_param("id")?;
        let document = keys::document(&keys::trip_partition(id), req.path_param("document_id")?);
        let doc = owned_document(&self.table, keys::trip(id), document, "trip", |t: &Trip| t.traveler_id == me.user_id).await?;
        self.files.complete_upload(&self.table, doc).await
    }
}
