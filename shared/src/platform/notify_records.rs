//! Notification records: a user's settings (preferences, push devices,
//! suppressed channels) in one item, push-token claims, the inbox (unread
//! ones on the sparse gsi2), and one delivery record per (event, recipient,
//! channel), which is what makes a redelivered event send nothing twice.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::store::{put, put_new, put_versioned, update, Cond, Record, StoreError, Table, UpdateSpec, WriteItem};
use crate::domain::notify::{Category, Channel, Preferences, Rendered};
use crate::keys::{self, entity};

/// Inbox notifications and delivery records are kept this long.
pub const RETENTION_SECONDS: i64 = 365 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum PushPlatform {
    /// Apple Push Notification service (iOS).
    Apns,
    /// Firebase Cloud Messaging (Android).
    Fcm,
}

/// A registered push device: its SNS platform endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Device {
    pub device_id: String,
    pub platform: PushPlatform,
    pub endpoint_arn: String,
    pub registered_at: String,
}

/// A device as its user sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct DeviceView {
    /// Derived from the platform and token: registering the same token again answers the same id.
    pub device_id: String,
    pub platform: PushPlatform,
    pub registered_at: String,
}

impl From<&Device> for DeviceView {
    fn from(d: &Device) -> Self {
        Self { device_id: d.device_id.clone(), platform: d.platform, registered_at: d.registered_at.clone() }
    }
}

/// At most this many push devices per user; registering another drops the oldest.
pub const MAX_DEVICES: usize = 10;

/// A channel switched off because its address failed for good (a bounce, a
/// complaint, an invalid number); it stays off for that address only, so a
/// changed address is tried again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suppression {
    pub address: String,
    pub reason: String,
    pub at: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    #[serde(default)]
    pub preferences: Preferences,
    #[serde(default)]
    pub devices: BTreeMap<String, Device>,
    #[serde(default)]
    pub suppressed: BTreeMap<Channel, Suppression>,
}

impl Settings {
    pub fn is_suppressed(&self, channel: Channel, address: &str) -> bool {
        self.suppressed.get(&channel).is_some_and(|s| s.address == address)
    }
}

/// A user's settings as stored (`None`: never changed, all defaults).
pub async fn settings(table: &Table, user_id: &str) -> Result<Option<Record<Settings>>, StoreError> {
    table.get(&keys::notify_settings(user_id), true).await
}

/// Writes `next` over `current` (created when absent; optimistic otherwise).
pub fn settings_write(user_id: &str, current: Option<&Record<Settings>>, next: Settings) -> WriteItem {
    match current {
        Some(c) => put_versioned(&c.next(next)),
        None => put_new(&Record::new(keys::notify_settings(user_id), entity::NOTIFY_SETTINGS, next)),
    }
}

/// Which user a push token belongs to now (a device that changes hands is
/// moved to its new user).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenClaim {
    pub device_id: String,
    pub user_id: String,
}

/// A notification in the in-app inbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct InboxItem {
    /// Time-ordered (the event's id).
    pub notification_id: String,
    pub kind: String,
    pub category: Category,
    pub title: String,
    pub body: String,
    /// The app screen it opens.
    pub link: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<String>,
}

/// Puts an inbox notification, unread, unless it is there already.
pub fn inbox_put(user_id: &str, item: InboxItem, now: i64) -> WriteItem {
    let id = item.notification_id.clone();
    put_new(
        &Record::new(keys::inbox_item(user_id, &id), entity::INBOX, item)
            .gsi2(Some(keys::unread(user_id, &id)))
            .expires(now + RETENTION_SECONDS),
    )
}

