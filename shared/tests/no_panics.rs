//! No input panics a parser of the domain library: arbitrary strings
//! (any Unicode, offsets, huge numbers) and arbitrary numbers go to every
//! parser and rule a handler feeds caller input to, which must answer
//! Ok or Err, never panic. (A panic in a Lambda with panic = abort kills the
//! process and the caller gets no answer.)
use handoff::domain::audit::day_of;
use handoff::domain::documents::{DocType, FileType};
use handoff::domain::identity::{DisplayName, Email, Locale, Phone, Role, Verification};
use handoff::domain::money::Currency;
use handoff::domain::otp::parse_code;
use handoff::domain::places::Gazetteer;
use handoff::domain::search::parse_search;
use handoff::domain::trips::{
    parse_carrier, parse_flight_number, Category, Constraints, Dimensions, Instant, Mode, NewLeg, NewTrip, Trip,
    TripStatus,
};
use handoff::domain::vehicles::{parse_label, parse_plate};
use proptest::prelude::*;
use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

static PLACES: LazyLock<Gazetteer> = LazyLock::new(|| {
    Gazetteer::parse(
        "C\tUS\tUnited States\nC\tFR\tFrance\n\
         P\tairport:JFK\tairport\tJohn F. Kennedy International Airport\tNew York\tUS\t40.6398\t-73.7789\tAmerica/New_York\t8175133\n\
         P\tairport:CDG\tairport\tCharles de Gaulle International Airport\tParis\tFR\t49.0128\t2.55\tEurope/Paris\t2138551\n\
         P\tcity:2988507\tcity\tParis\t\tFR\t48.85341\t2.3488\tEurope/Paris\t2138551\n",
    )
    .expect("a small gazetteer")
});

/// Strings a hostile caller sends: any Unicode, and RFC 3339 look-alikes at
/// the edges of the calendar and of the offsets.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9A-Za-zé🚀 :+\\-.TZ]{0,40}",
        (0u32..=10_000, 1u32..=12, 1u32..=31, 0u32..=23, -23i32..=23).prop_map(|(y, mo, d, h, off)| format!(
            "{y:04}-{mo:02}-{d:02}T{h:02}:59:59{}{:02}:59",
            if off < 0 { '-' } else { '+' },
            off.abs()
        )),
        Just("9999-12-31T23:59:59-23:59".to_string()),
        Just("Aé123".to_string()),
        Just("🚀316".to_string()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn text_parsers_never_panic(s in hostile()) {
        let _ = Instant::parse(&s).map(|i| (i.rfc3339(), i.day()));
        let _ = Email::parse(&s);
        let _ = Phone::parse(&s);
        let _ = Locale::parse(&s);
        let _ = DisplayName::parse(&s);
        let _ = Currency::parse(&s);
        let _ = s.parse::<Mode>();
        let _ = s.parse::<TripStatus>();
        let _ = s.parse::<Category>();
        let _ = s.parse::<Role>();
        let _ = s.parse::<FileType>();
        let _ = DocType::parse_for(&s, DocType::FOR_TRIPS);
        let _ = Verification::parse_decision(&s);
        let _ = parse_code(&s);
        let _ = parse_label(&s);
        let _ = parse_plate(&s);
        let _ = parse_carrier(&s);
        let _ = parse_flight_number(&s);
        let _ = day_of(&s);
        let _ = PLACES.get(&s);
        let _ = PLACES.search(&s, 10);
        let _ = PLACES.geocode(&s, 5);
    }

    #[test]
    fn every_parsed_instant_is_written_back(s in hostile()) {
        if let Ok(i) = Instant::parse(&s) {
            let text = i.rfc3339();
            prop_assert!(!text.is_empty(), "{s:?} parsed but cannot be written");
            prop_assert_eq!(Instant::parse(&text), Ok(i));
        }
    }

    #[test]
    fn route_search_queries_never_panic(
        values in proptest::collection::vec(hostile(), 12),
        now in 0i64..=Instant::MAX,
        buffer in 0i64..=86_400,
    ) {
        let keys = ["from", "to", "depart_after", "arrive_before", "weight_grams", "category", "length_cm",
                    "width_cm", "height_cm", "currency", "sort", "limit"];
        let query: HashMap<String, String> = keys.iter().map(|k| k.to_string()).zip(values).collect();
        let _ = parse_search(&query, &PLACES, buffer, now);
        let mut valid = query.clone();
        valid.insert("from".into(), "airport:JFK".into());
        valid.insert("to".into(), "airport:CDG".into());
        let _ = parse_search(&valid, &PLACES, buffer, now);
    }

    #[test]
    fn trip_rules_never_panic(
        dep in any::<i64>(), arr in any::<i64>(), now in 0i64..=Instant::MAX,
        leg_dep in any::<i64>(), leg_arr in any::<i64>(),
        weight in any::<u32>(), capacity in any::<u32>(), side in any::<u32>(),
        per_kg in any::<i64>(), min in any::<i64>(), carrier in hostile(), number in hostile(),
    ) {
        let t = NewTrip {
            mode: Mode::Flight,
            origin: "airport:JFK".into(),
            destination: "airport:CDG".into(),
            earliest_departure: Instant(dep),
            latest_arrival: Instant(arr),
        };
        if let Ok(mut trip) = Trip::draft("t".into(), "u".into(), t, &PLACES, now, "now".into()) {
            let leg = NewLeg {
                origin: "airport:JFK".into(),
                destination: "airport:CDG".into(),
                depart_at: Instant(leg_dep),
                arrive_at: Instant(leg_arr),
                carrier: Some(carrier),
                flight_number: Some(number),
                vehicle_id: None,
            };
            let _ = trip.add_leg(leg, &PLACES);
            let c = Constraints {
                max_weight_grams: weight,
                max_dimensions_cm: Dimensions { length_cm: side, width_cm: side, height_cm: side },
                categories: BTreeSet::from([Category::Documents]),
                capacity_grams: capacity,
                price_per_kg: per_kg,
                min_price: min,
                currency: Currency::parse("EUR").unwrap(),
            };
            if trip.set_constraints(c.clone()).is_ok() {
                let _ = c.price_for(weight);
            }
            let _ = trip.publish(true, now);
        }
    }
}

#[test]
fn the_reported_panics_are_refusals() {
    assert!(parse_flight_number("Aé123").is_err());
    assert!(parse_flight_number("🚀316").is_err());
    assert_eq!(parse_flight_number("lx 318").as_deref(), Ok("LX318"));
    assert!(Instant::parse("9999-12-31T23:59:59-23:59").is_err(), "year 10000 in UTC");
    assert!(Instant::parse("9999-12-31T23:59:59+00:00").is_ok());
    assert!(Instant::parse("1969-12-31T23:59:59Z").is_err());
    let q: HashMap<String, String> = [
        ("from", "airport:JFK"),
        ("to", "airport:CDG"),
        ("depart_after", "9999-12-31T00:00:00Z"),
        ("arrive_before", "9999-12-31T23:59:59-23:59"),
        ("weight_grams", "1000"),
        ("category", "documents"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let errors = parse_search(&q, &PLACES, 0, 1_795_255_200).unwrap_err();
    assert!(errors.iter().any(|e| e.field == "arrive_before"), "{errors:?}");
    assert!(errors.iter().any(|e| e.field == "depart_after"), "a year ahead at most: {errors:?}");
}
