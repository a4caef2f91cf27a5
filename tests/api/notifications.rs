//! Notifications end to end: a booking tells the traveler and the sender
//! what happened, on the channels each allows, in each one's language (the
//! sender reads German); a mandatory receipt ignores an opt-out; an SNS
//! endpoint disabled by the push service is dropped; the same event
//! delivered again sends nothing twice; quiet hours hold SMS and push until
//! they end; the inbox counts and marks what is read.
use handoff_tests::parcels::body;
use handoff_tests::{at, email, eventually, now, ok, stack, Client, TestStack, QUEUED};
use reqwest::Method;
use serde_json::{json, Value};

const H: i64 = 3600;

fn unique() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..10].to_string()
}

/// A phone number no other test uses (the SMS list is shared by every stack in moto).
pub(crate) fn phone() -> String {
    format!("+49151{:08}", uuid::Uuid::new_v4().as_u128() % 100_000_000)
}

pub(crate) async fn mails(c: &Client, to: &str) -> Vec<Value> {
    c.get(&format!("/_local/mailbox?to={to}"), None).await.body.as_array().cloned().unwrap_or_default()
}

async fn mail_with(c: &Client, to: &str, subject: &str) -> Value {
    eventually(QUEUED, || async {
        let m = mails(c, to).await;
        m.into_iter().find(|m| m["subject"].as_str().is_some_and(|s| s.starts_with(subject)))
    })
    .await
    .unwrap_or_else(|| panic!("no mail {subject:?} to {to}"))
}

pub(crate) async fn sms(c: &Client, to: &str) -> Vec<Value> {
    c.get(&format!("/_local/sms?to={}", to.replace('+', "%2B")), None)
        .await
        .body
        .as_array()
        .cloned()
        .unwrap_or_default()
}

async fn pushes(c: &Client, token: &str) -> Vec<Value> {
    c.get(&format!("/_local/push?token={token}"), None).await.body.as_array().cloned().unwrap_or_default()
}

async fn until<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually(QUEUED, f).await.unwrap_or_else(|| panic!("never happened: {what}"))
}

/// A published flight of the traveler's; a sender's shipment on it; the itinerary (requested).
pub(crate) async fn book(c: &Client, traveler: &str, sender: &str) -> (String, String) {
    let dep = (now() / H + 96) * H;
    let leg = json!({"origin": "airport:CDG", "destination": "airport:NCE", "depart_at": at(dep),
                     "arrive_at": at(dep + 2 * H), "carrier": "AF", "flight_number": "AF7700"});
    let constraints = json!({"max_weight_grams": 5000,
        "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
        "categories": ["documents", "clothing"], "price_per_kg": 2000, "min_price": 800, "currency": "EUR"});
    let trip = crate::search::publish(c, traveler, "flight", &[leg], constraints, (dep - H, dep + 3 * H)).await;
    let s = c
        .ready_shipment(sender, body("clothing", 700, 3000, ("FR", "airport:CDG"), ("FR", "airport:NCE")), "DAP")
        .await;
    let q = ok(c.quote(sender, &s, &[(&trip, &[1])]).await).await;
    let it = ok(c.post("/itineraries", Some(sender), json!({"quote_id": q["quote_id"]})).await).await;
    (it["itinerary_id"].as_str().unwrap().to_string(), it["bookings"][0]["booking_id"].as_str().unwrap().to_string())
}

type Item = std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>;

/// A user's notification settings item and delivery records, from the table.
async fn settings_of(stack: &TestStack, user: &str) -> Option<Item> {
    let key = handoff::keys::notify_settings(user);
    handoff_tests::scan(stack)
        .await
        .into_iter()
        .find(|i| handoff_tests::s(i, "pk") == key.pk && handoff_tests::s(i, "sk") == key.sk)
}

async fn deliveries_of(stack: &TestStack, user: &str) -> Vec<Item> {
    handoff_tests::scan(stack)
        .await
        .into_iter()
        .filter(|i| handoff_tests::s(i, "entity") == "NotificationDelivery" && handoff_tests::s(i, "user_id") == user)
        .collect()
}

