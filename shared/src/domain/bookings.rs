//! Price quotes, itineraries and bookings: a chosen route priced exactly
//! (lines that add up to the total), an itinerary's state machine, and the
//! booking each traveler answers.
use serde::{Deserialize, Serialize};

use super::customs::{convert, FxUsed, Incoterm};
use super::geo::local_time;
use super::money::{percent_of, Currency, Money};
use super::places::Gazetteer;
use super::search::{search_legs, CourierArea, Parcel, RouteLeg, RouteSegment};
use super::shipments::{Contact, Shipment};
use super::trips::{Category, Dimensions, Instant, Trip, TripStatus};
use super::validation::FieldError;

/// How long a quote holds.
pub const QUOTE_SECONDS: i64 = 900;
/// At most this many segments in a route (three trips and two couriers).
pub const MAX_SEGMENTS: usize = 5;

// ------------------------------------------------------------ the route

/// A leg of a trip, by number.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[schemars(rename = "LegChoice")]
pub struct LegRef {
    pub leg_no: u32,
}

/// A segment of the chosen route: post back the `segments` of a search
/// result as they came (other fields are ignored and recomputed).
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[schemars(rename = "SegmentChoice")]
pub enum SegmentIn {
    Trip {
        trip_id: String,
        /// Consecutive legs of the trip, in order.
        legs: Vec<LegRef>,
    },
    Courier {
        area_id: String,
        from: String,
        to: String,
        /// RFC 3339: when the courier collects the parcel.
        #[schemars(with = "Instant")]
        pickup_at: String,
    },
}

/// Fees as the pricing function is configured (template parameters).
#[derive(Debug, Clone, Copy)]
pub struct Fees {
    /// Platform fee: basis points of transport.
    pub platform_bps: u32,
    /// Platform fee: minor units added per quote.
    pub platform_fixed: i64,
    /// Insurance: basis points of the declared value.
    pub insurance_bps: u32,
    /// Customs handling: minor units, when the goods cross a border.
    pub customs_handling: i64,
}

/// What the route problem is: the request itself is wrong (422), or the
/// world changed since the search (409).
#[derive(Debug, Clone, PartialEq)]
pub enum RouteError {
    Invalid(Vec<FieldError>),
    Changed(Vec<String>),
}

/// A trip as the pricing sees it: the trip and the weight already reserved on it.
pub struct TripNow {
    pub trip: Trip,
    pub reserved_grams: u32,
}

/// The parcel a shipment is, as legs check it.
pub fn parcel_of(s: &Shipment, currency: Currency) -> Parcel {
    Parcel {
        weight_grams: s.package.weight_grams,
        dimensions: Some(s.package.dimensions_cm),
        category: s.package.category,
        currency,
    }
}

/// A trip segment priced from the trip as it is now, or why it cannot carry the parcel.
pub fn trip_segment(
    trip_id: &str,
    leg_nos: &[u32],
    now_trip: Option<&TripNow>,
    parcel: &Parcel,
    places: &Gazetteer,
    now: i64,
) -> Result<RouteSegment, String> {
    let Some(TripNow { trip, reserved_grams }) = now_trip else {
        return Err(format!("trip {trip_id} no longer exists"));
    };
    let Some(c) = trip.constraints.as_ref().filter(|_| trip.status == TripStatus::Published) else {
        return Err(format!("trip {trip_id} is no longer offered"));
    };
    if leg_nos.is_empty() || leg_nos.windows(2).any(|w| w[1] != w[0] + 1) {
        return Err(format!("trip {trip_id}: give consecutive legs in order"));
    }
    let mut legs = search_legs(&trip.trip_id, &trip.traveler_id, 0, trip.mode, &trip.legs, c);
    for l in &mut legs {
        l.remaining_grams = c.capacity_grams.saturating_sub(*reserved_grams);
    }
    let chosen: Vec<_> = leg_nos.iter().filter_map(|n| legs.iter().find(|l| l.leg_no == *n)).collect();
    if chosen.len() != leg_nos.len() {
        return Err(format!("trip {trip_id} has no such legs any more"));
    }
    if chosen[0].depart_at.0 <= now {
        return Err(format!("trip {trip_id} has already departed"));
    }
    let first = chosen[0];
    if parcel.weight_grams > first.remaining_grams && parcel.weight_grams <= first.max_weight_grams {
        return Err(format!(
            "trip {trip_id} has {} g of capacity left, the parcel weighs {} g",
            first.remaining_grams, parcel.weight_grams
        ));
    }
    if !first.accepts(parcel) {
        return Err(format!("trip {trip_id} no longer takes this parcel (weight, size, category or currency)"));
    }
    Ok(RouteSegment::Trip {
        trip_id: trip.trip_id.clone(),
        traveler_id: trip.traveler_id.clone(),
        mode: trip.mode,
        price: chosen.iter().map(|l| l.price_for(parcel.weight_grams)).sum(),
        legs: chosen.iter().map(|l| RouteLeg::of(l, places)).collect(),
    })
}

