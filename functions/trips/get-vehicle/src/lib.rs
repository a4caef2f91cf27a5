//! GET /vehicles/{id} — a vehicle, its verification and its documents, for
//! its owner or an administrator (404 for anyone else). One Query.
use handoff::domain::identity::Role;
use handoff::domain::vehicles::Vehicle;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Problem, Reply};
use handoff::platform::trip_records::with_documents;
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let (v, docs) =
        with_documents::<Vehicle>(table, keys::vehicle_partition(req.path_param("id")?), entity::VEHICLE).await?;
    let v = v
        .map(|r| r.data)
        .filter(|v| v.owner_id == me.user_id || me.has(Role::Admin))
        .ok_or_else(|| Problem::not_found("vehicle"))?;
    let mut body = json!(v);
    body["documents"] = json!(docs);
    Ok(Reply::ok(&body))
}
