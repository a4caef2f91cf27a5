//! Chain of custody: the handoff plan of a confirmed itinerary (one step per
//! change of hands, each with its giving and receiving party, place and time
//! window), signed single-use QR tokens, the rules a scan or a delivery code
//! must pass, the custody state they move, and the per-shipment hash chain
//! of tracking events. Pure: keys and time come from the caller.
use serde::{Deserialize, Serialize};

use super::bookings::{segment_from, segment_to, Itinerary};
use super::geo::{great_circle_km, LatLon};
use super::search::RouteSegment;
use super::trips::Instant;
use super::validation::{Errors, FieldError};

/// The sender hands the parcel over from this long before the first departure.
pub const PICKUP_WINDOW_SECONDS: i64 = 24 * 3600;
/// The last carrier delivers within this long of arriving.
pub const DELIVERY_WINDOW_SECONDS: i64 = 24 * 3600;
/// A QR token is good for this long (the giving party's app refreshes it).
pub const TOKEN_SECONDS: i64 = 600;
/// Wrong delivery codes before the step locks.
pub const MAX_CODE_ATTEMPTS: u32 = 5;
/// At most this many photos per scan.
pub const MAX_PHOTOS: usize = 5;
/// The hash before the first event of a chain.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Sender,
    Traveler,
    Courier,
    Recipient,
}

/// Someone who gives or takes the parcel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Party {
    pub role: Role,
    /// The account; a recipient without one has none (they get a delivery code).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    /// Sender → first carrier.
    Pickup,
    /// Carrier → next carrier at a handoff place.
    Handover,
    /// Last carrier → recipient.
    Delivery,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    Pending,
    Done,
    /// Too many wrong delivery codes: support unlocks it.
    Locked,
}

/// How a step was completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The receiving party scanned the giving party's QR code.
    Qr,
    /// The carrier entered the recipient's delivery code.
    Code,
}

/// A photo of the parcel, by the hash of its file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PhotoProof {
    pub photo_id: String,
    /// SHA-256 of the file, hex.
    pub sha256: String,
}

/// A completed step: who, when, where, with what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Scan {
    pub at: Instant,
    pub by: String,
    pub method: Method,
    pub position: LatLon,
    /// From the step's place, km (one decimal).
    pub distance_km: f64,
    /// After the window closed.
    pub late: bool,
    pub photos: Vec<PhotoProof>,
}

/// The recipient's delivery code as issued: the code itself is derived from
/// the nonce with the custody key and never stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct CodeState {
    pub nonce: String,
    pub issued_at: Instant,
    pub attempts: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Step {
    pub handoff_id: String,
    pub n: usize,
    pub kind: StepKind,
    pub giver: Party,
    pub receiver: Party,
    /// Place id (gazetteer).
    pub place: String,
    pub opens_at: Instant,
    pub closes_at: Instant,
    pub status: StepStatus,
    /// At least one photo of the parcel is needed (every step but the pickup).
    pub needs_photo: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scan: Option<Scan>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeState>,
    /// HandoffMissed was raised for it.
    #[serde(default)]
    pub missed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CustodyStatus {
    /// Paid; nobody has taken the parcel yet.
    Planned,
    InTransit,
    Delivered,
    Cancelled,
}

/// Who holds the parcel now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Holder {
    pub party: Party,
    pub since: Instant,
    pub place: String,
}

/// The head of a shipment's tracking chain.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ChainHead {
    pub length: u64,
    pub head: String,
}

/// A shipment's custody: its plan, who holds it, and its chain head.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Custody {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub status: CustodyStatus,
    pub steps: Vec<Step>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
    /// An incident froze the shipment's escrow.
    #[serde(default)]
    pub frozen: bool,
    pub chain: ChainHead,
    /// The public tracking page's token (given to the sender for the recipient).
    #[serde(default)]
    pub tracking_token: String,
    /// Where the carrier last reported the parcel, at city precision.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<LastSeen>,
    /// Incidents reported (each froze the escrow).
    #[serde(default)]
    pub issues: Vec<Issue>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn handoff_id(shipment_id: &str, n: usize) -> String {
    format!("{shipment_id}.{n}")
}

/// The shipment and step number of a handoff id.
pub fn parse_handoff_id(id: &str) -> Option<(&str, usize)> {
    let (s, n) = id.rsplit_once('.')?;
    if s.is_empty() || n.is_empty() || n.len() > 2 || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((s, n.parse().ok()?))
}