/// A courier job priced from the area as it is now.
pub fn courier_segment(
    area: Option<&CourierArea>,
    area_id: &str,
    from: &str,
    to: &str,
    pickup_at: i64,
    currency: &Currency,
    places: &Gazetteer,
) -> Result<RouteSegment, String> {
    let a = area.ok_or_else(|| format!("courier area {area_id} is no longer offered"))?;
    let (Some(p), Some(q)) = (places.get(from), places.get(to)) else {
        return Err(format!("courier area {area_id}: unknown place"));
    };
    if !a.covers(p.position()) || !a.covers(q.position()) {
        return Err(format!("courier area {area_id} does not cover {from} and {to}"));
    }
    if &a.currency != currency {
        return Err(format!("courier area {area_id} prices in {}", a.currency.as_str()));
    }
    let (price, duration) = a.job(p.position(), q.position());
    let deliver = a
        .hours_at(pickup_at)
        .finish(pickup_at, duration)
        .ok_or_else(|| format!("courier area {area_id}: the job does not fit its hours"))?;
    Ok(RouteSegment::Courier {
        area_id: a.area_id.clone(),
        courier_id: a.courier_id.clone(),
        name: a.name.clone(),
        from: p.id.to_string(),
        to: q.id.to_string(),
        pickup_at: Instant(deliver - duration),
        deliver_at: Instant(deliver),
        deliver_local: local_time(deliver, q.zone),
        price,
    })
}

