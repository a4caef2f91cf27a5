//! Chain of custody, end to end over HTTP: a sender's parcel paid onto two
//! travelers' flights (Paris → Lyon → Nice) gets its handoff plan; each
//! party shows and scans signed single-use QR codes (read back from the PNG
//! as a camera would); the recipient's delivery code is entered at the
//! door; the shipment is delivered, the escrow posted to both travelers, the
//! tracking chain verifies, the delivery proof verifies against the JWKS,
//! and an edit made directly in the table breaks the chain.
use base64::Engine;
use handoff_tests::parcels::body;
use handoff_tests::{at, eventually, now, ok, stack_with, Client, TestStack};
use serde_json::{json, Value};

const H: i64 = 3600;

async fn signed_in(c: &Client, name: &str, admin: &str) -> (String, String) {
    c.verified_traveler(&handoff_tests::email(name), admin).await
}

/// A published one-leg flight.
async fn flight(c: &Client, tok: &str, from: &str, to: &str, dep: i64) -> String {
    let leg = json!({"origin": from, "destination": to, "depart_at": at(dep), "arrive_at": at(dep + H),
                     "carrier": "AF", "flight_number": "AF7300"});
    let constraints = json!({"max_weight_grams": 5000,
        "max_dimensions_cm": {"length_cm": 50, "width_cm": 40, "height_cm": 30},
        "categories": ["documents", "clothing"], "price_per_kg": 2000, "min_price": 800, "currency": "EUR"});
    crate::search::publish(c, tok, "flight", &[leg], constraints, (dep - H, dep + 2 * H)).await
}

/// Where a place is, as GET /places/{id} says.
async fn position(c: &Client, place: &str) -> Value {
    let p = ok(c.get(&format!("/places/{place}"), None).await).await;
    json!({"lat": p["lat"], "lon": p["lon"]})
}

/// Decodes a base64 PNG QR code as a phone camera would.
fn read_qr(png_b64: &str) -> String {
    let bytes = base64::engine::general_purpose::STANDARD.decode(png_b64).unwrap();
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    let (w, h) = (info.width as usize, info.height as usize);
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * w + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    grids[0].decode().unwrap().1
}

/// The QR code a giving party shows, read from its PNG (and the same in the SVG's answer).
async fn qr(c: &Client, tok: &str, handoff: &str) -> String {
    let q = ok(c.get(&format!("/handoffs/{handoff}/qr"), Some(tok)).await).await;
    assert!(q["svg"].as_str().unwrap().contains("<svg"), "{q}");
    let read = read_qr(q["png"].as_str().unwrap());
    assert_eq!(read, q["token"].as_str().unwrap());
    read
}

pub(crate) struct Paid {
    pub sid: String,
    pub ann: (String, String),
    pub bob: (String, String),
    pub admin: String,
    pub shipment: String,
    pub itinerary: String,
    pub total: i64,
    pub shares: (i64, i64),
    /// The recipient's phone (unique: their SMS are theirs).
    pub recipient_phone: String,
}

