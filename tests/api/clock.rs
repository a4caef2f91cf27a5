//! The local stack's clock moves forward (POST /_local/clock), as Stripe's
//! test clocks do: a quote's fifteen minutes and an access token's pass at
//! once instead of in real time, every function reads the moved time, and
//! time never moves back.
use handoff_tests::parcels::body;
use handoff_tests::{email, now, ok, stack, Client};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_moves_forward_past_a_quotes_expiry_and_an_access_tokens() {
    let stack = stack("clock").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (tess, _) = c.verified_traveler(&email("tess"), &admin).await;
    let dep = (now() / 3600 + 48) * 3600;
    let trip = crate::bookings::flight(&c, &tess, "airport:CDG", "airport:NCE", dep, 5000).await;
    let sam_email = email("sam");
    let signed = c.sign_in(&sam_email).await;
    let sam = signed["access_token"].as_str().unwrap().to_string();
    let me = ok(c.call(reqwest::Method::PATCH, "/me", Some(&sam), Some(json!({"roles": ["sender"]}))).await).await;
    assert_eq!(me["roles"], json!(["sender"]), "{me}");
    let parcel = body("documents", 400, 1000, ("FR", "airport:CDG"), ("FR", "airport:NCE"));
    let shipment = c.ready_shipment(&sam, parcel, "DAP").await;
    let quote = ok(c.quote(&sam, &shipment, &[(&trip, &[1])]).await).await;

    let before = ok(c.get("/_local/clock", None).await).await;
    assert_eq!(before["offset_seconds"], 0, "{before}");
    // Sixteen minutes on: the quote's fifteen are over, and the access token's too.
    let moved = ok(c.post("/_local/clock?seconds=960", None, json!({})).await).await;
    assert_eq!(moved["offset_seconds"], 960, "{moved}");
    let ran = moved["schedules"].as_object().expect("the schedules that ran");
    assert!(ran.contains_key("ExpireBookingsFunction"), "every schedule ran once: {moved}");
    assert!(ran.values().all(|v| v.get("error").is_none()), "no schedule failed: {moved}");
    let now_local =
        time::OffsetDateTime::parse(moved["now"].as_str().unwrap(), &time::format_description::well_known::Rfc3339)
            .unwrap()
            .unix_timestamp();
    assert!((now_local - now() - 960).abs() <= 5, "the stack's time is sixteen minutes ahead: {moved}");

    c.get("/me", Some(&sam)).await.problem(401, "token-expired");
    let refreshed = ok(c.post("/auth/refresh", None, json!({"refresh_token": signed["refresh_token"]})).await).await;
    let sam = refreshed["access_token"].as_str().unwrap().to_string();
    c.post("/itineraries", Some(&sam), json!({"quote_id": quote["quote_id"]})).await.problem(410, "quote-expired");
    // A new quote, in the moved time, books.
    let again = ok(c.quote(&sam, &shipment, &[(&trip, &[1])]).await).await;
    let expires = time::OffsetDateTime::parse(
        again["expires_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap()
    .unix_timestamp();
    assert!(expires > now() + 960, "the new quote expires fifteen minutes after the moved time: {again}");
    let it = ok(c.post("/itineraries", Some(&sam), json!({"quote_id": again["quote_id"]})).await).await;
    assert_eq!(it["status"], "requested", "{it}");

    // Time does not move back, and a malformed move changes nothing.
    let back = c.post("/_local/clock?seconds=-60", None, json!({})).await;
    assert_eq!(back.status, 400, "{}", back.body);
    let bad = c.post("/_local/clock?to=soon", None, json!({})).await;
    assert_eq!(bad.status, 400, "{}", bad.body);
    assert_eq!(ok(c.get("/_local/clock", None).await).await["offset_seconds"], 960);
}
