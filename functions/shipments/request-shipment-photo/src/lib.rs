//! POST /shipments/{id}/photos {"content_type", "size_bytes"} — a pending
//! photo of a draft shipment's parcel and a presigned S3 PUT URL bound to
//! its type and size (JPEG, PNG or WebP, at most 10 MiB, 15 minutes).
//! Query (shipment + photos) + PutItem; presigning makes no call.
use handoff::domain::documents::DocType;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::files::{UploadAnswer, UploadRequest};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::shipment_records::own_shipment;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let (s, photos) = own_shipment(ctx.table()?, id, &me.user_id).await?;
    s.data.ensure_draft()?;
    files.request_upload(&keys::shipment_partition(id), req, DocType::FOR_SHIPMENTS, &photos).await
}

pub fn operation() -> Operation {
    Operation::post("/shipments/{id}/photos", "shipments", "Start uploading a photo of the parcel")
        .describe(
            "A pending photo and a presigned PUT URL bound to its type and size (JPEG, PNG or WebP, at most \
             10 MiB, 15 minutes); then call …/complete. A shipment needs one accepted photo before booking.",
        )
        .body::<UploadRequest>()
        .example(serde_json::json!({"content_type": "image/jpeg", "size_bytes": 240000}))
        .reply::<UploadAnswer>(201, "the pending photo and its upload URL")
        .problem(409, "shipment-not-draft")
        .problem(409, "too-many-documents")
}
