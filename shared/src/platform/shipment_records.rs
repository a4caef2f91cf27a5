//! What every shipments route shares: loading a shipment the caller owns,
//! writing its next version with its index key, broken rules as problems,
//! and the shipment as answers show it.
use aws_sdk_dynamodb::types::TransactWriteItem;

pub use super::booking_records::next_shipment;
use super::http::Problem;
use super::store::{put_new, Record, Table};
use super::trip_records::owned_with_documents;
use crate::domain::documents::Document;
use crate::domain::shipments::{Shipment, ShipmentError};
use crate::keys::{self, entity};

/// The caller's shipment and its photo uploads (one Query); anyone else's
/// answers 404 exactly like a missing one.
pub async fn own_shipment(
    table: &Table,
    shipment_id: &str,
    user_id: &str,
) -> Result<(Record<Shipment>, Vec<Document>), Problem> {
    owned_with_documents::<Shipment>(table, keys::shipment_partition(shipment_id), entity::SHIPMENT, "shipment", |s| {
        s.sender_id == user_id
    })
    .await
}

/// A new shipment's record with its by-sender-and-status index key.
pub fn new_shipment(s: &Shipment) -> TransactWriteItem {
    let g = keys::shipments_of(&s.sender_id, s.status.as_str(), &s.created_at, &s.shipment_id);
    put_new(&Record::new(keys::shipment(&s.shipment_id), entity::SHIPMENT, s.clone()).gsi1(g))
}

pub fn shipment_changed() -> Problem {
    Problem::conflict("shipment-changed", "the shipment was changed by another request; read it and retry")
}

impl From<ShipmentError> for Problem {
    fn from(e: ShipmentError) -> Self {
        match e {
            ShipmentError::Invalid(errors) => Problem::validation(errors),
            ShipmentError::Prohibited(reason) => Problem::new(422, "prohibited-goods", "Prohibited goods", reason),
            e @ ShipmentError::NotDraft(_) => Problem::conflict("shipment-not-draft", e.to_string()),
        }
    }
}

impl From<crate::domain::customs::CustomsError> for Problem {
    fn from(e: crate::domain::customs::CustomsError) -> Self {
        use crate::domain::customs::CustomsError as E;
        match e {
            E::Domestic(_) => Problem::new(422, "customs-not-needed", "No customs needed", e.to_string()),
            E::NoContents => Problem::field("package.contents", e.to_string()),
            E::NoRate(_) => Problem::new(422, "no-exchange-rate", "No exchange rate", e.to_string()),
        }
    }
}

/// A shipment as answers show it: with its photo uploads and their status.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "ShipmentView")]
pub struct ShipmentView {
    #[serde(flatten)]
    pub shipment: Shipment,
    /// Photo uploads (pending, accepted or rejected).
    pub photo_uploads: Vec<Document>,
}
