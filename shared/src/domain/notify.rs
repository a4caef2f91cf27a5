//! Notifications: what each domain event tells whom (the table of event →
//! recipients → notice), categories and channels, a user's preferences
//! (mandatory categories cannot be switched off), quiet hours in the
//! user's own time zone, and the rendering of a notice in the user's
//! language through templates checked at build time (askama: a template
//! that names a field a notice lacks, or misses a notice, fails the build).
use askama::Template;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use thiserror::Error;

use super::custody::StepKind;
use super::events::{
    BookingAccepted, BookingDeclined, BookingExpired, DeliveryCodeIssued, DeliveryConfirmed, DeliveryLocked,
    DocumentIssued, DomainEvent, HandoffCompleted, HandoffMissed, ItineraryConfirmed, ItineraryRequested,
    MessagePosted, PaymentDisputed, PaymentFailed, PayoutSent, RefundIssued, ShipmentIssueReported, UserSignedUp,
    WebhookEndpointDisabled,
};
use super::invoices::DocKind;
use super::money::Money;

/// What a notification is about; preferences are kept per category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    /// Sign-in and account messages (welcome). Mandatory.
    Security,
    /// Payment confirmations and refunds: what the user paid or got back. Mandatory.
    Receipts,
    /// The code a recipient gives the carrier at the door. Mandatory.
    DeliveryCodes,
    Bookings,
    Payments,
    DeliveryUpdates,
    Messages,
    Marketing,
}

impl Category {
    pub const ALL: [Category; 8] = [
        Self::Security,
        Self::Receipts,
        Self::DeliveryCodes,
        Self::Bookings,
        Self::Payments,
        Self::DeliveryUpdates,
        Self::Messages,
        Self::Marketing,
    ];
    /// Cannot be switched off: the user needs them to use the platform safely.
    pub fn mandatory(self) -> bool {
        matches!(self, Self::Security | Self::Receipts | Self::DeliveryCodes)
    }
    /// Sent during quiet hours too.
    pub fn urgent(self) -> bool {
        matches!(self, Self::Security | Self::DeliveryCodes)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Security => "security",
            Self::Receipts => "receipts",
            Self::DeliveryCodes => "delivery_codes",
            Self::Bookings => "bookings",
            Self::Payments => "payments",
            Self::DeliveryUpdates => "delivery_updates",
            Self::Messages => "messages",
            Self::Marketing => "marketing",
        }
    }
    /// The channels used when the user chose nothing (for a mandatory
    /// category, always). Marketing is opt-in.
    pub fn default_channels(self) -> Channels {
        let c = |email, sms, push, in_app| Channels { email, sms, push, in_app };
        match self {
            Self::Security | Self::Receipts => c(true, false, false, true),
            Self::DeliveryCodes => c(true, true, true, true),
            Self::Bookings | Self::Payments | Self::DeliveryUpdates => c(true, false, true, true),
            // Email carries only the digest of messages left unread.
            Self::Messages => c(true, false, true, true),
            Self::Marketing => c(false, false, false, false),
        }
    }
}

/// How a notification reaches a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Email,
    Sms,
    Push,
    InApp,
}

impl Channel {
    pub const ALL: [Channel; 4] = [Self::Email, Self::Sms, Self::Push, Self::InApp];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Sms => "sms",
            Self::Push => "push",
            Self::InApp => "in_app",
        }
    }
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == raw)
    }
    /// Held back during quiet hours (email and the inbox are read when the user chooses).
    pub fn interrupts(self) -> bool {
        matches!(self, Self::Sms | Self::Push)
    }
}

/// The channels of one category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Channels {
    pub email: bool,
    pub sms: bool,
    pub push: bool,
    pub in_app: bool,
}

impl Channels {
    pub fn allows(&self, c: Channel) -> bool {
        match c {
            Channel::Email => self.email,
            Channel::Sms => self.sms,
            Channel::Push => self.push,
            Channel::InApp => self.in_app,
        }
    }
}

