//! Typed access to the single table.
//!
//! Entities are stored as [`Record`]s: keys from [`crate::keys`], the
//! `entity` name, optional `gsi1` keys, `ttl`, `version`, and the entity's
//! own fields. Reads treat items whose `ttl` has passed as absent. Writes
//! that change state go through [`Table::transact`] together with their
//! outbox events.
mod query;
mod record;
mod write;

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeValue, KeysAndAttributes, ReturnValuesOnConditionCheckFailure, TransactWriteItem,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use std::collections::HashMap;
use thiserror::Error;

use super::clock::now_unix;
use crate::keys::Key;
pub use query::{Page, Query};
use record::item_live;
pub use record::{av, from_item, key_item, record, to_item, Record};
use write::with_table;
pub use write::{delete, put, put_new, put_versioned, update, Cond, UpdateSpec, Write};

pub type Item = HashMap<String, AttributeValue>;
pub use aws_sdk_dynamodb::types::TransactWriteItem as WriteItem;

#[derive(Debug, Error)]
pub enum StoreError {
    /// A condition failed: the index of the write in the transaction (if any),
    /// and the item as it was (when DynamoDB returned it).
    #[error("condition failed")]
    ConditionFailed { index: Option<usize>, item: Option<Box<Item>> },
    /// The table could not be reached, throttled us, or timed out: retry
    /// later. The SDK's error is kept as the source.
    #[error("table unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("bad cursor: {0}")]
    BadCursor(&'static str),
    #[error("stored item is not readable: {0}")]
    Corrupt(String),
}

fn sdk_unavailable<E: std::error::Error + Send + Sync + 'static>(e: E) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

impl StoreError {
    /// Unavailable for a reason of our own (no SDK error to keep).
    pub fn unavailable(why: &str) -> Self {
        StoreError::Unavailable(why.into())
    }
}

#[derive(Clone)]
pub struct Table {
    client: Client,
    name: String,
    cursor_secret: Vec<u8>,
}

impl Table {
    pub fn new(client: Client, name: impl Into<String>) -> Self {
        Self { client, name: name.into(), cursor_secret: Vec::new() }
    }
    /// The key that signs pagination cursors (`CURSOR_SECRET`).
    pub fn with_cursor_secret(mut self, secret: &str) -> Self {
        self.cursor_secret = secret.as_bytes().to_vec();
        self
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// One item, or `None` if absent or expired.
    pub async fn get<T: DeserializeOwned>(&self, key: &Key, consistent: bool) -> Result<Option<Record<T>>, StoreError> {
        let out = self
            .client
            .get_item()
            .table_name(&self.name)
            .set_key(Some(key_item(key)))
            .consistent_read(consistent)
            .send()
            .await
            .map_err(sdk_unavailable)?;
        match out.item {
            Some(item) if item_live(&item, now_unix()) => Ok(Some(from_item(item)?)),
            _ => Ok(None),
        }
    }

    /// Up to 100 items in one round trip (more only if DynamoDB leaves keys
    /// unprocessed), in the order of `keys`; absent or expired items are `None`.
    pub async fn get_many(&self, keys: &[Key], consistent: bool) -> Result<Vec<Option<Item>>, StoreError> {
        let mut pending: Vec<Item> = keys.iter().map(key_item).collect();
        let mut found: HashMap<(String, String), Item> = HashMap::new();
        for attempt in 0..5 {
            if pending.is_empty() {
                break;
            }
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(20 << attempt)).await;
            }
            let ka = KeysAndAttributes::builder()
                .set_keys(Some(std::mem::take(&mut pending)))
                .consistent_read(consistent)
                .build()
                .map_err(sdk_unavailable)?;
            let out =
                self.client.batch_get_item().request_items(&self.name, ka).send().await.map_err(sdk_unavailable)?;
            for item in out.responses.unwrap_or_default().remove(&self.name).unwrap_or_default() {
                let k = (s_attr(&item, "pk"), s_attr(&item, "sk"));
                found.insert(k, item);
            }
            if let Some(mut u) = out.unprocessed_keys {
                if let Some(ka) = u.remove(&self.name) {
                    pending = ka.keys;
                }
            }
        }
        if !pending.is_empty() {
            return Err(StoreError::unavailable("keys left unprocessed"));
        }
        let now = now_unix();
        Ok(keys.iter().map(|k| found.remove(&(k.pk.clone(), k.sk.clone())).filter(|i| item_live(i, now))).collect())
    }

