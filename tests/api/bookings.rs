//! Shipments to bookings end to end: a sender prepares an international
//! shipment (photo, customs), searches, takes a DDP quote and books a
//! two-trip itinerary that both travelers accept; capacity holds under 50
//! concurrent acceptances; a decline and an expiry lead to rebooking the
//! failed part only; broken rules answer problem+json.
use futures::future::join_all;
use futures::StreamExt;
use handoff_tests::parcels::body;
use handoff_tests::{at, busy_stack, email, eventually, ok, stack, Client, QUEUED};
use reqwest::Method;
use serde_json::{json, Value};

const H: i64 = 3600;

fn start() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp() / H + 48) * H
}

/// A published one-leg flight; its id.
pub(crate) async fn flight(c: &Client, tok: &str, from: &str, to: &str, dep: i64, max_grams: u32) -> String {
    let leg = json!({"origin": from, "destination": to, "depart_at": at(dep), "arrive_at": at(dep + 2 * H),
                     "carrier": "LX", "flight_number": "LX1234"});
    let constraints = json!({"max_weight_grams": max_grams,
        "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
        "categories": ["documents", "clothing"], "price_per_kg": 2000, "min_price": 800, "currency": "EUR"});
    crate::search::publish(c, tok, "flight", &[leg], constraints, (dep - H, dep + 3 * H)).await
}

