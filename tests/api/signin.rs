//! The sign-in journey over HTTP, as a client would: request a code, read
//! it from the mailbox, verify, use the token, refresh, log out; the audit
//! consumer records it all.
use handoff_tests::{eventually, stack, Client, QUEUED};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_refresh_logout_and_audit() {
    let stack = stack("signin").await;
    let c = Client::new(&stack);
    handoff_local::demo::load(
        &stack.table,
        &std::fs::read_to_string(handoff_tests::root().join("infra/demo.json")).unwrap(),
    )
    .await
    .unwrap();

    // The same answer for a known and an unknown email.
    let known = c.post("/auth/otp", None, json!({"email": "sender@handoff.dev"})).await;
    let unknown = c.post("/auth/otp", None, json!({"email": "Newcomer@Example.com"})).await;
    assert_eq!((known.status.as_u16(), &known.body), (unknown.status.as_u16(), &unknown.body));
    assert_eq!(unknown.status, 202);
    let sender_code = c.code_for("sender@handoff.dev").await;
    let returning = c.post("/auth/otp/verify", None, json!({"email": "sender@handoff.dev", "code": sender_code})).await;
    assert_eq!(returning.status, 200, "{}", returning.body);
    assert_eq!(returning.body["user"]["roles"], json!(["sender"]));
    println!("calls POST /auth/otp/verify (returning user): {}", returning.header("x-aws-calls").unwrap());
    println!("calls POST /auth/otp: {}", unknown.header("x-aws-calls").unwrap());

    let code = c.code_for("newcomer@example.com").await;
    let v = c.post("/auth/otp/verify", None, json!({"email": "newcomer@example.com", "code": code})).await;
    assert_eq!(v.status, 200, "{}", v.body);
    assert_eq!(v.header("cache-control"), Some("no-store"));
    println!("calls POST /auth/otp/verify (new user): {}", v.header("x-aws-calls").unwrap());
    let (access, refresh) =
        (v.body["access_token"].as_str().unwrap().to_string(), v.body["refresh_token"].as_str().unwrap().to_string());
    let user_id = v.body["user"]["user_id"].as_str().unwrap().to_string();
    assert_eq!(v.body["user"]["email"], "newcomer@example.com");
    assert_eq!(v.body["expires_in"], 900);

    // The token verifies against the published key set.
    let jwks = c.get("/.well-known/jwks.json", None).await;
    assert_eq!(jwks.status, 200);
    let header: serde_json::Value = {
        use base64::Engine;
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(access.split('.').next().unwrap()).unwrap(),
        )
        .unwrap()
    };
    assert_eq!(header["alg"], "ES256");
    assert_eq!(jwks.body["keys"][0]["kid"], header["kid"]);

    let me = c.get("/me", Some(&access)).await;
    assert_eq!(me.status, 200, "{}", me.body);
    assert_eq!(me.body["user_id"], user_id.as_str());
    println!(
        "calls GET /me: {} (authorizer: {})",
        me.header("x-aws-calls").unwrap(),
        me.header("x-aws-calls-authorizer").unwrap()
    );

    // Refresh rotates the pair.
    let r = c.post("/auth/refresh", None, json!({"refresh_token": refresh})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    println!("calls POST /auth/refresh: {}", r.header("x-aws-calls").unwrap());
    let (access2, refresh2) =
        (r.body["access_token"].as_str().unwrap().to_string(), r.body["refresh_token"].as_str().unwrap().to_string());
    assert_ne!(refresh2, refresh);
    assert_eq!(r.body["session_id"], v.body["session_id"]);

    let out = c.call(Method::POST, "/auth/logout", Some(&access2), None).await;
    assert_eq!(out.status, 204, "{}", out.body);
    println!("calls POST /auth/logout: {}", out.header("x-aws-calls").unwrap());

    // After logout: the access token, the current and the old refresh token are refused.
    c.get("/me", Some(&access2)).await.problem(401, "session-ended");
    c.post("/auth/refresh", None, json!({"refresh_token": refresh2})).await.problem(401, "refresh-token-invalid");
    c.post("/auth/refresh", None, json!({"refresh_token": refresh})).await.problem(401, "refresh-token-invalid");

    // The audit consumer recorded the journey (table → stream → publisher → bus → rule → queue → consumer).
    let admin = c.sign_in("admin@handoff.dev").await;
    let admin_token = admin["access_token"].as_str().unwrap().to_string();
    let actions = eventually(QUEUED, || async {
        let a = c.get(&format!("/admin/audit?actor={user_id}"), Some(&admin_token)).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let actions: Vec<String> =
            a.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap().to_string()).collect();
        (actions.len() >= 3).then_some((actions, a))
    })
    .await
    .expect("the audit log records the sign-up, the session and the logout");
    let (actions, listing) = actions;
    println!("calls GET /admin/audit: {}", listing.header("x-aws-calls").unwrap());
    assert_eq!(actions.iter().filter(|a| *a == "UserSignedUp").count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "SessionStarted").count(), 1, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| *a == "SessionRevoked").count(), 1, "{actions:?}");
    let signed_up =
        listing.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "UserSignedUp").unwrap().clone();
    assert_eq!(signed_up["source_ip"], "127.0.0.1");
    assert_eq!(signed_up["subject"], format!("user/{user_id}"));
    // The correlation id of the verify request travelled into its event.
    assert_eq!(signed_up["correlation_id"], v.header("x-correlation-id").unwrap());

    // Today's audit page, for a non-admin: forbidden.
    c.get("/admin/audit", Some(&access)).await;
    let someone = c.sign_in("someone@example.com").await;
    c.get("/admin/audit", someone["access_token"].as_str()).await.problem(403, "forbidden");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reused_refresh_token_revokes_the_session() {
    let stack = stack("reuse").await;
    let c = Client::new(&stack);
    let t = c.sign_in("reuse@example.com").await;
    let first = t["refresh_token"].as_str().unwrap().to_string();
    let r = c.post("/auth/refresh", None, json!({"refresh_token": first})).await;
    assert_eq!(r.status, 200);
    let second = r.body["refresh_token"].as_str().unwrap().to_string();
    // Someone replays the rotated token: the whole session ends.
    c.post("/auth/refresh", None, json!({"refresh_token": first})).await.problem(401, "refresh-token-reused");
    c.post("/auth/refresh", None, json!({"refresh_token": second})).await.problem(401, "refresh-token-invalid");
    c.get("/me", r.body["access_token"].as_str()).await.problem(401, "session-ended");
}

