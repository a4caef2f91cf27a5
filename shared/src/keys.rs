//! Every table key is built here and nowhere else. `docs/data-model.md`
//! lists these entities with their access patterns; keep the two in step.
use serde::{Deserialize, Serialize};

/// The primary key of an item in the single table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
}

/// A second overloaded index (`gsi2pk`/`gsi2sk`), sparse: only items that
/// wait for something carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gsi2 {
    pub gsi2pk: String,
    pub gsi2sk: String,
}

/// An overloaded secondary-index key (`gsi1pk`/`gsi1sk`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gsi1 {
    pub gsi1pk: String,
    pub gsi1sk: String,
}

fn key(pk: String, sk: impl Into<String>) -> Key {
    Key { pk, sk: sk.into() }
}

/// Entity names written in each item's `entity` attribute.
pub mod entity {
    pub const USER: &str = "User";
    pub const EMAIL: &str = "EmailClaim";
    pub const SESSION: &str = "Session";
    pub const REFRESH: &str = "RefreshToken";
    pub const OTP: &str = "OtpCode";
    pub const RATE: &str = "RateCounter";
    pub const IDEMPOTENCY: &str = "IdempotencyRecord";
    pub const OUTBOX: &str = "OutboxEvent";
    pub const DEDUPE: &str = "ProcessedEvent";
    pub const AUDIT: &str = "AuditEntry";
    pub const TRIP: &str = "Trip";
    pub const DOCUMENT: &str = "Document";
    pub const VEHICLE: &str = "Vehicle";
    pub const SEARCH_LEG: &str = "SearchLeg";
    pub const SEARCH_TRIP: &str = "SearchTripState";
    pub const COURIER_AREA: &str = "CourierArea";
    pub const SEARCH_LOG: &str = "SearchRecord";
    pub const CAPACITY: &str = "TripCapacity";
    pub const SHIPMENT: &str = "Shipment";
    pub const QUOTE: &str = "Quote";
    pub const ITINERARY: &str = "Itinerary";
    pub const BOOKING: &str = "Booking";
    pub const PAYMENT: &str = "Payment";
    pub const PAYMENT_INTENT: &str = "PaymentIntentPointer";
    pub const PROVIDER_CUSTOMER: &str = "ProviderCustomer";
    pub const PROVIDER_EVENT: &str = "ProviderEvent";
    pub const LEDGER_ACCOUNT: &str = "LedgerAccount";
    pub const LEDGER_TRANSFER: &str = "LedgerTransfer";
    pub const ASSIGNMENT: &str = "LegAssignment";
    pub const NOTIFY_SETTINGS: &str = "NotificationSettings";
    pub const PUSH_TOKEN: &str = "PushToken";
    pub const INBOX: &str = "InboxNotification";
    pub const DELIVERY: &str = "NotificationDelivery";
    pub const MESSAGE: &str = "Message";
    pub const MEMBER: &str = "ConversationMember";
    pub const WEBHOOK_ENDPOINT: &str = "WebhookEndpoint";
    pub const WEBHOOK_DELIVERY: &str = "WebhookDelivery";
    pub const CUSTODY: &str = "Custody";
    pub const TRACKING_LINK: &str = "TrackingLink";
    pub const QR_USE: &str = "QrTokenUse";
    pub const TRACKING_TOKEN: &str = "TrackingToken";
    pub const WS_CONNECTION: &str = "LiveConnection";
    pub const WS_SUBSCRIPTION: &str = "LiveSubscription";
    pub const PAYOUT_ACCOUNT: &str = "PayoutAccount";
    pub const PAYOUT: &str = "Payout";
    pub const SALES_DOCUMENT: &str = "SalesDocument";
    pub const DOCUMENT_COUNTER: &str = "DocumentCounter";
    pub const RECONCILIATION: &str = "ReconciliationReport";
    pub const DISPUTE: &str = "Dispute";
}

