//! The handoff plan (ItineraryConfirmed): one step per change of hands —
//! sender → first carrier, carrier → carrier at each handoff place, last
//! carrier → recipient — each with its parties, place and time window; the
//! tracking chain starts ("planned") and the shipment gets its public
//! tracking token. A recipient whose email has an account can scan the last
//! carrier's QR code; everyone else gets a delivery code.
//! ItineraryCancelled (before pickup) cancels the plan: its codes stop working.
//! BatchGetItem (itinerary, shipment, custody) + GetItem (the recipient's
//! email) + TransactWriteItems.
use handoff::domain::bookings::{Itinerary, ItineraryStatus};
use handoff::domain::custody::{plan, Custody, CustodyStatus, TrackingKind};
use handoff::domain::events::{DomainEvent, ItineraryCancelled, ItineraryConfirmed};
use handoff::domain::shipments::Shipment;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::random_token;
use handoff::platform::custody_records::{custody_write, track};
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::store::{put_new, record, Record, WriteItem};
use serde_json::json;

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let (itinerary_id, shipment_id) = match e.detail_type.as_str() {
        ItineraryConfirmed::DETAIL_TYPE => {
            let c: ItineraryConfirmed = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (c.itinerary_id, c.shipment_id)
        }
        ItineraryCancelled::DETAIL_TYPE => {
            let c: ItineraryCancelled = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (c.itinerary_id, c.shipment_id)
        }
        _ => return Ok(Vec::new()),
    };
    let table = ctx.table()?;
    let items = table
        .get_many(&[keys::itinerary(&itinerary_id), keys::shipment(&shipment_id), keys::custody(&shipment_id)], true)
        .await?;
    let mut items = items.into_iter();
    let it = record::<Itinerary>(items.next().flatten())?;
    let shipment = record::<Shipment>(items.next().flatten())?;
    let current = record::<Custody>(items.next().flatten())?;
    let (Some(it), Some(shipment)) = (it, shipment) else {
        return Ok(Vec::new());
    };
    let at = ctx.now_rfc3339();
    if e.detail_type == ItineraryCancelled::DETAIL_TYPE {
        let Some(cur) = current.filter(|c| c.data.itinerary_id == itinerary_id) else {
            return Ok(Vec::new());
        };
        if cur.data.status != CustodyStatus::Planned {
            return Ok(Vec::new());
        }
        let mut c = cur.data.clone();
        c.status = CustodyStatus::Cancelled;
        c.updated_at = at.clone();
        let link = track(&mut c, TrackingKind::Cancelled, &at, json!({"itinerary_id": itinerary_id}));
        return Ok(vec![custody_write(Some(&cur), &c), link]);
    }
    // Only a confirmed (or already moving) itinerary is planned, once; a
    // plan of an earlier, cancelled itinerary of the shipment is replaced.
    if !matches!(it.data.status, ItineraryStatus::Confirmed | ItineraryStatus::InTransit) {
        return Ok(Vec::new());
    }
    if let Some(c) = &current {
        if c.data.itinerary_id == itinerary_id || c.data.status != CustodyStatus::Cancelled {
            return Ok(Vec::new());
        }
    }
    let email = shipment.data.recipient.email.as_str().to_string();
    let claim: Option<Record<serde_json::Value>> = table.get(&keys::email(&email), false).await?;
    let recipient = claim.and_then(|c| c.data.get("user_id").and_then(|u| u.as_str()).map(str::to_string));
    let mut c = plan(&it.data, recipient, &at);
    let token = random_token(24);
    c.tracking_token = token.clone();
    let body = json!({
        "itinerary_id": itinerary_id,
        "steps": c.steps.iter().map(|s| json!({"n": s.n, "step": s.kind, "place": s.place,
            "opens_at": s.opens_at, "closes_at": s.closes_at})).collect::<Vec<_>>(),
    });
    let link = track(&mut c, TrackingKind::Planned, &at, body);
    let write = custody_write(current.as_ref(), &c);
    let pointer = Record::new(
        keys::tracking_token(&token),
        entity::TRACKING_TOKEN,
        json!({"shipment_id": shipment_id, "itinerary_id": itinerary_id}),
    );
    Ok(vec![write, link, put_new(&pointer)])
}
