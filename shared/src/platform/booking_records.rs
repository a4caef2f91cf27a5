//! What every itinerary and booking route shares: reading an itinerary with
//! its bookings (one Query of its partition), writing their next versions
//! with index keys that follow their status, reserving and releasing trip
//! capacity with conditional writes, and the views each party may see.
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::envelope::Actor;
use super::http::Problem;
use super::store::{put_new, put_versioned, update, Query, Record, StoreError, Table, UpdateSpec};
use crate::domain::bookings::{Booking, BookingError, BookingStatus, IllegalTransition, Itinerary, ParcelView};
use crate::domain::events::{BookingAnswered, CapacityChanged};
use crate::domain::money::Money;
use crate::domain::search::RouteLeg;
use crate::domain::shipments::{Contact, Shipment, ShipmentStatus};
use crate::domain::trips::Instant;
use crate::keys::{self, entity};

/// The weight accepted bookings reserve on a trip.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct TripCapacity {
    #[serde(default)]
    pub reserved_grams: u32,
}

/// An itinerary and its bookings, read together (strongly consistent).
pub struct Loaded {
    pub itinerary: Record<Itinerary>,
    pub bookings: Vec<Record<Booking>>,
    /// Its payment, once one was started.
    pub payment: Option<Record<crate::domain::payments::Payment>>,
    /// Its ledger transfers.
    pub transfers: Vec<Record<super::payment_records::TransferRecord>>,
    /// Its receipt and invoice, once issued.
    pub documents: Vec<Record<crate::domain::invoices::SalesDocument>>,
    /// Disputes of its payment (Stripe allows one per charge).
    pub disputes: Vec<Record<crate::domain::disputes::Dispute>>,
}

impl Loaded {
    /// Its receipt or invoice, if issued.
    pub fn document(
        &self,
        kind: crate::domain::invoices::DocKind,
    ) -> Option<&Record<crate::domain::invoices::SalesDocument>> {
        self.documents.iter().find(|d| d.data.draft.kind == kind)
    }
    pub fn booking(&self, booking_id: &str) -> Option<&Record<Booking>> {
        self.bookings.iter().find(|b| b.data.booking_id == booking_id)
    }
    /// Its dispute `dispute_id`, if one was opened.
    pub fn dispute(&self, dispute_id: &str) -> Option<&Record<crate::domain::disputes::Dispute>> {
        self.disputes.iter().find(|d| d.data.dispute_id == dispute_id)
    }
    /// A dispute is open: the escrow is frozen.
    pub fn dispute_open(&self) -> bool {
        self.payment.as_ref().is_some_and(|p| p.data.dispute == Some(crate::domain::disputes::DisputeStatus::Open))
    }
    /// 409 while its payment's dispute is open or after it was lost: the
    /// bank decides (or decided) what goes back to the card, so no refund
    /// is asked of the provider.
    pub fn refundable(&self) -> Result<(), Problem> {
        use crate::domain::disputes::DisputeStatus;
        match self.payment.as_ref().and_then(|p| p.data.dispute) {
            Some(DisputeStatus::Open | DisputeStatus::Lost) => Err(Problem::conflict(
                "payment-disputed",
                "the payment is disputed with the card holder's bank, which decides what goes back; support can help",
            )),
            _ => Ok(()),
        }
    }
    /// Its pending ledger transfers and where each stands.
    pub fn pending(&self) -> Vec<(crate::domain::ledger::Transfer, crate::domain::ledger::PendingState)> {
        self.transfers.iter().filter_map(|r| r.data.state.map(|s| (r.data.transfer.clone(), s))).collect()
    }
}

