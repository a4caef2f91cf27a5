//! A handler's answer ([`Reply`]: status, body, headers and the writes that
//! make it true) and the finished [`Answer`] sent to the caller.
use lambda_http::{Body, Response};
use serde::Serialize;

use super::problem::Problem;

/// A handler's answer, and the writes that make it true: the dispatcher
/// commits them in one transaction together with the idempotency record.
pub struct Reply {
    pub status: u16,
    pub body: Option<serde_json::Value>,
    pub headers: Vec<(String, String)>,
    #[cfg(feature = "dynamodb")]
    pub writes: Vec<crate::platform::store::Write<Problem>>,
}

impl Reply {
    pub fn new(status: u16, body: Option<serde_json::Value>) -> Self {
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
    /// A body that is not JSON (an HTML page), sent as it is.
    pub fn text(status: u16, content_type: &str, text: String) -> Self {
        Self::new(status, Some(serde_json::Value::String(text))).header("content-type", content_type)
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
        self.writes.extend(items.into_iter().map(crate::platform::store::Write::new));
        self
    }
    /// Adds a write; if its condition fails, the request answers `on_fail`.
    #[cfg(feature = "dynamodb")]
    pub fn write(mut self, item: aws_sdk_dynamodb::types::TransactWriteItem, on_fail: Option<Problem>) -> Self {
        self.writes.push(crate::platform::store::Write { item, on_condition_failed: on_fail });
        self
    }
}

/// One page of a list: its items and, when there are more, the cursor of the next page.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}Page")]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` to read the next page; absent or null on the last page.
    pub next_cursor: Option<String>,
}

/// A list that is not paged.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[schemars(rename = "{T}List")]
pub struct Items<T> {
    pub items: Vec<T>,
}

/// The finished answer: status, headers, body bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn problem(p: &Problem, correlation_id: &str) -> Self {
        let mut headers = vec![("content-type".to_string(), "application/problem+json".to_string())];
        if let Some(s) = p.retry_after {
            headers.push(("retry-after".into(), s.to_string()));
        }
        Self { status: p.status, headers, body: p.body(correlation_id).to_string() }
    }
    pub fn reply(r: &Reply) -> Self {
        let mut headers = r.headers.clone();
        let typed = headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let body = match &r.body {
            Some(serde_json::Value::String(text)) if typed => text.clone(),
            Some(b) => {
                headers.push(("content-type".into(), "application/json".into()));
                b.to_string()
            }
            None => String::new(),
        };
        Self { status: r.status, headers, body }
    }
    pub fn into_response(self, correlation_id: &str) -> Response<Body> {
        let mut b = Response::builder().status(self.status).header("x-correlation-id", correlation_id);
        for (k, v) in &self.headers {
            b = b.header(k, v);
        }
        b.body(if self.body.is_empty() { Body::Empty } else { Body::Text(self.body) }).expect("valid response parts")
    }
}
