//! Withdraws what depended on a verification when it is taken away: on
//! UserVerificationChanged to anything but verified, the traveler's
//! published trips; on VehicleVerificationChanged to anything but verified,
//! the owner's published trips with a leg in that vehicle. Each trip is
//! unpublished like PUT /trips/{id}/unpublish does it (its next version and
//! TripUnpublished in one transaction, conditional on the version read), so
//! search drops it and only its traveler can read it. Redelivery is safe: a
//! trip already unpublished is skipped, and the processed marker is written
//! only when every trip is done. One Query on gsi1 (pages of 100), then one
//! TransactWriteItems per trip withdrawn.
use handoff::domain::events::{DomainEvent, TripUnpublished, UserVerificationChanged, VehicleVerificationChanged};
use handoff::domain::identity::Verification;
use handoff::domain::trips::{Trip, TripStatus};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::{Actor, Envelope};
use handoff::platform::lambda::EventError;
use handoff::platform::store::{Query, Record, StoreError, WriteItem};
use handoff::platform::trip_records::next_version_with;

/// Whose published trips to withdraw, and (for a vehicle) which of them.
fn withdrawal(e: &Envelope) -> Result<Option<(String, Option<String>)>, EventError> {
    Ok(match e.detail_type.as_str() {
        UserVerificationChanged::DETAIL_TYPE => {
            let u: UserVerificationChanged = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (u.verification != Verification::Verified).then_some((u.user_id, None))
        }
        VehicleVerificationChanged::DETAIL_TYPE => {
            let v: VehicleVerificationChanged =
                serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (v.verification != Verification::Verified).then_some((v.owner_id, Some(v.vehicle_id)))
        }
        _ => None,
    })
}

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let table = ctx.table()?;
    let Some((traveler_id, vehicle)) = withdrawal(e)? else {
        return Ok(Vec::new());
    };
    let mut cursor: Option<String> = None;
    let mut withdrawn = 0;
    loop {
        let page = table
            .query::<Trip>(Query {
                index: Some("gsi1"),
                partition: keys::trips_of_traveler(&traveler_id),
                sort_prefix: Some(format!("{}#", TripStatus::Published)),
                forward: true,
                limit: 100,
                cursor: cursor.as_deref(),
            })
            .await?;
        for current in page.items {
            if current.data.status != TripStatus::Published
                || vehicle.as_ref().is_some_and(|v| !current.data.vehicle_ids().contains(v))
            {
                continue;
            }
            withdrawn += u32::from(unpublish(ctx, e, current).await?);
        }
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    tracing::info!(traveler_id, vehicle, withdrawn, "published trips withdrawn");
    Ok(Vec::new())
}

/// Unpublishes one trip (false: it changed meanwhile and is no longer published).
async fn unpublish(ctx: &Ctx, e: &Envelope, current: Record<Trip>) -> Result<bool, EventError> {
    let mut trip = current.data.clone();
    if trip.unpublish().is_err() {
        return Ok(false);
    }
    let (write, outbox) = next_version_with(&current, &mut trip, &e.correlation_id, Actor::system(), |t, revision| {
        TripUnpublished { trip_id: t.trip_id.clone(), traveler_id: t.traveler_id.clone(), revision }
    });
    match ctx.table()?.transact(vec![write, outbox]).await {
        Ok(()) => Ok(true),
        // Changed since it was read: the redelivery reads it again.
        Err(StoreError::ConditionFailed { .. }) => Err(EventError::Conflict),
        Err(other) => Err(other.into()),
    }
}
