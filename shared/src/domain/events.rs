//! Domain events: their names, sources, schema versions and data.
//! Each has a JSON Schema in `events/schemas/<DetailType>.json`.
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::session::RevokeReason;

/// A fact that happened in a bounded context.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// `handoff.<context>`
    const SOURCE: &'static str;
    /// PascalCase, past tense.
    const DETAIL_TYPE: &'static str;
    const SCHEMA_VERSION: u32 = 1;
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct UserSignedUp {
    pub user_id: String,
    pub email: String,
}
impl DomainEvent for UserSignedUp {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "UserSignedUp";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct SessionStarted {
    pub user_id: String,
    pub session_id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}
impl DomainEvent for SessionStarted {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "SessionStarted";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct SessionRevoked {
    pub user_id: String,
    pub session_id: String,
    pub reason: RevokeReason,
}
impl DomainEvent for SessionRevoked {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "SessionRevoked";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ProfileUpdated {
    pub user_id: String,
    pub fields: Vec<String>,
}
impl DomainEvent for ProfileUpdated {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "ProfileUpdated";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RolesChanged {
    pub user_id: String,
    pub roles: Vec<String>,
    pub granted_by: String,
}
impl DomainEvent for RolesChanged {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "RolesChanged";
}

/// A trip became searchable. Carries what the search projection needs, so
/// the projection never reads the trip; `revision` orders a trip's events.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TripPublished {
    pub trip_id: String,
    pub traveler_id: String,
    pub revision: u64,
    pub mode: super::trips::Mode,
    pub legs: Vec<super::trips::Leg>,
    pub constraints: super::trips::Constraints,
}
impl DomainEvent for TripPublished {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "TripPublished";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TripUnpublished {
    pub trip_id: String,
    pub traveler_id: String,
    pub revision: u64,
}
impl DomainEvent for TripUnpublished {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "TripUnpublished";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TripCancelled {
    pub trip_id: String,
    pub traveler_id: String,
    pub revision: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
impl DomainEvent for TripCancelled {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "TripCancelled";
}

/// An administrator decided a vehicle's verification.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct VehicleVerificationChanged {
    pub vehicle_id: String,
    pub owner_id: String,
    pub verification: super::identity::Verification,
    pub decided_by: String,
}
impl DomainEvent for VehicleVerificationChanged {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "VehicleVerificationChanged";
}

/// An administrator decided a user's identity verification.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct UserVerificationChanged {
    pub user_id: String,
    pub verification: super::identity::Verification,
    pub decided_by: String,
}
impl DomainEvent for UserVerificationChanged {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "UserVerificationChanged";
}

/// A sender created a draft shipment.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ShipmentCreated {
    pub shipment_id: String,
    pub sender_id: String,
    pub category: super::trips::Category,
    pub weight_grams: u32,
    pub origin_country: String,
    pub destination_country: String,
}
impl DomainEvent for ShipmentCreated {
    const SOURCE: &'static str = "handoff.shipments";
    const DETAIL_TYPE: &'static str = "ShipmentCreated";
}

/// A request sent to one traveler.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct BookingRequested {
    pub booking_id: String,
    pub trip_id: String,
    pub traveler_id: String,
    pub respond_by: super::trips::Instant,
}

/// An itinerary was booked (or rebooked): each new booking is a request to its traveler.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ItineraryRequested {
    pub itinerary_id: String,
    pub shipment_id: String,
    pub sender_id: String,
    pub quote_id: String,
    pub bookings: Vec<BookingRequested>,
    /// A rebooking of the failed part of an itinerary.
    pub rebooking: bool,
}
impl DomainEvent for ItineraryRequested {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "ItineraryRequested";
}

/// A traveler's answer to a booking request, or its expiry.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct BookingAnswered {
    pub booking_id: String,
    pub itinerary_id: String,
    pub trip_id: String,
    pub traveler_id: String,
    pub sender_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(transparent)]
