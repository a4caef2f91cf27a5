//! What every trips and vehicles route shares: loading a trip or vehicle the
//! caller may see, writing the next version with its index keys, turning a
//! broken rule into problem+json, and the trip as answers show it.
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde_json::Value;

use super::envelope::Actor;
use super::http::{ApiRequest, Problem, Reply};
use super::store::{put_new, put_versioned, record, Query, Record, Table};
use crate::domain::documents::Document;
use crate::domain::events::DomainEvent;
use crate::domain::geo::local_time;
use crate::domain::places::Gazetteer;
use crate::domain::trips::{Constraints, Instant, Leg, Mode, Trip, TripRule, TripStatus};
use crate::domain::vehicles::Vehicle;
use crate::keys::{self, entity, Key};

/// The trip if the caller owns it. Someone else's trip answers 404 exactly
/// like a missing one, so trip ids cannot be probed.
pub async fn own_trip(table: &Table, trip_id: &str, user_id: &str) -> Result<Record<Trip>, Problem> {
    let r: Option<Record<Trip>> = table.get(&keys::trip(trip_id), true).await?;
    r.filter(|r| r.data.traveler_id == user_id).ok_or_else(|| Problem::not_found("trip"))
}

/// A new trip's record, with its by-traveler-and-status index key.
pub fn new_trip(trip: Trip) -> TransactWriteItem {
    let g = keys::trips_of(&trip.traveler_id, trip.status.as_str(), &trip.created_at, &trip.trip_id);
    put_new(&Record::new(keys::trip(&trip.trip_id), entity::TRIP, trip).gsi1(g))
}

/// The next version of a trip (optimistic: fails if it changed meanwhile),
/// its index key following its status. Returns the write and the revision.
fn save_trip(current: &Record<Trip>, trip: Trip) -> (TransactWriteItem, u64) {
    let g = keys::trips_of(&trip.traveler_id, trip.status.as_str(), &trip.created_at, &trip.trip_id);
    let next = current.next(trip).gsi1(g);
    (put_versioned(&next), next.version)
}

/// The answer to a change of the caller's trip: the trip as it is now, its
/// next version written (stamped `updated_at`), conditional on the version read.
pub fn saved(places: &Gazetteer, current: &Record<Trip>, mut trip: Trip) -> Reply {
    trip.updated_at = super::clock::now_rfc3339();
    let (write, _) = save_trip(current, trip.clone());
    Reply::ok(&trip_view(&trip, places, &[])).write(write, Some(changed_meanwhile()))
}

/// The same, with the event the change causes (built from the trip and its
/// new revision) in the outbox, in the same transaction.
pub fn saved_with<E: DomainEvent>(
    req: &ApiRequest,
    places: &Gazetteer,
    current: &Record<Trip>,
    mut trip: Trip,
    event: impl FnOnce(&Trip, u64) -> E,
) -> Reply {
    let (write, outbox) = next_version_with(current, &mut trip, &req.correlation_id, req.actor(), event);
    Reply::ok(&trip_view(&trip, places, &[])).write(write, Some(changed_meanwhile())).write(outbox, None)
}

/// The next version of a trip (stamped `updated_at`, conditional on the
/// version read) and the event the change causes, built from the trip and
/// its new revision: the two writes of one transaction.
pub fn next_version_with<E: DomainEvent>(
    current: &Record<Trip>,
    trip: &mut Trip,
    correlation_id: &str,
    actor: Actor,
    event: impl FnOnce(&Trip, u64) -> E,
) -> (TransactWriteItem, TransactWriteItem) {
    trip.updated_at = super::clock::now_rfc3339();
    let (write, revision) = save_trip(current, trip.clone());
    (write, super::outbox::event(&event(trip, revision), correlation_id, actor))
}

/// The problems a broken trip rule answers, for the contract of every
/// route that changes a trip.
pub fn trip_rule_problems() -> Vec<(u16, &'static str)> {
    let mut all: Vec<(u16, &'static str)> = TripRule::kinds()
        .into_iter()
        .map(|r| {
            let slug = r.slug();
            (Problem::from(r).status, slug)
        })
        .collect();
    all.push((409, "trip-changed"));
    all
}

pub fn changed_meanwhile() -> Problem {
    Problem::conflict("trip-changed", "the trip was changed by another request; read it and retry")
}

/// A leg as answers show it: its UTC times also in the zones of its places.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct LegView {
    #[serde(flatten)]
    pub leg: Leg,
    pub depart_local: Option<String>,
    pub arrive_local: Option<String>,
}

