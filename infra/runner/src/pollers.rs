//! What the Lambda service does for event sources: SQS batches with partial
//! failures (failed messages stay and come back after the visibility
//! timeout, to the DLQ after maxReceiveCount), the table stream in order
//! with retry from the first failed record, and rate() schedules.
use aws_sdk_dynamodbstreams::types::ShardIteratorType;
use aws_sdk_sqs::types::{DeleteMessageBatchRequestEntry, MessageSystemAttributeName};
use serde_json::{json, Value};
use std::collections::HashSet;
use std::time::Duration;

use crate::lambda::Pool;
use std::sync::Arc;

fn failures(out: &Result<Value, String>, key: &str) -> Option<Vec<String>> {
    match out {
        Ok(v) => Some(
            v.get("batchItemFailures")
                .and_then(|f| f.as_array())
                .map(|a| a.iter().filter_map(|x| x.get(key).and_then(|i| i.as_str()).map(str::to_string)).collect())
                .unwrap_or_default(),
        ),
        Err(_) => None,
    }
}

/// Idle pollers back off (doubling up to a cap) and come back to the floor
/// as soon as there is work; a poller is woken at once when something it
/// watches changes (the stream: an invocation finished; the queues: the
/// outbox was published), so the cap bounds only what nothing announces
/// (a delayed message, a visibility timeout running out).
struct Idle {
    floor: u64,
    cap: u64,
    now: u64,
    wake: tokio::sync::watch::Receiver<u64>,
}

impl Idle {
    fn new(floor: u64, cap: u64, wake: tokio::sync::watch::Receiver<u64>) -> Self {
        Self { floor, cap, now: floor, wake }
    }
    async fn wait(&mut self) {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(self.now)) => {}
            changed = self.wake.changed() => {
                if changed.is_err() {
                    tokio::time::sleep(Duration::from_millis(self.now)).await;
                }
            }
        }
        self.now = (self.now * 2).min(self.cap);
    }
    fn busy(&mut self) {
        self.now = self.floor;
    }
}

/// A queue a function polls: its URL and ARN, and the batch size.
pub struct Queue {
    pub url: String,
    pub arn: String,
    pub batch_size: usize,
}

pub async fn sqs(
    client: aws_sdk_sqs::Client,
    queue: Queue,
    region: String,
    invoke: Arc<Pool>,
    function: String,
    schemas: crate::schemas::EventSchemas,
    published: tokio::sync::watch::Receiver<u64>,
) {
    let Queue { url, arn, batch_size } = queue;
    let mut idle = Idle::new(200, 4000, published);
    loop {
        let out = client
            .receive_message()
            .queue_url(&url)
            .max_number_of_messages(batch_size.clamp(1, 10) as i32)
            .wait_time_seconds(0)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .send()
            .await;
        let messages = match out {
            Ok(o) => o.messages.unwrap_or_default(),
            Err(e) => {
                tracing::warn!(function, error = ?e, "ReceiveMessage failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if messages.is_empty() {
            // Short polls: a long poll would hold the (serialised) moto server.
            idle.wait().await;
            continue;
        }
        idle.busy();
        for m in &messages {
            schemas.check(m.body.as_deref().unwrap_or_default());
        }
        let records: Vec<Value> = messages
            .iter()
            .map(|m| {
                let attrs: serde_json::Map<String, Value> = m
                    .attributes
                    .clone()
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k.as_str().to_string(), Value::String(v)))
                    .collect();
                json!({
                    "messageId": m.message_id, "receiptHandle": m.receipt_handle, "body": m.body,
                    "attributes": attrs, "messageAttributes": {}, "md5OfBody": m.md5_of_body,
                    "eventSource": "aws:sqs", "eventSourceARN": arn, "awsRegion": region,
                })
            })
            .collect();
        let out = invoke.invoke(json!({ "Records": records })).await;
        let failed: HashSet<String> = match failures(&out, "itemIdentifier") {
            Some(f) => f.into_iter().collect(),
            None => {
                tracing::warn!(function, error = ?out.err(), "invocation failed; the batch will be retried");
                continue;
            }
        };
        let done: Vec<DeleteMessageBatchRequestEntry> = messages
            .iter()
            .enumerate()
            .filter(|(_, m)| !failed.contains(m.message_id.as_deref().unwrap_or_default()))
            .filter_map(|(i, m)| {
                DeleteMessageBatchRequestEntry::builder()
                    .id(i.to_string())
                    .set_receipt_handle(m.receipt_handle.clone())
                    .build()
                    .ok()
            })
            .collect();
        if !done.is_empty() {
            if let Err(e) = client.delete_message_batch().queue_url(&url).set_entries(Some(done)).send().await {
                tracing::warn!(function, error = ?e, "DeleteMessageBatch failed; messages will be redelivered");
            }
        }
    }
}

fn image(m: Option<std::collections::HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>) -> Value {
    m.map(|m| serde_json::to_value(serde_dynamo::Item::from(m)).unwrap_or(Value::Null)).unwrap_or(json!({}))
}

fn record_json(r: aws_sdk_dynamodbstreams::types::Record, arn: &str, region: &str) -> Value {
    let d = r.dynamodb.unwrap_or_else(|| aws_sdk_dynamodbstreams::types::StreamRecord::builder().build());
    json!({
        "eventID": r.event_id, "eventName": r.event_name.map(|n| n.as_str().to_string()), "eventVersion": r.event_version,
        "eventSource": "aws:dynamodb", "awsRegion": region, "eventSourceARN": arn,
        "dynamodb": {
            "ApproximateCreationDateTime": d.approximate_creation_date_time.map(|t| t.secs() as f64),
            "Keys": image(d.keys), "NewImage": image(d.new_image), "OldImage": image(d.old_image),
            "SequenceNumber": d.sequence_number, "SizeBytes": d.size_bytes.unwrap_or(0),
            "StreamViewType": d.stream_view_type.map(|v| v.as_str().to_string()),
        }
    })
}