pub struct BookingAccepted(pub BookingAnswered);
impl DomainEvent for BookingAccepted {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "BookingAccepted";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(transparent)]
pub struct BookingDeclined(pub BookingAnswered);
impl DomainEvent for BookingDeclined {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "BookingDeclined";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(transparent)]
pub struct BookingExpired(pub BookingAnswered);
impl DomainEvent for BookingExpired {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "BookingExpired";
}

/// Every traveler accepted: the itinerary awaits payment of its quote.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ItineraryAccepted {
    pub itinerary_id: String,
    pub shipment_id: String,
    pub sender_id: String,
    pub quote_id: String,
    pub total: super::money::Money,
}
impl DomainEvent for ItineraryAccepted {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "ItineraryAccepted";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ItineraryCancelled {
    pub itinerary_id: String,
    pub shipment_id: String,
    pub sender_id: String,
    /// The status it was cancelled from.
    pub previous_status: super::bookings::ItineraryStatus,
    /// Bookings whose reserved capacity was released.
    pub released: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The sender, or someone else (the platform when the payment deadline passed).
    #[serde(default)]
    pub cancelled_by: super::payments::CancelledBy,
}
impl DomainEvent for ItineraryCancelled {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "ItineraryCancelled";
}

/// Capacity of a trip was reserved (negative) or released (positive).
/// Changes commute: a consumer sums them (each event once), in any order.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct CapacityChanged {
    pub trip_id: String,
    pub booking_id: String,
    /// Grams: negative when reserved, positive when released.
    pub change_grams: i64,
}
impl DomainEvent for CapacityChanged {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "CapacityChanged";
}

/// A payment provider's event, its signature checked (webhook) or listed
/// from the provider (the reconciliation schedule), received once by its id.
/// Applied by the payments consumer.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ProviderEventReceived {
    pub provider: String,
    /// The provider's event id (`evt_…`).
    pub event_id: String,
    /// Such as `payment_intent.succeeded`.
    pub event_type: String,
    /// Unix seconds, as the provider says.
    pub created: i64,
    /// The object the event is about, as the provider sent it.
    pub object: serde_json::Value,
}
impl DomainEvent for ProviderEventReceived {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "ProviderEventReceived";
}

/// The sender paid: the money is in escrow.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct PaymentSucceeded {
    pub itinerary_id: String,
    pub sender_id: String,
    pub intent_id: String,
    pub amount: super::money::Money,
}
impl DomainEvent for PaymentSucceeded {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "PaymentSucceeded";
}

/// A payment attempt failed; the sender may try another card until the deadline.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct PaymentFailed {
    pub itinerary_id: String,
    pub sender_id: String,
    pub intent_id: String,
    pub reason: String,
    pub deadline: super::trips::Instant,
}
impl DomainEvent for PaymentFailed {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "PaymentFailed";
}

/// Paid and confirmed: each traveler has a leg assignment.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ItineraryConfirmed {
    pub itinerary_id: String,
    pub shipment_id: String,
    pub sender_id: String,
    pub travelers: Vec<String>,
    pub total: super::money::Money,
}
impl DomainEvent for ItineraryConfirmed {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "ItineraryConfirmed";
}

/// A cancelled itinerary's refund was asked of the provider.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RefundIssued {
    pub itinerary_id: String,
    pub sender_id: String,
    pub refund: super::money::Money,
    /// What the cancellation policy keeps.
    pub retained: super::money::Money,
    pub rule: String,
}
impl DomainEvent for RefundIssued {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "RefundIssued";
}

/// The provider confirmed a refund.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RefundSettled {
    pub itinerary_id: String,
    pub sender_id: String,
    pub amount: super::money::Money,
}
impl DomainEvent for RefundSettled {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "RefundSettled";
}

