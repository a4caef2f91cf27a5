//! API Gateway (HTTP API) on localhost: routes from template.yaml, the Lambda
//! authorizer (payload 2.0, simple responses), CORS, payload format 2.0
//! events; plus the local endpoints under /_local/.
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::body::Incoming;
use hyper::{Request, Response};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use crate::lambda::{Meter, Pool, Reported};
use crate::mailbox;

pub struct Route {
    pub method: String,
    pub segments: Vec<String>,
    pub function: String,
    pub invoke: Arc<Pool>,
    pub authorized: bool,
}

pub struct State {
    pub routes: Vec<Route>,
    pub authorizer: Option<Arc<Pool>>,
    pub schedules: HashMap<String, (Arc<Pool>, Value)>,
    pub cors: Option<Value>,
    pub moto_url: String,
    pub account: String,
    /// Dead-letter queue logical id → (its URL, the URL of the queue it serves).
    pub redrive: HashMap<String, (String, String)>,
    pub sqs: aws_sdk_sqs::Client,
    pub meter: Meter,
    /// Swagger UI's files, for the API reference at /_local/docs/.
    pub docs_dir: std::path::PathBuf,
    /// Local webhook receivers (`/_local/webhooks/<name>`): what each got, and the status it answers.
    pub receivers: std::sync::Mutex<HashMap<String, Receiver>>,
    /// The WebSocket API (`/_ws`) and its Management API, if the template has one.
    pub live: Option<Arc<crate::live::Live>>,
    /// The stack's clock (`/_local/clock`).
    pub clock: Arc<crate::clock::LocalClock>,
}

/// A local webhook receiver: it records every request and answers `status` (200 unless set).
#[derive(Default)]
pub struct Receiver {
    pub status: Option<u16>,
    pub received: Vec<Value>,
}

/// Moves every message of a dead-letter queue back to its source queue (what
/// `aws sqs start-message-move-task` does on AWS); returns how many moved.
async fn redrive(sqs: &aws_sdk_sqs::Client, dlq: &str, source: &str) -> Result<usize, String> {
    let mut moved = 0;
    loop {
        let r = sqs
            .receive_message()
            .queue_url(dlq)
            .max_number_of_messages(10)
            .send()
            .await
            .map_err(|e| format!("{e:?}"))?;
        let messages = r.messages.unwrap_or_default();
        if messages.is_empty() {
            return Ok(moved);
        }
        for m in messages {
            sqs.send_message().queue_url(source).set_message_body(m.body).send().await.map_err(|e| format!("{e:?}"))?;
            sqs.delete_message()
                .queue_url(dlq)
                .set_receipt_handle(m.receipt_handle)
                .send()
                .await
                .map_err(|e| format!("{e:?}"))?;
            moved += 1;
        }
    }
}

type Resp = Response<Full<Bytes>>;

fn respond(status: u16, content_type: &str, body: impl Into<Bytes>) -> Resp {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()))
        .expect("valid response")
}
fn json_resp(status: u16, v: &Value) -> Resp {
    respond(status, "application/json", v.to_string())
}

/// Matches `/me/sessions/{id}` against a path, returning the path parameters.
fn matches(segments: &[String], path: &str) -> Option<HashMap<String, String>> {
    let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = HashMap::new();
    for (s, p) in segments.iter().zip(parts) {
        if let Some(name) = s.strip_prefix('{').and_then(|x| x.strip_suffix('}')) {
            if p.is_empty() {
                return None;
            }
            params.insert(name.to_string(), percent_decode(p));
        } else if s != p {
            return None;
        }
    }
    Some(params)
}