/// Ann flies Paris → Lyon, Bob Lyon → Nice, soon; Sid's parcel goes on both, paid.
pub(crate) async fn paid(c: &Client, stack: &TestStack) -> Paid {
    let admin = c.admin(stack).await;
    let (sid, _) = signed_in(c, "sid", &admin).await;
    let ann = signed_in(c, "ann", &admin).await;
    let bob = signed_in(c, "bob", &admin).await;
    let dep = (now() / 60 + 120) * 60;
    let ann_trip = flight(c, &ann.0, "airport:CDG", "airport:LYS", dep).await;
    let bob_trip = flight(c, &bob.0, "airport:LYS", "airport:NCE", dep + 3 * H).await;
    let recipient_phone = crate::notifications::phone();
    let mut parcel = body("clothing", 700, 3000, ("FR", "airport:CDG"), ("FR", "airport:NCE"));
    parcel["recipient"]["phone"] = json!(recipient_phone);
    let s = c.ready_shipment(&sid, parcel, "DAP").await;
    let q = ok(c.quote(&sid, &s, &[(&ann_trip, &[1]), (&bob_trip, &[1])]).await).await;
    let shares = (q["segments"][0]["price"].as_i64().unwrap(), q["segments"][1]["price"].as_i64().unwrap());
    let it = ok(c.post("/itineraries", Some(&sid), json!({"quote_id": q["quote_id"]})).await).await;
    let id = it["itinerary_id"].as_str().unwrap().to_string();
    for (b, who) in it["bookings"].as_array().unwrap().iter().zip([&ann.0, &bob.0]) {
        ok(c.put(&format!("/bookings/{}/accept", b["booking_id"].as_str().unwrap()), Some(who), json!({})).await).await;
    }
    let started =
        persistently(c, reqwest::Method::POST, &format!("/itineraries/{id}/payment"), &sid, Some(json!({}))).await;
    assert!(started.status.is_success(), "{}", started.body);
    let started = started.body;
    // Like a person pressing "Pay" again after an error (Stripe may be failing on purpose).
    let mut tries = 0;
    loop {
        let (status, pi) = crate::payments::confirm_like_stripe_js(&started, "pm_card_visa").await;
        tries += 1;
        let confirmed_before = status == 400 && tries > 1;
        if status == 200 || confirmed_before {
            break;
        }
        assert!((status == 429 || status >= 500) && tries < 50, "{status} {pi}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let total = it["total"].as_i64().unwrap();
    eventually(180, || async {
        redrive(c).await;
        let p = c.get(&format!("/shipments/{s}/handoffs"), Some(&sid)).await;
        (p.status == 200).then_some(())
    })
    .await
    .expect("the paid itinerary gets its handoff plan");
    Paid { sid, ann, bob, admin, shipment: s, itinerary: id, total, shares, recipient_phone }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parcel_changes_hands_by_signed_scans_and_is_delivered_with_proof() {
    // Handoffs are soon but not now: a day's tolerance lets this test scan at once.
    let stack = stack_with("custody", &[("HandoffEarlyMinutes", "1440"), ("OtpRequestsPerIp", "100000")]).await;
    let c = Client::new(&stack);
    let p = paid(&c, &stack).await;
    let (sid, (ann, ann_id), (bob, bob_id), s) = (&p.sid, &p.ann, &p.bob, &p.shipment);

    // The plan: Sid → Ann at CDG, Ann → Bob at LYS, Bob → the recipient at NCE.
    let plan = ok(c.get(&format!("/shipments/{s}/handoffs"), Some(sid)).await).await;
    let steps = plan["steps"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> =
        steps.iter().map(|x| (x["kind"].as_str().unwrap(), x["place"].as_str().unwrap())).collect();
    assert_eq!(kinds, [("pickup", "airport:CDG"), ("handover", "airport:LYS"), ("delivery", "airport:NCE")]);
    assert_eq!(steps[1]["giver"]["user_id"], ann_id.as_str());
    assert_eq!(steps[1]["receiver"]["user_id"], bob_id.as_str());
    assert_eq!(steps[2]["receiver"], json!({"role": "recipient"}), "the recipient has no account");
    assert!(plan["tracking_token"].as_str().is_some_and(|t| t.len() >= 24), "the sender sees the tracking token");
    let bobs = ok(c.get(&format!("/shipments/{s}/handoffs"), Some(bob)).await).await;
    assert!(bobs.get("tracking_token").is_none(), "a carrier does not: {bobs}");
    let admin = &p.admin;
    c.get(&format!("/shipments/{s}/handoffs"), Some(admin)).await.problem(404, "not-found");
    let (h0, h1, h2) = (format!("{s}.0"), format!("{s}.1"), format!("{s}.2"));

    // Only the giving party shows a QR code; only its receiving party can use it.
    c.get(&format!("/handoffs/{h0}/qr"), Some(ann)).await.problem(403, "forbidden");
    let t0 = qr(&c, sid, &h0).await;
    let (cdg, lys, nce) =
        (position(&c, "airport:CDG").await, position(&c, "airport:LYS").await, position(&c, "airport:NCE").await);
    let scan = |tok: &str, h: &str, token: &str, pos: &Value, photos: Vec<String>| {
        let (tok, h, body) =
            (tok.to_string(), h.to_string(), json!({"token": token, "position": pos, "photos": photos}));
        let c = c.clone();
        async move { c.post(&format!("/handoffs/{h}/scan"), Some(&tok), body).await }
    };
    scan(bob, &h0, &t0, &cdg, vec![]).await.problem(403, "forbidden");
    scan(sid, &h0, &t0, &cdg, vec![]).await.problem(403, "forbidden");
    let t1_early = qr(&c, ann, &h1).await;
    scan(bob, &h1, &t1_early, &lys, vec![]).await.problem(409, "previous-handoff-pending");
    scan(ann, &h1, &t0, &cdg, vec![]).await.problem(422, "invalid-token");
    let mut forged = t0.clone();
    forged.replace_range(forged.len() - 3.., "AAA");
    scan(ann, &h0, &forged, &cdg, vec![]).await.problem(422, "invalid-token");
    // Ann scans in Lyon, 390 km away: refused with the distance.
    let far = scan(ann, &h0, &t0, &lys, vec![]).await;
    far.problem(422, "too-far");
    assert!(far.body["distance_km"].as_f64().unwrap() > 300.0, "{}", far.body);
    assert_eq!(far.body["max_km"], 25.0);

    // The pickup: Ann takes the parcel at CDG; the itinerary and shipment go in transit.
    let picked = scan(ann, &h0, &t0, &cdg, vec![]).await;
    assert_eq!(picked.status, 200, "{}", picked.body);
    eprintln!("calls: POST /handoffs/{{id}}/scan (pickup): {}", picked.header("x-aws-calls").unwrap_or(""));
    assert_eq!(picked.body["status"], "in_transit");
    assert_eq!(picked.body["holder"]["party"]["user_id"], ann_id.as_str());
    assert_eq!(picked.body["steps"][0]["scan"]["late"], false);
    scan(ann, &h0, &t0, &cdg, vec![]).await.problem(409, "already-scanned");
    let it = ok(c.get(&format!("/itineraries/{}", p.itinerary), Some(sid)).await).await;
    assert_eq!(it["status"], "in_transit", "{it}");
    assert_eq!(ok(c.get(&format!("/shipments/{s}"), Some(sid)).await).await["status"], "in_transit");

    // Ann reports where she is with the parcel: the sender sees the nearest city only.
    let report = |tok: &str, lat: f64, lon: f64| {
        let (c, tok, s) = (c.clone(), tok.to_string(), s.to_string());
        let body = json!({"positions": [{"lat": lat, "lon": lon, "at": at(now())}, {"lat": lat + 0.01, "lon": lon, "at": at(now())}]});
        async move { c.post(&format!("/shipments/{s}/positions"), Some(&tok), body).await }
    };
    let r = report(ann, 45.76, 4.84).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.body["last_seen"]["name"], "Lyon", "{}", r.body);
    report(bob, 45.76, 4.84).await.problem(409, "not-carrying");
    report(sid, 45.76, 4.84).await.problem(403, "forbidden");
    let seen = ok(c.get(&format!("/shipments/{s}/handoffs"), Some(sid)).await).await;
    assert_eq!(seen["last_seen"]["name"], "Lyon");
    let by = |v: &Value| v["timeline"].as_array().unwrap().iter().find(|e| e["kind"] == "position").cloned().unwrap();
    let for_sid = by(&ok(c.get(&format!("/shipments/{s}/tracking"), Some(sid)).await).await);
    assert!(for_sid["data"].get("positions").is_none(), "the sender does not see exact positions: {for_sid}");
    assert_eq!(for_sid["data"]["last_seen"]["name"], "Lyon");
    let for_ann = by(&ok(c.get(&format!("/shipments/{s}/tracking"), Some(ann)).await).await);
    assert_eq!(for_ann["data"]["positions"].as_array().unwrap().len(), 2, "{for_ann}");

    // The handover at LYS needs Bob's photo of the parcel; its hash is recorded.
    let t1 = qr(&c, ann, &h1).await;
    scan(bob, &h1, &t1, &lys, vec![]).await.problem(422, "validation-failed");
    let photo = c.photo_at(bob, &format!("/handoffs/{h1}")).await;
    assert_eq!(photo["status"], "accepted", "{photo}");
    let sha = handoff::platform::crypto::sha256_hex(&handoff_tests::parcels::jpeg());
    assert_eq!(photo["sha256"], sha.as_str());
    let photo_id = photo["document_id"].as_str().unwrap().to_string();
    scan(bob, &h1, &t1, &lys, vec!["nope".into()]).await.problem(422, "validation-failed");
    let handed = scan(bob, &h1, &t1_early, &lys, vec![photo_id.clone()]).await;
    assert_eq!(handed.status, 200, "{}", handed.body);
    eprintln!("calls: POST /handoffs/{{id}}/scan (handover): {}", handed.header("x-aws-calls").unwrap_or(""));
    assert_eq!(handed.body["steps"][2]["code_sent"], true, "Bob has the parcel: the recipient's code is out");
    scan(bob, &h1, &t1, &lys, vec![photo_id.clone()]).await.problem(409, "already-scanned");

    // At the door: a wrong code is counted; the right one delivers.
    c.get(&format!("/handoffs/{h2}/qr"), Some(bob)).await.problem(409, "delivery-code-required");
    let door_photo = c.photo_at(bob, &format!("/handoffs/{h2}")).await["document_id"].as_str().unwrap().to_string();
    // The recipient got their code by SMS (and email), derived from the custody key: it is in no event.
    let code = eventually(180, || async {
        let texts = crate::notifications::sms(&c, &p.recipient_phone).await;
        texts.iter().find_map(|m| m["message"].as_str()?.split("door: ").nth(1).map(|x| x.trim().to_string()))
    })
    .await
    .expect("the recipient gets their delivery code by SMS");
    assert_eq!(code.len(), 6, "{code}");
    let mail = eventually(180, || async {
        let m = crate::notifications::mails(&c, "remy@example.com").await;
        m.into_iter().find(|m| {
            m["subject"] == "Your delivery code for a Handoff parcel"
                && m["body"].as_str().is_some_and(|t| t.contains(&format!("Your delivery code is {code}.")))
        })
    })
    .await;
    assert!(mail.is_some(), "the recipient gets their code by email too");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let deliver = |tok: &str, code: &str, pos: &Value| {
        let (tok, body) = (tok.to_string(), json!({"code": code, "position": pos, "photos": [door_photo.clone()]}));
        let (c, h2) = (c.clone(), h2.clone());
        async move { c.post(&format!("/handoffs/{h2}/deliver"), Some(&tok), body).await }
    };
    let w = deliver(bob, wrong, &nce).await;
    w.problem(422, "wrong-delivery-code");
    assert_eq!(w.body["attempts_left"], 4);
    deliver(ann, &code, &nce).await.problem(403, "forbidden");
    let done = deliver(bob, &code, &nce).await;
    assert_eq!(done.status, 200, "{}", done.body);
    eprintln!("calls: POST /handoffs/{{id}}/deliver: {}", done.header("x-aws-calls").unwrap_or(""));
    assert_eq!(done.body["status"], "delivered");
    assert_eq!(done.body["steps"][2]["code_attempts"], 1);
    deliver(bob, &code, &nce).await.problem(409, "custody-not-active");
    let it = ok(c.get(&format!("/itineraries/{}", p.itinerary), Some(sid)).await).await;
    assert_eq!(it["status"], "delivered", "{it}");
    assert_eq!(ok(c.get(&format!("/shipments/{s}"), Some(sid)).await).await["status"], "delivered");

    // DeliveryConfirmed posts the escrow: each traveler's share on their payable, nothing left pending.
    for (id, share) in [(ann_id, p.shares.0), (bob_id, p.shares.1)] {
        let path = format!("/admin/ledger/accounts/payable_traveler:{id}:EUR");
        let acct = eventually(180, || async {
            let a = c.get(&path, Some(admin)).await;
            (a.status == 200 && a.body["credits_posted"] == share).then_some(a.body)
        })
        .await
        .unwrap_or_else(|| panic!("{path} never got {share} posted"));
        assert_eq!(acct["credits_pending"], 0, "{acct}");
    }
    let escrow = ok(c.get(&format!("/admin/ledger/accounts/escrow:{}:EUR", p.itinerary), Some(admin)).await).await;
    assert_eq!(escrow["debits_posted"], p.total, "all of escrow is paid out: {escrow}");
    assert_eq!(escrow["debits_pending"], 0, "{escrow}");

    // The travelers connect payout accounts; the payout run sends exactly their shares.
    crate::payouts::pays_out_the_delivery(&c, &stack, &p).await;

    // The sender's receipt and invoice, read back from their PDFs.
    crate::invoices::documents_of_the_delivery(&c, &p).await;
    // The travelers' earnings statements for the month they were paid in.
    crate::invoices::statements_of_the_month(&c, &p).await;
    // The day reconciles with Stripe: the charge, the refund, both payouts and their reversals for the refund.
    let report = crate::reconciliation::clean_today(&c, &p.admin).await;
    assert_eq!((&report["charges"]["matched"], &report["transfers"]["matched"]), (&json!(1), &json!(2)), "{report}");
    assert_eq!((&report["refunds"]["matched"], &report["reversals"]["matched"]), (&json!(1), &json!(2)), "{report}");

    // Everyone was told: the sender of each step, the travelers of the delivery (in-app here).
    for (who, want) in [
        (
            sid,
            &[
                "parcel_picked_up",
                "parcel_handed_over",
                "out_for_delivery",
                "parcel_delivered",
                "receipt_issued",
                "invoice_issued",
            ][..],
        ),
        (ann, &["parcel_delivered", "statement_issued"][..]),
        (bob, &["parcel_delivered", "statement_issued"][..]),
    ] {
        let kinds = eventually(180, || async {
            let inbox = ok(c.get("/me/notifications", Some(who)).await).await;
            let kinds: Vec<String> =
                inbox["items"].as_array()?.iter().filter_map(|n| n["kind"].as_str().map(str::to_string)).collect();
            want.iter().all(|k| kinds.iter().any(|x| x == k)).then_some(kinds)
        })
        .await
        .unwrap_or_else(|| panic!("{want:?} never all reached the inbox"));
        // Each document announced once, however often it was asked for or issued again.
        for doc in ["receipt_issued", "invoice_issued", "statement_issued"] {
            assert!(kinds.iter().filter(|k| *k == doc).count() <= 1, "{doc} told twice: {kinds:?}");
        }
    }

    // The timeline verifies.
    let tracking = ok(c.get(&format!("/shipments/{s}/tracking"), Some(sid)).await).await;
    let kinds: Vec<&str> =
        tracking["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["planned", "picked_up", "position", "handed_over", "out_for_delivery", "delivered"]);
    assert_eq!(tracking["verification"]["verified"], true, "{tracking}");
    assert_eq!(tracking["verification"]["head"], done.body["chain"]["head"]);

    // The delivery proof: a JWS verified offline with the published JWKS.
    let proof = ok(c.get(&format!("/shipments/{s}/proof"), Some(sid)).await).await;
    let jwks: jsonwebtoken::jwk::JwkSet =
        serde_json::from_value(ok(c.get("/.well-known/jwks.json", None).await).await).unwrap();
    let jws = proof["jws"].as_str().unwrap();
    let kid = jsonwebtoken::decode_header(jws).unwrap().kid.unwrap();
    let key = jsonwebtoken::DecodingKey::from_jwk(jwks.find(&kid).expect("the proof's key is published")).unwrap();
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::ES256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(jws, &key, &v).expect("the proof verifies").claims;
    assert_eq!(claims, proof["document"]);
    assert_eq!(claims["chain"]["head"], tracking["verification"]["head"]);
    assert_eq!(claims["steps"].as_array().unwrap().len(), 3);
    assert_eq!(claims["steps"][2]["scan"]["method"], "code");
    assert_eq!(claims["steps"][1]["scan"]["photos"][0]["sha256"], sha.as_str());
    let mut tampered = jws.to_string();
    let body_at = tampered.find('.').unwrap() + 5;
    tampered.replace_range(body_at..body_at + 1, if &tampered[body_at..body_at + 1] == "A" { "B" } else { "A" });
    assert!(jsonwebtoken::decode::<Value>(&tampered, &key, &v).is_err(), "an edited proof does not verify");

    // What this one delivery cost in AWS calls, invocations and events: for infra/bench/delivery-cost.py.
    write_meter(&stack, &c).await;

    // Someone edits the handover's event in the table: the chain no longer verifies, and no proof is signed.
    let link = handoff::keys::tracking_link(s, 4);
    let item = stack
        .table
        .client()
        .get_item()
        .table_name(stack.table.name())
        .key("pk", aws_sdk_dynamodb::types::AttributeValue::S(link.pk.clone()))
        .key("sk", aws_sdk_dynamodb::types::AttributeValue::S(link.sk.clone()))
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    let rec: handoff::platform::store::Record<handoff::domain::custody::Link> =
        handoff::platform::store::from_item(item).unwrap();
    let edited = rec.data.body.replace("\"late\":false", "\"late\":true");
    assert_ne!(edited, rec.data.body);
    let mut changed = rec.clone();
    changed.data.body = edited;
    stack
        .table
        .client()
        .put_item()
        .table_name(stack.table.name())
        .set_item(Some(handoff::platform::store::to_item(&changed)))
        .send()
        .await
        .unwrap();
    let broken = ok(c.get(&format!("/shipments/{s}/tracking"), Some(sid)).await).await;
    assert_eq!(broken["verification"]["verified"], false, "{broken}");
    assert_eq!(broken["verification"]["broken_at"], 4);
    c.get(&format!("/shipments/{s}/proof"), Some(sid)).await.problem(409, "tracking-chain-broken");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missed_handoff_is_raised_once_and_an_incident_holds_the_escrow() {
    let stack = stack_with("custody-x", &[("HandoffEarlyMinutes", "1440"), ("OtpRequestsPerIp", "100000")]).await;
    let c = Client::new(&stack);
    let p = paid(&c, &stack).await;
    let (sid, (ann, ann_id), s) = (&p.sid, &p.ann, &p.shipment);
    let plan = ok(c.get(&format!("/shipments/{s}/handoffs"), Some(sid)).await).await;
    let closes = handoff::domain::trips::Instant::parse(plan["steps"][0]["closes_at"].as_str().unwrap()).unwrap().0;
    let fire = |t: i64| {
        let c = c.clone();
        async move {
            let path = format!("/_local/schedules/RaiseMissedHandoffsFunction?time={}", at(t).replace('+', "%2B"));
            ok(c.post(&path, None, json!({})).await).await
        }
    };
    // Within the grace (120 minutes) nothing; after it, the pickup is missed — once.
    assert_eq!(fire(closes + 119 * 60).await["missed"], 0);
    assert_eq!(fire(closes + 121 * 60).await["missed"], 1);
    assert_eq!(fire(closes + 600 * 60).await["missed"], 0, "raised once");
    let plan = ok(c.get(&format!("/shipments/{s}/handoffs"), Some(sid)).await).await;
    assert_eq!(plan["steps"][0]["missed"], true, "{plan}");
    for who in [sid, ann] {
        eventually(180, || async {
            let inbox = ok(c.get("/me/notifications", Some(who)).await).await;
            inbox["items"].as_array()?.iter().any(|n| n["kind"] == "handoff_missed").then_some(())
        })
        .await
        .expect("the parties are told of the missed handoff");
    }
    eventually(180, || async {
        let m = crate::notifications::mails(&c, "support@handoff.dev").await;
        m.iter().any(|m| m["subject"] == "A handoff of your parcel was missed").then_some(())
    })
    .await
    .expect("support is told");

    // Done late after all, then an incident: the escrow is held at delivery.
    let t0 = qr(&c, sid, &format!("{s}.0")).await;
    let cdg = position(&c, "airport:CDG").await;
    let late =
        ok(c.post(&format!("/handoffs/{s}.0/scan"), Some(ann), json!({"token": t0, "position": cdg})).await).await;
    assert_eq!(late["status"], "in_transit");
    let issue = c
        .post(
            &format!("/shipments/{s}/issues"),
            Some(ann),
            json!({"kind": "damaged", "details": "A corner is crushed."}),
        )
        .await;
    assert_eq!(issue.status, 201, "{}", issue.body);
    assert_eq!(issue.body["role"], "traveler");
    c.post(&format!("/shipments/{s}/issues"), Some(ann), json!({"kind": "broken", "details": "x"}))
        .await
        .problem(422, "validation-failed");
    c.post(&format!("/shipments/{s}/issues"), Some(ann), json!({"kind": "other", "details": " "}))
        .await
        .problem(422, "validation-failed");
    let admin = &p.admin;
    c.post(&format!("/shipments/{s}/issues"), Some(admin), json!({"kind": "other", "details": "x"}))
        .await
        .problem(404, "not-found");
    let now_plan = ok(c.get(&format!("/shipments/{s}/handoffs"), Some(sid)).await).await;
    assert_eq!(now_plan["frozen"], true);
    assert_eq!(now_plan["issues"][0]["kind"], "damaged");
    eventually(180, || async {
        let inbox = ok(c.get("/me/notifications", Some(sid)).await).await;
        inbox["items"].as_array()?.iter().any(|n| n["kind"] == "issue_reported").then_some(())
    })
    .await
    .expect("the sender is told of the incident");

    // Delivered all the same: the escrow stays pending (held for support).
    let (bob, lys, nce) = (&p.bob.0, position(&c, "airport:LYS").await, position(&c, "airport:NCE").await);
    let t1 = qr(&c, ann, &format!("{s}.1")).await;
    let photo = c.photo_at(bob, &format!("/handoffs/{s}.1")).await["document_id"].clone();
    ok(c.post(&format!("/handoffs/{s}.1/scan"), Some(bob), json!({"token": t1, "position": lys, "photos": [photo]}))
        .await)
    .await;
    let code = eventually(180, || async {
        let texts = crate::notifications::sms(&c, &p.recipient_phone).await;
        texts.iter().find_map(|m| m["message"].as_str()?.split("door: ").nth(1).map(|x| x.trim().to_string()))
    })
    .await
    .unwrap();
    let door = c.photo_at(bob, &format!("/handoffs/{s}.2")).await["document_id"].clone();
    let done = c
        .post(&format!("/handoffs/{s}.2/deliver"), Some(bob), json!({"code": code, "position": nce, "photos": [door]}))
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    // The delivery's events went through (the sender is told), and the ledger still holds the shares pending.
    eventually(180, || async {
        let inbox = ok(c.get("/me/notifications", Some(sid)).await).await;
        inbox["items"].as_array()?.iter().any(|n| n["kind"] == "parcel_delivered").then_some(())
    })
    .await
    .expect("delivered");
    let acct = c.get(&format!("/admin/ledger/accounts/payable_traveler:{ann_id}:EUR"), Some(admin)).await;
    assert_eq!(acct.body["credits_posted"], 0, "frozen: nothing posted: {}", acct.body);
    assert_eq!(acct.body["credits_pending"], p.shares.0, "{}", acct.body);
}

/// The next message on a socket that `pick` accepts, within a minute.
async fn next_message<S>(ws: &mut S, pick: impl Fn(&Value) -> bool) -> Value
where
    S: futures::Stream<Item = Result<tokio_tungstenite::tungstenite::Message, tokio_tungstenite::tungstenite::Error>>
        + Unpin,
{
    use futures::StreamExt;
    let wait = async {
        while let Some(Ok(m)) = ws.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(t) = m {
                let v: Value = serde_json::from_str(&t).unwrap();
                if pick(&v) {
                    return v;
                }
            }
        }
        panic!("the socket closed");
    };
    tokio::time::timeout(std::time::Duration::from_secs(180), wait).await.expect("a message within three minutes")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_reach_the_app_and_the_public_tracking_page_live() {
    use futures::SinkExt;
    use tokio_tungstenite::tungstenite::Message;
    let stack = stack_with("custody-live", &[("HandoffEarlyMinutes", "1440"), ("OtpRequestsPerIp", "100000")]).await;
    let c = Client::new(&stack);
    let p = paid(&c, &stack).await;
    let (sid, ann, s) = (&p.sid, &p.ann.0, &p.shipment);
    let token = ok(c.get(&format!("/shipments/{s}/handoffs"), Some(sid)).await).await["tracking_token"]
        .as_str()
        .unwrap()
        .to_string();
    let ws = format!("{}/_ws", stack.url.replace("http://", "ws://"));

    // The app: a signed-in connection follows the sender's shipment; no token, a bad one, a stranger: nothing.
    assert!(tokio_tungstenite::connect_async(format!("{ws}?token=not-a-token")).await.is_err(), "refused");
    assert!(tokio_tungstenite::connect_async(ws.clone()).await.is_err(), "refused without a token");
    let (mut app, _) = tokio_tungstenite::connect_async(format!("{ws}?token={sid}")).await.expect("connects");
    let subscribe = json!({"action": "subscribe", "shipment_id": s}).to_string();
    app.send(Message::text(subscribe.clone())).await.unwrap();
    let ack = next_message(&mut app, |v| v["type"] != "notification").await;
    assert_eq!(ack, json!({"type": "subscribed", "shipment_id": s}));
    let (mut stranger, _) = tokio_tungstenite::connect_async(format!("{ws}?token={}", p.admin)).await.unwrap();
    stranger.send(Message::text(subscribe)).await.unwrap();
    let no = next_message(&mut stranger, |_| true).await;
    assert_eq!(no["type"], "error", "{no}");

    // The public page: city-level status and timeline, nothing personal.
    let page = c.get(&format!("/t/{token}"), None).await;
    assert_eq!(page.status, 200);
    assert_eq!(page.header("content-type"), Some("text/html; charset=utf-8"));
    let html = page.body.as_str().unwrap_or_default().to_string();
    assert!(html.contains("Parcel from Paris to Nice"), "{html}");
    for private in ["Sara", "Remy", "remy@example.com", &p.recipient_phone, sid.as_str()] {
        assert!(!html.contains(private), "the page shows {private}");
    }
    c.get("/t/0000000000000000000000000000000000", None).await.problem(404, "not-found");

    // In a real browser: the page shows the timeline and connects; a scan appears without a reload.
    let mut browser = handoff_tests::browser::Browser::open(&format!("{}/t/{token}", stack.url)).await;
    let items = "document.querySelectorAll('#timeline li').length";
    assert!(browser.until(30, &format!("{items} === 1")).await, "the page lists the booking");
    assert!(browser.until(30, "document.getElementById('live').dataset.connected === 'true'").await, "it connects");
    assert_eq!(browser.eval("document.getElementById('status').textContent").await, "Booked, waiting for pickup");

    let t0 = qr(&c, sid, &format!("{s}.0")).await;
    let cdg = position(&c, "airport:CDG").await;
    ok(c.post(&format!("/handoffs/{s}.0/scan"), Some(ann), json!({"token": t0, "position": cdg})).await).await;
    let live = next_message(&mut app, |v| v["type"] == "tracking").await;
    assert_eq!(live["kind"], "picked_up", "{live}");
    assert_eq!(live["place"], "airport:CDG");
    let told = next_message(&mut app, |v| v["type"] == "notification").await;
    assert_eq!(told["kind"], "parcel_picked_up", "the app hears of its inbox: {told}");
    assert!(browser.until(60, &format!("{items} === 2")).await, "the scan appears on the page");
    assert_eq!(browser.eval("document.getElementById('status').textContent").await, "On its way");
    let last = browser.eval("document.querySelector('#timeline li:last-child .what').textContent").await;
    assert_eq!(last, "Picked up in Paris");
    drop(browser);

    // Positions are rate-limited: ten batches in ten minutes, then 429 with Retry-After.
    let batch = json!({"positions": [{"lat": 48.5, "lon": 3.0, "at": at(now())}]});
    for _ in 0..10 {
        let r = c.post(&format!("/shipments/{s}/positions"), Some(ann), batch.clone()).await;
        assert_eq!(r.status, 202, "{}", r.body);
    }
    let busy = c.post(&format!("/shipments/{s}/positions"), Some(ann), batch).await;
    busy.problem(429, "too-many-reports");
    assert!(busy.header("retry-after").is_some_and(|s| s.parse::<u32>().is_ok_and(|n| (1..=600).contains(&n))));

    // Five wrong codes at the door lock the delivery and alert support.
    let bob = &p.bob.0;
    let t1 = qr(&c, ann, &format!("{s}.1")).await;
    let ph = c.photo_at(bob, &format!("/handoffs/{s}.1")).await["document_id"].clone();
    let lys = position(&c, "airport:LYS").await;
    ok(c.post(&format!("/handoffs/{s}.1/scan"), Some(bob), json!({"token": t1, "position": lys, "photos": [ph]}))
        .await)
    .await;
    let door = c.photo_at(bob, &format!("/handoffs/{s}.2")).await["document_id"].clone();
    let nce = position(&c, "airport:NCE").await;
    let code = eventually(180, || async {
        let texts = crate::notifications::sms(&c, &p.recipient_phone).await;
        texts.iter().find_map(|m| m["message"].as_str()?.split("door: ").nth(1).map(|x| x.trim().to_string()))
    })
    .await
    .unwrap();
    let wrong = if code == "999999" { "999998" } else { "999999" };
    let try_code = |code: &str| {
        let body = json!({"code": code, "position": nce, "photos": [door]});
        let (c, bob, s) = (c.clone(), bob.clone(), s.clone());
        async move { c.post(&format!("/handoffs/{s}.2/deliver"), Some(&bob), body).await }
    };
    for left in (1..=4).rev() {
        let w = try_code(wrong).await;
        w.problem(422, "wrong-delivery-code");
        assert_eq!(w.body["attempts_left"], left);
    }
    try_code(wrong).await.problem(423, "handoff-locked");
    try_code(&code).await.problem(423, "handoff-locked");
    let alerted = eventually(180, || async {
        let m = crate::notifications::mails(&c, "support@handoff.dev").await;
        m.iter().any(|m| m["subject"] == "Delivery blocked: too many wrong codes").then_some(())
    })
    .await;
    assert!(alerted.is_some(), "support is alerted");
}

/// Writes `.local/delivery-meter.json`: the AWS calls (by service and
/// operation), each function's invocations (count, wall time, memory, how it
/// is triggered), the domain events published and the messages consumers took.
async fn write_meter(stack: &TestStack, c: &Client) {
    let calls = ok(c.get("/_local/calls", None).await).await;
    let mut invocations = ok(c.get("/_local/invocations", None).await).await;
    let sockets: Vec<String> = stack.template.websocket_routes().unwrap().into_values().collect();
    for f in &stack.template.functions {
        let trigger = match f.events.first() {
            _ if sockets.contains(&f.id) => "websocket",
            _ if stack.template.authorizer_function.as_deref() == Some(f.id.as_str()) => "authorizer",
            Some(handoff_local::template::EventSource::Http { .. }) => "http",
            Some(handoff_local::template::EventSource::Sqs { .. }) => "sqs",
            Some(handoff_local::template::EventSource::Stream { .. }) => "stream",
            Some(handoff_local::template::EventSource::Schedule { .. }) => "schedule",
            None => "other",
        };
        if let Some(i) = invocations.get_mut(&f.id) {
            i["trigger"] = json!(trigger);
        }
    }
    // The audit writer and the consumers finish in their own time: wait until the counts settle.
    let mut items = handoff_tests::scan(stack).await;
    for _ in 0..20 {
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
        let again = handoff_tests::scan(stack).await;
        if again.len() == items.len() {
            break;
        }
        items = again;
    }
    let count = |entity: &str| items.iter().filter(|i| handoff_tests::s(i, "entity") == entity).count();
    let meter = json!({
        "what": "one complete delivery as tests/api/custody.rs drives it: three sign-ups, two published trips, a shipment with its photo, a quote, an itinerary of two bookings accepted, payment through localstripe, three handoffs with three photos, a position report, tracking, the proof",
        "calls": calls,
        "invocations": invocations,
        "events_published": count("AuditEntry"),
        "messages_consumed": count("ProcessedEvent"),
    });
    let path = handoff_tests::root().join(".local/delivery-meter.json");
    std::fs::write(&path, serde_json::to_string_pretty(&meter).unwrap()).unwrap();
    eprintln!("delivery meter: {}", path.display());
}

/// What an operator does when the DLQ monitor alarms: the dead letters of
/// the consumers a delivery goes through are sent back.
async fn redrive(c: &Client) {
    for dlq in [
        "ApplyPaymentEventDLQ",
        "OutboxPublisherDLQ",
        "PlanHandoffsDLQ",
        "ReleaseEscrowDLQ",
        "IssueDocumentsDLQ",
        "NotifierDLQ",
        "BroadcastDLQ",
    ] {
        let _ = c.post(&format!("/_local/redrive/{dlq}"), None, json!({})).await;
    }
}

/// Our API until the answer is final (503s and idempotent retries in flight
/// are tried again with the same Idempotency-Key).
async fn persistently(
    c: &Client,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> handoff_tests::Answer {
    crate::payments::persistently_with(c, method, path, Some(token), body.unwrap_or(json!({}))).await
}

/// One delivery's handoffs under faults: every request retried as a client would.
pub(crate) async fn deliver_under_faults(c: &Client, p: &Paid) {
    use reqwest::Method;
    let (sid, ann, bob, s) = (&p.sid, &p.ann.0, &p.bob.0, &p.shipment);
    let (cdg, lys, nce) =
        (position(c, "airport:CDG").await, position(c, "airport:LYS").await, position(c, "airport:NCE").await);
    let token = |who: &str, h: String| {
        let (c, who) = (c.clone(), who.to_string());
        async move {
            let q = persistently(&c, Method::GET, &format!("/handoffs/{h}/qr"), &who, None).await;
            assert_eq!(q.status, 200, "{}", q.body);
            q.body["token"].as_str().unwrap().to_string()
        }
    };
    let photo = |who: &str, h: String| {
        let (c, who) = (c.clone(), who.to_string());
        async move {
            let bytes = handoff_tests::parcels::jpeg();
            let r = persistently(
                &c,
                Method::POST,
                &format!("/handoffs/{h}/photos"),
                &who,
                Some(json!({"content_type": "image/jpeg", "size_bytes": bytes.len()})),
            )
            .await;
            assert_eq!(r.status, 201, "{}", r.body);
            let put = reqwest::Client::new()
                .put(r.body["upload"]["url"].as_str().unwrap())
                .header("content-type", "image/jpeg")
                .body(bytes)
                .send()
                .await
                .unwrap();
            assert!(put.status().is_success());
            let id = r.body["document"]["document_id"].as_str().unwrap().to_string();
            let done =
                persistently(&c, Method::POST, &format!("/handoffs/{h}/photos/{id}/complete"), &who, Some(json!({})))
                    .await;
            assert_eq!(done.body["status"], "accepted", "{}", done.body);
            id
        }
    };
    let t0 = token(sid, format!("{s}.0")).await;
    let r = persistently(
        c,
        Method::POST,
        &format!("/handoffs/{s}.0/scan"),
        ann,
        Some(json!({"token": t0, "position": cdg})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let t1 = token(ann, format!("{s}.1")).await;
    let ph = photo(bob, format!("{s}.1")).await;
    let body = json!({"token": t1, "position": lys, "photos": [ph]});
    let r = persistently(c, Method::POST, &format!("/handoffs/{s}.1/scan"), bob, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let code = eventually(180, || async {
        redrive(c).await;
        let texts = crate::notifications::sms(c, &p.recipient_phone).await;
        texts.iter().find_map(|m| m["message"].as_str()?.split("door: ").nth(1).map(|x| x.trim().to_string()))
    })
    .await
    .expect("the recipient's code arrives");
    let door = photo(bob, format!("{s}.2")).await;
    let body = json!({"code": code, "position": nce, "photos": [door]});
    let r = persistently(c, Method::POST, &format!("/handoffs/{s}.2/deliver"), bob, Some(body)).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["status"], "delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_deliveries_survive_injected_aws_and_stripe_faults() {
    // 20% of the AWS calls of every function a delivery goes through after
    // booking fail (before or after their work), and 20% of Stripe's calls.
    let mut opts = handoff_tests::options("custody-faults");
    opts.parameters.insert("HandoffEarlyMinutes".into(), "1440".into());
    opts.parameters.insert("OtpRequestsPerIp".into(), "100000".into());
    opts.fault_rate = Some(0.2);
    opts.visibility_timeout = Some(1);
    opts.fault_functions = Some(
        [
            "CreatePaymentFunction",
            "StripeWebhookFunction",
            "ApplyPaymentEventFunction",
            "OutboxPublisherFunction",
            "PlanHandoffsFunction",
            "GetHandoffQrFunction",
            "RequestHandoffPhotoFunction",
            "CompleteHandoffPhotoFunction",
            "ScanHandoffFunction",
            "DeliverHandoffFunction",
            "ReleaseEscrowFunction",
            "NotifierFunction",
            "CreatePayoutAccountFunction",
            "ApplyPayoutEventFunction",
            "StartPayoutRunFunction",
            "IssueDocumentsFunction",
            "GetReceiptFunction",
            "GetInvoiceFunction",
        ]
        .into_iter()
        .map(String::from)
        .collect(),
    );
    let stack = TestStack(handoff_local::start(opts).await.expect("the local stack starts"));
    let c = Client::new(&stack);
    let key = stack.names.secrets["stripe_secret_key"].clone();
    let stripe_faults = |rate: &'static str| {
        let key = key.clone();
        async move {
            let r = reqwest::Client::new()
                .post(format!("{}/_config/faults", handoff_tests::stripe_url()))
                .json(&json!({"account": key, "rate": rate}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
        }
    };
    stripe_faults("0.2").await;

    // Three deliveries at once, each from booking to the door.
    const N: usize = 3;
    let runs = (0..N).map(|_| {
        let (c, stack) = (c.clone(), &stack);
        async move {
            let p = paid(&c, stack).await;
            deliver_under_faults(&c, &p).await;
            p
        }
    });
    let done: Vec<Paid> = futures::future::join_all(runs).await;
    stripe_faults("0").await;

    let admin = &done[0].admin;
    for p in &done {
        let s = &p.shipment;
        let it = ok(c.get(&format!("/itineraries/{}", p.itinerary), Some(&p.sid)).await).await;
        assert_eq!(it["status"], "delivered", "{it}");
        // The chain verifies, with each step once: no scan counted twice.
        let t = ok(c.get(&format!("/shipments/{s}/tracking"), Some(&p.sid)).await).await;
        assert_eq!(t["verification"]["verified"], true, "{t}");
        let kinds: Vec<&str> = t["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert_eq!(kinds, ["planned", "picked_up", "handed_over", "out_for_delivery", "delivered"], "{s}");
        // Each traveler's share posted once.
        for (id, share) in [(&p.ann.1, p.shares.0), (&p.bob.1, p.shares.1)] {
            let path = format!("/admin/ledger/accounts/payable_traveler:{id}:EUR");
            let posted = eventually(180, || async {
                redrive(&c).await;
                let a = c.get(&path, Some(admin)).await;
                (a.status == 200 && a.body["credits_posted"] == share).then_some(a.body)
            })
            .await;
            assert!(posted.is_some(), "{path}: the share {share} is posted");
        }
        // The recipient got one code, the sender each notice once.
        let texts = crate::notifications::sms(&c, &p.recipient_phone).await;
        assert_eq!(texts.len(), 1, "one SMS with the code: {texts:?}");
    }
    // No event lost or doubled: per shipment, each custody event once (the audit log keeps one entry per event).
    let audited = eventually(180, || async {
        redrive(&c).await;
        let items = handoff_tests::scan(&stack).await;
        let per: Vec<Vec<String>> = done
            .iter()
            .map(|p| {
                let mut kinds: Vec<String> = items
                    .iter()
                    .filter(|i| handoff_tests::s(i, "entity") == "AuditEntry")
                    .filter(|i| format!("{i:?}").contains(&p.shipment))
                    .map(|i| handoff_tests::s(i, "action"))
                    .filter(|k| ["HandoffCompleted", "DeliveryCodeIssued", "DeliveryConfirmed"].contains(&k.as_str()))
                    .collect();
                kinds.sort();
                kinds
            })
            .collect();
        per.iter().all(|k| k.len() == 5).then_some(per)
    })
    .await
    .expect("every custody event is audited");
    for kinds in audited {
        assert_eq!(
            kinds,
            ["DeliveryCodeIssued", "DeliveryConfirmed", "HandoffCompleted", "HandoffCompleted", "HandoffCompleted"]
        );
    }
    // The ledger sums to zero and every account holds what its transfers say.
    let checked = eventually(180, || async {
        let r = c.post("/_local/schedules/CheckLedgerFunction", None, json!({})).await;
        (r.status == 200).then_some(r.body)
    })
    .await
    .unwrap();
    assert_eq!(checked["breaches"], json!([]), "the ledger is balanced: {checked}");

    // Paid out under the same faults: no transfer made twice, the ledger still balanced.
    stripe_faults("0.2").await;
    crate::payouts::pays_out_under_faults(&c, &done).await;
    stripe_faults("0").await;
    crate::payouts::paid_exactly_once(&c, &stack, &done).await;

    // Each delivery's receipt and invoice, issued under the same faults:
    // readable, each issued once, and no series with a gap.
    for p in &done {
        for kind in ["receipt", "invoice"] {
            let path = format!("/itineraries/{}/{kind}", p.itinerary);
            let doc = eventually(180, || async {
                redrive(&c).await;
                let r = c.get(&path, Some(&p.sid)).await;
                (r.status == 200).then_some(r.body)
            })
            .await
            .unwrap_or_else(|| panic!("{path} is issued under faults"));
            assert_eq!(doc["total"]["amount"], p.total, "{doc}");
            let pdf = reqwest::get(doc["url"].as_str().unwrap()).await.unwrap().bytes().await.unwrap();
            let text = crate::invoices::pdf_text(&pdf);
            assert!(text.contains(&format!("Number: {}", doc["number"].as_str().unwrap())), "{text}");
        }
    }
    crate::invoices::numbered_without_gaps(&stack, &done).await;
    // The day reconciles with Stripe after the retries: each charge and each payout once.
    let report = crate::reconciliation::clean_today(&c, admin).await;
    assert_eq!(report["charges"]["matched"], done.len(), "{report}");
    assert_eq!(report["transfers"]["matched"], 2 * done.len(), "{report}");
    let checked = eventually(180, || async {
        let r = c.post("/_local/schedules/CheckLedgerFunction", None, json!({})).await;
        (r.status == 200).then_some(r.body)
    })
    .await
    .unwrap();
    assert_eq!(checked["breaches"], json!([]), "the ledger is balanced after the payouts: {checked}");
}
