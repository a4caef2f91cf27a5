//! POST /webhook-endpoints {url, events, description} — a business
//! customer (sender) subscribes an HTTPS endpoint to events about their
//! shipments. The signing secret is answered once, here. The URL must be
//! https and resolve only to public addresses (checked again at each
//! delivery); at most 10 endpoints per user.
//! Query (the user's endpoints) + PutItem; a DNS lookup of the host.
use handoff::domain::identity::Role;
use handoff::platform::context::Ctx;
use handoff::platform::crypto::{new_id, random_token};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::put_new;
use handoff::platform::webhook_records::{
    check_endpoint, endpoint_record, endpoints_of, Endpoint, EndpointView, NewEndpoint, Secret, Webhooks, MAX_ENDPOINTS,
};
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Created {
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// `whsec_…`: verifies `Handoff-Signature`. Shown only now; keep it safe.
    pub secret: String,
}

pub async fn handle(ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let body: NewEndpoint = req.json()?;
    let (url, events, description) = check_endpoint(&ctx.config, &body).await?;
    let table = ctx.table()?;
    if endpoints_of(table, &me.user_id).await?.len() >= MAX_ENDPOINTS {
        return Err(Problem::conflict("too-many-endpoints", format!("at most {MAX_ENDPOINTS} endpoints per account")));
    }
    let at = ctx.now_rfc3339();
    let secret = format!("whsec_{}", random_token(24));
    let e = Endpoint {
        endpoint_id: new_id(),
        owner_id: me.user_id.clone(),
        url,
        events,
        description,
        enabled: true,
        disabled_reason: None,
        failures_in_a_row: 0,
        secrets: vec![Secret { secret: secret.clone(), expires_at: None }],
        created_at: at.clone(),
        updated_at: at,
    };
    Ok(Reply::json(201, &Created { endpoint: e.view(), secret }).write(put_new(&endpoint_record(&e)), None))
}

pub fn operation() -> Operation {
    Operation::post("/webhook-endpoints", "webhooks", "Subscribe an endpoint to events")
        .describe(
            "Each delivery is a POST of `{id, type, created, data}` signed like Stripe's webhooks: \
             `Handoff-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, \"<t>.<body>\")>` (two v1 while a \
             secret is rotated). Answer 2xx within 10 s; anything else is retried with exponential backoff \
             for about a day; deliveries are at least once, deduplicate by `id`.",
        )
        .role(Role::Sender)
        .body::<NewEndpoint>()
        .example(serde_json::json!({"url": "https://hooks.example.com/handoff", "events": ["ItineraryConfirmed"], "description": "ERP"}))
        .reply::<Created>(201, "the endpoint and its signing secret (shown once)")
        .problem(409, "too-many-endpoints")
}
