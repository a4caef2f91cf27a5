//! GET /me/booking-requests?status=&limit=&cursor= — booking requests for
//! the caller's trips, by status or all, newest first within a status: the
//! parcel (category, weight, size, photos as 15-minute links) and the
//! route; the sender's and recipient's contacts only once accepted. One
//! Query on gsi1; presigning makes no call.
use handoff::domain::bookings::{Booking, BookingStatus};
use handoff::keys;
use handoff::platform::booking_records::{booking_view, BookingView};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;
use serde::Serialize;
use serde_json::json;

/// A request with links to the parcel's photos.
#[derive(Serialize, schemars::JsonSchema)]
pub struct BookingRequest {
    #[serde(flatten)]
    pub booking: BookingView,
    /// Presigned GET URLs of the photos, valid 15 minutes.
    pub photo_urls: Vec<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let status = match req.query.get("status") {
        None => None,
        Some(s) => Some(BookingStatus::parse(s).map_err(|e| Problem::field("status", e))?),
    };
    let page = ctx
        .table()?
        .query::<Booking>(Query {
            index: Some("gsi1"),
            partition: keys::bookings_of_traveler(&me.user_id),
            sort_prefix: status.map(|s| format!("{}#", s.as_str())),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let files = ctx.files()?;
    let mut items = Vec::new();
    for r in page.items {
        let mut photo_urls = Vec::new();
        for p in &r.data.parcel.photos {
            photo_urls.push(files.view_url(&p.object_key).await?);
        }
        items.push(BookingRequest { booking: booking_view(&r.data), photo_urls });
    }
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/me/booking-requests", "bookings", "Booking requests for the caller's trips")
        .describe("The parcel and the route; the sender's and recipient's contacts only once accepted.")
        .paged()
        .query(
            "status",
            "pending, accepted, declined, expired or cancelled",
            json!({"enum": BookingStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()}),
        )
        .reply::<Page<BookingRequest>>(200, "a page of booking requests")
}
