//! GET /shipments/{id}/handoffs — the handoff plan and custody of a
//! shipment, for its parties (the sender, its carriers, a recipient with an
//! account): each step's parties, place, window and status, who holds the
//! parcel now, the chain head; the sender also sees the public tracking
//! token. Anyone else, and a shipment not yet paid, answers 404.
//! One GetItem.
use handoff::domain::custody::CustodyView;
use handoff::platform::context::Ctx;
use handoff::platform::custody_records::party_custody;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let c = party_custody(ctx.table()?, req.path_param("id")?, &me.user_id).await?;
    Ok(Reply::ok(&c.data.view(&me.user_id)))
}

pub fn operation() -> Operation {
    Operation::get("/shipments/{id}/handoffs", "custody", "A shipment's handoff plan and custody")
        .describe(
            "Built when the itinerary is paid: sender → first carrier, carrier → carrier at each handoff place, \
             last carrier → recipient, each with its window. Parties only.",
        )
        .reply::<CustodyView>(200, "the plan and who holds the parcel")
}
