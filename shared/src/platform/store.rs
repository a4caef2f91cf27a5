//! Typed access to the single table.
//!
//! Entities are stored as [`Record`]s: keys from [`crate::keys`], the
//! `entity` name, optional `gsi1` keys, `ttl`, `version`, and the entity's
//! own fields. Reads treat items whose `ttl` has passed as absent. Writes
//! that change state go through [`Table::transact`] together with their
//! outbox events.
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::types::{
    AttributeValue, Delete, KeysAndAttributes, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use thiserror::Error;

use super::clock::now_unix;
use super::cursor;
use crate::keys::Key;

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

fn unavailable<E: std::error::Error + Send + Sync + 'static>(e: E) -> StoreError {
    StoreError::Unavailable(Box::new(e))
}

impl StoreError {
    /// Unavailable for a reason of our own (no SDK error to keep).
    pub fn unavailable(why: &str) -> Self {
        StoreError::Unavailable(why.into())
    }
}

/// An entity with its table envelope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record<T> {
    pub pk: String,
    pub sk: String,
    pub entity: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi1sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    #[serde(default)]
    pub version: u64,
    #[serde(flatten)]
    pub data: T,
}

impl<T> Record<T> {
    pub fn new(key: Key, entity: &str, data: T) -> Self {
        Self { pk: key.pk, sk: key.sk, entity: entity.into(), gsi1pk: None, gsi1sk: None, ttl: None, version: 1, data }
    }
    pub fn gsi1(mut self, g: crate::keys::Gsi1) -> Self {
        self.gsi1pk = Some(g.gsi1pk);
        self.gsi1sk = Some(g.gsi1sk);
        self
    }
    pub fn expires(mut self, unix: i64) -> Self {
        self.ttl = Some(unix);
        self
    }
    pub fn key(&self) -> Key {
        Key { pk: self.pk.clone(), sk: self.sk.clone() }
    }
}

pub fn to_item<T: Serialize>(v: &T) -> Item {
    serde_dynamo::to_item(v).expect("records serialise to items")
}
pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| StoreError::Corrupt(e.to_string()))
}
/// A value for an expression.
pub fn av<T: Serialize>(v: T) -> AttributeValue {
    serde_dynamo::to_attribute_value(v).expect("values serialise")
}
pub fn key_item(key: &Key) -> Item {
    HashMap::from([("pk".into(), AttributeValue::S(key.pk.clone())), ("sk".into(), AttributeValue::S(key.sk.clone()))])
}
fn item_live(item: &Item, now: i64) -> bool {
    match item.get("ttl") {
        Some(AttributeValue::N(n)) => n.parse::<i64>().map(|t| t > now).unwrap_or(true),
        _ => true,
    }
}

/// One write of a transaction, and the problem to answer if its condition fails.
pub struct Write<P = ()> {
    pub item: TransactWriteItem,
    pub on_condition_failed: Option<P>,
}

impl<P> Write<P> {
    pub fn new(item: TransactWriteItem) -> Self {
        Self { item, on_condition_failed: None }
    }
    pub fn or(mut self, p: P) -> Self {
        self.on_condition_failed = Some(p);
        self
    }
}