/// The itinerary and its bookings, if it exists.
pub async fn load(table: &Table, itinerary_id: &str) -> Result<Option<Loaded>, StoreError> {
    let page = table
        .query::<Value>(Query {
            index: None,
            partition: keys::itinerary_partition(itinerary_id),
            sort_prefix: None,
            forward: true,
            limit: 100,
            cursor: None,
        })
        .await?;
    let (mut itinerary, mut payment) = (None, None);
    let (mut bookings, mut transfers, mut documents, mut disputes) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in page.items {
        match r.entity.as_str() {
            entity::ITINERARY => itinerary = Some(r.parse::<Itinerary>()?),
            entity::BOOKING => bookings.push(r.parse::<Booking>()?),
            entity::PAYMENT => payment = Some(r.parse()?),
            entity::LEDGER_TRANSFER => transfers.push(r.parse()?),
            entity::SALES_DOCUMENT => documents.push(r.parse()?),
            entity::DISPUTE => disputes.push(r.parse()?),
            _ => {}
        }
    }
    Ok(itinerary.map(|itinerary| Loaded { itinerary, bookings, payment, transfers, documents, disputes }))
}

/// The sender's own itinerary (404 for anyone else, like a missing one).
pub async fn own_itinerary(table: &Table, itinerary_id: &str, user_id: &str) -> Result<Loaded, Problem> {
    load(table, itinerary_id)
        .await?
        .filter(|l| l.itinerary.data.sender_id == user_id)
        .ok_or_else(|| Problem::not_found("itinerary"))
}

/// A new itinerary or its next version, with its by-sender index key.
/// An itinerary awaiting payment carries the payment-deadline index key
/// (gsi2, since when it awaits), and only then.
pub fn itinerary_write(current: Option<&Record<Itinerary>>, it: &Itinerary) -> TransactWriteItem {
    let g = keys::itineraries_of(&it.sender_id, it.status.as_str(), &it.created_at, &it.itinerary_id);
    let due = awaiting_payment_since(it).map(|since| keys::awaiting_payment(since, &it.itinerary_id));
    match current {
        None => {
            put_new(&Record::new(keys::itinerary(&it.itinerary_id), entity::ITINERARY, it.clone()).gsi1(g).gsi2(due))
        }
        Some(c) => put_versioned(&c.next(it.clone()).gsi1(g).gsi2(due)),
    }
}

/// The next version of a shipment (conditional on the version read), its
/// index key following its status.
pub fn next_shipment(
    current: &Record<crate::domain::shipments::Shipment>,
    s: crate::domain::shipments::Shipment,
) -> TransactWriteItem {
    let g = keys::shipments_of(&s.sender_id, s.status.as_str(), &s.created_at, &s.shipment_id);
    put_versioned(&current.next(s).gsi1(g))
}

/// When an itinerary awaiting payment began to await it (unix seconds).
pub fn awaiting_payment_since(it: &Itinerary) -> Option<i64> {
    if it.status != crate::domain::bookings::ItineraryStatus::AwaitingPayment {
        return None;
    }
    let at = it.history.iter().rev().find(|t| t.to == it.status).map(|t| t.at.as_str()).unwrap_or(&it.updated_at);
    Some(Instant::parse(at).map(|i| i.0).unwrap_or(0))
}

/// A new booking or its next version: by-traveler index key by status, and
/// the pending index (gsi2) only while it waits for an answer.
pub fn booking_write(current: Option<&Record<Booking>>, b: &Booking) -> TransactWriteItem {
    let g = keys::bookings_of(&b.traveler_id, b.status.as_str(), &b.created_at, &b.booking_id);
    let pending = (b.status == BookingStatus::Pending).then(|| keys::pending_booking(b.respond_by, &b.booking_id));
    match current {
        None => put_new(
            &Record::new(keys::booking(&b.itinerary_id, &b.booking_id), entity::BOOKING, b.clone())
                .gsi1(g)
                .gsi2(pending),
        ),
        Some(c) => put_versioned(&c.next(b.clone()).gsi1(g).gsi2(pending)),
    }
}

