//! Outbound webhook records and delivery: endpoints in their owner's
//! partition (secrets never shown after creation), deliveries in the
//! endpoint's partition (retrying ones on the sparse gsi2 by when they are
//! due), and the signed POST itself, to an address checked again at each
//! delivery and pinned for the connection (no DNS rebinding).
use serde::{Deserialize, Serialize};
use std::time::Duration;

use super::context::FromEnv;
use super::env::{ConfigError, Env};
use super::store::{put, Cond, Record, WriteItem};
use crate::domain::webhooks::{backoff, is_public, parse_url, MAX_ATTEMPTS};
use crate::keys::{self, entity};

/// Deliveries are kept this long.
pub const RETENTION_SECONDS: i64 = 30 * 24 * 3600;

/// A signing secret; an old one keeps signing until `expires_at` after a rotation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Secret {
    pub secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Endpoint {
    pub endpoint_id: String,
    pub owner_id: String,
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: String,
    pub enabled: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Deliveries failed for good in a row (a success resets it).
    #[serde(default)]
    pub failures_in_a_row: u32,
    pub secrets: Vec<Secret>,
    pub created_at: String,
    pub updated_at: String,
}

impl Endpoint {
    /// The secrets that sign now.
    pub fn live_secrets(&self, now: i64) -> Vec<&str> {
        self.secrets.iter().filter(|s| s.expires_at.is_none_or(|t| t > now)).map(|s| s.secret.as_str()).collect()
    }
    pub fn view(&self) -> EndpointView {
        EndpointView {
            endpoint_id: self.endpoint_id.clone(),
            url: self.url.clone(),
            events: self.events.clone(),
            description: self.description.clone(),
            enabled: self.enabled,
            disabled_reason: self.disabled_reason.clone(),
            secret_rotation_ends_at: self.secrets.iter().filter_map(|s| s.expires_at).max(),
            created_at: self.created_at.clone(),
            updated_at: self.updated_at.clone(),
        }
    }
}

/// An endpoint as its owner sees it (without its secrets).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct EndpointView {
    pub endpoint_id: String,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub enabled: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// While a rotated secret still signs: until when (unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_rotation_ends_at: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

pub fn endpoint_record(e: &Endpoint) -> Record<&Endpoint> {
    Record::new(keys::webhook_endpoint(&e.owner_id, &e.endpoint_id), entity::WEBHOOK_ENDPOINT, e)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    Pending,
    Delivered,
    /// Failed for now; tried again at `next_attempt_at`.
    Retrying,
    /// Every attempt failed.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Delivery {
    /// The event's id (one delivery per event and endpoint).
    pub delivery_id: String,
    pub endpoint_id: String,
    #[schemars(skip)]
    pub owner_id: String,
    pub event_type: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_status_code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_attempt_at: Option<i64>,
    /// The body sent on every attempt.
    #[schemars(skip)]
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub payload: String,
    pub created_at: String,
    pub updated_at: String,
}

/// A delivery as stored (on the due index while retrying).
fn delivery_record(d: &Delivery, now: i64) -> Record<&Delivery> {
    let due = match (d.status, d.next_attempt_at) {
        (DeliveryStatus::Retrying, Some(t)) => Some(keys::webhook_due(t, &d.endpoint_id, &d.delivery_id)),
        _ => None,
    };
    Record::new(keys::webhook_delivery(&d.endpoint_id, &d.delivery_id), entity::WEBHOOK_DELIVERY, d)
        .gsi2(due)
        .expires(now + RETENTION_SECONDS)
}

/// Writes how a delivery stands.
pub fn delivery_write(d: &Delivery, now: i64) -> WriteItem {
    put(&delivery_record(d, now), None)
}

/// Claims the delivery of an event to an endpoint: only the first time.
pub fn delivery_claim(d: &Delivery, now: i64) -> WriteItem {
    put(&delivery_record(d, now), Some(Cond::new("attribute_not_exists(pk)")))
}

/// Takes a due delivery for an attempt (`d` carries its lease): only if it
/// is still retrying and still due at `seen`, so two runs never both take it.
pub fn delivery_take(d: &Delivery, seen: Option<i64>, now: i64) -> WriteItem {
    put(
        &delivery_record(d, now),
        Some(
            Cond::new("#s = :retrying AND #n = :seen")
                .name("#s", "status")
                .name("#n", "next_attempt_at")
                .value(":retrying", "retrying")
                .value(":seen", seen),
        ),
    )
}

/// Settings of the functions that deliver.
pub struct Webhooks {
    pub http: reqwest::Client,
    /// `WEBHOOK_ALLOW_LOCAL_HTTP=true`: http://localhost endpoints (the local stack only).
    pub allow_local_http: bool,
    /// `WEBHOOK_RETRY_BASE_SECONDS`: the first retry's wait; each next one doubles.
    pub retry_base: i64,
}

