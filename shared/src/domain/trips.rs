//! Trips: a traveler's journey, its ordered legs, what parcels it accepts and
//! at what price, and its life cycle (draft → published ⇄ unpublished →
//! cancelled; only drafts are deleted). Every rule is a typed error.
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::geo::great_circle_km;
use super::money::Currency;
use super::places::{Gazetteer, Place, PlaceKind};

/// A UTC instant, written as RFC 3339 with `Z`; any offset is accepted on input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Instant(pub i64);

#[derive(Debug, Error, PartialEq, Eq)]
#[error("must be an RFC 3339 date-time with an offset, such as 2026-12-01T09:30:00+01:00, between 1970 and 9999")]
pub struct InvalidInstant;

impl Instant {
    /// The latest instant written back as RFC 3339: 9999-12-31T23:59:59Z.
    /// Later ones (9999-12-31 with a negative offset is year 10000 in UTC)
    /// and ones before 1970 are refused, so every Instant can be stored and read.
    pub const MAX: i64 = 253_402_300_799;

    pub fn parse(raw: &str) -> Result<Self, InvalidInstant> {
        let t = OffsetDateTime::parse(raw.trim(), &Rfc3339).map_err(|_| InvalidInstant)?.unix_timestamp();
        if (0..=Self::MAX).contains(&t) {
            Ok(Self(t))
        } else {
            Err(InvalidInstant)
        }
    }
    pub fn rfc3339(self) -> String {
        OffsetDateTime::from_unix_timestamp(self.0).ok().and_then(|t| t.format(&Rfc3339).ok()).unwrap_or_default()
    }
    /// `YYYY-MM-DD` of the UTC day.
    pub fn day(self) -> String {
        self.rfc3339().get(..10).unwrap_or_default().to_string()
    }
}
impl TryFrom<String> for Instant {
    type Error = InvalidInstant;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Instant> for String {
    fn from(i: Instant) -> String {
        i.rfc3339()
    }
}

macro_rules! string_enum {
    ($name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }
        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(concat!("unknown ", $what, " {:?}; one of {}"), other, [$($text),+].join(", "))),
                }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

string_enum!(Mode, "mode", { Flight => "flight", Car => "car", Train => "train", Bus => "bus" });
string_enum!(TripStatus, "status", { Draft => "draft", Published => "published", Unpublished => "unpublished", Cancelled => "cancelled" });
string_enum!(Category, "category", {
    Documents => "documents", Clothing => "clothing", Electronics => "electronics", Books => "books",
    Cosmetics => "cosmetics", Food => "food", Medicine => "medicine", Gifts => "gifts", Fragile => "fragile",
    Other => "other",
});

impl Mode {
    /// The highest plausible average speed from departure to arrival over the
    /// great-circle distance (km/h). Roads and rails are longer than the great
    /// circle, so these bound the real speed generously.
    pub fn max_speed_kmh(self) -> f64 {
        match self {
            Mode::Flight => 1000.0,
            Mode::Train => 350.0,
            Mode::Car => 140.0,
            Mode::Bus => 110.0,
        }
    }
}

/// Outer size in centimetres.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Dimensions {
    pub length_cm: u32,
    pub width_cm: u32,
    pub height_cm: u32,
}

impl Dimensions {
    fn sorted(self) -> [u32; 3] {
        let mut d = [self.length_cm, self.width_cm, self.height_cm];
        d.sort_unstable();
        d
    }
    /// A parcel fits if, turned the best way, each side fits.
    pub fn fits_in(self, space: Dimensions) -> bool {
        let (a, b) = (self.sorted(), space.sorted());
        a.iter().zip(b.iter()).all(|(x, y)| x <= y)
    }
}

/// What a trip accepts and its price for a parcel.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Constraints {
    pub max_weight_grams: u32,
    pub max_dimensions_cm: Dimensions,
    pub categories: BTreeSet<Category>,
    /// Total weight the traveler carries on this trip (defaults to one parcel's maximum).
    pub capacity_grams: u32,
    /// Minor units per kilogram.
    pub price_per_kg: i64,
    /// Minor units; the least a parcel pays for the whole trip.
    pub min_price: i64,
    pub currency: Currency,
}

impl Constraints {
    /// The whole trip's price for a parcel: per kilogram, at least the minimum.
    pub fn price_for(&self, weight_grams: u32) -> i64 {
        let by_weight = (self.price_per_kg * weight_grams as i64 + 999) / 1000;
        by_weight.max(self.min_price)
    }
}

