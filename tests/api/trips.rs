//! Trips, vehicles and documents over HTTP: the life cycle, every rule as a
//! problem+json, uploads checked after the fact, and privacy of drafts.
use handoff_tests::{at, stack, Answer, Client};
use reqwest::Method;
use serde_json::{json, Value};

const H: i64 = 3600;

/// A unique address: the local mailbox is shared by every stack.
fn email(name: &str) -> String {
    format!("{name}-{}@example.com", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// Two days from now, on the hour.
fn t0() -> i64 {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    (now / H + 48) * H
}

fn flight(from: &str, to: &str, dep: i64, arr: i64, number: &str) -> Value {
    json!({"origin": from, "destination": to, "depart_at": at(dep), "arrive_at": at(arr), "carrier": number.get(..2).unwrap_or(number), "flight_number": number})
}

fn constraints() -> Value {
    json!({"max_weight_grams": 5000, "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
           "categories": ["documents", "clothing"], "capacity_grams": 10000, "price_per_kg": 1000, "min_price": 1500, "currency": "EUR"})
}

/// Requests an upload, PUTs `bytes` to the presigned URL, completes it.
async fn upload(c: &Client, base: &str, tok: &str, doc_type: &str, content_type: &str, bytes: &[u8]) -> Answer {
    let r = c
        .post(
            &format!("{base}/documents"),
            Some(tok),
            json!({"type": doc_type, "content_type": content_type, "size_bytes": bytes.len()}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(r.body["document"]["status"], "pending");
    let url = r.body["upload"]["url"].as_str().unwrap();
    let put = c.http.put(url).header("content-type", content_type).body(bytes.to_vec()).send().await.unwrap();
    assert!(put.status().is_success(), "upload: {}", put.status());
    let id = r.body["document"]["document_id"].as_str().unwrap();
    let done = c.post(&format!("{base}/documents/{id}/complete"), Some(tok), json!({})).await;
    println!("calls POST …/documents/{{id}}/complete: {}", done.header("x-aws-calls").unwrap_or("-"));
    done
}

fn pdf() -> Vec<u8> {
    let mut b = b"%PDF-1.7\n".to_vec();
    b.extend(std::iter::repeat_n(b'x', 200));
    b
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trip_is_drafted_checked_published_and_ended() {
    let stack = stack("trips").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (tok, _) = c.verified_traveler(&email("tess"), &admin).await;
    let tok = tok.as_str();
    let t = t0();

    // Drafting: only travelers; every field checked.
    let sender = c.sign_in(&email("sally")).await["access_token"].as_str().unwrap().to_string();
    let draft = json!({"mode": "flight", "origin": "airport:CDG", "destination": "airport:MAN", "earliest_departure": at(t), "latest_arrival": at(t + 24 * H)});
    c.post("/trips", Some(&sender), draft.clone()).await.problem(403, "forbidden");
    let mut bad = draft.clone();
    bad["mode"] = json!("boat");
    c.post("/trips", Some(tok), bad).await.problem(422, "validation-failed");
    let mut bad = draft.clone();
    bad["origin"] = json!("city:0");
    c.post("/trips", Some(tok), bad).await.problem(422, "validation-failed");
    let mut bad = draft.clone();
    bad["origin"] = json!("city:2988507");
    c.post("/trips", Some(tok), bad).await.problem(422, "validation-failed"); // a flight starts at an airport
    let mut bad = draft.clone();
    bad["latest_arrival"] = json!(at(t - H));
    c.post("/trips", Some(tok), bad).await.problem(422, "validation-failed");
    let mut bad = draft.clone();
    bad["earliest_departure"] = json!("tomorrow");
    c.post("/trips", Some(tok), bad).await.problem(422, "validation-failed");

    let created = c.post("/trips", Some(tok), draft.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    println!("calls POST /trips: {}", created.header("x-aws-calls").unwrap());
    assert_eq!(created.body["status"], "draft");
    let id = created.body["trip_id"].as_str().unwrap().to_string();
    let base = format!("/trips/{id}");
    let legs = format!("{base}/legs");

    // Leg rules, each its own problem.
    c.post(&legs, Some(tok), flight("airport:LHR", "airport:MAN", t + H, t + 2 * H, "BA100"))
        .await
        .problem(422, "leg-not-contiguous");
    c.post(&legs, Some(tok), flight("airport:CDG", "airport:LHR", t + 2 * H, t + H, "AF100"))
        .await
        .problem(422, "arrival-before-departure");
    c.post(&legs, Some(tok), flight("airport:CDG", "airport:LHR", t - 2 * H, t - H, "AF100"))
        .await
        .problem(422, "leg-outside-trip-window");
    c.post(&legs, Some(tok), flight("airport:CDG", "airport:LHR", t + H, t + H + 300, "AF100"))
        .await
        .problem(422, "leg-implausible-speed");
    c.post(&legs, Some(tok), json!({"origin": "airport:CDG", "destination": "airport:LHR", "depart_at": at(t + H), "arrive_at": at(t + 2 * H)})).await.problem(422, "validation-failed");
    c.post(&legs, Some(tok), flight("airport:CDG", "airport:LHR", t + H, t + 2 * H, "A"))
        .await
        .problem(422, "validation-failed");
    let leg1 = c.post(&legs, Some(tok), flight("airport:CDG", "airport:LHR", t + H, t + 2 * H + 1800, "AF1680")).await;
    assert_eq!(leg1.status, 201, "{}", leg1.body);
    println!("calls POST /trips/{{id}}/legs: {}", leg1.header("x-aws-calls").unwrap());
    assert_eq!(leg1.body["legs"][0]["depart_local"], json!(handoff::domain::geo::local_time(t + H, "Europe/Paris")));
    c.post(&legs, Some(tok), flight("airport:LHR", "airport:MAN", t + 2 * H, t + 3 * H, "BA1388"))
        .await
        .problem(422, "leg-out-of-order");

    // Publishing needs the destination, constraints; constraints are checked.
    let publish = format!("{base}/publish");
    c.put(&publish, Some(tok), json!({})).await.problem(422, "trip-not-ready");
    let mut bad = constraints();
    bad["currency"] = json!("EURO");
    c.put(&format!("{base}/constraints"), Some(tok), bad).await.problem(422, "validation-failed");
    let mut bad = constraints();
    bad["categories"] = json!(["weapons"]);
    c.put(&format!("{base}/constraints"), Some(tok), bad).await.problem(422, "validation-failed");
    let mut bad = constraints();
    bad["max_weight_grams"] = json!(0);
    c.put(&format!("{base}/constraints"), Some(tok), bad).await.problem(422, "validation-failed");
    assert_eq!(c.put(&format!("{base}/constraints"), Some(tok), constraints()).await.status, 200);
    c.put(&publish, Some(tok), json!({})).await.problem(422, "trip-incomplete");
    let leg2 = c.post(&legs, Some(tok), flight("airport:LHR", "airport:MAN", t + 4 * H, t + 5 * H, "BA1388")).await;
    assert_eq!(leg2.status, 201, "{}", leg2.body);

    // Someone else's draft does not exist for them.
    let (other, _) = c.verified_traveler(&email("otto"), &admin).await;
    c.get(&base, Some(&other)).await.problem(404, "not-found");
    c.put(&publish, Some(&other), json!({})).await.problem(404, "not-found");
    c.call(Method::DELETE, &base, Some(&other), None).await.problem(404, "not-found");

    // Documents: presigned upload, then checked.
    let ok = upload(&c, &base, tok, "ticket", "application/pdf", &pdf()).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    assert_eq!(ok.body["status"], "accepted");
    let lie = upload(&c, &base, tok, "boarding_pass", "image/png", &pdf()).await;
    assert_eq!(lie.body["status"], "rejected", "{}", lie.body);
    assert!(lie.body["reason"].as_str().unwrap().contains("application/pdf"));
    c.post(
        &format!("{base}/documents"),
        Some(tok),
        json!({"type": "passport", "content_type": "application/pdf", "size_bytes": 100}),
    )
    .await
    .problem(422, "validation-failed");
    c.post(
        &format!("{base}/documents"),
        Some(tok),
        json!({"type": "ticket", "content_type": "application/zip", "size_bytes": 100}),
    )
    .await
    .problem(422, "validation-failed");
    c.post(
        &format!("{base}/documents"),
        Some(tok),
        json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": 50_000_000}),
    )
    .await
    .problem(422, "validation-failed");
    let pending = c
        .post(
            &format!("{base}/documents"),
            Some(tok),
            json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": 100}),
        )
        .await;
    let pid = pending.body["document"]["document_id"].as_str().unwrap();
    c.post(&format!("{base}/documents/{pid}/complete"), Some(tok), json!({}))
        .await
        .problem(409, "document-not-uploaded");

    // Published: visible to others, not editable, not deletable.
    let published = c.put(&publish, Some(tok), json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    println!("calls PUT /trips/{{id}}/publish: {}", published.header("x-aws-calls").unwrap());
    assert_eq!(published.body["status"], "published");
    let seen = c.get(&base, Some(&other)).await;
    assert_eq!(seen.status, 200);
    assert_eq!(seen.body["documents"], json!([]), "documents are the traveler's only");
    let mine = c.get(&base, Some(tok)).await;
    assert_eq!(mine.body["documents"].as_array().unwrap().len(), 3);
    c.post(&legs, Some(tok), flight("airport:MAN", "airport:LHR", t + 6 * H, t + 7 * H, "BA1389"))
        .await
        .problem(409, "trip-not-editable");
    c.put(&format!("{base}/constraints"), Some(tok), constraints()).await.problem(409, "trip-not-editable");
    c.call(Method::DELETE, &base, Some(tok), None).await.problem(409, "trip-wrong-status");
    c.put(&publish, Some(tok), json!({})).await.problem(409, "trip-wrong-status");

    // Unpublish, list by status, cancel.
    assert_eq!(c.put(&format!("{base}/unpublish"), Some(tok), json!({})).await.status, 200);
    c.put(&format!("{base}/unpublish"), Some(tok), json!({})).await.problem(409, "trip-wrong-status");
    let listed = c.get("/me/trips?status=unpublished", Some(tok)).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    assert_eq!(listed.body["items"][0]["trip_id"], id.as_str());
    assert_eq!(c.get("/me/trips?status=published", Some(tok)).await.body["items"], json!([]));
    c.get("/me/trips?status=flying", Some(tok)).await.problem(422, "validation-failed");
    let cancelled = c.post(&format!("{base}/cancel"), Some(tok), json!({"reason": "flight cancelled"})).await;
    assert_eq!(cancelled.body["status"], "cancelled", "{}", cancelled.body);
    c.get(&base, Some(&other)).await.problem(404, "not-found");

    // A draft is deleted, with its documents.
    let d = c.post("/trips", Some(tok), draft.clone()).await;
    let did = d.body["trip_id"].as_str().unwrap();
    upload(&c, &format!("/trips/{did}"), tok, "ticket", "application/pdf", &pdf()).await;
    assert_eq!(c.call(Method::DELETE, &format!("/trips/{did}"), Some(tok), None).await.status, 204);
    c.get(&format!("/trips/{did}"), Some(tok)).await.problem(404, "not-found");
    let left = handoff_tests::scan(&stack)
        .await
        .into_iter()
        .filter(|i| handoff_tests::s(i, "pk") == format!("TRIP#{did}"))
        .count();
    assert_eq!(left, 0);

    // An unverified traveler cannot publish.
    let u = c.sign_in(&email("una")).await;
    let utok = u["access_token"].as_str().unwrap();
    c.call(Method::PATCH, "/me", Some(utok), Some(json!({"roles": ["traveler"]}))).await;
    let utok = c.post("/auth/refresh", None, json!({"refresh_token": u["refresh_token"]})).await.body["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let ut = c.post("/trips", Some(&utok), json!({"mode": "train", "origin": "city:2988507", "destination": "city:2643743", "earliest_departure": at(t), "latest_arrival": at(t + 12 * H)})).await;
    let ubase = format!("/trips/{}", ut.body["trip_id"].as_str().unwrap());
    let l = c.post(&format!("{ubase}/legs"), Some(&utok), json!({"origin": "city:2988507", "destination": "city:2643743", "depart_at": at(t + H), "arrive_at": at(t + 4 * H)})).await;
    assert_eq!(l.status, 201, "{}", l.body);
    c.put(&format!("{ubase}/constraints"), Some(&utok), constraints()).await;
    let refused = c.put(&format!("{ubase}/publish"), Some(&utok), json!({})).await;
    refused.problem(422, "trip-not-ready");
    assert!(refused.body["detail"].as_str().unwrap().contains("verified traveler"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn car_legs_need_a_verified_vehicle_of_ones_own() {
    let stack = stack("vehicles").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (tok, _) = c.verified_traveler(&email("vic"), &admin).await;
    let tok = tok.as_str();
    let (other, _) = c.verified_traveler(&email("oz"), &admin).await;
    let t = t0();

    c.post("/vehicles", Some(tok), json!({"make": "", "model": "Model Y", "plate": "A", "capacity_grams": 0}))
        .await
        .problem(422, "validation-failed");
    let v = c
        .post(
            "/vehicles",
            Some(tok),
            json!({"make": "Tesla", "model": "Model Y", "plate": "ge 123-45", "capacity_grams": 80000}),
        )
        .await;
    assert_eq!(v.status, 201, "{}", v.body);
    assert_eq!(v.body["plate"], "GE 123-45");
    assert_eq!(v.body["verification"], "unverified");
    let vid = v.body["vehicle_id"].as_str().unwrap().to_string();
    let vbase = format!("/vehicles/{vid}");
    c.get(&vbase, Some(&other)).await.problem(404, "not-found");

    let trip = c.post("/trips", Some(tok), json!({"mode": "car", "origin": "city:2661604", "destination": "city:2660646", "earliest_departure": at(t), "latest_arrival": at(t + 12 * H)})).await;
    assert_eq!(trip.status, 201, "{}", trip.body);
    let legs = format!("/trips/{}/legs", trip.body["trip_id"].as_str().unwrap());
    // Basel → Geneva, about 200 km.
    let leg = |vehicle: &str| json!({"origin": "city:2661604", "destination": "city:2660646", "depart_at": at(t + H), "arrive_at": at(t + 4 * H), "vehicle_id": vehicle});
    c.post(&legs, Some(tok), json!({"origin": "city:2661604", "destination": "city:2660646", "depart_at": at(t + H), "arrive_at": at(t + 4 * H)})).await.problem(422, "validation-failed");
    c.post(&legs, Some(tok), leg(&vid)).await.problem(422, "vehicle-not-verified");

    c.put(&format!("/admin/vehicles/{vid}/verification"), Some(tok), json!({"status": "verified"}))
        .await
        .problem(403, "forbidden");
    c.put(&format!("/admin/vehicles/{vid}/verification"), Some(&admin), json!({"status": "verified"}))
        .await
        .problem(422, "documents-missing");
    c.post(
        &format!("{vbase}/documents"),
        Some(tok),
        json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": 100}),
    )
    .await
    .problem(422, "validation-failed");
    let reg = upload(&c, &vbase, tok, "registration", "application/pdf", &pdf()).await;
    assert_eq!(reg.body["status"], "accepted", "{}", reg.body);
    let mut jpeg = vec![0xFF, 0xD8, 0xFF, 0xE0];
    jpeg.extend(std::iter::repeat_n(0u8, 100));
    let ins = upload(&c, &vbase, tok, "insurance", "image/jpeg", &jpeg).await;
    assert_eq!(ins.body["status"], "accepted", "{}", ins.body);
    c.put(&format!("/admin/vehicles/{vid}/verification"), Some(&admin), json!({"status": "maybe"}))
        .await
        .problem(422, "validation-failed");
    let verified =
        c.put(&format!("/admin/vehicles/{vid}/verification"), Some(&admin), json!({"status": "verified"})).await;
    assert_eq!(verified.status, 200, "{}", verified.body);
    assert_eq!(c.get(&vbase, Some(tok)).await.body["documents"].as_array().unwrap().len(), 2);

    // Someone else's verified vehicle is not yours to drive.
    let ov = c
        .post(
            "/vehicles",
            Some(&other),
            json!({"make": "VW", "model": "ID.4", "plate": "ZH 1", "capacity_grams": 50000}),
        )
        .await;
    c.post(&legs, Some(tok), leg(ov.body["vehicle_id"].as_str().unwrap())).await.problem(422, "validation-failed");
    let ok = c.post(&legs, Some(tok), leg(&vid)).await;
    assert_eq!(ok.status, 201, "{}", ok.body);
    assert_eq!(ok.body["legs"][0]["vehicle_id"], vid.as_str());
    // 200 km in 20 minutes is not a car.
    let fast = json!({"origin": "city:2660646", "destination": "city:2661604", "depart_at": at(t + 5 * H), "arrive_at": at(t + 5 * H + 1200), "vehicle_id": vid});
    c.post(&legs, Some(tok), fast).await.problem(422, "leg-implausible-speed");

    // Publishing checks the vehicle again: big enough for what the trip promises.
    let tid = trip.body["trip_id"].as_str().unwrap();
    let mut big = json!({"max_weight_grams": 20000, "max_dimensions_cm": {"length_cm": 80, "width_cm": 60, "height_cm": 50}, "categories": ["clothing"],
                         "capacity_grams": 100000, "price_per_kg": 300, "min_price": 800, "currency": "CHF"});
    assert_eq!(c.put(&format!("/trips/{tid}/constraints"), Some(tok), big.clone()).await.status, 200);
    let refused = c.put(&format!("/trips/{tid}/publish"), Some(tok), json!({})).await;
    refused.problem(422, "vehicle-too-small");
    big["capacity_grams"] = json!(60000);
    assert_eq!(c.put(&format!("/trips/{tid}/constraints"), Some(tok), big).await.status, 200);
    let published = c.put(&format!("/trips/{tid}/publish"), Some(tok), json!({})).await;
    assert_eq!(published.status, 200, "{}", published.body);
    println!("calls PUT /trips/{{id}}/publish (car trip): {}", published.header("x-aws-calls").unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accepted_document_cannot_be_replaced_through_its_upload_url() {
    let stack = stack("immutable").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (tok, _) = c.verified_traveler(&email("ivy"), &admin).await;
    let t = t0();
    let trip = c
        .post(
            "/trips",
            Some(&tok),
            json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:CDG",
                                             "earliest_departure": at(t), "latest_arrival": at(t + 10 * H)}),
        )
        .await;
    let base = format!("/trips/{}", trip.body["trip_id"].as_str().unwrap());
    let original = pdf();
    let r = c
        .post(
            &format!("{base}/documents"),
            Some(&tok),
            json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": original.len()}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let url = r.body["upload"]["url"].as_str().unwrap().to_string();
    let put = |bytes: Vec<u8>| c.http.put(&url).header("content-type", "application/pdf").body(bytes).send();
    assert!(put(original.clone()).await.unwrap().status().is_success());
    let id = r.body["document"]["document_id"].as_str().unwrap();
    let done = c.post(&format!("{base}/documents/{id}/complete"), Some(&tok), json!({})).await;
    assert_eq!(done.body["status"], "accepted", "{}", done.body);
    let accepted_key = done.body["object_key"].as_str().unwrap().to_string();
    assert!(accepted_key.starts_with("accepted/"), "{accepted_key}");

    // The URL is still within its 15 minutes: whatever it uploads now is never the accepted file.
    let mut forged = b"%PDF-1.7\n".to_vec();
    forged.resize(original.len(), b'!');
    let _ = put(forged).await.unwrap();
    let s3 = aws_sdk_s3::Client::new(&stack.sdk);
    let bucket = stack.names.refs["FilesBucket"].clone();
    let stored = s3.get_object().bucket(&bucket).key(&accepted_key).send().await.unwrap();
    let bytes = stored.body.collect().await.unwrap().into_bytes().to_vec();
    assert_eq!(bytes, original, "the accepted file is the one that was checked");
    let again = c.post(&format!("{base}/documents/{id}/complete"), Some(&tok), json!({})).await;
    assert_eq!(again.body["object_key"], accepted_key.as_str());
    let shown = c.get(&base, Some(&tok)).await;
    assert_eq!(shown.body["documents"][0]["object_key"], accepted_key.as_str(), "{}", shown.body);

    // A trip keeps at most 10 documents: the 11th is refused.
    let doc = json!({"type": "ticket", "content_type": "application/pdf", "size_bytes": 1000});
    for _ in 1..10 {
        assert_eq!(c.post(&format!("{base}/documents"), Some(&tok), doc.clone()).await.status, 201);
    }
    c.post(&format!("{base}/documents"), Some(&tok), doc).await.problem(409, "too-many-documents");
}