pub fn user(user_id: &str) -> Key {
    key(format!("USER#{user_id}"), "PROFILE")
}
/// Makes an email unique and finds its user.
pub fn email(email: &str) -> Key {
    key(format!("EMAIL#{email}"), "EMAIL")
}
pub fn session(user_id: &str, session_id: &str) -> Key {
    key(format!("USER#{user_id}"), format!("SESSION#{session_id}"))
}
/// Partition and sort-key prefix of a user's sessions.
pub fn sessions_of(user_id: &str) -> (String, &'static str) {
    (format!("USER#{user_id}"), "SESSION#")
}
pub fn refresh_token(token_hash: &str) -> Key {
    key(format!("REFRESH#{token_hash}"), "REFRESH")
}
pub fn otp(email: &str) -> Key {
    key(format!("OTP#{email}"), "OTP")
}
/// A fixed-window counter: `scope` (e.g. `otp-email`), a subject, the window start.
pub fn rate_counter(scope: &str, subject: &str, window_start: i64) -> Key {
    key(format!("RATE#{scope}#{subject}#{window_start}"), "RATE")
}
pub fn idempotency(function: &str, key_hash: &str) -> Key {
    key(format!("IDEMPOTENCY#{function}#{key_hash}"), "IDEMPOTENCY")
}
pub fn outbox(event_id: &str) -> Key {
    key(format!("OUTBOX#{event_id}"), "OUTBOX")
}
/// Marks an event as handled by one consumer.
pub fn processed(consumer: &str, event_id: &str) -> Key {
    key(format!("DEDUPE#{consumer}#{event_id}"), "DEDUPE")
}
pub fn audit(day: &str, occurred_at: &str, event_id: &str) -> Key {
    key(format!("AUDIT#{day}"), format!("{occurred_at}#{event_id}"))
}
pub fn audit_day(day: &str) -> String {
    format!("AUDIT#{day}")
}
pub fn audit_by_actor(actor: &str, occurred_at: &str, event_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: audit_actor(actor), gsi1sk: format!("{occurred_at}#{event_id}") }
}
pub fn audit_actor(actor: &str) -> String {
    format!("AUDIT#ACTOR#{actor}")
}

pub fn trip(trip_id: &str) -> Key {
    key(format!("TRIP#{trip_id}"), "TRIP")
}
/// The trip's partition: the trip and its documents, read in one query.
pub fn trip_partition(trip_id: &str) -> String {
    format!("TRIP#{trip_id}")
}
/// A document lives in its owner's partition (`TRIP#…` or `VEHICLE#…`).
pub fn document(owner_partition: &str, document_id: &str) -> Key {
    key(owner_partition.to_string(), format!("{}{document_id}", documents_prefix()))
}
/// The sort-key prefix of the documents in an owner's partition.
pub fn documents_prefix() -> &'static str {
    "DOC#"
}
/// A traveler's trips by status, newest first within a status.
pub fn trips_of(traveler_id: &str, status: &str, created_at: &str, trip_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: trips_of_traveler(traveler_id), gsi1sk: format!("{status}#{created_at}#{trip_id}") }
}
pub fn trips_of_traveler(traveler_id: &str) -> String {
    format!("TRAVELER#{traveler_id}#TRIPS")
}
pub fn vehicle(vehicle_id: &str) -> Key {
    key(vehicle_partition(vehicle_id), "VEHICLE")
}
pub fn vehicle_partition(vehicle_id: &str) -> String {
    format!("VEHICLE#{vehicle_id}")
}
pub fn vehicles_of(owner_id: &str, created_at: &str, vehicle_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: format!("OWNER#{owner_id}#VEHICLES"), gsi1sk: format!("{created_at}#{vehicle_id}") }
}
/// The search projection: published legs by UTC day of departure, in
/// departure order, so a search reads its days' partitions in order.
pub fn search_leg(depart_at: crate::domain::trips::Instant, trip_id: &str, leg_no: u32) -> Key {
    key(search_day(&depart_at.day()), format!("{:011}#{trip_id}#{leg_no:02}", depart_at.0))
}
pub fn search_day(day: &str) -> String {
    format!("LEGS#{day}")
}
/// What the projection holds for a trip: the revision applied and its leg keys.
pub fn search_trip(trip_id: &str) -> Key {
    key(format!("SEARCHTRIP#{trip_id}"), "STATE")
}
/// Local courier service areas: one small partition, read whole by a search.
pub fn courier_area(area_id: &str) -> Key {
    key(courier_areas().to_string(), format!("AREA#{area_id}"))
}
pub fn courier_areas() -> &'static str {
    "COURIERS"
}
/// A courier's own areas.
pub fn areas_of(courier_id: &str, created_at: &str, area_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: areas_of_courier(courier_id), gsi1sk: format!("{created_at}#{area_id}") }
}
pub fn areas_of_courier(courier_id: &str) -> String {
    format!("COURIER#{courier_id}#AREAS")
}
/// Recorded searches, by day (analytics; expire after 90 days).
pub fn search_record(day: &str, at: &str, id: &str) -> Key {
    key(format!("SEARCHLOG#{day}"), format!("{at}#{id}"))
}