fn carrier_of(s: &RouteSegment) -> Party {
    match s {
        RouteSegment::Trip { traveler_id, .. } => Party { role: Role::Traveler, user_id: Some(traveler_id.clone()) },
        RouteSegment::Courier { courier_id, .. } => Party { role: Role::Courier, user_id: Some(courier_id.clone()) },
    }
}

/// The plan of a confirmed itinerary: sender → first carrier where the first
/// segment starts, carrier → next carrier where each segment ends, last
/// carrier → recipient where the last one ends; windows from the segments'
/// times. `recipient` is the recipient's account, if they have one.
pub fn plan(it: &Itinerary, recipient: Option<String>, at: &str) -> Custody {
    let segs = &it.segments;
    let mut steps = Vec::with_capacity(segs.len() + 1);
    let sender = Party { role: Role::Sender, user_id: Some(it.sender_id.clone()) };
    let mut step = |kind, giver: Party, receiver: Party, place: &str, opens: i64, closes: i64| {
        let n = steps.len();
        steps.push(Step {
            handoff_id: handoff_id(&it.shipment_id, n),
            n,
            kind,
            giver,
            receiver,
            place: place.into(),
            opens_at: Instant(opens),
            closes_at: Instant(closes.max(opens)),
            status: StepStatus::Pending,
            needs_photo: kind != StepKind::Pickup,
            scan: None,
            code: None,
            missed: false,
        });
    };
    if let Some(first) = segs.first() {
        let (place, depart) = segment_from(first);
        step(StepKind::Pickup, sender, carrier_of(first), place, depart.0 - PICKUP_WINDOW_SECONDS, depart.0);
    }
    for w in segs.windows(2) {
        let ((place, arrive), (_, depart)) = (segment_to(&w[0]), segment_from(&w[1]));
        step(StepKind::Handover, carrier_of(&w[0]), carrier_of(&w[1]), place, arrive.0, depart.0);
    }
    if let Some(last) = segs.last() {
        let (place, arrive) = segment_to(last);
        let recipient = Party { role: Role::Recipient, user_id: recipient };
        step(StepKind::Delivery, carrier_of(last), recipient, place, arrive.0, arrive.0 + DELIVERY_WINDOW_SECONDS);
    }
    Custody {
        shipment_id: it.shipment_id.clone(),
        itinerary_id: it.itinerary_id.clone(),
        sender_id: it.sender_id.clone(),
        status: CustodyStatus::Planned,
        steps,
        holder: None,
        frozen: false,
        chain: ChainHead { length: 0, head: GENESIS.into() },
        tracking_token: String::new(),
        last_seen: None,
        issues: Vec::new(),
        created_at: at.into(),
        updated_at: at.into(),
    }
}

impl Custody {
    /// Everyone with a part in the plan (sender and carriers, and the
    /// recipient's account if any), deduplicated.
    pub fn parties(&self) -> Vec<String> {
        let mut out = vec![self.sender_id.clone()];
        for s in &self.steps {
            for p in [&s.giver, &s.receiver] {
                if let Some(u) = &p.user_id {
                    if !out.contains(u) {
                        out.push(u.clone());
                    }
                }
            }
        }
        out
    }
    pub fn is_party(&self, user_id: &str) -> bool {
        self.parties().iter().any(|p| p == user_id)
    }
    /// The carriers (travelers and couriers), in order, deduplicated.
    pub fn carriers(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for s in &self.steps {
            if matches!(s.receiver.role, Role::Traveler | Role::Courier) {
                if let Some(u) = &s.receiver.user_id {
                    if !out.contains(u) {
                        out.push(u.clone());
                    }
                }
            }
        }
        out
    }
}

/// A step as its parties see it: the delivery code's nonce is never shown.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct StepView {
    pub handoff_id: String,
    pub n: usize,
    pub kind: StepKind,
    pub giver: Party,
    pub receiver: Party,
    pub place: String,
    pub opens_at: Instant,
    pub closes_at: Instant,
    pub status: StepStatus,
    pub needs_photo: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<Scan>,
    /// The recipient was sent their delivery code.
    pub code_sent: bool,
    /// Wrong codes entered so far (five lock the step).
    pub code_attempts: u32,
    pub missed: bool,
}