impl FromEnv for Webhooks {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Env::invalid("WEBHOOK", e))?;
        Ok(Self {
            http,
            allow_local_http: env.get("WEBHOOK_ALLOW_LOCAL_HTTP") == Some("true"),
            retry_base: env
                .get("WEBHOOK_RETRY_BASE_SECONDS")
                .map_or(Ok(60), |_| env.parse("WEBHOOK_RETRY_BASE_SECONDS"))?,
        })
    }
}

/// What one attempt came to.
pub struct Attempt {
    pub ok: bool,
    pub status: Option<u16>,
    pub error: Option<String>,
}

impl Webhooks {
    /// POSTs `payload` to the endpoint, signed with its live secrets, after
    /// checking every address its host resolves to (the connection is
    /// pinned to a checked one).
    pub async fn send(&self, e: &Endpoint, payload: &str, now: i64) -> Attempt {
        let fail = |why: String| Attempt { ok: false, status: None, error: Some(why) };
        let u = match parse_url(&e.url, self.allow_local_http) {
            Ok(u) => u,
            Err(why) => return fail(format!("url {why}")),
        };
        let addrs: Vec<std::net::SocketAddr> = match tokio::net::lookup_host((u.host.as_str(), u.port)).await {
            Ok(a) => a.collect(),
            Err(err) => return fail(format!("cannot resolve {}: {err}", u.host)),
        };
        if addrs.is_empty() {
            return fail(format!("{} resolves to nothing", u.host));
        }
        if !u.local {
            if let Some(bad) = addrs.iter().find(|a| !is_public(a.ip())) {
                return fail(format!("{} resolves to a non-public address ({})", u.host, bad.ip()));
            }
        }
        let signature = crate::platform::stripe::sign_with(payload.as_bytes(), &e.live_secrets(now), now);
        let client = if u.local {
            self.http.clone()
        } else {
            match reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(3))
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .resolve(&u.host, addrs[0])
                .build()
            {
                Ok(c) => c,
                Err(err) => return fail(err.to_string()),
            }
        };
        let r = client
            .post(&u.url)
            .header("content-type", "application/json")
            .header("user-agent", "Handoff-Webhooks/1")
            .header("handoff-signature", signature)
            .body(payload.to_string())
            .send()
            .await;
        match r {
            Ok(resp) => {
                let status = resp.status().as_u16();
                let ok = resp.status().is_success();
                Attempt { ok, status: Some(status), error: (!ok).then(|| format!("answered {status}")) }
            }
            Err(err) => fail(if err.is_timeout() { "timed out".into() } else { format!("{err}") }),
        }
    }

    /// The delivery after an attempt: delivered, retrying (backoff), or failed.
    pub fn after(&self, d: &mut Delivery, a: &Attempt, now: i64, at: &str) {
        d.attempts += 1;
        d.last_status_code = a.status;
        d.last_error = a.error.clone();
        d.updated_at = at.to_string();
        if a.ok {
            d.status = DeliveryStatus::Delivered;
            d.next_attempt_at = None;
        } else if d.attempts >= MAX_ATTEMPTS {
            d.status = DeliveryStatus::Failed;
            d.next_attempt_at = None;
        } else {
            d.status = DeliveryStatus::Retrying;
            d.next_attempt_at = Some(now + backoff(d.attempts, self.retry_base));
        }
    }
}

