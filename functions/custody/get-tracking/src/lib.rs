//! GET /shipments/{id}/tracking — the shipment's timeline (planned, picked
//! up, handed over, out for delivery, delivered, …) for its parties, and
//! whether its hash chain verifies: every event's hash is recomputed from
//! the previous hash and the event's canonical JSON, and the last must be
//! the head stored with the custody. An edited, removed or reordered event
//! shows as `verified: false` with the first link that fails. Reported
//! positions are shown to carriers only; others see the nearest city.
//! One Query (the custody partition).
use handoff::domain::custody::{timeline, verify, Tracking};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::sha256_hex;
use handoff::platform::custody_records::party_chain;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let (c, links) = party_chain(ctx.table()?, id, &me.user_id).await?;
    let verification = verify(&links, &c.data.chain, sha256_hex);
    let carrier = c.data.carriers().contains(&me.user_id);
    Ok(Reply::ok(&Tracking {
        shipment_id: c.data.shipment_id.clone(),
        status: c.data.status,
        holder: c.data.holder.clone(),
        timeline: timeline(&links, carrier),
        verification,
    }))
}

pub fn operation() -> Operation {
    Operation::get("/shipments/{id}/tracking", "custody", "A shipment's tracking timeline, verified")
        .describe("Every tracking event in order with its hash, and the hash chain's verification. Parties only.")
        .reply::<Tracking>(200, "the timeline and its verification")
}
