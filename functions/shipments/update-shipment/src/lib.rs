//! PATCH /shipments/{id} — changes a draft: each of package, sender and
//! recipient given replaces the old one (and drops the customs declaration
//! built from them). Query + one versioned PutItem.
use handoff::domain::places::Gazetteer;
use handoff::domain::shipments::ShipmentPatch;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::shipment_records::{next_shipment, own_shipment, shipment_changed, ShipmentView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let patch: ShipmentPatch = req.json()?;
    let (current, photos) = own_shipment(ctx.table()?, req.path_param("id")?, &me.user_id).await?;
    let mut s = current.data.clone();
    s.change(&patch, Gazetteer::embedded())?;
    s.updated_at = ctx.now_rfc3339();
    Ok(Reply::ok(&ShipmentView { shipment: s.clone(), photo_uploads: photos })
        .write(next_shipment(&current, s), Some(shipment_changed())))
}

pub fn operation() -> Operation {
    Operation::patch("/shipments/{id}", "shipments", "Change a draft shipment")
        .describe(
            "Each part given (package, sender, recipient) replaces the old one; the customs declaration is dropped.",
        )
        .body::<ShipmentPatch>()
        .example(serde_json::json!({"package": {"category": "documents", "weight_grams": 200,
            "dimensions_cm": {"length_cm": 32, "width_cm": 23, "height_cm": 2},
            "declared_value": {"amount": 0, "currency": "EUR"}}}))
        .reply::<ShipmentView>(200, "the shipment as changed")
        .problem(409, "shipment-not-draft")
        .problem(409, "shipment-changed")
        .problem(422, "prohibited-goods")
}
