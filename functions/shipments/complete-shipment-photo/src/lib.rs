//! POST /shipments/{id}/photos/{photo_id}/complete — checks the uploaded
//! photo (size as declared; JPEG, PNG or WebP as declared, by its first
//! bytes) and accepts or rejects it; an accepted photo joins the shipment's
//! photos in the same transaction. BatchGetItem (shipment + photo) +
//! HeadObject + GetObject (16 bytes) + CopyObject + TransactWriteItems +
//! DeleteObject.
use handoff::domain::documents::Document;
use handoff::domain::shipments::{PhotoRef, Shipment};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::shipment_records::next_shipment;
use handoff::platform::store::{record, Record};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let photo = keys::document(&keys::shipment_partition(id), req.path_param("photo_id")?);
    let mut found = table.get_many(&[keys::shipment(id), photo], true).await?.into_iter();
    let shipment: Record<Shipment> = record(found.next().flatten())?
        .filter(|r: &Record<Shipment>| r.data.sender_id == me.user_id)
        .ok_or_else(|| Problem::not_found("shipment"))?;
    let current: Record<Document> = record(found.next().flatten())?.ok_or_else(|| Problem::not_found("photo"))?;
    let now = ctx.now_rfc3339();
    files
        .complete_upload(table, current, |doc| {
            let mut s = shipment.data.clone();
            s.photos.push(PhotoRef { photo_id: doc.document_id.clone(), object_key: doc.object_key.clone() });
            s.updated_at = now;
            vec![next_shipment(&shipment, s)]
        })
        .await
}

pub fn operation() -> Operation {
    Operation::post("/shipments/{id}/photos/{photo_id}/complete", "shipments", "Check an uploaded parcel photo")
        .describe("Size as declared, JPEG, PNG or WebP as declared by its first bytes: accepted or rejected.")
        .reply::<Document>(200, "the photo, accepted or rejected")
        .problem(409, "document-not-uploaded")
        .problem(409, "document-changed")
}