/// A trip as answers show it: UTC times, each also in the zone of its place,
/// and (for its traveler) its documents.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct TripView {
    pub trip_id: String,
    pub traveler_id: String,
    pub status: TripStatus,
    pub mode: Mode,
    pub origin: String,
    pub destination: String,
    pub earliest_departure: Instant,
    pub latest_arrival: Instant,
    pub earliest_departure_local: Option<String>,
    pub latest_arrival_local: Option<String>,
    pub legs: Vec<LegView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub constraints: Option<Constraints>,
    pub documents: Vec<Document>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn trip_view(trip: &Trip, places: &Gazetteer, documents: &[Document]) -> TripView {
    let zone = |id: &str| places.get(id).map(|p| p.zone).unwrap_or("UTC");
    TripView {
        trip_id: trip.trip_id.clone(),
        traveler_id: trip.traveler_id.clone(),
        status: trip.status,
        mode: trip.mode,
        origin: trip.origin.clone(),
        destination: trip.destination.clone(),
        earliest_departure: trip.earliest_departure,
        latest_arrival: trip.latest_arrival,
        earliest_departure_local: local_time(trip.earliest_departure.0, zone(&trip.origin)),
        latest_arrival_local: local_time(trip.latest_arrival.0, zone(&trip.destination)),
        legs: trip
            .legs
            .iter()
            .map(|l| LegView {
                leg: l.clone(),
                depart_local: local_time(l.depart_at.0, zone(&l.origin)),
                arrive_local: local_time(l.arrive_at.0, zone(&l.destination)),
            })
            .collect(),
        constraints: trip.constraints.clone(),
        documents: documents.to_vec(),
        created_at: trip.created_at.clone(),
        updated_at: trip.updated_at.clone(),
    }
}

/// A vehicle as answers show it: with its documents.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
pub struct VehicleView {
    #[serde(flatten)]
    pub vehicle: Vehicle,
    pub documents: Vec<Document>,
}

/// A trip other people may see: published only.
pub fn visible_to(trip: &Trip, user_id: &str) -> bool {
    trip.traveler_id == user_id || trip.status == TripStatus::Published
}

/// A document and the aggregate it belongs to, read together (one
/// BatchGetItem); 404 unless the caller `owns` the aggregate, then unless the
/// document exists.
pub async fn owned_document<T: serde::de::DeserializeOwned>(
    table: &Table,
    owner: Key,
    document: Key,
    what: &str,
    owns: impl Fn(&T) -> bool,
) -> Result<Record<Document>, Problem> {
    let mut found = table.get_many(&[owner, document], true).await?.into_iter();
    let aggregate: Option<Record<T>> = record(found.next().flatten())?;
    aggregate.filter(|r| owns(&r.data)).ok_or_else(|| Problem::not_found(what))?;
    record(found.next().flatten())?.ok_or_else(|| Problem::not_found("document"))
}

/// The vehicle if the caller owns it (404 otherwise).
pub async fn own_vehicle(table: &Table, vehicle_id: &str, user_id: &str) -> Result<Record<Vehicle>, Problem> {
    let r: Option<Record<Vehicle>> = table.get(&keys::vehicle(vehicle_id), true).await?;
    r.filter(|r| r.data.owner_id == user_id).ok_or_else(|| Problem::not_found("vehicle"))
}

/// An aggregate the caller `owns` and its documents (one Query); anyone
/// else's answers 404 exactly like a missing one.
pub async fn owned_with_documents<T: serde::de::DeserializeOwned>(
    table: &Table,
    partition: String,
    entity_name: &str,
    what: &str,
    owns: impl Fn(&T) -> bool,
) -> Result<(Record<T>, Vec<Document>), Problem> {
    let (head, docs) = with_documents::<T>(table, partition, entity_name).await?;
    Ok((head.filter(|r| owns(&r.data)).ok_or_else(|| Problem::not_found(what))?, docs))
}

/// An aggregate and its documents, from one Query of its partition
/// (`TRIP#…` or `VEHICLE#…`; documents are capped at 100 per owner).
pub async fn with_documents<T: serde::de::DeserializeOwned>(
    table: &Table,
    partition: String,
    entity_name: &str,
) -> Result<(Option<Record<T>>, Vec<Document>), Problem> {
    let page = table
        .query::<Value>(Query { index: None, partition, sort_prefix: None, forward: true, limit: 101, cursor: None })
        .await?;
    let mut head = None;
    let mut docs = Vec::new();
    for r in page.items {
        if r.entity == entity_name {
            head = Some(r.parse::<T>().map_err(|_| Problem::internal())?);
        } else if r.entity == entity::DOCUMENT {
            docs.extend(serde_json::from_value::<Document>(r.data).ok());
        }
    }
    Ok((head, docs))
}
