//! GET /me/itineraries?status=&limit=&cursor= — the caller's itineraries by
//! status or all, newest first within a status. One Query on gsi1.
use handoff::domain::bookings::{Itinerary, ItineraryStatus};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;
use serde_json::json;

const STATUSES: [ItineraryStatus; 9] = [
    ItineraryStatus::Draft,
    ItineraryStatus::Requested,
    ItineraryStatus::Accepted,
    ItineraryStatus::AwaitingPayment,
    ItineraryStatus::Confirmed,
    ItineraryStatus::InTransit,
    ItineraryStatus::Delivered,
    ItineraryStatus::Cancelled,
    ItineraryStatus::NeedsRebooking,
];

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let status = match req.query.get("status") {
        None => None,
        Some(s) => Some(
            STATUSES
                .into_iter()
                .find(|k| k.as_str() == s.trim())
                .ok_or_else(|| Problem::field("status", "must be an itinerary status such as requested"))?,
        ),
    };
    let page = ctx
        .table()?
        .query::<Itinerary>(Query {
            index: Some("gsi1"),
            partition: keys::itineraries_of_sender(&me.user_id),
            sort_prefix: status.map(|s| format!("{}#", s.as_str())),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<Itinerary> = page.items.into_iter().map(|r| r.data).collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/me/itineraries", "bookings", "The caller's itineraries, newest first within a status")
        .paged()
        .query(
            "status",
            "an itinerary status",
            json!({"enum": STATUSES.iter().map(|s| s.as_str()).collect::<Vec<_>>()}),
        )
        .reply::<Page<Itinerary>>(200, "a page of itineraries")
}
