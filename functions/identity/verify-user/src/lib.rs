//! PUT /admin/users/{id}/verification {"status": "verified"|"rejected"} — an
//! administrator's identity decision (KYC arrives later); publishing a trip
//! needs a verified traveler. GetItem + one transaction (user,
//! UserVerificationChanged).
use handoff::domain::events::UserVerificationChanged;
use handoff::domain::identity::{Role, User, Verification};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::store::{put_versioned, Record};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "VerificationDecision")]
struct Body {
    /// `verified` or `rejected`.
    #[schemars(regex(pattern = "^(verified|rejected)$"))]
    status: String,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let admin = req.require_role(Role::Admin)?;
    let b: Body = req.json()?;
    let decision = Verification::parse_decision(&b.status).map_err(|e| Problem::field("status", e))?;
    let current: Record<User> =
        table.get(&keys::user(req.path_param("id")?), true).await?.ok_or_else(|| Problem::not_found("user"))?;
    let mut user = current.data.clone();
    user.verification = decision;
    user.updated_at = ctx.now_rfc3339();
    let event = UserVerificationChanged {
        user_id: user.user_id.clone(),
        verification: decision,
        decided_by: admin.user_id.clone(),
    };
    Ok(Reply::ok(&user)
        .write(
            put_versioned(&current.next(user.clone())),
            Some(Problem::conflict("profile-changed", "the user was changed by another request; retry")),
        )
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None))
}

pub fn operation() -> Operation {
    Operation::put("/admin/users/{id}/verification", "admin", "Decide a user's identity verification")
        .describe("Rejecting a verified traveler withdraws their published trips.")
        .role(Role::Admin)
        .body::<Body>()
        .example(serde_json::json!({"status": "verified"}))
        .reply::<User>(200, "the user with the decision")
        .problem(409, "profile-changed")
}