/// Quiet hours: from `start` to `end` (local wall-clock times, `HH:MM`;
/// `22:00`–`07:00` spans midnight) in an IANA time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    pub start: String,
    pub end: String,
    pub time_zone: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum PreferenceError {
    #[error("{0} notifications are mandatory and cannot be switched off")]
    Mandatory(&'static str),
    #[error("quiet hours: {0} must be a time of day HH:MM (00:00 to 23:59)")]
    Time(&'static str),
    #[error("quiet hours: start and end must differ")]
    Empty,
    #[error("quiet hours: {0:?} is not an IANA time zone such as Europe/Berlin")]
    Zone(String),
}

fn hhmm(raw: &str, which: &'static str) -> Result<(i8, i8), PreferenceError> {
    let bad = || PreferenceError::Time(which);
    let (h, m) = raw.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (i8, i8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok((h, m))
}

impl QuietHours {
    pub fn check(&self) -> Result<(), PreferenceError> {
        let (s, e) = (hhmm(&self.start, "start")?, hhmm(&self.end, "end")?);
        if s == e {
            return Err(PreferenceError::Empty);
        }
        jiff::tz::TimeZone::get(&self.time_zone).map_err(|_| PreferenceError::Zone(self.time_zone.clone()))?;
        Ok(())
    }

    /// When a notification that may not interrupt, due at `now` (unix
    /// seconds), may be sent: `None` outside the quiet hours, else the
    /// instant they end (the next `end` wall-clock time in the zone).
    pub fn release_at(&self, now: i64) -> Option<i64> {
        let ((sh, sm), (eh, em)) = (hhmm(&self.start, "start").ok()?, hhmm(&self.end, "end").ok()?);
        let tz = jiff::tz::TimeZone::get(&self.time_zone).ok()?;
        let local = jiff::Timestamp::from_second(now).ok()?.to_zoned(tz.clone());
        let minute = |h: i8, m: i8| h as i32 * 60 + m as i32;
        let (t, s, e) = (minute(local.hour(), local.minute()), minute(sh, sm), minute(eh, em));
        let quiet = if s < e { t >= s && t < e } else { t >= s || t < e };
        if !quiet {
            return None;
        }
        let day = if t < e { local.date() } else { local.date().tomorrow().ok()? };
        let end = day.at(eh, em, 0, 0).to_zoned(tz).ok()?;
        Some(end.timestamp().as_second())
    }
}

/// A user's notification preferences as stored: the categories they
/// changed (the others use their defaults) and their quiet hours.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Preferences {
    #[serde(default)]
    pub categories: BTreeMap<Category, Channels>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<QuietHours>,
}

/// A change of preferences (PUT /me/notification-preferences): the
/// categories given replace theirs; `quiet_hours` replaces them when
/// present (null switches them off).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PreferencesChange {
    #[serde(default)]
    pub categories: BTreeMap<Category, Channels>,
    #[serde(default, deserialize_with = "serde_with_double_option::deserialize")]
    #[schemars(with = "Option<QuietHours>")]
    pub quiet_hours: Option<Option<QuietHours>>,
}

/// `Option<Option<T>>`: absent → None, null → Some(None), a value → Some(Some(v)).
mod serde_with_double_option {
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
        Option::<T>::deserialize(d).map(Some)
    }
}

impl Preferences {
    pub fn channels(&self, c: Category) -> Channels {
        if c.mandatory() {
            return c.default_channels();
        }
        self.categories.get(&c).copied().unwrap_or_else(|| c.default_channels())
    }

    /// The preferences after `change`; a mandatory category may only be
    /// given with its fixed channels.
    pub fn changed(&self, change: PreferencesChange) -> Result<Self, PreferenceError> {
        let mut next = self.clone();
        for (c, ch) in change.categories {
            if c.mandatory() {
                if ch != c.default_channels() {
                    return Err(PreferenceError::Mandatory(c.as_str()));
                }
                continue;
            }
            next.categories.insert(c, ch);
        }
        if let Some(q) = change.quiet_hours {
            if let Some(q) = &q {
                q.check()?;
            }
            next.quiet_hours = q;
        }
        Ok(next)
    }