/// The weight reserved on a trip by accepted bookings (in the trip's partition).
pub fn trip_capacity(trip_id: &str) -> Key {
    key(trip_partition(trip_id), "CAPACITY")
}

/// A shipment and its photos share a partition.
pub fn shipment(shipment_id: &str) -> Key {
    key(shipment_partition(shipment_id), "SHIPMENT")
}
pub fn shipment_partition(shipment_id: &str) -> String {
    format!("SHIPMENT#{shipment_id}")
}
/// A sender's shipments by status, newest first within a status.
pub fn shipments_of(sender_id: &str, status: &str, created_at: &str, shipment_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: shipments_of_sender(sender_id), gsi1sk: format!("{status}#{created_at}#{shipment_id}") }
}
pub fn shipments_of_sender(sender_id: &str) -> String {
    format!("SENDER#{sender_id}#SHIPMENTS")
}
/// A price quote (expires through TTL a day after it lapses).
pub fn quote(quote_id: &str) -> Key {
    key(format!("QUOTE#{quote_id}"), "QUOTE")
}
/// An itinerary and its bookings share a partition: one Query reads them all.
pub fn itinerary(itinerary_id: &str) -> Key {
    key(itinerary_partition(itinerary_id), "ITINERARY")
}
pub fn itinerary_partition(itinerary_id: &str) -> String {
    format!("ITINERARY#{itinerary_id}")
}
pub fn booking(itinerary_id: &str, booking_id: &str) -> Key {
    key(itinerary_partition(itinerary_id), format!("BOOKING#{booking_id}"))
}
/// A sender's itineraries by status, newest first within a status.
pub fn itineraries_of(sender_id: &str, status: &str, created_at: &str, itinerary_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: itineraries_of_sender(sender_id), gsi1sk: format!("{status}#{created_at}#{itinerary_id}") }
}
pub fn itineraries_of_sender(sender_id: &str) -> String {
    format!("SENDER#{sender_id}#ITINERARIES")
}
/// A traveler's booking requests by status, newest first within a status.
pub fn bookings_of(traveler_id: &str, status: &str, created_at: &str, booking_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: bookings_of_traveler(traveler_id), gsi1sk: format!("{status}#{created_at}#{booking_id}") }
}
pub fn bookings_of_traveler(traveler_id: &str) -> String {
    format!("TRAVELER#{traveler_id}#BOOKINGS")
}
/// Pending booking requests by the time they must be answered (sparse
/// gsi2: only pending bookings carry it), read by the expiry schedule.
pub fn pending_booking(respond_by: crate::domain::trips::Instant, booking_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: pending_bookings().into(), gsi2sk: format!("{:011}#{booking_id}", respond_by.0) }
}
pub fn pending_bookings() -> &'static str {
    "BOOKINGS#PENDING"
}

