//! Everything a caller can send wrong gets a clear 4xx problem+json, never a 500.
use handoff::domain::identity::Roles;
use handoff::platform::auth::{generate_private_pem, Signer};
use handoff::platform::crypto::b64url;
use handoff_tests::{options, Client};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_sign_in_input() {
    let stack = handoff_local::start(options("neg-otp")).await.unwrap();
    let c = Client::new(&stack);
    for bad in ["not-an-email", "a@b", "", "x@@example.com"] {
        let a = c.post("/auth/otp", None, json!({"email": bad})).await;
        a.problem(422, "validation-failed");
        assert_eq!(a.body["errors"][0]["field"], "email");
    }
    c.post("/auth/otp", None, json!({"mail": "a@example.com"})).await.problem(422, "validation-failed");
    c.post("/auth/otp", None, json!({"email": 42})).await.problem(422, "validation-failed");
    c.raw(Method::POST, "/auth/otp", None, &[("content-type", "application/json")], Some(b"{\"email\":".to_vec()))
        .await
        .problem(400, "malformed-json");
    c.raw(Method::POST, "/auth/otp", None, &[("content-type", "application/json")], Some(b"[1,2]".to_vec()))
        .await
        .problem(400, "malformed-json");
    c.raw(Method::POST, "/auth/otp", None, &[("content-type", "text/plain")], Some(b"email=a@example.com".to_vec()))
        .await
        .problem(415, "unsupported-media-type");
    let big = format!("{{\"email\":\"{}@example.com\"}}", "a".repeat(70 * 1024));
    c.raw(Method::POST, "/auth/otp", None, &[("content-type", "application/json")], Some(big.into_bytes()))
        .await
        .problem(413, "payload-too-large");

    // Codes: wrong, sixth attempt, malformed, reused, expired.
    let email = "codes@example.com";
    c.post("/auth/otp", None, json!({"email": email})).await;
    let code = c.code_for(email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for left in (0..5).rev() {
        let a = c.post("/auth/otp/verify", None, json!({"email": email, "code": wrong})).await;
        a.problem(400, "otp-wrong");
        assert!(a.body["detail"].as_str().unwrap().contains(&format!("{left} attempt")), "{}", a.body);
    }
    c.post("/auth/otp/verify", None, json!({"email": email, "code": code})).await.problem(400, "otp-attempts-exceeded");
    let a = c.post("/auth/otp/verify", None, json!({"email": email, "code": "12ab56"})).await;
    a.problem(422, "validation-failed");
    assert_eq!(a.body["errors"][0]["field"], "code");
    c.post("/auth/otp/verify", None, json!({"email": "nobody@example.com", "code": "123456"}))
        .await
        .problem(400, "otp-not-found");

    let email = "reuse-code@example.com";
    c.post("/auth/otp", None, json!({"email": email})).await;
    let code = c.code_for(email).await;
    assert_eq!(c.post("/auth/otp/verify", None, json!({"email": email, "code": code})).await.status, 200);
    c.post("/auth/otp/verify", None, json!({"email": email, "code": code})).await.problem(400, "otp-not-found");

    let email = "expired@example.com";
    c.post("/auth/otp", None, json!({"email": email})).await;
    let code = c.code_for(email).await;
    stack
        .table
        .client()
        .update_item()
        .table_name(stack.table.name())
        .set_key(Some(handoff::platform::store::key_item(&handoff::keys::otp(email))))
        .update_expression("SET expires_at = :past")
        .expression_attribute_values(":past", aws_sdk_dynamodb::types::AttributeValue::N("1000".into()))
        .send()
        .await
        .unwrap();
    c.post("/auth/otp/verify", None, json!({"email": email, "code": code})).await.problem(400, "otp-expired");

    // The sixth code request for one email in a window: 429 with Retry-After.
    let email = "limited@example.com";
    for _ in 0..5 {
        assert_eq!(c.post("/auth/otp", None, json!({"email": email})).await.status, 202);
    }
    let a = c.post("/auth/otp", None, json!({"email": email})).await;
    a.problem(429, "otp-rate-limited");
    let retry: u64 = a.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry));
    // Someone else's requests from their address do not lock the owner out:
    // from another address the owner still gets a code.
    let elsewhere = [("content-type", "application/json"), ("x-local-source-ip", "198.51.100.9")];
    let body = json!({ "email": email }).to_string().into_bytes();
    let owner = c.raw(Method::POST, "/auth/otp", None, &elsewhere, Some(body)).await;
    assert_eq!(owner.status, 202, "{}", owner.body);
    c.post("/auth/refresh", None, json!({"refresh_token": "nonsense"})).await.problem(401, "refresh-token-invalid");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused() {
    let opts = options("neg-tokens");
    let signer = Signer::from_pem(&opts.secrets["jwt_private_key"]).unwrap();
    let jwks = opts.secrets["jwt_jwks"].clone();
    let stack = handoff_local::start(opts).await.unwrap();
    let c = Client::new(&stack);
    let t = c.sign_in("tokens@example.com").await;
    let good = t["access_token"].as_str().unwrap().to_string();
    let (uid, sid) = (t["user"]["user_id"].as_str().unwrap(), t["session_id"].as_str().unwrap());
    assert_eq!(c.get("/me", Some(&good)).await.status, 200);

    let parts: Vec<&str> = good.split('.').collect();
    let claims = format!(
        r#"{{"iss":"handoff","aud":"handoff-api","sub":"{uid}","sid":"{sid}","roles":"admin","iat":0,"exp":9999999999,"jti":"x"}}"#
    );
    // alg=none
    let none = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), b64url(claims.as_bytes()));
    c.get("/me", Some(&none)).await.problem(401, "token-invalid");
    // HS256 "signed" with the public key (the classic algorithm confusion).
    let kid = serde_json::from_str::<serde_json::Value>(&jwks).unwrap()["keys"][0]["kid"].as_str().unwrap().to_string();
    let header = format!(r#"{{"alg":"HS256","typ":"JWT","kid":"{kid}"}}"#);
    let signing_input = format!("{}.{}", b64url(header.as_bytes()), b64url(claims.as_bytes()));
    let mac = handoff::platform::crypto::hmac_sha256(jwks.as_bytes(), signing_input.as_bytes());
    c.get("/me", Some(&format!("{signing_input}.{}", b64url(&mac)))).await.problem(401, "token-invalid");
    // Tampered payload (roles raised), original signature.
    c.get("/me", Some(&format!("{}.{}.{}", parts[0], b64url(claims.as_bytes()), parts[2])))
        .await
        .problem(401, "token-invalid");
    // Expired, though genuinely signed.
    let now = handoff::platform::clock::now_unix();
    let expired = signer.issue(uid, sid, &Roles::new(), now - 3600, 900);
    c.get("/me", Some(&expired)).await.problem(401, "token-expired");
    // Signed by a key this service does not know.
    let stranger = Signer::from_pem(&generate_private_pem()).unwrap().issue(uid, sid, &Roles::new(), now, 900);
    c.get("/me", Some(&stranger)).await.problem(401, "token-unknown-key");
    // Garbage, a missing header, another scheme.
    c.get("/me", Some("garbage")).await.problem(401, "token-invalid");
    c.get("/me", None).await.problem(401, "unauthenticated");
    c.raw(Method::GET, "/me", None, &[("authorization", "Basic dXNlcjpwYXNz")], None)
        .await
        .problem(401, "token-invalid");
    // Unknown routes answer like API Gateway.
    assert_eq!(c.get("/nowhere", None).await.status, 404);
    // CORS as the template's CorsConfiguration declares it: preflight, and the origin on answers (errors too).
    let pre = c
        .raw(
            Method::OPTIONS,
            "/me",
            None,
            &[("origin", "https://app.example"), ("access-control-request-method", "PATCH")],
            None,
        )
        .await;
    assert_eq!(pre.status, 204);
    assert!(pre.header("access-control-allow-methods").unwrap().contains("PATCH"));
    assert!(pre.header("access-control-allow-headers").unwrap().contains("idempotency-key"));
    let a = c.raw(Method::GET, "/me", None, &[("origin", "https://app.example")], None).await;
    a.problem(401, "unauthenticated");
    assert_eq!(a.header("access-control-allow-origin"), Some("*"));
}

