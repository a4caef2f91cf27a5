//! POST /webhooks/stripe — Stripe's webhooks (public: no token; the
//! signature is the proof). `Stripe-Signature` is checked (HMAC-SHA256 of
//! `t.payload` under any current secret, 300 s tolerance, constant time);
//! a bad or stale signature is refused with 400. An event the platform
//! handles is received once by its id (a marker and the event through the
//! outbox, one transaction) and applied by the payments consumer; a repeat
//! answers 200 and changes nothing, as does a type the platform ignores.
//! TransactWriteItems (handled types only).
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payment_records::{received, STRIPE};
use handoff::platform::store::StoreError;
use handoff::platform::stripe::{verify_signature, Event, HANDLED, SIGNATURE_TOLERANCE};
use serde::{Deserialize, Serialize};

/// `STRIPE_WEBHOOK_SECRETS`: the endpoint's signing secrets, comma-separated
/// (two during a rotation).
pub struct Config {
    secrets: Vec<String>,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let secrets: Vec<String> = env
            .require("STRIPE_WEBHOOK_SECRETS")?
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        if secrets.is_empty() {
            return Err(Env::invalid("STRIPE_WEBHOOK_SECRETS", "names no secret"));
        }
        Ok(Self { secrets })
    }
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WebhookReceived {
    pub event_id: String,
    /// Whether the platform acts on this type of event.
    pub handled: bool,
    /// Received before: nothing was done again.
    pub duplicate: bool,
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    // Stripe's timestamp is compared with the system's clock (the local stack's may be moved).
    verify_signature(
        &req.body,
        req.header("stripe-signature"),
        &ctx.config.secrets,
        ctx.clock.wall(),
        SIGNATURE_TOLERANCE,
    )
    .map_err(|e| Problem::bad_request("invalid-signature", e.to_string()))?;
    let event: Event = serde_json::from_slice(&req.body)
        .map_err(|e| Problem::bad_request("invalid-event", format!("not a Stripe event: {e}")))?;
    let handled = HANDLED.contains(&event.kind.as_str());
    let mut duplicate = false;
    if handled {
        match ctx.table()?.transact(received(STRIPE, &event, ctx.now())).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => duplicate = true,
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(event_id = %event.id, event_type = %event.kind, handled, duplicate, "stripe webhook");
    Ok(Reply::ok(&WebhookReceived { event_id: event.id, handled, duplicate }))
}

pub fn operation() -> Operation {
    Operation::post("/webhooks/stripe", "payments", "Stripe's webhook endpoint")
        .describe(
            "Called by Stripe, signed with `Stripe-Signature` (t=…,v1=…). Handled: payment_intent.succeeded, \
             payment_intent.payment_failed, payment_intent.canceled, payment_intent.requires_action, \
             charge.refunded, charge.dispute.created, charge.dispute.closed, account.updated, transfer.reversed; \
             other types are acknowledged and ignored. Each event is applied once, in any order.",
        )
        .public()
        .body::<Event>()
        .reply::<WebhookReceived>(200, "received (or received before)")
        .problem(400, "invalid-signature")
        .problem(400, "invalid-event")
}
