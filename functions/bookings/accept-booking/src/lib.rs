//! PUT /bookings/{id}/accept — the traveler accepts a pending request before
//! its deadline: the parcel's weight is reserved on the trip by a
//! conditional write, so concurrent acceptances never exceed the trip's
//! capacity (409 capacity-exhausted); once every traveler accepted, the
//! itinerary awaits payment. The search projection follows through
//! CapacityChanged. Query (itinerary + bookings) + TransactWriteItems.
use handoff::domain::events::{BookingAccepted, ItineraryAccepted};
use handoff::domain::money::Money;
use handoff::platform::booking_records::{
    answered, booking_changed, booking_view, booking_write, capacity_event, itinerary_write, reserve,
    travelers_booking, BookingView,
};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let (l, current) = travelers_booking(ctx.table()?, id, &me.user_id).await?;
    let current = &current;
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let mut b = current.data.clone();
    b.accept(now, &at)?;
    let mut it = l.itinerary.data.clone();
    let all_accepted = it.accepted(id, &at)?;
    let weight = b.parcel.weight_grams;
    if weight > b.trip_capacity_grams {
        return Err(Problem::conflict("capacity-exhausted", "the parcel is heavier than the trip's capacity"));
    }
    let (cid, actor) = (&req.correlation_id, req.actor());
    let mut reply = Reply::ok(&booking_view(&b))
        .write(
            reserve(&b.trip_id, weight, b.trip_capacity_grams),
            Some(Problem::conflict(
                "capacity-exhausted",
                format!("the trip has less than {weight} g of capacity left; decline the request"),
            )),
        )
        .write(booking_write(Some(current), &b), Some(booking_changed()))
        .write(itinerary_write(Some(&l.itinerary), &it), Some(booking_changed()))
        .write(outbox::event(&BookingAccepted(answered(&b)), cid, actor.clone()), None)
        .write(capacity_event(&b, -(weight as i64), cid, actor.clone()), None);
    if all_accepted {
        let e = ItineraryAccepted {
            itinerary_id: it.itinerary_id.clone(),
            shipment_id: it.shipment_id.clone(),
            sender_id: it.sender_id.clone(),
            quote_id: it.quote_id.clone(),
            total: Money::new(it.total, it.currency.clone()),
        };
        reply = reply.write(outbox::event(&e, cid, actor), None);
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::put("/bookings/{id}/accept", "bookings", "Accept a booking request for one of the caller's trips")
        .describe(
            "Reserves the parcel's weight on the trip (never beyond its capacity); the answer shows the \
             sender's and recipient's contacts. When every traveler has accepted, the itinerary awaits payment.",
        )
        .reply::<BookingView>(200, "the accepted booking")
        .problem(409, "capacity-exhausted")
        .problem(409, "booking-expired")
        .problem(409, "booking-not-pending")
        .problem(409, "booking-changed")
        .problem(409, "illegal-transition")
}
