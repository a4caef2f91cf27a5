use super::*;
use crate::domain::bookings::{Itinerary, ItineraryStatus};
use crate::domain::money::Currency;
use crate::domain::search::RouteLeg;
use crate::domain::trips::Mode;

fn leg(from: &str, to: &str, dep: i64, arr: i64) -> RouteLeg {
    RouteLeg {
        leg_no: 1,
        origin: from.into(),
        destination: to.into(),
        depart_at: Instant(dep),
        arrive_at: Instant(arr),
        depart_local: None,
        arrive_local: None,
    }
}

fn trip(traveler: &str, from: &str, to: &str, dep: i64, arr: i64) -> RouteSegment {
    RouteSegment::Trip {
        trip_id: format!("t-{traveler}"),
        traveler_id: traveler.into(),
        mode: Mode::Flight,
        price: 1000,
        legs: vec![leg(from, to, dep, arr)],
    }
}

const T: i64 = 1_800_000_000;

fn itinerary() -> Itinerary {
    Itinerary {
        itinerary_id: "it1".into(),
        sender_id: "sam".into(),
        shipment_id: "shp1".into(),
        quote_id: "q".into(),
        status: ItineraryStatus::Confirmed,
        currency: Currency::parse("EUR").unwrap(),
        total: 2000,
        lines: vec![],
        segments: vec![trip("ann", "A", "B", T, T + 3600), trip("bob", "B", "C", T + 7200, T + 10800)],
        bookings: vec![],
        reason: None,
        history: vec![],
        created_at: "x".into(),
        updated_at: "x".into(),
    }
}

const RULES: Rules = Rules { radius_km: 25.0, early_seconds: 3600, grace_seconds: 7200 };
const HERE: LatLon = LatLon { lat: 47.37, lon: 8.54 };

fn photo() -> Vec<PhotoProof> {
    vec![PhotoProof { photo_id: "p".into(), sha256: "00".into() }]
}

#[test]
fn a_two_trip_itinerary_plans_pickup_handover_and_delivery() {
    let c = plan(&itinerary(), None, "now");
    let kinds: Vec<_> = c.steps.iter().map(|s| (s.kind, s.place.as_str())).collect();
    assert_eq!(kinds, [(StepKind::Pickup, "A"), (StepKind::Handover, "B"), (StepKind::Delivery, "C")]);
    assert_eq!(c.steps[0].giver.user_id.as_deref(), Some("sam"));
    assert_eq!(c.steps[1].giver.user_id.as_deref(), Some("ann"));
    assert_eq!(c.steps[1].receiver.user_id.as_deref(), Some("bob"));
    assert_eq!(c.steps[2].receiver, Party { role: Role::Recipient, user_id: None });
    assert_eq!((c.steps[0].opens_at.0, c.steps[0].closes_at.0), (T - PICKUP_WINDOW_SECONDS, T));
    assert_eq!((c.steps[1].opens_at.0, c.steps[1].closes_at.0), (T + 3600, T + 7200));
    assert_eq!(c.steps[2].opens_at.0, T + 10800);
    assert!(!c.steps[0].needs_photo && c.steps[1].needs_photo && c.steps[2].needs_photo);
    assert_eq!(c.steps[2].handoff_id, "shp1.2");
    assert_eq!(parse_handoff_id("shp1.2"), Some(("shp1", 2)));
    assert_eq!(parse_handoff_id("shp1.x"), None);
    assert_eq!(parse_handoff_id(".2"), None);
    assert_eq!(c.parties(), ["sam", "ann", "bob"]);
    assert_eq!(c.carriers(), ["ann", "bob"]);
}

