//! The transactional outbox: an event is written as an item in the same
//! transaction as the state change that caused it. The table stream carries
//! it to the outbox publisher, which puts it on the bus.
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::clock::now_unix;
use super::envelope::{Actor, Envelope};
use super::store::{put_new, Record};
use crate::domain::events::DomainEvent;
use crate::keys::{self, entity};

/// Outbox items are only needed until the stream has carried them (24 h).
pub const OUTBOX_RETENTION_SECONDS: i64 = 7 * 24 * 3600;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxItem {
    pub source: String,
    pub detail_type: String,
    /// The envelope, as EventBridge `detail` (JSON text).
    pub detail: String,
}

/// The outbox write for one event; put it in the state change's transaction.
pub fn write(envelope: &Envelope) -> TransactWriteItem {
    let data = OutboxItem {
        source: envelope.source.clone(),
        detail_type: envelope.detail_type.clone(),
        detail: serde_json::to_string(envelope).expect("envelopes serialise"),
    };
    put_new(
        &Record::new(keys::outbox(&envelope.id), entity::OUTBOX, data).expires(now_unix() + OUTBOX_RETENTION_SECONDS),
    )
}

/// Shorthand: wrap a domain event in an envelope and write it to the outbox.
pub fn event<E: DomainEvent>(event: &E, correlation_id: &str, actor: Actor) -> TransactWriteItem {
    write(&Envelope::new(event, correlation_id, actor))
}
