//! The patches of infra/localstripe_server.py, each through localstripe's
//! HTTP API (the payment flows in payments.rs use them all): accounts,
//! idempotency keys, PaymentIntent parameters and events, faults, Connect
//! (accounts, onboarding links, transfers and reversals).
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
    let url = format!("{}{path}", stripe_url()); // first: it installs the TLS crypto reqwest needs
    let r = reqwest::Client::new().request(method.clone(), url).bearer_auth(key);
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

/// A charge of `amount` in `key`'s account (a confirmed PaymentIntent).
async fn charge(key: &str, amount: &str) -> String {
    let form = [
        ("amount", amount),
        ("currency", "eur"),
        ("payment_method_types[0]", "card"),
        ("payment_method", "pm_card_visa"),
        ("confirm", "true"),
    ];
    let (s, pi) = call(key, reqwest::Method::POST, "/v1/payment_intents", &form, None).await;
    assert_eq!(s, 200, "{pi}");
    pi["latest_charge"]["id"].as_str().or(pi["latest_charge"].as_str()).unwrap().to_string()
}

#[tokio::test]
async fn connect_accounts_onboard_receive_transfers_and_reversals() {
    let (key, other) = (account(), account());
    let post = reqwest::Method::POST;
    let new_account = [
        ("type", "express"),
        ("country", "FR"),
        ("email", "ann@example.com"),
        ("capabilities[transfers][requested]", "true"),
        ("metadata[user_id]", "u-ann"),
    ];
    let (s, acct) = call(&key, post.clone(), "/v1/accounts", &new_account, Some("acct-1")).await;
    assert_eq!(s, 200, "{acct}");
    let id = acct["id"].as_str().unwrap().to_string();
    assert_eq!(
        (acct["payouts_enabled"].as_bool(), acct["capabilities"]["transfers"].as_str()),
        (Some(false), Some("inactive"))
    );
    let (_, same) = call(&key, post.clone(), "/v1/accounts", &new_account, Some("acct-1")).await;
    assert_eq!(same["id"], id.as_str(), "the idempotency key holds for accounts too");
    let (s, _) = call(&other, reqwest::Method::GET, &format!("/v1/accounts/{id}"), &[], None).await;
    assert_eq!(s, 404, "another platform's account is not found");

    // Not onboarded: no transfers yet.
    let ch = charge(&key, "5000").await;
    let to = |amount: &'static str, group: &'static str| {
        let (key, id, ch) = (key.clone(), id.clone(), ch.clone());
        async move {
            let form = [
                ("amount", amount),
                ("currency", "eur"),
                ("destination", id.as_str()),
                ("transfer_group", group),
                ("source_transaction", ch.as_str()),
                ("metadata[payout_id]", "p-1"),
            ];
            call(&key, reqwest::Method::POST, "/v1/transfers", &form, None).await
        }
    };
    let (s, refused) = to("3000", "it-1").await;
    assert_eq!((s, refused["error"]["param"].as_str()), (400, Some("destination")), "{refused}");

    // The onboarding link: single use; finishing it enables payouts and tells account.updated.
    let link_form = [
        ("account", id.as_str()),
        ("refresh_url", "https://app.example/refresh"),
        ("return_url", "https://app.example/done"),
        ("type", "account_onboarding"),
    ];
    let (s, link) = call(&key, post.clone(), "/v1/account_links", &link_form, None).await;
    assert_eq!(s, 200, "{link}");
    assert!(link["expires_at"].as_i64().unwrap() > link["created"].as_i64().unwrap());
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let open = |url: String| {
        let b = browser.clone();
        async move { b.get(url).send().await.unwrap().headers()["location"].to_str().unwrap().to_string() }
    };
    let url = link["url"].as_str().unwrap().to_string();
    assert_eq!(open(url.clone()).await, "https://app.example/done");
    assert_eq!(open(url).await, "https://app.example/refresh", "a used link sends to refresh_url");
    let (_, acct) = call(&key, reqwest::Method::GET, &format!("/v1/accounts/{id}"), &[], None).await;
    assert_eq!(
        (acct["payouts_enabled"].as_bool(), acct["capabilities"]["transfers"].as_str()),
        (Some(true), Some("active"))
    );

    // Transfers: from a charge, never more than what is left of it.
    let (s, tr) = to("3000", "it-1").await;
    assert_eq!(s, 200, "{tr}");
    assert_eq!((tr["destination"].as_str(), tr["source_transaction"].as_str()), (Some(id.as_str()), Some(ch.as_str())));
    let (s, over) = to("2500", "it-2").await;
    assert_eq!((s, over["error"]["code"].as_str()), (400, Some("insufficient_funds")), "{over}");
    let (s, _) = to("2000", "it-2").await;
    assert_eq!(s, 200);
    let (_, listed) = call(&key, reqwest::Method::GET, "/v1/transfers", &[("transfer_group", "it-1")], None).await;
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [tr["id"].as_str().unwrap()], "listed by transfer_group");
    let (_, none) = call(&other, reqwest::Method::GET, "/v1/transfers", &[], None).await;
    assert_eq!(none["data"], serde_json::json!([]), "another platform's transfers are not listed");

    // Reversals: partial, then the rest; never more.
    let path = format!("/v1/transfers/{}/reversals", tr["id"].as_str().unwrap());
    let (s, r1) = call(&key, post.clone(), &path, &[("amount", "1000")], None).await;
    assert_eq!((s, r1["amount"].as_i64()), (200, Some(1000)), "{r1}");
    let (s, _) = call(&key, post.clone(), &path, &[("amount", "2500")], None).await;
    assert_eq!(s, 400, "only 2000 is left to reverse");
    let (s, r2) = call(&key, post.clone(), &path, &[], None).await;
    assert_eq!((s, r2["amount"].as_i64()), (200, Some(2000)));
    let (_, t) =
        call(&key, reqwest::Method::GET, &format!("/v1/transfers/{}", tr["id"].as_str().unwrap()), &[], None).await;
    assert_eq!((t["amount_reversed"].as_i64(), t["reversed"].as_bool()), (Some(3000), Some(true)), "{t}");
    assert_eq!(t["reversals"]["data"].as_array().unwrap().len(), 2);

    // Each step was an event of this account, newest first.
    let (_, events) = call(&key, reqwest::Method::GET, "/v1/events", &[], None).await;
    let types: Vec<&str> = events["data"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "transfer.reversed",
            "transfer.reversed",
            "transfer.created",
            "transfer.created",
            "account.updated",
            "payment_intent.succeeded"
        ],
        "{events}"
    );

    // Stripe needs more from the payee: payouts are taken away again, and account.updated says so.
    let r =
        reqwest::Client::new().post(format!("{}/_config/accounts/{id}/restrict", stripe_url())).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let (_, acct) = call(&key, reqwest::Method::GET, &format!("/v1/accounts/{id}"), &[], None).await;
    assert_eq!((acct["payouts_enabled"].as_bool(), acct["details_submitted"].as_bool()), (Some(false), Some(true)));
    let (_, events) = call(&key, reqwest::Method::GET, "/v1/events", &[("limit", "1")], None).await;
    assert_eq!(events["data"][0]["type"], "account.updated");
    assert_eq!(events["data"][0]["data"]["object"]["payouts_enabled"], false);
}