    /// Writes atomically. On a failed condition, says which write failed.
    pub async fn transact(&self, writes: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        let items: Vec<_> = writes.into_iter().map(|w| with_table(w, &self.name)).collect();
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(e)) => {
                use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError as E;
                match e.into_err() {
                    E::TransactionCanceledException(c) => {
                        let reasons = c.cancellation_reasons.unwrap_or_default();
                        match reasons.iter().position(|r| r.code.as_deref() == Some("ConditionalCheckFailed")) {
                            Some(i) => Err(StoreError::ConditionFailed {
                                index: Some(i),
                                item: reasons[i].item.clone().map(Box::new),
                            }),
                            None => Err(StoreError::Unavailable(
                                format!(
                                    "transaction cancelled: {:?}",
                                    reasons.iter().map(|r| r.code.clone()).collect::<Vec<_>>()
                                )
                                .into(),
                            )),
                        }
                    }
                    other => Err(sdk_unavailable(other)),
                }
            }
            Err(e) => Err(sdk_unavailable(e)),
        }
    }

    /// Writes atomically: one write alone (a PutItem/UpdateItem/DeleteItem
    /// is cheaper than a transaction), more in one transaction.
    pub async fn write_all(&self, mut writes: Vec<TransactWriteItem>) -> Result<(), StoreError> {
        match writes.len() {
            1 => self.write_one(writes.remove(0)).await,
            _ => self.transact(writes).await,
        }
    }

    /// A single put/update/delete outside a transaction; a failed condition
    /// returns the item as it was.
    pub async fn write_one(&self, write: TransactWriteItem) -> Result<(), StoreError> {
        let w = with_table(write, &self.name);
        let all_old = ReturnValuesOnConditionCheckFailure::AllOld;
        macro_rules! cond {
            ($res:expr, $err:path) => {
                match $res {
                    Ok(_) => Ok(()),
                    Err(SdkError::ServiceError(e)) => match e.into_err() {
                        $err(c) => Err(StoreError::ConditionFailed { index: None, item: c.item.map(Box::new) }),
                        other => Err(sdk_unavailable(other)),
                    },
                    Err(e) => Err(sdk_unavailable(e)),
                }
            };
        }
        if let Some(p) = w.put {
            use aws_sdk_dynamodb::operation::put_item::PutItemError as E;
            let r = self
                .client
                .put_item()
                .table_name(p.table_name)
                .set_item(Some(p.item))
                .set_condition_expression(p.condition_expression)
                .set_expression_attribute_names(p.expression_attribute_names)
                .set_expression_attribute_values(p.expression_attribute_values)
                .return_values_on_condition_check_failure(all_old)
                .send()
                .await;
            cond!(r, E::ConditionalCheckFailedException)
        } else if let Some(u) = w.update {
            use aws_sdk_dynamodb::operation::update_item::UpdateItemError as E;
            let r = self
                .client
                .update_item()
                .table_name(u.table_name)
                .set_key(Some(u.key))
                .update_expression(u.update_expression)
                .set_condition_expression(u.condition_expression)
                .set_expression_attribute_names(u.expression_attribute_names)
                .set_expression_attribute_values(u.expression_attribute_values)
                .return_values_on_condition_check_failure(all_old)
                .send()
                .await;
            cond!(r, E::ConditionalCheckFailedException)
        } else if let Some(d) = w.delete {
            use aws_sdk_dynamodb::operation::delete_item::DeleteItemError as E;
            let r = self
                .client
                .delete_item()
                .table_name(d.table_name)
                .set_key(Some(d.key))
                .set_condition_expression(d.condition_expression)
                .set_expression_attribute_names(d.expression_attribute_names)
                .set_expression_attribute_values(d.expression_attribute_values)
                .return_values_on_condition_check_failure(all_old)
                .send()
                .await;
            cond!(r, E::ConditionalCheckFailedException)
        } else {
            Err(StoreError::Corrupt("write_one needs a put, update or delete".into()))
        }
    }
}

impl Table {
    /// The table named by `TABLE_NAME`, signing cursors with `CURSOR_SECRET` when set.
    pub fn from_env(env: &super::env::Env, aws: &super::aws::Aws) -> Result<Self, super::env::ConfigError> {
        let t = Table::new(aws.dynamodb(), env.require("TABLE_NAME")?);
        Ok(match env.get("CURSOR_SECRET") {
            Some(s) => t.with_cursor_secret(s),
            None => t,
        })
    }
}

fn s_attr(item: &Item, name: &str) -> String {
    item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}
