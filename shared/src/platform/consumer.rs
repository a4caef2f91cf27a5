//! SQS consumers of bus events: records processed concurrently, each
//! event's writes committed once (a processed-marker per consumer and event
//! id in the same transaction), partial batch failures reported.
use aws_lambda_events::event::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent};
use aws_sdk_dynamodb::types::TransactWriteItem;
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use std::future::Future;
use tracing::Instrument;

use super::context::Ctx;
use super::envelope::{BusMessage, Envelope};
use super::error::Chain;
use super::lambda::{EventError, EventHandler};
use super::observability::metric;
use super::store::{put_new, Record, StoreError, Table};
use crate::keys::{self, entity};

/// How long a processed-marker is kept: longer than any redelivery (SQS retention is at most 14 days).
pub const DEDUPE_RETENTION_SECONDS: i64 = 15 * 24 * 3600;
pub const CONCURRENCY: usize = 8;

/// A consumer's handler: `async fn handle(ctx: &Ctx<C>, event: &Envelope)
/// -> Result<Vec<WriteItem>, EventError>`: the writes the event causes; the
/// helper commits them with the processed-marker, so a redelivered event
/// changes nothing.
pub trait ConsumerHandler<'a, C: 'a>: Send + Sync + 'static {
    type Fut: Future<Output = Result<Vec<TransactWriteItem>, EventError>> + Send + 'a;
    fn call(&self, ctx: &'a Ctx<C>, event: &'a Envelope) -> Self::Fut;
}

impl<'a, C: 'a, F, Fut> ConsumerHandler<'a, C> for F
where
    F: Fn(&'a Ctx<C>, &'a Envelope) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<TransactWriteItem>, EventError>> + Send + 'a,
{
    type Fut = Fut;
    fn call(&self, ctx: &'a Ctx<C>, event: &'a Envelope) -> Fut {
        self(ctx, event)
    }
}

/// When a condition of the consumer's own writes fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Skip the event as stale: a newer state is stored.
    Skip,
    /// Fail the record so the queue redelivers it and the handler decides
    /// again from what is stored now (optimistic read-then-write consumers).
    Retry,
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

/// Where a consumer's writes go: the table (or, in unit tests, anything
/// that answers like it).
pub trait Commit: Sync {
    fn commit(&self, writes: Vec<TransactWriteItem>) -> impl Future<Output = Result<(), StoreError>> + Send;
}

impl Commit for Table {
    async fn commit(&self, writes: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        self.write_all(writes).await
    }
}

/// The writes for `event` plus its processed-marker, committed; what happened.
pub async fn process_one<C, H: for<'a> ConsumerHandler<'a, C>>(
    ctx: &Ctx<C>,
    handler: &H,
    on_conflict: OnConflict,
    store: &impl Commit,
    body: &str,
) -> Result<Outcome, EventError> {
    let msg: BusMessage = serde_json::from_str(body).map_err(EventError::Malformed)?;
    let env = msg.detail;
    let span = tracing::info_span!("event", consumer = ctx.name, correlation_id = %env.correlation_id, event_id = %env.id, detail_type = %env.detail_type);
    async {
        let mut writes = handler.call(ctx, &env).await?;
        let own = writes.len();
        let now = ctx.now();
        let marker = Record::new(
            keys::processed(ctx.name, &env.id),
            entity::DEDUPE,
            Processed { detail_type: env.detail_type.clone(), processed_at: now },
        )
        .expires(now + DEDUPE_RETENTION_SECONDS);
        writes.push(put_new(&marker));
        match store.commit(writes).await {
            Ok(()) => {
                tracing::info!("event processed");
                Ok(Outcome::Done)
            }
            Err(StoreError::ConditionFailed { index, .. }) if index.is_none_or(|i| i == own) => {
                tracing::info!("event already processed");
                Ok(Outcome::Duplicate)
            }
            Err(StoreError::ConditionFailed { .. }) if on_conflict == OnConflict::Retry => {
                tracing::info!("state changed meanwhile; the event will be retried");
                Err(EventError::Conflict)
            }
            Err(StoreError::ConditionFailed { .. }) => {
                tracing::info!("event is stale; skipped");
                Ok(Outcome::Stale)
            }
            Err(e) => Err(e.into()),
        }
    }
    .instrument(span)
    .await
}

