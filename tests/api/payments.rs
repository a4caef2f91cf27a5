//! Payments end to end with localstripe: a sender pays an itinerary the way
//! Stripe.js does (confirming the PaymentIntent with its client_secret and
//! the publishable key), the signed webhook confirms it, escrow is held on
//! the ledger; a declined card and a retry; 3-D Secure through
//! requires_action; a payment deadline that passes; a cancellation refunded
//! and settled; webhooks refused, repeated, late, and never delivered.
use aws_sdk_dynamodb::types::AttributeValue;
use futures::future::join_all;
use handoff::platform::stripe::sign;
use handoff_tests::parcels::body;
use handoff_tests::{at, email, eventually, now, ok, stack, stripe_url, Answer, Client, TestStack, QUEUED};
use reqwest::Method;
use serde_json::{json, Value};

const H: i64 = 3600;

struct Awaiting {
    sid: String,
    id: String,
    total: i64,
    /// The traveler's token, and the administrator's.
    ann: String,
    admin: String,
}

/// An itinerary awaiting payment, on one traveler's flight.
async fn awaiting_full(stack: &TestStack, c: &Client) -> Awaiting {
    let admin = c.admin(stack).await;
    let (ann, _) = c.verified_traveler(&email("ann"), &admin).await;
    let (sid, _) = c.verified_traveler(&email("sid"), &admin).await;
    // Departure in 4 days: a sender's cancellation is refunded in full.
    let dep = (now() / H + 96) * H;
    let leg = json!({"origin": "airport:CDG", "destination": "airport:NCE", "depart_at": at(dep),
                     "arrive_at": at(dep + 2 * H), "carrier": "AF", "flight_number": "AF7700"});
    let constraints = json!({"max_weight_grams": 5000,
        "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
        "categories": ["documents", "clothing"], "price_per_kg": 2000, "min_price": 800, "currency": "EUR"});
    let trip = crate::search::publish(c, &ann, "flight", &[leg], constraints, (dep - H, dep + 3 * H)).await;
    let s =
        c.ready_shipment(&sid, body("clothing", 700, 3000, ("FR", "airport:CDG"), ("FR", "airport:NCE")), "DAP").await;
    let q = ok(c.quote(&sid, &s, &[(&trip, &[1])]).await).await;
    let it = ok(c.post("/itineraries", Some(&sid), json!({"quote_id": q["quote_id"]})).await).await;
    let id = it["itinerary_id"].as_str().unwrap().to_string();
    let booking = it["bookings"][0]["booking_id"].as_str().unwrap().to_string();
    let accepted = ok(c.put(&format!("/bookings/{booking}/accept"), Some(&ann), json!({})).await).await;
    assert_eq!(accepted["itinerary_status"].as_str().unwrap_or("awaiting_payment"), "awaiting_payment", "{accepted}");
    let it = ok(c.get(&format!("/itineraries/{id}"), Some(&sid)).await).await;
    assert_eq!(it["status"], "awaiting_payment", "{it}");
    Awaiting { sid, id, total: it["total"].as_i64().unwrap(), ann, admin }
}

/// (sender's token, itinerary id, its total).
async fn awaiting(stack: &TestStack, c: &Client) -> (String, String, i64) {
    let a = awaiting_full(stack, c).await;
    (a.sid, a.id, a.total)
}

