//! POST /vehicles/{id}/documents/{document_id}/complete — checks the uploaded
//! file and accepts or rejects it (see complete-trip-document).
//! BatchGetItem (vehicle + document) + HeadObject + GetObject + PutItem.
use handoff::domain::documents::Document;
use handoff::domain::vehicles::Vehicle;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::owned_document;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let document = keys::document(&keys::vehicle_partition(id), req.path_param("document_id")?);
    let doc =
        owned_document(table, keys::vehicle(id), document, "vehicle", |v: &Vehicle| v.owner_id == me.user_id).await?;
    files.complete_upload(table, doc, |_| Vec::new()).await
}

pub fn operation() -> Operation {
    Operation::post("/vehicles/{id}/documents/{document_id}/complete", "vehicles", "Check an uploaded vehicle document")
        .reply::<Document>(200, "the document, accepted or rejected")
        .problem(409, "document-not-uploaded")
        .problem(409, "document-changed")
}