/// Reserves `grams` on a trip whose capacity is `capacity_grams` (the
/// caller checked `grams <= capacity_grams`): the condition makes
/// concurrent reservations never exceed it.
pub fn reserve(trip_id: &str, grams: u32, capacity_grams: u32) -> TransactWriteItem {
    let limit = capacity_grams.saturating_sub(grams);
    update(
        &keys::trip_capacity(trip_id),
        UpdateSpec::new("SET #r = if_not_exists(#r, :zero) + :w, #e = :entity, #v = if_not_exists(#v, :zero) + :one")
            .when("attribute_not_exists(#r) OR #r <= :limit")
            .name("#r", "reserved_grams")
            .name("#e", "entity")
            .name("#v", "version")
            .value(":zero", 0)
            .value(":one", 1)
            .value(":w", grams)
            .value(":limit", limit)
            .value(":entity", entity::CAPACITY),
    )
}

/// Releases `grams` reserved on a trip.
pub fn release(trip_id: &str, grams: u32) -> TransactWriteItem {
    update(
        &keys::trip_capacity(trip_id),
        UpdateSpec::new("SET #r = #r - :w, #v = #v + :one")
            .when("#r >= :w")
            .name("#r", "reserved_grams")
            .name("#v", "version")
            .value(":w", grams)
            .value(":one", 1),
    )
}

/// The event of a capacity change, through the outbox.
pub fn capacity_event(b: &Booking, change_grams: i64, correlation_id: &str, actor: Actor) -> TransactWriteItem {
    super::outbox::event(
        &CapacityChanged { trip_id: b.trip_id.clone(), booking_id: b.booking_id.clone(), change_grams },
        correlation_id,
        actor,
    )
}

/// Moves a shipment between statuses without reading it again (its index
/// key follows), conditional on the status it is expected to have.
pub fn shipment_status(
    s: &Shipment,
    from: ShipmentStatus,
    to: ShipmentStatus,
    itinerary_id: Option<&str>,
    at: &str,
) -> TransactWriteItem {
    let g = keys::shipments_of(&s.sender_id, to.as_str(), &s.created_at, &s.shipment_id);
    let mut spec = UpdateSpec::new("SET #s = :to, gsi1sk = :g, updated_at = :at, #v = #v + :one");
    if let Some(id) = itinerary_id {
        spec = UpdateSpec::new("SET #s = :to, gsi1sk = :g, updated_at = :at, #v = #v + :one, itinerary_id = :it")
            .value(":it", id);
    } else {
        spec.update.push_str(" REMOVE itinerary_id");
    }
    update(
        &keys::shipment(&s.shipment_id),
        spec.when("#s = :from")
            .name("#s", "status")
            .name("#v", "version")
            .value(":to", to)
            .value(":from", from)
            .value(":g", g.gsi1sk)
            .value(":at", at)
            .value(":one", 1),
    )
}

/// What the booking's events carry.
pub fn answered(b: &Booking) -> BookingAnswered {
    BookingAnswered {
        booking_id: b.booking_id.clone(),
        itinerary_id: b.itinerary_id.clone(),
        trip_id: b.trip_id.clone(),
        traveler_id: b.traveler_id.clone(),
        sender_id: b.sender_id.clone(),
        reason: b.reason.clone(),
    }
}

pub fn booking_changed() -> Problem {
    Problem::conflict("booking-changed", "the itinerary or booking was changed by another request; read it and retry")
}

impl From<IllegalTransition> for Problem {
    fn from(e: IllegalTransition) -> Self {
        Problem::conflict("illegal-transition", e.to_string())
    }
}

impl From<BookingError> for Problem {
    fn from(e: BookingError) -> Self {
        match e {
            BookingError::Expired => Problem::conflict("booking-expired", e.to_string()),
            BookingError::NotPending(_) => Problem::conflict("booking-not-pending", e.to_string()),
        }
    }
}

