//! GET /me/trips?status=&limit=&cursor= — the caller's trips, by status
//! (draft, published, unpublished, cancelled) or all, newest first within a
//! status, with a signed cursor. One Query on gsi1.
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::{Trip, TripStatus};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;
use handoff::platform::trip_records::{trip_view, TripView};
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let status = match req.query.get("status") {
        None => None,
        Some(s) => Some(s.parse::<TripStatus>().map_err(|e| Problem::field("status", e))?),
    };
    let page = ctx
        .table()?
        .query::<Trip>(Query {
            index: Some("gsi1"),
            partition: keys::trips_of_traveler(&me.user_id),
            sort_prefix: status.map(|s| format!("{s}#")),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<_> = page.items.iter().map(|r| trip_view(&r.data, Gazetteer::embedded(), &[])).collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/me/trips", "trips", "The caller's trips, newest first within a status")
        .paged()
        .query(
            "status",
            "draft, published, unpublished or cancelled",
            json!({"enum": ["draft", "published", "unpublished", "cancelled"]}),
        )
        .reply::<Page<TripView>>(200, "a page of trips")
}
