//! The authorization matrix: every route of template.yaml × every kind of
//! caller → the outcome it must get, run against the local stack. A route
//! without a row fails the test; so does a cell that answers otherwise. A
//! resource of someone else answers exactly like one that does not exist.
use handoff_tests::{at, busy_stack, Answer, Client};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// What a caller gets.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Out {
    /// 2xx.
    K,
    /// Let through: not 401, 403 or 404 (the body or the resource's state
    /// decides, e.g. a code that is wrong or a document not uploaded yet).
    P,
    /// 401.
    U,
    /// 403.
    F,
    /// 404, exactly as for a resource that does not exist.
    N,
}
use Out::*;

/// Callers, in the order of a row's outcomes.
const KINDS: [&str; 8] = ["anonymous", "stranger", "owner", "sender", "traveler", "driver", "support", "admin"];

/// What a cell needs made for it alone (it changes or ends it).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fresh {
    No,
    Draft,
    Publishable,
    Published,
    Area,
    Session,
    /// A draft shipment of the owner's, declared for customs.
    Shipment,
    /// A quote of the owner's, ready to book.
    Quote,
    /// A requested itinerary of the owner's on the owner's trip.
    Itinerary,
}

struct Row {
    method: &'static str,
    path: &'static str,
    body: Option<Value>,
    fresh: Fresh,
    expect: [Out; 8],
}

fn row(method: &'static str, path: &'static str, body: Option<Value>, fresh: Fresh, expect: [Out; 8]) -> Row {
    Row { method, path, body, fresh, expect }
}

const H: i64 = 3600;

fn start() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp() / H + 48) * H
}

fn leg() -> Value {
    let t = start();
    json!({"origin": "airport:ZRH", "destination": "airport:CDG", "depart_at": at(t + 2 * H), "arrive_at": at(t + 3 * H),
           "carrier": "AF", "flight_number": "AF1115"})
}

fn constraints() -> Value {
    json!({"max_weight_grams": 5000, "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
           "categories": ["documents"], "price_per_kg": 1000, "min_price": 500, "currency": "EUR"})
}

fn area() -> Value {
    json!({"name": "Zürich centre", "centre": "city:2657896", "radius_km": 15.0, "price_per_km": 150, "base_price": 500,
           "currency": "CHF", "opens": "08:00", "closes": "20:00"})
}

/// An international parcel along the owner's published trip (ZRH → CDG).
fn parcel() -> Value {
    handoff_tests::parcels::body("documents", 500, 1000, ("CH", "airport:ZRH"), ("FR", "airport:CDG"))
}

/// A draft shipment declared for customs; with `quote`, a photo and a quote on the trip too.
async fn fresh_shipment(c: &Client, owner: &str, trip: &str, quote: bool) -> (String, Option<Value>) {
    let id = c.shipment(owner, parcel()).await;
    c.customs(owner, &id, "DAP").await;
    if !quote {
        return (id, None);
    }
    c.photo(owner, &id).await;
    let q = ok(&c.quote(owner, &id, &[(trip, &[1])]).await, "quote");
    (id, Some(q))
}

