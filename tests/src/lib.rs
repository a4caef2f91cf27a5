//! Helpers for the end-to-end tests: a fresh local stack per test (its own
//! table, queues and bus in the shared moto server), an HTTP client, and
//! the sign-in journey.
use handoff_local::{start, Options, Stack};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// A moto server every stack shares, if `HANDOFF_TEST_ENDPOINT` names one
/// (or another endpoint, such as LocalStack's); without it each stack starts
/// a moto server of its own (infra/moto_server.py, installed by infra/setup.sh).
pub fn endpoint() -> Option<String> {
    std::env::var("HANDOFF_TEST_ENDPOINT").ok().filter(|e| !e.is_empty())
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn options(name: &str) -> Options {
    let stack = format!("t{}-{name}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let endpoint = endpoint();
    let mut opts = Options::new(root().join("template.yaml"), endpoint.clone(), &stack);
    opts.own_moto = endpoint.is_none().then(root);
    // Functions start on first use; the samples test invokes every one.
    opts.lazy = true;
    // Every function through the multi-call binary (infra/lambdas): the same
    // handlers and runtime loop as their own binaries, linked once.
    opts.multicall = Some(opts.bin_dir.join("handoff-lambdas"));
    // Many stacks at once on a shared machine (and CI beside other jobs):
    // functions may wait four times as long as on AWS before giving up.
    opts.slow_scale = 4;
    opts.log_dir = Some(root().join(".local/logs").join(&stack));
    // The Stripe emulator (started by infra/test.sh): each stack is its own account there.
    opts.stripe = std::env::var("HANDOFF_TEST_STRIPE").ok();
    opts
}

/// The localstripe server the tests run against (started by infra/test.sh).
pub fn stripe_url() -> String {
    handoff_local::install_crypto();
    std::env::var("HANDOFF_TEST_STRIPE")
        .expect("HANDOFF_TEST_STRIPE is not set: run the tests with infra/test.sh, which starts localstripe")
}

pub async fn stack(name: &str) -> TestStack {
    TestStack(start(options(name)).await.expect("the local stack starts"))
}

/// A stack whose sign-in codes are not limited per address (tests that sign
/// in many users from 127.0.0.1).
pub async fn busy_stack(name: &str) -> TestStack {
    let mut opts = options(name);
    opts.parameters.insert("OtpRequestsPerIp".into(), "100000".into());
    TestStack(start(opts).await.expect("the local stack starts"))
}

/// A stack with some template parameters of its own.
pub async fn stack_with(name: &str, parameters: &[(&str, &str)]) -> TestStack {
    let mut opts = options(name);
    opts.parameters.extend(parameters.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    TestStack(start(opts).await.expect("the local stack starts"))
}

/// A local stack that, when the test ends, fails it if any event that went
/// through its queues did not match its schema in events/schemas/.
pub struct TestStack(pub Stack);

impl std::ops::Deref for TestStack {
    type Target = Stack;
    fn deref(&self) -> &Stack {
        &self.0
    }
}

impl Drop for TestStack {
    fn drop(&mut self) {
        let violations = self.0.events.violations();
        if !violations.is_empty() && !std::thread::panicking() {
            panic!("events that do not match their schema:\n{}", violations.join("\n"));
        }
    }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, n: &str) -> Option<&str> {
        self.headers.get(n).and_then(|v| v.to_str().ok())
    }
    /// Asserts a problem+json answer with this status and type slug.
    pub fn problem(&self, status: u16, slug: &str) -> &Self {
        assert_eq!(self.status.as_u16(), status, "status of {}", self.body);
        assert_eq!(self.header("content-type"), Some("application/problem+json"), "content type of {}", self.body);
        assert_eq!(self.body["type"], format!("https://problems.handoff.dev/{slug}"), "type of {}", self.body);
        assert_eq!(self.body["status"], status);
        assert!(self.body["detail"].as_str().is_some_and(|d| !d.is_empty()), "detail of {}", self.body);
        self
    }
}

/// How long a test client waits for an answer: as long as the slowest
/// function may take on the test stack (its timeout × `slow_scale`), so a
/// busy machine makes a run slower, not red.
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(150);

#[derive(Clone)]
pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(stack: &Stack) -> Self {
        Self {
            base: stack.url.clone(),
            http: reqwest::Client::builder().timeout(CLIENT_TIMEOUT).build().expect("client"),
        }
    }

    /// The same client, its requests coming from `address` (the local
    /// stack's `x-local-source-ip`), as a phone that changed networks.
    pub fn from_address(&self, address: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-local-source-ip", address.parse().expect("an address"));
        let http = reqwest::Client::builder().timeout(CLIENT_TIMEOUT).default_headers(headers).build().expect("client");
        Self { base: self.base.clone(), http }
    }

    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        headers: &[(&str, &str)],
        body: Option<Vec<u8>>,
    ) -> Answer {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body(b);
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.bytes().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Answer { status, headers, body }
    }

    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Answer {
        let headers: &[(&str, &str)] = if body.is_some() { &[("content-type", "application/json")] } else { &[] };
        self.raw(method, path, token, headers, body.map(|b| b.to_string().into_bytes())).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::POST, path, token, Some(body)).await
    }
    pub async fn get(&self, path: &str, token: Option<&str>) -> Answer {
        self.call(Method::GET, path, token, None).await
    }
    pub async fn put(&self, path: &str, token: Option<&str>, body: Value) -> Answer {
        self.call(Method::PUT, path, token, Some(body)).await
    }

    /// Creates an administrator of its own (the local mailbox is shared by
    /// every stack in moto, so each test signs in with a unique address).
    pub async fn admin(&self, stack: &Stack) -> String {
        let email = format!("admin-{}@handoff.dev", &uuid::Uuid::new_v4().simple().to_string()[..12]);
        let users = json!({"users": [{"email": email, "name": "Test Admin", "roles": ["admin"]}]});
        handoff_local::demo::load(&stack.table, &users.to_string()).await.unwrap();
        self.sign_in(&email).await["access_token"].as_str().unwrap().to_string()
    }

    /// Signs in, takes the traveler role, has the administrator verify the
    /// user, and refreshes so the token carries the role: (token, user id).
    pub async fn verified_traveler(&self, email: &str, admin: &str) -> (String, String) {
        let t = self.sign_in(email).await;
        let tok = t["access_token"].as_str().unwrap();
        let me = self.call(Method::PATCH, "/me", Some(tok), Some(json!({"roles": ["traveler", "sender"]}))).await;
        assert_eq!(me.status, 200, "{}", me.body);
        let id = me.body["user_id"].as_str().unwrap().to_string();
        let v = self.put(&format!("/admin/users/{id}/verification"), Some(admin), json!({"status": "verified"})).await;
        assert_eq!(v.status, 200, "{}", v.body);
        let r = self.post("/auth/refresh", None, json!({"refresh_token": t["refresh_token"]})).await;
        assert_eq!(r.status, 200, "{}", r.body);
        (r.body["access_token"].as_str().unwrap().to_string(), id)
    }

    /// The last sign-in code mailed to `email`, read from the local mailbox
    /// (other mail, such as the welcome, may come after it).
    pub async fn code_for(&self, email: &str) -> String {
        self.codes_for(email).await.pop().unwrap_or_else(|| panic!("no sign-in code was mailed to {email}"))
    }

    /// Every sign-in code mailed to `email`, oldest first, read from the
    /// local mailbox.
    pub async fn codes_for(&self, email: &str) -> Vec<String> {
        // A read that fails on the way (a busy machine has dropped one
        // mid-body) is read again; an answer is a list of mails.
        let mut a = self.get(&format!("/_local/mailbox?to={email}"), None).await;
        for _ in 0..10 {
            if a.status == 200 && a.body.is_array() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            a = self.get(&format!("/_local/mailbox?to={email}"), None).await;
        }
        let mails = a.body.as_array().cloned().unwrap_or_default();
        mails
            .iter()
            .filter(|m| m["subject"].as_str().is_some_and(|s| s.starts_with("Your Handoff code")))
            .filter_map(|m| m["body"].as_str())
            .map(|body| {
                body.split_whitespace()
                    .map(|w| w.trim_end_matches('.'))
                    .find(|w| w.len() == 6 && w.chars().all(|c| c.is_ascii_digit()))
                    .expect("a code in the mail")
                    .to_string()
            })
            .collect()
    }

    /// Requests a code, reads it from the mailbox, verifies it: the token pair.
    pub async fn sign_in(&self, email: &str) -> Value {
        let a = self.post("/auth/otp", None, json!({ "email": email })).await;
        assert_eq!(a.status, 202, "{}", a.body);
        let code = self.code_for(email).await;
        let v = self.post("/auth/otp/verify", None, json!({ "email": email, "code": code })).await;
        assert_eq!(v.status, 200, "{}", v.body);
        v.body
    }
}