/// What Stripe.js does for `stripe.confirmCardPayment(client_secret, {payment_method})`.
pub(crate) async fn confirm_like_stripe_js(started: &Value, payment_method: &str) -> (u16, Value) {
    let pi = started["intent_id"].as_str().unwrap();
    let r = reqwest::Client::new()
        .post(format!("{}/v1/payment_intents/{pi}/confirm", stripe_url()))
        .form(&[
            ("key", started["publishable_key"].as_str().unwrap()),
            ("client_secret", started["client_secret"].as_str().unwrap()),
            ("payment_method", payment_method),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// Stripe's API as the stack's own account (its secret key).
pub(crate) async fn stripe_api(stack: &TestStack, method: Method, path: &str, form: &[(&str, &str)]) -> Value {
    let key = &stack.names.secrets["stripe_secret_key"];
    let r = reqwest::Client::new().request(method.clone(), format!("{}{path}", stripe_url())).bearer_auth(key);
    let r = if method == Method::GET { r.query(form) } else { r.form(form) };
    let r = r.send().await.unwrap();
    r.json().await.unwrap()
}

async fn payment_of(c: &Client, sid: &str, id: &str) -> Value {
    ok(c.get(&format!("/itineraries/{id}/payment"), Some(sid)).await).await
}

async fn until_payment(c: &Client, sid: &str, id: &str, f: impl Fn(&Value) -> bool) -> Value {
    eventually(QUEUED, || async {
        let p = payment_of(c, sid, id).await;
        f(&p).then_some(p)
    })
    .await
    .unwrap_or_else(|| panic!("payment of {id} never got there"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_card_then_a_good_one_confirms_and_a_cancellation_is_refunded() {
    let stack = stack("pay").await;
    let c = Client::new(&stack);
    let Awaiting { sid, id, total, ann, admin } = awaiting_full(&stack, &c).await;
    c.get(&format!("/itineraries/{id}/payment"), None).await.problem(401, "unauthenticated");

    let started = c.post(&format!("/itineraries/{id}/payment"), Some(&sid), json!({})).await;
    assert_eq!(started.status, 201, "{}", started.body);
    eprintln!("calls: POST /itineraries/{{id}}/payment (new): {}", started.header("x-aws-calls").unwrap_or(""));
    let started = started.body;
    assert_eq!(started["amount"]["amount"], total);
    assert!(started["client_secret"].as_str().unwrap().starts_with(started["intent_id"].as_str().unwrap()));
    assert!(started["publishable_key"].as_str().unwrap().starts_with("pk_"));
    let pi = stripe_api(
        &stack,
        Method::GET,
        &format!("/v1/payment_intents/{}", started["intent_id"].as_str().unwrap()),
        &[],
    )
    .await;
    assert_eq!(pi["amount"], total, "exactly the quote's total: {pi}");
    assert_eq!(pi["currency"], "eur");
    assert_eq!(pi["transfer_group"], id.as_str());
    assert_eq!(pi["metadata"]["itinerary_id"], id.as_str());

    // A declined card: the webhook tells why; the sender may try again.
    let (status, declined) = confirm_like_stripe_js(&started, "pm_card_chargeDeclined").await;
    assert_eq!(status, 402, "{declined}");
    let p = until_payment(&c, &sid, &id, |p| p["status"] == "failed").await;
    assert!(p["last_error"].as_str().unwrap().contains("declined"), "{p}");
    let again = c.post(&format!("/itineraries/{id}/payment"), Some(&sid), json!({})).await;
    assert_eq!(again.status, 200, "the open intent, again: {}", again.body);
    assert_eq!(again.body["intent_id"], started["intent_id"]);
    eprintln!("calls: POST /itineraries/{{id}}/payment (again): {}", again.header("x-aws-calls").unwrap_or(""));
    let (status, paid) = confirm_like_stripe_js(&again.body, "pm_card_visa").await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("succeeded")), "{paid}");

    // The webhook confirms it; escrow holds the total, each share pending.
    let p = until_payment(&c, &sid, &id, |p| p["itinerary_status"] == "confirmed").await;
    assert_eq!(p["status"], "succeeded");
    assert_eq!(p["held"], total, "{p}");
    let transfers = p["transfers"].as_array().unwrap();
    let pending: i64 =
        transfers.iter().filter(|t| t["state"] == "pending").map(|t| t["amount"].as_i64().unwrap()).sum();
    assert_eq!(pending, total, "every cent of escrow is promised to someone: {p}");
    assert!(transfers.iter().any(|t| t["code"] == "share" && t["credit"]["kind"] == "payable_traveler"), "{p}");
    assert!(
        transfers.iter().any(|t| t["code"] == "vat" && t["credit"]["kind"] == "vat_payable"),
        "FR VAT on the fee: {p}"
    );
    c.post(&format!("/itineraries/{id}/payment"), Some(&sid), json!({})).await.problem(409, "already-paid");
    let share = transfers.iter().find(|t| t["code"] == "share").unwrap();
    for path in ["/me/earnings".to_string(), format!("/itineraries/{id}/payment")] {
        let tok = if path == "/me/earnings" { &ann } else { &sid };
        eprintln!("calls: GET {path}: {}", c.get(&path, Some(tok)).await.header("x-aws-calls").unwrap_or(""));
    }
    for path in [format!("/admin/ledger/accounts/escrow:{id}:EUR"), format!("/admin/ledger/transfers?itinerary={id}")] {
        eprintln!("calls: GET {path}: {}", c.get(&path, Some(&admin)).await.header("x-aws-calls").unwrap_or(""));
    }
    let earnings = ok(c.get("/me/earnings", Some(&ann)).await).await;
    assert_eq!(earnings["items"][0]["pending"], share["amount"], "the traveler sees the share held: {earnings}");
    assert_eq!(earnings["items"][0]["available"], 0);
    let escrow = ok(c.get(&format!("/admin/ledger/accounts/escrow:{id}:EUR"), Some(&admin)).await).await;
    assert_eq!(escrow["credits_posted"], total, "{escrow}");
    assert_eq!(escrow["headroom"], 0, "all of escrow is promised: {escrow}");
    let listed = ok(c.get(&format!("/admin/ledger/transfers?itinerary={id}"), Some(&admin)).await).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), transfers.len());

    // Cancelled four days before departure: refunded in full, settled by charge.refunded.
    ok(c.put(&format!("/itineraries/{id}/cancel"), Some(&sid), json!({"reason": "changed plans"})).await).await;
    let p = until_payment(&c, &sid, &id, |p| p["status"] == "refunded").await;
    assert_eq!(p["refund_requested"], total, "{p}");
    assert_eq!(p["refunded"], total);
    assert_eq!(p["held"], 0, "nothing left in escrow: {p}");
    let transfers = p["transfers"].as_array().unwrap();
    assert!(transfers.iter().all(|t| t["state"] != "pending"), "every share voided: {p}");
    assert!(transfers.iter().any(|t| t["code"] == "refund_settled"), "{p}");
    let refunds =
        stripe_api(&stack, Method::GET, "/v1/refunds", &[("payment_intent", started["intent_id"].as_str().unwrap())])
            .await;
    assert_eq!(refunds["data"].as_array().unwrap().len(), 1, "one refund at Stripe: {refunds}");

    // The day reconciles: the charge and its refund match the ledger (the
    // declined attempt moved no money); then a charge planted at Stripe is found.
    let report = crate::reconciliation::clean_today(&c, &admin).await;
    assert_eq!(report["charges"]["matched"], 1, "{report}");
    assert_eq!((&report["refunds"]["provider"], &report["refunds"]["matched"]), (&json!(1), &json!(1)), "{report}");
    crate::reconciliation::finds_a_planted_charge(&c, &stack, &admin).await;
    let earnings = ok(c.get("/me/earnings", Some(&ann)).await).await;
    assert_eq!(earnings["items"][0]["pending"], 0, "the share is voided: {earnings}");

    // The hourly check: balanced; then an account edited behind the ledger's back is found.
    let checked = ok(c.post("/_local/schedules/CheckLedgerFunction", None, json!({})).await).await;
    assert_eq!(checked["breaches"], json!([]), "{checked}");
    assert!(checked["transfers"].as_u64().unwrap() >= transfers.len() as u64, "{checked}");
    stack
        .table
        .client()
        .update_item()
        .table_name(stack.table.name())
        .key("pk", AttributeValue::S(format!("LEDGER#escrow:{id}")))
        .key("sk", AttributeValue::S("ACCOUNT#EUR".into()))
        .update_expression("ADD credits_posted :x")
        .expression_attribute_values(":x", AttributeValue::N("1".into()))
        .send()
        .await
        .unwrap();
    let checked = ok(c.post("/_local/schedules/CheckLedgerFunction", None, json!({})).await).await;
    let breaches = checked["breaches"].as_array().unwrap();
    assert!(breaches.iter().any(|b| b["subject"] == format!("escrow:{id}:EUR")), "{checked}");
    assert!(breaches.iter().any(|b| b["subject"] == "EUR"), "debits no longer equal credits: {checked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_d_secure_then_a_deadline_that_passes() {
    let stack = stack("pay3ds").await;
    let c = Client::new(&stack);
    let (sid, id, _) = awaiting(&stack, &c).await;
    let started = ok(c.post(&format!("/itineraries/{id}/payment"), Some(&sid), json!({})).await).await;
    let (status, pi) = confirm_like_stripe_js(&started, "pm_card_authenticationRequired").await;
    assert_eq!((status, pi["status"].as_str()), (200, Some("requires_action")), "{pi}");
    until_payment(&c, &sid, &id, |p| p["status"] == "requires_action").await;
    // The card holder completes 3-D Secure (localstripe's _authenticate, as its Stripe.js does).
    let r = reqwest::Client::new()
        .post(format!(
            "{}/v1/payment_intents/{}/_authenticate?success=true",
            stripe_url(),
            started["intent_id"].as_str().unwrap()
        ))
        .json(&json!({"key": started["publishable_key"], "client_secret": started["client_secret"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    until_payment(&c, &sid, &id, |p| p["itinerary_status"] == "confirmed").await;

    // Another itinerary is never paid: past the deadline it is cancelled, its PaymentIntent too.
    let (sid2, id2, _) = awaiting(&stack, &c).await;
    let open = ok(c.post(&format!("/itineraries/{id2}/payment"), Some(&sid2), json!({})).await).await;
    let fired = ok(c
        .post(
            &format!("/_local/schedules/ExpirePaymentsFunction?time={}", at(now() + 31 * 60).replace('+', "%2B")),
            None,
            json!({}),
        )
        .await)
    .await;
    assert!(fired["cancelled"].as_array().unwrap().iter().any(|i| i == id2.as_str()), "{fired}");
    assert!(!fired["cancelled"].as_array().unwrap().iter().any(|i| i == id.as_str()), "a paid one stays: {fired}");
    let it = ok(c.get(&format!("/itineraries/{id2}"), Some(&sid2)).await).await;
    assert_eq!(it["status"], "cancelled");
    assert!(it["reason"].as_str().unwrap().contains("deadline"), "{it}");
    assert_eq!(it["bookings"][0]["status"], "cancelled", "the reserved capacity is released: {it}");
    let pi =
        stripe_api(&stack, Method::GET, &format!("/v1/payment_intents/{}", open["intent_id"].as_str().unwrap()), &[])
            .await;
    assert_eq!(pi["status"], "canceled", "{pi}");
    let (status, _) = confirm_like_stripe_js(&open, "pm_card_visa").await;
    assert_eq!(status, 400, "a cancelled itinerary cannot be paid any more");
    c.post(&format!("/itineraries/{id2}/payment"), Some(&sid2), json!({})).await.problem(409, "illegal-transition");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_verified_applied_once_and_never_lost() {
    let stack = stack("webhooks").await;
    let c = Client::new(&stack);
    let secret = stack.names.secrets["stripe_webhook_secrets"].split(',').next().unwrap().to_string();
    let post = |payload: Vec<u8>, signature: Option<String>| {
        let c = c.clone();
        async move {
            let mut headers = vec![("content-type", "application/json".to_string())];
            if let Some(s) = signature {
                headers.push(("stripe-signature", s));
            }
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            c.raw(Method::POST, "/webhooks/stripe", None, &h, Some(payload)).await
        }
    };
    let other = serde_json::to_vec(&json!({"id": "evt_x1", "type": "customer.created", "created": now(),
        "data": {"object": {"id": "cus_1"}}}))
    .unwrap();
    post(other.clone(), None).await.problem(400, "invalid-signature");
    post(other.clone(), Some(sign(&other, "whsec_wrong", now()))).await.problem(400, "invalid-signature");
    post(other.clone(), Some(sign(&other, &secret, now() - 301))).await.problem(400, "invalid-signature");
    let r = post(other.clone(), Some(sign(&other, &secret, now()))).await;
    eprintln!("calls: POST /webhooks/stripe (ignored type): {}", r.header("x-aws-calls").unwrap_or(""));
    assert_eq!((r.status.as_u16(), &r.body["handled"]), (200, &json!(false)), "unknown types acknowledged: {}", r.body);

    // A payment whose webhooks never arrive: the listing schedule catches it.
    let (sid, id, _) = awaiting(&stack, &c).await;
    let started = ok(c.post(&format!("/itineraries/{id}/payment"), Some(&sid), json!({})).await).await;
    let pi = started["intent_id"].as_str().unwrap().to_string();
    let dropped = reqwest::Client::new()
        .post(format!("{}/_config/drop", stripe_url()))
        .json(&json!({"object": pi}))
        .send()
        .await
        .unwrap();
    assert_eq!(dropped.status(), 200);
    let (status, _) = confirm_like_stripe_js(&started, "pm_card_visa").await;
    assert_eq!(status, 200);
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(payment_of(&c, &sid, &id).await["status"], "requires_payment_method", "no webhook came");
    let fired = ok(c.post("/_local/schedules/SyncPaymentEventsFunction", None, json!({})).await).await;
    assert!(!fired["received"].as_array().unwrap().is_empty(), "{fired}");
    let p = until_payment(&c, &sid, &id, |p| p["itinerary_status"] == "confirmed").await;
    let transfers = p["transfers"].as_array().unwrap().len();

    // The real succeeded event, delivered 20 times at once: one effect.
    let events = stripe_api(&stack, Method::GET, "/v1/events", &[("limit", "100")]).await;
    let succeeded = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "payment_intent.succeeded" && e["data"]["object"]["id"] == pi.as_str())
        .cloned()
        .expect("the succeeded event is listed");
    let payload = serde_json::to_vec(&succeeded).unwrap();
    let answers = join_all((0..20).map(|_| post(payload.clone(), Some(sign(&payload, &secret, now()))))).await;
    assert!(answers.iter().all(|a| a.status == 200), "{:?}", answers.iter().map(|a| &a.body).collect::<Vec<_>>());
    assert!(answers.iter().all(|a| a.body["duplicate"] == true), "received before, by the listing");
    // A failure arriving late, out of order: the payment only moves forward.
    let late = serde_json::to_vec(&json!({"id": format!("evt_late{}", &uuid::Uuid::new_v4().simple().to_string()[..8]),
        "type": "payment_intent.payment_failed", "created": now() - 100,
        "data": {"object": {"id": pi, "amount": p["amount"]["amount"], "currency": "eur", "metadata": {"itinerary_id": id},
                            "last_payment_error": {"message": "late news"}}}}))
    .unwrap();
    let late_answers = join_all((0..20).map(|_| post(late.clone(), Some(sign(&late, &secret, now()))))).await;
    for a in late_answers.iter().take(3) {
        eprintln!(
            "calls: POST /webhooks/stripe (handled, duplicate={}): {}",
            a.body["duplicate"],
            a.header("x-aws-calls").unwrap_or("")
        );
    }
    let fresh = late_answers.iter().filter(|a| a.status == 200 && a.body["duplicate"] == false).count();
    let repeats = late_answers.iter().filter(|a| a.status == 200 && a.body["duplicate"] == true).count();
    assert_eq!((fresh, repeats), (1, 19), "20 concurrent deliveries of a new event: received once");
    // A dispute opened by the card holder reaches the payment.
    let charge = stripe_api(&stack, Method::GET, &format!("/v1/payment_intents/{pi}"), &[]).await["latest_charge"]
        ["id"]
        .as_str()
        .unwrap()
        .to_string();
    let d = reqwest::Client::new()
        .post(format!("{}/_config/disputes", stripe_url()))
        .json(&json!({"charge": charge}))
        .send()
        .await
        .unwrap();
    assert_eq!(d.status(), 200);
    // Its webhook is dropped too (it is about the same PaymentIntent): the listing brings it.
    let dispute = eventually(10, || async {
        let fired = ok(c.post("/_local/schedules/SyncPaymentEventsFunction", None, json!({})).await).await;
        (!fired["received"].as_array().unwrap().is_empty()).then_some(fired)
    })
    .await;
    assert!(dispute.is_some(), "the dispute is listed");
    let p = until_payment(&c, &sid, &id, |p| p["disputed"] == true).await;
    assert_eq!(p["status"], "succeeded", "the late failure changed nothing: {p}");
    assert_eq!(p["last_error"], Value::Null);
    assert_eq!(p["transfers"].as_array().unwrap().len(), transfers, "no transfer twice: {p}");
}

/// What an operator does when the DLQ monitor alarms: redrive the payment
/// consumers' and the outbox's dead letters.
async fn redrive(c: &Client) {
    for dlq in ["ApplyPaymentEventDLQ", "RefundItineraryDLQ", "OutboxPublisherDLQ"] {
        let _ = c.post(&format!("/_local/redrive/{dlq}"), None, json!({})).await;
    }
}

/// Calls Stripe until it answers something other than 429/5xx (a person
/// pressing "Pay" again after an error).
async fn persistently(f: impl Fn() -> reqwest::RequestBuilder) -> (u16, Value) {
    for _ in 0..50 {
        let r = f().send().await.unwrap();
        let status = r.status().as_u16();
        if status != 429 && status < 500 {
            return (status, r.json().await.unwrap_or_default());
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("Stripe never answered");
}

/// Our API until the answer is final (503 and an idempotent retry in flight
/// are retried with the same Idempotency-Key).
async fn persistently_ours(c: &Client, method: Method, path: &str, token: Option<&str>) -> Answer {
    persistently_with(c, method, path, token, json!({})).await
}

/// The same with a body.
pub(crate) async fn persistently_with(
    c: &Client,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> Answer {
    let key = uuid::Uuid::new_v4().to_string();
    for _ in 0..300 {
        let h = [("idempotency-key", key.as_str()), ("content-type", "application/json")];
        let a = c.raw(method.clone(), path, token, &h, Some(body.to_string().into_bytes())).await;
        assert_ne!(a.status, 500, "{method} {path}: a 500 is a bug: {}", a.body);
        let again = a.status == 503
            || (a.status == 409 && a.body["type"].as_str().is_some_and(|t| t.ends_with("idempotency-in-progress")));
        if !again {
            return a;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    panic!("{method} {path} never got a final answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payments_survive_aws_and_stripe_faults() {
    // 20% of the AWS calls of the payment functions and of the outbox fail,
    // and 20% of this stack's Stripe calls (before or after the work).
    let mut opts = handoff_tests::options("pay-faults");
    opts.fault_rate = Some(0.2);
    opts.visibility_timeout = Some(1);
    opts.fault_functions = Some(
        [
            "CreatePaymentFunction",
            "GetPaymentFunction",
            "StripeWebhookFunction",
            "ApplyPaymentEventFunction",
            "RefundItineraryFunction",
            "ExpirePaymentsFunction",
            "SyncPaymentEventsFunction",
            "CancelItineraryFunction",
            "OutboxPublisherFunction",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    );
    let stack = TestStack(handoff_local::start(opts).await.expect("the local stack starts"));
    let c = Client::new(&stack);
    let mut its = Vec::new();
    for _ in 0..3 {
        its.push(awaiting_full(&stack, &c).await);
    }
    let key = stack.names.secrets["stripe_secret_key"].clone();
    let faults = |rate: &'static str| {
        let key = key.clone();
        async move {
            reqwest::Client::new()
                .post(format!("{}/_config/faults", stripe_url()))
                .json(&json!({"account": key, "rate": rate}))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(faults("0.2").await, 200);

    // All three start paying; two pay (the second then cancels); the third never does.
    for (n, a) in its.iter().enumerate() {
        let started =
            persistently_ours(&c, Method::POST, &format!("/itineraries/{}/payment", a.id), Some(&a.sid)).await;
        assert!(started.status.is_success(), "{}", started.body);
        let s = started.body;
        if n == 2 {
            break;
        }
        let (status, pi) = persistently(|| {
            reqwest::Client::new()
                .post(format!("{}/v1/payment_intents/{}/confirm", stripe_url(), s["intent_id"].as_str().unwrap()))
                .form(&[
                    ("key", s["publishable_key"].as_str().unwrap()),
                    ("client_secret", s["client_secret"].as_str().unwrap()),
                    ("payment_method", "pm_card_visa"),
                ])
        })
        .await;
        // 400: confirmed already, by a try whose answer was lost.
        assert!(status == 200 || status == 400, "{status} {pi}");
    }
    let paid = |a: &Awaiting| {
        let (c, a) = (c.clone(), (a.sid.clone(), a.id.clone()));
        async move {
            eventually(90, || async {
                tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
                redrive(&c).await;
                let _ = c.post("/_local/schedules/SyncPaymentEventsFunction", None, json!({})).await;
                let p = c.get(&format!("/itineraries/{}/payment", a.1), Some(&a.0)).await;
                (p.status == 200 && p.body["itinerary_status"] == "confirmed").then_some(p.body)
            })
            .await
            .unwrap_or_else(|| panic!("{} never confirmed", a.1))
        }
    };
    for a in &its[..2] {
        paid(a).await;
    }
    for a in &its[1..2] {
        let r = persistently_ours(&c, Method::PUT, &format!("/itineraries/{}/cancel", a.id), Some(&a.sid)).await;
        assert!(
            r.status == 200 || (r.status == 409 && r.body["type"].as_str().unwrap().ends_with("illegal-transition")),
            "{}",
            r.body
        );
    }
    let fired = eventually(90, || async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let r = c
            .post(
                &format!("/_local/schedules/ExpirePaymentsFunction?time={}", at(now() + 31 * 60).replace('+', "%2B")),
                None,
                json!({}),
            )
            .await;
        let it = c.get(&format!("/itineraries/{}", its[2].id), Some(&its[2].sid)).await;
        (r.status == 200 && it.body["status"] == "cancelled").then_some(it.body)
    })
    .await;
    assert!(fired.is_some(), "the unpaid itinerary is cancelled");
    let open = eventually(30, || async {
        let p = c.get(&format!("/itineraries/{}/payment", its[2].id), Some(&its[2].sid)).await;
        (p.status == 200).then_some(p.body)
    })
    .await
    .unwrap();
    assert_eq!(open["status"], "canceled", "its PaymentIntent too: {open}");
    for a in &its[1..2] {
        let p = eventually(90, || async {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            redrive(&c).await;
            let _ = c.post("/_local/schedules/SyncPaymentEventsFunction", None, json!({})).await;
            let p = c.get(&format!("/itineraries/{}/payment", a.id), Some(&a.sid)).await;
            (p.status == 200 && p.body["status"] == "refunded").then_some(p.body)
        })
        .await
        .unwrap_or_else(|| panic!("{} never refunded", a.id));
        assert_eq!((p["refunded"].as_i64(), p["held"].as_i64()), (Some(a.total), Some(0)), "{p}");
    }
    assert_eq!(faults("0").await, 200);

    // No double charge, no lost payment, no refund twice.
    let intents = stripe_api(&stack, Method::GET, "/v1/payment_intents", &[("limit", "1000")]).await;
    for a in &its {
        let mine: Vec<&Value> = intents["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["metadata"]["itinerary_id"] == a.id.as_str())
            .collect();
        assert_eq!(mine.len(), 1, "one PaymentIntent for {}", a.id);
        let expected = if its[1..2].iter().any(|x| x.id == a.id) { 1 } else { 0 };
        if mine[0]["status"] == "canceled" {
            assert_eq!((expected, a.id.as_str()), (0, its[2].id.as_str()), "only the unpaid one is cancelled");
            continue;
        }
        let refunds =
            stripe_api(&stack, Method::GET, "/v1/refunds", &[("payment_intent", mine[0]["id"].as_str().unwrap())])
                .await;
        let n = refunds["data"].as_array().map_or(0, |d| d.len());
        assert_eq!(n, expected, "refunds of {}: {refunds}", a.id);
    }
    let p = eventually(30, || async {
        let p = c.get(&format!("/itineraries/{}/payment", its[0].id), Some(&its[0].sid)).await;
        (p.status == 200).then_some(p.body)
    })
    .await
    .unwrap();
    assert_eq!((p["status"].as_str(), p["held"].as_i64()), (Some("succeeded"), Some(its[0].total)), "{p}");
    let checked = eventually(30, || async {
        let r = c.post("/_local/schedules/CheckLedgerFunction", None, json!({})).await;
        (r.status == 200).then_some(r.body)
    })
    .await
    .unwrap();
    assert_eq!(checked["breaches"], json!([]), "the ledger is balanced: {checked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_traveler_who_withdraws_after_payment_is_refunded_to_the_sender_in_part() {
    let stack = stack("withdraw").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (ann, _) = c.verified_traveler(&email("ann"), &admin).await;
    let (bob, _) = c.verified_traveler(&email("bob"), &admin).await;
    let (sid, _) = c.verified_traveler(&email("sid"), &admin).await;
    // Departure in 30 hours: a sender cancelling now would lose the fee, but not when a traveler broke it.
    let dep = (now() / H + 30) * H;
    let constraints = json!({"max_weight_grams": 5000,
        "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
        "categories": ["documents", "clothing"], "price_per_kg": 2000, "min_price": 800, "currency": "EUR"});
    let leg = |from: &str, to: &str, t: i64| {
        json!({"origin": from, "destination": to, "depart_at": at(t), "arrive_at": at(t + 2 * H),
               "carrier": "AF", "flight_number": "AF7701"})
    };
    let t1 = crate::search::publish(
        &c,
        &ann,
        "flight",
        &[leg("airport:CDG", "airport:NCE", dep)],
        constraints.clone(),
        (dep - H, dep + 3 * H),
    )
    .await;
    let t2 = crate::search::publish(
        &c,
        &bob,
        "flight",
        &[leg("airport:NCE", "airport:MRS", dep + 5 * H)],
        constraints,
        (dep + 4 * H, dep + 8 * H),
    )
    .await;
    let s =
        c.ready_shipment(&sid, body("clothing", 700, 3000, ("FR", "airport:CDG"), ("FR", "airport:MRS")), "DAP").await;
    let q = ok(c.quote(&sid, &s, &[(&t1, &[1]), (&t2, &[1])]).await).await;
    let it = ok(c.post("/itineraries", Some(&sid), json!({"quote_id": q["quote_id"]})).await).await;
    let id = it["itinerary_id"].as_str().unwrap().to_string();
    let total = it["total"].as_i64().unwrap();
    for b in it["bookings"].as_array().unwrap() {
        let booking = b["booking_id"].as_str().unwrap();
        let who = if b["trip_id"] == t1.as_str() { &ann } else { &bob };
        ok(c.put(&format!("/bookings/{booking}/accept"), Some(who), json!({})).await).await;
    }
    let started = ok(c.post(&format!("/itineraries/{id}/payment"), Some(&sid), json!({})).await).await;
    let (status, _) = confirm_like_stripe_js(&started, "pm_card_visa").await;
    assert_eq!(status, 200);
    let p = until_payment(&c, &sid, &id, |p| p["itinerary_status"] == "confirmed").await;
    let shares: Vec<(String, i64)> = p["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["code"] == "share")
        .map(|t| (t["credit"]["owner"].as_str().unwrap().to_string(), t["amount"].as_i64().unwrap()))
        .collect();
    assert_eq!(shares.len(), 2, "{p}");

    // Bob cancels his trip before pickup: his booking is withdrawn, his share refunded, ann's kept.
    ok(c.post(&format!("/trips/{t2}/cancel"), Some(&bob), json!({"reason": "flight cancelled"})).await).await;
    let bob_id = ok(c.get("/me", Some(&bob)).await).await["user_id"].as_str().unwrap().to_string();
    let bob_share = shares.iter().find(|(o, _)| *o == bob_id).unwrap().1;
    let p = until_payment(&c, &sid, &id, |p| p["refunded"] == bob_share).await;
    assert_eq!(
        (p["itinerary_status"].as_str(), p["refund_requested"].as_i64()),
        (Some("needs_rebooking"), Some(bob_share)),
        "{p}"
    );
    let states: Vec<(&str, &str)> = p["transfers"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["code"] == "share" && t["phase"]["type"] == "pending")
        .map(|t| (t["credit"]["owner"].as_str().unwrap(), t["state"].as_str().unwrap()))
        .collect();
    assert!(
        states.contains(&(bob_id.as_str(), "voided")) && states.iter().any(|(o, s)| *o != bob_id && *s == "pending"),
        "{states:?}"
    );
    assert_eq!(p["held"], total - bob_share, "{p}");
    let it = ok(c.get(&format!("/itineraries/{id}"), Some(&sid)).await).await;
    assert!(it["reason"].as_str().unwrap().contains("cancelled trip"), "{it}");
    c.post(&format!("/itineraries/{id}/rebook"), Some(&sid), json!({"quote_id": q["quote_id"]}))
        .await
        .problem(409, "paid-itinerary");

    // The sender cancels the rest within 48 hours of departure: refunded in full all the same.
    ok(c.put(&format!("/itineraries/{id}/cancel"), Some(&sid), json!({})).await).await;
    let p = until_payment(&c, &sid, &id, |p| p["status"] == "refunded" && p["refunded"] == total).await;
    assert_eq!(p["held"], 0, "{p}");
    let refunds =
        stripe_api(&stack, Method::GET, "/v1/refunds", &[("payment_intent", started["intent_id"].as_str().unwrap())])
            .await;
    let mut amounts: Vec<i64> =
        refunds["data"].as_array().unwrap().iter().map(|r| r["amount"].as_i64().unwrap()).collect();
    amounts.sort();
    let mut want = vec![bob_share, total - bob_share];
    want.sort();
    assert_eq!(amounts, want, "two refunds at Stripe: {refunds}");
    let checked = ok(c.post("/_local/schedules/CheckLedgerFunction", None, json!({})).await).await;
    assert_eq!(checked["breaches"], json!([]), "{checked}");
}