fn rows() -> Vec<Row> {
    let t = start();
    let trip = json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:CDG",
                      "earliest_departure": at(t), "latest_arrival": at(t + 10 * H)});
    let doc = json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": 1000});
    let vdoc = json!({"type": "registration", "content_type": "application/pdf", "size_bytes": 1000});
    let all_ok = [K, K, K, K, K, K, K, K];
    let signed_in = [U, K, K, K, K, K, K, K];
    let owner_only = [U, N, K, N, N, N, N, N];
    let admin_only = [U, F, F, F, F, F, F, K];
    vec![
        row("POST", "/auth/otp", Some(json!({"email": "{email}"})), Fresh::No, all_ok),
        row(
            "POST",
            "/auth/otp/verify",
            Some(json!({"email": "nobody@example.com", "code": "123456"})),
            Fresh::No,
            [P; 8],
        ),
        row("POST", "/auth/refresh", Some(json!({"refresh_token": "not-a-token"})), Fresh::No, [U; 8]),
        row("POST", "/auth/logout", None, Fresh::Session, signed_in),
        row("GET", "/.well-known/jwks.json", None, Fresh::No, all_ok),
        row("GET", "/openapi.json", None, Fresh::No, all_ok),
        row("GET", "/places/search?q=zur", None, Fresh::No, all_ok),
        row("GET", "/places/airport:ZRH", None, Fresh::No, all_ok),
        row("POST", "/places/geocode", Some(json!({"text": "Zürich airport"})), Fresh::No, all_ok),
        row("GET", "/me", None, Fresh::No, signed_in),
        row("PATCH", "/me", Some(json!({"name": "Matrix Tester"})), Fresh::No, signed_in),
        row("GET", "/me/sessions", None, Fresh::No, signed_in),
        row("DELETE", "/me/sessions/{session}", None, Fresh::No, owner_only),
        row(
            "PUT",
            "/admin/users/{user}/roles",
            Some(json!({"roles": ["sender", "traveler", "driver"]})),
            Fresh::No,
            admin_only,
        ),
        row("PUT", "/admin/users/{user}/verification", Some(json!({"status": "verified"})), Fresh::No, admin_only),
        row("POST", "/trips", Some(trip), Fresh::No, [U, F, K, F, K, F, F, F]),
        row("POST", "/trips/{trip}/legs", Some(leg()), Fresh::Draft, owner_only),
        row("PUT", "/trips/{trip}/constraints", Some(constraints()), Fresh::No, owner_only),
        row("POST", "/trips/{trip}/documents", Some(doc), Fresh::No, owner_only),
        row("POST", "/trips/{trip}/documents/{trip_doc}/complete", None, Fresh::No, [U, N, P, N, N, N, N, N]),
        row("PUT", "/trips/{trip}/publish", None, Fresh::Publishable, owner_only),
        row("PUT", "/trips/{trip}/unpublish", None, Fresh::Published, owner_only),
        row("POST", "/trips/{trip}/cancel", None, Fresh::Published, owner_only),
        row("DELETE", "/trips/{trip}", None, Fresh::Draft, owner_only),
        row("GET", "/trips/{trip}", None, Fresh::No, owner_only),
        row("GET", "/me/trips", None, Fresh::No, signed_in),
        row(
            "POST",
            "/vehicles",
            Some(json!({"make": "Renault", "model": "Zoe", "plate": "ZH 1", "capacity_grams": 50000})),
            Fresh::No,
            [U, F, K, F, K, F, F, F],
        ),
        row("GET", "/vehicles/{vehicle}", None, Fresh::No, [U, N, K, N, N, N, N, K]),
        row("POST", "/vehicles/{vehicle}/documents", Some(vdoc), Fresh::No, owner_only),
        row("POST", "/vehicles/{vehicle}/documents/{vehicle_doc}/complete", None, Fresh::No, [U, N, P, N, N, N, N, N]),
        row(
            "PUT",
            "/admin/vehicles/{vehicle}/verification",
            Some(json!({"status": "rejected"})),
            Fresh::No,
            admin_only,
        ),
        row(
            "GET",
            "/search/routes?from=airport:ZRH&to=airport:CDG&weight_grams=1000&category=documents",
            None,
            Fresh::No,
            signed_in,
        ),
        row("POST", "/couriers/areas", Some(area()), Fresh::No, [U, F, K, F, F, K, F, F]),
        row("GET", "/couriers/areas", None, Fresh::No, signed_in),
        row("DELETE", "/couriers/areas/{area}", None, Fresh::Area, owner_only),
        row("GET", "/admin/audit", None, Fresh::No, [U, F, F, F, F, F, K, K]),
        row("POST", "/shipments", Some(parcel()), Fresh::No, [U, F, K, K, F, F, F, F]),
        row("GET", "/shipments/{shipment}", None, Fresh::No, owner_only),
        row("GET", "/me/shipments", None, Fresh::No, signed_in),
        row("PATCH", "/shipments/{shipment}", Some(json!({"sender": parcel()["sender"]})), Fresh::Shipment, owner_only),
        row("DELETE", "/shipments/{shipment}", None, Fresh::Shipment, owner_only),
        row(
            "POST",
            "/shipments/{shipment}/photos",
            Some(json!({"content_type": "image/png", "size_bytes": 1000})),
            Fresh::Shipment,
            owner_only,
        ),
        row("POST", "/shipments/{shipment}/photos/{photo}/complete", None, Fresh::No, [U, N, P, N, N, N, N, N]),
        row(
            "POST",
            "/shipments/{shipment}/customs",
            Some(json!({"nature": "documents", "incoterm": "DAP"})),
            Fresh::Shipment,
            owner_only,
        ),
        row(
            "POST",
            "/pricing/quote",
            Some(
                json!({"shipment_id": "{shipment}", "segments": [{"kind": "trip", "trip_id": "{ptrip}", "legs": [{"leg_no": 1}]}]}),
            ),
            Fresh::Shipment,
            [U, F, K, N, F, F, F, F],
        ),
        row("GET", "/pricing/quotes/{quote}", None, Fresh::No, owner_only),
        row("POST", "/itineraries", Some(json!({"quote_id": "{quote}"})), Fresh::Quote, [U, F, K, N, F, F, F, F]),
        row("GET", "/itineraries/{itinerary}", None, Fresh::No, owner_only),
        row("GET", "/me/itineraries", None, Fresh::No, signed_in),
        row("GET", "/itineraries/{conversation}/receipt", None, Fresh::No, owner_only),
        // Not delivered: the owner's answer is 409 document-not-issued (the
        // lifecycle test fetches a delivered one's invoice).
        row("GET", "/itineraries/{conversation}/invoice", None, Fresh::No, [U, N, P, N, N, N, N, N]),
        row("PUT", "/itineraries/{itinerary}/cancel", None, Fresh::Itinerary, owner_only),
        row(
            "POST",
            "/itineraries/{itinerary}/rebook",
            Some(json!({"quote_id": "{quote}"})),
            Fresh::No,
            [U, N, P, N, N, N, N, N],
        ),
        row("GET", "/me/booking-requests", None, Fresh::No, signed_in),
        row("PUT", "/bookings/{booking}/accept", None, Fresh::Itinerary, owner_only),
        row("PUT", "/bookings/{booking}/decline", Some(json!({"reason": "full"})), Fresh::Itinerary, owner_only),
        // The fixture itinerary is requested, not awaiting payment: its owner is let through to a 409.
        row("POST", "/itineraries/{itinerary}/payment", None, Fresh::No, [U, F, P, N, F, F, F, F]),
        row("GET", "/itineraries/{itinerary}/payment", None, Fresh::No, owner_only),
        row("GET", "/me/earnings", None, Fresh::No, [U, F, K, F, K, F, F, F]),
        // Travelers and couriers (drivers) get paid; the first POST opens their account, a GET then finds it.
        row("POST", "/me/payout-account", Some(json!({"country": "FR"})), Fresh::No, [U, F, K, F, K, K, F, F]),
        row("GET", "/me/payout-account", None, Fresh::No, [U, F, K, F, K, K, F, F]),
        row("GET", "/me/payouts", None, Fresh::No, [U, F, K, F, K, K, F, F]),
        row("GET", "/me/statements/{month}", None, Fresh::No, [U, F, K, F, K, K, F, F]),
        row("POST", "/admin/payouts/run", None, Fresh::No, admin_only),
        // The fixture itinerary is not delivered: support and admins are let through to a 409.
        row(
            "POST",
            "/admin/itineraries/{itinerary}/refund",
            Some(json!({"amount": 100, "reason": "damaged"})),
            Fresh::No,
            [U, F, F, F, F, F, P, P],
        ),
        row("GET", "/admin/ledger/accounts/revenue:platform:EUR", None, Fresh::No, [U, F, F, F, F, F, K, K]),
        row("GET", "/admin/ledger/transfers?itinerary={itinerary}", None, Fresh::No, [U, F, F, F, F, F, K, K]),
        // The admin's run (first) makes the report the GET then finds.
        row("POST", "/admin/reconciliation/{day}", None, Fresh::No, admin_only),
        row("GET", "/admin/reconciliation/{day}", None, Fresh::No, [U, F, F, F, F, F, K, K]),
        row("GET", "/admin/disputes?status=lost", None, Fresh::No, [U, F, F, F, F, F, K, K]),
        // Public: Stripe's signature decides (an unsigned body is a 400 for anyone).
        row("POST", "/webhooks/stripe", Some(json!({"id": "evt_1"})), Fresh::No, [P, P, P, P, P, P, P, P]),
        row(
            "POST",
            "/me/devices",
            Some(json!({"platform": "fcm", "token": "fcm-authz-token-0123456789abcdefghijklmnop"})),
            Fresh::No,
            signed_in,
        ),
        row("DELETE", "/me/devices/{device}", None, Fresh::No, owner_only),
        row("GET", "/me/notifications", None, Fresh::No, signed_in),
        row("PUT", "/me/notifications/{notification}/read", None, Fresh::No, owner_only),
        row("PUT", "/me/notifications/read-all", None, Fresh::No, signed_in),
        row("GET", "/me/notification-preferences", None, Fresh::No, signed_in),
        row("POST", "/conversations/{conversation}/messages", Some(json!({"text": "hello"})), Fresh::No, owner_only),
        row("GET", "/conversations/{conversation}/messages", None, Fresh::No, owner_only),
        row("GET", "/me/conversations", None, Fresh::No, signed_in),
        row("GET", "/shipments/{custody}/handoffs", None, Fresh::No, owner_only),
        row("GET", "/shipments/{custody}/tracking", None, Fresh::No, owner_only),
        // Not delivered yet: its party is let through to a 409.
        row("GET", "/shipments/{custody}/proof", None, Fresh::No, [U, N, P, N, N, N, N, N]),
        row("GET", "/handoffs/{handoff}/qr", None, Fresh::No, owner_only),
        // Public: the tracking token is the key.
        row("GET", "/t/{tracking}", None, Fresh::No, [K, K, K, K, K, K, K, K]),
        // Its carrier, before the pickup: let through to a 409 (not carrying yet).
        row(
            "POST",
            "/shipments/{custody}/positions",
            Some(json!({"positions": [{"lat": 47.45, "lon": 8.56, "at": "2026-01-01T00:00:00Z"}]})),
            Fresh::No,
            [U, N, P, N, N, N, N, N],
        ),
        row(
            "POST",
            "/shipments/{custody}/issues",
            Some(json!({"kind": "other", "details": "authz"})),
            Fresh::No,
            owner_only,
        ),
        row(
            "POST",
            "/handoffs/{handoff}/photos",
            Some(json!({"content_type": "image/png", "size_bytes": 900})),
            Fresh::No,
            owner_only,
        ),
        row("POST", "/handoffs/{handoff}/photos/{hphoto}/complete", None, Fresh::No, [U, N, P, N, N, N, N, N]),
        // A token that is not signed, a step that takes no code: the party is let through to a 4xx.
        row(
            "POST",
            "/handoffs/{handoff}/scan",
            Some(json!({"token": "hq1.e30.AAAA", "position": {"lat": 47.45, "lon": 8.56}})),
            Fresh::No,
            [U, N, P, N, N, N, N, N],
        ),
        row(
            "POST",
            "/handoffs/{handoff}/deliver",
            Some(json!({"code": "123456", "position": {"lat": 47.45, "lon": 8.56}})),
            Fresh::No,
            [U, N, P, N, N, N, N, N],
        ),
        row(
            "POST",
            "/webhook-endpoints",
            Some(json!({"url": "{hook}", "events": ["ItineraryRequested"]})),
            Fresh::No,
            [U, F, K, K, F, F, F, F],
        ),
        row("GET", "/webhook-endpoints", None, Fresh::No, [U, F, K, K, F, F, F, F]),
        row("GET", "/webhook-endpoints/{webhook}", None, Fresh::No, [U, F, K, N, F, F, F, F]),
        row(
            "PATCH",
            "/webhook-endpoints/{webhook}",
            Some(json!({"description": "x"})),
            Fresh::No,
            [U, F, K, N, F, F, F, F],
        ),
        row("POST", "/webhook-endpoints/{webhook}/rotate-secret", None, Fresh::No, [U, F, K, N, F, F, F, F]),
        row("GET", "/webhook-endpoints/{webhook}/deliveries", None, Fresh::No, [U, F, K, N, F, F, F, F]),
        // No such delivery: the owner gets 404 as anyone would; the e2e test redelivers for real.
        row(
            "POST",
            "/webhook-endpoints/{webhook}/deliveries/{delivery}/redeliver",
            None,
            Fresh::No,
            [U, F, N, N, F, F, F, F],
        ),
        row("DELETE", "/webhook-endpoints/{spare_webhook}", None, Fresh::No, [U, F, K, N, F, F, F, F]),
        row("PUT", "/conversations/{conversation}/read", None, Fresh::No, owner_only),
        row(
            "POST",
            "/conversations/{conversation}/attachments",
            Some(json!({"content_type": "image/png", "size_bytes": 900})),
            Fresh::No,
            owner_only,
        ),
        row(
            "POST",
            "/conversations/{conversation}/attachments/{attachment}/complete",
            None,
            Fresh::No,
            [U, N, P, N, N, N, N, N],
        ),
        row(
            "PUT",
            "/me/notification-preferences",
            Some(json!({"categories": {"marketing": {"email": true, "sms": false, "push": false, "in_app": true}}})),
            Fresh::No,
            signed_in,
        ),
    ]
}

