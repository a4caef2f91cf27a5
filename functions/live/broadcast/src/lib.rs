//! The broadcaster (SQS, fed by a rule on `domain::live::events()`): a
//! custody event goes to every connection following its shipment as a
//! tracking message (kinds, times, places, the nearest city: what the
//! public page may show); an event that notifies someone goes to each of
//! their signed-in connections as a notification hint (the app then reads
//! its inbox). Connections that are gone are forgotten. Live messages are
//! best effort: a post that fails is logged, not retried (a client that
//! reconnects reads the timeline or inbox), so a retry never repeats them.
//! Query (followers) + per connection PostToConnection; per notified user
//! Query gsi1 (their connections) + PostToConnection each.
use handoff::domain::live::{tracking_message, LiveMessage};
use handoff::domain::notify::{recipients, Channel};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::live_records::{post, Posted};
use handoff::platform::store::{Query, WriteItem};

async fn send(ctx: &Ctx, connection_id: &str, msg: &LiveMessage) -> usize {
    match post(ctx, connection_id, msg).await {
        Ok(Posted::Sent) => 1,
        Ok(Posted::Gone) => 0,
        Err(e) => {
            tracing::warn!(connection = %connection_id, error = %e, "live message not sent");
            0
        }
    }
}

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let table = ctx.table()?;
    let mut sent = 0;
    if let Some((shipment, msg)) = tracking_message(&e.detail_type, &e.data) {
        let (followers, _) = table.query_all::<serde_json::Value>(keys::ws_subscribers(&shipment), 10).await?;
        for f in followers {
            if let Some(id) = f.data["connection_id"].as_str() {
                sent += send(ctx, id, &msg).await;
            }
        }
    }
    for (user, notice) in recipients(&e.detail_type, &e.data).unwrap_or_default() {
        if !notice.uses(Channel::InApp) {
            continue;
        }
        let conns = table
            .query::<serde_json::Value>(Query {
                index: Some("gsi1"),
                partition: keys::ws_user(&user),
                sort_prefix: None,
                forward: true,
                limit: 50,
                cursor: None,
            })
            .await?;
        let msg = LiveMessage::Notification { kind: notice.kind().into(), link: notice.link() };
        for c in conns.items {
            if let Some(id) = c.data["connection_id"].as_str() {
                sent += send(ctx, id, &msg).await;
            }
        }
    }
    tracing::info!(event = %e.detail_type, sent, "broadcast");
    Ok(Vec::new())
}
