//! Payouts: travelers connect Stripe Connect accounts and the payout run
//! sends each delivered share to them. Driven from the custody lifecycle
//! tests (custody.rs), which deliver the parcels whose shares are paid.
use crate::custody::Paid;
use handoff_tests::{ok, Client, TestStack, QUEUED};
use reqwest::Method;
use serde_json::{json, Value};

/// The payee opens the onboarding link in a browser and finishes Stripe's
/// onboarding, which sends them back to the app.
pub(crate) async fn onboard(url: &str) {
    let browser = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = browser.get(url).send().await.unwrap();
    assert_eq!(r.status(), 302, "onboarding ends with a redirect");
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(to.contains("onboarding=done"), "back to the app's return URL: {to}");
}

/// What a fault may have sent to a dead-letter queue on the way, back to its queue.
async fn redrive(c: &Client) {
    for dlq in ["OutboxPublisherDLQ", "ApplyPayoutEventDLQ", "NotifierDLQ"] {
        let _ = c.post(&format!("/_local/redrive/{dlq}"), None, json!({})).await;
    }
}

/// Until Stripe's account.updated has enabled the caller's payouts.
pub(crate) async fn enabled(c: &Client, tok: &str) {
    handoff_tests::eventually(QUEUED, || async {
        redrive(c).await;
        let a = c.get("/me/payout-account", Some(tok)).await;
        (a.status == 200 && a.body["payouts_enabled"] == true).then_some(())
    })
    .await
    .expect("account.updated enables payouts");
}

/// Stripe's transfers of one itinerary (its transfer_group), as the provider records them.
pub(crate) async fn transfers(stack: &TestStack, group: &str) -> Vec<Value> {
    let key = &stack.names.secrets["stripe_secret_key"];
    let r: Value = reqwest::Client::new()
        .get(format!("{}/v1/transfers", handoff_tests::stripe_url()))
        .bearer_auth(key)
        .query(&[("transfer_group", group), ("limit", "100")])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    r["data"].as_array().unwrap().clone()
}

async fn payouts_of(c: &Client, tok: &str) -> Vec<Value> {
    ok(c.get("/me/payouts", Some(tok)).await).await["items"].as_array().unwrap().clone()
}