fn ok(a: &Answer, what: &str) -> Value {
    assert!(a.status.is_success(), "{what}: {} {}", a.status, a.body);
    a.body.clone()
}

/// The owner's resources the rows name.
struct Fixture {
    owner: String,
    user: String,
    session: String,
    trip: String,
    trip_doc: String,
    vehicle: String,
    vehicle_doc: String,
    ptrip: String,
    shipment: String,
    photo: String,
    quote: String,
    itinerary: String,
    booking: String,
    device: String,
    notification: String,
    conversation: String,
    attachment: String,
    webhook: String,
    spare_webhook: String,
    hook: String,
    custody: String,
    handoff: String,
    hphoto: String,
    tracking: String,
}

impl Fixture {
    fn ids(&self) -> std::collections::HashMap<&'static str, String> {
        std::collections::HashMap::from([
            ("user", self.user.clone()),
            ("session", self.session.clone()),
            ("trip", self.trip.clone()),
            ("trip_doc", self.trip_doc.clone()),
            ("vehicle", self.vehicle.clone()),
            ("vehicle_doc", self.vehicle_doc.clone()),
            ("ptrip", self.ptrip.clone()),
            ("shipment", self.shipment.clone()),
            ("photo", self.photo.clone()),
            ("quote", self.quote.clone()),
            ("itinerary", self.itinerary.clone()),
            ("booking", self.booking.clone()),
            ("device", self.device.clone()),
            ("notification", self.notification.clone()),
            ("conversation", self.conversation.clone()),
            ("attachment", self.attachment.clone()),
            ("webhook", self.webhook.clone()),
            ("spare_webhook", self.spare_webhook.clone()),
            ("hook", self.hook.clone()),
            ("custody", self.custody.clone()),
            ("handoff", self.handoff.clone()),
            ("hphoto", self.hphoto.clone()),
            ("tracking", self.tracking.clone()),
            ("delivery", "0193a1b2-0000-7000-8000-00000000dead".to_string()),
            // A closed month in which nobody was paid.
            ("month", "2020-01".to_string()),
            // A day long over, with nothing at the provider or on the ledger.
            ("day", "2020-01-01".to_string()),
        ])
    }
}

