//! GET /me/shipments?status=&limit=&cursor= — the caller's shipments by
//! status (draft, booked, in_transit, delivered) or all, newest first within
//! a status, with a signed cursor. One Query on gsi1.
use handoff::domain::shipments::{Shipment, ShipmentStatus};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let status = match req.query.get("status") {
        None => None,
        Some(s) => Some(ShipmentStatus::parse(s).map_err(|e| Problem::field("status", e))?),
    };
    let page = ctx
        .table()?
        .query::<Shipment>(Query {
            index: Some("gsi1"),
            partition: keys::shipments_of_sender(&me.user_id),
            sort_prefix: status.map(|s| format!("{}#", s.as_str())),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<Shipment> = page.items.into_iter().map(|r| r.data).collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/me/shipments", "shipments", "The caller's shipments, newest first within a status")
        .paged()
        .query(
            "status",
            "draft, booked, in_transit or delivered",
            json!({"enum": ShipmentStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()}),
        )
        .reply::<Page<Shipment>>(200, "a page of shipments")
}
