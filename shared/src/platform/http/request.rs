//! A request as a handler sees it: parsed once from the API Gateway event,
//! with the authorizer's principal, the JSON body and the query's paging.
use http::{HeaderMap, Method};
use lambda_http::{Request, RequestExt};
use serde::de::DeserializeOwned;
use std::collections::HashMap;

use super::problem::Problem;
use crate::domain::identity::Role;
use crate::platform::auth::{Principal, TokenError};
use crate::platform::envelope::Actor;
use crate::platform::observability::correlation_id;

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
        let query: HashMap<String, String> = req
            .query_string_parameters_ref()
            .map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default();
        let path_params: HashMap<String, String> = req
            .path_parameters_ref()
            .map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
            .unwrap_or_default();
        let (mut source_ip, mut request_id, mut auth, mut subject) = (None, None, Err(TokenError::Missing), None);
        if let Some(lambda_http::request::RequestContext::ApiGatewayV2(ctx)) = req.request_context_ref() {
            source_ip = ctx.http.source_ip.clone();
            request_id = ctx.request_id.clone();
            if let Some(a) = &ctx.authorizer {
                auth = Principal::from_context(&a.fields);
                subject = crate::platform::auth::verified_subject(&a.fields);
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
    /// The caller, if it has any of `roles`.
    pub fn require_any_role(&self, roles: &[Role]) -> Result<&Principal, Problem> {
        let p = self.principal()?;
        if roles.iter().any(|r| p.has(*r)) {
            Ok(p)
        } else {
            let names: Vec<String> = roles.iter().map(|r| r.to_string()).collect();
            Err(Problem::forbidden(format!("this route needs one of the roles {}", names.join(", "))))
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
                return Err(Problem::new(
                    415,
                    "unsupported-media-type",
                    "Unsupported media type",
                    "send the body as application/json",
                ));
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
        if let Some((field, why)) = hostile_string(&value, String::new()) {
            return Err(Problem::field(&field, why));
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let msg = e.inner().to_string();
            Problem::field(&field_of(&e.path().to_string(), &msg), msg)
        })
    }

    pub fn path_param(&self, name: &str) -> Result<&str, Problem> {
        self.path_params
            .get(name)
            .map(String::as_str)
            .ok_or_else(|| Problem::bad_request("missing-parameter", format!("path parameter {name} is missing")))
    }

    /// `limit` (1–100, default 20) and `cursor` from the query string.
    pub fn page(&self) -> Result<(i32, Option<&str>), Problem> {
        let limit = match self.query.get("limit") {
            None => 20,
            Some(l) => l
                .parse::<i32>()
                .ok()
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| Problem::field("limit", "must be a whole number from 1 to 100"))?,
        };
        Ok((limit, self.query.get("cursor").map(String::as_str).filter(|c| !c.is_empty())))
    }

    pub fn is_mutating(&self) -> bool {
        matches!(self.method, Method::POST | Method::PUT | Method::PATCH | Method::DELETE)
    }
}

/// The longest string any field takes (fields have their own, lower limits).
pub const MAX_STRING_CHARS: usize = 10_000;

/// The first string in a body that no field takes: control characters (but
/// tab and newline) or more than [`MAX_STRING_CHARS`]; its path and why.
fn hostile_string(v: &serde_json::Value, path: String) -> Option<(String, &'static str)> {
    use serde_json::Value;
    let join = |k: &str| if path.is_empty() { k.to_string() } else { format!("{path}.{k}") };
    match v {
        Value::String(s) if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            Some((path, "must not contain control characters"))
        }
        Value::String(s) if s.chars().count() > MAX_STRING_CHARS => Some((path, "is too long")),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, x)| hostile_string(x, format!("{path}[{i}]"))),
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            if k.chars().any(char::is_control) || k.chars().count() > 100 {
                Some((join("?"), "field names are short and printable"))
            } else {
                hostile_string(x, join(k))
            }
        }),
        _ => None,
    }
}