/// An itinerary's payment, in the itinerary's partition.
pub fn payment(itinerary_id: &str) -> Key {
    key(itinerary_partition(itinerary_id), "PAYMENT")
}
/// A dispute of the itinerary's payment, in the itinerary's partition.
pub fn dispute(itinerary_id: &str, dispute_id: &str) -> Key {
    key(itinerary_partition(itinerary_id), format!("DISPUTE#{dispute_id}"))
}
/// Disputes by status (gsi2), newest first by when they opened: support's list.
pub fn dispute_by_status(status: &str, opened_at: &str, dispute_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: disputes_with(status), gsi2sk: format!("{opened_at}#{dispute_id}") }
}
pub fn disputes_with(status: &str) -> String {
    format!("DISPUTES#{status}")
}
/// Finds the itinerary of a provider's PaymentIntent (its events name only the intent).
pub fn payment_intent(intent_id: &str) -> Key {
    key(format!("PAYMENT_INTENT#{intent_id}"), "POINTER")
}
/// A user's customer at the payment provider.
pub fn provider_customer(user_id: &str, provider: &str) -> Key {
    key(format!("USER#{user_id}"), format!("CUSTOMER#{provider}"))
}
/// A provider's event, once received (webhook or listing): applied once.
pub fn provider_event(provider: &str, event_id: &str) -> Key {
    key(format!("PROVIDER_EVENT#{provider}#{event_id}"), "RECEIVED")
}
/// How far the reconciliation of a provider's events has read.
pub fn provider_sync(provider: &str) -> Key {
    key(format!("PROVIDER_SYNC#{provider}"), "CHECKPOINT")
}
/// Itineraries awaiting payment since when (sparse gsi2), read by the deadline schedule.
pub fn awaiting_payment(since: i64, itinerary_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: awaiting_payments().into(), gsi2sk: format!("{since:011}#{itinerary_id}") }
}
pub fn awaiting_payments() -> &'static str {
    "PAYMENTS#AWAITING"
}
/// A ledger account: its owner's accounts share a partition, one item per currency.
pub fn ledger_account(a: &crate::domain::ledger::AccountId) -> Key {
    key(ledger_partition(a.kind.as_str(), &a.owner), format!("ACCOUNT#{}", a.currency.as_str()))
}
pub fn ledger_partition(kind: &str, owner: &str) -> String {
    format!("LEDGER#{kind}:{owner}")
}
/// A transfer, in its itinerary's partition; by debit account (gsi1) and credit account (gsi2).
pub fn ledger_transfer(itinerary_id: &str, transfer_id: &str) -> Key {
    key(itinerary_partition(itinerary_id), format!("{}{transfer_id}", transfer_prefix()))
}
pub fn transfers_of_account(a: &crate::domain::ledger::AccountId, at: &str, transfer_id: &str) -> (Gsi1, Gsi2) {
    let pk = account_transfers(a);
    let sk = format!("{at}#{transfer_id}");
    (Gsi1 { gsi1pk: pk.clone(), gsi1sk: sk.clone() }, Gsi2 { gsi2pk: pk, gsi2sk: sk })
}
/// The index partition of an account's transfers (gsi1: it is debited, gsi2: credited).
pub fn account_transfers(a: &crate::domain::ledger::AccountId) -> String {
    format!("{}#{}", ledger_partition(a.kind.as_str(), &a.owner), a.currency.as_str())
}
/// An itinerary's transfers, in its partition.
pub fn transfer_prefix() -> &'static str {
    "TRANSFER#"
}
/// A traveler's leg assignment on a confirmed itinerary; by traveler (gsi1).
pub fn assignment(itinerary_id: &str, booking_id: &str) -> Key {
    key(itinerary_partition(itinerary_id), format!("ASSIGNMENT#{booking_id}"))
}
pub fn assignments_of(traveler_id: &str, created_at: &str, booking_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: format!("TRAVELER#{traveler_id}#ASSIGNMENTS"), gsi1sk: format!("{created_at}#{booking_id}") }
}

/// A user's notification settings: preferences, push devices, suppressed channels.
pub fn notify_settings(user_id: &str) -> Key {
    key(format!("USER#{user_id}"), "NOTIFY#SETTINGS")
}
/// Which user a push token (device id) belongs to now.
pub fn push_token(device_id: &str) -> Key {
    key(format!("PUSH#{device_id}"), "TOKEN")
}
/// A notification in a user's inbox (ids are time-ordered, newest last).
pub fn inbox_item(user_id: &str, notification_id: &str) -> Key {
    key(format!("USER#{user_id}"), format!("INBOX#{notification_id}"))
}
pub fn inbox_of(user_id: &str) -> (String, &'static str) {
    (format!("USER#{user_id}"), "INBOX#")
}
/// Unread inbox notifications (sparse gsi2: only unread ones carry it).
pub fn unread_of(user_id: &str) -> String {
    format!("UNREAD#{user_id}")
}
pub fn unread(user_id: &str, notification_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: unread_of(user_id), gsi2sk: notification_id.to_string() }
}
/// One delivery of an event's notification to a user on a channel: the dedupe record.
pub fn delivery(event_id: &str, user_id: &str, channel: &str) -> Key {
    key(format!("NOTIFY#{event_id}"), format!("TO#{user_id}#{channel}"))
}
/// Deliveries held back by quiet hours, by release time (sparse gsi2).
pub fn held_notifications() -> &'static str {
    "NOTIFY#HELD"
}
pub fn held(release_at: i64, event_id: &str, user_id: &str, channel: &str) -> Gsi2 {
    Gsi2 { gsi2pk: held_notifications().into(), gsi2sk: format!("{release_at:011}#{event_id}#{user_id}#{channel}") }
}