async fn run(c: &Client, admin: &str) -> Value {
    let r = c.post("/admin/payouts/run", Some(admin), json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    eprintln!("calls: POST /admin/payouts/run: {}", r.header("x-aws-calls").unwrap_or(""));
    r.body
}

fn held(report: &Value) -> Vec<(String, String)> {
    let mut h: Vec<(String, String)> = report["held"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (h["payee_id"].as_str().unwrap().to_string(), h["reason"].as_str().unwrap().to_string()))
        .collect();
    h.sort();
    h
}

/// The delivered itinerary of `p`, paid out: each traveler connects, the
/// run sends exactly their shares (and holds whoever cannot be paid yet,
/// saying why), the payables end at zero, the transfers are Stripe's, the
/// payees are told, and a reversal at Stripe puts the money back on the
/// payable.
pub(crate) async fn pays_out_the_delivery(c: &Client, stack: &TestStack, p: &Paid) {
    let ((ann, ann_id), (bob, bob_id), admin) = (&p.ann, &p.bob, &p.admin);
    let mut ids = [ann_id.clone(), bob_id.clone()];
    ids.sort();

    // Delivered shares are due; nobody has a payout account yet.
    let due = payouts_of(c, ann).await;
    assert_eq!(due.len(), 1, "{due:?}");
    assert_eq!((due[0]["status"].as_str(), due[0]["amount"].as_i64()), (Some("due"), Some(p.shares.0)));
    assert_eq!(due[0]["itinerary_id"], p.itinerary.as_str());
    c.get("/me/payout-account", Some(ann)).await.problem(404, "not-found");
    c.post("/me/payout-account", Some(ann), json!({})).await.problem(422, "validation-failed");
    c.post("/me/payout-account", Some(ann), json!({"country": "KP"})).await.problem(422, "validation-failed");
    c.post("/me/payout-account", Some(admin), json!({"country": "FR"})).await.problem(403, "forbidden");
    let r = run(c, admin).await;
    assert_eq!(r["sent"], json!([]), "{r}");
    assert_eq!(held(&r), ids.iter().map(|i| (i.clone(), "no_account".to_string())).collect::<Vec<_>>());

    // Ann connects and finishes onboarding; Bob connects but has not finished.
    let a = c.post("/me/payout-account", Some(ann), json!({"country": "fr"})).await;
    assert_eq!(a.status, 201, "{}", a.body);
    eprintln!("calls: POST /me/payout-account (first): {}", a.header("x-aws-calls").unwrap_or(""));
    assert_eq!((a.body["status"].as_str(), a.body["country"].as_str()), (Some("onboarding"), Some("FR")));
    assert_eq!(a.body["can_receive_payouts"], false);
    let acct = a.body["account_id"].as_str().unwrap().to_string();
    assert!(acct.starts_with("acct_"), "{acct}");
    onboard(a.body["onboarding"]["url"].as_str().unwrap()).await;
    enabled(c, ann).await;
    let mine = ok(c.get("/me/payout-account", Some(ann)).await).await;
    assert_eq!((mine["status"].as_str(), mine["can_receive_payouts"].as_bool()), (Some("enabled"), Some(true)));
    assert_eq!(mine["account_id"], acct.as_str(), "one account: {mine}");
    c.post("/me/payout-account", Some(ann), json!({"country": "DE"})).await.problem(409, "payout-account-exists");
    let b = c.post("/me/payout-account", Some(bob), json!({"country": "FR"})).await;
    assert_eq!(b.status, 201, "{}", b.body);
    let r = run(c, admin).await;
    assert_eq!(r["sent"], json!([format!("{}.payout.0", p.itinerary)]), "{r}");
    assert_eq!(held(&r), [(bob_id.clone(), "account_not_enabled".to_string())]);

    // Bob asks again (a fresh link), finishes onboarding; while his identity is
    // not verified, he is held for that; verified, he is paid.
    let again = ok(c.post("/me/payout-account", Some(bob), json!({})).await).await;
    assert_eq!(again["account_id"], b.body["account_id"], "the same account");
    assert_ne!(again["onboarding"]["url"], b.body["onboarding"]["url"], "a fresh link");
    onboard(again["onboarding"]["url"].as_str().unwrap()).await;
    enabled(c, bob).await;
    let path = format!("/admin/users/{bob_id}/verification");
    ok(c.put(&path, Some(admin), json!({"status": "rejected"})).await).await;
    assert_eq!(held(&run(c, admin).await), [(bob_id.clone(), "identity_unverified".to_string())]);
    ok(c.put(&path, Some(admin), json!({"status": "verified"})).await).await;
    let r = run(c, admin).await;
    assert_eq!(r["sent"], json!([format!("{}.payout.1", p.itinerary)]), "{r}");
    let r = run(c, admin).await;
    assert_eq!((r["payees"].as_u64(), r["sent"].clone()), (Some(0), json!([])), "nothing left to pay: {r}");

    // Stripe made exactly one transfer per share, from the itinerary's charge, to each traveler's account.
    let mut got: Vec<(i64, String)> = transfers(stack, &p.itinerary)
        .await
        .iter()
        .map(|t| (t["amount"].as_i64().unwrap(), t["metadata"]["payout_id"].as_str().unwrap().to_string()))
        .collect();
    got.sort();
    let mut want =
        vec![(p.shares.0, format!("{}.payout.0", p.itinerary)), (p.shares.1, format!("{}.payout.1", p.itinerary))];
    want.sort();
    assert_eq!(got, want);
    let ann_transfer = transfers(stack, &p.itinerary)
        .await
        .into_iter()
        .find(|t| t["destination"] == acct.as_str())
        .expect("Ann's transfer goes to her account");
    assert!(ann_transfer["source_transaction"].as_str().is_some_and(|s| s.starts_with("ch_")), "{ann_transfer}");
    let sent = payouts_of(c, ann).await;
    assert_eq!(sent[0]["status"], "sent");
    assert_eq!(sent[0]["transfer_id"], ann_transfer["id"]);

    // The payables are empty: everything earned has left.
    for (id, share) in [(ann_id, p.shares.0), (bob_id, p.shares.1)] {
        let a = ok(c.get(&format!("/admin/ledger/accounts/payable_traveler:{id}:EUR"), Some(admin)).await).await;
        assert_eq!((a["credits_posted"].as_i64(), a["debits_posted"].as_i64()), (Some(share), Some(share)), "{a}");
        assert_eq!(a["headroom"], 0, "{a}");
    }
    let earnings = ok(c.get("/me/earnings", Some(ann)).await).await;
    assert_eq!(earnings["items"][0]["paid_out"], p.shares.0, "{earnings}");
    assert_eq!(earnings["items"][0]["available"], 0, "{earnings}");

    // Each payee is told.
    for who in [ann, bob] {
        handoff_tests::eventually(QUEUED, || async {
            let inbox = ok(c.get("/me/notifications", Some(who)).await).await;
            inbox["items"].as_array()?.iter().any(|n| n["kind"] == "payout_sent").then_some(())
        })
        .await
        .expect("PayoutSent reaches the payee");
    }

    // Stripe reverses 100 of Ann's transfer (support did, in Stripe's dashboard): it is back on her payable.
    let key = &stack.names.secrets["stripe_secret_key"];
    let rev = reqwest::Client::new()
        .post(format!(
            "{}/v1/transfers/{}/reversals",
            handoff_tests::stripe_url(),
            ann_transfer["id"].as_str().unwrap()
        ))
        .bearer_auth(key)
        .form(&[("amount", "100")])
        .send()
        .await
        .unwrap();
    assert_eq!(rev.status(), 200);
    let payable = format!("/admin/ledger/accounts/payable_traveler:{ann_id}:EUR");
    let a = handoff_tests::eventually(QUEUED, || async {
        let a = ok(c.get(&payable, Some(admin)).await).await;
        (a["headroom"] == 100).then_some(a)
    })
    .await
    .expect("the reversal restores the payable");
    assert_eq!(a["credits_posted"].as_i64(), Some(p.shares.0 + 100), "{a}");
    let reversed = payouts_of(c, ann).await;
    assert_eq!(
        (reversed[0]["status"].as_str(), reversed[0]["amount_reversed"].as_i64()),
        (Some("reversed"), Some(100))
    );
    // A reversed payout is not sent again by itself: support settles what is back on the payable.
    assert_eq!(run(c, admin).await["sent"], json!([]));

    // Support refunds 1000 of the delivered itinerary: each traveler bears their share of it pro rata,
    // reversed at Stripe from their sent transfer; the platform bears the rest.
    let path = format!("/admin/itineraries/{}/refund", p.itinerary);
    let refund = |amount: i64, reason: &str| c.post(&path, Some(admin), json!({"amount": amount, "reason": reason}));
    c.post(&path, Some(ann), json!({"amount": 1000, "reason": "x"})).await.problem(403, "forbidden");
    refund(0, "damaged").await.problem(422, "validation-failed");
    refund(p.total + 1, "damaged").await.problem(422, "validation-failed");
    refund(1000, " ").await.problem(422, "validation-failed");
    let r = refund(1000, "a damaged corner").await;
    assert_eq!(r.status, 201, "{}", r.body);
    eprintln!("calls: POST /admin/itineraries/{{id}}/refund: {}", r.header("x-aws-calls").unwrap_or(""));
    let (ann_part, bob_part) = (p.shares.0 * 1000 / p.total, p.shares.1 * 1000 / p.total);
    let parts: Vec<(i64, &str)> = r.body["clawbacks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| (x["amount"].as_i64().unwrap(), x["how"].as_str().unwrap()))
        .collect();
    assert_eq!(parts, [(ann_part, "reversed"), (bob_part, "reversed")], "{}", r.body);
    assert_eq!(r.body["platform"].as_i64(), Some(1000 - ann_part - bob_part));
    let t = transfers(stack, &p.itinerary).await.into_iter().find(|t| t["destination"] == acct.as_str()).unwrap();
    assert_eq!(t["amount_reversed"].as_i64(), Some(100 + ann_part), "the clawback is reversed at Stripe: {t}");
    // The card refund settles; the clawback's reversal does not go back to Ann's payable.
    let pay = format!("/itineraries/{}/payment", p.itinerary);
    handoff_tests::eventually(QUEUED, || async {
        let pm = ok(c.get(&pay, Some(&p.sid)).await).await;
        (pm["status"] == "refunded").then_some(())
    })
    .await
    .expect("charge.refunded settles the refund");
    let a = ok(c.get(&payable, Some(admin)).await).await;
    assert_eq!(a["headroom"], 100, "only the support reversal is back on the payable: {a}");
    let mine = payouts_of(c, ann).await;
    assert_eq!((mine[0]["amount_reversed"].as_i64(), mine[0]["clawed_back"].as_i64()), (Some(100), Some(ann_part)));
}

/// The shares of deliveries made under faults, paid out under faults:
/// every traveler connects, and the run is repeated until every payout is sent.
pub(crate) async fn pays_out_under_faults(c: &Client, done: &[Paid]) {
    let admin = &done[0].admin;
    for p in done {
        for tok in [&p.ann.0, &p.bob.0] {
            let a = crate::payments::persistently_with(
                c,
                Method::POST,
                "/me/payout-account",
                Some(tok),
                json!({"country": "FR"}),
            )
            .await;
            assert!(a.status.is_success(), "{}", a.body);
            onboard(a.body["onboarding"]["url"].as_str().unwrap()).await;
            enabled(c, tok).await;
        }
    }
    let payouts: Vec<String> =
        done.iter().flat_map(|p| [format!("{}.payout.0", p.itinerary), format!("{}.payout.1", p.itinerary)]).collect();
    let all_sent = handoff_tests::eventually(QUEUED, || async {
        redrive(c).await;
        let r = crate::payments::persistently_with(c, Method::POST, "/admin/payouts/run", Some(admin), json!({})).await;
        assert!(r.status.is_success(), "{}", r.body);
        let mut sent = 0;
        for p in done {
            for tok in [&p.ann.0, &p.bob.0] {
                let mine = c.get("/me/payouts", Some(tok)).await;
                if mine.status != 200 {
                    return None;
                }
                sent += mine.body["items"].as_array()?.iter().filter(|x| x["status"] == "sent").count();
            }
        }
        (sent == payouts.len()).then_some(())
    })
    .await;
    assert!(all_sent.is_some(), "every payout is sent in the end");
}

/// Stripe holds exactly one transfer per share of each itinerary, and each
/// payable paid its share once (checked with Stripe's faults off).
pub(crate) async fn paid_exactly_once(c: &Client, stack: &TestStack, done: &[Paid]) {
    let admin = &done[0].admin;
    for p in done {
        let mut got: Vec<i64> =
            transfers(stack, &p.itinerary).await.iter().map(|t| t["amount"].as_i64().unwrap()).collect();
        got.sort();
        let mut want = vec![p.shares.0, p.shares.1];
        want.sort();
        assert_eq!(got, want, "one transfer per share, none twice ({})", p.itinerary);
        for (id, share) in [(&p.ann.1, p.shares.0), (&p.bob.1, p.shares.1)] {
            let a = ok(c.get(&format!("/admin/ledger/accounts/payable_traveler:{id}:EUR"), Some(admin)).await).await;
            assert_eq!(a["debits_posted"].as_i64(), Some(share), "paid once from the payable: {a}");
            assert_eq!(a["headroom"], 0, "{a}");
        }
    }
}
