//! HTTP routes: request parsing with field errors, RFC 9457 problems,
//! idempotent mutating requests, pagination, the authorizer's principal.
use http::{HeaderMap, Method};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::collections::HashMap;
use std::future::Future;
use tracing::Instrument;

use super::auth::{Principal, TokenError};
use super::aws::Aws;
use super::env::{ConfigError, Env};
use super::events::Actor;
use super::observability::{correlation_id, metric};
#[cfg(feature = "dynamodb")]
use super::store::{StoreError, Table};
use crate::domain::identity::Role;
use crate::domain::validation::FieldError;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub const PROBLEM_BASE: &str = "https://problems.handoff.dev/";

/// An RFC 9457 problem: a stable `type`, a human `detail`, field errors.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub slug: String,
    pub title: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    pub retry_after: Option<i64>,
}

impl Problem {
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self { status, slug: slug.into(), title: title.into(), detail: detail.into(), errors: vec![], retry_after: None }
    }
    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(400, slug, "Bad request", detail)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut p = Self::new(422, "validation-failed", "Validation failed", "one or more fields are invalid; see errors");
        p.errors = errors;
        p
    }
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldError::new(field, message)])
    }
    pub fn unauthenticated(e: &TokenError) -> Self {
        if *e == TokenError::Unavailable {
            return Self::unavailable();
        }
        Self::new(401, e.slug(), "Unauthenticated", e.to_string())
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", "Forbidden", detail)
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(404, "not-found", "Not found", format!("{what} was not found"))
    }
    pub fn conflict(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(409, slug, "Conflict", detail)
    }
    pub fn too_many(slug: &str, detail: impl Into<String>, retry_after: i64) -> Self {
        let mut p = Self::new(429, slug, "Too many requests", detail);
        p.retry_after = Some(retry_after.max(1));
        p
    }
    pub fn unavailable() -> Self {
        let mut p = Self::new(503, "service-unavailable", "Service unavailable", "a dependency is unavailable; retry shortly with the same Idempotency-Key");
        p.retry_after = Some(1);
        p
    }
    pub fn internal() -> Self {
        Self::new(500, "internal-error", "Internal error", "something went wrong on our side")
    }

    pub fn body(&self, correlation_id: &str) -> serde_json::Value {
        let mut v = serde_json::json!({
            "type": format!("{PROBLEM_BASE}{}", self.slug),
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "correlation_id": correlation_id,
        });
        if !self.errors.is_empty() {
            v["errors"] = serde_json::to_value(&self.errors).expect("field errors serialise");
        }
        v
    }
}

#[cfg(feature = "dynamodb")]
impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::ConditionFailed { .. } => Problem::conflict("conflict", "the resource was changed by another request; read it again and retry"),
            StoreError::Unavailable(why) => {
                tracing::warn!(error = %why, "store unavailable");
                Problem::unavailable()
            }
            StoreError::BadCursor(why) => Problem::bad_request("invalid-cursor", why),
            StoreError::Corrupt(why) => {
                tracing::error!(error = %why, "corrupt item");
                Problem::internal()
            }
        }
    }
}

/// A request as a handler sees it.
pub struct ApiRequest {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
    pub query: HashMap<String, String>,
    pub path_params: HashMap<String, String>,
    pub correlation_id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    /// The subject of a genuine token, even one whose session has ended.
    pub subject: Option<String>,
    auth: Result<Principal, TokenError>,
}