#[tokio::test]
async fn charges_and_refunds_are_listed_per_account_by_creation_time() {
    let (key, other) = (account(), account());
    let charge = |k: &str, amount: &'static str| {
        let k = k.to_string();
        async move {
            let form = [("amount", amount), ("currency", "eur"), ("source", "pm_card_visa")];
            let (s, c) = call(&k, reqwest::Method::POST, "/v1/charges", &form, None).await;
            assert_eq!((s, c["status"].as_str()), (200, Some("succeeded")), "{c}");
            c
        }
    };
    let (a, b) = (charge(&key, "1000").await, charge(&key, "2000").await);
    charge(&other, "3000").await;
    let (s, r) = call(&key, reqwest::Method::POST, "/v1/refunds", &[("charge", a["id"].as_str().unwrap())], None).await;
    assert_eq!(s, 200, "{r}");
    let created = a["created"].as_i64().unwrap();
    let (from, to) = ((created - 60).to_string(), (created + 3600).to_string());
    let window = [("created[gte]", from.as_str()), ("created[lt]", to.as_str())];

    // Only the account's own charges, newest first, paged like Stripe's lists.
    let (s, listed) = call(&key, reqwest::Method::GET, "/v1/charges", &window, None).await;
    assert_eq!(s, 200, "{listed}");
    let ids: Vec<&str> = listed["data"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    let want = [a["id"].as_str().unwrap(), b["id"].as_str().unwrap()];
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(ids.contains(&want[0]) && ids.contains(&want[1]), "{listed}");
    let mut paged = window.to_vec();
    paged.push(("limit", "1"));
    let (_, first) = call(&key, reqwest::Method::GET, "/v1/charges", &paged, None).await;
    assert_eq!((first["data"].as_array().unwrap().len(), first["has_more"].as_bool()), (1, Some(true)), "{first}");
    let after = first["data"][0]["id"].as_str().unwrap().to_string();
    paged.push(("starting_after", after.as_str()));
    let (_, second) = call(&key, reqwest::Method::GET, "/v1/charges", &paged, None).await;
    assert_eq!((second["data"].as_array().unwrap().len(), second["has_more"].as_bool()), (1, Some(false)));
    assert_ne!(second["data"][0]["id"], first["data"][0]["id"]);

    // A window that ends before them, or starts after them, lists none.
    let before = (created - 1).to_string();
    let (_, none) = call(&key, reqwest::Method::GET, "/v1/charges", &[("created[lt]", before.as_str())], None).await;
    assert_eq!(none["data"], serde_json::json!([]), "{none}");
    let later = (created + 3600).to_string();
    let (_, none) = call(&key, reqwest::Method::GET, "/v1/refunds", &[("created[gte]", later.as_str())], None).await;
    assert_eq!(none["data"], serde_json::json!([]), "{none}");

    // The refund, with its charge, to this account only.
    let (_, refunds) = call(&key, reqwest::Method::GET, "/v1/refunds", &window, None).await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1, "{refunds}");
    assert_eq!(
        (refunds["data"][0]["charge"].as_str(), refunds["data"][0]["amount"].as_i64()),
        (a["id"].as_str(), Some(1000))
    );
    let (_, theirs) = call(&other, reqwest::Method::GET, "/v1/refunds", &window, None).await;
    assert_eq!(theirs["data"], serde_json::json!([]), "{theirs}");
    let (_, theirs) = call(&other, reqwest::Method::GET, "/v1/charges", &window, None).await;
    assert_eq!(theirs["data"].as_array().unwrap().len(), 1, "{theirs}");

    // A filter Stripe would refuse is a 400.
    let (s, bad) = call(&key, reqwest::Method::GET, "/v1/charges", &[("created[after]", "1")], None).await;
    assert_eq!(s, 400, "{bad}");
}