/// A row's path with its names replaced by ids.
fn fill(path: &str, ids: &std::collections::HashMap<&'static str, String>) -> String {
    ids.iter().fold(path.to_string(), |p, (k, v)| p.replace(&format!("{{{k}}}"), v))
}

async fn fresh_trip(c: &Client, owner: &str, stage: Fresh) -> String {
    let t = start();
    let body = json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:CDG",
                      "earliest_departure": at(t), "latest_arrival": at(t + 10 * H)});
    let id = ok(&c.post("/trips", Some(owner), body).await, "trip")["trip_id"].as_str().unwrap().to_string();
    if matches!(stage, Fresh::Publishable | Fresh::Published) {
        ok(&c.post(&format!("/trips/{id}/legs"), Some(owner), leg()).await, "leg");
        ok(&c.put(&format!("/trips/{id}/constraints"), Some(owner), constraints()).await, "constraints");
    }
    if stage == Fresh::Published {
        ok(&c.put(&format!("/trips/{id}/publish"), Some(owner), json!({})).await, "publish");
    }
    id
}

/// The matrix is checked in [`SLICES`] parts, each on a stack and fixture
/// of its own, so the parts run side by side. A part is a run of rows that
/// starts where the path's first segment changes: a row may rely on the one
/// before it (a GET after its POST), and such rows share their prefix.
const SLICES: usize = 3;