/// A shipment's custody as its parties see it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct CustodyView {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub status: CustodyStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
    pub frozen: bool,
    pub steps: Vec<StepView>,
    pub chain: ChainHead,
    /// The public tracking page's token: shown to the sender only, to share
    /// with the recipient (`GET /t/{token}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<LastSeen>,
    pub issues: Vec<Issue>,
    pub updated_at: String,
}

impl Custody {
    pub fn view(&self, viewer: &str) -> CustodyView {
        CustodyView {
            shipment_id: self.shipment_id.clone(),
            itinerary_id: self.itinerary_id.clone(),
            status: self.status,
            holder: self.holder.clone(),
            frozen: self.frozen,
            steps: self
                .steps
                .iter()
                .map(|s| StepView {
                    handoff_id: s.handoff_id.clone(),
                    n: s.n,
                    kind: s.kind,
                    giver: s.giver.clone(),
                    receiver: s.receiver.clone(),
                    place: s.place.clone(),
                    opens_at: s.opens_at,
                    closes_at: s.closes_at,
                    status: s.status,
                    needs_photo: s.needs_photo,
                    scan: s.scan.clone(),
                    code_sent: s.code.is_some(),
                    code_attempts: s.code.as_ref().map_or(0, |c| c.attempts),
                    missed: s.missed,
                })
                .collect(),
            chain: self.chain.clone(),
            tracking_token: (viewer == self.sender_id && !self.tracking_token.is_empty())
                .then(|| self.tracking_token.clone()),
            last_seen: self.last_seen.clone(),
            issues: self.issues.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// Where the parcel was last reported, at city precision: the nearest city.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct LastSeen {
    /// The nearest city's place id.
    pub place: String,
    pub name: String,
    pub country: String,
    pub at: Instant,
}

/// At most this many positions in one report.
pub const MAX_POSITIONS: usize = 50;

/// A position the carrier's device took.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PositionReport {
    pub lat: f64,
    pub lon: f64,
    pub at: Instant,
}

/// POST /shipments/{id}/positions: positions the carrier took since the last report.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "PositionBatch")]
pub struct PositionsIn {
    pub positions: Vec<PositionReport>,
}

/// Checks a batch: 1 to 50 positions, valid coordinates, taken while the
/// caller held the parcel and not in the future (a minute's clock skew
/// allowed); answers them in time order.
pub fn check_positions(
    p: &PositionsIn,
    since: i64,
    now: i64,
) -> Result<Vec<PositionReport>, Vec<super::validation::FieldError>> {
    let mut errors = Errors::new();
    if p.positions.is_empty() || p.positions.len() > MAX_POSITIONS {
        errors.push("positions", format!("give 1 to {MAX_POSITIONS} positions"));
    }
    for (i, r) in p.positions.iter().enumerate() {
        check_position(&mut errors, &format!("positions[{i}]"), LatLon { lat: r.lat, lon: r.lon });
        if r.at.0 > now + 60 {
            errors.push(&format!("positions[{i}].at"), "is in the future");
        } else if r.at.0 < since {
            errors.push(&format!("positions[{i}].at"), "is before you took the parcel");
        }
    }
    errors.into_result()?;
    let mut out = p.positions.clone();
    out.sort_by_key(|r| r.at);
    Ok(out)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IssueKind {
    Damaged,
    Lost,
    Refused,
    Other,
}

/// POST /shipments/{id}/issues.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewIssue")]
pub struct IssueIn {
    pub kind: IssueKind,
    /// What happened (1 to 2,000 characters).
    pub details: String,
    /// Accepted photos the caller took at the shipment's current handoff
    /// (POST /handoffs/{id}/photos of the next pending step).
    #[serde(default)]
    pub photos: Vec<String>,
}

impl IssueIn {
    /// The details, trimmed: 1 to 2,000 characters, no control characters but line breaks.
    pub fn details(&self) -> Result<&str, Vec<FieldError>> {
        let d = self.details.trim();
        if d.is_empty() || d.chars().count() > 2000 || d.chars().any(|c| c.is_control() && c != '\n') {
            return Err(vec![FieldError::new("details", "1 to 2,000 characters, no control characters")]);
        }
        Ok(d)
    }
}

/// An incident on a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Issue {
    pub issue_id: String,
    pub kind: IssueKind,
    pub details: String,
    pub by: String,
    pub role: Role,
    pub at: Instant,
    pub photos: Vec<PhotoProof>,
}

/// At most this many incidents per shipment.
pub const MAX_ISSUES: usize = 20;

impl Custody {
    /// The caller's part in the shipment (the first that fits).
    pub fn role_of(&self, user_id: &str) -> Option<Role> {
        if user_id == self.sender_id {
            return Some(Role::Sender);
        }
        self.steps
            .iter()
            .flat_map(|s| [&s.giver, &s.receiver])
            .find(|p| p.user_id.as_deref() == Some(user_id))
            .map(|p| p.role)
    }
    /// The step the parcel waits for next.
    pub fn next_step(&self) -> Option<&Step> {
        self.steps.iter().find(|s| s.status != StepStatus::Done)
    }
    /// The step whose window is watched for a miss: the next pending one,
    /// while the shipment is active and it was not reported missed yet.
    pub fn watched(&self) -> Option<&Step> {
        if !matches!(self.status, CustodyStatus::Planned | CustodyStatus::InTransit) {
            return None;
        }
        self.next_step().filter(|s| s.status == StepStatus::Pending && !s.missed)
    }
}

/// Marks the watched step missed when its window plus `grace` has passed:
/// the step (again `None` if nothing is due).
pub fn miss(c: &mut Custody, now: i64, grace: i64, at: &str) -> Option<Step> {
    let n = c.watched().filter(|s| s.closes_at.0 + grace <= now)?.n;
    c.steps[n].missed = true;
    c.updated_at = at.into();
    Some(c.steps[n].clone())
}

// ------------------------------------------------------------ QR tokens

/// What a QR token binds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenClaims {
    /// The handoff (step) id.
    pub h: String,
    /// The shipment.
    pub s: String,
    /// The receiving party's account.
    pub r: String,
    /// A random nonce: the token's single use is recorded under it.
    pub n: String,
    /// Expiry, unix seconds.
    pub exp: i64,
}