/// A booking as its traveler sees it: the parcel and route always, the
/// sender's and recipient's contacts only once accepted.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct BookingView {
    pub booking_id: String,
    pub itinerary_id: String,
    pub trip_id: String,
    pub status: BookingStatus,
    pub legs: Vec<RouteLeg>,
    /// What the traveler earns.
    pub price: Money,
    pub parcel: ParcelView,
    pub respond_by: Instant,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Only once accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sender: Option<Contact>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Contact>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn booking_view(b: &Booking) -> BookingView {
    let accepted = b.status == BookingStatus::Accepted;
    BookingView {
        booking_id: b.booking_id.clone(),
        itinerary_id: b.itinerary_id.clone(),
        trip_id: b.trip_id.clone(),
        status: b.status,
        legs: b.legs.clone(),
        price: b.price.clone(),
        parcel: b.parcel.clone(),
        respond_by: b.respond_by,
        reason: b.reason.clone(),
        sender: accepted.then(|| b.sender.clone()),
        recipient: accepted.then(|| b.recipient.clone()),
        created_at: b.created_at.clone(),
        updated_at: b.updated_at.clone(),
    }
}

/// A quote about to be booked, checked again against what is stored now.
#[cfg(feature = "places")]
pub struct Checked {
    pub quote: crate::domain::bookings::Quote,
    pub shipment: Shipment,
    /// Each checked trip's capacity (grams).
    pub capacities: std::collections::HashMap<String, u32>,
}

/// What a route stands on now: the caller's shipment, its trips with the
/// weight reserved on each, its courier areas (those that exist).
pub struct RouteNow {
    pub shipment: Record<Shipment>,
    pub trips: std::collections::HashMap<String, crate::domain::bookings::TripNow>,
    pub areas: std::collections::HashMap<String, crate::domain::search::CourierArea>,
}

/// Reads a route's shipment (404 unless the caller's), trips, their
/// capacity items and courier areas in one BatchGetItem.
pub async fn route_now(
    table: &Table,
    shipment_id: &str,
    user_id: &str,
    trip_ids: &[&str],
    area_ids: &[&str],
) -> Result<RouteNow, Problem> {
    use super::store::record;
    use crate::domain::bookings::TripNow;
    use crate::domain::search::CourierArea;
    use crate::domain::trips::Trip;
    let mut wanted = vec![keys::shipment(shipment_id)];
    for t in trip_ids {
        wanted.push(keys::trip(t));
        wanted.push(keys::trip_capacity(t));
    }
    wanted.extend(area_ids.iter().map(|a| keys::courier_area(a)));
    // BatchGetItem refuses a key twice.
    let mut seen = std::collections::HashSet::new();
    wanted.retain(|k| seen.insert(k.clone()));
    let found: std::collections::HashMap<crate::keys::Key, _> =
        wanted.iter().cloned().zip(table.get_many(&wanted, true).await?).collect();
    let get = |k: &crate::keys::Key| found.get(k).cloned().flatten();
    let shipment: Record<Shipment> = record(get(&keys::shipment(shipment_id)))?
        .filter(|r: &Record<Shipment>| r.data.sender_id == user_id)
        .ok_or_else(|| Problem::not_found("shipment"))?;
    let mut trips = std::collections::HashMap::new();
    for t in trip_ids {
        if let Some(trip) = record::<Trip>(get(&keys::trip(t)))? {
            let reserved = record::<TripCapacity>(get(&keys::trip_capacity(t)))?.map_or(0, |c| c.data.reserved_grams);
            trips.insert(t.to_string(), TripNow { trip: trip.data, reserved_grams: reserved });
        }
    }
    let mut areas = std::collections::HashMap::new();
    for a in area_ids {
        if let Some(area) = record::<CourierArea>(get(&keys::courier_area(a)))? {
            areas.insert(a.to_string(), area.data);
        }
    }
    Ok(RouteNow { shipment, trips, areas })
}

