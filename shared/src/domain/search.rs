//! Route search over the search projection: the projection's records, the
//! parcel a sender asks about, local courier areas, and the step from
//! projection legs to the planner's network and back to answers.
use serde::{Deserialize, Serialize};

use std::collections::{BTreeSet, HashMap};
use thiserror::Error;

use super::geo::{great_circle_km, local_time, utc_offset, LatLon};
use super::money::Currency;
use super::places::Gazetteer;
use super::planner::{self, Connection, FirstMile, Hours, Itinerary, LastMile, Network, Planner, Query, Segment, Sort};
use super::trips::{Category, Constraints, Dimensions, Instant, Mode, MAX_AHEAD_SECONDS};
use super::validation::{Errors, FieldError};

/// One published leg as the search projection stores it: everything the
/// planner needs, so a search reads nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct SearchLeg {
    pub trip_id: String,
    pub traveler_id: String,
    pub revision: u64,
    pub leg_no: u32,
    pub mode: Mode,
    pub origin: String,
    pub destination: String,
    pub depart_at: Instant,
    pub arrive_at: Instant,
    pub max_weight_grams: u32,
    pub max_dimensions_cm: Dimensions,
    pub categories: BTreeSet<Category>,
    pub remaining_grams: u32,
    pub price_per_kg: i64,
    pub min_price: i64,
    pub currency: Currency,
    /// The part of the trip's distance before this leg, and through it (0..1):
    /// a parcel pays the trip's price times the share it rides.
    pub share_from: f64,
    pub share_to: f64,
}

/// The projection's legs for a published trip.
pub fn search_legs(
    trip_id: &str,
    traveler_id: &str,
    revision: u64,
    mode: Mode,
    legs: &[super::trips::Leg],
    c: &Constraints,
) -> Vec<SearchLeg> {
    let total: f64 = legs.iter().map(|l| l.distance_km).sum();
    let mut before = 0.0;
    legs.iter()
        .enumerate()
        .map(|(i, l)| {
            let share_from = if total > 0.0 { before / total } else { i as f64 / legs.len() as f64 };
            before += l.distance_km;
            let share_to = if i + 1 == legs.len() {
                1.0
            } else if total > 0.0 {
                before / total
            } else {
                (i + 1) as f64 / legs.len() as f64
            };
            SearchLeg {
                trip_id: trip_id.to_string(),
                traveler_id: traveler_id.to_string(),
                revision,
                leg_no: l.leg_no,
                mode,
                origin: l.origin.clone(),
                destination: l.destination.clone(),
                depart_at: l.depart_at,
                arrive_at: l.arrive_at,
                max_weight_grams: c.max_weight_grams,
                max_dimensions_cm: c.max_dimensions_cm,
                categories: c.categories.clone(),
                remaining_grams: c.capacity_grams,
                price_per_kg: c.price_per_kg,
                min_price: c.min_price,
                currency: c.currency.clone(),
                share_from,
                share_to,
            }
        })
        .collect()
}

/// What a sender wants carried.
#[derive(Debug, Clone, PartialEq)]
pub struct Parcel {
    pub weight_grams: u32,
    pub dimensions: Option<Dimensions>,
    pub category: Category,
    pub currency: Currency,
}

impl SearchLeg {
    /// The leg takes the parcel: weight, size, category, capacity left, currency.
    pub fn accepts(&self, p: &Parcel) -> bool {
        p.weight_grams <= self.max_weight_grams
            && p.weight_grams <= self.remaining_grams
            && p.dimensions.is_none_or(|d| d.fits_in(self.max_dimensions_cm))
            && self.categories.contains(&p.category)
            && self.currency == p.currency
    }
    /// This leg's part of the trip's price for the parcel (minor units); the
    /// parts of a trip add up to exactly its price.
    pub fn price_for(&self, weight_grams: u32) -> i64 {
        let trip_price = ((self.price_per_kg * weight_grams as i64 + 999) / 1000).max(self.min_price) as f64;
        (trip_price * self.share_to).round() as i64 - (trip_price * self.share_from).round() as i64
    }
}

