//! DELETE /shipments/{id} — deletes a draft shipment, its photo records and
//! (best effort, after the table) their files. Query + one
//! TransactWriteItems (the shipment conditional on its version).
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::shipment_records::{own_shipment, shipment_changed};
use handoff::platform::store::{delete, Cond};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let (current, photos) = own_shipment(table, id, &me.user_id).await?;
    current.data.ensure_draft()?;
    let mut writes =
        vec![delete(&current.key(), Some(Cond::new("#v = :v").name("#v", "version").value(":v", current.version)))];
    writes.extend(photos.iter().map(|d| delete(&keys::document(&keys::shipment_partition(id), &d.document_id), None)));
    table.write_all(writes).await.map_err(|e| match e {
        handoff::platform::store::StoreError::ConditionFailed { .. } => shipment_changed(),
        e => e.into(),
    })?;
    ctx.files()?.remove(&photos.iter().map(|d| d.object_key.clone()).collect::<Vec<_>>()).await;
    Ok(Reply::no_content())
}

pub fn operation() -> Operation {
    Operation::delete("/shipments/{id}", "shipments", "Delete a draft shipment and its photos")
        .no_content("deleted")
        .problem(409, "shipment-not-draft")
        .problem(409, "shipment-changed")
}