/// A quote of the caller's (404 for anyone else's, like a missing one). GetItem.
pub async fn own_quote(
    table: &Table,
    quote_id: &str,
    user_id: &str,
) -> Result<crate::domain::bookings::Quote, Problem> {
    let quote: Option<Record<crate::domain::bookings::Quote>> = table.get(&keys::quote(quote_id), true).await?;
    Ok(quote.filter(|q| q.data.sender_id == user_id).ok_or_else(|| Problem::not_found("quote"))?.data)
}

/// Checks a quote of the caller's can still be booked: not expired (410),
/// the shipment as priced (409 shipment-changed) with a photo, and every
/// trip and courier segment not in `keep` exactly as quoted — still
/// offered, times and price unchanged, capacity left (409 route-changed
/// saying what changed). One BatchGetItem.
#[cfg(feature = "places")]
pub async fn check_quote(
    table: &Table,
    quote: crate::domain::bookings::Quote,
    user_id: &str,
    now: i64,
    keep: &[crate::domain::bookings::TripChoice],
) -> Result<Checked, Problem> {
    use crate::domain::bookings::{courier_segment, parcel_of, priced_fingerprint, trip_choice, trip_segment};
    use crate::domain::places::Gazetteer;
    use crate::domain::search::RouteSegment;

    if now > quote.expires_at.0 {
        return Err(Problem::new(
            410,
            "quote-expired",
            "Quote expired",
            "the quote's 15 minutes are over; ask for a new quote",
        ));
    }
    let kept = |s: &RouteSegment| trip_choice(s).is_some_and(|c| keep.contains(&c));
    let mut trip_ids = Vec::new();
    let mut area_ids = Vec::new();
    for s in quote.segments.iter().filter(|s| !kept(s)) {
        match s {
            RouteSegment::Trip { trip_id, .. } => trip_ids.push(trip_id.as_str()),
            RouteSegment::Courier { area_id, .. } => area_ids.push(area_id.as_str()),
        }
    }
    let RouteNow { shipment, trips, areas } =
        route_now(table, &quote.shipment_id, user_id, &trip_ids, &area_ids).await?;
    let shipment = shipment.data;
    if priced_fingerprint(&shipment) != quote.shipment_fingerprint {
        return Err(Problem::conflict(
            "shipment-changed",
            "the shipment changed since it was quoted (package, contacts or customs); ask for a new quote",
        ));
    }
    if shipment.photos.is_empty() {
        return Err(Problem::conflict(
            "photo-required",
            "add a photo of the parcel (POST /shipments/{id}/photos) before booking",
        ));
    }
    let parcel = parcel_of(&shipment, quote.currency.clone());
    let places = Gazetteer::embedded();
    let mut changed = Vec::new();
    let mut capacities = std::collections::HashMap::new();
    for s in quote.segments.iter().filter(|s| !kept(s)) {
        let now_priced = match s {
            RouteSegment::Trip { trip_id, legs, .. } => {
                let trip = trips.get(trip_id);
                if let Some(c) = trip.and_then(|t| t.trip.constraints.as_ref()) {
                    capacities.insert(trip_id.clone(), c.capacity_grams);
                }
                let nos: Vec<u32> = legs.iter().map(|l| l.leg_no).collect();
                trip_segment(trip_id, &nos, trip, &parcel, places, now)
            }
            RouteSegment::Courier { area_id, from, to, pickup_at, .. } => {
                courier_segment(areas.get(area_id), area_id, from, to, pickup_at.0, &quote.currency, places)
            }
        };
        match now_priced {
            Ok(p) if &p == s => {}
            Ok(_) => changed.push(match s {
                RouteSegment::Trip { trip_id, .. } => format!("trip {trip_id} changed its times or price"),
                RouteSegment::Courier { area_id, .. } => format!("courier area {area_id} changed its times or price"),
            }),
            Err(why) => changed.push(why),
        }
    }
    if !changed.is_empty() {
        return Err(Problem::conflict("route-changed", format!("{}; search again", changed.join("; "))));
    }
    Ok(Checked { quote, shipment, capacities })
}