#[test]
fn scans_follow_the_rules_in_order() {
    let mut c = plan(&itinerary(), None, "now");
    let ann = c.steps[0].receiver.clone();
    let check = |c: &Custody, n, who: &str, p: &Party, pos, now, photos| {
        check_step(c, n, who, p, pos, HERE, photos, Method::Qr, now, &RULES)
    };
    // Bob cannot take the parcel before Ann handed it on; Sam is not the receiver.
    let bob = c.steps[1].receiver.clone();
    assert_eq!(check(&c, 1, "bob", &bob, HERE, T + 3600, photo()), Err(Refusal::PreviousPending));
    assert_eq!(check(&c, 0, "sam", &ann, HERE, T - 100, vec![]), Err(Refusal::NotYours(Role::Traveler)));
    // Too early beyond the tolerance, too far from the place.
    let early = T - PICKUP_WINDOW_SECONDS - 3601;
    assert!(matches!(check(&c, 0, "ann", &ann, HERE, early, vec![]), Err(Refusal::TooEarly(_))));
    let far = LatLon { lat: 48.14, lon: 11.58 }; // Munich
    match check(&c, 0, "ann", &ann, far, T - 100, vec![]) {
        Err(Refusal::TooFar { distance_km, max_km }) => assert!(distance_km > 200.0 && max_km == 25.0),
        other => panic!("{other:?}"),
    }
    let scan = check(&c, 0, "ann", &ann, HERE, T - 100, vec![]).unwrap();
    assert!(!scan.late);
    let done = complete(&mut c, 0, scan, "n0".into(), "t");
    assert_eq!(done, Completed { first: true, delivered: false, code_for: None });
    assert_eq!(c.status, CustodyStatus::InTransit);
    assert_eq!(check(&c, 0, "ann", &ann, HERE, T - 50, vec![]), Err(Refusal::AlreadyDone));
    // The handover needs a photo; late is accepted and flagged.
    assert_eq!(check(&c, 1, "bob", &bob, HERE, T + 3700, vec![]), Err(Refusal::PhotoRequired));
    let late = check(&c, 1, "bob", &bob, HERE, T + 8000, photo()).unwrap();
    assert!(late.late);
    let done = complete(&mut c, 1, late, "n1".into(), "t");
    assert_eq!(done.code_for, Some(2));
    assert_eq!(c.holder.as_ref().unwrap().party.user_id.as_deref(), Some("bob"));
    assert_eq!(c.steps[2].code.as_ref().unwrap().nonce, "n1");
    // Four wrong codes leave one attempt, the fifth locks the step.
    for left in (1..=4).rev() {
        assert_eq!(wrong_code(&mut c, 2, "t"), Refusal::WrongCode(left));
    }
    assert_eq!(wrong_code(&mut c, 2, "t"), Refusal::Locked);
    assert_eq!(c.steps[2].status, StepStatus::Locked);
    let giver = c.steps[2].giver.clone();
    assert_eq!(check(&c, 2, "bob", &giver, HERE, T + 11000, photo()), Err(Refusal::Locked));
}

#[test]
fn the_last_step_delivers() {
    let mut it = itinerary();
    it.segments.truncate(1);
    let mut c = plan(&it, Some("rita".into()), "now");
    assert_eq!(c.steps.len(), 2);
    let ann = c.steps[0].receiver.clone();
    let s = check_step(&c, 0, "ann", &ann, HERE, HERE, vec![], Method::Qr, T, &RULES).unwrap();
    assert_eq!(complete(&mut c, 0, s, "n".into(), "t").code_for, Some(1));
    let rita = c.steps[1].receiver.clone();
    let s = check_step(&c, 1, "rita", &rita, HERE, HERE, photo(), Method::Qr, T + 4000, &RULES).unwrap();
    assert!(complete(&mut c, 1, s, "n".into(), "t").delivered);
    assert_eq!(c.status, CustodyStatus::Delivered);
    assert_eq!(
        check_step(&c, 1, "rita", &rita, HERE, HERE, photo(), Method::Qr, T + 4000, &RULES),
        Err(Refusal::NotActive(CustodyStatus::Delivered))
    );
}

fn mac(key: &'static [u8]) -> impl Fn(&[u8]) -> [u8; 32] {
    move |d| crate::platform::crypto::hmac_sha256(key, d)
}

