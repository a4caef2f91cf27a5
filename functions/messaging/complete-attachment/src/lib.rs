//! POST /conversations/{id}/attachments/{document_id}/complete — checks an
//! uploaded attachment (size and magic bytes): accepted or rejected. Only
//! its author; anyone else 404.
//! GetItem (itinerary) + GetItem (document) + S3 HeadObject/GetObject + writes.
use handoff::domain::documents::Document;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::messaging_records::conversation_of;
use handoff::platform::store::Record;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let doc = req.path_param("document_id")?;
    let table = ctx.table()?;
    conversation_of(table, id, &me.user_id).await?;
    let current: Record<Document> = table
        .get(&keys::document(&keys::attachments_partition(id, &me.user_id), doc), true)
        .await?
        .ok_or_else(|| Problem::not_found("attachment"))?;
    ctx.files()?.complete_upload(table, current, |_| Vec::new()).await
}

pub fn operation() -> Operation {
    Operation::post(
        "/conversations/{id}/attachments/{document_id}/complete",
        "messaging",
        "Check an uploaded attachment",
    )
    .reply::<Document>(200, "the attachment, accepted or rejected")
    .problem(409, "document-not-uploaded")
    .problem(409, "document-changed")
}