impl ApiRequest {
    pub fn from_lambda(req: Request) -> Self {
        let query: HashMap<String, String> =
            req.query_string_parameters_ref().map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap_or_default();
        let path_params: HashMap<String, String> =
            req.path_parameters_ref().map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()).unwrap_or_default();
        let (mut source_ip, mut request_id, mut auth, mut subject) = (None, None, Err(TokenError::Missing), None);
        if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
            source_ip = ctx.http.source_ip.clone();
            request_id = ctx.request_id.clone();
            if let Some(a) = &ctx.authorizer {
                auth = Principal::from_context(&a.fields);
                subject = super::auth::verified_subject(&a.fields);
            }
        }
        let headers = req.headers().clone();
        let header = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
        let correlation_id = correlation_id(header("x-correlation-id").as_deref().or(request_id.as_deref()));
        let user_agent = header("user-agent");
        let (parts, body) = req.into_parts();
        Self {
            method: parts.method,
            path: parts.uri.path().to_string(),
            body: body.to_vec(),
            headers,
            query,
            path_params,
            correlation_id,
            source_ip,
            user_agent,
            subject,
            auth,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The authenticated caller, or 401 saying why there is none.
    pub fn principal(&self) -> Result<&Principal, Problem> {
        self.auth.as_ref().map_err(Problem::unauthenticated)
    }
    pub fn require_role(&self, role: Role) -> Result<&Principal, Problem> {
        let p = self.principal()?;
        if p.has(role) {
            Ok(p)
        } else {
            Err(Problem::forbidden(format!("this route needs the {role} role")))
        }
    }
    pub fn actor(&self) -> Actor {
        match &self.auth {
            Ok(p) => Actor::user(&p.user_id, self.source_ip.as_deref()),
            Err(_) => Actor { id: "anonymous".into(), ip: self.source_ip.clone() },
        }
    }

    /// The JSON body as `T`: 415 if not JSON, 400 if malformed, 422 naming
    /// the field when a field is missing, unknown or of the wrong type.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Problem> {
        if let Some(ct) = self.header("content-type") {
            let media = ct.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
            if media != "application/json" && !media.ends_with("+json") {
                return Err(Problem::new(415, "unsupported-media-type", "Unsupported media type", "send the body as application/json"));
            }
        }
        if self.body.is_empty() {
            return Err(Problem::bad_request("malformed-json", "the request needs a JSON body"));
        }
        let value: serde_json::Value = serde_json::from_slice(&self.body)
            .map_err(|e| Problem::bad_request("malformed-json", format!("the body is not valid JSON: {e}")))?;
        if !value.is_object() {
            return Err(Problem::bad_request("malformed-json", "the body must be a JSON object"));
        }
        serde_json::from_value(value).map_err(|e| {
            let msg = e.to_string();
            let field = msg.split('`').nth(1).unwrap_or("body").to_string();
            Problem::field(&field, msg)
        })
    }

    pub fn path_param(&self, name: &str) -> Result<&str, Problem> {
        self.path_params.get(name).map(String::as_str).ok_or_else(|| Problem::bad_request("missing-parameter", format!("path parameter {name} is missing")))
    }

    /// `limit` (1–100, default 20) and `cursor` from the query string.
    pub fn page(&self) -> Result<(i32, Option<&str>), Problem> {
        let limit = match self.query.get("limit") {
            None => 20,
            Some(l) => l.parse::<i32>().ok().filter(|n| (1..=100).contains(n)).ok_or_else(|| Problem::field("limit", "must be a whole number from 1 to 100"))?,
        };
        Ok((limit, self.query.get("cursor").map(String::as_str).filter(|c| !c.is_empty())))
    }

    pub fn is_mutating(&self) -> bool {
        matches!(self.method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
    }
}

/// A handler's answer, and the writes that make it true: the dispatcher
/// commits them in one transaction together with the idempotency record.
pub struct Reply {
    pub status: u16,
    pub body: Option<serde_json::Value>,
    pub headers: Vec<(String, String)>,
    #[cfg(feature = "dynamodb")]
    pub writes: Vec<super::store::Write<Problem>>,
}

impl Reply {
    fn new(status: u16, body: Option<serde_json::Value>) -> Self {
        Self {
            status,
            body,
            headers: vec![],
            #[cfg(feature = "dynamodb")]
            writes: vec![],
        }
    }
    pub fn json<T: Serialize>(status: u16, body: &T) -> Self {
        Self::new(status, Some(serde_json::to_value(body).expect("replies serialise")))
    }
    pub fn ok<T: Serialize>(body: &T) -> Self {
        Self::json(200, body)
    }
    pub fn no_content() -> Self {
        Self::new(204, None)
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Adds writes whose conditions, if any fail, answer the generic 409.
    #[cfg(feature = "dynamodb")]
    pub fn writes(mut self, items: impl IntoIterator<Item = aws_sdk_dynamodb::types::TransactWriteItem>) -> Self {
        self.writes.extend(items.into_iter().map(super::store::Write::new));
        self
    }
    /// Adds a write; if its condition fails, the request answers `on_fail`.
    #[cfg(feature = "dynamodb")]
    pub fn write(mut self, item: aws_sdk_dynamodb::types::TransactWriteItem, on_fail: Option<Problem>) -> Self {
        self.writes.push(super::store::Write { item, on_condition_failed: on_fail });
        self
    }
}

/// One HTTP route: built from its environment, answering requests.
pub trait HttpFunction: Send + Sync + Sized + 'static {
    /// The crate name, e.g. `request-otp`.
    const NAME: &'static str;
    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError>;
    /// The table for idempotency records and reply writes, if the route has one.
    #[cfg(feature = "dynamodb")]
    fn table(&self) -> Option<&Table> {
        None
    }
    fn handle(&self, req: &ApiRequest) -> impl Future<Output = Result<Reply, Problem>> + Send;
}

