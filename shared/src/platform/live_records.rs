//! Live updates: WebSocket connections (signed in, or following one
//! shipment with its public tracking token), their subscriptions, and
//! posting to them through the API Gateway Management API (a connection
//! that is gone is forgotten).
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

use super::context::Ctx;
use super::lambda::EventError;
use super::store::{delete, put, Record, StoreError, Table};
use crate::domain::live::LiveMessage;
use crate::keys::{self, entity};

/// API Gateway closes a WebSocket connection after two hours.
pub const CONNECTION_SECONDS: i64 = 2 * 3600;
/// Shipments one connection may follow.
pub const MAX_SUBSCRIPTIONS: usize = 20;

/// An API Gateway WebSocket event ($connect, $disconnect, a route), as far as read.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsEvent {
    pub request_context: WsContext,
    #[serde(default)]
    pub query_string_parameters: Option<HashMap<String, String>>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WsContext {
    pub route_key: String,
    pub connection_id: String,
}

/// What a WebSocket integration answers (a refused $connect closes it).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WsAnswer {
    pub status_code: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
}

impl WsAnswer {
    pub fn ok() -> Self {
        Self { status_code: 200, body: None }
    }
    pub fn refused(status: u16, why: &str) -> Self {
        Self { status_code: status, body: Some(why.into()) }
    }
}

/// A live connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Connection {
    pub connection_id: String,
    /// The signed-in user (their notifications and shipments).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The one shipment a public tracking token follows.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tracking: Option<String>,
    /// The shipments followed.
    #[serde(default)]
    pub subscriptions: Vec<String>,
    pub connected_at: String,
}

/// The connection as stored (listed under its user), gone with it after two hours.
pub fn connection_put(c: &Connection, now: i64) -> TransactWriteItem {
    let mut r = Record::new(keys::ws_connection(&c.connection_id), entity::WS_CONNECTION, c.clone())
        .expires(now + CONNECTION_SECONDS + 60);
    if let Some(u) = &c.user_id {
        r = r.gsi1(keys::ws_connections_of(u, &c.connection_id));
    }
    put(&r, None)
}

/// A connection following a shipment.
pub fn subscription_put(shipment_id: &str, c: &Connection, now: i64) -> TransactWriteItem {
    let r = Record::new(
        keys::ws_subscription(shipment_id, &c.connection_id),
        entity::WS_SUBSCRIPTION,
        serde_json::json!({"connection_id": c.connection_id, "shipment_id": shipment_id}),
    )
    .expires(now + CONNECTION_SECONDS + 60);
    put(&r, None)
}

/// Forgets a connection and its subscriptions.
pub async fn forget(table: &Table, connection_id: &str) -> Result<(), StoreError> {
    let c: Option<Record<Connection>> = table.get(&keys::ws_connection(connection_id), true).await?;
    let mut writes = vec![delete(&keys::ws_connection(connection_id), None)];
    if let Some(c) = c {
        writes.extend(c.data.subscriptions.iter().map(|s| delete(&keys::ws_subscription(s, connection_id), None)));
    }
    table.write_all(writes).await
}

/// How a post went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Posted {
    Sent,
    /// The client went away: the connection was forgotten.
    Gone,
}

/// Sends `msg` to a connection; a gone one (410) is forgotten.
pub async fn post<C>(ctx: &Ctx<C>, connection_id: &str, msg: &LiveMessage) -> Result<Posted, EventError> {
    use super::aws::sdk::aws_sdk_apigatewaymanagement::primitives::Blob;
    let body = serde_json::to_vec(msg).map_err(EventError::Malformed)?;
    let sent = ctx.ws()?.post_to_connection().connection_id(connection_id).data(Blob::new(body)).send().await;
    match sent {
        Ok(_) => Ok(Posted::Sent),
        Err(e) if e.as_service_error().is_some_and(|s| s.is_gone_exception()) => {
            forget(ctx.table()?, connection_id).await?;
            Ok(Posted::Gone)
        }
        Err(e) => Err(EventError::dependency("the Management API", e)),
    }
}
