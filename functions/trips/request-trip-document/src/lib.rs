//! POST /trips/{id}/documents {"type": "ticket"|"boarding_pass", "content_type",
//! "size_bytes"} — a pending document and a presigned S3 PUT URL bound to
//! that type and size (PDF, JPEG or PNG, at most 10 MiB, 15 minutes).
//! GetItem (trip) + PutItem (document); presigning makes no call.
use handoff::domain::documents::DocType;
use handoff::domain::trips::TripStatus;
use handoff::keys;
use handoff::platform::aws::Aws;
use handoff::platform::documents::Files;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::own_trip;

pub struct Function {
    table: Table,
    files: Files,
}

impl HttpFunction for Function {
    const NAME: &'static str = "request-trip-document";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, files: Files::from_env(env, aws)? })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let trip = own_trip(&self.table, req.path_param("id")?, &me.user_id).await?;
        if trip.data.status == TripStatus::Cancelled {
            return Err(Problem::conflict("trip-not-editable", "a cancelled trip takes no documents"));
        }
        self.files.request_upload(&keys::trip_partition(&trip.data.trip_id), req, DocType::FOR_TRIPS).await
    }
}