const TOKEN_PREFIX: &str = "hq1";

/// `hq1.<claims, base64url JSON>.<HMAC-SHA256 of "hq1.<claims>", base64url>`.
pub fn sign_token(claims: &TokenClaims, mac: impl Fn(&[u8]) -> [u8; 32], b64: impl Fn(&[u8]) -> String) -> String {
    let body = b64(&serde_json::to_vec(claims).expect("claims serialise"));
    let signed = format!("{TOKEN_PREFIX}.{body}");
    let sig = b64(&mac(signed.as_bytes()));
    format!("{signed}.{sig}")
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TokenRefusal {
    #[error("the code is not a Handoff QR code or its signature is wrong")]
    Invalid,
    #[error("the code has expired: ask for a fresh one")]
    Expired,
    #[error("the code is for another handoff")]
    OtherStep,
}

/// Checks a token's signature (with `verify(signed, sig)`), expiry and step.
pub fn open_token(
    token: &str,
    handoff_id: &str,
    now: i64,
    verify: impl Fn(&[u8], &[u8]) -> bool,
    b64d: impl Fn(&str) -> Option<Vec<u8>>,
) -> Result<TokenClaims, TokenRefusal> {
    let mut parts = token.trim().split('.');
    let (Some(TOKEN_PREFIX), Some(body), Some(sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(TokenRefusal::Invalid);
    };
    let sig = b64d(sig).ok_or(TokenRefusal::Invalid)?;
    if !verify(format!("{TOKEN_PREFIX}.{body}").as_bytes(), &sig) {
        return Err(TokenRefusal::Invalid);
    }
    let claims: TokenClaims = b64d(body).and_then(|b| serde_json::from_slice(&b).ok()).ok_or(TokenRefusal::Invalid)?;
    if claims.h != handoff_id {
        return Err(TokenRefusal::OtherStep);
    }
    if claims.exp < now {
        return Err(TokenRefusal::Expired);
    }
    Ok(claims)
}

/// The recipient's six-digit delivery code from the MAC of the step and nonce.
pub fn delivery_code(handoff_id: &str, nonce: &str, mac: impl Fn(&[u8]) -> [u8; 32]) -> String {
    let m = mac(format!("delivery-code.{handoff_id}.{nonce}").as_bytes());
    let n = u32::from_be_bytes([m[0], m[1], m[2], m[3]]) % 1_000_000;
    format!("{n:06}")
}

/// POST /handoffs/{id}/scan: the receiving party scanned the giving party's QR code.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HandoffScan")]
pub struct ScanIn {
    /// The QR code's text.
    pub token: String,
    /// Where the scan happens (the device's position).
    pub position: LatLon,
    /// Accepted photos of the parcel taken at this handoff (POST /handoffs/{id}/photos).
    #[serde(default)]
    pub photos: Vec<String>,
}

/// POST /handoffs/{id}/deliver: the last carrier enters the recipient's code.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "HandoffDelivery")]
pub struct DeliverIn {
    /// The six digits the recipient was sent.
    pub code: String,
    pub position: LatLon,
    #[serde(default)]
    pub photos: Vec<String>,
}

impl ScanIn {
    /// The position, once the request is valid (a token given, a position on Earth).
    pub fn check(&self) -> Result<LatLon, Vec<FieldError>> {
        let mut errors = Errors::new();
        let position = check_position(&mut errors, "position", self.position);
        if self.token.trim().is_empty() {
            errors.push("token", "is required");
        }
        errors.finish(position)
    }
}

impl DeliverIn {
    /// The code and the position, once the request is valid (six digits, a position on Earth).
    pub fn check(&self) -> Result<(&str, LatLon), Vec<FieldError>> {
        let mut errors = Errors::new();
        let position = check_position(&mut errors, "position", self.position);
        let code = self.code.trim();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            errors.push("code", "must be the six digits the recipient received");
        }
        errors.finish(position).map(|p| (code, p))
    }
}

/// A position a device reported: latitude −90…90, longitude −180…180.
pub fn check_position(errors: &mut Errors, field: &str, p: LatLon) -> Option<LatLon> {
    let ok =
        p.lat.is_finite() && p.lon.is_finite() && (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon);
    if ok {
        Some(p)
    } else {
        errors.push(field, "must have lat within -90..90 and lon within -180..180");
        None
    }
}

// ---------------------------------------------------------------- rules

/// The configured tolerances.
#[derive(Debug, Clone, Copy)]
pub struct Rules {
    /// How far from the step's place a scan may be.
    pub radius_km: f64,
    /// How long before the window opens a scan is accepted.
    pub early_seconds: i64,
    /// After the window closes, how long before the step counts as missed.
    pub grace_seconds: i64,
}

/// Why a scan or a delivery is refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Refusal {
    #[error("the shipment is {0:?}: nothing to hand over")]
    NotActive(CustodyStatus),
    #[error("this handoff is already complete")]
    AlreadyDone,
    #[error("this handoff is locked after too many wrong codes; support has been told")]
    Locked,
    #[error("the previous handoff is not complete yet")]
    PreviousPending,
    #[error("only the {0:?} of this handoff can complete it")]
    NotYours(Role),
    #[error("too early: the handoff window opens at {}", .0.rfc3339())]
    TooEarly(Instant),
    #[error("{distance_km} km from the handoff place; at most {max_km} km")]
    TooFar { distance_km: f64, max_km: f64 },
    #[error("at least one photo of the parcel is needed")]
    PhotoRequired,
    #[error(transparent)]
    Token(#[from] TokenRefusal),
    #[error("this handoff is completed with the recipient's delivery code")]
    NeedsCode,
    #[error("no delivery code was sent yet: the parcel is not out for delivery")]
    NoCode,
    #[error("wrong delivery code; {0} attempts left")]
    WrongCode(u32),
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// The common checks of a step about to be completed by `caller` (who must
/// be `expected`): the shipment active, the step pending and next in order,
/// the time, the position, the photos. The scan it would record.
#[allow(clippy::too_many_arguments)]
pub fn check_step(
    c: &Custody,
    n: usize,
    caller: &str,
    expected: &Party,
    position: LatLon,
    place: LatLon,
    photos: Vec<PhotoProof>,
    method: Method,
    now: i64,
    rules: &Rules,
) -> Result<Scan, Refusal> {
    if !matches!(c.status, CustodyStatus::Planned | CustodyStatus::InTransit) {
        return Err(Refusal::NotActive(c.status));
    }
    let step = &c.steps[n];
    match step.status {
        StepStatus::Done => return Err(Refusal::AlreadyDone),
        StepStatus::Locked => return Err(Refusal::Locked),
        StepStatus::Pending => {}
    }
    if expected.user_id.as_deref() != Some(caller) {
        return Err(Refusal::NotYours(expected.role));
    }
    if n > 0 && c.steps[n - 1].status != StepStatus::Done {
        return Err(Refusal::PreviousPending);
    }
    if now < step.opens_at.0 - rules.early_seconds {
        return Err(Refusal::TooEarly(Instant(step.opens_at.0 - rules.early_seconds)));
    }
    let distance_km = round1(great_circle_km(position, place));
    if distance_km > rules.radius_km {
        return Err(Refusal::TooFar { distance_km, max_km: rules.radius_km });
    }
    if step.needs_photo && photos.is_empty() {
        return Err(Refusal::PhotoRequired);
    }
    Ok(Scan {
        at: Instant(now),
        by: caller.into(),
        method,
        position,
        distance_km,
        late: now > step.closes_at.0,
        photos,
    })
}

/// What completing a step changed.
#[derive(Debug, Clone, PartialEq)]
pub struct Completed {
    /// The first step: the itinerary goes in transit.
    pub first: bool,
    /// The last step: delivered.
    pub delivered: bool,
    /// The step whose delivery code is now issued (the last carrier has the parcel).
    pub code_for: Option<usize>,
}

impl Completed {
    /// The itinerary and shipment take part: they move on (first and last
    /// step), or the recipient's contact is needed (the code is issued).
    pub fn needs_around(&self) -> bool {
        self.first || self.delivered || self.code_for.is_some()
    }
}

/// Records `scan` on step `n` and moves the custody: the receiver holds the
/// parcel; the last carrier taking it issues the recipient's code (`nonce`).
pub fn complete(c: &mut Custody, n: usize, scan: Scan, nonce: String, at: &str) -> Completed {
    let first = c.status == CustodyStatus::Planned;
    let last = n + 1 == c.steps.len();
    let step = &mut c.steps[n];
    step.status = StepStatus::Done;
    c.holder = Some(Holder { party: step.receiver.clone(), since: scan.at, place: step.place.clone() });
    let since = scan.at;
    step.scan = Some(scan);
    c.status = if last { CustodyStatus::Delivered } else { CustodyStatus::InTransit };
    let mut code_for = None;
    if n + 2 == c.steps.len() {
        let d = &mut c.steps[n + 1];
        if d.code.is_none() {
            d.code = Some(CodeState { nonce, issued_at: since, attempts: 0 });
            code_for = Some(n + 1);
        }
    }
    c.updated_at = at.into();
    Completed { first, delivered: last, code_for }
}

/// Counts a wrong code on the delivery step: locked at the fifth.
pub fn wrong_code(c: &mut Custody, n: usize, at: &str) -> Refusal {
    let step = &mut c.steps[n];
    let code = step.code.as_mut().expect("a wrong code is counted only where one was issued");
    code.attempts += 1;
    c.updated_at = at.into();
    if code.attempts >= MAX_CODE_ATTEMPTS {
        step.status = StepStatus::Locked;
        Refusal::Locked
    } else {
        Refusal::WrongCode(MAX_CODE_ATTEMPTS - code.attempts)
    }
}

// -------------------------------------------------------- tracking chain

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TrackingKind {
    Planned,
    PickedUp,
    HandedOver,
    OutForDelivery,
    Delivered,
    Position,
    Missed,
    Issue,
    CodeLocked,
    Cancelled,
}

/// JSON with object keys sorted and no insignificant whitespace: the bytes
/// an event's hash covers.
pub fn canonical(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let inner: Vec<String> =
                keys.into_iter().map(|k| format!("{}:{}", Value::String(k.clone()), canonical(&m[k]))).collect();
            format!("{{{}}}", inner.join(","))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(canonical).collect::<Vec<_>>().join(",")),
        other => other.to_string(),
    }
}

