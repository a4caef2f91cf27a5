//! Messaging end to end: a sender and two travelers of one itinerary talk;
//! the conversation opens when the first traveler accepts; contacts are
//! masked until every booking is accepted; an attachment is uploaded,
//! checked and downloaded; a stranger gets 404; unread counts, the in-app
//! notification of a new message, and the email digest of messages left
//! unread.
use handoff_tests::parcels::{body, jpeg};
use handoff_tests::{at, email, eventually, now, ok, stack, Client, QUEUED};
use serde_json::json;

const H: i64 = 3600;

async fn unread_of(c: &Client, tok: &str, id: &str) -> Option<u64> {
    let list = ok(c.get("/me/conversations", Some(tok)).await).await;
    list["items"].as_array().unwrap().iter().find(|m| m["conversation_id"] == id).and_then(|m| m["unread"].as_u64())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sender_and_travelers_talk_with_contacts_masked_until_every_booking_is_accepted() {
    let stack = stack("messaging").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (ann, _) = c.verified_traveler(&email("ann"), &admin).await;
    let (bob, _) = c.verified_traveler(&email("bob"), &admin).await;
    let sid_email = email("sid");
    let (sid, _) = c.verified_traveler(&sid_email, &admin).await;
    let eve = c.sign_in(&email("eve")).await["access_token"].as_str().unwrap().to_string();
    let t = (now() / H + 48) * H;
    let t1 = crate::bookings::flight(&c, &ann, "airport:CDG", "airport:NCE", t, 5000).await;
    let t2 = crate::bookings::flight(&c, &bob, "airport:NCE", "airport:MRS", t + 5 * H, 5000).await;
    let s =
        c.ready_shipment(&sid, body("clothing", 700, 3000, ("FR", "airport:CDG"), ("FR", "airport:MRS")), "DAP").await;
    let q = ok(c.quote(&sid, &s, &[(&t1, &[1]), (&t2, &[1])]).await).await;
    let it = ok(c.post("/itineraries", Some(&sid), json!({"quote_id": q["quote_id"]})).await).await;
    let id = it["itinerary_id"].as_str().unwrap().to_string();
    let (b1, b2) = (crate::bookings::booking_of(&it, &t1), crate::bookings::booking_of(&it, &t2));
    let path = format!("/conversations/{id}/messages");

    // Not open before a traveler accepts.
    c.get(&path, Some(&sid)).await.problem(404, "not-found");
    ok(c.put(&format!("/bookings/{b1}/accept"), Some(&ann), json!({})).await).await;
    // Open: the sender and both travelers (Bob's booking still pending); a stranger is 404.
    c.get(&path, Some(&eve)).await.problem(404, "not-found");
    c.post(&path, Some(&eve), json!({"text": "hi"})).await.problem(404, "not-found");
    c.put(&format!("/conversations/{id}/read"), Some(&eve), json!({})).await.problem(404, "not-found");
    eventually(QUEUED, || async { unread_of(&c, &sid, &id).await })
        .await
        .expect("the conversation is listed once open");
    c.post(&path, Some(&sid), json!({"text": "   "})).await.problem(422, "validation-failed");

    // Bob has not accepted yet: contacts are masked.
    let m1 =
        ok(c.post(&path, Some(&sid), json!({"text": "Call me on +33 6 12 34 56 78 or sid@example.org, thanks"})).await)
            .await;
    assert_eq!(m1["masked"], true, "{m1}");
    let text = m1["text"].as_str().unwrap();
    assert!(!text.contains("+33") && !text.contains("sid@example.org") && text.ends_with(", thanks"), "{text}");

    // Ann sends a photo of her bag: uploaded, checked, attached.
    let bytes = jpeg();
    let up = ok(c
        .post(
            &format!("/conversations/{id}/attachments"),
            Some(&ann),
            json!({"content_type": "image/jpeg", "size_bytes": bytes.len()}),
        )
        .await)
    .await;
    let doc = up["document"]["document_id"].as_str().unwrap().to_string();
    c.post(&path, Some(&ann), json!({"text": "My bag", "attachments": [doc]})).await.problem(422, "validation-failed");
    let put = reqwest::Client::new()
        .put(up["upload"]["url"].as_str().unwrap())
        .header("content-type", "image/jpeg")
        .body(bytes)
        .send()
        .await
        .unwrap();
    assert!(put.status().is_success());
    c.post(&format!("/conversations/{id}/attachments/{doc}/complete"), Some(&bob), json!({}))
        .await
        .problem(404, "not-found");
    let checked =
        ok(c.post(&format!("/conversations/{id}/attachments/{doc}/complete"), Some(&ann), json!({})).await).await;
    assert_eq!(checked["status"], "accepted", "{checked}");
    let m2 = ok(c.post(&path, Some(&ann), json!({"text": "My bag, see the photo", "attachments": [doc]})).await).await;
    assert_eq!(m2["attachments"][0]["content_type"], "image/jpeg", "{m2}");

    // Bob reads both, newest first, and downloads the photo.
    let page = ok(c.get(&path, Some(&bob)).await).await;
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    assert_eq!(items[0]["message_id"], m2["message_id"]);
    let url = items[0]["attachments"][0]["url"].as_str().unwrap();
    let got = reqwest::get(url).await.unwrap();
    assert!(got.status().is_success());
    assert_eq!(got.bytes().await.unwrap().as_ref(), jpeg().as_slice());
    assert_eq!(unread_of(&c, &bob, &id).await, Some(2));
    assert_eq!(unread_of(&c, &sid, &id).await, Some(1), "Sid's own message is not unread for him");
    // Bob is told in the app.
    eventually(QUEUED, || async {
        let i = ok(c.get("/me/notifications", Some(&bob)).await).await;
        i["items"].as_array().unwrap().iter().any(|n| n["kind"] == "new_message").then_some(())
    })
    .await
    .expect("a new-message notification in Bob's inbox");
    let r = c.put(&format!("/conversations/{id}/read"), Some(&bob), json!({})).await;
    assert_eq!(r.status, 204, "{}", r.body);
    assert_eq!(unread_of(&c, &bob, &id).await, Some(0));

    // Bob accepts: every booking is accepted, contacts are no longer masked.
    ok(c.put(&format!("/bookings/{b2}/accept"), Some(&bob), json!({})).await).await;
    let m3 = ok(c.post(&path, Some(&bob), json!({"text": "Reach me on +33 7 98 76 54 32"})).await).await;
    assert_eq!((m3["masked"].as_bool(), m3["text"].as_str()), (Some(false), Some("Reach me on +33 7 98 76 54 32")));

    // Sid leaves two messages unread for half an hour: one email digest, once.
    let fire = |t: i64| {
        let c = &c;
        async move {
            ok(c.post(
                &format!("/_local/schedules/DigestMessagesFunction?time={}", at(t).replace('+', "%2B")),
                None,
                json!({}),
            )
            .await)
            .await
        }
    };
    let digests = |c: Client, to: String| async move {
        let m = c.get(&format!("/_local/mailbox?to={to}"), None).await.body;
        m.as_array()
            .unwrap()
            .iter()
            .filter(|m| m["subject"].as_str().is_some_and(|s| s.contains("unread message")))
            .count()
    };
    fire(now() + 10 * 60).await;
    assert_eq!(digests(c.clone(), sid_email.clone()).await, 0, "not yet due");
    let r = fire(now() + 31 * 60).await;
    assert!(r["digests"].as_u64().unwrap() >= 1, "{r}");
    assert_eq!(digests(c.clone(), sid_email.clone()).await, 1);
    fire(now() + 40 * 60).await;
    assert_eq!(digests(c.clone(), sid_email.clone()).await, 1, "one digest per wait");
}
