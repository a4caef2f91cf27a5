//! POST /trips/{id}/documents {"type": "ticket"|"boarding_pass", "content_type",
//! "size_bytes"} — a pending document and a presigned S3 PUT URL bound to
//! that type and size (PDF, JPEG or PNG, at most 10 MiB, 15 minutes).
//! GetItem (trip) + PutItem (document); presigning makes no call.
use handoff::domain::documents::DocType;
use handoff::domain::trips::{Trip, TripStatus};
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::files::{UploadAnswer, UploadRequest};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::owned_with_documents;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let partition = keys::trip_partition(req.path_param("id")?);
    let (trip, docs) =
        owned_with_documents(table, partition.clone(), entity::TRIP, "trip", |t: &Trip| t.traveler_id == me.user_id)
            .await?;
    if trip.data.status == TripStatus::Cancelled {
        return Err(Problem::conflict("trip-not-editable", "a cancelled trip takes no documents"));
    }
    files.request_upload(&partition, req, DocType::FOR_TRIPS, &docs).await
}

pub fn operation() -> Operation {
    Operation::post("/trips/{id}/documents", "trips", "Start uploading a ticket or boarding pass")
        .describe(
            "A pending document and a presigned PUT URL bound to its type and size (PDF, JPEG or PNG, \
                    at most 10 MiB, 15 minutes); then call …/complete.",
        )
        .body::<UploadRequest>()
        .example(serde_json::json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": 120000}))
        .reply::<UploadAnswer>(201, "the pending document and its upload URL")
        .problem(409, "trip-not-editable")
        .problem(409, "too-many-documents")
}