pub fn segment_from(s: &RouteSegment) -> (&str, Instant) {
    match s {
        RouteSegment::Trip { legs, .. } => (&legs[0].origin, legs[0].depart_at),
        RouteSegment::Courier { from, pickup_at, .. } => (from, *pickup_at),
    }
}
pub fn segment_to(s: &RouteSegment) -> (&str, Instant) {
    match s {
        RouteSegment::Trip { legs, .. } => {
            let l = legs.last().expect("a trip segment has legs");
            (&l.destination, l.arrive_at)
        }
        RouteSegment::Courier { to, deliver_at, .. } => (to, *deliver_at),
    }
}
/// The route's segments chain from the sender's place to the recipient's,
/// each handoff at least `buffer` seconds after the parcel arrives.
pub fn check_chain(segments: &[RouteSegment], from: &str, to: &str, buffer: i64) -> Result<(), Vec<FieldError>> {
    let mut errors = Vec::new();
    if segments.first().is_some_and(|s| segment_from(s).0 != from) {
        errors.push(FieldError::new("segments[0]", format!("must start at the sender's place {from}")));
    }
    if segments.last().is_some_and(|s| segment_to(s).0 != to) {
        errors.push(FieldError::new(
            format!("segments[{}]", segments.len() - 1),
            format!("must end at the recipient's place {to}"),
        ));
    }
    for (i, w) in segments.windows(2).enumerate() {
        let ((at, arrive), (next, depart)) = (segment_to(&w[0]), segment_from(&w[1]));
        if at != next {
            errors
                .push(FieldError::new(format!("segments[{}]", i + 1), format!("must start where the parcel is: {at}")));
        } else if arrive.0 + buffer > depart.0 {
            errors.push(FieldError::new(
                format!("segments[{}]", i + 1),
                format!("leaves {at} less than {} minutes after the parcel arrives", buffer / 60),
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

// ------------------------------------------------------------- the quote

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    Transport,
    Courier,
    PlatformFee,
    Insurance,
    CustomsHandling,
    DutiesAndTaxes,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct QuoteLine {
    pub kind: LineKind,
    pub description: String,
    /// Minor units of the quote's currency.
    pub amount: i64,
}

/// A binding price: immutable, exactly what payment will charge, until it expires.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Quote {
    pub quote_id: String,
    pub sender_id: String,
    pub shipment_id: String,
    /// What was priced of the shipment ([`priced_fingerprint`]): a changed
    /// package, contact or declaration needs a new quote.
    pub shipment_fingerprint: String,
    pub currency: Currency,
    pub segments: Vec<RouteSegment>,
    pub lines: Vec<QuoteLine>,
    /// The sum of the lines.
    pub total: i64,
    pub weight_grams: u32,
    pub insurance: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incoterm: Option<Incoterm>,
    pub exchange_rates: Vec<FxUsed>,
    pub created_at: String,
    pub expires_at: Instant,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PricingError {
    #[error("declare customs first (POST /shipments/{{id}}/customs): the goods cross a border")]
    CustomsRequired,
    #[error("duties for this shipment cannot be estimated ({0}); DDP cannot be quoted, declare it DAP")]
    DdpNotEstimable(String),
    #[error("no ECB exchange rate between {0} and {1}")]
    NoRate(String, String),
}

/// A digest of everything of a shipment a quote depends on (not its photos).
pub fn priced_fingerprint(s: &Shipment) -> String {
    use sha2::{Digest, Sha256};
    let priced = serde_json::json!([s.package, s.sender, s.recipient, s.customs]);
    let digest = Sha256::digest(priced.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The quote's lines for priced segments, in one rounding rule: each
/// percentage is rounded once, half away from zero, to the minor unit, and
/// the total is the sum of the lines.
pub fn quote_lines(
    shipment: &Shipment,
    segments: &[RouteSegment],
    currency: &Currency,
    fees: &Fees,
    insurance: bool,
    day: &str,
) -> Result<(Vec<QuoteLine>, Vec<FxUsed>), PricingError> {
    let mut lines = Vec::new();
    let mut fx = Vec::new();
    for s in segments {
        lines.push(match s {
            RouteSegment::Trip { trip_id, legs, price, .. } => QuoteLine {
                kind: LineKind::Transport,
                description: format!(
                    "trip {trip_id}: {} → {}",
                    legs[0].origin,
                    legs.last().map(|l| l.destination.as_str()).unwrap_or("")
                ),
                amount: *price,
            },
            RouteSegment::Courier { name, from, to, price, .. } => QuoteLine {
                kind: LineKind::Courier,
                description: format!("courier {name}: {from} → {to}"),
                amount: *price,
            },
        });
    }
    let transport: i64 = lines.iter().map(|l| l.amount).sum();
    lines.push(QuoteLine {
        kind: LineKind::PlatformFee,
        description: format!(
            "platform fee: {}.{:02}% of transport + fixed",
            fees.platform_bps / 100,
            fees.platform_bps % 100
        ),
        amount: percent_of(transport, fees.platform_bps) + fees.platform_fixed,
    });
    let mut to_quote = |m: &Money| -> Result<Money, PricingError> {
        let (v, used) = convert(m, currency, day)
            .ok_or_else(|| PricingError::NoRate(m.currency.as_str().into(), currency.as_str().into()))?;
        fx.extend(used);
        Ok(v)
    };
    if insurance {
        let value = to_quote(&shipment.package.declared_value)?;
        lines.push(QuoteLine {
            kind: LineKind::Insurance,
            description: format!(
                "insurance: {}.{:02}% of the declared value",
                fees.insurance_bps / 100,
                fees.insurance_bps % 100
            ),
            amount: percent_of(value.amount, fees.insurance_bps),
        });
    }
    if shipment.crosses_border() {
        let d = shipment.customs.as_ref().ok_or(PricingError::CustomsRequired)?;
        lines.push(QuoteLine {
            kind: LineKind::CustomsHandling,
            description: format!("customs handling ({:?})", d.form),
            amount: fees.customs_handling,
        });
        if d.incoterm == Incoterm::DDP {
            if !d.fully_estimated() {
                let why = if d.duty.amount.is_none() { &d.duty.why } else { &d.tax.why };
                return Err(PricingError::DdpNotEstimable(why.clone()));
            }
            let due = to_quote(&d.estimated_total)?;
            lines.push(QuoteLine {
                kind: LineKind::DutiesAndTaxes,
                description: format!("duties and taxes into {} (DDP, estimated)", d.destination_country),
                amount: due.amount,
            });
        }
    }
    fx.dedup();
    Ok((lines, fx))
}

// -------------------------------------------------------- the itinerary

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItineraryStatus {
    Draft,
    Requested,
    Accepted,
    AwaitingPayment,
    Confirmed,
    InTransit,
    Delivered,
    Cancelled,
    NeedsRebooking,
}

impl ItineraryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ItineraryStatus::Draft => "draft",
            ItineraryStatus::Requested => "requested",
            ItineraryStatus::Accepted => "accepted",
            ItineraryStatus::AwaitingPayment => "awaiting_payment",
            ItineraryStatus::Confirmed => "confirmed",
            ItineraryStatus::InTransit => "in_transit",
            ItineraryStatus::Delivered => "delivered",
            ItineraryStatus::Cancelled => "cancelled",
            ItineraryStatus::NeedsRebooking => "needs_rebooking",
        }
    }
    /// The transitions the state machine allows.
    pub fn can_go(self, to: ItineraryStatus) -> bool {
        use ItineraryStatus::*;
        matches!(
            (self, to),
            (Draft, Requested)
                | (Requested, Accepted)
                | (Requested | Accepted | AwaitingPayment | Confirmed, NeedsRebooking)
                | (NeedsRebooking, Requested)
                | (Accepted, AwaitingPayment)
                | (AwaitingPayment, Confirmed)
                | (Confirmed, InTransit)
                | (InTransit, Delivered)
                | (Draft | Requested | Accepted | AwaitingPayment | NeedsRebooking | Confirmed, Cancelled)
        )
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("an itinerary that is {} cannot become {}", from.as_str(), to.as_str())]
pub struct IllegalTransition {
    pub from: ItineraryStatus,
    pub to: ItineraryStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Transition {
    pub from: ItineraryStatus,
    pub to: ItineraryStatus,
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BookingStatus {
    /// Waiting for the traveler's answer.
    Pending,
    Accepted,
    Declined,
    Expired,
    Cancelled,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BookingStatus::Pending => "pending",
            BookingStatus::Accepted => "accepted",
            BookingStatus::Declined => "declined",
            BookingStatus::Expired => "expired",
            BookingStatus::Cancelled => "cancelled",
        }
    }
    pub const ALL: [BookingStatus; 5] = [
        BookingStatus::Pending,
        BookingStatus::Accepted,
        BookingStatus::Declined,
        BookingStatus::Expired,
        BookingStatus::Cancelled,
    ];
    pub fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|s| s.as_str() == raw.trim())
            .ok_or_else(|| "must be pending, accepted, declined, expired or cancelled".into())
    }
    /// Still part of the itinerary (not failed or cancelled).
    pub fn is_live(self) -> bool {
        matches!(self, BookingStatus::Pending | BookingStatus::Accepted)
    }
}

/// A booking as the itinerary tracks it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct BookingRef {
    pub booking_id: String,
    pub trip_id: String,
    pub traveler_id: String,
    pub status: BookingStatus,
    /// Index of the trip's segment in `segments`.
    pub segment: usize,
    pub respond_by: Instant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Itinerary {
    pub itinerary_id: String,
    pub sender_id: String,
    pub shipment_id: String,
    /// The quote it was booked (or last rebooked) from: what payment charges.
    pub quote_id: String,
    pub status: ItineraryStatus,
    pub currency: Currency,
    pub total: i64,
    pub lines: Vec<QuoteLine>,
    pub segments: Vec<RouteSegment>,
    pub bookings: Vec<BookingRef>,
    /// Why it needs rebooking or was cancelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub history: Vec<Transition>,
    pub created_at: String,
    pub updated_at: String,
}

impl Itinerary {
    /// Moves to `to`, recording the transition; an illegal one is an error.
    pub fn go(&mut self, to: ItineraryStatus, at: &str, reason: Option<String>) -> Result<(), IllegalTransition> {
        if !self.status.can_go(to) {
            return Err(IllegalTransition { from: self.status, to });
        }
        self.history.push(Transition { from: self.status, to, at: at.into(), reason: reason.clone() });
        self.status = to;
        if reason.is_some() {
            self.reason = reason;
        }
        self.updated_at = at.into();
        Ok(())
    }

    /// A draft itinerary of a quote's route, lines and total.
    pub fn from_quote(itinerary_id: String, quote: &Quote, at: &str) -> Self {
        Itinerary {
            itinerary_id,
            sender_id: quote.sender_id.clone(),
            shipment_id: quote.shipment_id.clone(),
            quote_id: quote.quote_id.clone(),
            status: ItineraryStatus::Draft,
            currency: quote.currency.clone(),
            total: quote.total,
            lines: quote.lines.clone(),
            segments: quote.segments.clone(),
            bookings: Vec::new(),
            reason: None,
            history: Vec::new(),
            created_at: at.into(),
            updated_at: at.into(),
        }
    }

    /// New requests join the itinerary, each for its trip segment.
    pub fn add_requests(&mut self, bookings: &[Booking], segments: &[(usize, &RouteSegment)]) {
        for (b, (segment, _)) in bookings.iter().zip(segments) {
            self.bookings.push(BookingRef {
                booking_id: b.booking_id.clone(),
                trip_id: b.trip_id.clone(),
                traveler_id: b.traveler_id.clone(),
                status: b.status,
                segment: *segment,
                respond_by: b.respond_by,
                reason: None,
            });
        }
    }

    /// The trips and legs of the bookings still live (pending or accepted).
    pub fn live_trips(&self) -> Vec<TripChoice> {
        self.bookings
            .iter()
            .filter(|b| b.status.is_live())
            .filter_map(|b| self.segments.get(b.segment).and_then(trip_choice))
            .collect()
    }

    /// Takes a quote for the whole route in place of the failed part: it
    /// must keep every live booking's trip and legs and reuse no trip that
    /// declined or let its request expire. Kept bookings point at their
    /// segment in the new route; answers the trip segments to request.
    pub fn rebook_onto<'q>(&mut self, quote: &'q Quote) -> Result<Vec<(usize, &'q RouteSegment)>, RebookError> {
        if self.status != ItineraryStatus::NeedsRebooking {
            return Err(RebookError::NotNeeded(self.status));
        }
        let live = self.live_trips();
        let quoted: Vec<TripChoice> = quote.segments.iter().filter_map(trip_choice).collect();
        if !live.iter().all(|c| quoted.contains(c)) {
            return Err(RebookError::DropsLiveTrip);
        }
        let fresh = new_trip_segments(&quote.segments, &live);
        for (_, seg) in &fresh {
            if let Some((trip_id, _)) = trip_choice(seg) {
                if self.bookings.iter().any(|b| b.trip_id == trip_id && !b.status.is_live()) {
                    return Err(RebookError::FailedTrip(trip_id));
                }
            }
        }
        for b in self.bookings.iter_mut().filter(|b| b.status.is_live()) {
            let old = self.segments.get(b.segment).and_then(trip_choice);
            if let Some(i) = quote.segments.iter().position(|s| trip_choice(s) == old) {
                b.segment = i;
            }
        }
        self.quote_id = quote.quote_id.clone();
        self.currency = quote.currency.clone();
        self.total = quote.total;
        self.lines = quote.lines.clone();
        self.segments = quote.segments.clone();
        Ok(fresh)
    }

    pub fn booking_mut(&mut self, booking_id: &str) -> Option<&mut BookingRef> {
        self.bookings.iter_mut().find(|b| b.booking_id == booking_id)
    }

    /// A traveler accepted: when every live booking is accepted the
    /// itinerary is accepted and awaits payment (returns true then).
    pub fn accepted(&mut self, booking_id: &str, at: &str) -> Result<bool, IllegalTransition> {
        if let Some(b) = self.booking_mut(booking_id) {
            b.status = BookingStatus::Accepted;
        }
        self.settle(at)
    }

    /// The itinerary's requests are out (new, or again after rebooking);
    /// with none left to answer it awaits payment at once (returns true then).
    pub fn request(&mut self, at: &str, reason: Option<String>) -> Result<bool, IllegalTransition> {
        self.go(ItineraryStatus::Requested, at, reason)?;
        self.settle(at)
    }

    /// Once every live booking is accepted, a requested itinerary is
    /// accepted and awaits payment.
    fn settle(&mut self, at: &str) -> Result<bool, IllegalTransition> {
        let all = self.bookings.iter().filter(|b| b.status.is_live()).all(|b| b.status == BookingStatus::Accepted);
        if all && self.status == ItineraryStatus::Requested {
            self.go(ItineraryStatus::Accepted, at, None)?;
            self.go(ItineraryStatus::AwaitingPayment, at, None)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// A booking was declined or expired: the itinerary needs rebooking.
    pub fn failed(
        &mut self,
        booking_id: &str,
        status: BookingStatus,
        why: String,
        at: &str,
    ) -> Result<(), IllegalTransition> {
        if let Some(b) = self.booking_mut(booking_id) {
            b.status = status;
            b.reason = Some(why.clone());
        }
        match self.status {
            ItineraryStatus::NeedsRebooking => {
                self.reason = Some(why);
                self.updated_at = at.into();
                Ok(())
            }
            _ => self.go(ItineraryStatus::NeedsRebooking, at, Some(why)),
        }
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RebookError {
    #[error("the itinerary is {}: only one that needs rebooking is rebooked", .0.as_str())]
    NotNeeded(ItineraryStatus),
    #[error("the new route must keep every accepted or pending trip of the itinerary")]
    DropsLiveTrip,
    #[error("trip {0} declined or let its request expire; quote a route without it")]
    FailedTrip(String),
}

/// A booking id names its itinerary: `{itinerary_id}.{n}`.
pub fn booking_id(itinerary_id: &str, n: usize) -> String {
    format!("{itinerary_id}.{n}")
}
/// The itinerary of a booking id, if the id is well formed.
pub fn itinerary_of(booking_id: &str) -> Option<&str> {
    let (it, n) = booking_id.rsplit_once('.')?;
    (!it.is_empty() && it.len() <= 64 && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit())).then_some(it)
}

/// What a traveler sees of the parcel before accepting.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ParcelView {
    pub category: Category,
    pub weight_grams: u32,
    pub dimensions_cm: Dimensions,
    /// Accepted photos of the parcel.
    pub photos: Vec<super::shipments::PhotoRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub handling_notes: Option<String>,
}

/// A booking request to one traveler for one trip of an itinerary.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Booking {
    pub booking_id: String,
    pub itinerary_id: String,
    pub shipment_id: String,
    pub sender_id: String,
    pub trip_id: String,
    pub traveler_id: String,
    pub status: BookingStatus,
    /// The legs the parcel rides and what the traveler earns for them.
    pub legs: Vec<RouteLeg>,
    pub price: Money,
    /// The trip's capacity when requested (reservations never exceed it).
    pub trip_capacity_grams: u32,
    pub parcel: ParcelView,
    /// Seen by the traveler only once accepted.
    pub sender: Contact,
    pub recipient: Contact,
    /// The request expires unanswered then (never after departure).
    pub respond_by: Instant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BookingError {
    #[error("the booking is {0}; only a pending request can be answered")]
    NotPending(&'static str),
    #[error("the request expired unanswered")]
    Expired,
}

impl Booking {
    fn answer(&mut self, to: BookingStatus, reason: Option<String>, now: i64, at: &str) -> Result<(), BookingError> {
        if self.status != BookingStatus::Pending {
            return Err(BookingError::NotPending(self.status.as_str()));
        }
        if to != BookingStatus::Expired && now > self.respond_by.0 {
            return Err(BookingError::Expired);
        }
        self.status = to;
        self.reason = reason;
        self.updated_at = at.into();
        Ok(())
    }
    pub fn accept(&mut self, now: i64, at: &str) -> Result<(), BookingError> {
        self.answer(BookingStatus::Accepted, None, now, at)
    }
    pub fn decline(&mut self, reason: String, now: i64, at: &str) -> Result<(), BookingError> {
        self.answer(BookingStatus::Declined, Some(reason), now, at)
    }
    pub fn expire(&mut self, now: i64, at: &str) -> Result<(), BookingError> {
        if now <= self.respond_by.0 {
            return Err(BookingError::NotPending("not due"));
        }
        self.answer(BookingStatus::Expired, Some("not answered in time".into()), now, at)
    }
}

/// When a request must be answered: `window` seconds after `now`, never
/// after the trip departs.
pub fn respond_by(now: i64, window: i64, depart_at: Instant) -> Instant {
    Instant((now + window).min(depart_at.0))
}

/// A trip segment as a choice: the trip and the numbers of the legs ridden.
pub type TripChoice = (String, Vec<u32>);

/// The trip and legs a segment rides (`None` for a courier job).
pub fn trip_choice(s: &RouteSegment) -> Option<TripChoice> {
    match s {
        RouteSegment::Trip { trip_id, legs, .. } => Some((trip_id.clone(), legs.iter().map(|l| l.leg_no).collect())),
        RouteSegment::Courier { .. } => None,
    }
}

/// The trip segments of `segments` (with their index) not already carried
/// by a booking in `kept`.
pub fn new_trip_segments<'a>(segments: &'a [RouteSegment], kept: &[TripChoice]) -> Vec<(usize, &'a RouteSegment)> {
    segments.iter().enumerate().filter(|(_, s)| trip_choice(s).is_some_and(|c| !kept.contains(&c))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn itinerary(n: usize) -> Itinerary {
        Itinerary {
            itinerary_id: "i".into(),
            sender_id: "s".into(),
            shipment_id: "sh".into(),
            quote_id: "q".into(),
            status: ItineraryStatus::Draft,
            currency: Currency::parse("EUR").unwrap(),
            total: 0,
            lines: vec![],
            segments: vec![],
            bookings: (0..n)
                .map(|k| BookingRef {
                    booking_id: booking_id("i", k + 1),
                    trip_id: format!("t{k}"),
                    traveler_id: format!("u{k}"),
                    status: BookingStatus::Pending,
                    segment: k,
                    respond_by: Instant(0),
                    reason: None,
                })
                .collect(),
            reason: None,
            history: vec![],
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    #[test]
    fn the_itinerary_awaits_payment_once_every_traveler_accepted() {
        let mut it = itinerary(2);
        it.go(ItineraryStatus::Requested, "t", None).unwrap();
        assert!(!it.accepted("i.1", "t").unwrap());
        assert_eq!(it.status, ItineraryStatus::Requested);
        assert!(it.accepted("i.2", "t").unwrap());
        assert_eq!(it.status, ItineraryStatus::AwaitingPayment);
        let kinds: Vec<_> = it.history.iter().map(|h| h.to).collect();
        assert_eq!(kinds, [ItineraryStatus::Requested, ItineraryStatus::Accepted, ItineraryStatus::AwaitingPayment]);
    }

    #[test]
    fn illegal_transitions_are_typed_errors() {
        let mut it = itinerary(1);
        assert_eq!(
            it.go(ItineraryStatus::Confirmed, "t", None),
            Err(IllegalTransition { from: ItineraryStatus::Draft, to: ItineraryStatus::Confirmed })
        );
        it.go(ItineraryStatus::Requested, "t", None).unwrap();
        it.failed("i.1", BookingStatus::Declined, "full".into(), "t").unwrap();
        assert_eq!(it.status, ItineraryStatus::NeedsRebooking);
        assert!(it.go(ItineraryStatus::AwaitingPayment, "t", None).is_err());
        it.go(ItineraryStatus::Cancelled, "t", Some("changed my mind".into())).unwrap();
        assert!(it.go(ItineraryStatus::Requested, "t", None).is_err(), "cancelled is final");
    }

    #[test]
    fn booking_ids_name_their_itinerary() {
        let id = booking_id("0192f0c2-aaaa-7bbb-8ccc-123456789abc", 2);
        assert_eq!(itinerary_of(&id), Some("0192f0c2-aaaa-7bbb-8ccc-123456789abc"));
        assert_eq!(itinerary_of("nodot"), None);
        assert_eq!(itinerary_of("x.1a"), None);
        assert_eq!(respond_by(100, 50, Instant(120)), Instant(120), "never after departure");
    }
}
