//! Profiles, sessions and roles over HTTP.
use handoff_tests::{stack, Client};
use reqwest::Method;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_updates_validate_every_field() {
    let stack = stack("profile").await;
    let c = Client::new(&stack);
    let t = c.sign_in("pat@example.com").await;
    let tok = t["access_token"].as_str().unwrap();
    let patch = |b| c.call(Method::PATCH, "/me", Some(tok), Some(b));

    let ok = patch(
        json!({"name": " Pat Jones ", "phone": "+447700900123", "locale": "pt_br", "roles": ["traveler", "sender"]}),
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    println!("calls PATCH /me: {}", ok.header("x-aws-calls").unwrap());
    assert_eq!(ok.body["name"], "Pat Jones");
    assert_eq!(ok.body["locale"], "pt-BR");
    assert_eq!(ok.body["roles"], json!(["sender", "traveler"]));

    let bad = patch(json!({"phone": "07700 900123", "locale": "english", "name": ""})).await;
    bad.problem(422, "validation-failed");
    let fields: Vec<&str> =
        bad.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["name", "phone", "locale"]);
    patch(json!({"roles": ["admin"]})).await.problem(403, "forbidden");
    patch(json!({"roles": ["pilot"]})).await.problem(422, "validation-failed");
    patch(json!({"nickname": "x"})).await.problem(422, "validation-failed");
    patch(json!({})).await.problem(400, "empty-patch");

    let cleared = patch(json!({"phone": null})).await;
    assert_eq!(cleared.status, 200);
    assert!(cleared.body.get("phone").is_none(), "{}", cleared.body);
    let me = c.get("/me", Some(tok)).await;
    assert_eq!(me.body["name"], "Pat Jones");
    assert!(me.body.get("phone").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_are_listed_paginated_and_revoked() {
    let stack = stack("sessions").await;
    let c = Client::new(&stack);
    let a = c.sign_in("sessions@example.com").await;
    c.post("/auth/otp", None, json!({"email": "sessions@example.com"})).await;
    let code = c.code_for("sessions@example.com").await;
    let b = c.post("/auth/otp/verify", None, json!({"email": "sessions@example.com", "code": code})).await.body;
    let tok = a["access_token"].as_str().unwrap();

    let all = c.get("/me/sessions", Some(tok)).await;
    assert_eq!(all.status, 200, "{}", all.body);
    println!("calls GET /me/sessions: {}", all.header("x-aws-calls").unwrap());
    let items = all.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items.iter().filter(|s| s["current"] == true).count(), 1);

    let p1 = c.get("/me/sessions?limit=1", Some(tok)).await;
    assert_eq!(p1.body["items"].as_array().unwrap().len(), 1);
    let cursor = p1.body["next_cursor"].as_str().expect("a second page").to_string();
    let p2 = c.get(&format!("/me/sessions?limit=1&cursor={cursor}"), Some(tok)).await;
    assert_eq!(p2.status, 200, "{}", p2.body);
    assert_ne!(p1.body["items"][0]["session_id"], p2.body["items"][0]["session_id"]);
    let mut forged = cursor.clone();
    forged.replace_range(3..4, if &cursor[3..4] == "A" { "B" } else { "A" });
    c.get(&format!("/me/sessions?limit=1&cursor={forged}"), Some(tok)).await.problem(400, "invalid-cursor");
    c.get("/me/sessions?limit=1000", Some(tok)).await.problem(422, "validation-failed");

    // Another user's cursor and sessions are not this user's.
    let other = c.sign_in("other@example.com").await;
    let other_tok = other["access_token"].as_str().unwrap();
    c.get(&format!("/me/sessions?limit=1&cursor={cursor}"), Some(other_tok)).await.problem(400, "invalid-cursor");
    let b_session = b["session_id"].as_str().unwrap();
    c.call(Method::DELETE, &format!("/me/sessions/{b_session}"), Some(other_tok), None).await.problem(404, "not-found");

    let del = c.call(Method::DELETE, &format!("/me/sessions/{b_session}"), Some(tok), None).await;
    assert_eq!(del.status, 204, "{}", del.body);
    println!("calls DELETE /me/sessions/{{id}}: {}", del.header("x-aws-calls").unwrap());
    c.get("/me", b["access_token"].as_str()).await.problem(401, "session-ended");
    let again = c.call(Method::DELETE, &format!("/me/sessions/{b_session}"), Some(tok), None).await;
    assert_eq!(again.status, 204);
    let listed = c.get("/me/sessions", Some(tok)).await;
    let revoked =
        listed.body["items"].as_array().unwrap().iter().find(|s| s["session_id"] == b_session).unwrap().clone();
    assert_eq!(revoked["status"], "revoked");
    assert_eq!(revoked["revoked_reason"], "revoked_by_user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_grant_elevated_roles() {
    let stack = stack("roles").await;
    let c = Client::new(&stack);
    handoff_local::demo::load(
        &stack.table,
        &std::fs::read_to_string(handoff_tests::root().join("infra/demo.json")).unwrap(),
    )
    .await
    .unwrap();
    let admin = c.sign_in("admin@handoff.dev").await;
    let user = c.sign_in("helper@example.com").await;
    let uid = user["user"]["user_id"].as_str().unwrap();
    let path = format!("/admin/users/{uid}/roles");
    c.call(Method::PUT, &path, user["access_token"].as_str(), Some(json!({"roles": ["admin"]})))
        .await
        .problem(403, "forbidden");
    let g =
        c.call(Method::PUT, &path, admin["access_token"].as_str(), Some(json!({"roles": ["support", "sender"]}))).await;
    assert_eq!(g.status, 200, "{}", g.body);
    println!("calls PUT /admin/users/{{id}}/roles: {}", g.header("x-aws-calls").unwrap());
    assert_eq!(g.body["roles"], json!(["sender", "support"]));
    c.call(Method::PUT, "/admin/users/nobody/roles", admin["access_token"].as_str(), Some(json!({"roles": []})))
        .await
        .problem(404, "not-found");
    c.call(Method::PUT, &path, admin["access_token"].as_str(), Some(json!({"roles": ["king"]})))
        .await
        .problem(422, "validation-failed");
    // The new roles are in the next access token.
    let r = c.post("/auth/refresh", None, json!({"refresh_token": user["refresh_token"]})).await;
    assert_eq!(r.body["user"]["roles"], json!(["sender", "support"]));
    let audit = c.get("/admin/audit", r.body["access_token"].as_str()).await;
    assert_eq!(audit.status, 200, "support may read the audit log: {}", audit.body);
    // Keeping elevated roles while changing one's own self-service roles.
    let p = c.call(Method::PATCH, "/me", r.body["access_token"].as_str(), Some(json!({"roles": ["traveler"]}))).await;
    assert_eq!(p.body["roles"], json!(["traveler", "support"]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_changes_count_from_the_next_request_whatever_the_token_says() {
    let stack = stack("roles-live").await;
    let c = Client::new(&stack);
    let tag = &uuid::Uuid::new_v4().simple().to_string()[..8];
    let (a1, a2) = (format!("boss-{tag}@example.com"), format!("deputy-{tag}@example.com"));
    let users = json!({"users": [{"email": a1, "roles": ["admin"]}, {"email": a2, "roles": ["admin"]}]});
    handoff_local::demo::load(&stack.table, &users.to_string()).await.unwrap();
    let boss = c.sign_in(&a1).await["access_token"].as_str().unwrap().to_string();
    let deputy = c.sign_in(&a2).await;
    let (deputy_token, deputy_id) =
        (deputy["access_token"].as_str().unwrap().to_string(), deputy["user"]["user_id"].as_str().unwrap().to_string());
    // The boss demotes the deputy; the deputy's token (still saying admin) cannot re-grant it.
    let r = c.put(&format!("/admin/users/{deputy_id}/roles"), Some(&boss), json!({"roles": ["sender"]})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    c.put(&format!("/admin/users/{deputy_id}/roles"), Some(&deputy_token), json!({"roles": ["admin"]}))
        .await
        .problem(403, "forbidden");
    c.get("/admin/audit", Some(&deputy_token)).await.problem(403, "forbidden");

    // A user who takes the traveler role can create a trip with the same token; who drops it, cannot.
    let user = c.sign_in(&format!("tess-{tag}@example.com")).await["access_token"].as_str().unwrap().to_string();
    let t = (time::OffsetDateTime::now_utc().unix_timestamp() / 3600 + 48) * 3600;
    let trip = json!({"mode": "flight", "origin": "airport:ZRH", "destination": "airport:CDG",
                      "earliest_departure": handoff_tests::at(t), "latest_arrival": handoff_tests::at(t + 36_000)});
    c.post("/trips", Some(&user), trip.clone()).await.problem(403, "forbidden");
    let me = c.call(Method::PATCH, "/me", Some(&user), Some(json!({"roles": ["traveler"]}))).await;
    assert_eq!(me.status, 200, "{}", me.body);
    let created = c.post("/trips", Some(&user), trip.clone()).await;
    assert_eq!(created.status, 201, "{}", created.body);
    let me = c.call(Method::PATCH, "/me", Some(&user), Some(json!({"roles": ["sender"]}))).await;
    assert_eq!(me.status, 200, "{}", me.body);
    c.post("/trips", Some(&user), trip).await.problem(403, "forbidden");
}
