//! The patches of infra/localstripe_server.py, each through localstripe's
//! HTTP API (the payment flows in payments.rs use them all): accounts,
//! idempotency keys, PaymentIntent parameters and events, faults.
use handoff_tests::stripe_url;
use serde_json::Value;

fn account() -> String {
    format!("sk_test_{}", uuid::Uuid::new_v4().simple())
}

async fn call(
    key: &str,
    method: reqwest::Method,
    path: &str,
    form: &[(&str, &str)],
    idem: Option<&str>,
) -> (u16, Value) {
    let r = reqwest::Client::new().request(method.clone(), format!("{}{path}", stripe_url())).bearer_auth(key);
    let mut r = if method == reqwest::Method::GET { r.query(form) } else { r.form(form) };
    if let Some(k) = idem {
        r = r.header("Idempotency-Key", k);
    }
    let r = r.send().await.unwrap();
    let status = r.status().as_u16();
    let replayed = r.headers().get("idempotent-replayed").is_some();
    let mut v: Value = r.json().await.unwrap();
    v["_replayed"] = Value::Bool(replayed);
    (status, v)
}

#[tokio::test]
async fn idempotency_keys_replay_the_first_answer() {
    let key = account();
    let form = [("amount", "1500"), ("currency", "eur"), ("transfer_group", "it-1")];
    let (s1, first) = call(&key, reqwest::Method::POST, "/v1/payment_intents", &form, Some("k-1")).await;
    let (s2, again) = call(&key, reqwest::Method::POST, "/v1/payment_intents", &form, Some("k-1")).await;
    assert_eq!((s1, s2), (200, 200), "{first} {again}");
    assert_eq!(first["id"], again["id"], "one PaymentIntent for one key");
    assert_eq!(again["_replayed"], true);
    assert_eq!(first["transfer_group"], "it-1", "transfer_group is kept");
    let other = [("amount", "1600"), ("currency", "eur")];
    let (s3, refused) = call(&key, reqwest::Method::POST, "/v1/payment_intents", &other, Some("k-1")).await;
    assert_eq!((s3, refused["error"]["type"].as_str()), (400, Some("idempotency_error")), "{refused}");
    // The same key in another account is another request.
    let (_, theirs) = call(&account(), reqwest::Method::POST, "/v1/payment_intents", &form, Some("k-1")).await;
    assert_ne!(theirs["id"], first["id"]);
}

#[tokio::test]
async fn accounts_see_only_their_events_and_cancellations_are_told() {
    let (mine, theirs) = (account(), account());
    let (_, pi) =
        call(&mine, reqwest::Method::POST, "/v1/payment_intents", &[("amount", "900"), ("currency", "eur")], None)
            .await;
    let id = pi["id"].as_str().unwrap();
    let (s, cancelled) =
        call(&mine, reqwest::Method::POST, &format!("/v1/payment_intents/{id}/cancel"), &[], Some("c-1")).await;
    assert_eq!((s, cancelled["status"].as_str()), (200, Some("canceled")), "{cancelled}");
    let (_, events) = call(&mine, reqwest::Method::GET, "/v1/events", &[], None).await;
    let types: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["payment_intent.canceled"], "{events}");
    let (_, none) = call(&theirs, reqwest::Method::GET, "/v1/events", &[], None).await;
    assert_eq!(none["data"].as_array().unwrap().len(), 0, "another account's events are not listed: {none}");
}

#[tokio::test]
async fn faults_fail_an_accounts_calls_before_or_after_the_work() {
    let key = account();
    let set = |rate: &'static str| {
        let key = key.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{}/_config/faults", stripe_url()))
                .json(&serde_json::json!({"account": key, "rate": rate}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(set("1").await, 200);
    let mut statuses = std::collections::BTreeSet::new();
    for n in 0..12 {
        let (s, _) =
            call(&key, reqwest::Method::POST, "/v1/customers", &[("email", "a@example.com")], Some(&format!("f-{n}")))
                .await;
        statuses.insert(s);
    }
    assert!(statuses.iter().all(|s| *s == 429 || *s == 500), "every call fails: {statuses:?}");
    assert_eq!(set("0").await, 200);
    // Those failed after the work answer now from the saved result: the work happened once.
    let (_, list) = call(&key, reqwest::Method::GET, "/v1/events", &[("limit", "100")], None).await;
    let created = list["data"].as_array().unwrap().len();
    for n in 0..12 {
        let (s, _) =
            call(&key, reqwest::Method::POST, "/v1/customers", &[("email", "a@example.com")], Some(&format!("f-{n}")))
                .await;
        assert_eq!(s, 200);
    }
    let (_, list) = call(&key, reqwest::Method::GET, "/v1/events", &[("limit", "100")], None).await;
    assert_eq!(
        list["data"].as_array().unwrap().len(),
        12,
        "retries with the same keys made 12 customers in all (had {created})"
    );
}
