//! Hostile input on every route of the contract answers a clear 4xx
//! problem+json, never a 5xx or a hang: bodies over the limit, wrong
//! content types, invalid UTF-8, deep nesting, numbers beyond 64 bits and
//! below a field's minimum, control characters and very long strings, path
//! parameters with `../`, `%00`, unicode or 10,000 characters, limits of -1
//! and 1,000,000, forged and foreign cursors. The routes and their fields
//! come from the generated OpenAPI document, so a new route is covered
//! without a line here.
use handoff_tests::{busy_stack, Answer, Client};
use reqwest::Method;
use serde_json::{json, Value};

const HOSTILE_SEGMENTS: [&str; 5] = ["..%2F..%2Fetc%2Fpasswd", "%00", "x%00y", "%F0%9F%9A%80%E2%80%AE", "%2e%2e%2f"];

/// A hostile request: what it tries, its URL, its headers and body.
type Case = (String, String, Vec<(&'static str, String)>, Option<Vec<u8>>);

/// The schema a `$ref` points at.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(r.trim_start_matches('#')).unwrap_or(schema),
        None => schema,
    }
}

/// Values outside what a property's schema allows.
fn hostile_values(doc: &Value, prop: &Value) -> Vec<Value> {
    let prop = resolve(doc, prop);
    let kind = prop.get("type").map(|t| t.to_string()).unwrap_or_default();
    let mut out = Vec::new();
    if kind.contains("integer") || kind.contains("number") {
        out.push(json!(18_446_744_073_709_551_616_f64)); // 2^64
        out.push(json!(-1e300));
        out.push(json!("12"));
        if let Some(min) = prop.get("minimum").and_then(Value::as_f64) {
            out.push(json!(min - 1.0));
        }
    }
    if kind.contains("string") {
        out.push(json!("a\u{0}b\u{1b}[31m"));
        out.push(json!("x".repeat(10_001)));
        out.push(json!(-1));
    }
    if kind.contains("array") {
        out.push(json!("not a list"));
        out.push(json!([["nested"], {"x": 1}]));
    }
    if out.is_empty() {
        out.push(json!([1, 2, 3]));
    }
    out
}

