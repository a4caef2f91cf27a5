//! POST /itineraries/{id}/rebook {"quote_id"} — replaces the failed part of
//! an itinerary that needs rebooking: the new quote (for the whole route,
//! from a fresh search for the failed part) must keep every live booking's
//! trip and legs; its other trips become new requests, checked like a new
//! booking. Accepted parts are not asked again. Query (itinerary) and
//! GetItem (quote) at the same time, then BatchGetItem + TransactWriteItems:
//! three round trips.
use handoff::platform::booking_records::{
    booking_changed, booking_write, check_quote, itinerary_write, new_bookings, own_itinerary, own_quote, requested,
    ResponseWindow,
};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RebookQuote")]
struct Body {
    quote_id: String,
}

pub async fn handle(ctx: &Ctx<ResponseWindow>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let body: Body = req.json()?;
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    // The itinerary and the quote are read at the same time.
    let (l, quote) = futures::join!(
        own_itinerary(table, req.path_param("id")?, &me.user_id),
        own_quote(table, &body.quote_id, &me.user_id)
    );
    let l = l?;
    let mut it = l.itinerary.data.clone();
    if it.status != handoff::domain::bookings::ItineraryStatus::NeedsRebooking {
        return Err(handoff::domain::bookings::RebookError::NotNeeded(it.status).into());
    }
    if l.payment.as_ref().is_some_and(|p| p.data.status.was_paid()) {
        // A paid itinerary a traveler withdrew from: its share is refunded;
        // paying for a new part is not offered yet.
        return Err(Problem::conflict(
            "paid-itinerary",
            "this itinerary was paid: cancel it (what is left is refunded in full) and book the shipment again",
        ));
    }
    let c = check_quote(table, quote?, &me.user_id, now, &it.live_trips()).await?;
    if c.quote.shipment_id != it.shipment_id {
        return Err(Problem::field("quote_id", "the quote is for another shipment"));
    }
    let fresh = it.rebook_onto(&c.quote)?;
    let bookings =
        new_bookings(&it, &c.shipment, &fresh, &c.capacities, it.bookings.len() + 1, now, ctx.config.seconds, &at);
    it.add_requests(&bookings, &fresh);
    it.request(&at, Some("rebooked".into()))?;
    let event = requested(&it, &bookings, true);
    let mut reply = Reply::ok(&it)
        .write(itinerary_write(Some(&l.itinerary), &it), Some(booking_changed()))
        .write(outbox::event(&event, &req.correlation_id, req.actor()), None);
    for b in &bookings {
        reply = reply.write(booking_write(None, b), None);
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::post("/itineraries/{id}/rebook", "bookings", "Rebook the failed part of an itinerary")
        .describe(
            "Search again for the failed part, then quote the whole route (kept segments + the new ones) \
             and post the quote here: kept bookings stay, the new trips become requests.",
        )
        .body::<Body>()
        .example(serde_json::json!({"quote_id": "0192f0c2-0000-7000-8000-000000000004"}))
        .reply::<handoff::domain::bookings::Itinerary>(200, "the itinerary, requested again")
        .problem(409, "illegal-transition")
        .problem(409, "route-changed")
        .problem(409, "shipment-changed")
        .problem(409, "photo-required")
        .problem(409, "booking-changed")
        .problem(409, "paid-itinerary")
        .problem(410, "quote-expired")
}
