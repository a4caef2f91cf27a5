//! GET /vehicles/{id} — a vehicle, its verification and its documents, for
//! its owner or an administrator (404 for anyone else). One Query.
use handoff::domain::identity::Role;
use handoff::domain::vehicles::Vehicle;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::{with_documents, VehicleView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let (v, docs) =
        with_documents::<Vehicle>(table, keys::vehicle_partition(req.path_param("id")?), entity::VEHICLE).await?;
    let v = v
        .map(|r| r.data)
        .filter(|v| v.owner_id == me.user_id || me.has(Role::Admin))
        .ok_or_else(|| Problem::not_found("vehicle"))?;
    Ok(Reply::ok(&VehicleView { vehicle: v, documents: docs }))
}

pub fn operation() -> Operation {
    Operation::get("/vehicles/{id}", "vehicles", "A vehicle, its verification and its documents")
        .describe("For its owner or an administrator; anyone else: not found.")
        .reply::<VehicleView>(200, "the vehicle")
}
