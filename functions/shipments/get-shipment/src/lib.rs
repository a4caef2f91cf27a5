//! GET /shipments/{id} — the sender's shipment with its photo uploads and
//! customs declaration. Anyone else's answers 404. One Query.
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::shipment_records::{own_shipment, ShipmentView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (s, photos) = own_shipment(ctx.table()?, req.path_param("id")?, &me.user_id).await?;
    Ok(Reply::ok(&ShipmentView { shipment: s.data, photo_uploads: photos }))
}

pub fn operation() -> Operation {
    Operation::get("/shipments/{id}", "shipments", "A shipment of the caller's")
        .reply::<ShipmentView>(200, "the shipment")
}