/// A link of the chain: the event's canonical JSON and the hash covering the
/// previous hash and it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Link {
    pub seq: u64,
    pub body: String,
    pub prev: String,
    pub hash: String,
}

/// SHA-256 (hex) of `prev` and `body`, given the hash function.
pub fn link_hash(prev: &str, body: &str, sha256_hex: impl Fn(&[u8]) -> String) -> String {
    sha256_hex(format!("{prev}\n{body}").as_bytes())
}

/// The next link after `head` for an event body (any JSON: it is canonicalised).
pub fn append(head: &ChainHead, body: &serde_json::Value, sha256_hex: impl Fn(&[u8]) -> String) -> Link {
    let body = canonical(body);
    let hash = link_hash(&head.head, &body, sha256_hex);
    Link { seq: head.length + 1, body, prev: head.head.clone(), hash }
}

/// How a chain checks out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Verification {
    pub verified: bool,
    pub length: u64,
    pub head: String,
    /// The first link that does not check out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub broken_at: Option<u64>,
}

/// Recomputes every link from the genesis: sequence, previous hash, hash,
/// and the stored head (which must be the last link).
pub fn verify(links: &[Link], stored: &ChainHead, sha256_hex: impl Fn(&[u8]) -> String) -> Verification {
    let mut prev = GENESIS.to_string();
    for (i, l) in links.iter().enumerate() {
        let ok = l.seq == i as u64 + 1 && l.prev == prev && link_hash(&prev, &l.body, &sha256_hex) == l.hash;
        if !ok {
            return Verification {
                verified: false,
                length: links.len() as u64,
                head: prev,
                broken_at: Some(i as u64 + 1),
            };
        }
        prev = l.hash.clone();
    }
    let whole = stored.length == links.len() as u64 && stored.head == prev;
    Verification {
        verified: whole,
        length: links.len() as u64,
        head: prev,
        broken_at: (!whole).then_some(links.len() as u64 + 1),
    }
}