/// A conversation's partition (its id is the itinerary's): its messages.
pub fn conversation_partition(conversation_id: &str) -> String {
    format!("CONVERSATION#{conversation_id}")
}
/// A message (ids are time-ordered).
pub fn message(conversation_id: &str, message_id: &str) -> Key {
    key(conversation_partition(conversation_id), format!("MSG#{message_id}"))
}
pub fn messages_of(conversation_id: &str) -> (String, &'static str) {
    (conversation_partition(conversation_id), "MSG#")
}
/// A participant's member item of a conversation, in the user's partition.
pub fn member(user_id: &str, conversation_id: &str) -> Key {
    key(format!("USER#{user_id}"), format!("CONV#{conversation_id}"))
}
pub fn members_of(user_id: &str) -> (String, &'static str) {
    (format!("USER#{user_id}"), "CONV#")
}
/// Members with unread messages, by when their email digest is due (sparse gsi2).
pub fn digests_due() -> &'static str {
    "DIGEST#DUE"
}
pub fn digest(due: i64, user_id: &str, conversation_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: digests_due().into(), gsi2sk: format!("{due:011}#{user_id}#{conversation_id}") }
}
/// The files an author uploaded to a conversation (documents, as for trips).
pub fn attachments_partition(conversation_id: &str, user_id: &str) -> String {
    format!("CONVERSATION#{conversation_id}#FILES#{user_id}")
}

/// A webhook endpoint, in its owner's partition.
pub fn webhook_endpoint(owner_id: &str, endpoint_id: &str) -> Key {
    key(format!("USER#{owner_id}"), format!("WEBHOOK#{endpoint_id}"))
}
pub fn webhook_endpoints_of(owner_id: &str) -> (String, &'static str) {
    (format!("USER#{owner_id}"), "WEBHOOK#")
}
/// A delivery of an event to an endpoint (id = the event's: time-ordered).
pub fn webhook_delivery(endpoint_id: &str, delivery_id: &str) -> Key {
    key(format!("WEBHOOK#{endpoint_id}"), format!("DELIVERY#{delivery_id}"))
}
pub fn webhook_deliveries_of(endpoint_id: &str) -> (String, &'static str) {
    (format!("WEBHOOK#{endpoint_id}"), "DELIVERY#")
}
/// Deliveries waiting for their next attempt, by when (sparse gsi2).
pub fn webhooks_due() -> &'static str {
    "WEBHOOK#DUE"
}
pub fn webhook_due(at: i64, endpoint_id: &str, delivery_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: webhooks_due().into(), gsi2sk: format!("{at:011}#{endpoint_id}#{delivery_id}") }
}

// ------------------------------------------------------------- custody

/// The custody partition of a shipment: its state and plan, its tracking
/// chain, the QR tokens used.
pub fn custody_partition(shipment_id: &str) -> String {
    format!("CUSTODY#{shipment_id}")
}
pub fn custody(shipment_id: &str) -> Key {
    key(custody_partition(shipment_id), "STATE")
}
/// A link of the tracking chain, in order.
pub fn tracking_link(shipment_id: &str, seq: u64) -> Key {
    key(custody_partition(shipment_id), format!("LINK#{seq:010}"))
}
pub fn tracking_links() -> &'static str {
    "LINK#"
}
/// Custody whose next handoff's window closes at `closes_at` (sparse: only
/// while it is watched for a miss).
pub fn handoff_due(closes_at: i64, shipment_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: handoffs_due().into(), gsi2sk: format!("{closes_at:011}#{shipment_id}") }
}
pub fn handoffs_due() -> &'static str {
    "HANDOFFS#DUE"
}
/// A QR token's single use.
pub fn qr_use(shipment_id: &str, nonce: &str) -> Key {
    key(custody_partition(shipment_id), format!("QRUSE#{nonce}"))
}
/// The photos one party took at one handoff (documents).
pub fn handoff_photos_partition(handoff_id: &str, user_id: &str) -> String {
    format!("HANDOFF#{handoff_id}#{user_id}")
}
/// A public tracking token and its shipment.
pub fn tracking_token(token: &str) -> Key {
    key(format!("TRACK#{token}"), "TRACK")
}

// ----------------------------------------------------------------- live

