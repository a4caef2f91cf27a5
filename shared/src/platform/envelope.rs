//! The event envelope every domain event travels in, as EventBridge `detail`.
use serde::{Deserialize, Serialize};

use super::clock::now_rfc3339;
use crate::domain::events::DomainEvent;

/// `detail` of every event on the bus. `id` is the dedupe key: it is chosen
/// once, when the event is written to the outbox, and never changes.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Envelope<T = serde_json::Value> {
    pub id: String,
    pub source: String,
    pub detail_type: String,
    pub occurred_at: String,
    pub schema_version: u32,
    pub correlation_id: String,
    pub actor: Actor,
    pub data: T,
}

/// Who caused an event, and from where.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Actor {
    /// A user id, or `system`.
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
}

impl Actor {
    pub fn user(id: &str, ip: Option<&str>) -> Self {
        Self { id: id.to_string(), ip: ip.map(str::to_string) }
    }
    pub fn system() -> Self {
        Self { id: "system".into(), ip: None }
    }
}

impl Envelope {
    pub fn new<E: DomainEvent>(event: &E, correlation_id: &str, actor: Actor) -> Self {
        Self {
            id: uuid::Uuid::now_v7().to_string(),
            source: E::SOURCE.into(),
            detail_type: E::DETAIL_TYPE.into(),
            occurred_at: now_rfc3339(),
            schema_version: E::SCHEMA_VERSION,
            correlation_id: correlation_id.into(),
            actor,
            data: serde_json::to_value(event).expect("domain events serialise"),
        }
    }
    /// The typed data, if this envelope carries an `E`.
    pub fn data_as<E: DomainEvent>(&self) -> Option<E> {
        (self.detail_type == E::DETAIL_TYPE).then(|| serde_json::from_value(self.data.clone()).ok()).flatten()
    }
}

/// An event as EventBridge delivers it to an SQS queue.
#[derive(Debug, Clone, Deserialize)]
pub struct BusMessage {
    pub id: String,
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    pub source: String,
    pub detail: Envelope,
}
