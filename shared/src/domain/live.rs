//! Live updates over the WebSocket API: what a connection is sent. Tracking
//! messages carry only what the public tracking page may show (kinds,
//! times, place ids, the nearest city); notifications only their kind and
//! link (the app reads the inbox).
use serde::{Deserialize, Serialize};

use super::custody::{Custody, CustodyStatus, Link};
use super::custody::{LastSeen, StepKind, TrackingKind};
use super::events::{
    DeliveryCodeIssued, DeliveryConfirmed, DomainEvent, HandoffCompleted, HandoffMissed, ParcelLocated,
    ShipmentIssueReported,
};
use super::trips::Instant;
use askama::Template;

/// A message sent down a connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum LiveMessage {
    /// Something happened to a shipment the connection follows.
    Tracking {
        shipment_id: String,
        kind: TrackingKind,
        /// When it happened (RFC 3339).
        at: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        place: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_seen: Option<LastSeen>,
    },
    /// A notification reached the user's inbox.
    Notification { kind: String, link: String },
    /// The answer to `{"action": "subscribe", "shipment_id": …}`.
    Subscribed { shipment_id: String },
    /// A subscription refused (unknown shipment, or not the caller's).
    Error { message: String },
}

/// What a client sends: `{"action": "subscribe", "shipment_id": "…"}`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
pub struct Subscribe {
    pub action: String,
    pub shipment_id: String,
}

/// The tracking message of a custody event, and the shipment it concerns.
pub fn tracking_message(detail_type: &str, data: &serde_json::Value) -> Option<(String, LiveMessage)> {
    let t = |shipment_id: String, kind, at: Instant, place: Option<String>, last_seen: Option<LastSeen>| {
        Some((shipment_id.clone(), LiveMessage::Tracking { shipment_id, kind, at: at.rfc3339(), place, last_seen }))
    };
    match detail_type {
        HandoffCompleted::DETAIL_TYPE => {
            let e = HandoffCompleted::deserialize(data).ok()?;
            let kind = match e.kind {
                StepKind::Pickup => TrackingKind::PickedUp,
                StepKind::Handover => TrackingKind::HandedOver,
                StepKind::Delivery => TrackingKind::Delivered,
            };
            t(e.shipment_id, kind, e.at, Some(e.place), None)
        }
        DeliveryCodeIssued::DETAIL_TYPE => {
            let e = DeliveryCodeIssued::deserialize(data).ok()?;
            t(e.shipment_id, TrackingKind::OutForDelivery, e.expected_at, Some(e.place), None)
        }
        DeliveryConfirmed::DETAIL_TYPE => {
            let e = DeliveryConfirmed::deserialize(data).ok()?;
            t(e.shipment_id, TrackingKind::Delivered, e.at, None, None)
        }
        ParcelLocated::DETAIL_TYPE => {
            let e = ParcelLocated::deserialize(data).ok()?;
            let at = e.last_seen.at;
            t(e.shipment_id, TrackingKind::Position, at, None, Some(e.last_seen))
        }
        HandoffMissed::DETAIL_TYPE => {
            let e = HandoffMissed::deserialize(data).ok()?;
            t(e.shipment_id, TrackingKind::Missed, e.closes_at, Some(e.place), None)
        }
        ShipmentIssueReported::DETAIL_TYPE => {
            let e = ShipmentIssueReported::deserialize(data).ok()?;
            t(e.shipment_id, TrackingKind::Issue, e.at, None, None)
        }
        _ => None,
    }
}

/// How the public page names a kind of event.
pub fn label(kind: TrackingKind) -> &'static str {
    match kind {
        TrackingKind::Planned => "Booked",
        TrackingKind::PickedUp => "Picked up",
        TrackingKind::HandedOver => "Handed to the next carrier",
        TrackingKind::OutForDelivery => "Out for delivery",
        TrackingKind::Delivered => "Delivered",
        TrackingKind::Position => "On the way",
        TrackingKind::Missed => "A handoff was missed",
        TrackingKind::Issue => "An incident was reported",
        TrackingKind::CodeLocked => "Delivery on hold",
        TrackingKind::Cancelled => "Cancelled",
    }
}

/// The status a kind of event leaves the shipment in, as the page says it.
pub fn status_after(kind: TrackingKind) -> Option<&'static str> {
    match kind {
        TrackingKind::PickedUp | TrackingKind::HandedOver => Some("On its way"),
        TrackingKind::OutForDelivery => Some("Out for delivery"),
        TrackingKind::Delivered => Some("Delivered"),
        TrackingKind::Cancelled => Some("Cancelled"),
        _ => None,
    }
}

const KINDS: [TrackingKind; 10] = [
    TrackingKind::Planned,
    TrackingKind::PickedUp,
    TrackingKind::HandedOver,
    TrackingKind::OutForDelivery,
    TrackingKind::Delivered,
    TrackingKind::Position,
    TrackingKind::Missed,
    TrackingKind::Issue,
    TrackingKind::CodeLocked,
    TrackingKind::Cancelled,
];

pub struct PageEvent {
    pub kind: String,
    pub label: String,
    pub at: String,
}