/// One leg: from a place to the next, at given UTC times.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Leg {
    pub leg_no: u32,
    pub origin: String,
    pub destination: String,
    pub depart_at: Instant,
    pub arrive_at: Instant,
    pub distance_km: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub carrier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flight_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Trip {
    pub trip_id: String,
    pub traveler_id: String,
    pub status: TripStatus,
    pub mode: Mode,
    pub origin: String,
    pub destination: String,
    pub earliest_departure: Instant,
    pub latest_arrival: Instant,
    #[serde(default)]
    pub legs: Vec<Leg>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub constraints: Option<Constraints>,
    pub created_at: String,
    pub updated_at: String,
}

pub const MAX_LEGS: usize = 20;
/// The longest trip window accepted.
pub const MAX_WINDOW_SECONDS: i64 = 30 * 24 * 3600;
/// How far ahead a trip may start: within the next year.
pub const MAX_AHEAD_SECONDS: i64 = 366 * 24 * 3600;

/// A broken trip rule: an HTTP status, a problem slug and a message.
#[derive(Debug, Error, PartialEq)]
pub enum TripRule {
    #[error("{0}")]
    Invalid(String, String),
    #[error("a {0} trip cannot be changed")]
    NotEditable(TripStatus),
    #[error("cannot {action} a {status} trip")]
    WrongStatus { action: &'static str, status: TripStatus },
    #[error("the leg must start at {expected}, {why}")]
    NotContiguous { expected: String, why: &'static str },
    #[error("the leg departs at {depart} before the previous leg arrives at {previous_arrival}")]
    OutOfOrder { depart: String, previous_arrival: String },
    #[error("arrival must be after departure")]
    ArrivalBeforeDeparture,
    #[error("the leg must fit in the trip window {from} to {to}")]
    OutsideWindow { from: String, to: String },
    #[error("{km:.0} km in {hours:.2} h is {speed:.0} km/h, faster than a {mode} can go (at most {max:.0} km/h)")]
    ImplausibleSpeed { km: f64, hours: f64, speed: f64, mode: Mode, max: f64 },
    #[error("a trip has at most {MAX_LEGS} legs")]
    TooManyLegs,
    #[error("publishing needs {0}")]
    NotReady(&'static str),
    #[error("the trip must end at its destination {0}; add the legs that get there")]
    Incomplete(String),
    #[error("the trip has already departed")]
    Departed,
    #[error("vehicle {0} is not a verified vehicle of yours")]
    VehicleNotUsable(String),
    #[error("the trip carries up to {capacity} g but vehicle {vehicle} takes {takes} g")]
    VehicleTooSmall { vehicle: String, capacity: u32, takes: u32 },
}

impl TripRule {
    /// The trip's current state forbids the change (as opposed to the
    /// request breaking a rule whatever the state).
    pub fn is_state_conflict(&self) -> bool {
        matches!(self, TripRule::NotEditable(_) | TripRule::WrongStatus { .. })
    }
    pub fn slug(&self) -> &'static str {
        match self {
            TripRule::Invalid(..) => "validation-failed",
            TripRule::NotEditable(_) => "trip-not-editable",
            TripRule::WrongStatus { .. } => "trip-wrong-status",
            TripRule::NotContiguous { .. } => "leg-not-contiguous",
            TripRule::OutOfOrder { .. } => "leg-out-of-order",
            TripRule::ArrivalBeforeDeparture => "arrival-before-departure",
            TripRule::OutsideWindow { .. } => "leg-outside-trip-window",
            TripRule::ImplausibleSpeed { .. } => "leg-implausible-speed",
            TripRule::TooManyLegs => "too-many-legs",
            TripRule::NotReady(_) => "trip-not-ready",
            TripRule::Incomplete(_) => "trip-incomplete",
            TripRule::Departed => "trip-departed",
            TripRule::VehicleNotUsable(_) => "vehicle-not-verified",
            TripRule::VehicleTooSmall { .. } => "vehicle-too-small",
        }
    }
    fn invalid(field: &str, message: impl Into<String>) -> Self {
        TripRule::Invalid(field.to_string(), message.into())
    }
    /// One rule of each kind (the API contract lists their slugs).
    pub fn kinds() -> Vec<TripRule> {
        let s = TripStatus::Draft;
        vec![
            TripRule::NotEditable(s),
            TripRule::WrongStatus { action: "", status: s },
            TripRule::NotContiguous { expected: String::new(), why: "" },
            TripRule::OutOfOrder { depart: String::new(), previous_arrival: String::new() },
            TripRule::ArrivalBeforeDeparture,
            TripRule::OutsideWindow { from: String::new(), to: String::new() },
            TripRule::ImplausibleSpeed { km: 0.0, hours: 0.0, speed: 0.0, mode: Mode::Car, max: 0.0 },
            TripRule::TooManyLegs,
            TripRule::NotReady(""),
            TripRule::Incomplete(String::new()),
            TripRule::Departed,
            TripRule::VehicleNotUsable(String::new()),
            TripRule::VehicleTooSmall { vehicle: String::new(), capacity: 0, takes: 0 },
        ]
    }
}

/// IATA airline designator: two letters or digits.
pub fn parse_carrier(raw: &str) -> Result<String, &'static str> {
    let c = raw.trim().to_ascii_uppercase();
    if c.len() == 2 && c.chars().all(|c| c.is_ascii_alphanumeric()) {
        Ok(c)
    } else {
        Err("must be a two-character IATA airline code such as LX")
    }
}

/// A flight number: the designator and 1–4 digits, optionally a letter (LX318, BA 2490).
pub fn parse_flight_number(raw: &str) -> Result<String, &'static str> {
    let f: Vec<char> = raw.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect();
    // Characters, not bytes: "Aé123" is refused, not sliced inside the é.
    let ok = (3..=7).contains(&f.len()) && f.iter().all(char::is_ascii_alphanumeric) && f[2].is_ascii_digit();
    if ok {
        Ok(f.into_iter().collect())
    } else {
        Err("must be a flight number such as LX318")
    }
}