/// An event of the timeline, as the parties see it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct TimelineEvent {
    pub seq: u64,
    pub kind: Option<TrackingKind>,
    pub at: Option<String>,
    /// The event as hashed (its canonical JSON, parsed).
    pub data: serde_json::Value,
    pub hash: String,
}

/// GET /shipments/{id}/tracking.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Tracking {
    pub shipment_id: String,
    pub status: CustodyStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<Holder>,
    pub timeline: Vec<TimelineEvent>,
    pub verification: Verification,
}

/// The timeline of a chain. Without `exact`, reported positions are left
/// out (their nearest city stays): only carriers see where they were.
pub fn timeline(links: &[Link], exact: bool) -> Vec<TimelineEvent> {
    links
        .iter()
        .map(|l| {
            let mut data: serde_json::Value = serde_json::from_str(&l.body).unwrap_or(serde_json::Value::Null);
            if !exact {
                if let Some(o) = data.as_object_mut() {
                    o.remove("positions");
                }
            }
            TimelineEvent {
                seq: l.seq,
                kind: data.get("kind").and_then(|k| serde_json::from_value(k.clone()).ok()),
                at: data.get("at").and_then(|a| a.as_str()).map(str::to_string),
                data,
                hash: l.hash.clone(),
            }
        })
        .collect()
}

