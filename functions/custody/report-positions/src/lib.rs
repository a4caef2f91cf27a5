//! POST /shipments/{id}/positions {positions: [{lat, lon, at}]} — the
//! carrier holding the parcel reports where it went (1 to 50 positions a
//! batch, at most 10 batches per 10 minutes). The batch is one link of the
//! tracking chain (exact positions: the carriers see them); the sender and
//! the recipient see only the nearest city (`last_seen`), also sent live
//! (ParcelLocated).
//! GetItem (custody) + TransactWriteItems (custody, link, rate counter, event).
use handoff::domain::custody::{check_positions, CustodyStatus, CustodyView, LastSeen, PositionsIn, TrackingKind};
use handoff::domain::events::ParcelLocated;
use handoff::domain::geo::LatLon;
use handoff::domain::places::Gazetteer;
use handoff::platform::context::Ctx;
use handoff::platform::custody_records::{custody_changed, custody_write, party_custody, track};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::ratelimit::Limit;
use serde_json::json;

const LIMIT: Limit = Limit { scope: "positions", max: 10, window_seconds: 600 };

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let body: PositionsIn = req.json()?;
    let cur = party_custody(ctx.table()?, id, &me.user_id).await?;
    if !cur.data.carriers().contains(&me.user_id) {
        return Err(Problem::forbidden("only the shipment's carriers report its positions"));
    }
    let holding = cur.data.holder.as_ref().filter(|h| h.party.user_id.as_deref() == Some(me.user_id.as_str()));
    let Some(since) = holding.filter(|_| cur.data.status == CustodyStatus::InTransit).map(|h| h.since.0) else {
        return Err(Problem::conflict("not-carrying", "positions are reported by the carrier holding the parcel"));
    };
    let now = ctx.now();
    let reports = check_positions(&body, since, now).map_err(Problem::validation)?;
    let last = reports.last().expect("a checked batch has a position");
    let city =
        Gazetteer::embedded().nearest_city(LatLon { lat: last.lat, lon: last.lon }).ok_or_else(Problem::internal)?;
    let seen = LastSeen { place: city.id.into(), name: city.name.into(), country: city.country.into(), at: last.at };
    let at = ctx.now_rfc3339();
    let mut c = cur.data.clone();
    c.last_seen = Some(seen.clone());
    c.updated_at = at.clone();
    let link =
        track(&mut c, TrackingKind::Position, &at, json!({"by": me.user_id, "positions": reports, "last_seen": seen}));
    let located = ParcelLocated {
        shipment_id: c.shipment_id.clone(),
        itinerary_id: c.itinerary_id.clone(),
        sender_id: c.sender_id.clone(),
        last_seen: seen,
    };
    let busy = Problem::too_many(
        "too-many-reports",
        "at most 10 batches per 10 minutes: send more positions at once",
        LIMIT.retry_after(now),
    );
    Ok(Reply::json(202, &c.view(&me.user_id))
        .write(custody_write(Some(&cur), &c), Some(custody_changed()))
        .write(LIMIT.count(&format!("{id}#{}", me.user_id), now), Some(busy))
        .writes([link, outbox::event(&located, &req.correlation_id, req.actor())]))
}

pub fn operation() -> Operation {
    Operation::post("/shipments/{id}/positions", "custody", "Report the parcel's positions (carrier)")
        .describe(
            "The carrier holding the parcel, in transit: 1 to 50 positions a batch, at most 10 batches per \
             10 minutes. The sender and recipient see the nearest city only.",
        )
        .body::<PositionsIn>()
        .example(json!({"positions": [{"lat": 46.2, "lon": 6.14, "at": "2026-12-01T10:05:00Z"}]}))
        .reply::<CustodyView>(202, "the custody with its last_seen")
        .problem(403, "forbidden")
        .problem(409, "not-carrying")
        .problem(429, "too-many-reports")
}