/// A draft's fields, parsed.
pub struct NewTrip {
    pub mode: Mode,
    pub origin: String,
    pub destination: String,
    pub earliest_departure: Instant,
    pub latest_arrival: Instant,
}

/// A leg as asked for, before the trip's rules.
pub struct NewLeg {
    pub origin: String,
    pub destination: String,
    pub depart_at: Instant,
    pub arrive_at: Instant,
    pub carrier: Option<String>,
    pub flight_number: Option<String>,
    pub vehicle_id: Option<String>,
}

/// The place `id` names, if a trip of `mode` can use it.
fn usable_place(places: &Gazetteer, field: &str, id: &str, mode: Mode) -> Result<Place, TripRule> {
    match places.get(id) {
        None => Err(TripRule::invalid(field, format!("unknown place {id:?}; find places with GET /places/search"))),
        Some(p) if mode == Mode::Flight && p.kind != PlaceKind::Airport => {
            Err(TripRule::invalid(field, format!("a flight starts and ends at an airport; {id} is a city")))
        }
        Some(p) => Ok(p),
    }
}

impl Trip {
    pub fn draft(
        trip_id: String,
        traveler_id: String,
        t: NewTrip,
        places: &Gazetteer,
        now: i64,
        now_text: String,
    ) -> Result<Trip, TripRule> {
        for (field, id) in [("origin", &t.origin), ("destination", &t.destination)] {
            usable_place(places, field, id, t.mode)?;
        }
        if t.origin == t.destination {
            return Err(TripRule::invalid("destination", "must differ from the origin"));
        }
        if t.latest_arrival <= t.earliest_departure {
            return Err(TripRule::invalid("latest_arrival", "must be after earliest_departure"));
        }
        if t.latest_arrival.0.saturating_sub(t.earliest_departure.0) > MAX_WINDOW_SECONDS {
            return Err(TripRule::invalid("latest_arrival", "a trip window is at most 30 days"));
        }
        if t.latest_arrival.0 <= now {
            return Err(TripRule::invalid("latest_arrival", "must be in the future"));
        }
        if t.earliest_departure.0 > now.saturating_add(MAX_AHEAD_SECONDS) {
            return Err(TripRule::invalid("earliest_departure", "a trip starts within the next year"));
        }
        Ok(Trip {
            trip_id,
            traveler_id,
            status: TripStatus::Draft,
            mode: t.mode,
            origin: t.origin,
            destination: t.destination,
            earliest_departure: t.earliest_departure,
            latest_arrival: t.latest_arrival,
            legs: Vec::new(),
            constraints: None,
            created_at: now_text.clone(),
            updated_at: now_text,
        })
    }

