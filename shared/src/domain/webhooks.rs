//! Outbound webhooks: business customers subscribe HTTPS endpoints to the
//! events that concern them; each delivery is signed the way Stripe signs
//! its own (`Handoff-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "t.payload")>`,
//! one v1 per live secret while a secret is rotated), retried with
//! exponential backoff, and an endpoint that keeps failing is disabled.
//! Endpoint URLs are checked against server-side request forgery: https
//! only, and no private, loopback or link-local address, at subscription
//! and again at each delivery.
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::events::{
    BookingAccepted, BookingDeclined, BookingExpired, DeliveryConfirmed, DeliveryLocked, DomainEvent, HandoffCompleted,
    HandoffMissed, ItineraryAccepted, ItineraryCancelled, ItineraryConfirmed, ItineraryRequested, PaymentFailed,
    RefundIssued, ShipmentCreated, ShipmentIssueReported,
};

/// The event types an endpoint may subscribe to (custody events join later).
pub const EVENTS: [&str; 15] = [
    ShipmentCreated::DETAIL_TYPE,
    ItineraryRequested::DETAIL_TYPE,
    BookingAccepted::DETAIL_TYPE,
    BookingDeclined::DETAIL_TYPE,
    BookingExpired::DETAIL_TYPE,
    ItineraryAccepted::DETAIL_TYPE,
    ItineraryConfirmed::DETAIL_TYPE,
    ItineraryCancelled::DETAIL_TYPE,
    PaymentFailed::DETAIL_TYPE,
    RefundIssued::DETAIL_TYPE,
    HandoffCompleted::DETAIL_TYPE,
    DeliveryConfirmed::DETAIL_TYPE,
    DeliveryLocked::DETAIL_TYPE,
    HandoffMissed::DETAIL_TYPE,
    ShipmentIssueReported::DETAIL_TYPE,
];

/// Attempts of one delivery before it fails for good.
pub const MAX_ATTEMPTS: u32 = 11;
/// Deliveries failed for good in a row that disable an endpoint.
pub const DISABLE_AFTER: u32 = 3;
/// How long the old secret keeps signing after a rotation.
pub const ROTATION_OVERLAP_SECONDS: i64 = 24 * 3600;

/// Seconds to wait before attempt `n + 1`, after attempt `n` (1-based)
/// failed: `base`, 2·`base`, 4·`base`, …; with the default base of 60 s,
/// eleven attempts span about 17 hours.
pub fn backoff(attempt: u32, base: i64) -> i64 {
    base.saturating_mul(1i64 << attempt.saturating_sub(1).min(20))
}

/// Whose endpoints an event goes to: the sender of the shipment it is about.
pub fn owner_of(data: &serde_json::Value) -> Option<String> {
    data.get("sender_id").and_then(|s| s.as_str()).map(str::to_string)
}

/// Whether an address may receive webhooks: not private, loopback,
/// link-local, unspecified, shared (CGNAT), documentation, multicast or
/// broadcast, in IPv4 or IPv6 (IPv4-mapped included).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => public_v4(v4),
            None => public_v6(v6),
        },
    }
}

fn public_v4(ip: Ipv4Addr) -> bool {
    let o = ip.octets();
    !(ip.is_private()
        || ip.is_loopback()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || o[0] == 0
        || (o[0] == 100 && (64..=127).contains(&o[1]))
        || (o[0] == 192 && o[1] == 0 && o[2] == 0)
        || (o[0] == 198 && (18..=19).contains(&o[1]))
        || o[0] >= 240)
}

fn public_v6(ip: Ipv6Addr) -> bool {
    let s = ip.segments();
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0] == 0x64 && s[1] == 0xff9b))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointUrl {
    pub url: String,
    pub host: String,
    pub port: u16,
    /// `http://localhost` allowed by the local stack's setting.
    pub local: bool,
}

/// Checks an endpoint URL's form: https (http only to localhost when
/// `allow_local_http`), a host, no credentials, at most 2048 characters.
/// Addresses are checked when resolved ([`is_public`]).
pub fn parse_url(raw: &str, allow_local_http: bool) -> Result<EndpointUrl, String> {
    let raw = raw.trim();
    if raw.len() > 2048 {
        return Err("must be at most 2048 characters".into());
    }
    let u = url::Url::parse(raw).map_err(|e| format!("is not a URL: {e}"))?;
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not carry credentials".into());
    }
    let host = u.host_str().ok_or("needs a host")?.trim_matches(['[', ']']).to_ascii_lowercase();
    let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1");
    match u.scheme() {
        "https" => {}
        "http" if allow_local_http && local => {}
        _ => return Err("must be https".into()),
    }
    if local && !allow_local_http {
        return Err("must not point at this machine (localhost)".into());
    }
    if let Ok(ip) = host.parse::<IpAddr>() {
        if !(is_public(ip) || (local && allow_local_http)) {
            return Err("must not point at a private, loopback or link-local address".into());
        }
    }
    let port = u.port_or_known_default().ok_or("needs a port")?;
    Ok(EndpointUrl { url: u.to_string(), host, port, local })
}

/// What a delivery's body carries.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Payload {
    /// The event's id: the same on every attempt and redelivery (deduplicate by it).
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    /// When it happened (RFC 3339).
    pub created: String,
    /// The event's data, as in its schema (events/schemas/<type>.json).
    pub data: serde_json::Value,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_public_https_endpoints() {
        assert!(parse_url("https://hooks.example.com/handoff", false).is_ok());
        for bad in [
            "http://hooks.example.com/x",
            "https://localhost/x",
            "https://127.0.0.1/x",
            "https://10.1.2.3/x",
            "https://192.168.0.10/x",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/x",
            "https://[fd00::1]/x",
            "https://[::ffff:10.0.0.1]/x",
            "https://user:pw@hooks.example.com/",
            "ftp://hooks.example.com/",
        ] {
            assert!(parse_url(bad, false).is_err(), "{bad}");
        }
        assert!(parse_url("http://127.0.0.1:3000/_local/webhooks/a", true).unwrap().local);
        assert!(parse_url("http://10.0.0.1/x", true).is_err());
        assert!(!is_public("100.64.0.1".parse().unwrap()));
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(is_public("2606:2800:220:1::1".parse().unwrap()));
    }

    #[test]
    fn backoff_doubles_to_about_a_day() {
        assert_eq!((backoff(1, 60), backoff(2, 60), backoff(3, 60)), (60, 120, 240));
        let total: i64 = (1..MAX_ATTEMPTS).map(|a| backoff(a, 60)).sum();
        assert!((12 * 3600..=24 * 3600).contains(&total), "{total}");
    }
}
