//! POST /trips/{id}/documents/{document_id}/complete — checks the uploaded
//! file (size as declared; PDF, JPEG or PNG as declared, by its first bytes)
//! and accepts or rejects it. BatchGetItem (trip + document) + HeadObject +
//! GetObject (16 bytes) + PutItem [+ DeleteObject if rejected].
use handoff::domain::documents::Document;
use handoff::domain::trips::Trip;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::owned_document;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let document = keys::document(&keys::trip_partition(id), req.path_param("document_id")?);
    let doc = owned_document(table, keys::trip(id), document, "trip", |t: &Trip| t.traveler_id == me.user_id).await?;
    files.complete_upload(table, doc, |_| Vec::new()).await
}

pub fn operation() -> Operation {
    Operation::post("/trips/{id}/documents/{document_id}/complete", "trips", "Check an uploaded trip document")
        .describe("Size as declared, PDF, JPEG or PNG as declared by its first bytes: accepted or rejected.")
        .reply::<Document>(200, "the document, accepted or rejected")
        .problem(409, "document-not-uploaded")
        .problem(409, "document-changed")
}