/// A card holder disputed a payment (support must answer it).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct PaymentDisputed {
    pub itinerary_id: String,
    pub sender_id: String,
    pub intent_id: String,
    /// Stripe's dispute id: the support case (GET /admin/disputes).
    pub dispute_id: String,
    pub amount: super::money::Money,
    pub reason: String,
    /// What the escrow held when it opened (minor units), frozen until it closes.
    pub frozen: i64,
}
impl DomainEvent for PaymentDisputed {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "PaymentDisputed";
}

/// The bank decided a dispute: won lifts the freeze (release-escrow
/// releases a delivered shipment's escrow), lost was booked on the ledger
/// (the escrow first, then the platform).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DisputeClosed {
    pub dispute_id: String,
    pub itinerary_id: String,
    pub shipment_id: String,
    pub sender_id: String,
    pub status: super::disputes::DisputeStatus,
    pub amount: super::money::Money,
    /// Lost: what the escrow bore (minor units).
    pub from_escrow: i64,
    /// Lost: what the platform bore (minor units).
    pub from_platform: i64,
}
impl DomainEvent for DisputeClosed {
    const SOURCE: &'static str = "handoff.payments";
    const DETAIL_TYPE: &'static str = "DisputeClosed";
}

/// A traveler withdrew from an itinerary (their trip was cancelled): the
/// booking is cancelled, its capacity released, and the itinerary needs
/// rebooking; if it was paid, that part is refunded (payments).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct BookingWithdrawn {
    pub itinerary_id: String,
    pub booking_id: String,
    pub trip_id: String,
    pub traveler_id: String,
    pub sender_id: String,
    /// The itinerary was paid (confirmed) when it happened.
    pub paid: bool,
}
impl DomainEvent for BookingWithdrawn {
    const SOURCE: &'static str = "handoff.bookings";
    const DETAIL_TYPE: &'static str = "BookingWithdrawn";
}

/// Someone wrote in an itinerary's conversation; the others are told.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct MessagePosted {
    /// The itinerary's id.
    pub conversation_id: String,
    pub message_id: String,
    pub author_id: String,
    /// The other participants.
    pub recipients: Vec<String>,
    /// The first 80 characters, as stored (masked where the message is).
    pub preview: String,
    pub masked: bool,
    pub attachments: usize,
}
impl DomainEvent for MessagePosted {
    const SOURCE: &'static str = "handoff.messaging";
    const DETAIL_TYPE: &'static str = "MessagePosted";
}

/// An endpoint kept failing and was disabled; its owner is told.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct WebhookEndpointDisabled {
    pub endpoint_id: String,
    pub owner_id: String,
    pub url: String,
    pub reason: String,
}
impl DomainEvent for WebhookEndpointDisabled {
    const SOURCE: &'static str = "handoff.webhooks";
    const DETAIL_TYPE: &'static str = "WebhookEndpointDisabled";
}

// ------------------------------------------------------------- custody

/// The parcel changed hands: a handoff step was scanned (or its delivery code entered).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct HandoffCompleted {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub handoff_id: String,
    pub n: usize,
    pub kind: super::custody::StepKind,
    pub giver: super::custody::Party,
    pub receiver: super::custody::Party,
    pub place: String,
    pub at: super::trips::Instant,
    pub late: bool,
    pub method: super::custody::Method,
}
impl DomainEvent for HandoffCompleted {
    const SOURCE: &'static str = "handoff.custody";
    const DETAIL_TYPE: &'static str = "HandoffCompleted";
}

/// Where a delivery code goes: the recipient as the sender named them.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RecipientContact {
    pub name: String,
    pub email: String,
    pub phone: String,
}

/// The last carrier has the parcel: the recipient's delivery code is issued.
/// The code is not in the event: the notifier derives it from `nonce` with
/// the custody key.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DeliveryCodeIssued {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub handoff_id: String,
    pub nonce: String,
    pub carrier_id: String,
    pub recipient: RecipientContact,
    pub place: String,
    /// When the carrier arrives.
    pub expected_at: super::trips::Instant,
}
impl DomainEvent for DeliveryCodeIssued {
    const SOURCE: &'static str = "handoff.custody";
    const DETAIL_TYPE: &'static str = "DeliveryCodeIssued";
}

