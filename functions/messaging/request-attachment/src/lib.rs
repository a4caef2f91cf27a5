//! POST /conversations/{id}/attachments {content_type, size_bytes} — a
//! participant starts uploading a file to send (PDF, JPEG, PNG or WebP, at
//! most 10 MiB): a pending document and a presigned PUT URL; then
//! …/attachments/{document_id}/complete checks it. At most 10 per author
//! per conversation.
//! GetItem (itinerary) + Query (the author's uploads) + PutItem.
use handoff::domain::documents::{DocType, Document};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::files::{UploadAnswer, UploadRequest};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::messaging_records::conversation_of;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let table = ctx.table()?;
    conversation_of(table, id, &me.user_id).await?;
    let partition = keys::attachments_partition(id, &me.user_id);
    let existing = table.under::<Document>(partition.clone(), keys::documents_prefix(), 100).await?;
    let existing: Vec<Document> = existing.into_iter().map(|r| r.data).collect();
    ctx.files()?.request_upload(&partition, req, DocType::FOR_MESSAGES, &existing).await
}

pub fn operation() -> Operation {
    Operation::post("/conversations/{id}/attachments", "messaging", "Start uploading a file to send")
        .describe(
            "A pending attachment and a presigned PUT URL bound to its type and size (PDF, JPEG, PNG or WebP, \
             at most 10 MiB, 15 minutes); then call …/complete, and name it in a message's `attachments`.",
        )
        .body::<UploadRequest>()
        .example(serde_json::json!({"content_type": "image/jpeg", "size_bytes": 240000}))
        .reply::<UploadAnswer>(201, "the pending attachment and its upload URL")
        .problem(409, "too-many-documents")
}
