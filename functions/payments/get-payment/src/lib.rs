//! GET /itineraries/{id}/payment — how an itinerary's payment stands for
//! its sender: status, amounts held in escrow, released and refunded, the
//! deadline, and the itinerary's ledger transfers. Query (itinerary partition).
use handoff::platform::booking_records::own_itinerary;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payment_records::{payment_view, PaymentView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let l = own_itinerary(ctx.table()?, req.path_param("id")?, &me.user_id).await?;
    Ok(Reply::ok(&payment_view(&l)))
}

pub fn operation() -> Operation {
    Operation::get("/itineraries/{id}/payment", "payments", "An itinerary's payment")
        .describe("Status, amounts held in escrow, released and refunded, the deadline, and the ledger transfers.")
        .reply::<PaymentView>(200, "the payment")
}
