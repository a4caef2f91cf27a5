//! Keeps the search projection current from TripPublished, TripUnpublished
//! and TripCancelled. Idempotent (the consumer helper's processed-marker) and
//! order-safe: each trip's state item holds the revision applied and the leg
//! keys indexed; an event older than that revision changes nothing, and a
//! newer one replaces the trip's legs in one transaction conditional on the
//! state it read. GetItem + one TransactWriteItems per event.
use handoff::domain::events::{DomainEvent, TripCancelled, TripPublished, TripUnpublished};
use handoff::domain::search::{search_legs, SearchLeg};
use handoff::keys::{self, entity, Key};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::store::{delete, put, put_new, put_versioned, Record, WriteItem};
use serde::{Deserialize, Serialize};

/// Legs stay in the projection a day after they arrive.
const KEEP_AFTER_ARRIVAL: i64 = 24 * 3600;

/// What the projection holds for one trip.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TripState {
    pub trip_id: String,
    pub revision: u64,
    /// The leg keys indexed (none: the trip is not searchable).
    pub legs: Vec<Key>,
}

/// The projection's change for one trip event: (revision, legs to index).
fn change(e: &Envelope) -> Result<Option<(String, u64, Vec<SearchLeg>)>, EventError> {
    let bad = EventError::Malformed;
    Ok(match e.detail_type.as_str() {
        TripPublished::DETAIL_TYPE => {
            let p: TripPublished = serde_json::from_value(e.data.clone()).map_err(bad)?;
            let legs = search_legs(&p.trip_id, &p.traveler_id, p.revision, p.mode, &p.legs, &p.constraints);
            Some((p.trip_id, p.revision, legs))
        }
        TripUnpublished::DETAIL_TYPE => {
            let u: TripUnpublished = serde_json::from_value(e.data.clone()).map_err(bad)?;
            Some((u.trip_id, u.revision, Vec::new()))
        }
        TripCancelled::DETAIL_TYPE => {
            let c: TripCancelled = serde_json::from_value(e.data.clone()).map_err(bad)?;
            Some((c.trip_id, c.revision, Vec::new()))
        }
        _ => None,
    })
}

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let table = ctx.table()?;
    let Some((trip_id, revision, legs)) = change(e)? else {
        return Ok(Vec::new());
    };
    let current: Option<Record<TripState>> = table.get(&keys::search_trip(&trip_id), true).await?;
    if current.as_ref().is_some_and(|c| c.data.revision >= revision) {
        tracing::info!(
            trip_id,
            revision,
            applied = current.map(|c| c.data.revision),
            "older trip event: nothing to do"
        );
        return Ok(Vec::new());
    }
    let new_keys: Vec<Key> = legs.iter().map(|l| keys::search_leg(l.depart_at, &l.trip_id, l.leg_no)).collect();
    let mut writes = Vec::new();
    if let Some(c) = &current {
        writes.extend(c.data.legs.iter().filter(|k| !new_keys.contains(k)).map(|k| delete(k, None)));
    }
    for (k, l) in new_keys.iter().zip(&legs) {
        let ttl = l.arrive_at.0 + KEEP_AFTER_ARRIVAL;
        writes.push(put(&Record::new(k.clone(), entity::SEARCH_LEG, l.clone()).expires(ttl), None));
    }
    let state = TripState { trip_id: trip_id.clone(), revision, legs: new_keys };
    writes.push(match current {
        Some(c) => put_versioned(&c.next(state)),
        None => put_new(&Record::new(keys::search_trip(&trip_id), entity::SEARCH_TRIP, state)),
    });
    Ok(writes)
}