/// The finished answer: status, headers, body bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    fn problem(p: &Problem, correlation_id: &str) -> Self {
        let mut headers = vec![("content-type".to_string(), "application/problem+json".to_string())];
        if let Some(s) = p.retry_after {
            headers.push(("retry-after".into(), s.to_string()));
        }
        Self { status: p.status, headers, body: p.body(correlation_id).to_string() }
    }
    fn reply(r: &Reply) -> Self {
        let mut headers = r.headers.clone();
        let body = match &r.body {
            Some(b) => {
                headers.push(("content-type".into(), "application/json".into()));
                b.to_string()
            }
            None => String::new(),
        };
        Self { status: r.status, headers, body }
    }
    fn into_response(self, correlation_id: &str) -> Response<Body> {
        let mut b = Response::builder().status(self.status).header("x-correlation-id", correlation_id);
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        b.body(if self.body.is_empty() { Body::Empty } else { Body::Text(self.body) }).expect("valid response parts")
    }
}

/// Runs one request through a route: size limit, idempotency, handler,
/// the reply's transaction, problem+json for every error.
pub async fn dispatch<F: HttpFunction>(f: &F, req: Request) -> Response<Body> {
    let req = ApiRequest::from_lambda(req);
    let span = tracing::info_span!("request", function = F::NAME, correlation_id = %req.correlation_id, method = %req.method, path = %req.path);
    async move {
        let answer = match process(f, &req).await {
            Ok(a) => a,
            Err(p) => Answer::problem(&p, &req.correlation_id),
        };
        if answer.status >= 500 {
            tracing::error!(status = answer.status, "request failed");
        } else {
            tracing::info!(status = answer.status, "request handled");
        }
        metric(F::NAME, if answer.status >= 500 { "ServerErrors" } else { "Requests" }, 1.0, "Count");
        answer.into_response(&req.correlation_id)
    }
    .instrument(span)
    .await
}

#[cfg(not(feature = "dynamodb"))]
async fn process<F: HttpFunction>(f: &F, req: &ApiRequest) -> Result<Answer, Problem> {
    check_size(req)?;
    f.handle(req).await.map(|r| Answer::reply(&r))
}

fn check_size(req: &ApiRequest) -> Result<(), Problem> {
    if req.body.len() > MAX_BODY_BYTES {
        return Err(Problem::new(413, "payload-too-large", "Payload too large", format!("request bodies are limited to {MAX_BODY_BYTES} bytes")));
    }
    Ok(())
}

#[cfg(feature = "dynamodb")]
async fn process<F: HttpFunction>(f: &F, req: &ApiRequest) -> Result<Answer, Problem> {
    use super::idempotency::{self, Claim};
    check_size(req)?;
    let claim = match (req.is_mutating(), req.header("idempotency-key"), f.table()) {
        (true, Some(key), Some(table)) => match idempotency::claim(table, F::NAME, req, key).await? {
            Claim::Replay(answer) => return Ok(answer),
            Claim::Fresh(c) => Some((c, table)),
        },
        _ => None,
    };
    let reply = match f.handle(req).await {
        Ok(r) => r,
        Err(p) => {
            if let Some((c, table)) = &claim {
                c.release(table).await;
            }
            return Err(p);
        }
    };
    let answer = Answer::reply(&reply);
    let mut problems = Vec::new();
    let mut items = Vec::new();
    for w in reply.writes {
        problems.push(w.on_condition_failed);
        items.push(w.item);
    }
    if let Some((c, _)) = &claim {
        items.push(c.complete(&answer));
        problems.push(None);
    }
    if !items.is_empty() {
        let table = f.table().expect("a route with writes has a table");
        // One write needs no transaction (a PutItem/UpdateItem is cheaper).
        let result = if items.len() == 1 { table.write_one(items.pop().expect("one item")).await } else { table.transact(items).await };
        if let Err(e) = result {
            if let Some((c, table)) = &claim {
                c.release(table).await;
            }
            return Err(match e {
                StoreError::ConditionFailed { index, .. } => problems.get_mut(index.unwrap_or(0)).and_then(Option::take).unwrap_or_else(|| e.into()),
                other => other.into(),
            });
        }
    }
    Ok(answer)
}