/// A local courier's service area: a centre, a radius, a price per km, and
/// daily hours in the area's zone.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct CourierArea {
    pub area_id: String,
    pub courier_id: String,
    pub name: String,
    pub centre: LatLon,
    pub radius_km: f64,
    pub price_per_km: i64,
    /// Charged per job on top of the distance.
    pub base_price: i64,
    pub currency: Currency,
    /// Local opening and closing, minutes after midnight (equal: all day).
    pub open_minute: u32,
    pub close_minute: u32,
    pub zone: String,
    /// Average door-to-door speed, km/h, for the job's duration (plus 30 minutes).
    pub speed_kmh: f64,
    pub created_at: String,
}

/// Time a courier adds to every job: pickup and drop-off.
pub const COURIER_OVERHEAD_SECONDS: i64 = 1800;

impl CourierArea {
    pub fn covers(&self, p: LatLon) -> bool {
        great_circle_km(self.centre, p) <= self.radius_km
    }
    /// Price and duration of a job between two points.
    pub fn job(&self, a: LatLon, b: LatLon) -> (i64, i64) {
        let km = great_circle_km(a, b);
        (
            self.base_price + (km * self.price_per_km as f64).round() as i64,
            COURIER_OVERHEAD_SECONDS + (km / self.speed_kmh.max(1.0) * 3600.0).round() as i64,
        )
    }
    /// Hours as UTC seconds of the day, with the zone's offset at `at`.
    pub fn hours_at(&self, at: i64) -> Hours {
        let off = utc_offset(at, &self.zone).unwrap_or(0);
        let utc = |m: u32| (m as i64 * 60 - off).rem_euclid(86_400);
        if self.open_minute == self.close_minute {
            Hours { open: 0, close: 0 }
        } else {
            Hours { open: utc(self.open_minute), close: utc(self.close_minute) }
        }
    }
}

/// A route search, parsed.
#[derive(Debug, Clone)]
pub struct RouteSearch {
    pub from: String,
    pub to: String,
    pub depart_after: i64,
    pub arrive_before: i64,
    pub parcel: Parcel,
    pub sort: Sort,
    pub buffer_seconds: i64,
}

/// Longest search window: a search reads one projection partition per day.
pub const MAX_WINDOW_DAYS: i64 = 7;
pub const MAX_TRIPS: u8 = 3;
/// How long a quoted itinerary holds.
pub const QUOTE_SECONDS: i64 = 900;

#[derive(Debug, Error, PartialEq)]
pub enum SearchError {
    #[error("unknown place {0}")]
    UnknownPlace(String),
}

