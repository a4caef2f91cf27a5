//! Entities as stored: a [`Record`] is the entity with its table envelope
//! (keys, `entity`, index keys, `ttl`, `version`); items convert with serde_dynamo.
use aws_sdk_dynamodb::types::AttributeValue;
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use std::collections::HashMap;

use super::{Item, StoreError};
use crate::keys::Key;

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
    pub gsi2pk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gsi2sk: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<i64>,
    #[serde(default)]
    pub version: u64,
    #[serde(flatten)]
    pub data: T,
}

impl<T> Record<T> {
    pub fn new(key: Key, entity: &str, data: T) -> Self {
        Self {
            pk: key.pk,
            sk: key.sk,
            entity: entity.into(),
            gsi1pk: None,
            gsi1sk: None,
            gsi2pk: None,
            gsi2sk: None,
            ttl: None,
            version: 1,
            data,
        }
    }
    pub fn gsi1(mut self, g: crate::keys::Gsi1) -> Self {
        self.gsi1pk = Some(g.gsi1pk);
        self.gsi1sk = Some(g.gsi1sk);
        self
    }
    /// Sets the sparse second index key, or removes it (`None`).
    pub fn gsi2(mut self, g: Option<crate::keys::Gsi2>) -> Self {
        self.gsi2pk = g.as_ref().map(|g| g.gsi2pk.clone());
        self.gsi2sk = g.map(|g| g.gsi2sk);
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
pub(super) fn item_live(item: &Item, now: i64) -> bool {
    match item.get("ttl") {
        Some(AttributeValue::N(n)) => n.parse::<i64>().map(|t| t > now).unwrap_or(true),
        _ => true,
    }
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
            gsi2pk: self.gsi2pk.clone(),
            gsi2sk: self.gsi2sk.clone(),
            ttl: self.ttl,
            version: self.version + 1,
            data,
        }
    }
}

impl Record<serde_json::Value> {
    /// The same record with its data read as `T` (items of several
    /// entities read by one Query arrive as JSON values).
    pub fn parse<T: DeserializeOwned>(self) -> Result<Record<T>, StoreError> {
        let data = serde_json::from_value(self.data).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(Record {
            pk: self.pk,
            sk: self.sk,
            entity: self.entity,
            gsi1pk: self.gsi1pk,
            gsi1sk: self.gsi1sk,
            gsi2pk: self.gsi2pk,
            gsi2sk: self.gsi2sk,
            ttl: self.ttl,
            version: self.version,
            data,
        })
    }
}

/// Reads a typed record out of a raw item (e.g. from [`Table::get_many`]).
pub fn record<T: DeserializeOwned>(item: Option<Item>) -> Result<Option<Record<T>>, StoreError> {
    item.map(from_item).transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_whose_ttl_passed_are_not_live() {
        let r = Record::new(crate::keys::user("u1"), "User", serde_json::json!({})).expires(1_000);
        let item = to_item(&r);
        assert!(item_live(&item, 999));
        assert!(!item_live(&item, 1_000));
        let forever = to_item(&Record::new(crate::keys::user("u2"), "User", serde_json::json!({})));
        assert!(item_live(&forever, i64::MAX));
    }

    #[test]
    fn records_round_trip_through_items() {
        let r = Record::new(crate::keys::user("u1"), "User", serde_json::json!({"name": "Ada"})).expires(5);
        let back: Record<serde_json::Value> = from_item(to_item(&r)).unwrap();
        assert_eq!(back, r);
        assert!(matches!(from_item::<Record<u8>>(to_item(&r)), Err(StoreError::Corrupt(_))));
    }
}
