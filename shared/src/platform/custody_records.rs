//! What the custody routes and consumers share: the custody key (QR tokens
//! and delivery codes), the configured tolerances, loading a shipment's
//! custody for one of its parties, appending to the tracking chain, and the
//! one transaction that completes a handoff (custody, chain links, the
//! itinerary and shipment moving on, the events).
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde_json::{json, Value};

use super::booking_records::{itinerary_write, next_shipment};
use super::context::FromEnv;
use super::crypto::{b64url, b64url_decode, ct_eq, hmac_sha256, sha256_hex};
use super::env::{ConfigError, Env};
use super::envelope::Actor;
use super::http::Problem;
use super::outbox;
use super::store::{put_new, put_versioned, Record, Table};
use crate::domain::bookings::{Itinerary, ItineraryStatus};
use crate::domain::custody::{
    append, open_token, sign_token, Completed, Custody, Link, PhotoProof, Refusal, Rules, Scan, Step, TokenClaims,
    TokenRefusal, TrackingKind, MAX_PHOTOS,
};
use crate::domain::documents::{DocStatus, Document};
use crate::domain::events::{DeliveryCodeIssued, DeliveryConfirmed, HandoffCompleted, RecipientContact};
use crate::domain::shipments::{Shipment, ShipmentStatus};
use crate::domain::validation::Errors;
use crate::keys::{self, entity};

/// The custody key (`CUSTODY_KEY`, from the auth secret): signs QR tokens
/// and derives delivery codes.
pub struct CustodyKey(Vec<u8>);

impl CustodyKey {
    pub fn new(key: &str) -> Self {
        Self(key.as_bytes().to_vec())
    }
    pub fn mac(&self, data: &[u8]) -> [u8; 32] {
        hmac_sha256(&self.0, data)
    }
    pub fn token(&self, claims: &TokenClaims) -> String {
        sign_token(claims, |d| self.mac(d), b64url)
    }
    pub fn open(&self, token: &str, handoff_id: &str, now: i64) -> Result<TokenClaims, TokenRefusal> {
        open_token(token, handoff_id, now, |d, sig| ct_eq(&self.mac(d), sig), b64url_decode)
    }
    pub fn code(&self, handoff_id: &str, nonce: &str) -> String {
        crate::domain::custody::delivery_code(handoff_id, nonce, |d| self.mac(d))
    }
}

/// A custody function's settings: the key and the tolerances
/// (`HANDOFF_RADIUS_KM`, `HANDOFF_EARLY_MINUTES`, `HANDOFF_GRACE_MINUTES`).
pub struct CustodyConfig {
    pub key: CustodyKey,
    pub rules: Rules,
}

impl FromEnv for CustodyConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let minutes = |name: &str, default: i64| -> Result<i64, ConfigError> {
            match env.get(name) {
                None => Ok(default * 60),
                Some(_) => Ok(env.parse::<i64>(name)? * 60),
            }
        };
        let radius_km = match env.get("HANDOFF_RADIUS_KM") {
            None => 25.0,
            Some(_) => env.parse::<f64>("HANDOFF_RADIUS_KM")?,
        };
        Ok(Self {
            key: CustodyKey::new(&env.require("CUSTODY_KEY")?),
            rules: Rules {
                radius_km,
                early_seconds: minutes("HANDOFF_EARLY_MINUTES", 60)?,
                grace_seconds: minutes("HANDOFF_GRACE_MINUTES", 120)?,
            },
        })
    }
}

/// A custody's first or next version, with its place on the index of
/// handoffs watched for a miss (the next pending step's window end).
pub fn custody_write(current: Option<&Record<Custody>>, c: &Custody) -> TransactWriteItem {
    let due = c.watched().map(|s| keys::handoff_due(s.closes_at.0, &c.shipment_id));
    match current {
        None => put_new(&Record::new(keys::custody(&c.shipment_id), entity::CUSTODY, c.clone()).gsi2(due)),
        Some(cur) => put_versioned(&cur.next(c.clone()).gsi2(due)),
    }
}

/// A shipment's custody for one of its parties; anyone else (and a shipment
/// without a plan) answers 404 `shipment`.
pub async fn party_custody(table: &Table, shipment_id: &str, user_id: &str) -> Result<Record<Custody>, Problem> {
    let c: Option<Record<Custody>> = table.get(&keys::custody(shipment_id), true).await?;
    c.filter(|c| c.data.is_party(user_id)).ok_or_else(|| Problem::not_found("shipment"))
}

/// A handoff step for one of the shipment's parties: 404 `handoff` otherwise.
pub async fn party_step(table: &Table, handoff_id: &str, user_id: &str) -> Result<(Record<Custody>, usize), Problem> {
    let missing = || Problem::not_found("handoff");
    let (shipment_id, n) = crate::domain::custody::parse_handoff_id(handoff_id).ok_or_else(missing)?;
    let c: Option<Record<Custody>> = table.get(&keys::custody(shipment_id), true).await?;
    let c = c.filter(|c| c.data.is_party(user_id) && n < c.data.steps.len()).ok_or_else(missing)?;
    Ok((c, n))
}