fn slice_start(rows: &[Row], slice: usize) -> usize {
    if slice >= SLICES {
        return rows.len();
    }
    let first = |r: &Row| r.path.split('/').nth(1).unwrap_or_default().to_string();
    let mut at = rows.len() * slice / SLICES;
    while at > 0 && at < rows.len() && first(&rows[at]) == first(&rows[at - 1]) {
        at += 1;
    }
    at
}

#[test]
fn the_slices_cover_every_row_once() {
    let all = rows();
    let bounds: Vec<usize> = (0..=SLICES).map(|k| slice_start(&all, k)).collect();
    assert_eq!((bounds[0], bounds[SLICES]), (0, all.len()));
    assert!(bounds.windows(2).all(|w| w[0] < w[1]), "no slice is empty: {bounds:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_kind_of_caller_as_the_matrix_says_1_of_3() {
    matrix(0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_kind_of_caller_as_the_matrix_says_2_of_3() {
    matrix(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_answers_every_kind_of_caller_as_the_matrix_says_3_of_3() {
    matrix(2).await;
}

async fn matrix(slice: usize) {
    let stack = busy_stack(&format!("authz{slice}")).await;
    let c = Client::new(&stack);
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    fn roles(k: &'static str) -> Vec<&'static str> {
        match k {
            "owner" => vec!["sender", "traveler", "driver"],
            "stranger" => vec![],
            other => vec![other],
        }
    }
    let users: Vec<Value> = KINDS[1..]
        .iter()
        .map(|k| json!({"email": format!("{k}-{tag}@authz.test"), "name": k, "roles": roles(k), "verified": true}))
        .collect();
    handoff_local::demo::load(&stack.table, &json!({ "users": users }).to_string()).await.unwrap();
    let mut tokens: Vec<Option<String>> = vec![None];
    let mut owner_signin = Value::Null;
    for k in &KINDS[1..] {
        let s = c.sign_in(&format!("{k}-{tag}@authz.test")).await;
        if *k == "owner" {
            owner_signin = s.clone();
        }
        tokens.push(Some(s["access_token"].as_str().unwrap().to_string()));
    }
    let owner = tokens[2].clone().unwrap();
    let spare = c.sign_in(&format!("owner-{tag}@authz.test")).await;
    let trip = fresh_trip(&c, &owner, Fresh::Draft).await;
    let doc = json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": 1000});
    let trip_doc = ok(&c.post(&format!("/trips/{trip}/documents"), Some(&owner), doc).await, "doc");
    let vehicle = ok(
        &c.post(
            "/vehicles",
            Some(&owner),
            json!({"make": "Renault", "model": "Zoe", "plate": "ZH 2", "capacity_grams": 50000}),
        )
        .await,
        "vehicle",
    )["vehicle_id"]
        .as_str()
        .unwrap()
        .to_string();
    let vdoc = json!({"type": "insurance", "content_type": "application/pdf", "size_bytes": 1000});
    let vehicle_doc = ok(&c.post(&format!("/vehicles/{vehicle}/documents"), Some(&owner), vdoc).await, "vdoc");
    // The delivery side: the owner's published trip, shipment (with a pending photo), quote, itinerary.
    let ptrip = fresh_trip(&c, &owner, Fresh::Published).await;
    let (shipment, _) = fresh_shipment(&c, &owner, &ptrip, false).await;
    let pending = ok(
        &c.post(
            &format!("/shipments/{shipment}/photos"),
            Some(&owner),
            json!({"content_type": "image/png", "size_bytes": 900}),
        )
        .await,
        "pending photo",
    );
    c.photo(&owner, &shipment).await;
    let quote = ok(&c.quote(&owner, &shipment, &[(&ptrip, &[1])]).await, "quote");
    let itinerary =
        ok(&c.post("/itineraries", Some(&owner), json!({"quote_id": quote["quote_id"]})).await, "itinerary");
    let device =
        ok(&c.post("/me/devices", Some(&owner), json!({"platform": "apns", "token": "ab".repeat(32)})).await, "device")
            ["device_id"]
            .as_str()
            .unwrap()
            .to_string();
    // The owner's itinerary asks the owner (the trip's traveler) to carry it: a notification in their inbox.
    let notification = handoff_tests::eventually(handoff_tests::QUEUED, || async {
        let a = c.get("/me/notifications", Some(&owner)).await;
        a.body["items"][0]["notification_id"].as_str().map(str::to_string)
    })
    .await
    .expect("the booking request reaches the owner's inbox");
    // A conversation: an itinerary of the owner's whose booking the owner (its traveler) accepted.
    let (_, q) = fresh_shipment(&c, &owner, &ptrip, true).await;
    let talk = ok(&c.post("/itineraries", Some(&owner), json!({"quote_id": q.unwrap()["quote_id"]})).await, "it");
    let conversation = talk["itinerary_id"].as_str().unwrap().to_string();
    let b = talk["bookings"][0]["booking_id"].as_str().unwrap();
    ok(&c.put(&format!("/bookings/{b}/accept"), Some(&owner), json!({})).await, "accept");
    let attachment = ok(
        &c.post(
            &format!("/conversations/{conversation}/attachments"),
            Some(&owner),
            json!({"content_type": "image/png", "size_bytes": 900}),
        )
        .await,
        "attachment",
    )["document"]["document_id"]
        .as_str()
        .unwrap()
        .to_string();
    // Custody: that itinerary paid; its plan's pickup (the owner gives and takes) and a pending photo there.
    let custody = talk["shipment_id"].as_str().unwrap().to_string();
    let started = ok(&c.post(&format!("/itineraries/{conversation}/payment"), Some(&owner), json!({})).await, "pay");
    let (paid, pi) = crate::payments::confirm_like_stripe_js(&started, "pm_card_visa").await;
    assert_eq!(paid, 200, "{pi}");
    handoff_tests::eventually(handoff_tests::QUEUED, || async {
        (c.get(&format!("/shipments/{custody}/handoffs"), Some(&owner)).await.status == 200).then_some(())
    })
    .await
    .expect("the paid itinerary gets its handoff plan");
    handoff_tests::eventually(handoff_tests::QUEUED, || async {
        (c.get(&format!("/itineraries/{conversation}/receipt"), Some(&owner)).await.status == 200).then_some(())
    })
    .await
    .expect("the paid itinerary gets its receipt");
    let handoff = format!("{custody}.0");
    let tracking = ok(&c.get(&format!("/shipments/{custody}/handoffs"), Some(&owner)).await, "plan")["tracking_token"]
        .as_str()
        .unwrap()
        .to_string();
    let hphoto = ok(
        &c.post(
            &format!("/handoffs/{handoff}/photos"),
            Some(&owner),
            json!({"content_type": "image/png", "size_bytes": 900}),
        )
        .await,
        "handoff photo",
    )["document"]["document_id"]
        .as_str()
        .unwrap()
        .to_string();
    let hook = format!("{}/_local/webhooks/authz", stack.url);
    let webhook = |c: Client, owner: String, hook: String| async move {
        ok(
            &c.post("/webhook-endpoints", Some(&owner), json!({"url": hook, "events": ["ItineraryRequested"]})).await,
            "hook",
        )["endpoint_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let fx = Fixture {
        webhook: webhook(c.clone(), owner.clone(), hook.clone()).await,
        spare_webhook: webhook(c.clone(), owner.clone(), hook.clone()).await,
        hook,
        custody,
        handoff,
        hphoto,
        tracking,
        conversation,
        attachment,
        device,
        notification,
        owner: owner.clone(),
        user: owner_signin["user"]["user_id"].as_str().unwrap().to_string(),
        session: spare["session_id"].as_str().unwrap().to_string(),
        trip,
        trip_doc: trip_doc["document"]["document_id"].as_str().unwrap().to_string(),
        vehicle,
        vehicle_doc: vehicle_doc["document"]["document_id"].as_str().unwrap().to_string(),
        shipment,
        photo: pending["document"]["document_id"].as_str().unwrap().to_string(),
        quote: quote["quote_id"].as_str().unwrap().to_string(),
        itinerary: itinerary["itinerary_id"].as_str().unwrap().to_string(),
        booking: itinerary["bookings"][0]["booking_id"].as_str().unwrap().to_string(),
        ptrip,
    };

    let mut failures = Vec::new();
    let mut n = 0;
    let all = rows();
    let count = all.len();
    let (from, to) = (slice_start(&all, slice), slice_start(&all, slice + 1));
    for r in all.into_iter().skip(from).take(to - from) {
        for (i, kind) in KINDS.iter().enumerate() {
            n += 1;
            let mut ids = fx.ids();
            let mut token = tokens[i].clone();
            match r.fresh {
                Fresh::No => {}
                Fresh::Draft | Fresh::Publishable | Fresh::Published => {
                    ids.insert("trip", fresh_trip(&c, &fx.owner, r.fresh).await);
                }
                Fresh::Area => {
                    let a = ok(&c.post("/couriers/areas", Some(&fx.owner), area()).await, "area");
                    ids.insert("area", a["area_id"].as_str().unwrap().to_string());
                }
                // A cell refused (401, 403, 404) changes nothing: the shared fixture serves it.
                Fresh::Shipment | Fresh::Quote | Fresh::Itinerary if !matches!(r.expect[i], K | P) => {}
                Fresh::Shipment => {
                    ids.insert("shipment", fresh_shipment(&c, &fx.owner, &fx.ptrip, false).await.0);
                }
                Fresh::Quote | Fresh::Itinerary => {
                    let (shipment, q) = fresh_shipment(&c, &fx.owner, &fx.ptrip, true).await;
                    let q = q.unwrap();
                    ids.insert("shipment", shipment);
                    ids.insert("quote", q["quote_id"].as_str().unwrap().to_string());
                    if r.fresh == Fresh::Itinerary {
                        let it = ok(
                            &c.post("/itineraries", Some(&fx.owner), json!({"quote_id": q["quote_id"]})).await,
                            "it",
                        );
                        ids.insert("itinerary", it["itinerary_id"].as_str().unwrap().to_string());
                        ids.insert("booking", it["bookings"][0]["booking_id"].as_str().unwrap().to_string());
                    }
                }
                Fresh::Session => {
                    if i > 0 {
                        let s = c.sign_in(&format!("{kind}-{tag}@authz.test")).await;
                        token = Some(s["access_token"].as_str().unwrap().to_string());
                    }
                }
            }
            let path = fill(r.path, &ids);
            let body = r.body.as_ref().map(|b| {
                let text = fill(&b.to_string(), &ids).replace("{email}", &format!("cell-{n}-{tag}@authz.test"));
                serde_json::from_str::<Value>(&text).unwrap()
            });
            let method = Method::from_bytes(r.method.as_bytes()).unwrap();
            let a = c.call(method.clone(), &path, token.as_deref(), body.clone()).await;
            let s = a.status.as_u16();
            let expected = r.expect[i];
            let fits = match expected {
                K => (200..300).contains(&s),
                P => !matches!(s, 401 | 403 | 404) && s < 500,
                U => s == 401,
                F => s == 403,
                N => s == 404,
            };
            if !fits {
                failures.push(format!("{} {path} as {kind}: expected {expected:?}, got {s} {}", r.method, a.body));
                continue;
            }
            if s >= 400 {
                assert_eq!(a.header("content-type"), Some("application/problem+json"), "{} {path}", r.method);
            }
            // Not yours answers exactly like not there: same status, type and words.
            if expected == N {
                // The resource the path (else the body) names first, replaced by one that does not exist.
                let body_text = r.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
                let first = r
                    .path
                    .split('{')
                    .nth(1)
                    .or_else(|| body_text.split('{').find(|x| x.contains('}') && !x.starts_with('"')))
                    .and_then(|x| x.split('}').next())
                    .unwrap();
                let first: &'static str = ids.keys().copied().find(|k| *k == first).unwrap();
                let mut none = ids.clone();
                none.insert(first, "00000000-0000-7000-8000-00000000dead".to_string());
                let missing = fill(r.path, &none);
                let missing_body = r.body.as_ref().map(|b| {
                    let text = fill(&b.to_string(), &none).replace("{email}", &format!("cell-{n}-{tag}@authz.test"));
                    serde_json::from_str::<Value>(&text).unwrap()
                });
                let b = c.call(method, &missing, token.as_deref(), missing_body).await;
                let strip = |v: &Value| {
                    let mut v = v.clone();
                    v.as_object_mut().map(|o| o.remove("correlation_id"));
                    v
                };
                if b.status != a.status || strip(&b.body) != strip(&a.body) {
                    failures.push(format!(
                        "{} {path} as {kind}: someone else's answers {} {}, a missing one {} {}",
                        r.method, a.status, a.body, b.status, b.body
                    ));
                }
            }
        }
    }
    println!(
        "authorization matrix, part {} of {SLICES}: {n} cells of {count} routes × {} callers",
        slice + 1,
        KINDS.len()
    );
    assert!(failures.is_empty(), "{} cells failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn every_route_of_the_template_has_a_row() {
    let t = handoff_local::template::Template::load(&handoff_tests::root().join("template.yaml")).unwrap();
    let routes: BTreeSet<(String, String)> = t
        .functions
        .iter()
        .flat_map(|f| f.events.iter())
        .filter_map(|e| match e {
            handoff_local::template::EventSource::Http { path, method, .. } => {
                Some((method.to_ascii_uppercase(), path.clone()))
            }
            _ => None,
        })
        .collect();
    // A row's path, with its own names for ids, in the template's form.
    let normalise = |p: &str| -> String {
        let p = p.split('?').next().unwrap();
        let p =
            p.replace("airport:ZRH", "{id}").replace("revenue:platform:EUR", "{id}").replace("{document_id}", "{x}");
        let mut out = Vec::new();
        for (i, seg) in p.split('/').enumerate() {
            let doc = i > 0 && (seg == "{trip_doc}" || seg == "{vehicle_doc}" || seg == "{attachment}");
            out.push(if doc {
                "{document_id}".to_string()
            } else if seg == "{delivery}" {
                "{delivery_id}".to_string()
            } else if seg == "{tracking}" {
                "{token}".to_string()
            } else if seg == "{photo}" || seg == "{hphoto}" {
                "{photo_id}".to_string()
            } else if seg == "{month}" || seg == "{day}" {
                seg.to_string()
            } else if seg.starts_with('{') {
                "{id}".to_string()
            } else {
                seg.to_string()
            });
        }
        out.join("/")
    };
    let rows: BTreeSet<(String, String)> = rows().iter().map(|r| (r.method.to_string(), normalise(r.path))).collect();
    let missing: Vec<_> = routes.difference(&rows).collect();
    let extra: Vec<_> = rows.difference(&routes).collect();
    assert!(missing.is_empty(), "routes without a row in the authorization matrix: {missing:?}");
    assert!(extra.is_empty(), "rows for routes template.yaml does not have: {extra:?}");
}
