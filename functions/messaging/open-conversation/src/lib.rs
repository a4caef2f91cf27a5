//! The conversation of an itinerary opens when a traveler accepts
//! (BookingAccepted): the sender and every traveler of a live booking get
//! their member item (GET /me/conversations lists it before any message).
//! Upserts: a member's unread count and dates are kept.
//! GetItem (itinerary) + TransactWriteItems (members, processed-marker).
use handoff::domain::events::{BookingAccepted, DomainEvent};
use handoff::domain::messaging::participants;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::messaging_records::member_join;
use handoff::platform::store::{Record, WriteItem};

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    if e.detail_type != BookingAccepted::DETAIL_TYPE {
        return Ok(Vec::new());
    }
    let accepted: BookingAccepted = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
    let id = &accepted.0.itinerary_id;
    let it: Option<Record<handoff::domain::bookings::Itinerary>> = ctx.table()?.get(&keys::itinerary(id), true).await?;
    let Some(people) = it.and_then(|it| participants(&it.data)) else {
        return Ok(Vec::new());
    };
    let at = ctx.now_rfc3339();
    Ok(people.iter().map(|p| member_join(&p.user_id, id, &at)).collect())
}
