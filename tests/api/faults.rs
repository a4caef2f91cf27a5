//! The sign-in flow with 20% of AWS calls failing (throttling, timeouts,
//! 500s after the write happened). Every answer is a success or a clean,
//! retryable 503/429 (or 409 while an idempotent retry is still in flight);
//! a client retrying with the same Idempotency-Key gets through; afterwards
//! nothing is half-written and no event is lost or doubled.
use handoff_tests::{at, eventually, options, s, scan, Answer, Client};
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Default)]
struct Seen(Mutex<BTreeMap<u16, u32>>);

impl Seen {
    fn add(&self, status: u16) {
        *self.0.lock().unwrap().entry(status).or_default() += 1;
    }
}

/// Sends until the answer is final, with one Idempotency-Key for all tries.
async fn step(c: &Client, seen: &Seen, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
    let key = uuid::Uuid::new_v4().to_string();
    // A claim whose release failed blocks its key for up to 10 s (the route timeout): allow several.
    let deadline = std::time::Instant::now() + Duration::from_secs(90);
    while std::time::Instant::now() < deadline {
        let mut headers = vec![("idempotency-key", key.as_str())];
        if body.is_some() {
            headers.push(("content-type", "application/json"));
        }
        let a = c.raw(method.clone(), path, token, &headers, body.as_ref().map(|b| b.to_string().into_bytes())).await;
        seen.add(a.status.as_u16());
        if std::env::var_os("FAULT_DEBUG").is_some() {
            eprintln!(
                "{method} {path} key={key} -> {} {}",
                a.status,
                a.body.get("type").and_then(|t| t.as_str()).unwrap_or("")
            );
        }
        assert!(a.status.as_u16() != 500, "{method} {path}: a 500 is a bug: {}", a.body);
        let retry = match a.status.as_u16() {
            503 => true,
            409 => a.body["type"].as_str().is_some_and(|t| t.ends_with("idempotency-in-progress")),
            _ => false,
        };
        if !retry {
            return a;
        }
        assert_eq!(a.header("content-type"), Some("application/problem+json"), "{}", a.body);
        // Retry-After is in whole seconds; a client may come back sooner, and this one does.
        let wait_ms = if a.status == 503 { 200 } else { 500 };
        tokio::time::sleep(Duration::from_millis(wait_ms)).await;
    }
    panic!("{method} {path} never got a final answer");
}

