//! On a schedule (every 5 minutes): Stripe's recent events are listed and
//! any handled one not yet received is received now, exactly as the webhook
//! does it (a marker by event id and the event through the outbox), so a
//! webhook that never arrived delays a confirmation but never loses one.
//! Looks back from the last run's newest event (less 10 minutes of slack),
//! at most 3 days (as long as Stripe retries a webhook).
//! Stripe (ListEvents, per 100) + BatchGetItem (markers, per 100) + TransactWriteItems per new event + PutItem.
use handoff::keys::Key;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::payment_records::{received, Provider, STRIPE};
use handoff::platform::store::{put, Record, StoreError};
use handoff::platform::stripe::HANDLED;
use serde::{Deserialize, Serialize};

/// At most this many pages of 100 events per run.
const PAGES: usize = 20;
const LOOKBACK_SECONDS: i64 = 3 * 24 * 3600;
const SLACK_SECONDS: i64 = 600;

#[derive(Debug, Serialize)]
pub struct Report {
    pub listed: usize,
    pub received: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Checkpoint {
    newest: i64,
}

pub async fn handle(ctx: &Ctx<Provider>, _scheduled: serde_json::Value) -> Result<Report, EventError> {
    let table = ctx.table()?;
    // Stripe's events carry Stripe's times: compared with the system's clock
    // (the local stack's may be moved), in a test as on AWS.
    let now = ctx.clock.wall();
    let last: Option<Record<Checkpoint>> = table.get(&handoff::keys::provider_sync(STRIPE), true).await?;
    let since = last.map_or(now - LOOKBACK_SECONDS, |c| (c.data.newest - SLACK_SECONDS).max(now - LOOKBACK_SECONDS));
    let mut report = Report { listed: 0, received: Vec::new() };
    let mut newest = since;
    let mut after: Option<String> = None;
    for _ in 0..PAGES {
        let page =
            ctx.config.stripe.events(since, after.as_deref()).await.map_err(|e| EventError::dependency("Stripe", e))?;
        report.listed += page.data.len();
        let handled: Vec<_> = page.data.iter().filter(|e| HANDLED.contains(&e.kind.as_str())).collect();
        let keys: Vec<Key> = handled.iter().map(|e| handoff::keys::provider_event(STRIPE, &e.id)).collect();
        let seen = if keys.is_empty() { Vec::new() } else { table.get_many(&keys, true).await? };
        for (e, s) in handled.iter().zip(seen) {
            newest = newest.max(e.created);
            if s.is_some() {
                continue;
            }
            match table.transact(received(STRIPE, e, now)).await {
                Ok(()) => report.received.push(e.id.clone()),
                Err(StoreError::ConditionFailed { .. }) => {}
                Err(err) => return Err(err.into()),
            }
        }
        after = page.data.last().map(|e| e.id.clone());
        if !page.has_more || after.is_none() {
            break;
        }
    }
    let cp = Record::new(handoff::keys::provider_sync(STRIPE), "ProviderSyncCheckpoint", Checkpoint { newest });
    table.write_one(put(&cp, None)).await?;
    tracing::info!(listed = report.listed, received = report.received.len(), "stripe events reconciled");
    Ok(report)
}
