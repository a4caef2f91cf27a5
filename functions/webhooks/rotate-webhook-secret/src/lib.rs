//! POST /webhook-endpoints/{id}/rotate-secret — a new signing secret,
//! answered once; the current one keeps signing beside it for 24 hours (each
//! delivery carries both v1 signatures), so receivers switch without losing
//! a delivery. GetItem + a versioned PutItem.
use handoff::domain::identity::Role;
use handoff::domain::webhooks::ROTATION_OVERLAP_SECONDS;
use handoff::platform::context::Ctx;
use handoff::platform::crypto::random_token;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::put_versioned;
use handoff::platform::webhook_records::{endpoint_record, own_endpoint, EndpointView, Secret, Webhooks};
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Rotated {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// The new secret, shown only now.
    pub secret: String,
}

pub async fn handle(ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let current = own_endpoint(ctx.table()?, &me.user_id, req.path_param("id")?).await?;
    let now = ctx.now();
    let mut e = current.data.clone();
    // Secrets already rotated out stop now; the current one gets the overlap.
    e.secrets.retain(|s| s.expires_at.is_none_or(|t| t > now));
    for s in &mut e.secrets {
        s.expires_at =
            Some(s.expires_at.map_or(now + ROTATION_OVERLAP_SECONDS, |t| t.min(now + ROTATION_OVERLAP_SECONDS)));
    }
    let secret = format!("whsec_{}", random_token(24));
    e.secrets.push(Secret { secret: secret.clone(), expires_at: None });
    e.updated_at = ctx.now_rfc3339();
    let mut next = endpoint_record(&e);
    next.version = current.version + 1;
    Ok(Reply::ok(&Rotated { endpoint: e.view(), secret }).writes([put_versioned(&next)]))
}

pub fn operation() -> Operation {
    Operation::post("/webhook-endpoints/{id}/rotate-secret", "webhooks", "Rotate an endpoint's signing secret")
        .role(Role::Sender)
        .reply::<Rotated>(200, "the new secret (the old one signs for 24 more hours)")
}