/// A WebSocket connection.
pub fn ws_connection(connection_id: &str) -> Key {
    key(format!("WSCONN#{connection_id}"), "CONN")
}
/// A signed-in user's connections (gsi1).
pub fn ws_connections_of(user_id: &str, connection_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: ws_user(user_id), gsi1sk: connection_id.to_string() }
}
pub fn ws_user(user_id: &str) -> String {
    format!("WSUSER#{user_id}")
}
/// A connection subscribed to a shipment's tracking.
pub fn ws_subscription(shipment_id: &str, connection_id: &str) -> Key {
    key(ws_subscribers(shipment_id), format!("CONN#{connection_id}"))
}
pub fn ws_subscribers(shipment_id: &str) -> String {
    format!("WSSUB#{shipment_id}")
}

/// A user's connected account at the payment provider (where payouts go).
pub fn payout_account(user_id: &str) -> Key {
    key(format!("USER#{user_id}"), "PAYOUT_ACCOUNT")
}
/// A payout: one payee's share of one delivered itinerary.
pub fn payout(payout_id: &str) -> Key {
    key(format!("PAYOUT#{payout_id}"), "PAYOUT")
}
/// A payee's payouts, newest last (gsi1).
pub fn payouts_of(payee_id: &str, created_at: &str, payout_id: &str) -> Gsi1 {
    Gsi1 { gsi1pk: payouts_of_payee(payee_id), gsi1sk: format!("{created_at}#{payout_id}") }
}
pub fn payouts_of_payee(payee_id: &str) -> String {
    format!("PAYEE#{payee_id}#PAYOUTS")
}
/// Payouts still to send (sparse gsi2), grouped by payee and currency for the payout run.
pub fn due_payout(payee_id: &str, currency: &str, created_at: &str, payout_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: due_payouts().into(), gsi2sk: format!("{payee_id}#{currency}#{created_at}#{payout_id}") }
}
pub fn due_payouts() -> &'static str {
    "PAYOUTS#DUE"
}
/// Payouts sent in a month (gsi2 once sent, `sent_at`'s `YYYY-MM`), by
/// payee and currency: the month's earnings statements.
pub fn sent_payout(month: &str, payee_id: &str, currency: &str, sent_at: &str, payout_id: &str) -> Gsi2 {
    Gsi2 { gsi2pk: sent_payouts(month), gsi2sk: format!("{payee_id}#{currency}#{sent_at}#{payout_id}") }
}
pub fn sent_payouts(month: &str) -> String {
    format!("PAYOUTS#SENT#{month}")
}

/// A sales document (receipt, invoice, earnings statement) in its owner's
/// partition: `owner_partition` is the itinerary's or the payee's, `doc` is
/// `receipt`, `invoice` or `statement.<YYYY-MM>.<currency>`.
pub fn sales_document(owner_partition: &str, doc: &str) -> Key {
    key(owner_partition.into(), format!("SALEDOC#{doc}"))
}
/// A document series (e.g. `INV-2026`), in number order (gsi1): the
/// accountant's list, and the proof that no number is missing.
pub fn in_series(series: &str, seq: u64) -> Gsi1 {
    Gsi1 { gsi1pk: series_partition(series), gsi1sk: format!("{seq:09}") }
}
pub fn series_partition(series: &str) -> String {
    format!("SERIES#{series}")
}
/// The last number taken in a series (one item per series, versioned).
pub fn series_counter(series: &str) -> Key {
    key(series_partition(series), "COUNTER")
}
/// The reconciliation report of a day (`YYYY-MM-DD`): one item, written again by each run.
pub fn reconciliation(day: &str) -> Key {
    key(format!("RECONCILIATION#{day}"), "REPORT")
}
/// A payee's partition for their earnings statements.
pub fn statements_partition(payee_id: &str) -> String {
    format!("PAYEE#{payee_id}#STATEMENTS")
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn sessions_share_the_user_partition() {
        let (pk, prefix) = sessions_of("u1");
        let s = session("u1", "s1");
        assert_eq!(s.pk, pk);
        assert!(s.sk.starts_with(prefix));
        assert_eq!(user("u1").pk, pk);
        assert_ne!(user("u1").sk, s.sk);
    }

    #[test]
    fn search_legs_sort_by_departure_within_a_day() {
        use crate::domain::trips::Instant;
        let a = search_leg(Instant(999_999_999), "t9", 1);
        let b = search_leg(Instant(1_000_000_000), "t1", 1);
        assert_eq!(a.pk, b.pk);
        assert!(a.sk < b.sk, "zero-padded departure sorts as text");
        assert_eq!(document(&trip_partition("t1"), "d1").pk, trip("t1").pk);
    }
}