async fn iterator(
    client: &aws_sdk_dynamodbstreams::Client,
    arn: &str,
    shard: &str,
    at: Option<&str>,
) -> Option<String> {
    let mut req = client.get_shard_iterator().stream_arn(arn).shard_id(shard);
    req = match at {
        Some(seq) => req.shard_iterator_type(ShardIteratorType::AtSequenceNumber).sequence_number(seq),
        None => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
    };
    req.send().await.ok().and_then(|o| o.shard_iterator)
}

/// The wake-ups of a stream poller: when an invocation finished (it may have
/// written), and which queue pollers to tell when it has published events.
pub struct StreamWakes {
    pub finished: tokio::sync::watch::Receiver<u64>,
    pub queues: Arc<QueueWakes>,
}

/// Each queue's poller, woken when an event its rules take is published:
/// the detail-types the rules name (`None`: a pattern that names none, so
/// any event may be for it).
#[derive(Default)]
pub struct QueueWakes(pub Vec<(Option<HashSet<String>>, tokio::sync::watch::Sender<u64>)>);

impl QueueWakes {
    /// A receiver for a queue taking `detail_types`.
    pub fn subscribe(&mut self, detail_types: Option<HashSet<String>>) -> tokio::sync::watch::Receiver<u64> {
        let (tx, rx) = tokio::sync::watch::channel(0);
        self.0.push((detail_types, tx));
        rx
    }
    /// Wakes the pollers of the queues these events may reach.
    pub fn published(&self, detail_types: &HashSet<String>) {
        for (takes, tx) in &self.0 {
            if takes.as_ref().is_none_or(|t| !t.is_disjoint(detail_types)) {
                tx.send_modify(|n| *n += 1);
            }
        }
    }
}

/// A string attribute of a stream record's image, in either JSON form.
fn attr<'a>(image: &'a Value, name: &str) -> Option<&'a str> {
    let v = image.get(name)?;
    v.get("S").unwrap_or(v).as_str()
}

pub async fn stream(
    client: aws_sdk_dynamodbstreams::Client,
    arn: String,
    (region, batch_size): (String, usize),
    invoke: Arc<Pool>,
    function: String,
    StreamWakes { finished, queues }: StreamWakes,
) {
    let shard = loop {
        match client.describe_stream().stream_arn(&arn).send().await {
            Ok(o) => {
                if let Some(s) = o
                    .stream_description
                    .and_then(|d| d.shards)
                    .and_then(|s| s.into_iter().next())
                    .and_then(|s| s.shard_id)
                {
                    break s;
                }
            }
            Err(e) => tracing::warn!(function, error = ?e, "DescribeStream failed"),
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let mut it = iterator(&client, &arn, &shard, None).await;
    let mut backoff = 100u64;
    let mut idle = Idle::new(100, 2000, finished);
    loop {
        let Some(current) = it.clone() else {
            tokio::time::sleep(Duration::from_millis(500)).await;
            it = iterator(&client, &arn, &shard, None).await;
            continue;
        };
        let out =
            match client.get_records().shard_iterator(&current).limit(batch_size.clamp(1, 1000) as i32).send().await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(function, error = ?e, "GetRecords failed");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
        let records = out.records.unwrap_or_default();
        if records.is_empty() {
            it = out.next_shard_iterator.or(Some(current));
            idle.wait().await;
            continue;
        }
        idle.busy();
        let first = records[0].dynamodb.as_ref().and_then(|d| d.sequence_number.clone());
        let event =
            json!({ "Records": records.into_iter().map(|r| record_json(r, &arn, &region)).collect::<Vec<_>>() });
        // The events this batch publishes: its new outbox items.
        let outbox: HashSet<String> = event["Records"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| attr(&r["dynamodb"]["Keys"], "pk").is_some_and(|p| p.starts_with("OUTBOX#")))
            .filter_map(|r| attr(&r["dynamodb"]["NewImage"], "detail_type").map(str::to_string))
            .collect();
        let out_inv = invoke.invoke(event).await;
        match failures(&out_inv, "itemIdentifier") {
            Some(f) if f.is_empty() => {
                it = out.next_shard_iterator;
                backoff = 100;
                if !outbox.is_empty() {
                    queues.published(&outbox);
                }
            }
            other => {
                let from = other.and_then(|f| f.into_iter().next()).or(first);
                tracing::warn!(function, from = ?from, "stream batch failed; retrying from the first failed record");
                tokio::time::sleep(Duration::from_millis(backoff)).await;
                backoff = (backoff * 2).min(5000);
                it = iterator(&client, &arn, &shard, from.as_deref()).await;
            }
        }
    }
}

/// The event EventBridge Scheduler sends.
pub fn scheduled_event(rule_arn: &str, region: &str, account: &str, time: &str) -> Value {
    json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "Scheduled Event", "source": "aws.events",
        "account": account, "time": time, "region": region, "resources": [rule_arn], "detail": {}
    })
}

pub async fn schedule(
    every: Duration,
    invoke: Arc<Pool>,
    event: Value,
    function: String,
    clock: Arc<crate::clock::LocalClock>,
) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        // Each tick is its own event, at its own time.
        let mut event = event.clone();
        event["time"] = json!(clock.now_rfc3339());
        event["id"] = json!(uuid::Uuid::new_v4().to_string());
        if let Err(e) = invoke.invoke(event).await {
            tracing::warn!(function, error = %e, "scheduled invocation failed");
        }
    }
}