/// The inputs that once panicked a handler or stored an unreadable trip
/// are refused with a 422 naming the field.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn inputs_that_once_broke_handlers_are_refused() {
    let stack = handoff_tests::stack("neg-panics").await;
    let c = Client::new(&stack);
    let admin = c.admin(&stack).await;
    let (tok, _) = c.verified_traveler("panics@example.com", &admin).await;
    let far = json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:CDG",
                     "earliest_departure": "9999-12-31T00:00:00Z", "latest_arrival": "9999-12-31T23:59:59-23:59"});
    let a = c.post("/trips", Some(&tok), far).await;
    a.problem(422, "validation-failed");
    assert_eq!(a.body["errors"][0]["field"], "latest_arrival", "{}", a.body);
    let t = (time::OffsetDateTime::now_utc().unix_timestamp() / 3600 + 48) * 3600;
    let in_two_years = json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:CDG",
                              "earliest_departure": handoff_tests::at(t + 800 * 86_400), "latest_arrival": handoff_tests::at(t + 801 * 86_400)});
    c.post("/trips", Some(&tok), in_two_years).await.problem(422, "validation-failed");
    let trip = c
        .post(
            "/trips",
            Some(&tok),
            json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:CDG",
                                             "earliest_departure": handoff_tests::at(t), "latest_arrival": handoff_tests::at(t + 36_000)}),
        )
        .await;
    let id = trip.body["trip_id"].as_str().unwrap();
    for number in ["Aé123", "🚀316"] {
        let leg = json!({"origin": "airport:ZRH", "destination": "airport:CDG", "depart_at": handoff_tests::at(t + 3600),
                         "arrive_at": handoff_tests::at(t + 7200), "carrier": "AF", "flight_number": number});
        let a = c.post(&format!("/trips/{id}/legs"), Some(&tok), leg).await;
        a.problem(422, "validation-failed");
        assert_eq!(a.body["errors"][0]["field"], "flight_number", "{}", a.body);
    }
    let q = "/search/routes?from=airport:ZRH&to=airport:CDG&weight_grams=1000&category=documents\
             &depart_after=9999-12-31T00:00:00Z&arrive_before=9999-12-31T23:59:59-23:59";
    c.get(q, Some(&tok)).await.problem(422, "validation-failed");
    c.get("/admin/audit?day=2026-13-45", Some(&admin)).await.problem(422, "validation-failed");
    let a = c.call(Method::PATCH, "/me", Some(&tok), Some(json!({"name": -1}))).await;
    a.problem(422, "validation-failed");
    assert_eq!(a.body["errors"][0]["field"], "name", "the field, never the value: {}", a.body);
    // Reading the traveler's trips still works: nothing unreadable was stored.
    assert_eq!(c.get("/me/trips", Some(&tok)).await.status, 200);
}
