//! POST /handoffs/{id}/photos {content_type, size_bytes} — a party of a
//! pending handoff starts uploading a photo of the parcel (JPEG, PNG or
//! WebP, at most 10 MiB): a pending document and a presigned PUT URL; then
//! …/photos/{photo_id}/complete checks it and records its SHA-256, and the
//! scan or delivery names it. At most 10 per party and handoff.
//! GetItem (custody) + Query (the caller's photos) + PutItem.
use handoff::domain::custody::StepStatus;
use handoff::domain::documents::{DocType, Document};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::custody_records::party_step;
use handoff::platform::files::{UploadAnswer, UploadRequest};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let table = ctx.table()?;
    let (c, n) = party_step(table, id, &me.user_id).await?;
    let step = &c.data.steps[n];
    let mine = [&step.giver, &step.receiver].iter().any(|p| p.user_id.as_deref() == Some(me.user_id.as_str()));
    if !mine {
        return Err(Problem::forbidden("only the giving and the receiving party of this handoff take its photos"));
    }
    if step.status != StepStatus::Pending {
        return Err(Problem::conflict("handoff-not-pending", "this handoff is complete or locked"));
    }
    let partition = keys::handoff_photos_partition(id, &me.user_id);
    let existing = table.under::<Document>(partition.clone(), keys::documents_prefix(), 100).await?;
    let existing: Vec<Document> = existing.into_iter().map(|r| r.data).collect();
    ctx.files()?.request_upload(&partition, req, DocType::FOR_SHIPMENTS, &existing).await
}

pub fn operation() -> Operation {
    Operation::post("/handoffs/{id}/photos", "custody", "Start uploading a photo of the parcel at a handoff")
        .describe(
            "A pending photo and a presigned PUT URL bound to its type and size (JPEG, PNG or WebP, at most \
             10 MiB, 15 minutes); then call …/complete and name it in the scan or delivery.",
        )
        .body::<UploadRequest>()
        .example(serde_json::json!({"content_type": "image/jpeg", "size_bytes": 240000}))
        .reply::<UploadAnswer>(201, "the pending photo and its upload URL")
        .problem(403, "forbidden")
        .problem(409, "handoff-not-pending")
        .problem(409, "too-many-documents")
}