/// One user's journey; `false` if it stopped at a clean 429.
async fn journey(c: &Client, seen: &Seen, email: &str) -> bool {
    let Some(v) = sign_in(c, seen, email).await else { return false };
    let access = v["access_token"].as_str().unwrap().to_string();
    let me = step(c, seen, Method::GET, "/me", Some(&access), None).await;
    assert_eq!(me.status, 200, "me: {}", me.body);
    assert_eq!(me.body["email"], email);
    let Some(r) = refresh(c, seen, email, &v["refresh_token"]).await else { return false };
    let out = step(c, seen, Method::POST, "/auth/logout", r["access_token"].as_str(), None).await;
    assert_eq!(out.status, 204, "logout: {}", out.body);
    let old =
        step(c, seen, Method::POST, "/auth/refresh", None, Some(json!({"refresh_token": r["refresh_token"]}))).await;
    assert_eq!(old.status, 401, "the refresh token of a closed session: {}", old.body);
    true
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_survives_injected_faults() {
    if std::env::var_os("FAULT_DEBUG").is_some() {
        handoff::platform::observability::init_tracing();
    }
    let mut opts = options("faults");
    opts.fault_rate = Some(0.2);
    opts.visibility_timeout = Some(1);
    opts.parameters.insert("OtpRequestsPerIp".into(), "1000".into());
    let stack = handoff_local::start(opts).await.unwrap();
    let c = Client::new(&stack);
    let seen = Seen::default();
    let users: Vec<String> = (0..8).map(|i| format!("fault{i}@example.com")).collect();
    let done = futures::future::join_all(users.iter().map(|u| journey(&c, &seen, u))).await;
    let completed = done.iter().filter(|d| **d).count();
    let statuses = seen.0.lock().unwrap().clone();
    println!("fault run: {completed}/{} journeys completed; answers seen: {statuses:?}", users.len());
    assert!(statuses.get(&503).copied().unwrap_or(0) > 0, "faults were injected and surfaced as 503s");
    assert!(completed >= 1);

    // Nothing half-written: every email claim has its user, and every user its claim.
    let items = scan(&stack).await;
    let of = |e: &str| items.iter().filter(|i| s(i, "entity") == e).cloned().collect::<Vec<_>>();
    let users_by_id: BTreeSet<String> = of("User").iter().map(|u| s(u, "user_id")).collect();
    let claimed: BTreeSet<String> = of("EmailClaim").iter().map(|e| s(e, "user_id")).collect();
    assert_eq!(users_by_id, claimed, "users and email claims match one to one");
    let signed_up_emails: BTreeSet<String> = of("User").iter().map(|u| s(u, "email")).collect();
    for (u, d) in users.iter().zip(&done) {
        if *d {
            assert!(signed_up_emails.contains(u), "{u} was created");
        }
    }

    // Nothing lost or doubled: every outbox event reaches the audit log exactly once.
    let outbox: BTreeSet<String> =
        of("OutboxEvent").iter().map(|o| s(o, "pk").trim_start_matches("OUTBOX#").to_string()).collect();
    // A record that failed maxReceiveCount times waits in the DLQ (rare at 20%: 0.19^5 per event); the
    // redrive path puts it back, so "nothing lost" includes what passed through the DLQ.
    let http = reqwest::Client::new();
    let settled = eventually(120, || async {
        let _ = http.post(format!("{}/_local/redrive/AuditWriterDLQ", stack.url)).send().await;
        let items = scan(&stack).await;
        let audited: Vec<String> =
            items.iter().filter(|i| s(i, "entity") == "AuditEntry").map(|a| s(a, "event_id")).collect();
        let set: BTreeSet<String> = audited.iter().cloned().collect();
        (set == outbox).then_some((audited, items))
    })
    .await;
    let Some((audited, items)) = settled else {
        let items = scan(&stack).await;
        let audited: BTreeSet<String> =
            items.iter().filter(|i| s(i, "entity") == "AuditEntry").map(|a| s(a, "event_id")).collect();
        let missing: Vec<String> = items
            .iter()
            .filter(|i| s(i, "entity") == "OutboxEvent" && !audited.contains(s(i, "pk").trim_start_matches("OUTBOX#")))
            .map(|i| format!("{} {}", s(i, "pk"), s(i, "detail_type")))
            .collect();
        let extra: Vec<&String> = audited.iter().filter(|a| !outbox.contains(*a)).collect();
        panic!("not every outbox event was audited: missing {missing:?}, unexpected {extra:?}");
    };
    assert_eq!(audited.len(), outbox.len(), "no event was audited twice");
    let actions = |a: &str| items.iter().filter(|i| s(i, "entity") == "AuditEntry" && s(i, "action") == a).count();
    assert_eq!(actions("UserSignedUp"), users_by_id.len(), "one UserSignedUp per user");
    assert_eq!(
        actions("SessionStarted"),
        items.iter().filter(|i| s(i, "entity") == "Session").count(),
        "one SessionStarted per session"
    );
}

/// Signs in through faults as a client should (README): when the answer to
/// a verify that went through is lost, its code is spent, so ask for a new
/// one. A code request whose answer was lost still counts towards the five
/// an email may ask from one address, so each new try comes from another
/// network, as a phone's would. A request that failed may still deliver its
/// mail late, after a newer code's (an SES call the function gave up on), so
/// a code that is wrong is followed by the other codes mailed since the
/// request, newest first, as a person with two mails would. A clean 429
/// (retries of lost answers count towards the five per address) is met on
/// another network too. The token pair; `None` if every round stopped at a
/// clean 429.
async fn sign_in(c: &Client, seen: &Seen, email: &str) -> Option<Value> {
    let mut limited = false;
    for round in 1..=6 {
        let from = c.from_address(&format!("198.51.100.{round}"));
        let before = c.codes_for(email).await.len();
        let a = step(&from, seen, Method::POST, "/auth/otp", None, Some(json!({"email": email}))).await;
        if a.status == 429 {
            limited = true;
            continue;
        }
        assert_eq!(a.status, 202, "{}", a.body);
        let mut tried = BTreeSet::new();
        for code in c.codes_for(email).await.split_off(before).into_iter().rev() {
            if !tried.insert(code.clone()) {
                continue;
            }
            let body = json!({"email": email, "code": code});
            let v = step(c, seen, Method::POST, "/auth/otp/verify", None, Some(body)).await;
            if v.status == 200 {
                return Some(v.body);
            }
            let kind = v.body["type"].as_str().unwrap_or_default();
            if kind == "https://problems.handoff.dev/otp-not-found" {
                break;
            }
            assert_eq!(kind, "https://problems.handoff.dev/otp-wrong", "verify: {}", v.body);
        }
    }
    if limited {
        return None;
    }
    panic!("{email} never signed in");
}

/// Refreshes through faults; after a lost answer the token is spent (and
/// presenting it again ended the session), so the client signs in again.
async fn refresh(c: &Client, seen: &Seen, email: &str, refresh_token: &Value) -> Option<Value> {
    let r = step(c, seen, Method::POST, "/auth/refresh", None, Some(json!({ "refresh_token": refresh_token }))).await;
    if r.status == 200 {
        return Some(r.body);
    }
    assert_eq!(r.status, 401, "refresh: {}", r.body);
    sign_in(c, seen, email).await
}

/// A traveler becomes verified and publishes a two-leg flight; its trip id.
async fn publish_journey(c: &Client, seen: &Seen, email: &str, admin: &str, t: i64) -> String {
    let tokens = sign_in(c, seen, email).await.expect("signed in");
    let tok = tokens["access_token"].as_str().unwrap().to_string();
    let me = step(c, seen, Method::PATCH, "/me", Some(&tok), Some(json!({"roles": ["traveler"]}))).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let id = me.body["user_id"].as_str().unwrap();
    let v = step(
        c,
        seen,
        Method::PUT,
        &format!("/admin/users/{id}/verification"),
        Some(admin),
        Some(json!({"status": "verified"})),
    )
    .await;
    assert_eq!(v.status, 200, "{}", v.body);
    // The role counts at once (the authorizer reads it with the session): no refresh needed.
    let trip = step(c, seen, Method::POST, "/trips", Some(&tok), Some(json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:LHR", "earliest_departure": at(t), "latest_arrival": at(t + 86_400)}))).await;
    assert_eq!(trip.status, 201, "{}", trip.body);
    let trip_id = trip.body["trip_id"].as_str().unwrap().to_string();
    for (from, to, dep, n) in
        [("airport:ZRH", "airport:CDG", t + 3600, "AF1115"), ("airport:CDG", "airport:LHR", t + 5 * 3600, "AF1680")]
    {
        let leg = step(c, seen, Method::POST, &format!("/trips/{trip_id}/legs"), Some(&tok), Some(json!({"origin": from, "destination": to, "depart_at": at(dep), "arrive_at": at(dep + 5400), "carrier": "AF", "flight_number": n}))).await;
        assert_eq!(leg.status, 201, "{}", leg.body);
    }
    let cons = json!({"max_weight_grams": 5000, "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30}, "categories": ["documents"], "price_per_kg": 1000, "min_price": 1000, "currency": "EUR"});
    assert_eq!(
        step(c, seen, Method::PUT, &format!("/trips/{trip_id}/constraints"), Some(&tok), Some(cons)).await.status,
        200
    );
    let p = step(c, seen, Method::PUT, &format!("/trips/{trip_id}/publish"), Some(&tok), Some(json!({}))).await;
    assert_eq!(p.status, 200, "{}", p.body);
    trip_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_and_indexing_survive_injected_faults() {
    let mut opts = options("trip-faults");
    opts.fault_rate = Some(0.2);
    opts.visibility_timeout = Some(1);
    opts.parameters.insert("OtpRequestsPerIp".into(), "1000".into());
    let stack = handoff_local::start(opts).await.unwrap();
    let c = Client::new(&stack);
    let seen = Seen::default();
    let admin_email = format!("admin-{}@handoff.dev", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    handoff_local::demo::load(
        &stack.table,
        &json!({"users": [{"email": admin_email, "roles": ["admin"]}]}).to_string(),
    )
    .await
    .unwrap();
    let admin =
        sign_in(&c, &seen, &admin_email).await.expect("admin signed in")["access_token"].as_str().unwrap().to_string();
    let t = (time::OffsetDateTime::now_utc().unix_timestamp() / 3600 + 48) * 3600;
    let emails: Vec<String> =
        (0..4).map(|i| format!("tf{i}-{}@example.com", &uuid::Uuid::new_v4().simple().to_string()[..8])).collect();
    let trips: Vec<String> =
        futures::future::join_all(emails.iter().map(|e| publish_journey(&c, &seen, e, &admin, t))).await;
    let statuses = seen.0.lock().unwrap().clone();
    println!("trip fault run: {} trips published; answers seen: {statuses:?}", trips.len());
    assert!(statuses.get(&503).copied().unwrap_or(0) > 0, "faults were injected");

    // Retries created nothing twice: one trip per traveler, two legs each.
    let items = scan(&stack).await;
    let stored: Vec<_> = items.iter().filter(|i| s(i, "entity") == "Trip").collect();
    assert_eq!(stored.len(), trips.len(), "one trip per journey");
    for tr in &stored {
        assert_eq!(tr["legs"].as_l().unwrap().len(), 2, "no leg added twice");
        assert_eq!(s(tr, "status"), "published");
    }
    // Nothing lost: every published trip reaches the search projection, once, at its revision.
    let http = reqwest::Client::new();
    let indexed = eventually(120, || async {
        for dlq in ["SearchIndexDLQ", "AuditWriterDLQ"] {
            let _ = http.post(format!("{}/_local/redrive/{dlq}", stack.url)).send().await;
        }
        let items = scan(&stack).await;
        let legs = items.iter().filter(|i| s(i, "entity") == "SearchLeg").count();
        (legs == 2 * trips.len()).then_some(items)
    })
    .await
    .expect("every published trip is indexed");
    for id in &trips {
        let trip = indexed.iter().find(|i| s(i, "pk") == format!("TRIP#{id}")).unwrap();
        let state = indexed.iter().find(|i| s(i, "pk") == format!("SEARCHTRIP#{id}")).expect("indexed");
        assert_eq!(
            state["revision"].as_n().unwrap(),
            trip["version"].as_n().unwrap(),
            "the projection is at the trip's revision"
        );
    }
    // And a sender finds them (through the faults too).
    let sender = sign_in(&c, &seen, &format!("ts-{}@example.com", &uuid::Uuid::new_v4().simple().to_string()[..8]))
        .await
        .expect("sender signed in")["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let q = format!("/search/routes?from=airport:ZRH&to=airport:LHR&depart_after={}&arrive_before={}&weight_grams=500&category=documents&sort=cheapest&limit=50", at(t).replace('+', "%2B"), at(t + 86_400));
    let found = step(&c, &seen, Method::GET, &q, Some(&sender), None).await;
    assert_eq!(found.status, 200, "{}", found.body);
    // Four travelers on the same flights at the same price: all four are offered.
    let direct = found.body["items"].as_array().unwrap().iter().filter(|i| i["trips"] == 1).count();
    assert_eq!(direct, trips.len(), "{}", found.body);
}