/// Parses a search's query string, naming every wrong field at once:
/// the search, the page size and the sort's name.
pub fn parse_search(
    query: &HashMap<String, String>,
    places: &Gazetteer,
    buffer_seconds: i64,
    now: i64,
) -> Result<(RouteSearch, usize, &'static str), Vec<FieldError>> {
    let q = |k: &str| query.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let mut errors = Errors::new();
    for k in ["from", "to"] {
        match q(k) {
            None => errors.push(k, "is required: a place id such as airport:JFK (find one with GET /places/search)"),
            Some(id) if places.get(id).is_none() => errors.push(k, format!("unknown place {id:?}")),
            _ => {}
        }
    }
    if q("from").is_some() && q("from") == q("to") {
        errors.push("to", "must differ from from");
    }
    let depart_after = match q("depart_after") {
        None => Some(now),
        Some(s) => errors.check("depart_after", Instant::parse(s)).map(|i| i.0.max(now)),
    };
    let arrive_before = match q("arrive_before") {
        None => depart_after.map(|d| d + 3 * 86_400),
        Some(s) => errors.check("arrive_before", Instant::parse(s)).map(|i| i.0),
    };
    if depart_after.is_some_and(|d| d > now.saturating_add(MAX_AHEAD_SECONDS)) {
        errors.push("depart_after", "a search looks at most a year ahead");
    }
    if let (Some(d), Some(a)) = (depart_after, arrive_before) {
        if a <= d {
            errors.push("arrive_before", "must be after depart_after (and after now)");
        } else if a - d > MAX_WINDOW_DAYS * 86_400 {
            errors.push("arrive_before", format!("a search spans at most {MAX_WINDOW_DAYS} days"));
        }
    }
    let weight = match q("weight_grams").map(|w| w.parse::<u32>()) {
        Some(Ok(w)) if (1..=50_000).contains(&w) => Some(w),
        _ => {
            errors.push("weight_grams", "is required: a whole number of grams from 1 to 50000");
            None
        }
    };
    let category = match q("category") {
        None => {
            errors.push(
                "category",
                "is required: documents, clothing, electronics, books, cosmetics, food, medicine, gifts, fragile or other",
            );
            None
        }
        Some(c) => errors.check("category", c.parse::<Category>()),
    };
    let dims: Vec<Option<&str>> = ["length_cm", "width_cm", "height_cm"].iter().map(|k| q(k)).collect();
    let dimensions = if dims.iter().all(Option::is_none) {
        None
    } else {
        let parsed: Vec<Option<u32>> =
            dims.iter().map(|d| d.and_then(|v| v.parse::<u32>().ok()).filter(|v| (1..=300).contains(v))).collect();
        match parsed[..] {
            [Some(l), Some(w), Some(h)] => Some(Dimensions { length_cm: l, width_cm: w, height_cm: h }),
            _ => {
                errors.push("length_cm", "give length_cm, width_cm and height_cm together, each 1 to 300");
                None
            }
        }
    };
    let currency = errors.check("currency", Currency::parse(q("currency").unwrap_or("EUR")));
    let (sort, sort_name) = match q("sort").unwrap_or("best") {
        "best" => (Sort::Best, "best"),
        "cheapest" => (Sort::Cheapest, "cheapest"),
        "quickest" => (Sort::Quickest, "quickest"),
        _ => {
            errors.push("sort", "must be cheapest, quickest or best");
            (Sort::Best, "best")
        }
    };
    let limit = match q("limit").map(|l| l.parse::<usize>()) {
        None => Some(10),
        Some(Ok(l)) if (1..=50).contains(&l) => Some(l),
        _ => {
            errors.push("limit", "must be a whole number from 1 to 50");
            None
        }
    };
    let (from, to, depart_after, arrive_before, weight_grams, category, currency, limit) = errors.finish((|| {
        Some((q("from")?, q("to")?, depart_after?, arrive_before?, weight?, category?, currency?, limit?))
    })())?;
    let parcel = Parcel { weight_grams, dimensions, category, currency };
    let s = RouteSearch {
        from: from.to_string(),
        to: to.to_string(),
        depart_after,
        arrive_before,
        parcel,
        sort,
        buffer_seconds,
    };
    Ok((s, limit, sort_name))
}

/// The days (UTC, `YYYY-MM-DD`) whose projection partitions a search reads.
pub fn days(depart_after: i64, arrive_before: i64) -> Vec<String> {
    let mut out = Vec::new();
    let mut d = depart_after.div_euclid(86_400);
    while d <= arrive_before.div_euclid(86_400) {
        out.push(Instant(d * 86_400).day());
        d += 1;
    }
    out
}

/// A price in minor units of a currency.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Price {
    pub amount: i64,
    pub currency: Currency,
}

/// One way to send the parcel: its price, times, handoffs and segments.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct RouteOption {
    pub price: Price,
    pub depart_at: Instant,
    pub arrive_at: Instant,
    pub arrive_local: Option<String>,
    pub handoffs: u8,
    pub trips: u8,
    /// Where the parcel changes hands, in order.
    pub handoff_places: Vec<String>,
    pub segments: Vec<RouteSegment>,
    /// The price holds until then.
    pub expires_at: Instant,
}

/// A courier job or a ride on a traveler's trip.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteSegment {
    Courier {
        area_id: String,
        courier_id: String,
        name: String,
        from: String,
        to: String,
        pickup_at: Instant,
        deliver_at: Instant,
        deliver_local: Option<String>,
        /// Minor units.
        price: i64,
    },
    Trip {
        trip_id: String,
        traveler_id: String,
        mode: Mode,
        /// Minor units.
        price: i64,
        legs: Vec<RouteLeg>,
    },
}

/// A leg of a trip as a route rides it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RouteLeg {
    pub leg_no: u32,
    pub origin: String,
    pub destination: String,
    pub depart_at: Instant,
    pub arrive_at: Instant,
    pub depart_local: Option<String>,
    pub arrive_local: Option<String>,
}

