//! DELETE /trips/{id} — deletes a draft and its documents (a trip once
//! published is cancelled instead: 409). Query (trip partition) + one
//! transaction (trip, conditional on its version, and its document items),
//! then DeleteObject per uploaded file.
use handoff::domain::trips::Trip;
use handoff::keys::{self, entity};
use handoff::platform::aws::Aws;
use handoff::platform::documents::Files;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::{delete, Cond, Table};
use handoff::platform::trips::{changed_meanwhile, with_documents};

pub struct Function {
    table: Table,
    files: Files,
}

impl HttpFunction for Function {
    const NAME: &'static str = "delete-trip";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, files: Files::from_env(env, aws)? })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let partition = keys::trip_partition(req.path_param("id")?);
        let (trip, docs) = with_documents::<Trip>(&self.table, partition.clone(), entity::TRIP).await?;
        let trip = trip.filter(|r| r.data.traveler_id == me.user_id).ok_or_else(|| Problem::not_found("trip"))?;
        trip.data.ensure_deletable()?;
        let mut writes = vec![delete(&trip.key(), Some(Cond::new("#version = :v").name("#version", "version").value(":v", trip.version)))];
        writes.extend(docs.iter().map(|d| delete(&keys::document(&partition, &d.document_id), None)));
        self.table.transact(writes).await.map_err(|e| match e {
            handoff::platform::store::StoreError::ConditionFailed { .. } => changed_meanwhile(),
            other => other.into(),
        })?;
        let files: Vec<String> = docs.into_iter().map(|d| d.object_key).collect();
        self.files.remove(&files).await;
        Ok(Reply::no_content())
    }
}
