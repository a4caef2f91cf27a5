//! PATCH /webhook-endpoints/{id} {url, events, description, enabled} — a
//! changed URL is checked like a new one; enabling a disabled endpoint
//! starts its failure count afresh. GetItem + a versioned PutItem.
use handoff::domain::identity::Role;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::put_versioned;
use handoff::platform::webhook_records::{
    check_endpoint, endpoint_record, own_endpoint, EndpointPatch, EndpointView, NewEndpoint, Webhooks,
};

pub async fn handle(ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let patch: EndpointPatch = req.json()?;
    let current = own_endpoint(ctx.table()?, &me.user_id, req.path_param("id")?).await?;
    let mut e = current.data.clone();
    let wanted = NewEndpoint {
        url: patch.url.clone().unwrap_or_else(|| e.url.clone()),
        events: patch.events.clone().unwrap_or_else(|| e.events.clone()),
        description: patch.description.clone().or_else(|| Some(e.description.clone())),
    };
    let (url, events, description) = check_endpoint(&ctx.config, &wanted).await?;
    (e.url, e.events, e.description) = (url, events, description);
    if let Some(enabled) = patch.enabled {
        if enabled && !e.enabled {
            e.failures_in_a_row = 0;
            e.disabled_reason = None;
        }
        e.enabled = enabled;
    }
    e.updated_at = ctx.now_rfc3339();
    let mut next = endpoint_record(&e);
    next.version = current.version + 1;
    Ok(Reply::ok(&e.view()).writes([put_versioned(&next)]))
}

pub fn operation() -> Operation {
    Operation::patch("/webhook-endpoints/{id}", "webhooks", "Change a webhook endpoint")
        .role(Role::Sender)
        .body::<EndpointPatch>()
        .example(serde_json::json!({"enabled": true}))
        .reply::<EndpointView>(200, "the endpoint now")
}