/// A POST to the emulator's own `/_config` routes (JSON, no key): the status and the answer.
pub(crate) async fn config(path: &str, body: Value) -> (u16, Value) {
    let r = reqwest::Client::new().post(format!("{}{path}", stripe_url())).json(&body).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn disputes_open_and_close_once_with_their_events() {
    let key = account();
    let ch = charge(&key, "2500").await;
    let (s, d) = config("/_config/disputes", serde_json::json!({"charge": ch, "reason": "product_not_received"})).await;
    assert_eq!((s, d["status"].as_str(), d["amount"].as_i64()), (200, Some("needs_response"), Some(2500)), "{d}");
    assert!(d["payment_intent"].as_str().is_some_and(|p| p.starts_with("pi_")), "{d}");
    let id = d["id"].as_str().unwrap().to_string();
    let close = |status: &'static str| {
        let path = format!("/_config/disputes/{id}/close");
        async move { config(&path, serde_json::json!({ "status": status })).await }
    };
    assert_eq!(close("maybe").await.0, 400, "won or lost only");
    let (s, lost) = close("lost").await;
    assert_eq!((s, lost["status"].as_str()), (200, Some("lost")), "{lost}");
    assert_eq!(close("won").await.0, 400, "decided once");
    assert_eq!(config("/_config/disputes/dp_unknown/close", serde_json::json!({"status": "won"})).await.0, 404);
    let (_, events) = call(&key, reqwest::Method::GET, "/v1/events", &[], None).await;
    let mut of_dispute: Vec<(&str, &str)> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["data"]["object"]["id"] == id.as_str())
        .map(|e| (e["type"].as_str().unwrap(), e["data"]["object"]["status"].as_str().unwrap()))
        .collect();
    of_dispute.sort();
    assert_eq!(
        of_dispute,
        [("charge.dispute.closed", "lost"), ("charge.dispute.created", "needs_response")],
        "each with the dispute as it was then: {events}"
    );
}