/// The field a body error is about: the path to the value that did not fit
/// (`max_dimensions_cm.length_cm`, `roles[2]`), and for a missing or unknown
/// field its name, never a value the caller sent.
fn field_of(path: &str, message: &str) -> String {
    let named = ["missing field `", "unknown field `"]
        .iter()
        .find_map(|p| message.strip_prefix(p))
        .and_then(|rest| rest.split('`').next());
    match (path, named) {
        ("." | "", Some(name)) => name.to_string(),
        ("." | "", None) => "body".to_string(),
        (path, Some(name)) if path == name || path.ends_with(&format!(".{name}")) => path.to_string(),
        (path, Some(name)) => format!("{path}.{name}"),
        (path, None) => path.to_string(),
    }
}

/// Requests built by hand, for unit tests of routes.
impl ApiRequest {
    pub fn new(method: Method, path: &str) -> Self {
        Self {
            method,
            path: path.into(),
            headers: HeaderMap::new(),
            body: Vec::new(),
            query: HashMap::new(),
            path_params: HashMap::new(),
            correlation_id: "test".into(),
            source_ip: None,
            user_agent: None,
            subject: None,
            auth: Err(TokenError::Missing),
        }
    }
    pub fn with_json(mut self, body: &serde_json::Value) -> Self {
        self.body = body.to_string().into_bytes();
        self.headers.insert("content-type", http::HeaderValue::from_static("application/json"));
        self
    }
    pub fn with_header(mut self, name: &'static str, value: &str) -> Self {
        if let Ok(v) = http::HeaderValue::from_str(value) {
            self.headers.insert(name, v);
        }
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        text: String,
        size: Size,
        tags: Vec<u32>,
    }
    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Size {
        cm: u32,
    }

    fn field(body: serde_json::Value) -> String {
        let e = ApiRequest::new(Method::POST, "/x").with_json(&body).json::<Body>().unwrap_err();
        assert_eq!(e.status, 422, "{e:?}");
        e.errors[0].field.clone()
    }

    #[test]
    fn field_errors_name_the_field_never_the_value() {
        let ok = serde_json::json!({"size": {"cm": 1}, "tags": []});
        let with = |k: &str, v: serde_json::Value| {
            let mut b = ok.clone();
            b[k] = v;
            b
        };
        assert_eq!(field(with("text", serde_json::json!(-1))), "text");
        assert_eq!(field(ok.clone()), "text");
        assert_eq!(
            field(with("text", serde_json::json!("a")).tap_set("size", serde_json::json!({"cm": -5}))),
            "size.cm"
        );
        assert_eq!(field(with("text", serde_json::json!("a")).tap_set("tags", serde_json::json!([1, "x"]))), "tags[1]");
        assert_eq!(field(with("text", serde_json::json!("a")).tap_set("extra", serde_json::json!(1))), "extra");
        assert_eq!(
            field(with("text", serde_json::json!("a")).tap_set("size", serde_json::json!({"cm": 1, "mm": 2}))),
            "size.mm"
        );
        assert_eq!(
            field(with("text", serde_json::json!("a")).tap_set("tags", serde_json::json!([1e30]))),
            "tags[0]",
            "numbers beyond 64 bits"
        );
        assert_eq!(field(with("text", serde_json::json!("a\u{0}b"))), "text", "control characters");
        assert_eq!(field(with("text", serde_json::json!("x".repeat(MAX_STRING_CHARS + 1)))), "text");
        let nested = with("text", serde_json::json!("ok")).tap_set("tags", serde_json::json!(["\u{1b}[31m"]));
        assert_eq!(field(nested), "tags[0]");
        let fine = with("text", serde_json::json!("two\nlines\tand a tab"));
        assert!(ApiRequest::new(Method::POST, "/x").with_json(&fine).json::<Body>().is_ok());
    }

    trait TapSet {
        fn tap_set(self, k: &str, v: serde_json::Value) -> Self;
    }
    impl TapSet for serde_json::Value {
        fn tap_set(mut self, k: &str, v: serde_json::Value) -> Self {
            self[k] = v;
            self
        }
    }
}