/// The public tracking page (GET /t/{token}): status and timeline with
/// city-level places only, no names, contacts, codes or positions.
#[derive(Template)]
#[template(path = "tracking.html")]
pub struct TrackingPage {
    pub page: PageView,
}

pub struct PageView {
    pub from: String,
    pub to: String,
    pub status: String,
    pub last_seen: Option<String>,
    pub events: Vec<PageEvent>,
    /// JSON, for the page's script: labels and statuses by kind, place names by id, the socket's URL.
    pub labels: String,
    pub statuses: String,
    pub places: String,
    pub ws_url: String,
}

/// The page of a custody and its chain; `city` names a place id (its city).
pub fn tracking_page(c: &Custody, links: &[Link], ws_url: &str, city: impl Fn(&str) -> String) -> TrackingPage {
    let json = |v: serde_json::Value| {
        // Safe inside <script>: no "</" can close the element.
        v.to_string().replace("</", "<\\/")
    };
    let status = match c.status {
        CustodyStatus::Planned => "Booked, waiting for pickup",
        CustodyStatus::InTransit => "On its way",
        CustodyStatus::Delivered => "Delivered",
        CustodyStatus::Cancelled => "Cancelled",
    };
    let mut events = Vec::new();
    for l in links {
        let Ok(data) = serde_json::from_str::<serde_json::Value>(&l.body) else { continue };
        let Some(kind) = data.get("kind").and_then(|k| serde_json::from_value::<TrackingKind>(k.clone()).ok()) else {
            continue;
        };
        let place = data.get("place").and_then(|p| p.as_str()).map(|p| format!(" in {}", city(p)));
        let near = data.pointer("/last_seen/name").and_then(|n| n.as_str()).map(|n| format!(" near {n}"));
        let at = data.get("at").and_then(|a| a.as_str()).unwrap_or_default().to_string();
        events.push(PageEvent {
            kind: serde_json::to_value(kind).ok().and_then(|k| k.as_str().map(str::to_string)).unwrap_or_default(),
            label: format!("{}{}", label(kind), near.or(place).unwrap_or_default()),
            at,
        });
    }
    let names: serde_json::Map<String, serde_json::Value> =
        c.steps.iter().map(|s| (s.place.clone(), serde_json::Value::String(city(&s.place)))).collect();
    let kinds = |f: &dyn Fn(TrackingKind) -> Option<&'static str>| {
        let m: serde_json::Map<String, serde_json::Value> = KINDS
            .iter()
            .filter_map(|k| {
                Some((serde_json::to_value(k).ok()?.as_str()?.to_string(), serde_json::Value::from(f(*k)?)))
            })
            .collect();
        json(serde_json::Value::Object(m))
    };
    TrackingPage {
        page: PageView {
            from: c.steps.first().map(|s| city(&s.place)).unwrap_or_default(),
            to: c.steps.last().map(|s| city(&s.place)).unwrap_or_default(),
            status: status.into(),
            last_seen: c.last_seen.as_ref().map(|s| s.name.clone()),
            events,
            labels: kinds(&|k| Some(label(k))),
            statuses: kinds(&status_after),
            places: json(serde_json::Value::Object(names)),
            ws_url: json(serde_json::Value::String(ws_url.into())),
        },
    }
}

/// The events the broadcaster takes: the custody events it tracks, and
/// every event that notifies someone (their in-app notices).
pub fn events() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = vec![
        HandoffCompleted::DETAIL_TYPE,
        DeliveryCodeIssued::DETAIL_TYPE,
        DeliveryConfirmed::DETAIL_TYPE,
        ParcelLocated::DETAIL_TYPE,
        HandoffMissed::DETAIL_TYPE,
        ShipmentIssueReported::DETAIL_TYPE,
    ];
    for e in super::notify::EVENTS {
        if !all.contains(&e) {
            all.push(e);
        }
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::custody::{Method, Party, Role};

    #[test]
    fn custody_events_become_tracking_messages_without_personal_data() {
        let e = HandoffCompleted {
            shipment_id: "s1".into(),
            itinerary_id: "i1".into(),
            sender_id: "u-sender".into(),
            handoff_id: "s1.1".into(),
            n: 1,
            kind: StepKind::Handover,
            giver: Party { role: Role::Traveler, user_id: Some("u-ann".into()) },
            receiver: Party { role: Role::Traveler, user_id: Some("u-bob".into()) },
            place: "airport:LYS".into(),
            at: Instant(1_800_000_000),
            late: false,
            method: Method::Qr,
        };
        let (s, m) = tracking_message(HandoffCompleted::DETAIL_TYPE, &serde_json::to_value(&e).unwrap()).unwrap();
        assert_eq!(s, "s1");
        let text = serde_json::to_string(&m).unwrap();
        assert!(text.contains(r#""type":"tracking""#) && text.contains(r#""kind":"handed_over""#), "{text}");
        assert!(!text.contains("u-"), "no user ids: {text}");
        assert_eq!(tracking_message("UserSignedUp", &serde_json::json!({})), None);
        assert!(events().contains(&"ParcelLocated") && events().contains(&"UserSignedUp"));
    }
}