#[test]
fn tokens_are_bound_to_their_step_key_and_time() {
    let claims = TokenClaims { h: "s.1".into(), s: "s".into(), r: "bob".into(), n: "x".into(), exp: 100 };
    let b64 = crate::platform::crypto::b64url;
    let b64d = crate::platform::crypto::b64url_decode;
    let t = sign_token(&claims, mac(b"k1"), b64);
    let verify = |key: &'static [u8]| {
        move |d: &[u8], sig: &[u8]| crate::platform::crypto::ct_eq(&crate::platform::crypto::hmac_sha256(key, d), sig)
    };
    assert_eq!(open_token(&t, "s.1", 100, verify(b"k1"), b64d), Ok(claims));
    assert_eq!(open_token(&t, "s.1", 100, verify(b"k2"), b64d), Err(TokenRefusal::Invalid));
    assert_eq!(open_token(&t, "s.2", 100, verify(b"k1"), b64d), Err(TokenRefusal::OtherStep));
    assert_eq!(open_token(&t, "s.1", 101, verify(b"k1"), b64d), Err(TokenRefusal::Expired));
    // A changed claim (another receiver) breaks the signature.
    let mut parts: Vec<String> = t.split('.').map(String::from).collect();
    parts[1] = b64(br#"{"h":"s.1","s":"s","r":"eve","n":"x","exp":100}"#);
    assert_eq!(open_token(&parts.join("."), "s.1", 100, verify(b"k1"), b64d), Err(TokenRefusal::Invalid));
    assert_eq!(open_token("garbage", "s.1", 0, verify(b"k1"), b64d), Err(TokenRefusal::Invalid));
    let code = delivery_code("s.2", "nonce", mac(b"k1"));
    assert_eq!(code.len(), 6);
    assert_eq!(code, delivery_code("s.2", "nonce", mac(b"k1")));
    assert_ne!(code, delivery_code("s.2", "other", mac(b"k1")));
}

#[test]
fn the_chain_verifies_and_any_edit_breaks_it() {
    let h = crate::platform::crypto::sha256_hex;
    let mut head = ChainHead { length: 0, head: GENESIS.into() };
    let mut links = Vec::new();
    for i in 0..4 {
        let l = append(&head, &serde_json::json!({"kind": "position", "i": i, "b": [1, {"z": 1, "a": 2}]}), h);
        head = ChainHead { length: l.seq, head: l.hash.clone() };
        links.push(l);
    }
    assert_eq!(
        canonical(&serde_json::json!({"z": 1, "a": {"y": [true, null], "b": "é"}})),
        r#"{"a":{"b":"é","y":[true,null]},"z":1}"#
    );
    let ok = verify(&links, &head, h);
    assert!(ok.verified && ok.length == 4 && ok.head == head.head && ok.broken_at.is_none());
    let mut edited = links.clone();
    edited[1].body = edited[1].body.replace("\"i\":1", "\"i\":7");
    assert_eq!(verify(&edited, &head, h).broken_at, Some(2));
    // Dropping the last link: every link checks, but the stored head does not.
    let short = verify(&links[..3], &head, h);
    assert!(!short.verified);
    assert_eq!(short.broken_at, Some(4));
}

#[test]
fn a_step_not_done_by_its_window_and_grace_is_missed_once() {
    let mut c = plan(&itinerary(), None, "now");
    assert_eq!(c.watched().map(|s| s.n), Some(0));
    assert_eq!(miss(&mut c, T + 7199, 7200, "t"), None, "within the grace");
    let missed = miss(&mut c, T + 7200, 7200, "t").unwrap();
    assert_eq!(missed.n, 0);
    assert!(c.steps[0].missed);
    assert_eq!(c.watched(), None, "reported once");
    assert_eq!(miss(&mut c, T + 99_999, 7200, "t"), None);
    // Done late after all: the next step is watched.
    let ann = c.steps[0].receiver.clone();
    let s = check_step(&c, 0, "ann", &ann, HERE, HERE, vec![], Method::Qr, T + 9000, &RULES).unwrap();
    complete(&mut c, 0, s, "n".into(), "t");
    assert_eq!(c.watched().map(|s| s.n), Some(1));
    assert_eq!(c.role_of("sam"), Some(Role::Sender));
    assert_eq!(c.role_of("bob"), Some(Role::Traveler));
    assert_eq!(c.role_of("eve"), None);
}

#[test]
fn position_batches_are_checked_and_ordered() {
    let p = |lat, lon, at| PositionReport { lat, lon, at: Instant(at) };
    let ok = check_positions(&PositionsIn { positions: vec![p(47.0, 8.0, 120), p(47.1, 8.1, 110)] }, 100, 200).unwrap();
    assert_eq!(ok.iter().map(|r| r.at.0).collect::<Vec<_>>(), [110, 120]);
    let bad = check_positions(
        &PositionsIn { positions: vec![p(91.0, 8.0, 120), p(1.0, 1.0, 99), p(1.0, 1.0, 400)] },
        100,
        200,
    )
    .unwrap_err();
    let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["positions[0]", "positions[1].at", "positions[2].at"]);
    assert!(check_positions(&PositionsIn { positions: vec![] }, 0, 0).is_err());
    let many = PositionsIn { positions: vec![p(1.0, 1.0, 100); MAX_POSITIONS + 1] };
    assert!(check_positions(&many, 0, 200).is_err());
}