/// A unique address (the local mailbox is shared by every stack in moto).
pub fn email(name: &str) -> String {
    format!("{name}-{}@example.com", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// The body of a 2xx answer (the test fails on any other).
pub async fn ok(a: Answer) -> Value {
    assert!(a.status.is_success(), "{} {}", a.status, a.body);
    a.body
}

/// Now, in unix seconds.
pub fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A unix time as RFC 3339 (UTC), as the API takes it.
pub fn at(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .expect("a representable time")
        .format(&time::format_description::well_known::Rfc3339)
        .expect("formats")
}

/// How long to wait for an outcome that passes through a queue consumer, on a
/// stack with the template's queues: a failed attempt (a function timing out
/// on a busy machine) comes back after the queue's 60 s visibility timeout, so
/// the wait covers one retry and its processing.
pub const QUEUED: u64 = 180;

/// Polls `f` until it returns `Some`, for at most `secs` seconds.
pub async fn eventually<T, F, Fut>(secs: u64, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let until = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() > until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every item of the stack's table (tests only).
pub async fn scan(stack: &Stack) -> Vec<std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>> {
    let mut out = Vec::new();
    let mut start = None;
    loop {
        let r = stack
            .table
            .client()
            .scan()
            .table_name(stack.table.name())
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("scan");
        out.extend(r.items.unwrap_or_default());
        start = r.last_evaluated_key;
        if start.is_none() {
            return out;
        }
    }
}

pub fn s(item: &std::collections::HashMap<String, aws_sdk_dynamodb::types::AttributeValue>, k: &str) -> String {
    item.get(k).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default()
}

/// Shipments for the tests: a body between two places, a photo uploaded
/// through its presigned URL, customs declared.
pub mod parcels {
    use super::{Answer, Client};
    use serde_json::{json, Value};

    /// A contact at a place in a country.
    pub fn contact(name: &str, country: &str, place: &str) -> Value {
        json!({"name": name, "email": format!("{}@example.com", name.to_lowercase()), "phone": "+41445551234",
               "address": {"country": country, "lines": ["1 Main Street"], "postcode": "8000", "city": "Town"},
               "place": place})
    }

    /// A package of `category` weighing `grams` whose one contents line is worth `cents` EUR.
    pub fn body(category: &str, grams: u32, cents: i64, from: (&str, &str), to: (&str, &str)) -> Value {
        json!({"package": {"category": category, "weight_grams": grams,
                           "dimensions_cm": {"length_cm": 30, "width_cm": 20, "height_cm": 5},
                           "declared_value": {"amount": cents, "currency": "EUR"},
                           "contents": [{"description": "Contract papers", "quantity": 1, "unit_value": cents,
                                         "origin_country": from.0}]},
               "sender": contact("Sara", from.0, from.1), "recipient": contact("Remy", to.0, to.1)})
    }

    pub fn jpeg() -> Vec<u8> {
        let mut b = vec![0xFF, 0xD8, 0xFF, 0xE0];
        b.extend(std::iter::repeat_n(7u8, 300));
        b
    }

    fn ok(a: Answer, what: &str) -> Value {
        assert!(a.status.is_success(), "{what}: {} {}", a.status, a.body);
        a.body
    }

    impl Client {
        /// A draft shipment: its id.
        pub async fn shipment(&self, tok: &str, body: Value) -> String {
            ok(self.post("/shipments", Some(tok), body).await, "shipment")["shipment_id"].as_str().unwrap().to_string()
        }
        /// Uploads a JPEG photo of the parcel and has it checked: the answer.
        pub async fn photo(&self, tok: &str, shipment: &str) -> Value {
            self.photo_at(tok, &format!("/shipments/{shipment}")).await
        }
        /// Uploads a JPEG to `<at>/photos` and completes it (a shipment's or a handoff's).
        pub async fn photo_at(&self, tok: &str, at: &str) -> Value {
            let bytes = jpeg();
            let r = ok(
                self.post(
                    &format!("{at}/photos"),
                    Some(tok),
                    json!({"content_type": "image/jpeg", "size_bytes": bytes.len()}),
                )
                .await,
                "photo",
            );
            let put = self
                .http
                .put(r["upload"]["url"].as_str().unwrap())
                .header("content-type", "image/jpeg")
                .body(bytes)
                .send()
                .await
                .unwrap();
            assert!(put.status().is_success(), "upload: {}", put.status());
            let id = r["document"]["document_id"].as_str().unwrap();
            ok(self.post(&format!("{at}/photos/{id}/complete"), Some(tok), json!({})).await, "complete")
        }
        /// Declares customs: the shipment with its declaration.
        pub async fn customs(&self, tok: &str, shipment: &str, incoterm: &str) -> Value {
            let body = json!({"nature": "documents", "incoterm": incoterm});
            ok(self.post(&format!("/shipments/{shipment}/customs"), Some(tok), body).await, "customs")
        }
        /// A shipment with a photo, declared when it crosses a border: its id.
        pub async fn ready_shipment(&self, tok: &str, body: Value, incoterm: &str) -> String {
            let crosses = body["sender"]["address"]["country"] != body["recipient"]["address"]["country"];
            let id = self.shipment(tok, body).await;
            self.photo(tok, &id).await;
            if crosses {
                self.customs(tok, &id, incoterm).await;
            }
            id
        }
        /// Quotes a shipment along trip segments `(trip_id, leg numbers)`.
        pub async fn quote(&self, tok: &str, shipment: &str, trips: &[(&str, &[u32])]) -> Answer {
            let segments: Vec<Value> = trips
                .iter()
                .map(|(t, legs)| {
                    json!({"kind": "trip", "trip_id": t,
                                         "legs": legs.iter().map(|n| json!({"leg_no": n})).collect::<Vec<_>>()})
                })
                .collect();
            self.post("/pricing/quote", Some(tok), json!({"shipment_id": shipment, "segments": segments})).await
        }
    }
}

/// Headless Chromium (Debian's package), driven over the DevTools protocol:
/// opens a page and evaluates expressions in it.
pub mod browser {
    use futures::{SinkExt, StreamExt};
    use serde_json::{json, Value};
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use tokio_tungstenite::tungstenite::Message;

    type Socket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

    pub struct Browser {
        child: Child,
        page: Socket,
        next: u64,
        _profile: std::path::PathBuf,
    }

    impl Browser {
        /// Starts chromium on `url` (it must be installed: infra/setup.sh does it for the tests).
        pub async fn open(url: &str) -> Browser {
            let profile = std::env::temp_dir().join(format!("handoff-chromium-{}", uuid::Uuid::new_v4().simple()));
            let mut child = Command::new("chromium")
                .args(["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
                .args(["--no-first-run", "--remote-debugging-port=0", "--remote-allow-origins=*"])
                .arg(format!("--user-data-dir={}", profile.display()))
                .arg(url)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("chromium runs (apt install chromium; infra/setup.sh does it for the tests)");
            let stderr = child.stderr.take().unwrap();
            let port = tokio::task::spawn_blocking(move || {
                for line in BufReader::new(stderr).lines() {
                    let line = line.ok()?;
                    if let Some(rest) = line.split("ws://127.0.0.1:").nth(1) {
                        return rest.split('/').next().map(str::to_string);
                    }
                }
                None
            })
            .await
            .unwrap()
            .expect("chromium announces its DevTools port");
            let list: Value =
                reqwest::get(format!("http://127.0.0.1:{port}/json/list")).await.unwrap().json().await.unwrap();
            let ws = list
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["type"] == "page")
                .and_then(|t| t["webSocketDebuggerUrl"].as_str())
                .expect("a page target")
                .to_string();
            let (page, _) = tokio_tungstenite::connect_async(ws).await.expect("DevTools connects");
            Browser { child, page, next: 0, _profile: profile }
        }

        /// The value of a JavaScript expression in the page.
        pub async fn eval(&mut self, expression: &str) -> Value {
            self.next += 1;
            let id = self.next;
            let call = json!({"id": id, "method": "Runtime.evaluate",
                              "params": {"expression": expression, "returnByValue": true}});
            self.page.send(Message::text(call.to_string())).await.unwrap();
            while let Some(Ok(m)) = self.page.next().await {
                if let Message::Text(t) = m {
                    let v: Value = serde_json::from_str(&t).unwrap();
                    if v["id"] == id {
                        return v["result"]["result"]["value"].clone();
                    }
                }
            }
            panic!("DevTools went away");
        }

        /// Waits (up to `secs`) until `expression` is true in the page.
        pub async fn until(&mut self, secs: u64, expression: &str) -> bool {
            let end = std::time::Instant::now() + std::time::Duration::from_secs(secs);
            while std::time::Instant::now() < end {
                if self.eval(expression).await == Value::Bool(true) {
                    return true;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            false
        }
    }

    impl Drop for Browser {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
            let _ = std::fs::remove_dir_all(&self._profile);
        }
    }
}
