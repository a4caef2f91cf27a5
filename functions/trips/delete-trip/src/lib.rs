//! DELETE /trips/{id} — deletes a draft and its documents (a trip once
//! published is cancelled instead: 409). Query (trip partition) + one
//! transaction (trip, conditional on its version, and its document items),
//! then DeleteObject per uploaded file.
use handoff::domain::trips::Trip;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{delete, Cond};
use handoff::platform::trip_records::{changed_meanwhile, owned_with_documents, trip_rule_problems};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let files = ctx.files()?;
    let table = ctx.table()?;
    let me = req.principal()?;
    let partition = keys::trip_partition(req.path_param("id")?);
    let (trip, docs) =
        owned_with_documents(table, partition.clone(), entity::TRIP, "trip", |t: &Trip| t.traveler_id == me.user_id)
            .await?;
    trip.data.ensure_deletable()?;
    let mut writes = vec![delete(
        &trip.key(),
        Some(Cond::new("#version = :v").name("#version", "version").value(":v", trip.version)),
    )];
    writes.extend(docs.iter().map(|d| delete(&keys::document(&partition, &d.document_id), None)));
    table.transact(writes).await.map_err(|e| match e {
        handoff::platform::store::StoreError::ConditionFailed { .. } => changed_meanwhile(),
        other => other.into(),
    })?;
    let objects: Vec<String> = docs.into_iter().map(|d| d.object_key).collect();
    files.remove(&objects).await;
    Ok(Reply::no_content())
}

pub fn operation() -> Operation {
    Operation::delete("/trips/{id}", "trips", "Delete a draft trip and its documents")
        .no_content("the trip is deleted")
        .problems_of(trip_rule_problems())
}