/// Attempts a delivery now and records it; a delivery that failed for good
/// counts against its endpoint, which is disabled (WebhookEndpointDisabled
/// tells its owner) after `DISABLE_AFTER` in a row; a success resets the count.
pub async fn attempt(
    ctx: &super::context::Ctx<Webhooks>,
    endpoint: &Record<Endpoint>,
    d: &mut Delivery,
) -> Result<(), super::lambda::EventError> {
    use crate::domain::events::WebhookEndpointDisabled;
    use crate::domain::webhooks::DISABLE_AFTER;
    let table = ctx.table()?;
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let a = ctx.config.send(&endpoint.data, &d.payload, now).await;
    ctx.config.after(d, &a, now, &at);
    table.write_one(delivery_write(d, now)).await?;
    let mut e = endpoint.data.clone();
    match d.status {
        DeliveryStatus::Delivered if e.failures_in_a_row > 0 => e.failures_in_a_row = 0,
        DeliveryStatus::Failed => e.failures_in_a_row += 1,
        _ => return Ok(()),
    }
    let mut writes = Vec::new();
    if e.enabled && e.failures_in_a_row >= DISABLE_AFTER {
        e.enabled = false;
        e.disabled_reason = Some(format!("{} deliveries in a row failed every attempt", e.failures_in_a_row));
        let event = WebhookEndpointDisabled {
            endpoint_id: e.endpoint_id.clone(),
            owner_id: e.owner_id.clone(),
            url: e.url.clone(),
            reason: e.disabled_reason.clone().unwrap_or_default(),
        };
        let actor = super::envelope::Actor { id: "system".into(), ip: None };
        writes.push(super::outbox::event(&event, &d.delivery_id, actor));
        tracing::warn!(endpoint = %e.endpoint_id, "webhook endpoint disabled");
    }
    e.updated_at = at;
    let mut next = endpoint_record(&e);
    next.version = endpoint.version + 1;
    writes.insert(0, super::store::put_versioned(&next));
    // A concurrent change of the endpoint wins; the count is bookkeeping.
    match table.write_all(writes).await {
        Ok(()) | Err(super::store::StoreError::ConditionFailed { .. }) => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// At most this many endpoints per user.
pub const MAX_ENDPOINTS: usize = 10;

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewEndpoint {
    /// https, resolving only to public addresses.
    pub url: String,
    /// Event types (see events/schemas): ShipmentCreated, ItineraryRequested, BookingAccepted,
    /// BookingDeclined, BookingExpired, ItineraryAccepted, ItineraryConfirmed, ItineraryCancelled,
    /// PaymentFailed, RefundIssued.
    pub events: Vec<String>,
    /// At most 200 characters.
    #[serde(default)]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EndpointPatch {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

/// Checks an endpoint as asked: its URL (form, then every address its host
/// resolves to), its event types and description.
pub async fn check_endpoint(
    w: &Webhooks,
    e: &NewEndpoint,
) -> Result<(String, Vec<String>, String), super::http::Problem> {
    use super::http::Problem;
    use crate::domain::validation::FieldError;
    use crate::domain::webhooks::EVENTS;
    let mut errors = Vec::new();
    let url = match parse_url(&e.url, w.allow_local_http) {
        Ok(u) => Some(u),
        Err(why) => {
            errors.push(FieldError::new("url", why));
            None
        }
    };
    let mut events: Vec<String> = e.events.iter().map(|s| s.trim().to_string()).collect();
    events.sort();
    events.dedup();
    if events.is_empty() {
        errors.push(FieldError::new("events", "name at least one event type"));
    }
    for (n, ev) in events.iter().enumerate() {
        if !EVENTS.contains(&ev.as_str()) {
            errors.push(FieldError::new(
                format!("events[{n}]").as_str(),
                format!("must be one of {}", EVENTS.join(", ")),
            ));
        }
    }
    let description = e.description.clone().unwrap_or_default().trim().to_string();
    if description.chars().count() > 200 {
        errors.push(FieldError::new("description", "must be at most 200 characters"));
    }
    if let Some(u) = &url {
        if !u.local {
            match tokio::net::lookup_host((u.host.as_str(), u.port)).await {
                Ok(addrs) => {
                    let addrs: Vec<_> = addrs.collect();
                    if addrs.is_empty() {
                        errors.push(FieldError::new("url", "its host resolves to no address"));
                    } else if addrs.iter().any(|a| !is_public(a.ip())) {
                        errors.push(FieldError::new(
                            "url",
                            "must not resolve to a private, loopback or link-local address",
                        ));
                    }
                }
                Err(_) => errors.push(FieldError::new("url", "its host does not resolve")),
            }
        }
    }
    if !errors.is_empty() {
        return Err(Problem::from(errors));
    }
    Ok((url.map(|u| u.url).unwrap_or_default(), events, description))
}

/// A user's endpoints (at most [`MAX_ENDPOINTS`]).
pub async fn endpoints_of(
    table: &super::store::Table,
    owner: &str,
) -> Result<Vec<Record<Endpoint>>, super::store::StoreError> {
    let (pk, prefix) = keys::webhook_endpoints_of(owner);
    let q = super::store::Query {
        index: None,
        partition: pk,
        sort_prefix: Some(prefix.into()),
        forward: true,
        limit: 100,
        cursor: None,
    };
    Ok(table.query::<Endpoint>(q).await?.items)
}

/// One of the caller's endpoints; anyone else's is 404.
pub async fn own_endpoint(
    table: &super::store::Table,
    owner: &str,
    endpoint_id: &str,
) -> Result<Record<Endpoint>, super::http::Problem> {
    table
        .get::<Endpoint>(&keys::webhook_endpoint(owner, endpoint_id), true)
        .await?
        .ok_or_else(|| super::http::Problem::not_found("webhook endpoint"))
}
