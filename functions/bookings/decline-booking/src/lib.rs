//! PUT /bookings/{id}/decline {"reason"} — the traveler declines a pending
//! request: the itinerary needs rebooking, saying why; its accepted parts
//! stay. Query (itinerary + bookings) + TransactWriteItems.
use handoff::domain::bookings::BookingStatus;
use handoff::domain::events::BookingDeclined;
use handoff::platform::booking_records::{
    answered, booking_changed, booking_view, booking_write, itinerary_write, travelers_booking, BookingView,
};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "DeclineBooking")]
struct Body {
    /// Why (1 to 500 characters), shown to the sender.
    reason: String,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let body: Body = req.json()?;
    let reason = body.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Problem::field("reason", "give a reason of 1 to 500 characters"));
    }
    let (l, current) = travelers_booking(ctx.table()?, id, &me.user_id).await?;
    let current = &current;
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let mut b = current.data.clone();
    b.decline(reason.clone(), now, &at)?;
    let mut it = l.itinerary.data.clone();
    it.failed(id, BookingStatus::Declined, format!("the traveler of trip {} declined: {reason}", b.trip_id), &at)?;
    Ok(Reply::ok(&booking_view(&b))
        .write(booking_write(Some(current), &b), Some(booking_changed()))
        .write(itinerary_write(Some(&l.itinerary), &it), Some(booking_changed()))
        .write(outbox::event(&BookingDeclined(answered(&b)), &req.correlation_id, req.actor()), None))
}

pub fn operation() -> Operation {
    Operation::put("/bookings/{id}/decline", "bookings", "Decline a booking request for one of the caller's trips")
        .body::<Body>()
        .example(serde_json::json!({"reason": "My luggage allowance is used up"}))
        .reply::<BookingView>(200, "the declined booking")
        .problem(409, "booking-expired")
        .problem(409, "booking-not-pending")
        .problem(409, "booking-changed")
        .problem(409, "illegal-transition")
}
