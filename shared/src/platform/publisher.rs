//! The outbox publisher: table stream → EventBridge. Each outbox item
//! becomes one PutEvents entry whose `detail` is the stored envelope, so a
//! retried publish repeats the same event id (consumers dedupe on it).
use aws_lambda_events::event::dynamodb::Event as StreamEvent;
use aws_lambda_events::event::streams::{DynamoDbBatchItemFailure, DynamoDbEventResponse};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use std::time::Duration;

use super::context::{Ctx, FromEnv};
use super::env::{ConfigError, Env};
use super::lambda::EventError;
use super::observability::metric;
use super::outbox::OutboxItem;
use crate::keys::entity;

pub const MAX_ENTRIES_PER_CALL: usize = 10;
pub const ATTEMPTS: u32 = 4;

/// The bus events are put on (`EVENT_BUS_NAME`).
pub struct Config {
    bus: String,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { bus: env.require("EVENT_BUS_NAME")? })
    }
}

/// Puts `entries` on the bus, retrying only the failed ones; returns the
/// indices that still failed after the last attempt.
async fn put(eventbridge: &aws_sdk_eventbridge::Client, entries: &[PutEventsRequestEntry]) -> Vec<usize> {
    let mut pending: Vec<usize> = (0..entries.len()).collect();
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(50 << attempt)).await;
        }
        let batch: Vec<_> = pending.iter().map(|&i| entries[i].clone()).collect();
        match eventbridge.put_events().set_entries(Some(batch)).send().await {
            Ok(out) => {
                let results = out.entries.unwrap_or_default();
                pending = pending
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| results.get(*j).is_none_or(|r| r.error_code.is_some() || r.event_id.is_none()))
                    .map(|(_, &i)| i)
                    .collect();
            }
            Err(e) => tracing::warn!(error = %super::error::Chain(&e), attempt, "PutEvents failed"),
        }
        if pending.is_empty() {
            break;
        }
    }
    pending
}

/// Publishes in stream order; on a failure, reports the first record not
/// published so the stream retries from there (records after it too).
pub async fn handle(ctx: &Ctx<Config>, event: StreamEvent) -> Result<DynamoDbEventResponse, EventError> {
    let mut outbox: Vec<(String, PutEventsRequestEntry)> = Vec::new();
    for r in event.records {
        if r.event_name != "INSERT" {
            continue;
        }
        let is_outbox =
            matches!(r.change.new_image.get("entity"), Some(serde_dynamo::AttributeValue::S(s)) if s == entity::OUTBOX);
        if !is_outbox {
            continue;
        }
        let seq = r.change.sequence_number.clone().unwrap_or_default();
        let item: OutboxItem = match serde_dynamo::from_item(r.change.new_image) {
            Ok(i) => i,
            Err(e) => {
                tracing::error!(sequence = %seq, error = %e, "unreadable outbox item; skipped");
                continue;
            }
        };
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&ctx.config.bus)
            .source(item.source)
            .detail_type(item.detail_type)
            .detail(item.detail)
            .build();
        outbox.push((seq, entry));
    }
    let mut resp = DynamoDbEventResponse::default();
    for chunk in outbox.chunks(MAX_ENTRIES_PER_CALL) {
        let entries: Vec<_> = chunk.iter().map(|(_, e)| e.clone()).collect();
        let failed = put(ctx.eventbridge(), &entries).await;
        if let Some(&first) = failed.iter().min() {
            tracing::error!(failed = failed.len(), "events not published; the stream will retry");
            metric(ctx.name, "EventsNotPublished", failed.len() as f64, "Count");
            let mut f = DynamoDbBatchItemFailure::default();
            f.item_identifier = Some(chunk[first].0.clone());
            resp.batch_item_failures.push(f);
            return Ok(resp);
        }
        tracing::info!(published = entries.len(), "events published");
        metric(ctx.name, "EventsPublished", entries.len() as f64, "Count");
    }
    Ok(resp)
}