impl RouteLeg {
    /// A projection leg as a route rides it, its times also in its places' zones.
    pub fn of(l: &SearchLeg, places: &Gazetteer) -> Self {
        let zone = |id: &str| places.get(id).map(|p| p.zone).unwrap_or("UTC");
        RouteLeg {
            leg_no: l.leg_no,
            origin: l.origin.clone(),
            destination: l.destination.clone(),
            depart_at: l.depart_at,
            arrive_at: l.arrive_at,
            depart_local: local_time(l.depart_at.0, zone(&l.origin)),
            arrive_local: local_time(l.arrive_at.0, zone(&l.destination)),
        }
    }
}

/// The whole search: legs and courier areas in, ranked itineraries (as
/// answers show them) out.
pub fn run(
    s: &RouteSearch,
    legs: &[SearchLeg],
    areas: &[CourierArea],
    places: &Gazetteer,
    now: i64,
) -> Result<Vec<RouteOption>, SearchError> {
    let from = places.get(&s.from).ok_or_else(|| SearchError::UnknownPlace(s.from.clone()))?;
    let to = places.get(&s.to).ok_or_else(|| SearchError::UnknownPlace(s.to.clone()))?;
    // Places get dense indices; legs that refuse the parcel are left out.
    let mut stop_ids: Vec<&'static str> = vec![from.id, to.id];
    let mut index: HashMap<&'static str, u32> = HashMap::from([(from.id, 0), (to.id, 1)]);
    let mut trips: HashMap<&str, u32> = HashMap::new();
    let mut conns = Vec::new();
    let mut kept: Vec<&SearchLeg> = Vec::new();
    for l in legs.iter().filter(|l| l.accepts(&s.parcel)) {
        let (Some(o), Some(d)) = (places.get(&l.origin), places.get(&l.destination)) else { continue };
        let mut stop = |id: &'static str| {
            *index.entry(id).or_insert_with(|| {
                stop_ids.push(id);
                stop_ids.len() as u32 - 1
            })
        };
        let (a, b) = (stop(o.id), stop(d.id));
        let n = trips.len() as u32;
        let trip = *trips.entry(l.trip_id.as_str()).or_insert(n);
        conns.push(Connection { from: a, to: b, dep: l.depart_at.0, arr: l.arrive_at.0, trip, id: kept.len() as u32 });
        kept.push(l);
    }
    let n_stops = stop_ids.len();
    let position = |i: u32| places.get(stop_ids[i as usize]).map(|p| p.position());
    // Couriers: from the origin to any place of a trip in the same area, and
    // from such a place to the destination.
    let area_ok: Vec<&CourierArea> = areas.iter().filter(|a| a.currency == s.parcel.currency).collect();
    let mut first_mile = Vec::new();
    // When each first-mile job starts (the planner only needs when it ends).
    let mut first_mile_pickup = Vec::new();
    let mut last_mile = Vec::new();
    for (ai, a) in area_ok.iter().enumerate() {
        let hours = a.hours_at(s.depart_after);
        for i in 2..n_stops as u32 {
            let Some(p) = position(i) else { continue };
            if !a.covers(p) {
                continue;
            }
            if a.covers(from.position()) {
                let (price, duration) = a.job(from.position(), p);
                if let Some(done) = hours.finish(s.depart_after, duration) {
                    first_mile.push(FirstMile { stop: i, ready_at: done, price, courier: ai as u32 });
                    first_mile_pickup.push(done - duration);
                }
            }
            if a.covers(to.position()) {
                let (price, duration) = a.job(p, to.position());
                last_mile.push(LastMile { stop: i, duration, price, hours, courier: ai as u32 });
            }
        }
    }
    let net = Network::new(conns, n_stops);
    let q = Query {
        origin: 0,
        destination: 1,
        depart_after: s.depart_after,
        arrive_before: s.arrive_before,
        buffer: s.buffer_seconds,
        max_trips: MAX_TRIPS,
        first_mile,
        last_mile,
    };
    let weight = s.parcel.weight_grams;
    let mut found = Planner::new(&net).plan(&q, |c| Some(kept[c.id as usize].price_for(weight)));
    planner::sort(&mut found, s.sort);
    let zone = |id: &str| places.get(id).map(|p| p.zone).unwrap_or("UTC");
    let stop_name = |i: u32| stop_ids[i as usize].to_string();
    let view = |it: &Itinerary| -> RouteOption {
        let mut segments = Vec::new();
        let mut handoff_places = Vec::new();
        let mut first_departure = None;
        for seg in &it.segments {
            match seg {
                Segment::FirstMile { option } => {
                    let fm = q.first_mile[*option as usize];
                    let a = area_ok[fm.courier as usize];
                    let start = first_mile_pickup[*option as usize];
                    first_departure.get_or_insert(start);
                    handoff_places.push(stop_name(fm.stop));
                    segments.push(RouteSegment::Courier {
                        area_id: a.area_id.clone(),
                        courier_id: a.courier_id.clone(),
                        name: a.name.clone(),
                        from: s.from.clone(),
                        to: stop_name(fm.stop),
                        pickup_at: Instant(start),
                        deliver_at: Instant(fm.ready_at),
                        deliver_local: local_time(fm.ready_at, zone(&stop_name(fm.stop))),
                        price: fm.price,
                    });
                }
                Segment::Ride { conns, .. } => {
                    let legs: Vec<&SearchLeg> =
                        conns.iter().map(|c| kept[net.connections()[*c as usize].id as usize]).collect();
                    let price: i64 = legs.iter().map(|l| l.price_for(weight)).sum();
                    first_departure.get_or_insert(legs[0].depart_at.0);
                    if matches!(segments.last(), Some(RouteSegment::Trip { .. })) {
                        handoff_places.push(legs[0].origin.clone());
                    }
                    segments.push(RouteSegment::Trip {
                        trip_id: legs[0].trip_id.clone(),
                        traveler_id: legs[0].traveler_id.clone(),
                        mode: legs[0].mode,
                        price,
                        legs: legs.iter().map(|l| RouteLeg::of(l, places)).collect(),
                    });
                }
                Segment::LastMile { option, pickup, deliver } => {
                    let lm = q.last_mile[*option as usize];
                    let a = area_ok[lm.courier as usize];
                    handoff_places.push(stop_name(lm.stop));
                    segments.push(RouteSegment::Courier {
                        area_id: a.area_id.clone(),
                        courier_id: a.courier_id.clone(),
                        name: a.name.clone(),
                        from: stop_name(lm.stop),
                        to: s.to.clone(),
                        pickup_at: Instant(*pickup),
                        deliver_at: Instant(*deliver),
                        deliver_local: local_time(*deliver, zone(&s.to)),
                        price: lm.price,
                    });
                }
            }
        }
        let depart = first_departure.unwrap_or(s.depart_after);
        RouteOption {
            price: Price { amount: it.price, currency: s.parcel.currency.clone() },
            depart_at: Instant(depart),
            arrive_at: Instant(it.arrive),
            arrive_local: local_time(it.arrive, zone(&s.to)),
            handoffs: it.handoffs,
            trips: it.trips,
            handoff_places,
            segments,
            expires_at: Instant((now + QUOTE_SECONDS).min(depart).max(now)),
        }
    };
    Ok(found.iter().map(view).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::trips::Leg;

    const DATA: &str = "C\tFR\tFrance\nC\tGB\tUnited Kingdom\n\
P\tairport:CDG\tairport\tCharles de Gaulle\tParis\tFR\t49.01280\t2.55000\tEurope/Paris\t2138551\n\
P\tairport:LHR\tairport\tHeathrow\tLondon\tGB\t51.47060\t-0.46194\tEurope/London\t8961989\n\
P\tairport:MAN\tairport\tManchester\tManchester\tGB\t53.35370\t-2.27495\tEurope/London\t395515\n\
P\tcity:2988507\tcity\tParis\t\tFR\t48.85341\t2.34880\tEurope/Paris\t2138551\n";
    const H: i64 = 3600;
    const T: i64 = 1_900_000_000 / 86_400 * 86_400;

    fn leg(no: u32, from: &str, to: &str, dep: i64, arr: i64, km: f64) -> Leg {
        Leg {
            leg_no: no,
            origin: from.into(),
            destination: to.into(),
            depart_at: Instant(T + dep * H),
            arrive_at: Instant(T + arr * H),
            distance_km: km,
            carrier: None,
            flight_number: None,
            vehicle_id: None,
        }
    }
    fn constraints(max: u32) -> Constraints {
        Constraints {
            max_weight_grams: max,
            max_dimensions_cm: Dimensions { length_cm: 50, width_cm: 40, height_cm: 30 },
            categories: [Category::Documents].into(),
            capacity_grams: max,
            price_per_kg: 1000,
            min_price: 1000,
            currency: Currency::parse("EUR").unwrap(),
        }
    }
    fn search(weight: u32, category: Category) -> RouteSearch {
        RouteSearch {
            from: "city:2988507".into(),
            to: "airport:MAN".into(),
            depart_after: T,
            arrive_before: T + 24 * H,
            parcel: Parcel {
                weight_grams: weight,
                dimensions: None,
                category,
                currency: Currency::parse("EUR").unwrap(),
            },
            sort: Sort::Cheapest,
            buffer_seconds: 2 * H,
        }
    }

    #[test]
    fn prices_split_by_distance_and_add_up() {
        let legs = search_legs(
            "t",
            "u",
            1,
            Mode::Flight,
            &[leg(1, "airport:CDG", "airport:LHR", 1, 2, 350.0), leg(2, "airport:LHR", "airport:MAN", 3, 4, 250.0)],
            &constraints(5000),
        );
        assert_eq!(legs[0].price_for(3000) + legs[1].price_for(3000), 3000);
        assert_eq!(legs[0].price_for(3001), 1751);
        assert_eq!(legs[0].price_for(100) + legs[1].price_for(100), 1000, "the minimum");
    }

    #[test]
    fn a_courier_brings_the_parcel_to_the_airport_and_limits_are_kept() {
        let g = Gazetteer::parse(DATA).unwrap();
        let legs = search_legs(
            "t1",
            "u1",
            1,
            Mode::Flight,
            &[leg(1, "airport:CDG", "airport:LHR", 4, 5, 350.0), leg(2, "airport:LHR", "airport:MAN", 6, 7, 250.0)],
            &constraints(5000),
        );
        let paris = g.get("city:2988507").unwrap().position();
        let area = CourierArea {
            area_id: "a1".into(),
            courier_id: "c1".into(),
            name: "Paris Express".into(),
            centre: paris,
            radius_km: 40.0,
            price_per_km: 50,
            base_price: 500,
            currency: Currency::parse("EUR").unwrap(),
            open_minute: 0,
            close_minute: 0,
            zone: "Europe/Paris".into(),
            speed_kmh: 30.0,
            created_at: "t".into(),
        };
        let r = run(&search(2000, Category::Documents), &legs, std::slice::from_ref(&area), &g, T).unwrap();
        assert_eq!(r.len(), 1, "{r:?}");
        let r: Vec<serde_json::Value> = r.iter().map(|o| serde_json::to_value(o).unwrap()).collect();
        assert_eq!(r[0]["segments"][0]["kind"], "courier");
        assert_eq!(r[0]["segments"][1]["kind"], "trip");
        assert_eq!(r[0]["handoffs"], 1);
        assert_eq!(r[0]["handoff_places"], serde_json::json!(["airport:CDG"]));
        let courier = r[0]["segments"][0]["price"].as_i64().unwrap();
        assert!(courier > 500 && courier < 2000, "{courier}");
        assert_eq!(r[0]["price"]["amount"].as_i64().unwrap(), courier + 2000);
        // Too heavy, wrong category, other currency: nothing.
        assert!(run(&search(6000, Category::Documents), &legs, std::slice::from_ref(&area), &g, T).unwrap().is_empty());
        assert!(run(&search(1000, Category::Food), &legs, std::slice::from_ref(&area), &g, T).unwrap().is_empty());
        let mut usd = search(1000, Category::Documents);
        usd.parcel.currency = Currency::parse("USD").unwrap();
        assert!(run(&usd, &legs, &[area], &g, T).unwrap().is_empty());
        // Without the courier the city is not reached.
        assert!(run(&search(1000, Category::Documents), &legs, &[], &g, T).unwrap().is_empty());
    }

    #[test]
    fn windows_span_whole_days() {
        assert_eq!(days(T + 23 * H, T + 25 * H).len(), 2);
        assert_eq!(days(T, T + H), vec![Instant(T).day()]);
    }
}
