//! Outbound webhooks (SQS, fed by an EventBridge rule on webhooks::EVENTS):
//! each event goes to its owner's enabled endpoints subscribed to its type.
//! A delivery per (event, endpoint) is claimed first (retrying, due after
//! the first backoff), so a crash leaves it to retry-webhooks and a
//! redelivered event sends nothing twice; then it is attempted at once.
//! Query (the owner's endpoints) + per endpoint: PutItem (claim), the POST,
//! PutItem (outcome) [+ the endpoint's bookkeeping].
use handoff::domain::webhooks::{backoff, owner_of, Payload, EVENTS};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::store::{StoreError, WriteItem};
use handoff::platform::webhook_records::{attempt, delivery_claim, endpoints_of, Delivery, DeliveryStatus, Webhooks};

pub async fn handle(ctx: &Ctx<Webhooks>, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    if !EVENTS.contains(&e.detail_type.as_str()) {
        return Ok(Vec::new());
    }
    let Some(owner) = owner_of(&e.data) else {
        return Ok(Vec::new());
    };
    let table = ctx.table()?;
    let endpoints = endpoints_of(table, &owner).await?;
    let payload = serde_json::to_string(&Payload {
        id: e.id.clone(),
        kind: e.detail_type.clone(),
        created: e.occurred_at.clone(),
        data: e.data.clone(),
    })
    .map_err(EventError::Malformed)?;
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let mut retry = None;
    for ep in endpoints.iter().filter(|ep| ep.data.enabled && ep.data.events.contains(&e.detail_type)) {
        let mut d = Delivery {
            delivery_id: e.id.clone(),
            endpoint_id: ep.data.endpoint_id.clone(),
            owner_id: owner.clone(),
            event_type: e.detail_type.clone(),
            status: DeliveryStatus::Retrying,
            attempts: 0,
            last_status_code: None,
            last_error: None,
            next_attempt_at: Some(now + backoff(1, ctx.config.retry_base)),
            payload: payload.clone(),
            created_at: at.clone(),
            updated_at: at.clone(),
        };
        match table.write_one(delivery_claim(&d, now)).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(err) => {
                retry = Some(err.into());
                continue;
            }
        }
        if let Err(err) = attempt(ctx, ep, &mut d).await {
            // The claim stays due: retry-webhooks finishes it.
            tracing::warn!(endpoint = %d.endpoint_id, error = %err, "webhook attempt not recorded");
        }
    }
    match retry {
        Some(err) => Err(err),
        None => Ok(Vec::new()),
    }
}
