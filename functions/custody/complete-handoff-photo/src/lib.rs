//! POST /handoffs/{id}/photos/{photo_id}/complete — checks an uploaded
//! handoff photo (size and magic bytes) and records the SHA-256 of its file,
//! which the delivery proof names. Only its author; anyone else 404.
//! GetItem (custody) + GetItem (photo) + S3 HeadObject/GetObject/CopyObject + writes.
use handoff::domain::documents::Document;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::custody_records::party_step;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::Record;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let photo = req.path_param("photo_id")?;
    let table = ctx.table()?;
    party_step(table, id, &me.user_id).await?;
    let current: Record<Document> = table
        .get(&keys::document(&keys::handoff_photos_partition(id, &me.user_id), photo), true)
        .await?
        .ok_or_else(|| Problem::not_found("photo"))?;
    ctx.files()?.complete_upload(table, current, |_| Vec::new()).await
}

pub fn operation() -> Operation {
    Operation::post("/handoffs/{id}/photos/{photo_id}/complete", "custody", "Check an uploaded handoff photo")
        .reply::<Document>(200, "the photo, accepted (with its sha256) or rejected")
        .problem(409, "document-not-uploaded")
        .problem(409, "document-changed")
}