/// A shipment's custody and its whole tracking chain (one Query).
pub async fn custody_and_links(
    table: &Table,
    shipment_id: &str,
) -> Result<Option<(Record<Custody>, Vec<Link>)>, Problem> {
    let (items, _) = table.query_all::<Value>(keys::custody_partition(shipment_id), 50).await?;
    let mut custody = None;
    let mut links = Vec::new();
    for r in items {
        if r.entity == entity::CUSTODY {
            custody = Some(r.parse::<Custody>().map_err(|_| Problem::internal())?);
        } else if r.entity == entity::TRACKING_LINK {
            links.push(r.parse::<Link>().map_err(|_| Problem::internal())?.data);
        }
    }
    Ok(custody.map(|c| (c, links)))
}

/// A shipment's custody and chain for one of its parties; anyone else (and
/// a shipment without a plan) answers 404 `shipment`.
pub async fn party_chain(
    table: &Table,
    shipment_id: &str,
    user_id: &str,
) -> Result<(Record<Custody>, Vec<Link>), Problem> {
    custody_and_links(table, shipment_id)
        .await?
        .filter(|(c, _)| c.data.is_party(user_id))
        .ok_or_else(|| Problem::not_found("shipment"))
}

/// Appends an event to the custody's chain: the link's write, the head moved.
pub fn track(c: &mut Custody, kind: TrackingKind, at: &str, mut body: Value) -> TransactWriteItem {
    body["kind"] = json!(kind);
    body["at"] = json!(at);
    let link = append(&c.chain, &body, sha256_hex);
    c.chain.length = link.seq;
    c.chain.head = link.hash.clone();
    put_new(&Record::new(keys::tracking_link(&c.shipment_id, link.seq), entity::TRACKING_LINK, link))
}

/// A refusal as the caller sees it.
impl From<Refusal> for Problem {
    fn from(r: Refusal) -> Self {
        let detail = r.to_string();
        match r {
            Refusal::NotActive(_) => Problem::conflict("custody-not-active", detail),
            Refusal::AlreadyDone => Problem::conflict("already-scanned", detail),
            Refusal::Locked => Problem::new(423, "handoff-locked", "Handoff locked", detail),
            Refusal::PreviousPending => Problem::conflict("previous-handoff-pending", detail),
            Refusal::NotYours(_) => Problem::forbidden(detail),
            Refusal::TooEarly(at) => Problem::conflict("too-early", detail).with("opens_at", at),
            Refusal::TooFar { distance_km, max_km } => {
                Problem::new(422, "too-far", "Too far from the handoff place", detail)
                    .with("distance_km", distance_km)
                    .with("max_km", max_km)
            }
            Refusal::PhotoRequired => Problem::field("photos", detail),
            Refusal::Token(TokenRefusal::Expired) => Problem::new(422, "token-expired", "QR code expired", detail),
            Refusal::Token(_) => Problem::new(422, "invalid-token", "Invalid QR code", detail),
            Refusal::NeedsCode => Problem::conflict("delivery-code-required", detail),
            Refusal::NoCode => Problem::conflict("no-delivery-code", detail),
            Refusal::WrongCode(left) => {
                Problem::new(422, "wrong-delivery-code", "Wrong delivery code", detail).with("attempts_left", left)
            }
        }
    }
}

/// The tracking body of a completed step (exact position: the parties see
/// it; the public page shows places only).
pub fn step_body(step: &Step, scan: &Scan) -> Value {
    json!({
        "handoff_id": step.handoff_id,
        "n": step.n,
        "step": step.kind,
        "giver": step.giver.role,
        "receiver": step.receiver.role,
        "place": step.place,
        "scanned_at": scan.at,
        "by": scan.by,
        "method": scan.method,
        "position": scan.position,
        "distance_km": scan.distance_km,
        "late": scan.late,
        "photos": scan.photos,
    })
}

/// What completing step `n` also needs when it moves the itinerary and
/// shipment (the first and the last step) or issues the delivery code.
pub struct Around {
    pub itinerary: Record<Itinerary>,
    pub shipment: Record<Shipment>,
}