/// The recipient has the parcel: the escrow can be released.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DeliveryConfirmed {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub carriers: Vec<String>,
    pub at: super::trips::Instant,
    /// The tracking chain's head at delivery.
    pub chain_head: String,
}
impl DomainEvent for DeliveryConfirmed {
    const SOURCE: &'static str = "handoff.custody";
    const DETAIL_TYPE: &'static str = "DeliveryConfirmed";
}

/// Five wrong delivery codes locked the last handoff: support must help.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DeliveryLocked {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub handoff_id: String,
    pub carrier_id: String,
}
impl DomainEvent for DeliveryLocked {
    const SOURCE: &'static str = "handoff.custody";
    const DETAIL_TYPE: &'static str = "DeliveryLocked";
}

/// A handoff was not done by the end of its window and the grace period.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct HandoffMissed {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub handoff_id: String,
    pub n: usize,
    pub kind: super::custody::StepKind,
    pub giver: super::custody::Party,
    pub receiver: super::custody::Party,
    pub place: String,
    pub closes_at: super::trips::Instant,
}
impl DomainEvent for HandoffMissed {
    const SOURCE: &'static str = "handoff.custody";
    const DETAIL_TYPE: &'static str = "HandoffMissed";
}

/// A party reported an incident: the shipment's escrow is frozen.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ShipmentIssueReported {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub issue_id: String,
    pub kind: super::custody::IssueKind,
    pub reported_by: String,
    pub role: super::custody::Role,
    pub details: String,
    pub at: super::trips::Instant,
}
impl DomainEvent for ShipmentIssueReported {
    const SOURCE: &'static str = "handoff.custody";
    const DETAIL_TYPE: &'static str = "ShipmentIssueReported";
}

/// The carrier reported where the parcel is (city precision only).
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ParcelLocated {
    pub shipment_id: String,
    pub itinerary_id: String,
    pub sender_id: String,
    pub last_seen: super::custody::LastSeen,
}
impl DomainEvent for ParcelLocated {
    const SOURCE: &'static str = "handoff.custody";
    const DETAIL_TYPE: &'static str = "ParcelLocated";
}

// ------------------------------------------------------------- payouts

/// A payee's share was transferred to their connected account.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct PayoutSent {
    pub payout_id: String,
    pub payee_id: String,
    pub itinerary_id: String,
    pub amount: super::money::Money,
    /// The provider's transfer (`tr_…`).
    pub transfer_id: String,
}
impl DomainEvent for PayoutSent {
    const SOURCE: &'static str = "handoff.payouts";
    const DETAIL_TYPE: &'static str = "PayoutSent";
}

/// A sent payout was reversed at the provider (in part or whole): the
/// amount is back on the payee's payable.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct PayoutReversed {
    pub payout_id: String,
    pub payee_id: String,
    pub itinerary_id: String,
    /// Newly reversed by this report.
    pub amount: super::money::Money,
    /// Reversed so far (minor units).
    pub total_reversed: i64,
}
impl DomainEvent for PayoutReversed {
    const SOURCE: &'static str = "handoff.payouts";
    const DETAIL_TYPE: &'static str = "PayoutReversed";
}

/// A sales document was issued and its PDF stored: the sender's receipt
/// (on confirmation) or invoice (on delivery), or a payee's statement.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct DocumentIssued {
    pub kind: super::invoices::DocKind,
    /// `INV-2026-000042`: gapless within its series (kind and year).
    pub number: String,
    /// The sender (receipt, invoice) or payee (statement).
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub itinerary_id: Option<String>,
    /// A statement's month (`YYYY-MM`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<String>,
    pub total: super::money::Money,
}
impl DomainEvent for DocumentIssued {
    const SOURCE: &'static str = "handoff.invoices";
    const DETAIL_TYPE: &'static str = "DocumentIssued";
}
