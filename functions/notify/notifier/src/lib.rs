//! The notifier (SQS, fed by an EventBridge rule on the events of
//! `notify::EVENTS`): each event is looked up in the table of event →
//! recipients → notice (`domain::notify::recipients`), and each recipient
//! is sent the notice, in their language, on every channel they allow
//! (email, SMS, push, the in-app inbox), SMS and push held back during their
//! quiet hours. Deliveries are recorded per (event, recipient, channel): a
//! redelivered event sends nothing twice; a channel that failed for now
//! fails the record and the queue retries only what was not sent.
//! Recipients without an account (`domain::notify::contacts`) — the
//! recipient named on a shipment, who gets the delivery code derived with
//! the custody key; support, alerted of a locked delivery — get email and SMS.
//! Per recipient: BatchGetItem (profile + settings), per channel a
//! conditional PutItem (the claim), the send, a PutItem (the outcome); the
//! inbox is one TransactWriteItems.
use handoff::domain::custody::delivery_code;
use handoff::domain::notify::{contacts, recipients};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::hmac_sha256;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::notify_send::{notify_contact, notify_user, Notifier};
use handoff::platform::store::WriteItem;

pub async fn handle(ctx: &Ctx<Notifier>, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let who = recipients(&e.detail_type, &e.data).map_err(EventError::Malformed)?;
    let mut retry = None;
    for (user_id, notice) in who {
        match notify_user(ctx, &e.id, &user_id, &notice).await {
            Ok(o) => tracing::info!(user = %user_id, kind = notice.kind(), sent = ?o.sent, held = ?o.held, "notified"),
            Err(err) => {
                tracing::warn!(user = %user_id, kind = notice.kind(), error = %err, "notification failed; retried");
                retry = Some(err);
            }
        }
    }
    let key = ctx.config.custody_key.as_deref();
    let code_of = |h: &str, nonce: &str| key.map(|k| delivery_code(h, nonce, |d| hmac_sha256(k.as_bytes(), d)));
    let others = contacts(&e.detail_type, &e.data, ctx.config.support_email.as_deref(), code_of)
        .map_err(EventError::Malformed)?;
    for (contact, notice) in others {
        match notify_contact(ctx, &e.id, &contact, &notice).await {
            Ok(o) => tracing::info!(contact = %contact.id, kind = notice.kind(), sent = ?o.sent, "notified"),
            Err(err) => {
                tracing::warn!(contact = %contact.id, kind = notice.kind(), error = %err, "notification failed; retried");
                retry = Some(err);
            }
        }
    }
    match retry {
        Some(err) => Err(err),
        None => Ok(Vec::new()),
    }
}
