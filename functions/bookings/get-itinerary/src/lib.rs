//! GET /itineraries/{id} — the sender's itinerary: status and its history,
//! the quote's lines and total, segments, and each booking's status and
//! deadline. Anyone else's answers 404. One Query (itinerary + bookings).
use handoff::domain::bookings::Itinerary;
use handoff::platform::booking_records::own_itinerary;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let l = own_itinerary(ctx.table()?, req.path_param("id")?, &me.user_id).await?;
    Ok(Reply::ok(&l.itinerary.data))
}

pub fn operation() -> Operation {
    Operation::get("/itineraries/{id}", "bookings", "An itinerary of the caller's")
        .reply::<Itinerary>(200, "the itinerary")
}
