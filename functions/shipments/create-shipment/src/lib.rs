//! POST /shipments — a draft shipment: its package (category, weight, size,
//! declared value, contents with HS codes), the sender's and the recipient's
//! contacts and places. Prohibited goods are refused with the reason.
//! Senders only. One TransactWriteItems (the shipment + ShipmentCreated).
use handoff::domain::events::ShipmentCreated;
use handoff::domain::identity::Role;
use handoff::domain::places::Gazetteer;
use handoff::domain::shipments::{Shipment, ShipmentIn};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::new_id;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::shipment_records::{new_shipment, ShipmentView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let body: ShipmentIn = req.json()?;
    let s = Shipment::draft(new_id(), me.user_id.clone(), &body, Gazetteer::embedded(), ctx.now_rfc3339())?;
    let event = ShipmentCreated {
        shipment_id: s.shipment_id.clone(),
        sender_id: s.sender_id.clone(),
        category: s.package.category,
        weight_grams: s.package.weight_grams,
        origin_country: s.origin_country().into(),
        destination_country: s.destination_country().into(),
    };
    Ok(Reply::json(201, &ShipmentView { shipment: s.clone(), photo_uploads: Vec::new() })
        .header("location", &format!("/shipments/{}", s.shipment_id))
        .write(new_shipment(&s), None)
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None))
}

pub fn operation() -> Operation {
    Operation::post("/shipments", "shipments", "Create a draft shipment")
        .describe(
            "The package (prohibited goods — weapons, explosives, hazardous materials, cash, drugs — are \
             refused with the reason), its contents (HS 2022 codes checked), and both contacts with their places.",
        )
        .role(Role::Sender)
        .body::<ShipmentIn>()
        .example(serde_json::json!({
            "package": {"category": "clothing", "weight_grams": 800,
                "dimensions_cm": {"length_cm": 30, "width_cm": 20, "height_cm": 10},
                "declared_value": {"amount": 12000, "currency": "EUR"},
                "contents": [{"description": "Wool scarf", "quantity": 2, "unit_value": 6000,
                              "origin_country": "FR", "hs_code": "6117.10"}]},
            "sender": {"name": "Ana Martin", "email": "ana@example.com", "phone": "+33612345678",
                "address": {"country": "FR", "lines": ["1 rue de Rivoli"], "postcode": "75001", "city": "Paris"},
                "place": "airport:CDG"},
            "recipient": {"name": "Ben Jones", "email": "ben@example.co.uk", "phone": "+447700900123",
                "address": {"country": "GB", "lines": ["1 Oxford St"], "postcode": "W1D 1AN", "city": "London"},
                "place": "airport:LHR"}}))
        .reply::<ShipmentView>(201, "the draft shipment")
        .header("location", "the shipment's URL")
        .problem(422, "prohibited-goods")
}