async fn patch_me(c: &Client, token: &str, key: &str, name: &str) -> handoff_tests::Answer {
    let auth = format!("Bearer {token}");
    let h = [("content-type", "application/json"), ("idempotency-key", key), ("authorization", auth.as_str())];
    c.raw(Method::PATCH, "/me", None, &h, Some(json!({ "name": name }).to_string().into_bytes())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idempotency_keys_replay_answers_per_caller_and_refuse_other_bodies() {
    let stack = stack("idem").await;
    let c = Client::new(&stack);
    let ada = c.sign_in("idem-ada@example.com").await["access_token"].as_str().unwrap().to_string();
    let bob = c.sign_in("idem-bob@example.com").await["access_token"].as_str().unwrap().to_string();
    let a = patch_me(&c, &ada, "k-123", "Ada").await;
    assert_eq!(a.status, 200, "{}", a.body);
    let b = patch_me(&c, &ada, "k-123", "Ada").await;
    assert_eq!((b.status, &b.body), (a.status, &a.body), "the same key and body get the same answer");
    assert_eq!(b.header("idempotent-replayed"), Some("true"));
    patch_me(&c, &ada, "k-123", "Someone else").await.problem(422, "idempotency-key-reused");
    // Keys are per caller: Bob's k-123 is his own.
    let other = patch_me(&c, &bob, "k-123", "Bob").await;
    assert_eq!(other.status, 200, "{}", other.body);
    assert_eq!(other.body["name"], "Bob");
    assert_eq!(other.header("idempotent-replayed"), None);
    patch_me(&c, &ada, &"k".repeat(300), "Ada").await.problem(400, "invalid-idempotency-key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_stay_single_use_whatever_the_headers() {
    let stack = stack("single").await;
    let c = Client::new(&stack);
    c.post("/auth/otp", None, json!({"email": "single@example.com"})).await;
    let code = c.code_for("single@example.com").await;
    let body = json!({"email": "single@example.com", "code": code}).to_string().into_bytes();
    let h = [("content-type", "application/json"), ("idempotency-key", "k-verify-1")];
    let a = c.raw(Method::POST, "/auth/otp/verify", None, &h, Some(body.clone())).await;
    assert_eq!(a.status, 200, "{}", a.body);
    // The same code with the same key is not a replay of the session: the code is spent.
    c.raw(Method::POST, "/auth/otp/verify", None, &h, Some(body)).await.problem(400, "otp-not-found");
    // A rotated refresh token presented again with the key of its first use
    // is reuse: the session ends, no token pair comes back.
    let refresh = json!({"refresh_token": a.body["refresh_token"]}).to_string().into_bytes();
    let h = [("content-type", "application/json"), ("idempotency-key", "k-refresh-1")];
    let r = c.raw(Method::POST, "/auth/refresh", None, &h, Some(refresh.clone())).await;
    assert_eq!(r.status, 200, "{}", r.body);
    c.raw(Method::POST, "/auth/refresh", None, &h, Some(refresh)).await.problem(401, "refresh-token-reused");
    c.get("/me", r.body["access_token"].as_str()).await.problem(401, "session-ended");
}