    fn ensure_editable(&self) -> Result<(), TripRule> {
        match self.status {
            TripStatus::Draft | TripStatus::Unpublished => Ok(()),
            s => Err(TripRule::NotEditable(s)),
        }
    }

    /// Where the next leg must start.
    pub fn next_origin(&self) -> &str {
        self.legs.last().map(|l| l.destination.as_str()).unwrap_or(&self.origin)
    }

    /// Appends a leg after checking every leg rule. A car leg's vehicle must be
    /// verified and the traveler's: the caller checks that against the store.
    pub fn add_leg(&mut self, leg: NewLeg, places: &Gazetteer) -> Result<&Leg, TripRule> {
        self.ensure_editable()?;
        if self.legs.len() >= MAX_LEGS {
            return Err(TripRule::TooManyLegs);
        }
        let a = usable_place(places, "origin", &leg.origin, self.mode)?;
        let b = usable_place(places, "destination", &leg.destination, self.mode)?;
        if leg.origin == leg.destination {
            return Err(TripRule::invalid("destination", "must differ from the origin"));
        }
        match self.mode {
            Mode::Flight if (leg.carrier.is_none() || leg.flight_number.is_none()) => {
                return Err(TripRule::invalid("flight_number", "a flight leg needs carrier and flight_number"));
            }
            Mode::Car if leg.vehicle_id.is_none() => {
                return Err(TripRule::invalid(
                    "vehicle_id",
                    "a car leg needs the vehicle_id of a verified vehicle of yours",
                ));
            }
            _ => {}
        }
        if leg.origin != self.next_origin() {
            let why = if self.legs.is_empty() { "the trip's origin" } else { "where the previous leg ends" };
            return Err(TripRule::NotContiguous { expected: self.next_origin().to_string(), why });
        }
        if leg.arrive_at <= leg.depart_at {
            return Err(TripRule::ArrivalBeforeDeparture);
        }
        if let Some(prev) = self.legs.last() {
            if leg.depart_at < prev.arrive_at {
                return Err(TripRule::OutOfOrder {
                    depart: leg.depart_at.rfc3339(),
                    previous_arrival: prev.arrive_at.rfc3339(),
                });
            }
        }
        if leg.depart_at < self.earliest_departure || leg.arrive_at > self.latest_arrival {
            return Err(TripRule::OutsideWindow {
                from: self.earliest_departure.rfc3339(),
                to: self.latest_arrival.rfc3339(),
            });
        }
        let km = great_circle_km(a.position(), b.position());
        let hours = leg.arrive_at.0.saturating_sub(leg.depart_at.0) as f64 / 3600.0;
        let speed = km / hours;
        if speed > self.mode.max_speed_kmh() {
            return Err(TripRule::ImplausibleSpeed {
                km,
                hours,
                speed,
                mode: self.mode,
                max: self.mode.max_speed_kmh(),
            });
        }
        self.legs.push(Leg {
            leg_no: self.legs.len() as u32 + 1,
            origin: leg.origin,
            destination: leg.destination,
            depart_at: leg.depart_at,
            arrive_at: leg.arrive_at,
            distance_km: (km * 10.0).round() / 10.0,
            carrier: leg.carrier,
            flight_number: leg.flight_number,
            vehicle_id: leg.vehicle_id,
        });
        Ok(self.legs.last().expect("pushed"))
    }

    pub fn set_constraints(&mut self, c: Constraints) -> Result<(), TripRule> {
        self.ensure_editable()?;
        if c.max_weight_grams == 0 || c.max_weight_grams > 50_000 {
            return Err(TripRule::invalid("max_weight_grams", "must be from 1 to 50000"));
        }
        if c.capacity_grams < c.max_weight_grams || c.capacity_grams > 200_000 {
            return Err(TripRule::invalid("capacity_grams", "must be at least max_weight_grams and at most 200000"));
        }
        let d = c.max_dimensions_cm;
        if [d.length_cm, d.width_cm, d.height_cm].iter().any(|&x| x == 0 || x > 300) {
            return Err(TripRule::invalid("max_dimensions_cm", "each side must be from 1 to 300 cm"));
        }
        if c.categories.is_empty() {
            return Err(TripRule::invalid("categories", "name at least one accepted category"));
        }
        if c.price_per_kg < 0 || c.min_price < 0 || c.price_per_kg > 1_000_000 || c.min_price > 10_000_000 {
            return Err(TripRule::invalid(
                "price_per_kg",
                "prices are non-negative minor units (price_per_kg at most 1000000, min_price at most 10000000)",
            ));
        }
        self.constraints = Some(c);
        Ok(())
    }