/// The SQS message an EventBridge rule delivers for `envelope`.
fn sqs_event(envelope: &Value) -> Value {
    let bus = json!({"version": "0", "id": unique(), "detail-type": envelope["detail_type"], "source": envelope["source"],
                     "account": "123456789012", "time": envelope["occurred_at"], "region": "us-east-1", "resources": [],
                     "detail": envelope});
    json!({"Records": [{"messageId": unique(), "receiptHandle": "h", "body": bus.to_string(),
                        "attributes": {"ApproximateReceiveCount": "1"}, "messageAttributes": {}, "md5OfBody": "",
                        "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:notifier",
                        "awsRegion": "us-east-1"}]})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_booking_tells_each_party_on_their_channels_in_their_language() {
    let stack = stack("notify").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;

    // Ann, the traveler: English, a phone, SMS on for bookings, an iPhone.
    let ann_email = email("ann");
    let (ann, ann_id) = c.verified_traveler(&ann_email, &admin).await;
    let ann_phone = phone();
    ok(c.call(Method::PATCH, "/me", Some(&ann), Some(json!({"phone": ann_phone}))).await).await;
    let prefs = ok(c
        .put(
            "/me/notification-preferences",
            Some(&ann),
            json!({"categories": {"bookings": {"email": true, "sms": true, "push": true, "in_app": true}}}),
        )
        .await)
    .await;
    assert_eq!(prefs["categories"]["bookings"]["sms"], true, "{prefs}");
    assert_eq!(prefs["categories"]["receipts"]["mandatory"], true, "{prefs}");
    let ann_token = format!("{}{}", unique(), "a".repeat(54));
    let ann_device = ok(c.post("/me/devices", Some(&ann), json!({"platform": "apns", "token": ann_token})).await).await;
    let again = ok(c.post("/me/devices", Some(&ann), json!({"platform": "apns", "token": ann_token})).await).await;
    assert_eq!(again["device_id"], ann_device["device_id"], "the same token is the same device");
    c.post("/me/devices", Some(&ann), json!({"platform": "apns", "token": "not hex"}))
        .await
        .problem(422, "validation-failed");

    // Sid, the sender: German, no booking emails, an Android phone.
    let sid_email = email("sid");
    let (sid, sid_id) = c.verified_traveler(&sid_email, &admin).await;
    ok(c.call(Method::PATCH, "/me", Some(&sid), Some(json!({"locale": "de-DE"}))).await).await;
    let off = json!({"email": false, "sms": false, "push": false, "in_app": false});
    c.put("/me/notification-preferences", Some(&sid), json!({"categories": {"receipts": off}}))
        .await
        .problem(422, "mandatory-category");
    ok(c.put(
        "/me/notification-preferences",
        Some(&sid),
        json!({"categories": {"bookings": {"email": false, "sms": false, "push": true, "in_app": true}, "payments": off}}),
    )
    .await)
    .await;
    let sid_token = format!("fcm-{}-{}", unique(), "x".repeat(40));
    ok(c.post("/me/devices", Some(&sid), json!({"platform": "fcm", "token": sid_token})).await).await;

    // Sid books Ann's flight: Ann is asked on every channel she allows.
    let (itinerary, booking) = book(&c, &ann, &sid).await;
    let asked = mail_with(&c, &ann_email, "New booking request for your trip").await;
    assert!(asked["body"].as_str().unwrap().contains("Please accept or decline before"), "{asked}");
    let text = until("Ann's SMS", || async {
        sms(&c, &ann_phone).await.into_iter().find_map(|m| m["message"].as_str().map(str::to_string))
    })
    .await;
    assert!(text.starts_with("Handoff: new booking request for your trip"), "{text}");
    let push = until("Ann's push", || async { pushes(&c, &ann_token).await.into_iter().next() }).await;
    let apns: Value = serde_json::from_str(push["message"]["APNS"].as_str().unwrap()).unwrap();
    assert_eq!(apns["aps"]["alert"]["title"], "New booking request for your trip", "{push}");
    let inbox = ok(c.get("/me/notifications", Some(&ann)).await).await;
    assert_eq!(inbox["items"][0]["kind"], "booking_requested", "{inbox}");
    assert!(inbox["unread"].as_u64().unwrap() >= 1, "{inbox}");

    // The push service disables Ann's iPhone: the next push to it drops the device.
    let endpoint = push["endpoint"].as_str().unwrap().to_string();
    let sns = aws_sdk_sns::Client::new(&stack.sdk);
    sns.set_endpoint_attributes().endpoint_arn(&endpoint).attributes("Enabled", "false").send().await.unwrap();

    // Ann accepts: Sid is told in German, by push and in the app, not by email.
    ok(c.put(&format!("/bookings/{booking}/accept"), Some(&ann), json!({})).await).await;
    let p = until("Sid's push", || async { pushes(&c, &sid_token).await.into_iter().next() }).await;
    assert_eq!(p["message"]["default"], "Handoff: ein Reisender hat Ihre Buchung angenommen.", "{p}");
    let inbox = until("Sid's inbox", || async {
        let i = ok(c.get("/me/notifications", Some(&sid)).await).await;
        (i["items"][0]["kind"] == "booking_accepted").then_some(i)
    })
    .await;
    assert_eq!(inbox["items"][0]["title"], "Ihre Buchung wurde angenommen", "{inbox}");

    // Sid pays: the receipt is mandatory, so it is emailed (in German) despite the opt-out.
    let started = ok(c.post(&format!("/itineraries/{itinerary}/payment"), Some(&sid), json!({})).await).await;
    let (status, paid) = crate::payments::confirm_like_stripe_js(&started, "pm_card_visa").await;
    assert_eq!(status, 200, "{paid}");
    let receipt = mail_with(&c, &sid_email, "Beleg: ").await;
    assert!(receipt["subject"].as_str().unwrap().ends_with(" EUR bezahlt"), "{receipt}");
    assert!(receipt["body"].as_str().unwrap().contains("Diese E-Mail ist Ihr Beleg."), "{receipt}");
    assert!(
        !mails(&c, &sid_email).await.iter().any(|m| m["subject"] == "Ihre Buchung wurde angenommen"),
        "Sid switched booking emails off"
    );
    // Ann hears of the payment by email; her disabled iPhone is dropped and its endpoint deleted.
    mail_with(&c, &ann_email, "A parcel is confirmed for your trip").await;
    until("Ann's device dropped", || async {
        let settings = settings_of(&stack, &ann_id).await;
        let devices = settings.as_ref().and_then(|i| i.get("devices")).and_then(|d| d.as_m().ok()).map(|m| m.len());
        (devices == Some(0)).then_some(())
    })
    .await;
    let dropped = deliveries_of(&stack, &ann_id).await;
    assert!(
        dropped.iter().any(|d| handoff_tests::s(d, "channel") == "push" && handoff_tests::s(d, "status") == "dropped"),
        "a dropped push delivery is recorded"
    );
    assert!(sns.get_endpoint_attributes().endpoint_arn(&endpoint).send().await.is_err(), "the endpoint is deleted");
    c.call(Method::DELETE, &format!("/me/devices/{}", ann_device["device_id"].as_str().unwrap()), Some(&ann), None)
        .await
        .problem(404, "not-found");

    // The same event delivered again (the consumer died before it recorded it): nothing twice.
    let confirmed = handoff_tests::scan(&stack)
        .await
        .into_iter()
        .find(|i| {
            handoff_tests::s(i, "entity") == "NotificationDelivery" && handoff_tests::s(i, "kind") == "payment_received"
        })
        .expect("the receipt's delivery record");
    let event_id = handoff_tests::s(&confirmed, "event_id");
    let before = mails(&c, &sid_email).await.len();
    let envelope = json!({"id": event_id, "source": "handoff.payments", "detail_type": "ItineraryConfirmed",
        "occurred_at": "2026-11-22T10:00:00.000Z", "schema_version": 1, "correlation_id": "again",
        "actor": {"id": "system"}, "data": {"itinerary_id": itinerary, "shipment_id": "s", "sender_id": sid_id,
        "travelers": [ann_id], "total": {"amount": 3000, "currency": "EUR"}}});
    let notifier = stack.functions["NotifierFunction"].clone();
    for _ in 0..2 {
        let key = handoff::keys::processed("notifier", &event_id);
        stack
            .table
            .client()
            .delete_item()
            .table_name(stack.table.name())
            .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(key.pk))
            .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(key.sk))
            .send()
            .await
            .unwrap();
        let answer = notifier.invoke(sqs_event(&envelope)).await.unwrap();
        assert_eq!(answer["batchItemFailures"].as_array().map_or(0, |f| f.len()), 0, "{answer}");
    }
    assert_eq!(mails(&c, &sid_email).await.len(), before, "a redelivered event emails nothing again");

    // The inbox: one read, then all.
    let inbox = ok(c.get("/me/notifications", Some(&ann)).await).await;
    let unread = inbox["unread"].as_u64().unwrap();
    assert!(unread >= 2, "{inbox}");
    let first = inbox["items"][0]["notification_id"].as_str().unwrap().to_string();
    let r = c.put(&format!("/me/notifications/{first}/read"), Some(&ann), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    // Ann's booking request is hers alone (the confirmation told both of them, under one event id).
    let asked_id = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "booking_requested")
        .and_then(|i| i["notification_id"].as_str())
        .unwrap()
        .to_string();
    c.put(&format!("/me/notifications/{asked_id}/read"), Some(&sid), json!({})).await.problem(404, "not-found");
    let after = ok(c.get("/me/notifications", Some(&ann)).await).await;
    assert_eq!(after["unread"].as_u64().unwrap(), unread - 1, "{after}");
    assert!(after["items"][0]["read_at"].is_string(), "{after}");
    let only_unread = ok(c.get("/me/notifications?unread=true", Some(&ann)).await).await;
    assert_eq!(only_unread["items"].as_array().unwrap().len() as u64, unread - 1, "{only_unread}");
    let all = ok(c.put("/me/notifications/read-all", Some(&ann), json!({})).await).await;
    assert_eq!(all["marked"].as_u64().unwrap(), unread - 1, "{all}");
    assert_eq!(ok(c.get("/me/notifications", Some(&ann)).await).await["unread"], 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_hours_hold_sms_and_push_until_they_end() {
    let stack = stack("quiet").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (sid, _) = c.verified_traveler(&email("sender"), &admin).await;
    let kim_email = email("kim");
    let (kim, kim_id) = c.verified_traveler(&kim_email, &admin).await;
    let kim_phone = phone();
    ok(c.call(Method::PATCH, "/me", Some(&kim), Some(json!({"phone": kim_phone}))).await).await;
    let kim_token = format!("fcm-{}-{}", unique(), "q".repeat(40));
    ok(c.post("/me/devices", Some(&kim), json!({"platform": "fcm", "token": kim_token})).await).await;
    // Kim sleeps in Tokyo (UTC+9, no summer time): quiet from an hour ago until an hour from now.
    let hhmm = |t: i64| {
        let m = (t + 9 * H).rem_euclid(86_400) / 60;
        format!("{:02}:{:02}", m / 60, m % 60)
    };
    let end_utc = (now() / 60 + 60) * 60;
    let quiet = json!({"start": hhmm(now() - H), "end": hhmm(end_utc), "time_zone": "Asia/Tokyo"});
    let bad = json!({"quiet_hours": {"start": "25:00", "end": "07:00", "time_zone": "Asia/Tokyo"}});
    c.put("/me/notification-preferences", Some(&kim), bad).await.problem(422, "validation-failed");
    let p = ok(c
        .put(
            "/me/notification-preferences",
            Some(&kim),
            json!({"categories": {"bookings": {"email": true, "sms": true, "push": true, "in_app": true}},
                   "quiet_hours": quiet}),
        )
        .await)
    .await;
    assert_eq!(p["quiet_hours"]["time_zone"], "Asia/Tokyo", "{p}");

    // A booking request in Kim's night: email and inbox now, SMS and push held.
    book(&c, &kim, &sid).await;
    mail_with(&c, &kim_email, "New booking request for your trip").await;
    until("Kim's inbox", || async {
        let i = ok(c.get("/me/notifications?unread=true", Some(&kim)).await).await;
        i["items"].as_array().unwrap().iter().any(|n| n["kind"] == "booking_requested").then_some(())
    })
    .await;
    let held = until("held deliveries", || async {
        let held: Vec<_> = deliveries_of(&stack, &kim_id)
            .await
            .into_iter()
            .filter(|i| handoff_tests::s(i, "status") == "held" && handoff_tests::s(i, "gsi2pk") == "NOTIFY#HELD")
            .collect();
        (held.len() >= 2).then_some(held)
    })
    .await;
    assert!(held.iter().any(|h| handoff_tests::s(h, "channel") == "sms"));
    assert!(sms(&c, &kim_phone).await.is_empty(), "no SMS during quiet hours");
    assert!(pushes(&c, &kim_token).await.is_empty(), "no push during quiet hours");

    // Before the hours end the schedule sends nothing; once they have ended, both.
    let fire = |t: i64| {
        let c = &c;
        async move {
            ok(c.post(
                &format!("/_local/schedules/ReleaseNotificationsFunction?time={}", at(t).replace('+', "%2B")),
                None,
                json!({}),
            )
            .await)
            .await
        }
    };
    let early = fire(end_utc - 120).await;
    assert!(sms(&c, &kim_phone).await.is_empty(), "still quiet: {early}");
    let released = fire(end_utc + 60).await;
    assert!(released["sent"].as_u64().unwrap() >= 2, "{released}");
    let text = sms(&c, &kim_phone).await;
    assert_eq!(text.len(), 1, "{text:?}");
    assert!(text[0]["message"].as_str().unwrap().starts_with("Handoff: new booking request"), "{text:?}");
    assert_eq!(pushes(&c, &kim_token).await.len(), 1);
    // Released once: firing again sends nothing more.
    fire(end_utc + 120).await;
    assert_eq!(sms(&c, &kim_phone).await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bounce_suppresses_email_to_that_address() {
    let stack = stack("bounce").await;
    let c = Client::new(&stack);
    let bob_email = email("bob");
    let signed = c.sign_in(&bob_email).await;
    let (bob, bob_id) = (signed["access_token"].as_str().unwrap(), signed["user"]["user_id"].as_str().unwrap());
    mail_with(&c, &bob_email, "Welcome to Handoff").await;

    // SES reports a permanent bounce on the default bus, as it does for the configuration set.
    let detail = json!({"eventType": "Bounce", "bounce": {"bounceType": "Permanent", "bounceSubType": "General",
        "bouncedRecipients": [{"emailAddress": bob_email.to_uppercase()}]}, "mail": {"destination": [bob_email]}});
    let eb = aws_sdk_eventbridge::Client::new(&stack.sdk);
    let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
        .source("aws.ses")
        .detail_type("Email Bounced")
        .detail(detail.to_string())
        .build();
    let put = eb.put_events().entries(entry).send().await.unwrap();
    assert_eq!(put.failed_entry_count, 0);
    until("email suppressed", || async {
        let s = settings_of(&stack, bob_id).await?;
        let reason = s.get("suppressed")?.as_m().ok()?.get("email")?.as_m().ok()?.get("reason")?.as_s().ok()?.clone();
        Some(reason)
    })
    .await;

    // The next payment notice reaches Bob in the app, not by email.
    let before = mails(&c, &bob_email).await.len();
    let envelope = json!({"id": uuid::Uuid::now_v7().to_string(), "source": "handoff.payments", "detail_type": "PaymentFailed",
        "occurred_at": "2026-11-22T10:00:00.000Z", "schema_version": 1, "correlation_id": "bounce",
        "actor": {"id": "system"}, "data": {"itinerary_id": "it-bounce", "sender_id": bob_id, "intent_id": "pi_1",
        "reason": "Your card was declined.", "deadline": at(now() + H)}});
    let answer = stack.functions["NotifierFunction"].clone().invoke(sqs_event(&envelope)).await.unwrap();
    assert_eq!(answer["batchItemFailures"].as_array().map_or(0, |f| f.len()), 0, "{answer}");
    let records = deliveries_of(&stack, bob_id).await;
    let email_record = records
        .iter()
        .find(|d| handoff_tests::s(d, "kind") == "payment_failed" && handoff_tests::s(d, "channel") == "email")
        .expect("the email delivery is recorded");
    assert_eq!(handoff_tests::s(email_record, "status"), "suppressed");
    assert_eq!(mails(&c, &bob_email).await.len(), before, "no email to a bounced address");
    let inbox = ok(c.get("/me/notifications", Some(bob)).await).await;
    assert_eq!(inbox["items"][0]["kind"], "payment_failed", "{inbox}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_notifier_under_faults_sends_everything_exactly_once() {
    // 20% of the notifier's and the outbox's AWS calls fail, before or after the work.
    let mut opts = handoff_tests::options("notify-faults");
    opts.fault_rate = Some(0.2);
    opts.visibility_timeout = Some(1);
    opts.fault_functions =
        Some(["NotifierFunction", "OutboxPublisherFunction"].into_iter().map(String::from).collect());
    let stack = TestStack(handoff_local::start(opts).await.expect("the local stack starts"));
    let c = Client::new(&stack);
    struct User {
        email: String,
        phone: String,
        token: String,
        id: String,
    }
    let mut users = Vec::new();
    for n in 0..5 {
        let u_email = email(&format!("faulty{n}"));
        let s = c.sign_in(&u_email).await;
        let tok = s["access_token"].as_str().unwrap().to_string();
        let u = User {
            email: u_email,
            phone: phone(),
            token: format!("fcm-{}-{}", unique(), "f".repeat(40)),
            id: s["user"]["user_id"].as_str().unwrap().to_string(),
        };
        ok(c.call(Method::PATCH, "/me", Some(&tok), Some(json!({"phone": u.phone}))).await).await;
        ok(c.post("/me/devices", Some(&tok), json!({"platform": "fcm", "token": u.token})).await).await;
        let all = json!({"email": true, "sms": true, "push": true, "in_app": true});
        ok(c.put("/me/notification-preferences", Some(&tok), json!({"categories": {"payments": all}})).await).await;
        users.push(u);
    }
    // A failed payment for each, on the bus as payments publishes it: four channels each.
    let eb = aws_sdk_eventbridge::Client::new(&stack.sdk);
    for u in &users {
        let envelope = json!({"id": uuid::Uuid::now_v7().to_string(), "source": "handoff.payments", "detail_type": "PaymentFailed",
            "occurred_at": "2026-11-22T10:00:00.000Z", "schema_version": 1, "correlation_id": "faults",
            "actor": {"id": "system"}, "data": {"itinerary_id": format!("it-{}", unique()), "sender_id": u.id,
            "intent_id": "pi_1", "reason": "Your card was declined.", "deadline": at(now() + H)}});
        let entry = aws_sdk_eventbridge::types::PutEventsRequestEntry::builder()
            .event_bus_name(stack.names.refs["EventBus"].clone())
            .source("handoff.payments")
            .detail_type("PaymentFailed")
            .detail(envelope.to_string())
            .build();
        assert_eq!(eb.put_events().entries(entry).send().await.unwrap().failed_entry_count, 0);
    }
    // Welcome (email, inbox) and the failed payment (email, SMS, push, inbox) for everyone,
    // whatever had to be retried; an operator redrives what reached the DLQ.
    let complete = || async {
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        let _ = c.post("/_local/redrive/NotifierDLQ", None, json!({})).await;
        let _ = c.post("/_local/redrive/OutboxPublisherDLQ", None, json!({})).await;
        let records: Vec<_> = handoff_tests::scan(&stack)
            .await
            .into_iter()
            .filter(|i| handoff_tests::s(i, "entity") == "NotificationDelivery")
            .filter(|i| users.iter().any(|u| u.id == handoff_tests::s(i, "user_id")))
            .collect();
        let sent = records.iter().filter(|r| handoff_tests::s(r, "status") == "sent").count();
        (sent == users.len() * 6).then_some(records)
    };
    let records = eventually(180, complete).await.expect("every delivery sent");
    assert!(records.iter().all(|r| handoff_tests::s(r, "status") == "sent"));
    for u in &users {
        let m = mails(&c, &u.email).await;
        let welcome = m.iter().filter(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("Welcome"))).count();
        let failed = m.iter().filter(|m| m["subject"] == "Your payment did not go through").count();
        assert_eq!((welcome, failed), (1, 1), "{}: {m:?}", u.email);
        assert_eq!(sms(&c, &u.phone).await.len(), 1, "{}", u.phone);
        assert_eq!(pushes(&c, &u.token).await.len(), 1, "{}", u.token);
    }
    let unconfirmed = records.iter().filter(|r| handoff_tests::s(r, "error").starts_with("unconfirmed")).count();
    eprintln!("faults: {} deliveries, {unconfirmed} with a lost answer (recorded sent, not sent again)", records.len());
}