    /// What GET answers: every category with its channels and whether it is mandatory.
    pub fn view(&self) -> PreferencesView {
        PreferencesView {
            categories: Category::ALL
                .into_iter()
                .map(|c| (c, CategoryView { channels: self.channels(c), mandatory: c.mandatory() }))
                .collect(),
            quiet_hours: self.quiet_hours.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CategoryView {
    #[serde(flatten)]
    pub channels: Channels,
    pub mandatory: bool,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PreferencesView {
    pub categories: BTreeMap<Category, CategoryView>,
    pub quiet_hours: Option<QuietHours>,
}

/// What a notification says, with the facts its templates show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    Welcome,
    BookingRequested {
        itinerary_id: String,
        booking_id: String,
        respond_by: i64,
    },
    BookingAccepted {
        itinerary_id: String,
        booking_id: String,
    },
    BookingDeclined {
        itinerary_id: String,
        booking_id: String,
        reason: Option<String>,
    },
    BookingExpired {
        itinerary_id: String,
        booking_id: String,
    },
    /// To the sender: the payment receipt.
    PaymentReceived {
        itinerary_id: String,
        total: Money,
    },
    /// To each traveler of a paid itinerary.
    ItineraryConfirmed {
        itinerary_id: String,
    },
    PaymentFailed {
        itinerary_id: String,
        reason: String,
        deadline: i64,
    },
    RefundIssued {
        itinerary_id: String,
        refund: Money,
    },
    /// A payee's share of a delivery was sent to their payout account.
    PayoutSent {
        itinerary_id: String,
        amount: Money,
    },
    /// The sender's receipt or invoice was issued (email and in-app).
    DocumentIssued {
        itinerary_id: String,
        invoice: bool,
        number: String,
        total: Money,
    },
    /// A payee's earnings statement for a month was issued (email and in-app).
    StatementIssued {
        /// `YYYY-MM`.
        period: String,
        number: String,
        total: Money,
    },
    /// Someone wrote in a conversation (push and in-app only).
    NewMessage {
        conversation_id: String,
        preview: String,
    },
    /// Messages stayed unread: the email digest.
    MessagesWaiting {
        conversation_id: String,
        unread: u64,
    },
    /// A webhook endpoint kept failing and was disabled.
    WebhookDisabled {
        endpoint_id: String,
        url: String,
    },
    /// To the sender: the first carrier took the parcel.
    ParcelPickedUp {
        shipment_id: String,
    },
    /// To the sender: the parcel changed carriers at `place`.
    ParcelHandedOver {
        shipment_id: String,
        place: String,
    },
    /// To the sender: the last carrier has it; the recipient has their code.
    OutForDelivery {
        shipment_id: String,
    },
    /// To the recipient (a contact, not a user): the code for the door.
    DeliveryCode {
        shipment_id: String,
        code: String,
    },
    /// To the sender and the carriers.
    ParcelDelivered {
        shipment_id: String,
    },
    /// To the sender and support: five wrong codes locked the delivery.
    DeliveryLocked {
        shipment_id: String,
    },
    /// To the parties of a handoff not done in its window, and support.
    HandoffMissed {
        shipment_id: String,
        place: String,
    },
    /// To the sender and support: an incident was reported.
    IssueReported {
        shipment_id: String,
        incident: String,
    },
    /// To support: a card holder's bank disputed a payment (a case opened).
    PaymentDisputed {
        itinerary_id: String,
        dispute_id: String,
        amount: Money,
        reason: String,
    },
}

impl Notice {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Welcome => "welcome",
            Self::BookingRequested { .. } => "booking_requested",
            Self::BookingAccepted { .. } => "booking_accepted",
            Self::BookingDeclined { .. } => "booking_declined",
            Self::BookingExpired { .. } => "booking_expired",
            Self::PaymentReceived { .. } => "payment_received",
            Self::ItineraryConfirmed { .. } => "itinerary_confirmed",
            Self::PaymentFailed { .. } => "payment_failed",
            Self::RefundIssued { .. } => "refund_issued",
            Self::PayoutSent { .. } => "payout_sent",
            Self::DocumentIssued { invoice: false, .. } => "receipt_issued",
            Self::DocumentIssued { invoice: true, .. } => "invoice_issued",
            Self::StatementIssued { .. } => "statement_issued",
            Self::NewMessage { .. } => "new_message",
            Self::MessagesWaiting { .. } => "messages_waiting",
            Self::WebhookDisabled { .. } => "webhook_disabled",
            Self::ParcelPickedUp { .. } => "parcel_picked_up",
            Self::ParcelHandedOver { .. } => "parcel_handed_over",
            Self::OutForDelivery { .. } => "out_for_delivery",
            Self::DeliveryCode { .. } => "delivery_code",
            Self::ParcelDelivered { .. } => "parcel_delivered",
            Self::DeliveryLocked { .. } => "delivery_locked",
            Self::HandoffMissed { .. } => "handoff_missed",
            Self::IssueReported { .. } => "issue_reported",
            Self::PaymentDisputed { .. } => "payment_disputed",
        }
    }
    pub fn category(&self) -> Category {
        match self {
            Self::Welcome => Category::Security,
            Self::BookingRequested { .. }
            | Self::BookingAccepted { .. }
            | Self::BookingDeclined { .. }
            | Self::BookingExpired { .. }
            | Self::ItineraryConfirmed { .. } => Category::Bookings,
            Self::PaymentReceived { .. }
            | Self::RefundIssued { .. }
            | Self::PayoutSent { .. }
            | Self::DocumentIssued { .. }
            | Self::StatementIssued { .. } => Category::Receipts,
            Self::PaymentFailed { .. } | Self::PaymentDisputed { .. } => Category::Payments,
            Self::NewMessage { .. } | Self::MessagesWaiting { .. } => Category::Messages,
            Self::WebhookDisabled { .. } => Category::Security,
            Self::DeliveryCode { .. } => Category::DeliveryCodes,
            Self::ParcelPickedUp { .. }
            | Self::ParcelHandedOver { .. }
            | Self::OutForDelivery { .. }
            | Self::ParcelDelivered { .. }
            | Self::DeliveryLocked { .. }
            | Self::HandoffMissed { .. }
            | Self::IssueReported { .. } => Category::DeliveryUpdates,
        }
    }
    /// The channels this notice may use at all (the user's preferences
    /// choose among them): a new message interrupts, its digest is an email.
    pub fn uses(&self, c: Channel) -> bool {
        match self {
            Self::NewMessage { .. } => matches!(c, Channel::Push | Channel::InApp),
            Self::MessagesWaiting { .. } => c == Channel::Email,
            Self::DocumentIssued { .. } | Self::StatementIssued { .. } => matches!(c, Channel::Email | Channel::InApp),
            _ => true,
        }
    }
    /// The app screen a notification opens (push data and in-app link).
    pub fn link(&self) -> String {
        match self {
            Self::Welcome => "/me".into(),
            Self::BookingRequested { .. } | Self::BookingExpired { .. } => "/me/booking-requests".into(),
            Self::BookingAccepted { itinerary_id, .. }
            | Self::BookingDeclined { itinerary_id, .. }
            | Self::PaymentReceived { itinerary_id, .. }
            | Self::ItineraryConfirmed { itinerary_id }
            | Self::PaymentFailed { itinerary_id, .. }
            | Self::RefundIssued { itinerary_id, .. } => format!("/itineraries/{itinerary_id}"),
            Self::PaymentDisputed { .. } => "/admin/disputes".into(),
            Self::NewMessage { conversation_id, .. } | Self::MessagesWaiting { conversation_id, .. } => {
                format!("/conversations/{conversation_id}")
            }
            Self::WebhookDisabled { endpoint_id, .. } => format!("/webhook-endpoints/{endpoint_id}"),
            Self::PayoutSent { .. } => "/me/payouts".into(),
            Self::StatementIssued { period, .. } => format!("/me/statements/{period}"),
            Self::DocumentIssued { itinerary_id, invoice, .. } => {
                format!("/itineraries/{itinerary_id}/{}", if *invoice { "invoice" } else { "receipt" })
            }
            Self::ParcelPickedUp { shipment_id }
            | Self::ParcelHandedOver { shipment_id, .. }
            | Self::OutForDelivery { shipment_id }
            | Self::DeliveryCode { shipment_id, .. }
            | Self::ParcelDelivered { shipment_id }
            | Self::DeliveryLocked { shipment_id }
            | Self::HandoffMissed { shipment_id, .. }
            | Self::IssueReported { shipment_id, .. } => format!("/shipments/{shipment_id}/tracking"),
        }
    }
}

/// Who an event tells what: the one table of event → recipients → notice.
/// Events not listed tell no one; a person is told once per event (a sender
/// who is also a traveler of the itinerary gets the first notice).
pub fn recipients(detail_type: &str, data: &serde_json::Value) -> Result<Vec<(String, Notice)>, serde_json::Error> {
    fn parse<T: serde::de::DeserializeOwned>(d: &serde_json::Value) -> Result<T, serde_json::Error> {
        T::deserialize(d)
    }
    let mut all = match detail_type {
        UserSignedUp::DETAIL_TYPE => vec![(parse::<UserSignedUp>(data)?.user_id, Notice::Welcome)],
        ItineraryRequested::DETAIL_TYPE => {
            let e: ItineraryRequested = parse(data)?;
            e.bookings
                .into_iter()
                .map(|b| {
                    let n = Notice::BookingRequested {
                        itinerary_id: e.itinerary_id.clone(),
                        booking_id: b.booking_id,
                        respond_by: b.respond_by.0,
                    };
                    (b.traveler_id, n)
                })
                .collect()
        }
        BookingAccepted::DETAIL_TYPE => {
            let b = parse::<BookingAccepted>(data)?.0;
            vec![(b.sender_id, Notice::BookingAccepted { itinerary_id: b.itinerary_id, booking_id: b.booking_id })]
        }
        BookingDeclined::DETAIL_TYPE => {
            let b = parse::<BookingDeclined>(data)?.0;
            let n =
                Notice::BookingDeclined { itinerary_id: b.itinerary_id, booking_id: b.booking_id, reason: b.reason };
            vec![(b.sender_id, n)]
        }
        BookingExpired::DETAIL_TYPE => {
            let b = parse::<BookingExpired>(data)?.0;
            let n = Notice::BookingExpired { itinerary_id: b.itinerary_id.clone(), booking_id: b.booking_id.clone() };
            vec![(b.sender_id, n.clone()), (b.traveler_id, n)]
        }
        ItineraryConfirmed::DETAIL_TYPE => {
            let e: ItineraryConfirmed = parse(data)?;
            let mut out =
                vec![(e.sender_id, Notice::PaymentReceived { itinerary_id: e.itinerary_id.clone(), total: e.total })];
            let mut travelers = e.travelers;
            travelers.sort();
            travelers.dedup();
            out.extend(
                travelers.into_iter().map(|t| (t, Notice::ItineraryConfirmed { itinerary_id: e.itinerary_id.clone() })),
            );
            out
        }
        PaymentFailed::DETAIL_TYPE => {
            let e: PaymentFailed = parse(data)?;
            let n = Notice::PaymentFailed { itinerary_id: e.itinerary_id, reason: e.reason, deadline: e.deadline.0 };
            vec![(e.sender_id, n)]
        }
        RefundIssued::DETAIL_TYPE => {
            let e: RefundIssued = parse(data)?;
            if e.refund.amount == 0 {
                return Ok(Vec::new());
            }
            vec![(e.sender_id, Notice::RefundIssued { itinerary_id: e.itinerary_id, refund: e.refund })]
        }
        PayoutSent::DETAIL_TYPE => {
            let e: PayoutSent = parse(data)?;
            vec![(e.payee_id, Notice::PayoutSent { itinerary_id: e.itinerary_id, amount: e.amount })]
        }
        DocumentIssued::DETAIL_TYPE => {
            let e: DocumentIssued = parse(data)?;
            match (e.kind, e.itinerary_id) {
                (DocKind::Receipt | DocKind::Invoice, Some(itinerary_id)) => vec![(
                    e.user_id,
                    Notice::DocumentIssued {
                        itinerary_id,
                        invoice: e.kind == DocKind::Invoice,
                        number: e.number,
                        total: e.total,
                    },
                )],
                (DocKind::Statement, _) => match e.period {
                    Some(period) => {
                        vec![(e.user_id, Notice::StatementIssued { period, number: e.number, total: e.total })]
                    }
                    None => Vec::new(),
                },
                _ => Vec::new(),
            }
        }
        WebhookEndpointDisabled::DETAIL_TYPE => {
            let e: WebhookEndpointDisabled = parse(data)?;
            vec![(e.owner_id, Notice::WebhookDisabled { endpoint_id: e.endpoint_id, url: e.url })]
        }
        HandoffCompleted::DETAIL_TYPE => {
            let e: HandoffCompleted = parse(data)?;
            match e.kind {
                StepKind::Pickup => vec![(e.sender_id, Notice::ParcelPickedUp { shipment_id: e.shipment_id })],
                StepKind::Handover => {
                    vec![(e.sender_id, Notice::ParcelHandedOver { shipment_id: e.shipment_id, place: e.place })]
                }
                // DeliveryConfirmed tells everyone.
                StepKind::Delivery => Vec::new(),
            }
        }
        DeliveryCodeIssued::DETAIL_TYPE => {
            let e: DeliveryCodeIssued = parse(data)?;
            vec![(e.sender_id, Notice::OutForDelivery { shipment_id: e.shipment_id })]
        }
        DeliveryConfirmed::DETAIL_TYPE => {
            let e: DeliveryConfirmed = parse(data)?;
            let n = Notice::ParcelDelivered { shipment_id: e.shipment_id };
            std::iter::once(e.sender_id).chain(e.carriers).map(|u| (u, n.clone())).collect()
        }
        DeliveryLocked::DETAIL_TYPE => {
            let e: DeliveryLocked = parse(data)?;
            vec![(e.sender_id, Notice::DeliveryLocked { shipment_id: e.shipment_id })]
        }
        HandoffMissed::DETAIL_TYPE => {
            let e: HandoffMissed = parse(data)?;
            let n = Notice::HandoffMissed { shipment_id: e.shipment_id, place: e.place };
            std::iter::once(e.sender_id)
                .chain(e.giver.user_id)
                .chain(e.receiver.user_id)
                .map(|u| (u, n.clone()))
                .collect()
        }
        ShipmentIssueReported::DETAIL_TYPE => {
            let e: ShipmentIssueReported = parse(data)?;
            let kind = serde_json::to_value(e.kind)?.as_str().unwrap_or_default().to_string();
            vec![(e.sender_id, Notice::IssueReported { shipment_id: e.shipment_id, incident: kind })]
        }
        MessagePosted::DETAIL_TYPE => {
            let e: MessagePosted = parse(data)?;
            let n = Notice::NewMessage { conversation_id: e.conversation_id, preview: e.preview };
            e.recipients.into_iter().map(|r| (r, n.clone())).collect()
        }
        _ => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    all.retain(|(user, _)| seen.insert(user.clone()));
    Ok(all)
}

/// Someone to tell who has no account: a recipient named on a shipment, or support.
#[derive(Debug, Clone, PartialEq)]
pub struct Contact {
    /// Keys the delivery records in place of a user id (`contact:<email>`).
    pub id: String,
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Who without an account an event tells what: the recipient their
/// delivery code (`code_of(handoff_id, nonce)` derives it), support a
/// locked delivery.
pub fn contacts(
    detail_type: &str,
    data: &serde_json::Value,
    support: Option<&str>,
    code_of: impl Fn(&str, &str) -> Option<String>,
) -> Result<Vec<(Contact, Notice)>, serde_json::Error> {
    let contact = |name: &str, email: &str, phone: Option<&str>| Contact {
        id: format!("contact:{}", email.to_lowercase()),
        name: name.into(),
        email: email.into(),
        phone: phone.map(str::to_string),
    };
    Ok(match detail_type {
        DeliveryCodeIssued::DETAIL_TYPE => {
            let e = DeliveryCodeIssued::deserialize(data)?;
            let Some(code) = code_of(&e.handoff_id, &e.nonce) else {
                return Err(serde::de::Error::custom("the custody key is not configured: no delivery code"));
            };
            let r = &e.recipient;
            vec![(
                contact(&r.name, &r.email, Some(&r.phone)),
                Notice::DeliveryCode { shipment_id: e.shipment_id, code },
            )]
        }
        DeliveryLocked::DETAIL_TYPE
        | HandoffMissed::DETAIL_TYPE
        | ShipmentIssueReported::DETAIL_TYPE
        | PaymentDisputed::DETAIL_TYPE => {
            let Some(email) = support else {
                return Ok(Vec::new());
            };
            let support = contact("Support", email, None);
            let n = match detail_type {
                DeliveryLocked::DETAIL_TYPE => {
                    Notice::DeliveryLocked { shipment_id: DeliveryLocked::deserialize(data)?.shipment_id }
                }
                HandoffMissed::DETAIL_TYPE => {
                    let e = HandoffMissed::deserialize(data)?;
                    Notice::HandoffMissed { shipment_id: e.shipment_id, place: e.place }
                }
                PaymentDisputed::DETAIL_TYPE => {
                    let e = PaymentDisputed::deserialize(data)?;
                    Notice::PaymentDisputed {
                        itinerary_id: e.itinerary_id,
                        dispute_id: e.dispute_id,
                        amount: e.amount,
                        reason: e.reason,
                    }
                }
                _ => {
                    let e = ShipmentIssueReported::deserialize(data)?;
                    let kind = serde_json::to_value(e.kind)?.as_str().unwrap_or_default().to_string();
                    Notice::IssueReported { shipment_id: e.shipment_id, incident: kind }
                }
            };
            vec![(support, n)]
        }
        _ => Vec::new(),
    })
}

/// The event types the notifier takes (its EventBridge rule lists them).
pub const EVENTS: [&str; 19] = [
    UserSignedUp::DETAIL_TYPE,
    ItineraryRequested::DETAIL_TYPE,
    BookingAccepted::DETAIL_TYPE,
    BookingDeclined::DETAIL_TYPE,
    BookingExpired::DETAIL_TYPE,
    ItineraryConfirmed::DETAIL_TYPE,
    PaymentFailed::DETAIL_TYPE,
    RefundIssued::DETAIL_TYPE,
    MessagePosted::DETAIL_TYPE,
    WebhookEndpointDisabled::DETAIL_TYPE,
    HandoffCompleted::DETAIL_TYPE,
    DeliveryCodeIssued::DETAIL_TYPE,
    DeliveryConfirmed::DETAIL_TYPE,
    DeliveryLocked::DETAIL_TYPE,
    HandoffMissed::DETAIL_TYPE,
    ShipmentIssueReported::DETAIL_TYPE,
    PayoutSent::DETAIL_TYPE,
    DocumentIssued::DETAIL_TYPE,
    PaymentDisputed::DETAIL_TYPE,
];

/// The addresses an SES event (bounce or complaint, as SES sends it to
/// EventBridge) says must not be mailed again, normalised, with why: a
/// permanent bounce or a complaint; a transient bounce says nothing.
pub fn ses_failing_addresses(event: &serde_json::Value) -> Vec<(String, String)> {
    let d = &event["detail"];
    let (list, why) = match d["eventType"].as_str() {
        Some("Bounce") if d["bounce"]["bounceType"] == "Permanent" => (
            &d["bounce"]["bouncedRecipients"],
            format!("bounce: {}", d["bounce"]["bounceSubType"].as_str().unwrap_or("permanent")),
        ),
        Some("Complaint") => (&d["complaint"]["complainedRecipients"], "complaint".to_string()),
        _ => return Vec::new(),
    };
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["emailAddress"].as_str())
        .map(|a| (a.trim().to_lowercase(), why.clone()))
        .collect()
}

/// The languages templates exist in; any other locale falls back to English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    De,
    Fr,
    Es,
}

impl Lang {
    /// From a profile's locale (`de`, `de-AT`, `es-419`); English otherwise.
    pub fn of(locale: Option<&str>) -> Self {
        match locale.and_then(|l| l.split('-').next()).map(str::to_ascii_lowercase).as_deref() {
            Some("de") => Self::De,
            Some("fr") => Self::Fr,
            Some("es") => Self::Es,
            _ => Self::En,
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::De => "de",
            Self::Fr => "fr",
            Self::Es => "es",
        }
    }
}

/// What a template shows: the notice, the recipient's name, and the
/// amounts and times already written for the language and time zone.
pub struct View<'a> {
    pub notice: &'a Notice,
    pub name: &'a str,
    pub lang: Lang,
    pub time_zone: &'a str,
    pub app_url: &'a str,
}