/// The writes of a completed step, in one transaction: the custody's next
/// version with its chain links (the step; out for delivery; delivered),
/// the itinerary and shipment moved at the first and last step, and the
/// events. `current` is the version read; `c` the completed one (its chain
/// head moves with the links).
#[allow(clippy::too_many_arguments)]
pub fn completion_writes(
    current: &Record<Custody>,
    c: &mut Custody,
    n: usize,
    done: &Completed,
    around: Option<&Around>,
    at: &str,
    correlation_id: &str,
    actor: Actor,
) -> Result<Vec<TransactWriteItem>, Problem> {
    let step = c.steps[n].clone();
    let scan = step.scan.clone().expect("a completed step has its scan");
    let kind = match step.kind {
        crate::domain::custody::StepKind::Pickup => TrackingKind::PickedUp,
        crate::domain::custody::StepKind::Handover => TrackingKind::HandedOver,
        crate::domain::custody::StepKind::Delivery => TrackingKind::Delivered,
    };
    let mut writes = vec![track(c, kind, at, step_body(&step, &scan))];
    let mut events = vec![outbox::event(
        &HandoffCompleted {
            shipment_id: c.shipment_id.clone(),
            itinerary_id: c.itinerary_id.clone(),
            sender_id: c.sender_id.clone(),
            handoff_id: step.handoff_id.clone(),
            n,
            kind: step.kind,
            giver: step.giver.clone(),
            receiver: step.receiver.clone(),
            place: step.place.clone(),
            at: scan.at,
            late: scan.late,
            method: scan.method,
        },
        correlation_id,
        actor.clone(),
    )];
    let around = match (done.needs_around(), around) {
        (false, _) => None,
        (true, Some(a)) => Some(a),
        (true, None) => return Err(Problem::internal()),
    };
    if let (Some(d), Some(a)) = (done.code_for, around) {
        let ds = &c.steps[d];
        let code = ds.code.clone().expect("an issued code");
        let r = &a.shipment.data.recipient;
        events.push(outbox::event(
            &DeliveryCodeIssued {
                shipment_id: c.shipment_id.clone(),
                itinerary_id: c.itinerary_id.clone(),
                sender_id: c.sender_id.clone(),
                handoff_id: ds.handoff_id.clone(),
                nonce: code.nonce,
                carrier_id: ds.giver.user_id.clone().unwrap_or_default(),
                recipient: RecipientContact {
                    name: r.name.clone(),
                    email: r.email.as_str().to_string(),
                    phone: r.phone.as_str().to_string(),
                },
                place: ds.place.clone(),
                expected_at: ds.opens_at,
            },
            correlation_id,
            actor.clone(),
        ));
        let body = json!({"handoff_id": ds.handoff_id, "place": ds.place, "expected_at": ds.opens_at});
        writes.push(track(c, TrackingKind::OutForDelivery, at, body));
    }
    if let Some(a) = around {
        let mut it = a.itinerary.data.clone();
        let mut s = a.shipment.data.clone();
        if done.first {
            it.go(ItineraryStatus::InTransit, at, None)?;
            s.status = ShipmentStatus::InTransit;
        }
        if done.delivered {
            it.go(ItineraryStatus::Delivered, at, None)?;
            s.status = ShipmentStatus::Delivered;
        }
        if done.first || done.delivered {
            s.updated_at = at.into();
            writes.push(itinerary_write(Some(&a.itinerary), &it));
            writes.push(next_shipment(&a.shipment, s));
        }
    }
    if done.delivered {
        events.push(outbox::event(
            &DeliveryConfirmed {
                shipment_id: c.shipment_id.clone(),
                itinerary_id: c.itinerary_id.clone(),
                sender_id: c.sender_id.clone(),
                carriers: c.carriers(),
                at: scan.at,
                chain_head: c.chain.head.clone(),
            },
            correlation_id,
            actor,
        ));
    }
    writes.insert(0, custody_write(Some(current), c));
    writes.extend(events);
    Ok(writes)
}

/// The itinerary and shipment around a custody (one BatchGetItem).
pub async fn around(table: &Table, c: &Custody) -> Result<Around, Problem> {
    let items = table.get_many(&[keys::itinerary(&c.itinerary_id), keys::shipment(&c.shipment_id)], true).await?;
    let mut it = items.into_iter();
    let itinerary = super::store::record::<Itinerary>(it.next().flatten())?.ok_or_else(Problem::internal)?;
    let shipment = super::store::record::<Shipment>(it.next().flatten())?.ok_or_else(Problem::internal)?;
    Ok(Around { itinerary, shipment })
}

/// The accepted photos `ids` that `user_id` took at a handoff (one Query),
/// with their hashes; an unknown, pending or rejected one is a 422.
pub async fn photos_of(
    table: &Table,
    handoff_id: &str,
    user_id: &str,
    ids: &[String],
) -> Result<Vec<PhotoProof>, Problem> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    if ids.len() > MAX_PHOTOS {
        return Err(Problem::field("photos", format!("at most {MAX_PHOTOS} photos")));
    }
    let uploads = table
        .under::<Document>(keys::handoff_photos_partition(handoff_id, user_id), keys::documents_prefix(), 100)
        .await?;
    let mut errors = Errors::new();
    let mut out = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let found = uploads.iter().find(|d| &d.data.document_id == id);
        match found.map(|d| (&d.data.status, &d.data.sha256)) {
            Some((DocStatus::Accepted, Some(h))) => {
                if !out.iter().any(|p: &PhotoProof| &p.photo_id == id) {
                    out.push(PhotoProof { photo_id: id.clone(), sha256: h.clone() });
                }
            }
            _ => errors.push(&format!("photos[{i}]"), "no accepted photo of yours with this id at this handoff"),
        }
    }
    errors.finish(Some(out)).map_err(Problem::validation)
}

/// The conflict a completion answers when another request changed the custody first.
pub fn custody_changed() -> Problem {
    Problem::conflict("custody-changed", "the handoff was completed or changed by another request; read it again")
}
