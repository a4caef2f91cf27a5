//! On a schedule (every 5 minutes): booking requests not answered by their
//! deadline expire, and their itineraries need rebooking, saying why. Reads
//! the sparse pending index (gsi2) up to the scheduled event's time; each
//! expiry is its own transaction (booking, itinerary, BookingExpired), so a
//! conflict with a traveler answering at that moment skips it and the next
//! run looks again. Query (gsi2) + per due booking: Query + TransactWriteItems.
use handoff::domain::bookings::{Booking, BookingStatus};
use handoff::domain::events::BookingExpired;
use handoff::keys;
use handoff::platform::booking_records::{answered, booking_write, itinerary_write, load};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Actor;
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::store::StoreError;
use serde::Serialize;

/// At most this many expiries per run (the next run takes the rest).
const BATCH: i32 = 100;

#[derive(Debug, Serialize)]
pub struct Report {
    pub expired: Vec<String>,
    pub skipped: usize,
}

pub async fn handle(ctx: &Ctx, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let table = ctx.table()?;
    // The scheduled event's time is "now" (EventBridge sets it to the schedule's tick).
    let now = ctx.scheduled_time(&scheduled);
    let at = handoff::platform::clock::rfc3339(now as i128 * 1000);
    let upto = format!("{:011}#~", now);
    let due = table.query_until::<Booking>("gsi2", keys::pending_bookings().into(), &upto, BATCH).await?;
    let mut report = Report { expired: Vec::new(), skipped: 0 };
    for d in due {
        let Some(l) = load(table, &d.data.itinerary_id).await? else {
            report.skipped += 1;
            continue;
        };
        let Some(current) = l.booking(&d.data.booking_id) else {
            report.skipped += 1;
            continue;
        };
        let mut b = current.data.clone();
        if b.expire(now, &at).is_err() {
            report.skipped += 1;
            continue;
        }
        let mut it = l.itinerary.data.clone();
        let why = format!("the traveler of trip {} did not answer in time", b.trip_id);
        if it.failed(&b.booking_id, BookingStatus::Expired, why, &at).is_err() {
            report.skipped += 1;
            continue;
        }
        let actor = Actor::system();
        let writes = vec![
            booking_write(Some(current), &b),
            itinerary_write(Some(&l.itinerary), &it),
            outbox::event(&BookingExpired(answered(&b)), &b.booking_id, actor),
        ];
        match table.transact(writes).await {
            Ok(()) => report.expired.push(b.booking_id.clone()),
            Err(StoreError::ConditionFailed { .. }) => report.skipped += 1,
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(expired = report.expired.len(), skipped = report.skipped, "booking requests expired");
    Ok(report)
}