impl View<'_> {
    /// An amount the way the language writes it: `EUR 12.50` / `12,50 EUR`.
    pub fn money(&self, m: &Money) -> String {
        let e = m.currency.exponent();
        let sign = if m.amount < 0 { "-" } else { "" };
        let a = m.amount.unsigned_abs();
        let number = if e == 0 {
            a.to_string()
        } else {
            let p = 10u64.pow(e);
            let sep = if self.lang == Lang::En { '.' } else { ',' };
            format!("{}{sep}{:0w$}", a / p, a % p, w = e as usize)
        };
        match self.lang {
            Lang::En => format!("{sign}{} {number}", m.currency.as_str()),
            _ => format!("{sign}{number} {}", m.currency.as_str()),
        }
    }
    /// An instant in the recipient's time zone (UTC when they set none).
    pub fn time(&self, unix: &i64) -> String {
        let tz = jiff::tz::TimeZone::get(self.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
        match jiff::Timestamp::from_second(*unix) {
            Ok(t) => {
                let z = t.to_zoned(tz);
                let label = if self.time_zone == "UTC" { "UTC".to_string() } else { z.strftime("%Z").to_string() };
                format!("{} {label}", z.strftime("%Y-%m-%d %H:%M"))
            }
            Err(_) => unix.to_string(),
        }
    }
    pub fn url(&self) -> String {
        format!("{}{}", self.app_url.trim_end_matches('/'), self.notice.link())
    }
}