/// How long a traveler has to answer a request (`BOOKING_RESPONSE_MINUTES`, 5 to 10080).
pub struct ResponseWindow {
    pub seconds: i64,
}

impl super::context::FromEnv for ResponseWindow {
    fn from_env(env: &super::env::Env) -> Result<Self, super::env::ConfigError> {
        let minutes: i64 = env.parse("BOOKING_RESPONSE_MINUTES")?;
        if !(5..=7 * 24 * 60).contains(&minutes) {
            return Err(super::env::Env::invalid("BOOKING_RESPONSE_MINUTES", "must be 5 to 10080"));
        }
        Ok(Self { seconds: minutes * 60 })
    }
}

/// ItineraryRequested for the new `bookings` of an itinerary.
pub fn requested(it: &Itinerary, bookings: &[Booking], rebooking: bool) -> crate::domain::events::ItineraryRequested {
    crate::domain::events::ItineraryRequested {
        itinerary_id: it.itinerary_id.clone(),
        shipment_id: it.shipment_id.clone(),
        sender_id: it.sender_id.clone(),
        quote_id: it.quote_id.clone(),
        bookings: bookings
            .iter()
            .map(|b| crate::domain::events::BookingRequested {
                booking_id: b.booking_id.clone(),
                trip_id: b.trip_id.clone(),
                traveler_id: b.traveler_id.clone(),
                respond_by: b.respond_by,
            })
            .collect(),
        rebooking,
    }
}

/// A booking request for one of the caller's trips, with its itinerary and
/// the other bookings (one Query: the id names the itinerary); 404 for
/// anyone else's, like a missing one.
pub async fn travelers_booking(
    table: &Table,
    booking_id: &str,
    user_id: &str,
) -> Result<(Loaded, Record<Booking>), Problem> {
    let loaded = match crate::domain::bookings::itinerary_of(booking_id) {
        Some(it) => load(table, it).await?,
        None => None,
    };
    let l = loaded.ok_or_else(|| Problem::not_found("booking"))?;
    let b = l.booking(booking_id).filter(|b| b.data.traveler_id == user_id).cloned();
    let b = b.ok_or_else(|| Problem::not_found("booking"))?;
    Ok((l, b))
}

impl From<crate::domain::bookings::PricingError> for Problem {
    fn from(e: crate::domain::bookings::PricingError) -> Self {
        use crate::domain::bookings::PricingError as E;
        match e {
            E::CustomsRequired => Problem::conflict("customs-required", e.to_string()),
            E::DdpNotEstimable(_) => Problem::new(422, "ddp-not-estimable", "DDP cannot be quoted", e.to_string()),
            E::NoRate(..) => Problem::new(422, "no-exchange-rate", "No exchange rate", e.to_string()),
        }
    }
}

impl From<crate::domain::bookings::RebookError> for Problem {
    fn from(e: crate::domain::bookings::RebookError) -> Self {
        use crate::domain::bookings::RebookError as E;
        match e {
            E::NotNeeded(_) => Problem::conflict("illegal-transition", e.to_string()),
            E::DropsLiveTrip | E::FailedTrip(_) => Problem::field("quote_id", e.to_string()),
        }
    }
}

