//! Writes, built before the table is known: put (new, versioned,
//! conditional), update and delete, each a `TransactWriteItem` that
//! [`super::Table::transact`] or [`super::Table::write_one`] sends.
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem, Update};
use serde::Serialize;
use std::collections::HashMap;

use super::record::{av, key_item, to_item, Record};
use crate::keys::Key;

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
                (!c.expression.is_empty()).then_some(c.expression),
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

/// An update expression, with the names and values both it and its
/// optional condition use (held in a [`Cond`] whose expression stays empty
/// until [`UpdateSpec::when`]).
#[derive(Default)]
pub struct UpdateSpec {
    pub update: String,
    pub cond: Cond,
}

impl UpdateSpec {
    pub fn new(update: &str) -> Self {
        Self { update: update.into(), ..Default::default() }
    }
    pub fn when(mut self, condition: &str) -> Self {
        self.cond.expression = condition.into();
        self
    }
    pub fn name(mut self, placeholder: &str, attr: &str) -> Self {
        self.cond = self.cond.name(placeholder, attr);
        self
    }
    pub fn value<T: Serialize>(mut self, placeholder: &str, v: T) -> Self {
        self.cond = self.cond.value(placeholder, v);
        self
    }
}

pub fn update(key: &Key, spec: UpdateSpec) -> TransactWriteItem {
    let (condition, names, values) = Cond::parts(Some(spec.cond));
    let u = Update::builder()
        .table_name(TABLE_PLACEHOLDER)
        .set_key(Some(key_item(key)))
        .update_expression(spec.update)
        .set_condition_expression(condition)
        .set_expression_attribute_names(names)
        .set_expression_attribute_values(values);
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

pub(super) fn with_table(mut w: TransactWriteItem, table: &str) -> TransactWriteItem {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys;

    #[test]
    fn versioned_puts_expect_the_previous_version() {
        let r = Record::new(keys::user("u1"), "User", serde_json::json!({"name": "Ada"}));
        let next = r.next(serde_json::json!({"name": "Ada L."}));
        assert_eq!(next.version, 2);
        let w = put_versioned(&next);
        let p = w.put.unwrap();
        assert_eq!(p.condition_expression.as_deref(), Some("#version = :expected"));
        assert_eq!(p.expression_attribute_values.unwrap()[":expected"], AttributeValue::N("1".into()));
        assert_eq!(p.item["name"], AttributeValue::S("Ada L.".into()));
        assert_eq!(p.table_name, "__table__");
        let named = with_table(put_new(&r), "handoff-Table");
        assert_eq!(named.put.unwrap().table_name, "handoff-Table");
    }

    #[test]
    fn conditions_leave_out_empty_maps() {
        let d = delete(&keys::user("u1"), Some(Cond::new("attribute_exists(pk)"))).delete.unwrap();
        assert!(d.expression_attribute_names.is_none() && d.expression_attribute_values.is_none());
        let u = update(
            &keys::user("u1"),
            UpdateSpec::new("SET #n = :n").name("#n", "name").value(":n", "x").when("version = :v").value(":v", 3),
        )
        .update
        .unwrap();
        assert_eq!(u.condition_expression.as_deref(), Some("version = :v"));
        assert_eq!(u.expression_attribute_names.unwrap()["#n"], "name");
        assert_eq!(u.expression_attribute_values.unwrap().len(), 2);
    }
}