/// A condition expression with the names and values it uses.
#[derive(Default)]
pub struct Cond {
    pub expression: String,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl Cond {
    pub fn new(expression: &str) -> Self {
        Self { expression: expression.into(), ..Default::default() }
    }
    pub fn name(mut self, placeholder: &str, attr: &str) -> Self {
        self.names.insert(placeholder.into(), attr.into());
        self
    }
    pub fn value<T: Serialize>(mut self, placeholder: &str, v: T) -> Self {
        self.values.insert(placeholder.into(), av(v));
        self
    }
    /// (expression, names, values), with empty maps left out as DynamoDB requires.
    #[allow(clippy::type_complexity)]
    fn parts(
        c: Option<Cond>,
    ) -> (Option<String>, Option<HashMap<String, String>>, Option<HashMap<String, AttributeValue>>) {
        match c {
            None => (None, None, None),
            Some(c) => (
                Some(c.expression),
                (!c.names.is_empty()).then_some(c.names),
                (!c.values.is_empty()).then_some(c.values),
            ),
        }
    }
}

/// Puts a record, if `condition` holds (e.g. `attribute_not_exists(pk)`).
pub fn put<T: Serialize>(record: &Record<T>, condition: Option<Cond>) -> TransactWriteItem {
    let (expression, names, values) = Cond::parts(condition);
    let p = Put::builder()
        .table_name(TABLE_PLACEHOLDER)
        .set_item(Some(to_item(record)))
        .set_condition_expression(expression)
        .set_expression_attribute_names(names)
        .set_expression_attribute_values(values);
    TransactWriteItem::builder().put(p.build().expect("put has item")).build()
}
/// Puts a record that must not exist yet.
pub fn put_new<T: Serialize>(record: &Record<T>) -> TransactWriteItem {
    put(record, Some(Cond::new("attribute_not_exists(pk)")))
}

/// Puts the next version of a record: `next.version` must be one more than
/// the stored version, else the write's condition fails (optimistic locking).
pub fn put_versioned<T: Serialize>(next: &Record<T>) -> TransactWriteItem {
    put(
        next,
        Some(
            Cond::new("#version = :expected")
                .name("#version", "version")
                .value(":expected", next.version.saturating_sub(1)),
        ),
    )
}

impl<T> Record<T> {
    /// The same record carrying `data`, one version on.
    pub fn next(&self, data: T) -> Record<T> {
        Record {
            pk: self.pk.clone(),
            sk: self.sk.clone(),
            entity: self.entity.clone(),
            gsi1pk: self.gsi1pk.clone(),
            gsi1sk: self.gsi1sk.clone(),
            ttl: self.ttl,
            version: self.version + 1,
            data,
        }
    }
}

/// An update expression with its names, values and optional condition.
#[derive(Default)]
pub struct UpdateSpec {
    pub update: String,
    pub condition: Option<String>,
    pub names: HashMap<String, String>,
    pub values: HashMap<String, AttributeValue>,
}

impl UpdateSpec {
    pub fn new(update: &str) -> Self {
        Self { update: update.into(), ..Default::default() }
    }
    pub fn when(mut self, condition: &str) -> Self {
        self.condition = Some(condition.into());
        self
    }
    pub fn name(mut self, placeholder: &str, attr: &str) -> Self {
        self.names.insert(placeholder.into(), attr.into());
        self
    }
    pub fn value<T: Serialize>(mut self, placeholder: &str, v: T) -> Self {
        self.values.insert(placeholder.into(), av(v));
        self
    }
}

pub fn update(key: &Key, spec: UpdateSpec) -> TransactWriteItem {
    let u = Update::builder()
        .table_name(TABLE_PLACEHOLDER)
        .set_key(Some(key_item(key)))
        .update_expression(spec.update)
        .set_condition_expression(spec.condition)
        .set_expression_attribute_names((!spec.names.is_empty()).then_some(spec.names))
        .set_expression_attribute_values((!spec.values.is_empty()).then_some(spec.values));
    TransactWriteItem::builder().update(u.build().expect("update has key and expression")).build()
}

/// Deletes an item, if `condition` holds.
pub fn delete(key: &Key, condition: Option<Cond>) -> TransactWriteItem {
    let (expression, names, values) = Cond::parts(condition);
    let d = Delete::builder()
        .table_name(TABLE_PLACEHOLDER)
        .set_key(Some(key_item(key)))
        .set_condition_expression(expression)
        .set_expression_attribute_names(names)
        .set_expression_attribute_values(values);
    TransactWriteItem::builder().delete(d.build().expect("delete has key")).build()
}

/// Writes are built before the table name is known; [`Table::transact`] fills it in.
const TABLE_PLACEHOLDER: &str = "__table__";

fn with_table(mut w: TransactWriteItem, table: &str) -> TransactWriteItem {
    if let Some(p) = w.put.as_mut() {
        p.table_name = table.into();
    }
    if let Some(u) = w.update.as_mut() {
        u.table_name = table.into();
    }
    if let Some(d) = w.delete.as_mut() {
        d.table_name = table.into();
    }
    if let Some(c) = w.condition_check.as_mut() {
        c.table_name = table.into();
    }
    w
}

/// A query on the table or on an overloaded index.
pub struct Query<'a> {
    /// `None` for the table (`pk`/`sk`), `Some("gsi1")` for gsi1pk/gsi1sk.
    pub index: Option<&'a str>,
    pub partition: String,
    pub sort_prefix: Option<String>,
    pub forward: bool,
    pub limit: i32,
    pub cursor: Option<&'a str>,
}

pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
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
            .map_err(unavailable)?;
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
                .map_err(unavailable)?;
            let out = self.client.batch_get_item().request_items(&self.name, ka).send().await.map_err(unavailable)?;
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
                    other => Err(unavailable(other)),
                }
            }
            Err(e) => Err(unavailable(e)),
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
                        other => Err(unavailable(other)),
                    },
                    Err(e) => Err(unavailable(e)),
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

    /// One page of a query from `start`: its live records and the key to go on from.
    async fn page<T: DeserializeOwned>(
        &self,
        q: &Query<'_>,
        limit: Option<i32>,
        start: Option<Item>,
    ) -> Result<(Vec<Record<T>>, Option<Item>), StoreError> {
        let (pk_attr, sk_attr) = match q.index {
            None => ("pk".to_string(), "sk".to_string()),
            Some(ix) => (format!("{ix}pk"), format!("{ix}sk")),
        };
        let mut req = self
            .client
            .query()
            .table_name(&self.name)
            .set_index_name(q.index.map(str::to_string))
            .expression_attribute_names("#p", &pk_attr)
            .expression_attribute_values(":p", AttributeValue::S(q.partition.clone()))
            .scan_index_forward(q.forward)
            .set_limit(limit)
            .set_exclusive_start_key(start);
        req = match &q.sort_prefix {
            Some(prefix) => req
                .key_condition_expression("#p = :p AND begins_with(#s, :s)")
                .expression_attribute_names("#s", &sk_attr)
                .expression_attribute_values(":s", AttributeValue::S(prefix.clone())),
            None => req.key_condition_expression("#p = :p"),
        };
        let out = req.send().await.map_err(unavailable)?;
        let now = now_unix();
        let items = out
            .items
            .unwrap_or_default()
            .into_iter()
            .filter(|i| item_live(i, now))
            .map(from_item)
            .collect::<Result<Vec<Record<T>>, _>>()?;
        Ok((items, out.last_evaluated_key.filter(|k| !k.is_empty())))
    }

    /// One page of a query, newest first unless `forward`; expired items are skipped.
    pub async fn query<T: DeserializeOwned>(&self, q: Query<'_>) -> Result<Page<Record<T>>, StoreError> {
        let binding = format!("{}|{}", q.index.unwrap_or("table"), q.partition);
        let start = match q.cursor {
            Some(c) => Some(
                self.open_cursor(&binding, c)?.into_iter().map(|(k, v)| (k, AttributeValue::S(v))).collect::<Item>(),
            ),
            None => None,
        };
        let (items, last) = self.page(&q, Some(q.limit), start).await?;
        let next_cursor = last.map(|k| {
            self.sign_cursor(
                &binding,
                k.into_iter().filter_map(|(n, v)| v.as_s().ok().map(|s| (n, s.clone()))).collect(),
            )
        });
        Ok(Page { items, next_cursor })
    }
}

impl Table {
    /// Every item of a partition, page after page, up to `max_pages` pages;
    /// the flag says whether pages were left unread.
    pub async fn query_all<T: DeserializeOwned>(
        &self,
        partition: String,
        max_pages: usize,
    ) -> Result<(Vec<Record<T>>, bool), StoreError> {
        // `limit` is not used here: each page is a whole one (up to 1 MB).
        let q = Query { index: None, partition, sort_prefix: None, forward: true, limit: 0, cursor: None };
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..max_pages {
            let (items, last) = self.page(&q, None, start.take()).await?;
            out.extend(items);
            match last {
                Some(k) => start = Some(k),
                None => return Ok((out, false)),
            }
        }
        Ok((out, true))
    }

    /// A signed, expiring cursor for any resumable position (not only a
    /// query's last key), bound to `binding`.
    pub fn sign_cursor(&self, binding: &str, position: BTreeMap<String, String>) -> String {
        cursor::encode(&self.cursor_secret, binding, position, now_unix())
    }
    pub fn open_cursor(&self, binding: &str, c: &str) -> Result<BTreeMap<String, String>, StoreError> {
        cursor::decode(&self.cursor_secret, binding, c, now_unix()).map_err(StoreError::BadCursor)
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

/// Reads a typed record out of a raw item (e.g. from [`Table::get_many`]).
pub fn record<T: DeserializeOwned>(item: Option<Item>) -> Result<Option<Record<T>>, StoreError> {
    item.map(from_item).transpose()
}