/// Marks an inbox notification read (it leaves the unread index); fails
/// its condition when there is no such notification.
pub fn mark_read(user_id: &str, notification_id: &str, at: &str) -> WriteItem {
    update(
        &keys::inbox_item(user_id, notification_id),
        UpdateSpec::new("SET #r = if_not_exists(#r, :at) REMOVE gsi2pk, gsi2sk")
            .name("#r", "read_at")
            .value(":at", at)
            .when("attribute_exists(pk)"),
    )
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Claimed by an attempt until `lease_until`: another attempt waits (the
    /// event is retried) until it ends or its lease runs out (it died).
    Sending,
    Sent,
    /// Held back by quiet hours until `release_at`.
    Held,
    /// Failed for now; the queue retries the event.
    Failed,
    /// Not sent: the push endpoint is disabled or gone (the device was dropped).
    Dropped,
    /// Not sent: the address failed for good and the channel is suppressed.
    Suppressed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sending => "sending",
            Self::Sent => "sent",
            Self::Held => "held",
            Self::Failed => "failed",
            Self::Dropped => "dropped",
            Self::Suppressed => "suppressed",
        }
    }
}

/// What a held delivery sends when the quiet hours end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeldMessage {
    pub message: Rendered,
    pub link: String,
    /// Phone number (SMS) or push endpoint ARNs.
    pub targets: Vec<String>,
}

/// One delivery of an event's notification to one user on one channel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivery {
    pub event_id: String,
    pub user_id: String,
    pub channel: Channel,
    pub kind: String,
    pub category: Category,
    pub status: DeliveryStatus,
    /// SES or SNS message ids (one per push device).
    #[serde(default)]
    pub provider_ids: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release_at: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub held: Option<HeldMessage>,
    /// While `sending`: until when the claiming attempt holds it (epoch seconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<i64>,
    pub updated_at: String,
}

impl Delivery {
    pub fn record(&self, now: i64) -> Record<&Delivery> {
        let key = keys::delivery(&self.event_id, &self.user_id, self.channel.as_str());
        let gsi2 = match (self.status, self.release_at) {
            (DeliveryStatus::Held, Some(t)) => {
                Some(keys::held(t, &self.event_id, &self.user_id, self.channel.as_str()))
            }
            _ => None,
        };
        Record::new(key, entity::DELIVERY, self).gsi2(gsi2).expires(now + RETENTION_SECONDS)
    }
}

/// How long a claim holds a delivery in `sending`: longer than the
/// notifier's timeout (10 s), so a claim found past it belongs to an attempt
/// that is certainly over (it died between the claim and the record).
pub const CLAIM_LEASE_SECONDS: i64 = 30;

/// Claims a delivery for this attempt: only if none is recorded, the one
/// recorded failed (`failed`), or its claim's lease ran out (`sending`, the
/// attempt died). A live claim fails the condition, so two copies of one
/// event processed at once never both send; a sent, held, dropped or
/// suppressed delivery fails it too: nothing is sent twice.
pub fn delivery_claim(d: &Delivery, now: i64) -> WriteItem {
    put(
        &d.record(now),
        Some(
            Cond::new(
                "attribute_not_exists(pk) OR #s = :failed OR (#s = :sending AND (attribute_not_exists(#l) OR #l < :now))",
            )
            .name("#s", "status")
            .name("#l", "lease_until")
            .value(":sending", DeliveryStatus::Sending.as_str())
            .value(":failed", DeliveryStatus::Failed.as_str())
            .value(":now", now),
        ),
    )
}

/// The delivery recorded for (event, user, channel), read consistently.
pub async fn delivery_get(
    table: &Table,
    event_id: &str,
    user_id: &str,
    channel: Channel,
) -> Result<Option<Delivery>, StoreError> {
    Ok(table.get::<Delivery>(&keys::delivery(event_id, user_id, channel.as_str()), true).await?.map(|r| r.data))
}

/// Records how a claimed delivery ended.
pub fn delivery_put(d: &Delivery, now: i64) -> WriteItem {
    put(&d.record(now), None)
}

/// Takes a held delivery for release: only while it is still held.
pub fn delivery_release(d: &Delivery, now: i64) -> WriteItem {
    put(
        &d.record(now),
        Some(Cond::new("#s = :held").name("#s", "status").value(":held", DeliveryStatus::Held.as_str())),
    )
}