pub(crate) fn booking_of(it: &Value, trip: &str) -> String {
    it["bookings"].as_array().unwrap().iter().find(|b| b["trip_id"] == trip).unwrap()["booking_id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_international_shipment_is_quoted_ddp_and_booked_on_two_trips() {
    let stack = stack("bookings").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (ann, _) = c.verified_traveler(&email("ann"), &admin).await;
    let (bob, _) = c.verified_traveler(&email("bob"), &admin).await;
    let (sid, _) = c.verified_traveler(&email("sid"), &admin).await;
    let t = start();
    let t1 = flight(&c, &ann, "airport:ZRH", "airport:CDG", t, 5000).await;
    let t2 = flight(&c, &bob, "airport:CDG", "airport:LHR", t + 5 * H, 5000).await;

    // The rules: prohibited goods, a wrong HS code, customs before a quote.
    let mut gun = body("documents", 900, 5000, ("CH", "airport:ZRH"), ("GB", "airport:LHR"));
    gun["package"]["contents"][0]["description"] = json!("Antique pistol");
    c.post("/shipments", Some(&sid), gun).await.problem(422, "prohibited-goods");
    let mut bad = body("documents", 900, 5000, ("CH", "airport:ZRH"), ("GB", "airport:LHR"));
    bad["package"]["contents"][0]["hs_code"] = json!("1234.56");
    let r = c.post("/shipments", Some(&sid), bad).await;
    r.problem(422, "validation-failed");
    assert_eq!(r.body["errors"][0]["field"], "package.contents[0].hs_code", "{}", r.body);

    let shipment = c.shipment(&sid, body("documents", 900, 5000, ("CH", "airport:ZRH"), ("GB", "airport:LHR"))).await;
    let photo = c.photo(&sid, &shipment).await;
    assert_eq!(photo["status"], "accepted", "{photo}");
    c.quote(&sid, &shipment, &[(&t1, &[1]), (&t2, &[1])]).await.problem(409, "customs-required");
    let declared = c.customs(&sid, &shipment, "DDP").await;
    let d = &declared["customs"];
    assert_eq!(d["form"], "CN22");
    assert_eq!(d["tax_rate"]["rate_bp"], 2000, "UK VAT 20%: {d}");
    assert_eq!(d["duty"]["assessment"], "relieved", "within GBP 135: {d}");
    assert_eq!(d["tax"]["amount"], 1000, "20% of EUR 50");
    assert!(d["exchange_rates"][0]["date"].as_str().is_some(), "the rate's date is shown: {d}");

    // Search, then post the chosen result's segments back for a quote.
    let q = format!(
        "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=900&category=documents&depart_after={}&arrive_before={}",
        at(t - 2 * H).replace('+', "%2B"),
        at(t + 12 * H).replace('+', "%2B")
    );
    // The projection follows the trips' events (outbox → bus → queue → search-index).
    let route = eventually(QUEUED, || async {
        let found = c.get(&q, Some(&sid)).await;
        found.body["items"].as_array().and_then(|i| i.iter().find(|o| o["trips"] == 2).cloned())
    })
    .await
    .expect("a two-trip route");
    let quote = ok(c
        .post(
            "/pricing/quote",
            Some(&sid),
            json!({"shipment_id": shipment, "segments": route["segments"], "insurance": true}),
        )
        .await)
    .await;
    let lines = quote["lines"].as_array().unwrap();
    let sum: i64 = lines.iter().map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(sum, quote["total"].as_i64().unwrap(), "the lines add up: {quote}");
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    for k in ["transport", "platform_fee", "insurance", "customs_handling", "duties_and_taxes"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    let transport: i64 = lines.iter().filter(|l| l["kind"] == "transport").map(|l| l["amount"].as_i64().unwrap()).sum();
    assert_eq!(transport, route["price"]["amount"].as_i64().unwrap(), "the search's price is the quote's transport");
    assert_eq!(lines.iter().find(|l| l["kind"] == "duties_and_taxes").unwrap()["amount"], 1000);
    let got = ok(c.get(&format!("/pricing/quotes/{}", quote["quote_id"].as_str().unwrap()), Some(&sid)).await).await;
    assert_eq!(got, quote, "a quote is immutable");

    let it = c.post("/itineraries", Some(&sid), json!({"quote_id": quote["quote_id"]})).await;
    println!("calls POST /itineraries: {}", it.header("x-aws-calls").unwrap_or("-"));
    let it = ok(it).await;
    assert_eq!(it["status"], "requested");
    assert_eq!(it["bookings"].as_array().unwrap().len(), 2);
    let id = it["itinerary_id"].as_str().unwrap().to_string();
    // The shipment is booked: no more changes.
    c.call(Method::PATCH, &format!("/shipments/{shipment}"), Some(&sid), Some(json!({})))
        .await
        .problem(409, "shipment-not-draft");

    // Each traveler sees the parcel and the route, not the contacts, until accepting.
    let reqs = ok(c.get("/me/booking-requests?status=pending", Some(&ann)).await).await;
    let mine = &reqs["items"][0];
    assert_eq!(mine["parcel"]["weight_grams"], 900);
    assert_eq!(mine["photo_urls"].as_array().unwrap().len(), 1);
    assert!(mine.get("sender").is_none() && mine.get("recipient").is_none(), "{mine}");
    let b1 = booking_of(&it, &t1);
    let b2 = booking_of(&it, &t2);
    c.put(&format!("/bookings/{b1}/accept"), Some(&bob), json!({})).await.problem(404, "not-found");
    let a1 = c.put(&format!("/bookings/{b1}/accept"), Some(&ann), json!({})).await;
    println!("calls PUT /bookings/{{id}}/accept: {}", a1.header("x-aws-calls").unwrap_or("-"));
    let a1 = ok(a1).await;
    assert_eq!(a1["recipient"]["name"], "Remy", "contacts once accepted");
    c.put(&format!("/bookings/{b1}/accept"), Some(&ann), json!({})).await.problem(409, "booking-not-pending");
    let mid = ok(c.get(&format!("/itineraries/{id}"), Some(&sid)).await).await;
    assert_eq!(mid["status"], "requested");
    ok(c.put(&format!("/bookings/{b2}/accept"), Some(&bob), json!({})).await).await;
    let done = ok(c.get(&format!("/itineraries/{id}"), Some(&sid)).await).await;
    assert_eq!(done["status"], "awaiting_payment", "{done}");
    assert_eq!(done["total"], quote["total"]);
    let path: Vec<&str> = done["history"].as_array().unwrap().iter().map(|h| h["to"].as_str().unwrap()).collect();
    assert_eq!(path, ["requested", "accepted", "awaiting_payment"]);
    let listed = ok(c.get("/me/itineraries?status=awaiting_payment", Some(&sid)).await).await;
    assert_eq!(listed["items"][0]["itinerary_id"], id.as_str());

    // The search projection follows the capacity left: 4100 g on each trip now.
    let heavy = q.replace("weight_grams=900", "weight_grams=4500");
    let gone = eventually(QUEUED, || async {
        let r = c.get(&heavy, Some(&sid)).await;
        (r.body["items"].as_array().is_some_and(|i| i.is_empty())).then_some(())
    })
    .await;
    assert!(gone.is_some(), "a trip with 4100 g left is not offered for 4500 g");
    let light = ok(c.get(&q.replace("weight_grams=900", "weight_grams=4000"), Some(&sid)).await).await;
    assert!(!light["items"].as_array().unwrap().is_empty(), "but still for 4000 g");

    // Someone else's shipment, quote and itinerary are not there.
    c.get(&format!("/shipments/{shipment}"), Some(&ann)).await.problem(404, "not-found");
    c.get(&format!("/itineraries/{id}"), Some(&ann)).await.problem(404, "not-found");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_senders_never_overbook_a_trip() {
    let stack = busy_stack("capacity").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (tess, _) = c.verified_traveler(&email("tess"), &admin).await;
    let trip = flight(&c, &tess, "airport:CDG", "airport:NCE", start(), 5000).await;
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let users: Vec<Value> = (0..50)
        .map(
            |i| json!({"email": format!("s{i:02}-{tag}@cap.test"), "name": format!("Sender {i}"), "roles": ["sender"]}),
        )
        .collect();
    handoff_local::demo::load(&stack.table, &json!({ "users": users }).to_string()).await.unwrap();
    // Signed in and prepared several at a time (the stack has a moto server of its own).
    let tokens: Vec<String> =
        futures::stream::iter(
            (0..50).map(|i| {
                let c = c.clone();
                async move {
                    c.sign_in(&format!("s{i:02}-{tag}@cap.test")).await["access_token"].as_str().unwrap().to_string()
                }
            }),
        )
        .buffer_unordered(8)
        .collect()
        .await;
    let booked: Vec<String> = futures::stream::iter(tokens.into_iter().map(|tok| {
        let c = c.clone();
        let trip = trip.clone();
        async move {
            let s = c
                .ready_shipment(&tok, body("documents", 400, 1000, ("FR", "airport:CDG"), ("FR", "airport:NCE")), "DAP")
                .await;
            let q = ok(c.quote(&tok, &s, &[(&trip, &[1])]).await).await;
            let it = ok(c.post("/itineraries", Some(&tok), json!({"quote_id": q["quote_id"]})).await).await;
            it["bookings"][0]["booking_id"].as_str().unwrap().to_string()
        }
    }))
    .buffer_unordered(6)
    .collect()
    .await;
    // The traveler accepts all fifty at once.
    let answers = join_all(booked.iter().map(|b| {
        let c = c.clone();
        let tess = tess.clone();
        let b = b.clone();
        async move { c.put(&format!("/bookings/{b}/accept"), Some(&tess), json!({})).await }
    }))
    .await;
    let accepted = answers.iter().filter(|a| a.status.is_success()).count() as u32;
    for a in answers.iter().filter(|a| !a.status.is_success()) {
        assert_eq!(a.status.as_u16(), 409, "{}", a.body);
        assert_eq!(a.body["type"], "https://problems.handoff.dev/capacity-exhausted", "{}", a.body);
    }
    println!("capacity: {accepted} of 50 accepted, {} g of 5000 g", accepted * 400);
    assert_eq!(accepted, 12, "every request that fits is accepted, and no more: 12 × 400 g ≤ 5000 g");
    let listed = ok(c.get("/me/booking-requests?status=accepted&limit=100", Some(&tess)).await).await;
    let sum: u64 =
        listed["items"].as_array().unwrap().iter().map(|b| b["parcel"]["weight_grams"].as_u64().unwrap()).sum();
    assert_eq!(sum, 4800, "the accepted weight is within the trip's 5000 g");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_decline_and_an_expiry_are_rebooked_without_losing_the_accepted_part() {
    let stack = stack("rebook").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (ann, _) = c.verified_traveler(&email("ann"), &admin).await;
    let (bob, _) = c.verified_traveler(&email("bob"), &admin).await;
    let (cat, _) = c.verified_traveler(&email("cat"), &admin).await;
    let (sid, _) = c.verified_traveler(&email("sid"), &admin).await;
    let t = start();
    let t1 = flight(&c, &ann, "airport:CDG", "airport:NCE", t, 5000).await;
    let t2 = flight(&c, &bob, "airport:NCE", "airport:MRS", t + 5 * H, 5000).await;
    let t3 = flight(&c, &cat, "airport:NCE", "airport:MRS", t + 6 * H, 5000).await;
    let s =
        c.ready_shipment(&sid, body("clothing", 700, 3000, ("FR", "airport:CDG"), ("FR", "airport:MRS")), "DAP").await;
    let q = ok(c.quote(&sid, &s, &[(&t1, &[1]), (&t2, &[1])]).await).await;
    let it = ok(c.post("/itineraries", Some(&sid), json!({"quote_id": q["quote_id"]})).await).await;
    let id = it["itinerary_id"].as_str().unwrap().to_string();
    let (b1, b2) = (booking_of(&it, &t1), booking_of(&it, &t2));
    ok(c.put(&format!("/bookings/{b1}/accept"), Some(&ann), json!({})).await).await;
    c.put(&format!("/bookings/{b2}/decline"), Some(&bob), json!({"reason": ""}))
        .await
        .problem(422, "validation-failed");
    ok(c.put(&format!("/bookings/{b2}/decline"), Some(&bob), json!({"reason": "Bag is full"})).await).await;
    let it = ok(c.get(&format!("/itineraries/{id}"), Some(&sid)).await).await;
    assert_eq!(it["status"], "needs_rebooking");
    assert!(it["reason"].as_str().unwrap().contains("Bag is full"), "{it}");

    // A fresh search for the failed part finds cat's trip; the whole route keeps ann's.
    let r = c.post(&format!("/itineraries/{id}/rebook"), Some(&sid), json!({"quote_id": q["quote_id"]})).await;
    r.problem(422, "validation-failed");
    assert!(r.body["errors"][0]["message"].as_str().unwrap().contains("declined"), "{}", r.body);
    let q2 = ok(c.quote(&sid, &s, &[(&t1, &[1]), (&t3, &[1])]).await).await;
    let it =
        ok(c.post(&format!("/itineraries/{id}/rebook"), Some(&sid), json!({"quote_id": q2["quote_id"]})).await).await;
    assert_eq!(it["status"], "requested", "{it}");
    let b3 = booking_of(&it, &t3);
    let statuses: Vec<(&str, &str)> = it["bookings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| (b["trip_id"].as_str().unwrap(), b["status"].as_str().unwrap()))
        .collect();
    assert!(statuses.contains(&(t1.as_str(), "accepted")), "ann is not asked again: {statuses:?}");
    assert!(statuses.contains(&(t2.as_str(), "declined")));
    assert!(statuses.contains(&(t3.as_str(), "pending")));

    // Cat never answers: the schedule, fired after the deadline, expires the request.
    let deadline = it["bookings"].as_array().unwrap().iter().find(|b| b["trip_id"] == t3.as_str()).unwrap()
        ["respond_by"]
        .as_str()
        .unwrap()
        .to_string();
    let due = time::OffsetDateTime::parse(&deadline, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp();
    let fired = ok(c
        .post(
            &format!("/_local/schedules/ExpireBookingsFunction?time={}", at(due + 60).replace('+', "%2B")),
            None,
            json!({}),
        )
        .await)
    .await;
    assert!(fired["expired"].as_array().unwrap().iter().any(|b| b == b3.as_str()), "{fired}");
    let it = ok(c.get(&format!("/itineraries/{id}"), Some(&sid)).await).await;
    assert_eq!(it["status"], "needs_rebooking");
    assert!(it["reason"].as_str().unwrap().contains("did not answer"), "{it}");
    c.put(&format!("/bookings/{b3}/accept"), Some(&cat), json!({})).await.problem(409, "booking-not-pending");

    // Cancelling releases ann's reserved capacity and the shipment is a draft again.
    let cancelled =
        ok(c.put(&format!("/itineraries/{id}/cancel"), Some(&sid), json!({"reason": "too slow"})).await).await;
    assert_eq!(cancelled["status"], "cancelled");
    let shipment = ok(c.get(&format!("/shipments/{s}"), Some(&sid)).await).await;
    assert_eq!(shipment["status"], "draft");
    let again = ok(c.quote(&sid, &s, &[(&t1, &[1]), (&t3, &[1])]).await).await;
    assert!(again["total"].as_i64().unwrap() > 0);
    c.put(&format!("/itineraries/{id}/cancel"), Some(&sid), json!({})).await.problem(409, "illegal-transition");
}
