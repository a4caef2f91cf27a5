//! POST /vehicles {"make", "model", "plate", "capacity_grams"} — registers a
//! vehicle for car legs, unverified until an administrator verifies its
//! registration and insurance. Travelers only. One write.
use handoff::domain::identity::{Role, Verification};
use handoff::domain::validation::Errors;
use handoff::domain::vehicles::{parse_label, parse_plate, Vehicle};
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::new_id;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{put_new, Record};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewVehicle")]
struct Body {
    make: String,
    model: String,
    plate: String,
    capacity_grams: u32,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Traveler)?;
    let b: Body = req.json()?;
    let mut errors = Errors::new();
    let make = errors.check("make", parse_label(&b.make));
    let model = errors.check("model", parse_label(&b.model));
    let plate = errors.check("plate", parse_plate(&b.plate));
    if !(1..=2_000_000).contains(&b.capacity_grams) {
        errors.push("capacity_grams", "must be from 1 to 2000000");
    }
    let (make, model, plate) = errors.finish((|| Some((make?, model?, plate?)))())?;
    let now = ctx.now_rfc3339();
    let v = Vehicle {
        vehicle_id: new_id(),
        owner_id: me.user_id.clone(),
        make,
        model,
        plate,
        capacity_grams: b.capacity_grams,
        verification: Verification::Unverified,
        verification_note: None,
        created_at: now.clone(),
        updated_at: now,
    };
    let record = Record::new(keys::vehicle(&v.vehicle_id), entity::VEHICLE, v.clone()).gsi1(keys::vehicles_of(
        &v.owner_id,
        &v.created_at,
        &v.vehicle_id,
    ));
    Ok(Reply::json(201, &v).header("location", &format!("/vehicles/{}", v.vehicle_id)).write(put_new(&record), None))
}

pub fn operation() -> Operation {
    Operation::post("/vehicles", "vehicles", "Register a vehicle for car legs")
        .role(Role::Traveler)
        .body::<Body>()
        .example(serde_json::json!({"make": "Renault", "model": "Zoe", "plate": "ZH 12345", "capacity_grams": 50000}))
        .reply::<Vehicle>(201, "the vehicle, unverified")
        .header("location", "the vehicle's URL")
}
