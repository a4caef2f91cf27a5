//! Keeps the search projection current from TripPublished, TripUnpublished,
//! TripCancelled and CapacityChanged. Idempotent (the consumer helper's processed-marker) and
//! order-safe: each trip's state item holds the revision applied and the leg
//! keys indexed; an event older than that revision changes nothing, and a
//! newer one replaces the trip's legs in one transaction conditional on the
//! state it read. Capacity changes commute: the state sums them (each event
//! once, by the processed-marker) and the trip's legs carry what is left,
//! so a full trip stops being offered for heavier parcels. GetItem + one
//! TransactWriteItems per event.
use handoff::domain::events::{CapacityChanged, DomainEvent, TripCancelled, TripPublished, TripUnpublished};
use handoff::domain::search::{search_legs, SearchLeg};
use handoff::keys::{self, entity, Key};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::store::{delete, put, put_new, put_versioned, update, Record, UpdateSpec, WriteItem};
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
    /// The trip's capacity as last published.
    #[serde(default)]
    pub capacity_grams: Option<u32>,
    /// Reserved by accepted bookings (the sum of CapacityChanged).
    #[serde(default)]
    pub reserved_grams: i64,
}

fn remaining(capacity: u32, reserved: i64) -> u32 {
    (capacity as i64 - reserved).clamp(0, capacity as i64) as u32
}

/// CapacityChanged: the sum moves, and the trip's legs that have not left
/// yet carry what remains.
async fn capacity(ctx: &Ctx, c: CapacityChanged) -> Result<Vec<WriteItem>, EventError> {
    let table = ctx.table()?;
    let current: Option<Record<TripState>> = table.get(&keys::search_trip(&c.trip_id), true).await?;
    let mut state = current.as_ref().map(|r| r.data.clone()).unwrap_or(TripState {
        trip_id: c.trip_id.clone(),
        revision: 0,
        legs: Vec::new(),
        capacity_grams: None,
        reserved_grams: 0,
    });
    state.reserved_grams -= c.change_grams;
    let mut writes = Vec::new();
    if let Some(cap) = state.capacity_grams {
        let left = remaining(cap, state.reserved_grams);
        let now = ctx.now();
        for k in &state.legs {
            let departs: i64 = k.sk.split('#').next().and_then(|d| d.parse().ok()).unwrap_or(0);
            if departs > now {
                writes.push(update(
                    k,
                    UpdateSpec::new("SET remaining_grams = :r").when("attribute_exists(pk)").value(":r", left),
                ));
            }
        }
    }
    writes.push(match current {
        Some(r) => put_versioned(&r.next(state)),
        None => put_new(&Record::new(keys::search_trip(&c.trip_id), entity::SEARCH_TRIP, state)),
    });
    Ok(writes)
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
    if e.detail_type == CapacityChanged::DETAIL_TYPE {
        let c: CapacityChanged = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
        return capacity(ctx, c).await;
    }
    let table = ctx.table()?;
    let Some((trip_id, revision, mut legs)) = change(e)? else {
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
    let reserved = current.as_ref().map_or(0, |c| c.data.reserved_grams);
    let capacity_grams =
        legs.first().map(|l| l.remaining_grams).or(current.as_ref().and_then(|c| c.data.capacity_grams));
    for l in &mut legs {
        l.remaining_grams = remaining(l.remaining_grams, reserved);
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
    let state =
        TripState { trip_id: trip_id.clone(), revision, legs: new_keys, capacity_grams, reserved_grams: reserved };
    writes.push(match current {
        Some(c) => put_versioned(&c.next(state)),
        None => put_new(&Record::new(keys::search_trip(&trip_id), entity::SEARCH_TRIP, state)),
    });
    Ok(writes)
}