/// Processes a batch concurrently; failed records are reported for retry.
pub async fn process_batch<C, H: for<'a> ConsumerHandler<'a, C>>(
    ctx: &Ctx<C>,
    handler: &H,
    on_conflict: OnConflict,
    store: &impl Commit,
    event: SqsEvent,
) -> SqsBatchResponse {
    let failures: Vec<BatchItemFailure> = futures::stream::iter(event.records)
        .map(|r| async move {
            let id = r.message_id.clone().unwrap_or_default();
            match process_one(ctx, handler, on_conflict, store, r.body.as_deref().unwrap_or_default()).await {
                Ok(outcome) => {
                    let name = match outcome {
                        Outcome::Done => "EventsProcessed",
                        Outcome::Duplicate => "EventsDuplicate",
                        Outcome::Stale => "EventsStale",
                    };
                    metric(ctx.name, name, 1.0, "Count");
                    None
                }
                Err(e) => {
                    metric(ctx.name, "EventsFailed", 1.0, "Count");
                    tracing::warn!(message_id = %id, error = %Chain(&e), "record failed");
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

/// A consumer handler run as an SQS-triggered event function.
pub struct SqsConsumer<H> {
    pub handler: H,
    pub on_conflict: OnConflict,
}

impl<'a, C: Sync + 'a, H: for<'b> ConsumerHandler<'b, C>> EventHandler<'a, C, SqsEvent> for SqsConsumer<H> {
    type Output = SqsBatchResponse;
    type Fut = std::pin::Pin<Box<dyn Future<Output = Result<SqsBatchResponse, EventError>> + Send + 'a>>;
    fn call(&'a self, ctx: &'a Ctx<C>, event: SqsEvent) -> Self::Fut {
        Box::pin(async move {
            let table = ctx.table()?;
            Ok(process_batch(ctx, &self.handler, self.on_conflict, table, event).await)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::platform::aws::Aws;
    use crate::platform::env::Env;
    use std::sync::Mutex;

    /// A store that records commits and fails the ones it is told to.
    struct FakeStore {
        commits: Mutex<Vec<usize>>,
        fail: fn(usize) -> Option<StoreError>,
    }
    impl Commit for FakeStore {
        async fn commit(&self, writes: Vec<TransactWriteItem>) -> Result<(), StoreError> {
            let n = writes.len();
            self.commits.lock().unwrap().push(n);
            match (self.fail)(n) {
                Some(e) => Err(e),
                None => Ok(()),
            }
        }
    }

    fn ctx() -> Ctx {
        Ctx::with_config("test-consumer", (), Env::default(), Aws::offline()).at(1_800_000_000)
    }

    fn message(id: &str, event_id: &str) -> aws_lambda_events::event::sqs::SqsMessage {
        let mut m = aws_lambda_events::event::sqs::SqsMessage::default();
        m.message_id = Some(id.into());
        m.body = Some(
            serde_json::json!({"id": "bus-1", "detail-type": "TripPublished", "source": "handoff.trips", "detail": {
                "id": event_id, "source": "handoff.trips", "detail_type": "TripPublished", "occurred_at": "2026-11-21T10:00:00.000Z",
                "schema_version": 1, "correlation_id": "c", "actor": {"id": "u1"}, "data": {"trip_id": "t1"}}})
            .to_string(),
        );
        m
    }

    async fn two_writes(_ctx: &Ctx, e: &Envelope) -> Result<Vec<TransactWriteItem>, EventError> {
        if e.id == "bad" {
            return Err(EventError::Invalid("bad event".into()));
        }
        let r = Record::new(keys::trip("t1"), entity::TRIP, serde_json::json!({"x": 1}));
        Ok(vec![put_new(&r), put_new(&r)])
    }

    fn batch(records: Vec<aws_lambda_events::event::sqs::SqsMessage>) -> SqsEvent {
        let mut e = SqsEvent::default();
        e.records = records;
        e
    }

    #[tokio::test]
    async fn a_batch_reports_only_the_records_that_failed() {
        let store = FakeStore { commits: Mutex::new(vec![]), fail: |_| None };
        let mut garbage = message("m3", "x");
        garbage.body = Some("not json".into());
        let resp = process_batch(
            &ctx(),
            &two_writes,
            OnConflict::Skip,
            &store,
            batch(vec![message("m1", "e1"), message("m2", "bad"), garbage]),
        )
        .await;
        let mut failed: Vec<_> = resp.batch_item_failures.iter().map(|f| f.item_identifier.clone()).collect();
        failed.sort();
        assert_eq!(failed, ["m2", "m3"]);
        // the good record: its two writes and the marker, in one commit
        assert_eq!(*store.commits.lock().unwrap(), [3]);
    }

    #[tokio::test]
    async fn a_redelivered_event_is_a_duplicate_and_a_conflict_follows_the_policy() {
        let ctx = ctx();
        let body = message("m1", "e1").body.unwrap();
        // the marker (index 2) exists: already processed
        let dup = FakeStore {
            commits: Mutex::new(vec![]),
            fail: |_| Some(StoreError::ConditionFailed { index: Some(2), item: None }),
        };
        assert_eq!(process_one(&ctx, &two_writes, OnConflict::Retry, &dup, &body).await.unwrap(), Outcome::Duplicate);
        // one of the consumer's own writes failed its condition
        let stale = FakeStore {
            commits: Mutex::new(vec![]),
            fail: |_| Some(StoreError::ConditionFailed { index: Some(0), item: None }),
        };
        assert_eq!(process_one(&ctx, &two_writes, OnConflict::Skip, &stale, &body).await.unwrap(), Outcome::Stale);
        assert!(matches!(
            process_one(&ctx, &two_writes, OnConflict::Retry, &stale, &body).await,
            Err(EventError::Conflict)
        ));
        // the table is down: the record fails (and is retried by the queue)
        let down = FakeStore { commits: Mutex::new(vec![]), fail: |_| Some(StoreError::unavailable("down")) };
        assert!(matches!(
            process_one(&ctx, &two_writes, OnConflict::Skip, &down, &body).await,
            Err(EventError::Store(_))
        ));
    }
}
