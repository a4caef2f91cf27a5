//! What every trips and vehicles route shares: loading a trip or vehicle the
//! caller may see, writing the next version with its index keys, turning a
//! broken rule into problem+json, and the trip as answers show it.
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde_json::{json, Value};

use super::http::{ApiRequest, Problem, Reply};
use super::store::{put_new, put_versioned, record, Query, Record, Table};
use crate::domain::documents::Document;
use crate::domain::events::DomainEvent;
use crate::domain::geo::local_time;
use crate::domain::places::Gazetteer;
use crate::domain::trips::{Trip, TripStatus};
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
pub fn save_trip(current: &Record<Trip>, trip: Trip) -> (TransactWriteItem, u64) {
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
    trip.updated_at = super::clock::now_rfc3339();
    let (write, revision) = save_trip(current, trip.clone());
    let e = event(&trip, revision);
    Reply::ok(&trip_view(&trip, places, &[]))
        .write(write, Some(changed_meanwhile()))
        .write(super::outbox::event(&e, &req.correlation_id, req.actor()), None)
}

pub fn changed_meanwhile() -> Problem {
    Problem::conflict("trip-changed", "the trip was changed by another request; read it and retry")
}

/// A trip as answers show it: UTC times, and each leg's times also in the
/// zone of its places.
pub fn trip_view(trip: &Trip, places: &Gazetteer, documents: &[Document]) -> Value {
    let mut v = serde_json::to_value(trip).unwrap_or_default();
    let zone = |id: &str| places.get(id).map(|p| p.zone).unwrap_or("UTC");
    if let Some(legs) = v["legs"].as_array_mut() {
        for (leg, l) in legs.iter_mut().zip(&trip.legs) {
            leg["depart_local"] = json!(local_time(l.depart_at.0, zone(&l.origin)));
            leg["arrive_local"] = json!(local_time(l.arrive_at.0, zone(&l.destination)));
        }
    }
    v["earliest_departure_local"] = json!(local_time(trip.earliest_departure.0, zone(&trip.origin)));
    v["latest_arrival_local"] = json!(local_time(trip.latest_arrival.0, zone(&trip.destination)));
    v["documents"] = json!(documents);
    v
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
            let data: T = serde_json::from_value(r.data.clone()).map_err(|_| Problem::internal())?;
            head = Some(Record {
                pk: r.pk,
                sk: r.sk,
                entity: r.entity,
                gsi1pk: r.gsi1pk,
                gsi1sk: r.gsi1sk,
                ttl: r.ttl,
                version: r.version,
                data,
            });
        } else if r.entity == entity::DOCUMENT {
            docs.extend(serde_json::from_value::<Document>(r.data).ok());
        }
    }
    Ok((head, docs))
}
