//! SES feedback (SQS, fed by an EventBridge rule on the default bus: SES
//! sends the configuration set's bounce and complaint events there): a
//! permanent bounce or a complaint suppresses email for that address of its
//! user, until the user changes their address. Transient bounces change
//! nothing. Applying the same feedback twice changes nothing more.
//! Per address: GetItem (`EMAIL#<address>`) + the settings' GetItem and a
//! versioned PutItem.
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use handoff::domain::notify::{ses_failing_addresses as failing_addresses, Channel};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::notify_records::Suppression;
use handoff::platform::notify_send::{change_settings, Notifier};
use handoff::platform::sessions::EmailClaim;
use serde_json::Value;

async fn apply(ctx: &Ctx<Notifier>, event: &Value) -> Result<usize, EventError> {
    let table = ctx.table()?;
    let mut n = 0;
    for (address, why) in failing_addresses(event) {
        let Some(claim) = table.get::<EmailClaim>(&keys::email(&address), true).await? else {
            tracing::info!(%address, "feedback for an address no user has");
            continue;
        };
        let at = ctx.now_rfc3339();
        change_settings(table, &claim.data.user_id, |s| {
            if !s.is_suppressed(Channel::Email, &address) {
                s.suppressed.insert(
                    Channel::Email,
                    Suppression { address: address.clone(), reason: why.clone(), at: at.clone() },
                );
            }
        })
        .await?;
        tracing::info!(user = %claim.data.user_id, reason = %why, "email suppressed");
        n += 1;
    }
    Ok(n)
}

pub async fn handle(ctx: &Ctx<Notifier>, batch: SqsEvent) -> Result<SqsBatchResponse, EventError> {
    let mut failures = Vec::new();
    for r in batch.records {
        let id = r.message_id.clone().unwrap_or_default();
        let event: Value = match r.body.as_deref().map(serde_json::from_str) {
            Some(Ok(v)) => v,
            _ => {
                tracing::error!(message = %id, "not an EventBridge event; dropped");
                continue;
            }
        };
        if let Err(e) = apply(ctx, &event).await {
            tracing::warn!(message = %id, error = %e, "feedback not applied; retried");
            let mut f = BatchItemFailure::default();
            f.item_identifier = id;
            failures.push(f);
        }
    }
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = failures;
    Ok(resp)
}
