//! Queries on the table or an overloaded index: one page with a signed
//! cursor, or every page of a partition; cursors for any resumable position.
use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

use super::record::{from_item, item_live, Record};
use super::{sdk_unavailable, Item, StoreError, Table};
use crate::platform::clock::now_unix;
use crate::platform::cursor;

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

impl Table {
    /// One page of a query from `start`: its live records and the key to go on from.
    async fn page<T: DeserializeOwned>(
        &self,
        q: &Query<'_>,
        limit: Option<i32>,
        start: Option<Item>,
        (from, upto): (Option<&str>, Option<&str>),
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
            // Reads of the table itself are strongly consistent: they precede
            // conditional writes (indexes cannot be).
            .consistent_read(q.index.is_none())
            .expression_attribute_names("#p", &pk_attr)
            .expression_attribute_values(":p", AttributeValue::S(q.partition.clone()))
            .scan_index_forward(q.forward)
            .set_limit(limit)
            .set_exclusive_start_key(start);
        req = match (&q.sort_prefix, upto) {
            (_, Some(upto)) if from.is_some() => req
                .key_condition_expression("#p = :p AND #s BETWEEN :f AND :s")
                .expression_attribute_names("#s", &sk_attr)
                .expression_attribute_values(":f", AttributeValue::S(from.unwrap_or_default().to_string()))
                .expression_attribute_values(":s", AttributeValue::S(upto.to_string())),
            (_, Some(upto)) => req
                .key_condition_expression("#p = :p AND #s <= :s")
                .expression_attribute_names("#s", &sk_attr)
                .expression_attribute_values(":s", AttributeValue::S(upto.to_string())),
            (Some(prefix), None) => req
                .key_condition_expression("#p = :p AND begins_with(#s, :s)")
                .expression_attribute_names("#s", &sk_attr)
                .expression_attribute_values(":s", AttributeValue::S(prefix.clone())),
            (None, None) => req.key_condition_expression("#p = :p"),
        };
        let out = req.send().await.map_err(sdk_unavailable)?;
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
        let (items, last) = self.page(&q, Some(q.limit), start, (None, None)).await?;
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
    /// The items of a partition whose sort key starts with `prefix` (one page of at most `limit`).
    pub async fn under<T: DeserializeOwned>(
        &self,
        partition: String,
        prefix: &str,
        limit: i32,
    ) -> Result<Vec<Record<T>>, StoreError> {
        let q = Query { index: None, partition, sort_prefix: Some(prefix.into()), forward: true, limit, cursor: None };
        Ok(self.query(q).await?.items)
    }

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
            let (items, last) = self.page(&q, None, start.take(), (None, None)).await?;
            out.extend(items);
            match last {
                Some(k) => start = Some(k),
                None => return Ok((out, false)),
            }
        }
        Ok((out, true))
    }

    /// Up to `limit` items of an index partition whose sort key is at most
    /// `upto`, in order (e.g. what is due by now); eventually consistent.
    pub async fn query_until<T: DeserializeOwned>(
        &self,
        index: &str,
        partition: String,
        upto: &str,
        limit: i32,
    ) -> Result<Vec<Record<T>>, StoreError> {
        let q = Query { index: Some(index), partition, sort_prefix: None, forward: true, limit, cursor: None };
        Ok(self.page(&q, Some(limit), None, (None, Some(upto))).await?.0)
    }

    /// Every item of an index partition whose sort key is in [`from`, `to`]
    /// (page after page, up to `max_pages`), in order; eventually
    /// consistent. The flag says whether pages were left unread.
    pub async fn query_between<T: DeserializeOwned>(
        &self,
        index: &str,
        partition: String,
        (from, to): (&str, &str),
        max_pages: usize,
    ) -> Result<(Vec<Record<T>>, bool), StoreError> {
        let q = Query { index: Some(index), partition, sort_prefix: None, forward: true, limit: 0, cursor: None };
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..max_pages {
            let (items, last) = self.page(&q, None, start.take(), (Some(from), Some(to))).await?;
            out.extend(items);
            match last {
                Some(k) => start = Some(k),
                None => return Ok((out, false)),
            }
        }
        Ok((out, true))
    }

    /// How many items an index partition holds (Select COUNT, page after
    /// page; a sparse index makes this the count of what waits).
    pub async fn count(&self, index: &str, partition: String) -> Result<u64, StoreError> {
        let mut total = 0u64;
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.name)
                .index_name(index)
                .select(aws_sdk_dynamodb::types::Select::Count)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", format!("{index}pk"))
                .expression_attribute_values(":p", AttributeValue::S(partition.clone()))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_unavailable)?;
            total += out.count.max(0) as u64;
            match out.last_evaluated_key.filter(|k| !k.is_empty()) {
                Some(k) => start = Some(k),
                None => return Ok(total),
            }
        }
    }

    /// Every item of the given entities in the whole table (a Scan with a
    /// filter, page by page): for scheduled checks, never for a request.
    pub async fn scan_entities(
        &self,
        entities: &[&str],
        max_pages: usize,
    ) -> Result<(Vec<Record<serde_json::Value>>, bool), StoreError> {
        let placeholders: Vec<String> = (0..entities.len()).map(|i| format!(":e{i}")).collect();
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        for _ in 0..max_pages {
            let mut req = self
                .client
                .scan()
                .table_name(&self.name)
                .consistent_read(true)
                .filter_expression(format!("#e IN ({})", placeholders.join(", ")))
                .expression_attribute_names("#e", "entity")
                .set_exclusive_start_key(start.take());
            for (p, e) in placeholders.iter().zip(entities) {
                req = req.expression_attribute_values(p, AttributeValue::S(e.to_string()));
            }
            let page = req.send().await.map_err(sdk_unavailable)?;
            for i in page.items.unwrap_or_default() {
                out.push(from_item(i)?);
            }
            match page.last_evaluated_key.filter(|k| !k.is_empty()) {
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
