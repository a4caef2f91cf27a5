//! Outbound webhooks end to end: endpoints on private addresses refused;
//! the local receiver gets signed deliveries and verifies them; a secret
//! rotated signs beside the old one; a failing receiver gets every retry,
//! its endpoint is disabled and its owner told; a delivery sent again; and
//! outside the local stack http://localhost is refused too.
use handoff::platform::stripe::verify_signature;
use handoff_tests::{at, email, eventually, now, ok, stack, Client, QUEUED};
use reqwest::Method;
use serde_json::{json, Value};

async fn received(c: &Client, name: &str) -> Vec<Value> {
    c.get(&format!("/_local/webhooks/{name}"), None).await.body.as_array().cloned().unwrap_or_default()
}

async fn deliveries(c: &Client, tok: &str, endpoint: &str) -> Vec<Value> {
    ok(c.get(&format!("/webhook-endpoints/{endpoint}/deliveries"), Some(tok)).await).await["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_deliveries_retries_disabling_and_redelivery() {
    let stack = stack("webhooks").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (ann, _) = c.verified_traveler(&email("ann"), &admin).await;
    let sid_email = email("sid");
    let (sid, sid_id) = c.verified_traveler(&sid_email, &admin).await;
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (good, bad) = (format!("good-{tag}"), format!("bad-{tag}"));
    let hook = |name: &str| format!("{}/_local/webhooks/{name}", stack.url);

    // Server-side request forgery: private, loopback, link-local or plain http endpoints are refused.
    for url in [
        "https://10.0.0.5/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[fd00::1]/x",
        "http://hooks.example.com/x",
    ] {
        let r = c.post("/webhook-endpoints", Some(&sid), json!({"url": url, "events": ["ItineraryRequested"]})).await;
        r.problem(422, "validation-failed");
        assert_eq!(r.body["errors"][0]["field"], "url", "{url}: {}", r.body);
    }
    c.post("/webhook-endpoints", Some(&sid), json!({"url": hook(&good), "events": ["NoSuchEvent"]}))
        .await
        .problem(422, "validation-failed");

    let ep = ok(c
        .post(
            "/webhook-endpoints",
            Some(&sid),
            json!({"url": hook(&good), "events": ["ItineraryRequested", "BookingAccepted"], "description": "ERP"}),
        )
        .await)
    .await;
    let (id, secret) = (ep["endpoint_id"].as_str().unwrap().to_string(), ep["secret"].as_str().unwrap().to_string());
    assert!(secret.starts_with("whsec_"), "{ep}");
    let listed = ok(c.get("/webhook-endpoints", Some(&sid)).await).await;
    assert!(!listed.to_string().contains(&secret), "the secret is shown once only: {listed}");

    // A booking: the receiver gets ItineraryRequested, signed with the secret.
    let (_, booking) = crate::notifications::book(&c, &ann, &sid).await;
    let got = eventually(QUEUED, || async { received(&c, &good).await.into_iter().next() }).await.expect("a delivery");
    let body = got["body"].as_str().unwrap();
    let sig = got["headers"]["handoff-signature"].as_str().unwrap();
    verify_signature(body.as_bytes(), Some(sig), std::slice::from_ref(&secret), now(), 300)
        .expect("signed with the secret");
    assert!(verify_signature(body.as_bytes(), Some(sig), &["whsec_other".to_string()], now(), 300).is_err());
    let payload: Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        (payload["type"].as_str(), payload["data"]["sender_id"].as_str()),
        (Some("ItineraryRequested"), Some(sid_id.as_str()))
    );
    let d = deliveries(&c, &sid, &id).await;
    assert_eq!(
        (d[0]["status"].as_str(), d[0]["attempts"].as_u64(), d[0]["last_status_code"].as_u64()),
        (Some("delivered"), Some(1), Some(200)),
        "{d:?}"
    );

    // Rotation: both secrets sign until the old one expires.
    let rotated = ok(c.post(&format!("/webhook-endpoints/{id}/rotate-secret"), Some(&sid), json!({})).await).await;
    let new_secret = rotated["secret"].as_str().unwrap().to_string();
    assert!(rotated["secret_rotation_ends_at"].as_i64().unwrap() > now());
    ok(c.put(&format!("/bookings/{booking}/accept"), Some(&ann), json!({})).await).await;
    let got =
        eventually(QUEUED, || async { received(&c, &good).await.into_iter().nth(1) }).await.expect("a second delivery");
    let (body, sig) = (got["body"].as_str().unwrap(), got["headers"]["handoff-signature"].as_str().unwrap());
    assert_eq!(sig.matches("v1=").count(), 2, "{sig}");
    for s in [&secret, &new_secret] {
        verify_signature(body.as_bytes(), Some(sig), std::slice::from_ref(s), now(), 300)
            .expect("each secret verifies");
    }

    // A receiver that keeps failing: every delivery retried with backoff, then the endpoint disabled.
    ok(c.put(&format!("/_local/webhooks/{bad}?status=500"), None, json!({})).await).await;
    let bad_ep = ok(c
        .post("/webhook-endpoints", Some(&sid), json!({"url": hook(&bad), "events": ["ItineraryRequested"]}))
        .await)
    .await;
    let bad_id = bad_ep["endpoint_id"].as_str().unwrap().to_string();
    for _ in 0..3 {
        crate::notifications::book(&c, &ann, &sid).await;
    }
    eventually(QUEUED, || async {
        let d = deliveries(&c, &sid, &bad_id).await;
        (d.len() == 3 && d.iter().all(|d| d["attempts"].as_u64() == Some(1))).then_some(())
    })
    .await
    .expect("three first attempts");
    let start = now();
    for k in 1..=10 {
        let t = at(start + 1200 * k).replace('+', "%2B");
        let r = ok(c.post(&format!("/_local/schedules/RetryWebhooksFunction?time={t}"), None, json!({})).await).await;
        assert_eq!(r["attempted"].as_u64(), Some(3), "run {k}: {r}");
    }
    let d = deliveries(&c, &sid, &bad_id).await;
    assert!(d.iter().all(|d| d["status"] == "failed" && d["attempts"] == 11 && d["last_status_code"] == 500), "{d:?}");
    assert_eq!(received(&c, &bad).await.len(), 33, "eleven attempts of three deliveries");
    let e = ok(c.get(&format!("/webhook-endpoints/{bad_id}"), Some(&sid)).await).await;
    assert_eq!(e["enabled"], false, "{e}");
    // Its owner is told (a mandatory notice).
    eventually(QUEUED, || async {
        let m = c.get(&format!("/_local/mailbox?to={sid_email}"), None).await.body;
        m.as_array().unwrap().iter().any(|m| m["subject"] == "Your webhook endpoint was disabled").then_some(())
    })
    .await
    .expect("the owner is emailed");
    // Nothing more goes to a disabled endpoint.
    let t = at(start + 20_000).replace('+', "%2B");
    let r = ok(c.post(&format!("/_local/schedules/RetryWebhooksFunction?time={t}"), None, json!({})).await).await;
    assert_eq!(r["attempted"].as_u64(), Some(0), "{r}");

    // Fixed: enabled again, a failed delivery sent again.
    ok(c.put(&format!("/_local/webhooks/{bad}?status=200"), None, json!({})).await).await;
    let first = d[0]["delivery_id"].as_str().unwrap().to_string();
    c.post(&format!("/webhook-endpoints/{bad_id}/deliveries/{first}/redeliver"), Some(&sid), json!({}))
        .await
        .problem(409, "endpoint-disabled");
    ok(c.call(Method::PATCH, &format!("/webhook-endpoints/{bad_id}"), Some(&sid), Some(json!({"enabled": true})))
        .await)
    .await;
    let again =
        ok(c.post(&format!("/webhook-endpoints/{bad_id}/deliveries/{first}/redeliver"), Some(&sid), json!({})).await)
            .await;
    assert_eq!((again["status"].as_str(), again["attempts"].as_u64()), (Some("delivered"), Some(12)), "{again}");
    let last = received(&c, &bad).await.pop().unwrap();
    let p: Value = serde_json::from_str(last["body"].as_str().unwrap()).unwrap();
    assert_eq!(p["id"], first.as_str(), "the same event id, to deduplicate by");
    // Another sender's view: 404.
    c.get(&format!("/webhook-endpoints/{bad_id}"), Some(&ann)).await.problem(404, "not-found");
    let r = c.call(Method::DELETE, &format!("/webhook-endpoints/{bad_id}"), Some(&sid), None).await;
    assert_eq!(r.status, 204);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outside_the_local_stack_localhost_is_refused_too() {
    let mut opts = handoff_tests::options("webhooks-prod");
    opts.parameters.insert("WebhookAllowLocalHttp".into(), "false".into());
    let stack = handoff_tests::TestStack(handoff_local::start(opts).await.expect("the local stack starts"));
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (sid, _) = c.verified_traveler(&email("sid"), &admin).await;
    for url in [
        format!("{}/_local/webhooks/x", stack.url),
        "https://localhost/x".into(),
        "https://127.0.0.1/x".into(),
        "https://[::1]/x".into(),
    ] {
        c.post("/webhook-endpoints", Some(&sid), json!({"url": url, "events": ["ItineraryRequested"]}))
            .await
            .problem(422, "validation-failed");
    }
}
