//! SQS consumers of bus events: records processed concurrently, each
//! event's writes committed once (a processed-marker per consumer and event
//! id in the same transaction), partial batch failures reported.
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::types::TransactWriteItem;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::future::Future;
use tracing::Instrument;

use super::aws::Aws;
use super::clock::now_unix;
use super::env::{ConfigError, Env};
use super::events::{BusMessage, Envelope};
use super::lambda::EventFunction;
use super::observability::metric;
use super::store::{put_new, Record, StoreError, Table};
use crate::keys::{self, entity};

/// How long a processed-marker is kept: longer than any redelivery (SQS retention is at most 14 days).
pub const DEDUPE_RETENTION_SECONDS: i64 = 15 * 24 * 3600;
pub const CONCURRENCY: usize = 8;

/// Handles one event by returning the writes it causes; the helper commits
/// them with the processed-marker, so a redelivered event changes nothing.
pub trait Consumer: Send + Sync + Sized + 'static {
    const NAME: &'static str;
    /// When a condition of the consumer's own writes fails: `false` skips the
    /// event as stale (a newer state is stored); `true` fails it so the queue
    /// redelivers it and `handle` decides again from what is stored now
    /// (for optimistic read-then-write consumers).
    const RETRY_ON_CONFLICT: bool = false;
    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError>;
    fn table(&self) -> &Table;
    fn handle(&self, event: &Envelope) -> impl Future<Output = Result<Vec<TransactWriteItem>, String>> + Send;
}

#[derive(Serialize, Deserialize)]
struct Processed {
    detail_type: String,
    processed_at: i64,
}

/// What happened to one record.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Done,
    Duplicate,
    /// A condition of the consumer's own writes failed (e.g. a newer state is stored): skipped.
    Stale,
}

pub async fn process_one<C: Consumer>(c: &C, body: &str) -> Result<Outcome, String> {
    let msg: BusMessage = serde_json::from_str(body).map_err(|e| format!("not a bus event: {e}"))?;
    let env = msg.detail;
    let span = tracing::info_span!("event", consumer = C::NAME, correlation_id = %env.correlation_id, event_id = %env.id, detail_type = %env.detail_type);
    async {
        let mut writes = c.handle(&env).await?;
        let own = writes.len();
        let marker = Record::new(keys::processed(C::NAME, &env.id), entity::DEDUPE, Processed { detail_type: env.detail_type.clone(), processed_at: now_unix() })
            .expires(now_unix() + DEDUPE_RETENTION_SECONDS);
        writes.push(put_new(&marker));
        let result = if writes.len() == 1 { c.table().write_one(writes.pop().expect("one")).await } else { c.table().transact(writes).await };
        match result {
            Ok(()) => {
                tracing::info!("event processed");
                Ok(Outcome::Done)
            }
            Err(StoreError::ConditionFailed { index, .. }) if index.is_none_or(|i| i == own) => {
                tracing::info!("event already processed");
                Ok(Outcome::Duplicate)
            }
            Err(StoreError::ConditionFailed { .. }) if C::RETRY_ON_CONFLICT => {
                tracing::info!("state changed meanwhile; the event will be retried");
                Err("state changed meanwhile; retry".into())
            }
            Err(StoreError::ConditionFailed { .. }) => {
                tracing::info!("event is stale; skipped");
                Ok(Outcome::Stale)
            }
            Err(e) => Err(e.to_string()),
        }
    }
    .instrument(span)
    .await
}

/// Processes a batch concurrently; failed records are reported for retry.
pub async fn process_batch<C: Consumer>(c: &C, event: SqsEvent) -> SqsBatchResponse {
    let failures: Vec<BatchItemFailure> = futures::stream::iter(event.records)
        .map(|r| async move {
            let id = r.message_id.clone().unwrap_or_default();
            match process_one(c, r.body.as_deref().unwrap_or_default()).await {
                Ok(outcome) => {
                    let name = match outcome {
                        Outcome::Done => "EventsProcessed",
                        Outcome::Duplicate => "EventsDuplicate",
                        Outcome::Stale => "EventsStale",
                    };
                    metric(C::NAME, name, 1.0, "Count");
                    None
                }
                Err(e) => {
                    metric(C::NAME, "EventsFailed", 1.0, "Count");
                    tracing::warn!(message_id = %id, error = %e, "record failed");
                    let mut f = BatchItemFailure::default();
                    f.item_identifier = id;
                    Some(f)
                }
            }
        })
        .buffer_unordered(CONCURRENCY)
        .filter_map(|x| async move { x })
        .collect()
        .await;
    let mut resp = SqsBatchResponse::default();
    resp.batch_item_failures = failures;
    resp
}

/// Runs a [`Consumer`] as an SQS-triggered function.
pub struct SqsConsumer<C>(pub C);

impl<C: Consumer> EventFunction for SqsConsumer<C> {
    const NAME: &'static str = C::NAME;
    type Event = SqsEvent;
    type Output = SqsBatchResponse;
    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        C::from_env(env, aws).map(SqsConsumer)
    }
    async fn handle(&self, event: SqsEvent) -> Result<SqsBatchResponse, String> {
        Ok(process_batch(&self.0, event).await)
    }
}