/// New booking requests for trip segments of an itinerary, numbered on from `first_no`.
#[cfg(feature = "places")]
#[allow(clippy::too_many_arguments)]
pub fn new_bookings(
    it: &Itinerary,
    shipment: &Shipment,
    segments: &[(usize, &crate::domain::search::RouteSegment)],
    capacities: &std::collections::HashMap<String, u32>,
    first_no: usize,
    now: i64,
    respond_window: i64,
    at: &str,
) -> Vec<Booking> {
    use crate::domain::bookings::{booking_id, respond_by};
    use crate::domain::search::RouteSegment;
    segments
        .iter()
        .enumerate()
        .filter_map(|(k, (_, s))| match s {
            RouteSegment::Trip { trip_id, traveler_id, legs, price, .. } => Some(Booking {
                booking_id: booking_id(&it.itinerary_id, first_no + k),
                itinerary_id: it.itinerary_id.clone(),
                shipment_id: shipment.shipment_id.clone(),
                sender_id: shipment.sender_id.clone(),
                trip_id: trip_id.clone(),
                traveler_id: traveler_id.clone(),
                status: BookingStatus::Pending,
                legs: legs.clone(),
                price: Money::new(*price, it.currency.clone()),
                trip_capacity_grams: capacities.get(trip_id).copied().unwrap_or(0),
                parcel: ParcelView {
                    category: shipment.package.category,
                    weight_grams: shipment.package.weight_grams,
                    dimensions_cm: shipment.package.dimensions_cm,
                    photos: shipment.photos.clone(),
                    handling_notes: shipment.package.handling_notes.clone(),
                },
                sender: shipment.sender.clone(),
                recipient: shipment.recipient.clone(),
                respond_by: respond_by(now, respond_window, legs[0].depart_at),
                reason: None,
                created_at: at.into(),
                updated_at: at.into(),
            }),
            RouteSegment::Courier { .. } => None,
        })
        .collect()
}

/// An itinerary cancelled (before any pickup), in one transaction: pending
/// requests withdrawn, capacity reserved by accepted bookings released
/// (CapacityChanged each), the shipment a draft again, ItineraryCancelled.
/// A paid itinerary's refund follows from the event (payments).
pub fn cancellation(
    l: &Loaded,
    shipment: &Shipment,
    at: &str,
    reason: Option<String>,
    by: crate::domain::payments::CancelledBy,
    correlation_id: &str,
    actor: Actor,
) -> Result<(Itinerary, Vec<TransactWriteItem>), IllegalTransition> {
    use crate::domain::bookings::ItineraryStatus;
    let mut it = l.itinerary.data.clone();
    let previous = it.status;
    if matches!(previous, ItineraryStatus::InTransit | ItineraryStatus::Delivered) {
        return Err(IllegalTransition { from: previous, to: ItineraryStatus::Cancelled });
    }
    it.go(ItineraryStatus::Cancelled, at, reason.clone())?;
    let mut writes = Vec::new();
    let mut released = Vec::new();
    for current in &l.bookings {
        let mut b = current.data.clone();
        let was = b.status;
        if !was.is_live() {
            continue;
        }
        b.status = BookingStatus::Cancelled;
        b.reason = Some(match by {
            crate::domain::payments::CancelledBy::Sender => "the sender cancelled the itinerary".into(),
            crate::domain::payments::CancelledBy::Other => {
                reason.clone().unwrap_or_else(|| "the itinerary was cancelled".into())
            }
        });
        b.updated_at = at.into();
        if was == BookingStatus::Accepted {
            writes.push(release(&b.trip_id, b.parcel.weight_grams));
            writes.push(capacity_event(&b, b.parcel.weight_grams as i64, correlation_id, actor.clone()));
            released.push(b.booking_id.clone());
        }
        if let Some(r) = it.booking_mut(&b.booking_id) {
            r.status = BookingStatus::Cancelled;
        }
        writes.push(booking_write(Some(current), &b));
    }
    let event = crate::domain::events::ItineraryCancelled {
        itinerary_id: it.itinerary_id.clone(),
        shipment_id: it.shipment_id.clone(),
        sender_id: it.sender_id.clone(),
        previous_status: previous,
        released,
        reason,
        cancelled_by: by,
    };
    writes.push(itinerary_write(Some(&l.itinerary), &it));
    writes.push(shipment_status(shipment, ShipmentStatus::Booked, ShipmentStatus::Draft, None, at));
    writes.push(super::outbox::event(&event, correlation_id, actor));
    Ok((it, writes))
}
