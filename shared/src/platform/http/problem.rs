//! RFC 9457 problems, and the one place where errors of the domain and the
//! adapters become HTTP statuses (the domain knows none).
use super::super::auth::TokenError;
use crate::domain::validation::FieldError;

/// Request bodies above this size are refused with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
pub use crate::platform::contract::PROBLEM_BASE;

/// An RFC 9457 problem: a stable `type`, a human `detail`, field errors.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub status: u16,
    pub slug: String,
    pub title: String,
    pub detail: String,
    pub errors: Vec<FieldError>,
    /// Seconds (the Retry-After header).
    pub retry_after: Option<u32>,
    /// Members beside the standard ones (RFC 9457 extensions), such as a distance.
    pub extensions: Option<Box<serde_json::Map<String, serde_json::Value>>>,
}

impl Problem {
    pub fn new(status: u16, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            status,
            slug: slug.into(),
            title: title.into(),
            detail: detail.into(),
            errors: vec![],
            retry_after: None,
            extensions: None,
        }
    }
    /// Adds an extension member to the answer.
    pub fn with(mut self, name: &str, value: impl serde::Serialize) -> Self {
        let map = self.extensions.get_or_insert_with(Default::default);
        map.insert(name.into(), serde_json::to_value(value).expect("extensions serialise"));
        self
    }
    pub fn bad_request(slug: &str, detail: impl Into<String>) -> Self {
        Self::new(400, slug, "Bad request", detail)
    }
    pub fn validation(errors: Vec<FieldError>) -> Self {
        let mut p =
            Self::new(422, "validation-failed", "Validation failed", "one or more fields are invalid; see errors");
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
        p.retry_after = Some(retry_after.clamp(1, u32::MAX as i64) as u32);
        p
    }
    pub fn unavailable() -> Self {
        let mut p = Self::new(
            503,
            "service-unavailable",
            "Service unavailable",
            "a dependency is unavailable; retry shortly with the same Idempotency-Key",
        );
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
        for (k, x) in self.extensions.iter().flat_map(|m| m.iter()) {
            v[k] = x.clone();
        }
        v
    }
}

#[cfg(feature = "dynamodb")]
impl From<crate::platform::store::StoreError> for Problem {
    fn from(e: crate::platform::store::StoreError) -> Self {
        use crate::platform::store::StoreError;
        match &e {
            StoreError::ConditionFailed { .. } => {
                Problem::conflict("conflict", "the resource was changed by another request; read it again and retry")
            }
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %crate::platform::error::Chain(&e), "store unavailable");
                Problem::unavailable()
            }
            StoreError::BadCursor(why) => Problem::bad_request("invalid-cursor", *why),
            StoreError::Corrupt(_) => {
                tracing::error!(error = %crate::platform::error::Chain(&e), "corrupt item");
                Problem::internal()
            }
        }
    }
}

/// A route used a client its function was not configured with: a bug in
/// template.yaml, answered 500 and logged.
impl From<crate::platform::context::Unconfigured> for Problem {
    fn from(e: crate::platform::context::Unconfigured) -> Self {
        tracing::error!(error = %e, "function is missing configuration");
        Problem::internal()
    }
}

#[cfg(feature = "dynamodb")]
impl From<crate::platform::idempotency::IdempotencyError> for Problem {
    fn from(e: crate::platform::idempotency::IdempotencyError) -> Self {
        use crate::platform::idempotency::IdempotencyError as E;
        match e {
            E::InvalidKey => Problem::bad_request("invalid-idempotency-key", e.to_string()),
            E::Reused => Problem::new(422, "idempotency-key-reused", "Idempotency key reused", e.to_string()),
            E::InProgress => {
                let mut p = Problem::conflict("idempotency-in-progress", e.to_string());
                p.retry_after = Some(1);
                p
            }
            E::Store(s) => s.into(),
            E::Unreadable => {
                tracing::error!("stored idempotent answer is unreadable");
                Problem::internal()
            }
        }
    }
}

/// A broken trip rule: 409 when the trip's state forbids it, 422 otherwise.
impl From<crate::domain::trips::TripRule> for Problem {
    fn from(r: crate::domain::trips::TripRule) -> Self {
        use crate::domain::trips::TripRule;
        match &r {
            TripRule::Invalid(field, message) => Problem::field(field, message.clone()),
            _ if r.is_state_conflict() => Problem::new(409, r.slug(), "The trip cannot do that", r.to_string()),
            _ => Problem::new(422, r.slug(), "The trip cannot do that", r.to_string()),
        }
    }
}

impl From<Vec<FieldError>> for Problem {
    fn from(errors: Vec<FieldError>) -> Self {
        Problem::validation(errors)
    }
}
