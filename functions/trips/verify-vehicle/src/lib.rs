//! PUT /admin/vehicles/{id}/verification {"status": "verified"|"rejected",
//! "note"?} — an administrator's decision. Verifying needs an accepted
//! registration and an accepted insurance document. Query (vehicle +
//! documents) + one transaction (vehicle, VehicleVerificationChanged).
use handoff::domain::documents::{DocStatus, DocType};
use handoff::domain::events::VehicleVerificationChanged;
use handoff::domain::identity::{Role, Verification};
use handoff::domain::vehicles::Vehicle;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::store::put_versioned;
use handoff::platform::trip_records::with_documents;
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "VehicleDecision")]
struct Body {
    /// `verified` or `rejected`.
    #[schemars(regex(pattern = "^(verified|rejected)$"))]
    status: String,
    #[serde(default)]
    note: Option<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let admin = req.require_role(Role::Admin)?;
    let b: Body = req.json()?;
    let decision = Verification::parse_decision(&b.status).map_err(|e| Problem::field("status", e))?;
    if b.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
        return Err(Problem::field("note", "must be at most 500 characters"));
    }
    let (current, docs) =
        with_documents::<Vehicle>(table, keys::vehicle_partition(req.path_param("id")?), entity::VEHICLE).await?;
    let current = current.ok_or_else(|| Problem::not_found("vehicle"))?;
    if decision == Verification::Verified {
        let missing: Vec<&str> = DocType::FOR_VEHICLES
            .iter()
            .filter(|t| !docs.iter().any(|d| d.doc_type == **t && d.status == DocStatus::Accepted))
            .map(|t| t.as_str())
            .collect();
        if !missing.is_empty() {
            return Err(Problem::new(
                422,
                "documents-missing",
                "Documents are missing",
                format!("verifying needs an accepted {} document", missing.join(" and ")),
            ));
        }
    }
    let mut v = current.data.clone();
    v.verification = decision;
    v.verification_note = b.note;
    v.updated_at = ctx.now_rfc3339();
    let event = VehicleVerificationChanged {
        vehicle_id: v.vehicle_id.clone(),
        owner_id: v.owner_id.clone(),
        verification: decision,
        decided_by: admin.user_id.clone(),
    };
    Ok(Reply::ok(&v)
        .write(
            put_versioned(&current.next(v.clone())),
            Some(Problem::conflict("vehicle-changed", "the vehicle was changed by another request; retry")),
        )
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None))
}

pub fn operation() -> Operation {
    Operation::put("/admin/vehicles/{id}/verification", "admin", "Decide a vehicle's verification")
        .describe(
            "Verifying needs an accepted registration and insurance. Rejecting a verified vehicle \
                    withdraws the published trips that use it.",
        )
        .role(Role::Admin)
        .body::<Body>()
        .example(serde_json::json!({"status": "verified"}))
        .reply::<Vehicle>(200, "the vehicle with the decision")
        .problem(409, "vehicle-changed")
        .problem(422, "documents-missing")
}