fn is_problem(a: &Answer) -> bool {
    (400..500).contains(&a.status.as_u16())
        && a.header("content-type") == Some("application/problem+json")
        && a.body["type"].as_str().is_some_and(|t| t.starts_with("https://problems.handoff.dev/"))
        && a.body["detail"].as_str().is_some_and(|d| !d.is_empty())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_input_on_every_route_gets_a_clear_4xx() {
    let stack = busy_stack("hostile").await;
    let c = Client::new(&stack);
    let tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let users = json!({"users": [
        {"email": format!("mallory-{tag}@hostile.test"), "roles": ["sender", "traveler", "driver", "support", "admin"], "verified": true},
        {"email": format!("other-{tag}@hostile.test"), "roles": ["sender"]}
    ]});
    handoff_local::demo::load(&stack.table, &users.to_string()).await.unwrap();
    let token = c.sign_in(&format!("mallory-{tag}@hostile.test")).await["access_token"].as_str().unwrap().to_string();
    // A genuine cursor, of someone else's list: foreign to every list of mallory's.
    c.sign_in(&format!("other-{tag}@hostile.test")).await;
    let other = c.sign_in(&format!("other-{tag}@hostile.test")).await["access_token"].as_str().unwrap().to_string();
    let page = c.get("/me/sessions?limit=1", Some(&other)).await;
    let foreign = page.body["next_cursor"].as_str().expect("a second page").to_string();

    let doc = handoff_contract::openapi();
    let mut failures = Vec::new();
    let mut sent = 0;
    for (template, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let m = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            let params: Vec<&Value> = op["parameters"].as_array().unwrap().iter().collect();
            let path_params: Vec<&str> =
                params.iter().filter(|p| p["in"] == "path").map(|p| p["name"].as_str().unwrap()).collect();
            let plain = path_params
                .iter()
                .fold(template.clone(), |p, n| p.replace(&format!("{{{n}}}"), "00000000-0000-7000-8000-000000000000"));
            let required_query: String = params
                .iter()
                .filter(|p| p["in"] == "query" && p["required"] == true)
                .map(|p| format!("{}={}", p["name"].as_str().unwrap(), sample(&doc, &p["schema"])))
                .collect::<Vec<_>>()
                .join("&");
            let with_query = |path: &str, extra: &str| {
                let q: Vec<&str> = [required_query.as_str(), extra].into_iter().filter(|s| !s.is_empty()).collect();
                if q.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}?{}", q.join("&"))
                }
            };
            let example = op.pointer("/requestBody/content/application~1json/example").cloned().unwrap_or(json!({}));
            let body_schema = op.pointer("/requestBody/content/application~1json/schema").map(|s| resolve(&doc, s));
            let mut cases: Vec<Case> = Vec::new();
            let body = example.to_string().into_bytes();
            let ct = || vec![("content-type", "application/json".to_string())];
            // Path parameters.
            for (i, _) in path_params.iter().enumerate() {
                let long = "a".repeat(10_000);
                for seg in HOSTILE_SEGMENTS.iter().copied().chain([long.as_str()]) {
                    let mut p = template.clone();
                    for (j, n) in path_params.iter().enumerate() {
                        let v = if i == j { seg } else { "00000000-0000-7000-8000-000000000000" };
                        p = p.replace(&format!("{{{n}}}"), v);
                    }
                    let b = body_schema.map(|_| body.clone());
                    cases.push((format!("path {}", &seg[..seg.len().min(24)]), with_query(&p, ""), ct(), b));
                }
            }
            // Bodies.
            if let Some(schema) = body_schema {
                let url = with_query(&plain, "");
                let big = format!("{{\"x\": \"{}\"}}", "a".repeat(70_000)).into_bytes();
                cases.push(("a body over the limit".into(), url.clone(), ct(), Some(big)));
                cases.push((
                    "text/plain".into(),
                    url.clone(),
                    vec![("content-type", "text/plain".into())],
                    Some(body.clone()),
                ));
                cases.push(("invalid UTF-8".into(), url.clone(), ct(), Some(b"{\"text\": \"\xff\xfe\xfd\"}".to_vec())));
                cases.push((
                    "deep nesting".into(),
                    url.clone(),
                    ct(),
                    Some(("[".repeat(50_000) + &"]".repeat(50_000)).into_bytes()),
                ));
                let deep_object = "{\"a\":".repeat(5_000) + "1" + &"}".repeat(5_000);
                cases.push(("deep object".into(), url.clone(), ct(), Some(deep_object.into_bytes())));
                cases.push(("not an object".into(), url.clone(), ct(), Some(b"[1, 2, 3]".to_vec())));
                cases.push((
                    "a number beyond 64 bits".into(),
                    url.clone(),
                    ct(),
                    Some(b"{\"n\": 123456789012345678901234567890}".to_vec()),
                ));
                for (name, prop) in schema["properties"].as_object().into_iter().flatten() {
                    for v in hostile_values(&doc, prop) {
                        let mut b = example.clone();
                        if !b.is_object() {
                            b = json!({});
                        }
                        b[name] = v.clone();
                        let shown = v.to_string();
                        let label = format!("{name} = {}", &shown[..shown.len().min(30)]);
                        cases.push((label, url.clone(), ct(), Some(b.to_string().into_bytes())));
                    }
                }
            }
            // Paging.
            if params.iter().any(|p| p["name"] == "cursor") {
                for q in ["limit=-1", "limit=1000000", "limit=abc", "cursor=forged.cursor", "cursor=%00%FF"] {
                    cases.push((q.into(), with_query(&plain, q), vec![], None));
                }
                cases.push(("a foreign cursor".into(), with_query(&plain, &format!("cursor={foreign}")), vec![], None));
            }
            for (label, url, headers, body) in cases {
                sent += 1;
                let auth = format!("Bearer {token}");
                let mut h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                h.push(("authorization", &auth));
                let a = c.raw(m.clone(), &url, None, &h, body).await;
                if !is_problem(&a) {
                    let shown = url.chars().take(120).collect::<String>();
                    failures.push(format!("{method} {template} with {label} ({shown}): {} {}", a.status, a.body));
                }
            }
        }
    }
    println!("hostile input: {sent} requests over {} paths", doc["paths"].as_object().unwrap().len());
    assert!(
        failures.is_empty(),
        "{} hostile requests were not refused with a 4xx problem:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// A valid-looking value for a required query parameter.
fn sample(doc: &Value, schema: &Value) -> String {
    let s = resolve(doc, schema);
    if let Some(e) = s["enum"].as_array().and_then(|e| e.first()) {
        return e.as_str().map(str::to_string).unwrap_or_else(|| e.to_string());
    }
    match s["type"].as_str() {
        Some("integer") => s["minimum"].as_i64().unwrap_or(1).max(1).to_string(),
        _ if s["minLength"].as_u64().is_some() => "zurich".into(),
        _ => "airport:ZRH".into(),
    }
}
