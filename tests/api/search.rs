//! Route search end to end: travelers publish a two-leg flight and a
//! connecting car trip, the search projection follows their events, and a
//! sender finds the direct and the two-trip itinerary in the order of each
//! sort; weight limits, unpublishing, couriers and stale events are honoured.
use handoff_tests::{at, eventually, s, scan, stack, Client, QUEUED};
use reqwest::Method;
use serde_json::{json, Value};

const H: i64 = 3600;

fn email(name: &str) -> String {
    format!("{name}-{}@example.com", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

async fn ok(a: handoff_tests::Answer) -> Value {
    assert!(a.status.is_success(), "{} {}", a.status, a.body);
    a.body
}

/// Creates, fills and publishes a trip; its id.
pub(crate) async fn publish(
    c: &Client,
    tok: &str,
    mode: &str,
    legs: &[Value],
    constraints: Value,
    window: (i64, i64),
) -> String {
    let first = &legs[0];
    let last = legs.last().unwrap();
    let t = ok(c.post("/trips", Some(tok), json!({"mode": mode, "origin": first["origin"], "destination": last["destination"], "earliest_departure": at(window.0), "latest_arrival": at(window.1)})).await).await;
    let id = t["trip_id"].as_str().unwrap().to_string();
    for l in legs {
        ok(c.post(&format!("/trips/{id}/legs"), Some(tok), l.clone()).await).await;
    }
    ok(c.put(&format!("/trips/{id}/constraints"), Some(tok), constraints).await).await;
    ok(c.put(&format!("/trips/{id}/publish"), Some(tok), json!({})).await).await;
    id
}

fn kinds(items: &Value) -> Vec<(i64, i64)> {
    items
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["trips"].as_i64().unwrap(), i["price"]["amount"].as_i64().unwrap()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_find_direct_and_connecting_routes() {
    let stack = stack("search").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (flyer, _) = c.verified_traveler(&email("fay"), &admin).await;
    let (driver, _) = c.verified_traveler(&email("dan"), &admin).await;
    let sender = c.sign_in(&email("sid")).await["access_token"].as_str().unwrap().to_string();
    let t = (time::OffsetDateTime::now_utc().unix_timestamp() / H + 48) * H;

    // A two-leg flight Zurich → Paris CDG → London Heathrow: quick, dear.
    let flight = |from: &str, to: &str, dep: i64, arr: i64, n: &str| json!({"origin": from, "destination": to, "depart_at": at(dep), "arrive_at": at(arr), "carrier": &n[..2], "flight_number": n});
    let flight_id = publish(&c, &flyer, "flight",
        &[flight("airport:ZRH", "airport:CDG", t + 2 * H, t + 3 * H, "AF1115"), flight("airport:CDG", "airport:LHR", t + 5 * H, t + 6 * H, "AF1680")],
        json!({"max_weight_grams": 5000, "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30}, "categories": ["documents", "electronics"],
               "capacity_grams": 8000, "price_per_kg": 4000, "min_price": 2000, "currency": "EUR"}),
        (t, t + 24 * H)).await;

    // A connecting car trip CDG → Heathrow with a verified vehicle: slow, cheap, light loads only.
    let v = ok(c
        .post(
            "/vehicles",
            Some(&driver),
            json!({"make": "Renault", "model": "Kangoo E-Tech", "plate": "GF-123-HK", "capacity_grams": 50000}),
        )
        .await)
    .await;
    let vid = v["vehicle_id"].as_str().unwrap();
    for (kind, ct, bytes) in [
        ("registration", "application/pdf", b"%PDF-1.4 registration document".to_vec()),
        ("insurance", "image/png", [&[0x89u8, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A][..], &[0u8; 64][..]].concat()),
    ] {
        let r = ok(c
            .post(
                &format!("/vehicles/{vid}/documents"),
                Some(&driver),
                json!({"type": kind, "content_type": ct, "size_bytes": bytes.len()}),
            )
            .await)
        .await;
        let put = c
            .http
            .put(r["upload"]["url"].as_str().unwrap())
            .header("content-type", ct)
            .body(bytes)
            .send()
            .await
            .unwrap();
        assert!(put.status().is_success());
        let done = ok(c
            .post(
                &format!("/vehicles/{vid}/documents/{}/complete", r["document"]["document_id"].as_str().unwrap()),
                Some(&driver),
                json!({}),
            )
            .await)
        .await;
        assert_eq!(done["status"], "accepted");
    }
    ok(c.put(&format!("/admin/vehicles/{vid}/verification"), Some(&admin), json!({"status": "verified"})).await).await;
    let car_id = publish(&c, &driver, "car",
        &[json!({"origin": "airport:CDG", "destination": "airport:LHR", "depart_at": at(t + 5 * H + 1800), "arrive_at": at(t + 11 * H + 1800), "vehicle_id": vid})],
        json!({"max_weight_grams": 2000, "max_dimensions_cm": {"length_cm": 60, "width_cm": 40, "height_cm": 40}, "categories": ["documents"],
               "price_per_kg": 500, "min_price": 500, "currency": "EUR"}),
        (t, t + 24 * H)).await;

    let q = |sort: &str, weight: u32| {
        format!("/search/routes?from=airport:ZRH&to=airport:LHR&depart_after={}&arrive_before={}&weight_grams={weight}&category=documents&sort={sort}", at(t).replace('+', "%2B"), at(t + 30 * H))
    };
    // The projection follows the events.
    let found = eventually(QUEUED, || async {
        let r = c.get(&q("cheapest", 1000), Some(&sender)).await;
        (r.body["items"].as_array().map(|a| a.len()) == Some(2)).then_some(r)
    })
    .await
    .expect("both itineraries appear in search");
    println!("calls GET /search/routes: {}", found.header("x-aws-calls").unwrap());
    // Cheapest: the flight's first leg (its distance share of 4000) + the car (500).
    let cheapest = kinds(&found.body["items"]);
    assert_eq!(cheapest[0].0, 2, "{}", found.body);
    assert_eq!(cheapest[1], (1, 4000));
    assert!(cheapest[0].1 < 4000 && cheapest[0].1 > 2000, "{cheapest:?}");
    let two = &found.body["items"][0];
    assert_eq!(two["handoffs"], 1);
    assert_eq!(two["handoff_places"], json!(["airport:CDG"]));
    assert_eq!(two["segments"][0]["trip_id"], flight_id.as_str());
    assert_eq!(two["segments"][0]["legs"].as_array().unwrap().len(), 1);
    assert_eq!(two["segments"][1]["trip_id"], car_id.as_str());
    assert_eq!(two["arrive_at"], at(t + 11 * H + 1800).replace("+00:00", "Z"));
    assert!(two["expires_at"].as_str().is_some());
    let quickest = c.get(&q("quickest", 1000), Some(&sender)).await;
    assert_eq!(kinds(&quickest.body["items"]), vec![cheapest[1], cheapest[0]]);
    assert_eq!(quickest.body["items"][0]["segments"][0]["legs"].as_array().unwrap().len(), 2);
    let best = c.get(&q("best", 1000), Some(&sender)).await;
    assert_eq!(best.body["items"].as_array().unwrap().len(), 2);
    // Pages: one at a time, with a cursor bound to the query.
    let p1 = c.get(&format!("{}&limit=1", q("cheapest", 1000)), Some(&sender)).await;
    assert_eq!(p1.body["items"].as_array().unwrap().len(), 1);
    let cursor = p1.body["next_cursor"].as_str().unwrap().to_string();
    let p2 = c.get(&format!("{}&limit=1&cursor={cursor}", q("cheapest", 1000)), Some(&sender)).await;
    assert_eq!(kinds(&p2.body["items"]), vec![cheapest[1]]);
    assert!(p2.body["next_cursor"].is_null());
    c.get(&format!("{}&limit=1&cursor={cursor}", q("quickest", 1000)), Some(&sender))
        .await
        .problem(400, "invalid-cursor");

    // Over the car's 2 kg limit: only the flight.
    let heavy = c.get(&q("cheapest", 3000), Some(&sender)).await;
    assert_eq!(kinds(&heavy.body["items"]), vec![(1, 12000)]);
    // Over everyone's limit, or a category nobody takes: nothing.
    assert_eq!(c.get(&q("cheapest", 6000), Some(&sender)).await.body["items"], json!([]));
    assert_eq!(c.get(&q("cheapest", 1000).replace("documents", "food"), Some(&sender)).await.body["items"], json!([]));

    // A courier brings it on from Heathrow into London (last mile).
    let courier = c.sign_in(&email("cora")).await;
    let ctok = courier["access_token"].as_str().unwrap();
    c.call(Method::PATCH, "/me", Some(ctok), Some(json!({"roles": ["driver"]}))).await;
    let ctok = ok(c.post("/auth/refresh", None, json!({"refresh_token": courier["refresh_token"]})).await).await
        ["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    c.post("/couriers/areas", Some(&ctok), json!({"name": "x", "centre": "city:0", "radius_km": 500, "price_per_km": -1, "currency": "EUR", "opens": "8am", "closes": "20:00"})).await.problem(422, "validation-failed");
    c.post("/couriers/areas", Some(&flyer), json!({"name": "London Same Day", "centre": "city:2643743", "radius_km": 40, "price_per_km": 80, "base_price": 700, "currency": "EUR", "opens": "07:00", "closes": "22:00"})).await.problem(403, "forbidden");
    ok(c.post("/couriers/areas", Some(&ctok), json!({"name": "London Same Day", "centre": "city:2643743", "radius_km": 40, "price_per_km": 80, "base_price": 700, "currency": "EUR", "opens": "07:00", "closes": "22:00"})).await).await;
    let london = c.get(&q("quickest", 1000).replace("to=airport:LHR", "to=city:2643743"), Some(&sender)).await;
    let items = london.body["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{}", london.body);
    let last = items[0]["segments"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["kind"], "courier");
    assert_eq!(last["from"], "airport:LHR");
    assert_eq!(last["to"], "city:2643743");
    let mine = c.get("/couriers/areas", Some(&ctok)).await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1, "{}", mine.body);
    let area = mine.body["items"][0]["area_id"].as_str().unwrap().to_string();
    assert_eq!(c.get("/couriers/areas", Some(&flyer)).await.body["items"], json!([]));
    c.call(Method::DELETE, &format!("/couriers/areas/{area}"), Some(&flyer), None).await.problem(404, "not-found");
    assert_eq!(c.call(Method::DELETE, &format!("/couriers/areas/{area}"), Some(&ctok), None).await.status, 204);
    let no_courier = c.get(&q("quickest", 1000).replace("to=airport:LHR", "to=city:2643743"), Some(&sender)).await;
    assert_eq!(no_courier.body["items"], json!([]), "a withdrawn area is not used");

    // Every input a sender can get wrong.
    for bad in [
        "/search/routes?to=airport:LHR&weight_grams=1000&category=documents".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:ZRH&weight_grams=1000&category=documents".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:XXX&weight_grams=1000&category=documents".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:LHR&category=documents".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=99999&category=documents".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=1000".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=1000&category=documents&sort=shortest".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=1000&category=documents&length_cm=10".to_string(),
        "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=1000&category=documents&currency=EURO".to_string(),
        format!(
            "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=1000&category=documents&arrive_before={}",
            at(t + 9 * 24 * H)
        ),
        "/search/routes?from=airport:ZRH&to=airport:LHR&weight_grams=1000&category=documents&limit=500".to_string(),
    ] {
        c.get(&bad, Some(&sender)).await.problem(422, "validation-failed");
    }
    c.get(&q("best", 1000), None).await.problem(401, "unauthenticated");

    // Unpublishing the flight removes both itineraries.
    ok(c.put(&format!("/trips/{flight_id}/unpublish"), Some(&flyer), json!({})).await).await;
    let gone = eventually(QUEUED, || async {
        let r = c.get(&q("cheapest", 1000), Some(&sender)).await;
        (r.body["items"] == json!([])).then_some(())
    })
    .await;
    assert!(gone.is_some(), "unpublished trips leave search");

    // An old TripPublished redelivered after the unpublish changes nothing.
    let trip = c.get(&format!("/trips/{flight_id}"), Some(&flyer)).await.body;
    let id = uuid::Uuid::new_v4().to_string();
    let old = json!({
        "version": "0", "id": uuid::Uuid::new_v4().to_string(), "detail-type": "TripPublished", "source": "handoff.trips",
        "account": "123456789012", "time": "2026-11-21T10:00:00Z", "region": "us-east-1", "resources": [],
        "detail": {"id": id, "source": "handoff.trips", "detail_type": "TripPublished", "occurred_at": "2026-11-21T10:00:00.000Z",
            "schema_version": 1, "correlation_id": "c-stale", "actor": {"id": "u"},
            "data": {"trip_id": flight_id, "traveler_id": trip["traveler_id"], "revision": 1, "mode": "flight", "legs": trip["legs"], "constraints": trip["constraints"]}}
    });
    let sqs = aws_sdk_sqs::Client::new(&stack.sdk);
    sqs.send_message()
        .queue_url(&stack.names.refs["SearchIndexQueue"])
        .message_body(old.to_string())
        .send()
        .await
        .unwrap();
    let handled = eventually(QUEUED, || async {
        scan(&stack).await.iter().any(|i| s(i, "pk") == format!("DEDUPE#search-index#{id}")).then_some(())
    })
    .await;
    assert!(handled.is_some(), "the stale event was handled");
    assert_eq!(c.get(&q("cheapest", 1000), Some(&sender)).await.body["items"], json!([]));
    let searchable = scan(&stack).await.into_iter().filter(|i| s(i, "entity") == "SearchLeg").count();
    assert_eq!(searchable, 1, "only the car trip's leg is indexed");
    let recorded = scan(&stack).await.into_iter().filter(|i| s(i, "entity") == "SearchRecord").count();
    assert!(recorded >= 8, "searches are recorded: {recorded}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_a_verification_withdraws_the_trips_that_needed_it() {
    let stack = stack("withdraw").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (flyer, flyer_id) = c.verified_traveler(&email("wes"), &admin).await;
    let sender = c.sign_in(&email("sal")).await["access_token"].as_str().unwrap().to_string();
    let t = (time::OffsetDateTime::now_utc().unix_timestamp() / H + 48) * H;
    let leg = json!({"origin": "airport:ZRH", "destination": "airport:CDG", "depart_at": at(t + 2 * H),
                     "arrive_at": at(t + 3 * H), "carrier": "AF", "flight_number": "AF1115"});
    let constraints = json!({"max_weight_grams": 5000, "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
        "categories": ["documents"], "price_per_kg": 1000, "min_price": 500, "currency": "EUR"});
    let id = publish(&c, &flyer, "flight", &[leg], constraints, (t, t + 10 * H)).await;
    let query = format!(
        "/search/routes?from=airport:ZRH&to=airport:CDG&weight_grams=1000&category=documents&depart_after={}&arrive_before={}",
        at(t).replace('+', "%2B"),
        at(t + 12 * H).replace('+', "%2B")
    );
    let found = eventually(QUEUED, || async {
        let r = c.get(&query, Some(&sender)).await;
        (r.body["total"].as_u64() == Some(1)).then_some(())
    })
    .await;
    assert!(found.is_some(), "the published trip is found");
    assert_eq!(c.get(&format!("/trips/{id}"), Some(&sender)).await.status, 200);

    let r = c.put(&format!("/admin/users/{flyer_id}/verification"), Some(&admin), json!({"status": "rejected"})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let gone = eventually(QUEUED, || async {
        let r = c.get(&format!("/trips/{id}"), Some(&sender)).await;
        (r.status == 404).then_some(())
    })
    .await;
    assert!(gone.is_some(), "the trip of a traveler no longer verified is not readable by others");
    c.get(&format!("/trips/{id}"), Some(&sender)).await.problem(404, "not-found");
    let own = c.get(&format!("/trips/{id}"), Some(&flyer)).await;
    assert_eq!(own.body["status"], "unpublished", "{}", own.body);
    let out_of_search = eventually(QUEUED, || async {
        let r = c.get(&query, Some(&sender)).await;
        (r.body["total"].as_u64() == Some(0)).then_some(())
    })
    .await;
    assert!(out_of_search.is_some(), "the trip left search");
    // Publishing again needs a verified traveler.
    let again = c.put(&format!("/trips/{id}/publish"), Some(&flyer), json!({})).await;
    assert_eq!(again.status, 422, "{}", again.body);
}