/// A completed step as the delivery proof states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProvenStep {
    pub handoff_id: String,
    pub n: usize,
    pub kind: StepKind,
    pub giver: Role,
    pub receiver: Role,
    pub place: String,
    pub scan: Scan,
}

/// The delivery proof: signed by the platform as a JWS (ES256) whose
/// payload is this document; verify it against GET /.well-known/jwks.json.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ProofDocument {
    /// `handoff`.
    pub iss: String,
    /// `delivery-proof`.
    pub typ: String,
    /// When the proof was signed (unix seconds).
    pub iat: i64,
    pub shipment_id: String,
    pub itinerary_id: String,
    pub delivered_at: Instant,
    pub steps: Vec<ProvenStep>,
    /// The tracking chain as verified when signing.
    pub chain: ChainHead,
}

/// The proof of a delivered shipment whose chain verified; `None` before delivery.
pub fn proof(c: &Custody, chain: &Verification, now: i64) -> Option<ProofDocument> {
    if c.status != CustodyStatus::Delivered || !chain.verified {
        return None;
    }
    let steps: Vec<ProvenStep> = c
        .steps
        .iter()
        .filter_map(|s| {
            Some(ProvenStep {
                handoff_id: s.handoff_id.clone(),
                n: s.n,
                kind: s.kind,
                giver: s.giver.role,
                receiver: s.receiver.role,
                place: s.place.clone(),
                scan: s.scan.clone()?,
            })
        })
        .collect();
    Some(ProofDocument {
        iss: "handoff".into(),
        typ: "delivery-proof".into(),
        iat: now,
        shipment_id: c.shipment_id.clone(),
        itinerary_id: c.itinerary_id.clone(),
        delivered_at: steps.last()?.scan.at,
        steps,
        chain: ChainHead { length: chain.length, head: chain.head.clone() },
    })
}

/// A position rounded to city precision (two decimals, about a kilometre).
pub fn coarse(p: LatLon) -> LatLon {
    LatLon { lat: (p.lat * 100.0).round() / 100.0, lon: (p.lon * 100.0).round() / 100.0 }
}

#[cfg(test)]
mod tests;
