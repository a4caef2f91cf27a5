//! POST /vehicles/{id}/documents {"type": "registration"|"insurance",
//! "content_type", "size_bytes"} — a pending document and a presigned S3 PUT
//! URL (PDF, JPEG or PNG, at most 10 MiB). GetItem (vehicle) + PutItem.
use handoff::domain::documents::DocType;
use handoff::domain::vehicles::Vehicle;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::files::{UploadAnswer, UploadRequest};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::owned_with_documents;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let partition = keys::vehicle_partition(req.path_param("id")?);
    let owns = |v: &Vehicle| v.owner_id == me.user_id;
    let (_, docs) = owned_with_documents(table, partition.clone(), entity::VEHICLE, "vehicle", owns).await?;
    files.request_upload(&partition, req, DocType::FOR_VEHICLES, &docs).await
}

pub fn operation() -> Operation {
    Operation::post("/vehicles/{id}/documents", "vehicles", "Start uploading a registration or insurance document")
        .body::<UploadRequest>()
        .example(serde_json::json!({"type": "registration", "content_type": "image/jpeg", "size_bytes": 250000}))
        .reply::<UploadAnswer>(201, "the pending document and its upload URL")
        .problem(409, "too-many-documents")
}