macro_rules! lang_templates {
    ($($name:ident = $path:literal),* $(,)?) => {
        $(
            #[derive(Template)]
            #[template(path = $path, escape = "none")]
            struct $name<'a> {
                v: &'a View<'a>,
            }
        )*
    };
}

lang_templates! {
    SubjectEn = "notify/en/subject.txt", TextEn = "notify/en/text.txt", ShortEn = "notify/en/short.txt",
    SubjectDe = "notify/de/subject.txt", TextDe = "notify/de/text.txt", ShortDe = "notify/de/short.txt",
    SubjectFr = "notify/fr/subject.txt", TextFr = "notify/fr/text.txt", ShortFr = "notify/fr/short.txt",
    SubjectEs = "notify/es/subject.txt", TextEs = "notify/es/text.txt", ShortEs = "notify/es/short.txt",
}

/// The HTML email: the text's paragraphs in a layout, escaped.
#[derive(Template)]
#[template(path = "notify/email.html")]
struct EmailHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    paragraphs: Vec<&'a str>,
    url: String,
    open: &'a str,
    footer: &'a str,
}

/// A notice written for one recipient: email subject, text and HTML, and
/// the short text of SMS, push and the inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub lang: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub short: String,
}

pub fn render(v: &View) -> Result<Rendered, askama::Error> {
    let (subject, text, short) = match v.lang {
        Lang::En => (SubjectEn { v }.render()?, TextEn { v }.render()?, ShortEn { v }.render()?),
        Lang::De => (SubjectDe { v }.render()?, TextDe { v }.render()?, ShortDe { v }.render()?),
        Lang::Fr => (SubjectFr { v }.render()?, TextFr { v }.render()?, ShortFr { v }.render()?),
        Lang::Es => (SubjectEs { v }.render()?, TextEs { v }.render()?, ShortEs { v }.render()?),
    };
    let (subject, text, short) = (subject.trim().to_string(), text.trim().to_string(), short.trim().to_string());
    let (open, footer) = match v.lang {
        Lang::En => ("Open in Handoff", "You receive this email because you use Handoff. Choose what we send you under Settings → Notifications."),
        Lang::De => ("In Handoff öffnen", "Sie erhalten diese E-Mail, weil Sie Handoff nutzen. Was wir Ihnen senden, wählen Sie unter Einstellungen → Benachrichtigungen."),
        Lang::Fr => ("Ouvrir dans Handoff", "Vous recevez cet e-mail parce que vous utilisez Handoff. Choisissez ce que nous vous envoyons dans Réglages → Notifications."),
        Lang::Es => ("Abrir en Handoff", "Recibes este correo porque usas Handoff. Elige lo que te enviamos en Ajustes → Notificaciones."),
    };
    let html = EmailHtml {
        lang: v.lang.code(),
        subject: &subject,
        paragraphs: text.split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect(),
        url: v.url(),
        open,
        footer,
    }
    .render()?;
    Ok(Rendered { lang: v.lang.code().into(), subject, text, html, short })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Currency;

    fn eur(a: i64) -> Money {
        Money::new(a, Currency::parse("EUR").unwrap())
    }

    fn view<'a>(n: &'a Notice, lang: Lang) -> View<'a> {
        View { notice: n, name: "Ada", lang, time_zone: "Europe/Berlin", app_url: "https://app.example" }
    }

    #[test]
    fn every_notice_renders_in_every_language() {
        let notices = [
            Notice::Welcome,
            Notice::BookingRequested {
                itinerary_id: "it1".into(),
                booking_id: "it1.1".into(),
                respond_by: 1_790_000_000,
            },
            Notice::BookingAccepted { itinerary_id: "it1".into(), booking_id: "it1.1".into() },
            Notice::BookingDeclined {
                itinerary_id: "it1".into(),
                booking_id: "it1.1".into(),
                reason: Some("full".into()),
            },
            Notice::BookingDeclined { itinerary_id: "it1".into(), booking_id: "it1.1".into(), reason: None },
            Notice::BookingExpired { itinerary_id: "it1".into(), booking_id: "it1.1".into() },
            Notice::PaymentReceived { itinerary_id: "it1".into(), total: eur(12_345) },
            Notice::ItineraryConfirmed { itinerary_id: "it1".into() },
            Notice::PaymentFailed {
                itinerary_id: "it1".into(),
                reason: "card declined".into(),
                deadline: 1_790_000_000,
            },
            Notice::RefundIssued { itinerary_id: "it1".into(), refund: eur(500) },
            Notice::PayoutSent { itinerary_id: "it1".into(), amount: eur(4_200) },
            Notice::DocumentIssued {
                itinerary_id: "it1".into(),
                invoice: false,
                number: "RCT-2026-000001".into(),
                total: eur(3_490),
            },
            Notice::DocumentIssued {
                itinerary_id: "it1".into(),
                invoice: true,
                number: "INV-2026-000001".into(),
                total: eur(3_490),
            },
            Notice::StatementIssued { period: "2026-10".into(), number: "STM-2026-000001".into(), total: eur(4_200) },
            Notice::NewMessage { conversation_id: "it1".into(), preview: "See you at the gate".into() },
            Notice::MessagesWaiting { conversation_id: "it1".into(), unread: 3 },
            Notice::WebhookDisabled { endpoint_id: "e1".into(), url: "https://hooks.example.com/x".into() },
            Notice::ParcelPickedUp { shipment_id: "s1".into() },
            Notice::ParcelHandedOver { shipment_id: "s1".into(), place: "airport:LYS".into() },
            Notice::OutForDelivery { shipment_id: "s1".into() },
            Notice::DeliveryCode { shipment_id: "s1".into(), code: "042917".into() },
            Notice::ParcelDelivered { shipment_id: "s1".into() },
            Notice::DeliveryLocked { shipment_id: "s1".into() },
            Notice::HandoffMissed { shipment_id: "s1".into(), place: "airport:LYS".into() },
            Notice::IssueReported { shipment_id: "s1".into(), incident: "damaged".into() },
            Notice::PaymentDisputed {
                itinerary_id: "it1".into(),
                dispute_id: "dp_1".into(),
                amount: eur(3_490),
                reason: "product_not_received".into(),
            },
        ];
        for n in &notices {
            let mut subjects = Vec::new();
            for lang in [Lang::En, Lang::De, Lang::Fr, Lang::Es] {
                let r = render(&view(n, lang)).unwrap();
                assert!(!r.subject.is_empty() && !r.text.is_empty() && !r.short.is_empty(), "{n:?} {lang:?}");
                assert!(r.short.chars().count() <= 160, "{n:?} {lang:?}: {}", r.short);
                assert!(!r.subject.contains('\n'), "{n:?} {lang:?}");
                assert!(r.html.contains("https://app.example"), "{n:?} {lang:?}");
                subjects.push(r.subject);
            }
            subjects.sort();
            subjects.dedup();
            assert_eq!(subjects.len(), 4, "each language has its own words for {n:?}: {subjects:?}");
        }
    }

    #[test]
    fn amounts_and_times_are_written_for_the_reader() {
        let n = Notice::PaymentReceived { itinerary_id: "it1".into(), total: eur(12_345) };
        assert!(render(&view(&n, Lang::En)).unwrap().text.contains("EUR 123.45"));
        assert!(render(&view(&n, Lang::De)).unwrap().text.contains("123,45 EUR"));
        let n =
            Notice::PaymentFailed { itinerary_id: "it1".into(), reason: "declined".into(), deadline: 1_790_000_000 };
        // 1_790_000_000 = 2026-09-21T14:13:20Z = 16:13 in Berlin (CEST).
        assert!(render(&view(&n, Lang::De)).unwrap().text.contains("2026-09-21 16:13 CEST"));
    }

    #[test]
    fn html_is_escaped() {
        let n = Notice::BookingDeclined {
            itinerary_id: "it1".into(),
            booking_id: "it1.1".into(),
            reason: Some("<script>x</script>".into()),
        };
        let r = render(&view(&n, Lang::En)).unwrap();
        assert!(r.text.contains("<script>"));
        assert!(
            !r.html.contains("<script>") && r.html.contains("&#60;script&#62;") || r.html.contains("&lt;script&gt;")
        );
    }

    #[test]
    fn locales_fall_back_to_english() {
        assert_eq!(Lang::of(Some("de-AT")), Lang::De);
        assert_eq!(Lang::of(Some("es-419")), Lang::Es);
        assert_eq!(Lang::of(Some("it")), Lang::En);
        assert_eq!(Lang::of(None), Lang::En);
    }

    #[test]
    fn mandatory_categories_cannot_be_switched_off() {
        let p = Preferences::default();
        let off = Channels { email: false, sms: false, push: false, in_app: false };
        let change = PreferencesChange { categories: [(Category::Receipts, off)].into(), quiet_hours: None };
        assert_eq!(p.changed(change), Err(PreferenceError::Mandatory("receipts")));
        let mut stored = Preferences::default();
        stored.categories.insert(Category::Security, off);
        assert_eq!(stored.channels(Category::Security), Category::Security.default_channels());
        let change = PreferencesChange { categories: [(Category::Bookings, off)].into(), quiet_hours: None };
        let p = p.changed(change).unwrap();
        assert!(!p.channels(Category::Bookings).allows(Channel::Email));
        assert!(p.channels(Category::Payments).allows(Channel::Email));
    }

    #[test]
    fn quiet_hours_hold_until_they_end_in_the_users_zone() {
        let q = QuietHours { start: "22:00".into(), end: "07:00".into(), time_zone: "Europe/Berlin".into() };
        q.check().unwrap();
        // 2026-11-22T22:30:00Z = 23:30 in Berlin (CET): held until 07:00 CET = 06:00Z next day.
        let at = jiff::Timestamp::from_second(1_795_386_600).unwrap();
        assert_eq!(at.to_string(), "2026-11-22T22:30:00Z");
        let release = q.release_at(at.as_second()).unwrap();
        assert_eq!(jiff::Timestamp::from_second(release).unwrap().to_string(), "2026-11-23T06:00:00Z");
        // 05:00Z = 06:00 CET: still quiet, released the same morning.
        let early = at.as_second() + 6 * 3600 + 30 * 60;
        assert_eq!(q.release_at(early), Some(release));
        // 12:00 CET is not quiet.
        assert_eq!(q.release_at(at.as_second() + 12 * 3600 + 30 * 60), None);
        let day = QuietHours { start: "13:00".into(), end: "14:00".into(), time_zone: "UTC".into() };
        assert_eq!(day.release_at(1_795_386_600 - 9 * 3600), Some(1_795_386_600 - 8 * 3600 - 1800));
        for bad in [
            ("24:00", "07:00", "UTC"),
            ("7:00", "08:00", "UTC"),
            ("07:00", "07:00", "UTC"),
            ("01:00", "02:00", "Mars/Base"),
        ] {
            let q = QuietHours { start: bad.0.into(), end: bad.1.into(), time_zone: bad.2.into() };
            assert!(q.check().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn permanent_bounces_and_complaints_suppress_transient_bounces_do_not() {
        let bounce = |t: &str| {
            serde_json::json!({"detail": {"eventType": "Bounce", "bounce": {"bounceType": t, "bounceSubType": "General",
                "bouncedRecipients": [{"emailAddress": "Ada@Example.com"}]}}})
        };
        assert_eq!(
            ses_failing_addresses(&bounce("Permanent")),
            vec![("ada@example.com".into(), "bounce: General".into())]
        );
        assert!(ses_failing_addresses(&bounce("Transient")).is_empty());
        let complaint = serde_json::json!({"detail": {"eventType": "Complaint",
            "complaint": {"complainedRecipients": [{"emailAddress": "bob@example.com"}]}}});
        assert_eq!(ses_failing_addresses(&complaint), vec![("bob@example.com".into(), "complaint".into())]);
    }

    #[test]
    fn events_tell_the_right_people() {
        let data = serde_json::json!({
            "itinerary_id": "it1", "shipment_id": "s1", "sender_id": "snd", "travelers": ["t1", "t2", "t1"],
            "total": {"amount": 100, "currency": "EUR"}
        });
        let r = recipients("ItineraryConfirmed", &data).unwrap();
        let who: Vec<(&str, Category)> = r.iter().map(|(u, n)| (u.as_str(), n.category())).collect();
        assert_eq!(who, vec![("snd", Category::Receipts), ("t1", Category::Bookings), ("t2", Category::Bookings)]);
        assert!(recipients("SessionStarted", &serde_json::json!({})).unwrap().is_empty());
        assert!(recipients("BookingAccepted", &serde_json::json!({"nope": 1})).is_err());
    }
}