    /// Draft or unpublished → published, if the trip is complete.
    /// Publishes the trip; the constraints it is published with.
    pub fn publish(&mut self, traveler_verified: bool, now: i64) -> Result<Constraints, TripRule> {
        if !matches!(self.status, TripStatus::Draft | TripStatus::Unpublished) {
            return Err(TripRule::WrongStatus { action: "publish", status: self.status });
        }
        if self.legs.is_empty() {
            return Err(TripRule::NotReady("at least one leg"));
        }
        let Some(constraints) = self.constraints.clone() else {
            return Err(TripRule::NotReady("constraints (PUT /trips/{id}/constraints)"));
        };
        if !traveler_verified {
            return Err(TripRule::NotReady("a verified traveler"));
        }
        if self.next_origin() != self.destination {
            return Err(TripRule::Incomplete(self.destination.clone()));
        }
        if self.legs[0].depart_at.0 <= now {
            return Err(TripRule::Departed);
        }
        self.status = TripStatus::Published;
        Ok(constraints)
    }

    /// The vehicles a car trip's legs name, each once.
    pub fn vehicle_ids(&self) -> Vec<String> {
        let mut v: Vec<String> = self.legs.iter().filter_map(|l| l.vehicle_id.clone()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// Checked when publishing: the vehicle is still the traveler's and
    /// verified, and takes what the trip promises to carry.
    pub fn check_vehicle(&self, vehicle_id: &str, vehicle: Option<&super::vehicles::Vehicle>) -> Result<(), TripRule> {
        let Some(v) = vehicle
            .filter(|v| v.owner_id == self.traveler_id && v.verification == super::identity::Verification::Verified)
        else {
            return Err(TripRule::VehicleNotUsable(vehicle_id.to_string()));
        };
        match &self.constraints {
            Some(c) if c.capacity_grams > v.capacity_grams => Err(TripRule::VehicleTooSmall {
                vehicle: vehicle_id.to_string(),
                capacity: c.capacity_grams,
                takes: v.capacity_grams,
            }),
            _ => Ok(()),
        }
    }

    pub fn unpublish(&mut self) -> Result<(), TripRule> {
        if self.status != TripStatus::Published {
            return Err(TripRule::WrongStatus { action: "unpublish", status: self.status });
        }
        self.status = TripStatus::Unpublished;
        Ok(())
    }

    pub fn cancel(&mut self) -> Result<(), TripRule> {
        if !matches!(self.status, TripStatus::Published | TripStatus::Unpublished) {
            return Err(TripRule::WrongStatus { action: "cancel", status: self.status });
        }
        self.status = TripStatus::Cancelled;
        Ok(())
    }

    /// Only drafts are deleted; anything once published is cancelled instead.
    pub fn ensure_deletable(&self) -> Result<(), TripRule> {
        if self.status != TripStatus::Draft {
            return Err(TripRule::WrongStatus { action: "delete", status: self.status });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DATA: &str = "C\tFR\tFrance\nC\tGB\tUnited Kingdom\n\
P\tairport:CDG\tairport\tCharles de Gaulle\tParis\tFR\t49.01280\t2.55000\tEurope/Paris\t2138551\n\
P\tairport:LHR\tairport\tHeathrow\tLondon\tGB\t51.47060\t-0.46194\tEurope/London\t8961989\n\
P\tairport:MAN\tairport\tManchester\tManchester\tGB\t53.35370\t-2.27495\tEurope/London\t395515\n\
P\tcity:2988507\tcity\tParis\t\tFR\t48.85341\t2.34880\tEurope/Paris\t2138551\n\
P\tcity:2643743\tcity\tLondon\t\tGB\t51.50853\t-0.12574\tEurope/London\t8961989\n";

    const H: i64 = 3600;
    const T0: i64 = 1_900_000_000;

    fn g() -> Gazetteer {
        Gazetteer::parse(DATA).unwrap()
    }
    fn trip(mode: Mode, from: &str, to: &str) -> Trip {
        let t = NewTrip {
            mode,
            origin: from.into(),
            destination: to.into(),
            earliest_departure: Instant(T0),
            latest_arrival: Instant(T0 + 48 * H),
        };
        Trip::draft("t1".into(), "u1".into(), t, &g(), T0 - 10 * H, "now".into()).unwrap()
    }
    fn flight(from: &str, to: &str, dep: i64, arr: i64) -> NewLeg {
        NewLeg {
            origin: from.into(),
            destination: to.into(),
            depart_at: Instant(dep),
            arrive_at: Instant(arr),
            carrier: Some("BA".into()),
            flight_number: Some("BA303".into()),
            vehicle_id: None,
        }
    }
    fn constraints() -> Constraints {
        Constraints {
            max_weight_grams: 5000,
            max_dimensions_cm: Dimensions { length_cm: 50, width_cm: 40, height_cm: 20 },
            categories: [Category::Documents].into(),
            capacity_grams: 10_000,
            price_per_kg: 800,
            min_price: 1500,
            currency: Currency::parse("EUR").unwrap(),
        }
    }

    #[test]
    fn instants_normalise_to_utc() {
        let i = Instant::parse("2026-12-01T09:30:00+01:00").unwrap();
        assert_eq!(i.rfc3339(), "2026-12-01T08:30:00Z");
        assert_eq!(i.day(), "2026-12-01");
        assert!(Instant::parse("2026-12-01 09:30").is_err());
    }

    #[test]
    fn legs_follow_every_rule() {
        let g = g();
        let mut t = trip(Mode::Flight, "airport:CDG", "airport:MAN");
        let e = t.add_leg(flight("airport:LHR", "airport:MAN", T0 + H, T0 + 3 * H), &g).unwrap_err();
        assert_eq!(e.slug(), "leg-not-contiguous");
        assert_eq!(
            t.add_leg(flight("airport:CDG", "airport:LHR", T0 + 2 * H, T0 + H), &g).unwrap_err().slug(),
            "arrival-before-departure"
        );
        assert_eq!(
            t.add_leg(flight("airport:CDG", "airport:LHR", T0 - H, T0 + H), &g).unwrap_err().slug(),
            "leg-outside-trip-window"
        );
        // CDG–LHR is ~350 km: 10 minutes is 2,100 km/h.
        assert_eq!(
            t.add_leg(flight("airport:CDG", "airport:LHR", T0 + H, T0 + H + 600), &g).unwrap_err().slug(),
            "leg-implausible-speed"
        );
        assert_eq!(
            t.add_leg(flight("airport:CDG", "city:2643743", T0 + H, T0 + 3 * H), &g).unwrap_err().slug(),
            "validation-failed"
        );
        let mut no_number = flight("airport:CDG", "airport:LHR", T0 + H, T0 + 3 * H);
        no_number.flight_number = None;
        assert_eq!(t.add_leg(no_number, &g).unwrap_err().slug(), "validation-failed");
        let leg = t.add_leg(flight("airport:CDG", "airport:LHR", T0 + H, T0 + 2 * H), &g).unwrap();
        assert!((leg.distance_km - 348.0).abs() < 10.0, "{}", leg.distance_km);
        assert_eq!(
            t.add_leg(flight("airport:LHR", "airport:MAN", T0 + H, T0 + 3 * H), &g).unwrap_err().slug(),
            "leg-out-of-order"
        );
        t.add_leg(flight("airport:LHR", "airport:MAN", T0 + 3 * H, T0 + 4 * H), &g).unwrap();
        assert_eq!(t.legs.len(), 2);
        assert_eq!(t.legs[1].leg_no, 2);
    }

    #[test]
    fn publishing_needs_legs_constraints_a_verified_traveler_and_the_destination() {
        let g = g();
        let mut t = trip(Mode::Flight, "airport:CDG", "airport:MAN");
        assert_eq!(t.publish(true, T0 - H).unwrap_err().slug(), "trip-not-ready");
        t.add_leg(flight("airport:CDG", "airport:LHR", T0 + H, T0 + 2 * H), &g).unwrap();
        assert_eq!(t.publish(true, T0 - H).unwrap_err().slug(), "trip-not-ready");
        t.set_constraints(constraints()).unwrap();
        assert_eq!(t.publish(false, T0 - H).unwrap_err().slug(), "trip-not-ready");
        assert_eq!(t.publish(true, T0 - H).unwrap_err().slug(), "trip-incomplete");
        t.add_leg(flight("airport:LHR", "airport:MAN", T0 + 3 * H, T0 + 4 * H), &g).unwrap();
        assert_eq!(t.publish(true, T0 + 2 * H).unwrap_err().slug(), "trip-departed");
        t.publish(true, T0 - H).unwrap();
        assert_eq!(t.status, TripStatus::Published);
        // Published: not editable, not deletable; unpublish, then cancel.
        assert_eq!(t.set_constraints(constraints()).unwrap_err().slug(), "trip-not-editable");
        assert!(t
            .add_leg(flight("airport:MAN", "airport:LHR", T0 + 5 * H, T0 + 6 * H), &g)
            .unwrap_err()
            .is_state_conflict());
        assert!(t.ensure_deletable().unwrap_err().is_state_conflict());
        assert_eq!(t.publish(true, T0 - H).unwrap_err().slug(), "trip-wrong-status");
        t.unpublish().unwrap();
        assert_eq!(t.unpublish().unwrap_err().slug(), "trip-wrong-status");
        t.cancel().unwrap();
        assert_eq!(t.cancel().unwrap_err().slug(), "trip-wrong-status");
    }

    #[test]
    fn a_car_trip_needs_its_own_verified_vehicle_big_enough() {
        use crate::domain::identity::Verification;
        use crate::domain::vehicles::Vehicle;
        let mut t = trip(Mode::Car, "city:2988507", "city:2643743");
        t.set_constraints(constraints()).unwrap();
        let v = |owner: &str, verification, capacity| Vehicle {
            vehicle_id: "v".into(),
            owner_id: owner.into(),
            make: "m".into(),
            model: "m".into(),
            plate: "P1".into(),
            capacity_grams: capacity,
            verification,
            verification_note: None,
            created_at: "t".into(),
            updated_at: "t".into(),
        };
        assert!(t.check_vehicle("v", Some(&v("u1", Verification::Verified, 10_000))).is_ok());
        assert_eq!(
            t.check_vehicle("v", Some(&v("u1", Verification::Verified, 9_999))).unwrap_err().slug(),
            "vehicle-too-small"
        );
        assert_eq!(
            t.check_vehicle("v", Some(&v("u1", Verification::Rejected, 50_000))).unwrap_err().slug(),
            "vehicle-not-verified"
        );
        assert_eq!(
            t.check_vehicle("v", Some(&v("u2", Verification::Verified, 50_000))).unwrap_err().slug(),
            "vehicle-not-verified"
        );
        assert_eq!(t.check_vehicle("v", None).unwrap_err().slug(), "vehicle-not-verified");
    }

    #[test]
    fn drafts_refuse_bad_places_and_windows() {
        let g = g();
        let new = |from: &str, to: &str, a: i64, b: i64| NewTrip {
            mode: Mode::Car,
            origin: from.into(),
            destination: to.into(),
            earliest_departure: Instant(a),
            latest_arrival: Instant(b),
        };
        let draft = |t| Trip::draft("t".into(), "u".into(), t, &g, T0 - H, "now".into());
        assert!(draft(new("city:2988507", "city:2643743", T0, T0 + H)).is_ok());
        assert!(draft(new("city:1", "city:2643743", T0, T0 + H)).is_err());
        assert!(draft(new("city:2988507", "city:2988507", T0, T0 + H)).is_err());
        assert!(draft(new("city:2988507", "city:2643743", T0, T0)).is_err());
        assert!(draft(new("city:2988507", "city:2643743", T0, T0 + 31 * 24 * H)).is_err());
        assert!(draft(new("city:2988507", "city:2643743", T0 - 5 * H, T0 - 2 * H)).is_err());
    }

    #[test]
    fn constraints_are_checked_and_priced() {
        let mut t = trip(Mode::Car, "city:2988507", "city:2643743");
        let mut c = constraints();
        assert_eq!(c.price_for(1000), 1500, "the minimum applies");
        assert_eq!(c.price_for(2500), 2000);
        c.categories.clear();
        assert!(t.set_constraints(c).is_err());
        let mut c = constraints();
        c.capacity_grams = 100;
        assert!(t.set_constraints(c).is_err());
        assert!(Dimensions { length_cm: 20, width_cm: 50, height_cm: 10 }.fits_in(Dimensions {
            length_cm: 50,
            width_cm: 40,
            height_cm: 20
        }));
        assert!(!Dimensions { length_cm: 60, width_cm: 5, height_cm: 5 }.fits_in(Dimensions {
            length_cm: 50,
            width_cm: 40,
            height_cm: 20
        }));
    }
}