fn percent_decode(s: &str) -> String {
    form_urlencoded::parse(format!("x={}", s.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

fn join(map: &mut serde_json::Map<String, Value>, key: &str, value: &str) {
    let joined = match map.get(key).and_then(|x| x.as_str()) {
        Some(prev) => format!("{prev},{value}"),
        None => value.to_string(),
    };
    map.insert(key.to_string(), Value::String(joined));
}

pub fn segments(path: &str) -> Vec<String> {
    path.trim_matches('/').split('/').map(str::to_string).collect()
}

fn cors_list(cors: &Value, key: &str) -> Vec<String> {
    cors.get(key)
        .and_then(|v| v.as_array())
        .map(|s| s.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn allowed_origin(cors: &Option<Value>, origin: Option<&str>) -> Option<String> {
    let (cors, origin) = (cors.as_ref()?, origin?);
    let origins = cors_list(cors, "AllowOrigins");
    origins.iter().any(|o| o == "*" || o == origin).then(|| {
        if origins.iter().any(|o| o == "*") {
            "*".to_string()
        } else {
            origin.to_string()
        }
    })
}

pub async fn handle(
    state: Arc<State>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Resp, std::convert::Infallible> {
    if let (Some(live), "/_ws") = (&state.live, req.uri().path()) {
        return Ok(crate::live::accept(live.clone(), req).await);
    }
    let (parts, body) = req.into_parts();
    let body = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(json_resp(400, &json!({"message": "Bad Request"}))),
    };
    let path = parts.uri.path().to_string();
    let query = parts.uri.query().unwrap_or_default().to_string();
    let method = parts.method.as_str().to_string();
    let header = |n: &str| parts.headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);

    if let (Some(live), Some(id)) = (&state.live, path.strip_prefix("/_ws/@connections/")) {
        return Ok(crate::live::manage(live, &method, id, &body));
    }
    if let Some(name) = path.strip_prefix("/_local/webhooks/") {
        return Ok(receiver(&state, &method, name, &query, &parts.headers, &body));
    }
    if let Some(local) = path.strip_prefix("/_local/") {
        return Ok(local_endpoint(&state, &method, local, &query).await);
    }
    let origin = header("origin");
    if method == "OPTIONS" && header("access-control-request-method").is_some() {
        if let (Some(cors), Some(allow)) = (&state.cors, allowed_origin(&state.cors, origin.as_deref())) {
            let r = Response::builder()
                .status(204)
                .header("access-control-allow-origin", allow)
                .header("access-control-allow-methods", cors_list(cors, "AllowMethods").join(","))
                .header("access-control-allow-headers", cors_list(cors, "AllowHeaders").join(","))
                .header("access-control-max-age", cors.get("MaxAge").and_then(|m| m.as_u64()).unwrap_or(0).to_string())
                .body(Full::new(Bytes::new()))
                .expect("valid");
            return Ok(r);
        }
    }
    let Some((route, params)) = state
        .routes
        .iter()
        .find_map(|r| (r.method == method).then(|| matches(&r.segments, &path).map(|p| (r, p))).flatten())
    else {
        return Ok(json_resp(404, &json!({"message": "Not Found"})));
    };

    // Repeated headers and query parameters are joined with commas, as API Gateway does.
    let mut headers = serde_json::Map::new();
    for (k, v) in &parts.headers {
        join(&mut headers, k.as_str(), v.to_str().unwrap_or_default());
    }
    let mut qs = serde_json::Map::new();
    for (k, v) in form_urlencoded::parse(query.as_bytes()) {
        join(&mut qs, &k, &v);
    }
    let now = time::OffsetDateTime::from_unix_timestamp_nanos(state.clock.now_millis() as i128 * 1_000_000)
        .unwrap_or_else(|_| time::OffsetDateTime::now_utc());
    let route_key = format!("{} /{}", route.method, route.segments.join("/"));
    let mut context = json!({
        "accountId": state.account, "apiId": "local", "domainName": "localhost", "domainPrefix": "localhost",
        "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": header("x-local-source-ip").unwrap_or_else(|| peer.ip().to_string()), "userAgent": header("user-agent").unwrap_or_default()},
        "requestId": uuid::Uuid::new_v4().to_string(), "routeKey": route_key, "stage": "$default",
        "time": now.to_string(), "timeEpoch": (now.unix_timestamp_nanos() / 1_000_000) as i64,
    });

    let mut calls_authorizer = String::new();
    if route.authorized {
        if let Some(auth) = &state.authorizer {
            let event = json!({
                "version": "2.0", "type": "REQUEST", "routeArn": format!("arn:aws:execute-api:local:{}:local/$default/{}", state.account, route_key.replace(' ', "")),
                "identitySource": header("authorization").into_iter().collect::<Vec<_>>(), "routeKey": route_key, "rawPath": path, "rawQueryString": query,
                "headers": headers, "queryStringParameters": qs, "pathParameters": params, "requestContext": context,
            });
            let mut out = auth.invoke(event).await;
            if let Ok(v) = &mut out {
                calls_authorizer = Reported::take(v).map(|r| r.calls).unwrap_or_default();
            }
            match out {
                Ok(v) if v.get("isAuthorized").and_then(|a| a.as_bool()) == Some(true) => {
                    context["authorizer"] = json!({"lambda": v.get("context").cloned().unwrap_or(json!({}))});
                }
                Ok(_) => return Ok(json_resp(403, &json!({"message": "Forbidden"}))),
                Err(e) => {
                    tracing::error!(error = %e, "authorizer failed");
                    return Ok(json_resp(500, &json!({"message": "Internal Server Error"})));
                }
            }
        }
    }
    let (body_text, b64) = match std::str::from_utf8(&body) {
        Ok(s) => (s.to_string(), false),
        Err(_) => {
            use base64::Engine;
            (base64::engine::general_purpose::STANDARD.encode(&body), true)
        }
    };
    let event = json!({
        "version": "2.0", "routeKey": route_key, "rawPath": path, "rawQueryString": query, "headers": headers,
        "queryStringParameters": if qs.is_empty() { Value::Null } else { Value::Object(qs) },
        "pathParameters": if params.is_empty() { Value::Null } else { json!(params) },
        "requestContext": context, "body": if body.is_empty() { Value::Null } else { Value::String(body_text) }, "isBase64Encoded": b64,
    });
    let answer = match route.invoke.invoke(event).await {
        Ok(a) => a,
        Err(e) => {
            tracing::error!(function = %route.function, error = %e, "invocation failed");
            return Ok(json_resp(500, &json!({"message": "Internal Server Error"})));
        }
    };
    let Some(mut out) = http_response(&answer) else {
        tracing::error!(function = %route.function, "the function's answer is not an HTTP API response");
        return Ok(json_resp(500, &json!({"message": "Internal Server Error"})));
    };
    let h = out.headers_mut();
    if let Some(allow) = allowed_origin(&state.cors, origin.as_deref()) {
        h.insert("access-control-allow-origin", allow.parse().expect("header"));
    }
    if let Ok(v) = calls_authorizer.parse() {
        h.insert("x-aws-calls-authorizer", v);
    }
    if let Ok(v) = route.function.parse() {
        h.insert("x-local-function", v);
    }
    Ok(out)
}

/// `/_local/webhooks/<name>`: POST records a delivery (headers and body)
/// and answers the receiver's status; GET lists what it got; PUT
/// `?status=500` makes it fail (and `?status=200` recover).
fn receiver(state: &State, method: &str, name: &str, query: &str, headers: &http::HeaderMap, body: &Bytes) -> Resp {
    let q: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    let mut all = state.receivers.lock().expect("receivers");
    let r = all.entry(name.to_string()).or_default();
    match method {
        "POST" => {
            let h: serde_json::Map<String, Value> =
                headers.iter().map(|(k, v)| (k.as_str().to_string(), json!(v.to_str().unwrap_or_default()))).collect();
            r.received.push(json!({"headers": h, "body": String::from_utf8_lossy(body)}));
            let status = r.status.unwrap_or(200);
            json_resp(status, &json!({"received": true}))
        }
        "GET" => json_resp(200, &json!(r.received)),
        "PUT" => match q.get("status").and_then(|s| s.parse::<u16>().ok()).filter(|s| (200..600).contains(s)) {
            Some(s) => {
                r.status = Some(s);
                json_resp(200, &json!({"status": s}))
            }
            None => json_resp(400, &json!({"message": "?status=<200..599>"})),
        },
        _ => json_resp(405, &json!({"message": "POST, GET or PUT"})),
    }
}

async fn local_endpoint(state: &State, method: &str, local: &str, query: &str) -> Resp {
    let q: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
    match (method, local) {
        ("GET", "health") => json_resp(200, &json!({"ok": true})),
        ("GET", "mailbox") => match mailbox::read(&state.moto_url, q.get("to").map(String::as_str)).await {
            Ok(m) => json_resp(200, &json!(m)),
            Err(e) => json_resp(502, &json!({"message": e})),
        },
        ("GET", "mailbox.html") => match mailbox::read(&state.moto_url, q.get("to").map(String::as_str)).await {
            Ok(m) => respond(200, "text/html; charset=utf-8", mailbox::html(&m)),
            Err(e) => respond(502, "text/plain", e),
        },
        ("GET", "sms") => match mailbox::sms(&state.moto_url, q.get("to").map(String::as_str)).await {
            Ok(m) => json_resp(200, &json!(m)),
            Err(e) => json_resp(502, &json!({"message": e})),
        },
        ("GET", "push") => match mailbox::push(&state.moto_url, q.get("token").map(String::as_str)).await {
            Ok(m) => json_resp(200, &json!(m)),
            Err(e) => json_resp(502, &json!({"message": e})),
        },
        ("GET", "phone.html") => {
            match tokio::try_join!(mailbox::sms(&state.moto_url, None), mailbox::push(&state.moto_url, None)) {
                Ok((s, p)) => respond(200, "text/html; charset=utf-8", mailbox::phone_html(&s, &p)),
                Err(e) => respond(502, "text/plain", e),
            }
        }
        ("GET", "clock") => json_resp(200, &clock_view(&state.clock)),
        // Moves the stack's time forward (`?seconds=` or `?to=<RFC 3339>`), then
        // runs every schedule once as of the new time, as the runs that would
        // have come meanwhile: deadlines that passed are acted on at once.
        ("POST", "clock") => {
            let seconds = match (q.get("seconds"), q.get("to")) {
                (Some(s), None) => s.parse::<i64>().map_err(|_| format!("seconds: not a whole number: {s}")),
                (None, Some(t)) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map(|t| t.unix_timestamp() - state.clock.now_unix())
                    .map_err(|e| format!("to: not an RFC 3339 time: {e}")),
                _ => Err("give ?seconds=<n> or ?to=<RFC 3339 time>".into()),
            };
            let offset = match seconds.and_then(|s| state.clock.advance(s)) {
                Ok(o) => o,
                Err(e) => return json_resp(400, &json!({"message": e})),
            };
            let time = state.clock.now_rfc3339();
            let runs = state.schedules.iter().map(|(id, (invoke, event))| {
                let mut e = event.clone();
                e["time"] = json!(time);
                e["id"] = json!(uuid::Uuid::new_v4().to_string());
                async move {
                    let out = match invoke.invoke(e).await {
                        Ok(mut v) => {
                            Reported::take(&mut v);
                            v
                        }
                        Err(e) => json!({"error": e}),
                    };
                    (id.clone(), out)
                }
            });
            let ran: serde_json::Map<String, Value> = futures::future::join_all(runs).await.into_iter().collect();
            let mut view = clock_view(&state.clock);
            view["offset_seconds"] = json!(offset);
            view["schedules"] = Value::Object(ran);
            json_resp(200, &view)
        }
        ("GET", "calls") => json_resp(200, &json!(state.meter.totals())),
        ("GET", "invocations") => json_resp(200, &json!(state.meter.invocations())),
        ("GET", "docs" | "docs/") => respond(200, "text/html; charset=utf-8", REFERENCE_PAGE),
        ("GET", s) if s.starts_with("docs/") => reference_file(&state.docs_dir, &s["docs/".len()..]),
        ("POST", s) if s.starts_with("redrive/") => match state.redrive.get(&s["redrive/".len()..]) {
            Some((dlq, source)) => match redrive(&state.sqs, dlq, source).await {
                Ok(n) => json_resp(200, &json!({"moved": n})),
                Err(e) => json_resp(502, &json!({"message": e})),
            },
            None => json_resp(404, &json!({"message": "no such dead-letter queue"})),
        },
        ("POST", s) if s.starts_with("schedules/") => {
            let id = &s["schedules/".len()..];
            match state.schedules.get(id) {
                // `?time=` fires the schedule as of that instant (a scheduled
                // event's `time`), so tests need not wait for deadlines.
                Some((invoke, event)) => match invoke
                    .invoke({
                        // Its own event, at the stack's time unless `?time=` names another.
                        let mut e = event.clone();
                        e["time"] = json!(q.get("time").cloned().unwrap_or_else(|| state.clock.now_rfc3339()));
                        e["id"] = json!(uuid::Uuid::new_v4().to_string());
                        e
                    })
                    .await
                {
                    Ok(mut v) => {
                        Reported::take(&mut v);
                        json_resp(200, &v)
                    }
                    Err(e) => json_resp(500, &json!({"message": e})),
                },
                None => json_resp(404, &json!({"message": format!("no scheduled function {id}")})),
            }
        }
        _ => json_resp(404, &json!({"message": "Not Found"})),
    }
}

fn clock_view(clock: &crate::clock::LocalClock) -> Value {
    json!({"now": clock.now_rfc3339(), "offset_seconds": clock.offset()})
}

/// The API reference: Swagger UI (installed by infra/setup.sh) reading GET /openapi.json.
const REFERENCE_PAGE: &str = r##"<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Handoff API reference</title>
<link rel="stylesheet" href="/_local/docs/swagger-ui.css"></head>
<body><div id="reference"></div>
<script src="/_local/docs/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({ url: "/openapi.json", dom_id: "#reference", deepLinking: true,
  persistAuthorization: true, tryItOutEnabled: true, servers: [{ url: window.location.origin }] });
</script></body></html>
"##;

/// One of Swagger UI's files (a plain name: no folders, no `..`).
fn reference_file(dir: &std::path::Path, name: &str) -> Resp {
    if name.is_empty()
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        || name.starts_with('.')
    {
        return json_resp(404, &json!({"message": "Not Found"}));
    }
    let kind = match name.rsplit('.').next() {
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("png") => "image/png",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    };
    match std::fs::read(dir.join(name)) {
        Ok(bytes) => respond(200, kind, bytes),
        Err(_) => respond(
            404,
            "text/plain",
            format!("{name} is not in {}: run infra/setup.sh to install the API reference", dir.display()),
        ),
    }
}

/// An HTTP API (payload 2.0) Lambda answer as the HTTP response API Gateway sends.
fn http_response(v: &Value) -> Option<Resp> {
    let status = v.get("statusCode")?.as_u64()? as u16;
    let mut b = Response::builder().status(status);
    if let Some(h) = v.get("headers").and_then(|h| h.as_object()) {
        for (k, val) in h {
            if let Some(val) = val.as_str() {
                b = b.header(k, val);
            }
        }
    }
    if let Some(h) = v.get("multiValueHeaders").and_then(|h| h.as_object()) {
        for (k, vals) in h {
            for val in vals.as_array().into_iter().flatten().filter_map(|x| x.as_str()) {
                b = b.header(k, val);
            }
        }
    }
    for c in v.get("cookies").and_then(|c| c.as_array()).into_iter().flatten().filter_map(|c| c.as_str()) {
        b = b.header("set-cookie", c);
    }
    let body = match v.get("body").and_then(|b| b.as_str()) {
        None => Bytes::new(),
        Some(text) if v.get("isBase64Encoded").and_then(|x| x.as_bool()) == Some(true) => {
            use base64::Engine;
            Bytes::from(base64::engine::general_purpose::STANDARD.decode(text).ok()?)
        }
        Some(text) => Bytes::from(text.to_string()),
    };
    b.body(Full::new(body)).ok()
}

pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    loop {
        let Ok((stream, peer)) = listener.accept().await else { continue };
        let state = state.clone();
        tokio::spawn(async move {
            let svc = hyper::service::service_fn(move |req| handle(state.clone(), peer, req));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), svc)
                .with_upgrades()
                .await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn path_templates() {
        let s = segments("/me/sessions/{id}");
        assert_eq!(matches(&s, "/me/sessions/abc").unwrap()["id"], "abc");
        assert!(matches(&s, "/me/sessions").is_none());
        assert!(matches(&s, "/me/sessions/a/b").is_none());
        assert!(matches(&segments("/me"), "/me").is_some());
        assert_eq!(matches(&s, "/me/sessions/a%20b").unwrap()["id"], "a b");
    }
}
