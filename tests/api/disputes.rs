//! Disputes (chargebacks), end to end: the card holder's bank opens one
//! through the Stripe emulator, the case reaches support's list with what
//! the escrow held, the escrow stays frozen through a delivery, and the
//! bank's decision settles it: won releases the delivered parcel's escrow
//! to the travelers (and support's refund afterwards is withheld from their
//! payouts, still due), lost takes the escrow back to the bank on the
//! ledger (its pending shares voided), and the day still reconciles with
//! Stripe.
use crate::custody::{deliver_under_faults, paid, Paid};
use crate::stripe_emulator::config;
use handoff_tests::{eventually, ok, stack_with, Client, QUEUED};
use serde_json::{json, Value};

/// The charge that paid the itinerary: the reference of its payment on the ledger.
async fn charge_of(c: &Client, p: &Paid) -> String {
    let path = format!("/admin/ledger/transfers?itinerary={}&limit=100", p.itinerary);
    let transfers = ok(c.get(&path, Some(&p.admin)).await).await;
    transfers["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "payment")
        .and_then(|t| t["reference"].as_str())
        .unwrap_or_else(|| panic!("the payment names its charge: {transfers}"))
        .to_string()
}

/// The bank opens a dispute of the itinerary's charge; its id.
async fn open(c: &Client, p: &Paid, reason: &str) -> String {
    let charge = charge_of(c, p).await;
    let (status, d) = config("/_config/disputes", json!({"charge": charge, "reason": reason})).await;
    assert_eq!(status, 200, "{d}");
    d["id"].as_str().unwrap().to_string()
}

/// The bank decides.
async fn close(dispute: &str, status: &str) {
    let (code, d) = config(&format!("/_config/disputes/{dispute}/close"), json!({ "status": status })).await;
    assert_eq!(code, 200, "{d}");
}

/// The case as support's list shows it, once `f` holds.
async fn case(c: &Client, p: &Paid, status: &str, dispute: &str, f: impl Fn(&Value) -> bool) -> Value {
    let found = eventually(QUEUED, || async {
        let page = ok(c.get(&format!("/admin/disputes?status={status}"), Some(&p.admin)).await).await;
        page["items"].as_array()?.iter().find(|d| d["dispute_id"] == dispute && f(d)).cloned()
    })
    .await;
    found.unwrap_or_else(|| panic!("dispute {dispute} never listed {status} as expected"))
}

async fn account(c: &Client, p: &Paid, id: &str) -> Value {
    ok(c.get(&format!("/admin/ledger/accounts/{id}"), Some(&p.admin)).await).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dispute_freezes_the_escrow_until_the_bank_decides() {
    let stack = stack_with("disputes", &[("HandoffEarlyMinutes", "1440"), ("OtpRequestsPerIp", "100000")]).await;
    let c = Client::new(&stack);

    // Won: the dispute opens before delivery, the delivery's release waits for the bank.
    let p = paid(&c, &stack).await;
    let dp = open(&c, &p, "product_not_received").await;
    let listed = c.get("/admin/disputes", Some(&p.admin)).await;
    eprintln!("calls: GET /admin/disputes: {}", listed.header("x-aws-calls").unwrap_or(""));
    let opened = case(&c, &p, "open", &dp, |_| true).await;
    assert_eq!(opened["itinerary_id"], p.itinerary.as_str(), "{opened}");
    assert_eq!(opened["reason"], "product_not_received");
    assert_eq!((&opened["amount"]["amount"], &opened["frozen"]), (&json!(p.total), &json!(p.total)), "{opened}");
    let payment = ok(c.get(&format!("/itineraries/{}/payment", p.itinerary), Some(&p.sid)).await).await;
    assert_eq!((&payment["dispute"], &payment["disputed"]), (&json!("open"), &json!(true)), "{payment}");
    let told = eventually(QUEUED, || async {
        let mails = crate::notifications::mails(&c, "support@handoff.dev").await;
        mails
            .iter()
            .any(|m| m["subject"] == "A payment was disputed" && m["body"].as_str().is_some_and(|b| b.contains(&dp)))
            .then_some(())
    })
    .await;
    assert!(told.is_some(), "support is told of the case");
    // Nobody refunds a disputed payment: the bank decides.
    c.put(&format!("/itineraries/{}/cancel", p.itinerary), Some(&p.sid), json!({}))
        .await
        .problem(409, "payment-disputed");
    // The tracking page's sender, the travelers and support go on: the parcel is delivered.
    deliver_under_faults(&c, &p).await;
    let held = case(&c, &p, "open", &dp, |d| d["delivered_at"].is_string()).await;
    assert_eq!(held["status"], "open");
    let (ann, bob) = (format!("payable_traveler:{}:EUR", p.ann.1), format!("payable_traveler:{}:EUR", p.bob.1));
    for (id, share) in [(&ann, p.shares.0), (&bob, p.shares.1)] {
        let a = account(&c, &p, id).await;
        assert_eq!((&a["credits_posted"], &a["credits_pending"]), (&json!(0), &json!(share)), "frozen: {a}");
    }
    c.post(
        &format!("/admin/itineraries/{}/refund", p.itinerary),
        Some(&p.admin),
        json!({"amount": 100, "reason": "goodwill"}),
    )
    .await
    .problem(409, "payment-disputed");
    close(&dp, "won").await;
    let won = case(&c, &p, "won", &dp, |_| true).await;
    assert!(won["closed_at"].is_string(), "{won}");
    assert_eq!((&won["from_escrow"], &won["from_platform"]), (&json!(0), &json!(0)), "{won}");
    for (id, share) in [(&ann, p.shares.0), (&bob, p.shares.1)] {
        let released = eventually(QUEUED, || async {
            let a = account(&c, &p, id).await;
            (a["credits_posted"] == share).then_some(a)
        })
        .await;
        let a = released.unwrap_or_else(|| panic!("{id}: the won dispute never released the share"));
        assert_eq!(a["credits_pending"], 0, "{a}");
    }
    // Support refunds part of it afterwards: the travelers' payouts are still due (no payout
    // account yet), so each one's part is withheld from their payout, not reversed at Stripe.
    let delivered = eventually(QUEUED, || async {
        let it = ok(c.get(&format!("/itineraries/{}", p.itinerary), Some(&p.sid)).await).await;
        (it["status"] == "delivered").then_some(())
    })
    .await;
    assert!(delivered.is_some(), "the itinerary is delivered");
    let refund = c
        .post(
            &format!("/admin/itineraries/{}/refund", p.itinerary),
            Some(&p.admin),
            json!({"amount": 1000, "reason": "late delivery"}),
        )
        .await;
    assert_eq!(refund.status, 201, "{}", refund.body);
    let claws = refund.body["clawbacks"].as_array().unwrap();
    let part = |share: i64| 1000 * share / p.total;
    let mut parts: Vec<(&str, i64, &str)> = claws
        .iter()
        .map(|c| (c["payee_id"].as_str().unwrap(), c["amount"].as_i64().unwrap(), c["how"].as_str().unwrap()))
        .collect();
    let mut expected =
        vec![(p.ann.1.as_str(), part(p.shares.0), "withheld"), (p.bob.1.as_str(), part(p.shares.1), "withheld")];
    parts.sort();
    expected.sort();
    assert_eq!(parts, expected, "{}", refund.body);
    assert_eq!(refund.body["platform"], 1000 - part(p.shares.0) - part(p.shares.1), "{}", refund.body);
    for ((id, share), (tok, _)) in [(&ann, p.shares.0), (&bob, p.shares.1)].into_iter().zip([&p.ann, &p.bob]) {
        let a = account(&c, &p, id).await;
        assert_eq!((&a["credits_posted"], &a["debits_posted"]), (&json!(share), &json!(part(share))), "{a}");
        let payouts = ok(c.get("/me/payouts", Some(tok)).await).await;
        let po = payouts["items"].as_array().unwrap().iter().find(|x| x["itinerary_id"] == p.itinerary.as_str());
        let po = po.unwrap_or_else(|| panic!("the payout is listed: {payouts}"));
        assert_eq!((&po["status"], &po["clawed_back"]), (&json!("due"), &json!(part(share))), "{po}");
        assert_eq!(po["amount"], share - part(share), "what is left is paid out: {po}");
    }
    let none_open = ok(c.get("/admin/disputes", Some(&p.admin)).await).await;
    assert!(
        none_open["items"].as_array().unwrap().iter().all(|d| d["dispute_id"] != dp.as_str()),
        "a decided case leaves the open list: {none_open}"
    );

    // Lost: the bank takes the money back before delivery; the escrow bears it all.
    let q = paid(&c, &stack).await;
    let dq = open(&c, &q, "fraudulent").await;
    case(&c, &q, "open", &dq, |_| true).await;
    close(&dq, "lost").await;
    let lost = case(&c, &q, "lost", &dq, |_| true).await;
    assert_eq!((&lost["from_escrow"], &lost["from_platform"]), (&json!(q.total), &json!(0)), "{lost}");
    let escrow = account(&c, &q, &format!("escrow:{}:EUR", q.itinerary)).await;
    assert_eq!(escrow["credits_posted"], escrow["debits_posted"], "nothing left in escrow: {escrow}");
    assert_eq!(escrow["debits_pending"], 0, "the pending shares were voided: {escrow}");
    let payment = ok(c.get(&format!("/itineraries/{}/payment", q.itinerary), Some(&q.sid)).await).await;
    assert_eq!((&payment["dispute"], &payment["held"]), (&json!("lost"), &json!(0)), "{payment}");
    let to_bank: Vec<&Value> =
        payment["transfers"].as_array().unwrap().iter().filter(|t| t["code"] == "dispute_lost").collect();
    assert_eq!(to_bank.len(), 1, "{payment}");
    assert_eq!(to_bank[0]["credit"]["kind"], "clearing");
    assert_eq!(to_bank[0]["amount"], q.total);
    // Delivered after all: nothing is left to release.
    deliver_under_faults(&c, &q).await;
    let delivered = eventually(QUEUED, || async {
        let it = ok(c.get(&format!("/itineraries/{}", q.itinerary), Some(&q.sid)).await).await;
        (it["status"] == "delivered").then_some(())
    })
    .await;
    assert!(delivered.is_some(), "the parcel is delivered");
    for id in [format!("payable_traveler:{}:EUR", q.ann.1), format!("payable_traveler:{}:EUR", q.bob.1)] {
        let a = c.get(&format!("/admin/ledger/accounts/{id}"), Some(&q.admin)).await;
        let credited = if a.status == 404 { json!(0) } else { a.body["credits_posted"].clone() };
        assert_eq!(credited, 0, "{id}: paid from money the bank took back: {}", a.body);
    }
    // The day reconciles with Stripe: two charges and support's refund; the loss is not a refund.
    let report = crate::reconciliation::clean_today(&c, &p.admin).await;
    assert_eq!((&report["charges"]["matched"], &report["refunds"]["matched"]), (&json!(2), &json!(1)), "{report}");
    assert_eq!((&report["refunds"]["provider"], &report["transfers"]["provider"]), (&json!(1), &json!(0)), "{report}");
}
