//! A traveler cancelled a trip (TripCancelled): every live booking on it is
//! withdrawn before pickup. The booking is cancelled, the capacity it
//! reserved released (CapacityChanged), and its itinerary needs rebooking,
//! saying why, with BookingWithdrawn, one transaction per booking
//! (conditional on the versions read; a conflict is retried). A paid
//! itinerary's share for that traveler is then refunded by payments.
//! Query gsi1 (the traveler's pending and accepted bookings) + per booking:
//! Query (itinerary partition) + TransactWriteItems.
use handoff::domain::bookings::{Booking, BookingStatus, ItineraryStatus};
use handoff::domain::events::{BookingWithdrawn, DomainEvent, TripCancelled};
use handoff::keys;
use handoff::platform::booking_records::{booking_write, capacity_event, itinerary_write, load, release};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::{Actor, Envelope};
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::store::{Query, StoreError, WriteItem};

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    if e.detail_type != TripCancelled::DETAIL_TYPE {
        return Ok(Vec::new());
    }
    let tc: TripCancelled = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
    let table = ctx.table()?;
    let mut live = Vec::new();
    for status in [BookingStatus::Pending, BookingStatus::Accepted] {
        let page = table
            .query::<Booking>(Query {
                index: Some("gsi1"),
                partition: keys::bookings_of_traveler(&tc.traveler_id),
                sort_prefix: Some(format!("{}#", status.as_str())),
                forward: true,
                limit: 100,
                cursor: None,
            })
            .await?;
        live.extend(page.items.into_iter().filter(|b| b.data.trip_id == tc.trip_id));
    }
    let at = ctx.now_rfc3339();
    let why = format!("the traveler cancelled trip {}", tc.trip_id);
    for found in live {
        let Some(l) = load(table, &found.data.itinerary_id).await? else {
            continue;
        };
        let Some(current) = l.booking(&found.data.booking_id) else {
            continue;
        };
        let mut it = l.itinerary.data.clone();
        let mut b = current.data.clone();
        let was = b.status;
        if !was.is_live()
            || matches!(it.status, ItineraryStatus::Cancelled | ItineraryStatus::Delivered | ItineraryStatus::InTransit)
        {
            continue;
        }
        let paid = it.status == ItineraryStatus::Confirmed;
        b.status = BookingStatus::Cancelled;
        b.reason = Some(why.clone());
        b.updated_at = at.clone();
        it.failed(&b.booking_id, BookingStatus::Cancelled, why.clone(), &at)
            .map_err(|err| EventError::Invalid(err.to_string()))?;
        let mut writes = vec![booking_write(Some(current), &b), itinerary_write(Some(&l.itinerary), &it)];
        if was == BookingStatus::Accepted {
            writes.push(release(&b.trip_id, b.parcel.weight_grams));
            writes.push(capacity_event(&b, b.parcel.weight_grams as i64, &e.correlation_id, Actor::system()));
        }
        writes.push(outbox::event(
            &BookingWithdrawn {
                itinerary_id: it.itinerary_id.clone(),
                booking_id: b.booking_id.clone(),
                trip_id: b.trip_id.clone(),
                traveler_id: b.traveler_id.clone(),
                sender_id: it.sender_id.clone(),
                paid,
            },
            &e.correlation_id,
            Actor::system(),
        ));
        match table.transact(writes).await {
            Ok(()) => tracing::info!(booking_id = %b.booking_id, paid, "booking withdrawn"),
            Err(StoreError::ConditionFailed { .. }) => return Err(EventError::Conflict),
            Err(err) => return Err(err.into()),
        }
    }
    Ok(Vec::new())
}
