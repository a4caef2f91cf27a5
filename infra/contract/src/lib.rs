//! The API contract, generated from the code: every HTTP function's
//! `operation()` (its method, path, access, body and answer types) becomes
//! docs/openapi.json (OpenAPI 3.1), and every domain event type becomes
//! events/schemas/<DetailType>.json (JSON Schema 2020-12) of the envelope
//! that carries it. `cargo run -p handoff-contract` writes both; the tests
//! fail when a committed file is stale or when the document and
//! template.yaml disagree about the routes.
use handoff::domain::events::{self as ev, DomainEvent};
use handoff::platform::contract::{problem_schema, Operation};
use handoff::platform::envelope::Envelope;
use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Every route: (crate name, its operation). The operationId is the crate name.
pub fn operations() -> Vec<(&'static str, Operation)> {
    vec![
        ("list-audit", list_audit::operation()),
        ("get-jwks", get_jwks::operation()),
        ("get-me", get_me::operation()),
        ("grant-roles", grant_roles::operation()),
        ("list-sessions", list_sessions::operation()),
        ("logout", logout::operation()),
        ("refresh-session", refresh_session::operation()),
        ("request-otp", request_otp::operation()),
        ("revoke-session", revoke_session::operation()),
        ("update-me", update_me::operation()),
        ("verify-otp", verify_otp::operation()),
        ("verify-user", verify_user::operation()),
        ("geocode-place", geocode_place::operation()),
        ("get-place", get_place::operation()),
        ("search-places", search_places::operation()),
        ("get-openapi", get_openapi::operation()),
        ("create-courier-area", create_courier_area::operation()),
        ("delete-courier-area", delete_courier_area::operation()),
        ("list-courier-areas", list_courier_areas::operation()),
        ("search-routes", search_routes::operation()),
        ("add-trip-leg", add_trip_leg::operation()),
        ("cancel-trip", cancel_trip::operation()),
        ("complete-trip-document", complete_trip_document::operation()),
        ("complete-vehicle-document", complete_vehicle_document::operation()),
        ("create-trip", create_trip::operation()),
        ("create-vehicle", create_vehicle::operation()),
        ("delete-trip", delete_trip::operation()),
        ("get-trip", get_trip::operation()),
        ("get-vehicle", get_vehicle::operation()),
        ("list-my-trips", list_my_trips::operation()),
        ("publish-trip", publish_trip::operation()),
        ("request-trip-document", request_trip_document::operation()),
        ("request-vehicle-document", request_vehicle_document::operation()),
        ("set-trip-constraints", set_trip_constraints::operation()),
        ("unpublish-trip", unpublish_trip::operation()),
        ("verify-vehicle", verify_vehicle::operation()),
        ("create-shipment", create_shipment::operation()),
        ("get-shipment", get_shipment::operation()),
        ("list-my-shipments", list_my_shipments::operation()),
        ("update-shipment", update_shipment::operation()),
        ("delete-shipment", delete_shipment::operation()),
        ("request-shipment-photo", request_shipment_photo::operation()),
        ("complete-shipment-photo", complete_shipment_photo::operation()),
        ("declare-customs", declare_customs::operation()),
        ("create-quote", create_quote::operation()),
        ("get-quote", get_quote::operation()),
        ("create-itinerary", create_itinerary::operation()),
        ("rebook-itinerary", rebook_itinerary::operation()),
        ("get-itinerary", get_itinerary::operation()),
        ("list-my-itineraries", list_my_itineraries::operation()),
        ("cancel-itinerary", cancel_itinerary::operation()),
        ("list-booking-requests", list_booking_requests::operation()),
        ("accept-booking", accept_booking::operation()),
        ("decline-booking", decline_booking::operation()),
        ("create-payment", create_payment::operation()),
        ("get-payment", get_payment::operation()),
        ("stripe-webhook", stripe_webhook::operation()),
        ("get-earnings", get_earnings::operation()),
        ("get-ledger-account", get_ledger_account::operation()),
        ("list-ledger-transfers", list_ledger_transfers::operation()),
        ("get-reconciliation", get_reconciliation::operation()),
        ("list-disputes", list_disputes::operation()),
        ("run-reconciliation", run_reconciliation::operation()),
        ("register-device", register_device::operation()),
        ("delete-device", delete_device::operation()),
        ("list-notifications", list_notifications::operation()),
        ("read-notification", read_notification::operation()),
        ("read-all-notifications", read_all_notifications::operation()),
        ("get-notification-preferences", get_notification_preferences::operation()),
        ("put-notification-preferences", put_notification_preferences::operation()),
        ("post-message", post_message::operation()),
        ("list-messages", list_messages::operation()),
        ("list-conversations", list_conversations::operation()),
        ("read-conversation", read_conversation::operation()),
        ("request-attachment", request_attachment::operation()),
        ("complete-attachment", complete_attachment::operation()),
        ("create-webhook-endpoint", create_webhook_endpoint::operation()),
        ("list-webhook-endpoints", list_webhook_endpoints::operation()),
        ("get-webhook-endpoint", get_webhook_endpoint::operation()),
        ("update-webhook-endpoint", update_webhook_endpoint::operation()),
        ("delete-webhook-endpoint", delete_webhook_endpoint::operation()),
        ("rotate-webhook-secret", rotate_webhook_secret::operation()),
        ("list-webhook-deliveries", list_webhook_deliveries::operation()),
        ("redeliver-webhook", redeliver_webhook::operation()),
        ("list-handoffs", list_handoffs::operation()),
        ("get-handoff-qr", get_handoff_qr::operation()),
        ("request-handoff-photo", request_handoff_photo::operation()),
        ("complete-handoff-photo", complete_handoff_photo::operation()),
        ("scan-handoff", scan_handoff::operation()),
        ("deliver-handoff", deliver_handoff::operation()),
        ("get-tracking", get_tracking::operation()),
        ("get-delivery-proof", get_delivery_proof::operation()),
        ("report-positions", report_positions::operation()),
        ("report-issue", report_issue::operation()),
        ("get-public-tracking", get_public_tracking::operation()),
        ("create-payout-account", create_payout_account::operation()),
        ("get-payout-account", get_payout_account::operation()),
        ("list-my-payouts", list_my_payouts::operation()),
        ("start-payout-run", start_payout_run::operation()),
        ("refund-delivered", refund_delivered::operation()),
        ("get-receipt", get_receipt::operation()),
        ("get-invoice", get_invoice::operation()),
        ("get-statements", get_statements::operation()),
    ]
}

/// Tags by context, in the order the reference shows them.
const TAGS: &[(&str, &str)] = &[
    ("identity", "Sign-in with emailed codes, sessions, the caller's profile"),
    ("places", "Airports and cities: search, lookup, geocoding"),
    ("trips", "Travelers' trips: legs, constraints, documents, publishing"),
    ("vehicles", "Vehicles for car legs and their documents"),
    ("search", "Route search for parcels, and courier service areas"),
    ("shipments", "Senders' parcels: package, contacts, photos, customs"),
    ("pricing", "Binding quotes for a route"),
    ("bookings", "Itineraries and the travelers' booking requests"),
    ("payments", "Payments, escrow on the ledger, refunds, and Stripe's webhooks"),
    ("notifications", "The in-app inbox, notification preferences and push devices"),
    ("messaging", "Conversations between the sender and travelers of an itinerary"),
    ("webhooks", "Signed outbound webhooks for business customers"),
    ("custody", "Handoff plans, signed QR scans, delivery codes, tracking and the delivery proof"),
    ("payouts", "Travelers' and couriers' payout accounts (Stripe Connect) and payouts"),
    ("invoices", "Receipts and invoices for senders, earnings statements for payees: numbered without gaps, as PDF"),
    ("admin", "Administration: roles, verification, the audit log"),
    ("platform", "The API itself"),
];

/// The OpenAPI 3.1 document.
pub fn openapi() -> Value {
    let mut g =
        SchemaSettings::draft2020_12().with(|s| s.definitions_path = "/components/schemas".into()).into_generator();
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    for (id, op) in operations() {
        let o = op.to_openapi(id, &mut g);
        paths.entry(op.path).or_default().insert(op.method.to_ascii_lowercase(), o);
    }
    let mut schemas = g.take_definitions(true);
    schemas.insert("Problem".into(), problem_schema());
    let schemas: BTreeMap<String, Value> = schemas.into_iter().collect();
    json!({
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {
            "title": "Handoff API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Peer-to-peer parcel delivery: travelers carry parcels for senders. \
                Errors are RFC 9457 problem+json with a stable `type`. Mutating routes of a signed-in \
                caller honour `Idempotency-Key`. Lists are paged with `limit` and an opaque `cursor`. \
                Generated from the code by `cargo run -p handoff-contract`."
        },
        "servers": [{"url": "http://localhost:3000", "description": "the local stack (infra/dev.sh)"}],
        "tags": TAGS.iter().map(|(n, d)| json!({"name": n, "description": d})).collect::<Vec<_>>(),
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                           "description": "the access token of POST /auth/otp/verify or POST /auth/refresh (ES256, 15 minutes)"}
            }
        }
    })
}

/// The schema of the envelope carrying `E`, as events/schemas/<DetailType>.json.
fn event_schema<E: DomainEvent + JsonSchema>() -> (String, Value) {
    let mut g = SchemaSettings::draft2020_12().into_generator();
    let mut s = g.root_schema_for::<Envelope<E>>().to_value();
    let description = s
        .pointer(&format!("/$defs/{}/description", E::schema_name()))
        .or_else(|| s.pointer("/properties/data/description"))
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let o = s.as_object_mut().expect("an object schema");
    o.insert("$id".into(), json!(format!("https://schemas.handoff.dev/events/{}.json", E::DETAIL_TYPE)));
    o.insert("title".into(), json!(E::DETAIL_TYPE));
    o.insert(
        "description".into(),
        json!(format!(
            "{description}{}EventBridge: source {}, detail-type {}; this schema is of `detail`.",
            if description.is_empty() { "" } else { " " },
            E::SOURCE,
            E::DETAIL_TYPE
        )),
    );
    let props = o.get_mut("properties").and_then(Value::as_object_mut).expect("envelope properties");
    props.insert("source".into(), json!({"const": E::SOURCE}));
    props.insert("detail_type".into(), json!({"const": E::DETAIL_TYPE}));
    props.insert("schema_version".into(), json!({"const": E::SCHEMA_VERSION}));
    props.insert(
        "id".into(),
        json!({"type": "string", "format": "uuid", "description": "Dedupe key; chosen when the event is written to the outbox, never changes."}),
    );
    props.insert("occurred_at".into(), json!({"type": "string", "format": "date-time"}));
    (E::DETAIL_TYPE.to_string(), s)
}

/// Every event's schema, by detail type.
pub fn event_schemas() -> Vec<(String, Value)> {
    vec![
        event_schema::<ev::UserSignedUp>(),
        event_schema::<ev::SessionStarted>(),
        event_schema::<ev::SessionRevoked>(),
        event_schema::<ev::ProfileUpdated>(),
        event_schema::<ev::RolesChanged>(),
        event_schema::<ev::UserVerificationChanged>(),
        event_schema::<ev::TripPublished>(),
        event_schema::<ev::TripUnpublished>(),
        event_schema::<ev::TripCancelled>(),
        event_schema::<ev::VehicleVerificationChanged>(),
        event_schema::<ev::ShipmentCreated>(),
        event_schema::<ev::ItineraryRequested>(),
        event_schema::<ev::BookingAccepted>(),
        event_schema::<ev::BookingDeclined>(),
        event_schema::<ev::BookingExpired>(),
        event_schema::<ev::ItineraryAccepted>(),
        event_schema::<ev::ItineraryCancelled>(),
        event_schema::<ev::CapacityChanged>(),
        event_schema::<ev::ProviderEventReceived>(),
        event_schema::<ev::PaymentSucceeded>(),
        event_schema::<ev::PaymentFailed>(),
        event_schema::<ev::ItineraryConfirmed>(),
        event_schema::<ev::RefundIssued>(),
        event_schema::<ev::RefundSettled>(),
        event_schema::<ev::PaymentDisputed>(),
        event_schema::<ev::DisputeClosed>(),
        event_schema::<ev::BookingWithdrawn>(),
        event_schema::<ev::MessagePosted>(),
        event_schema::<ev::WebhookEndpointDisabled>(),
        event_schema::<ev::HandoffCompleted>(),
        event_schema::<ev::DeliveryCodeIssued>(),
        event_schema::<ev::DeliveryConfirmed>(),
        event_schema::<ev::DeliveryLocked>(),
        event_schema::<ev::HandoffMissed>(),
        event_schema::<ev::ShipmentIssueReported>(),
        event_schema::<ev::ParcelLocated>(),
        event_schema::<ev::PayoutSent>(),
        event_schema::<ev::PayoutReversed>(),
        event_schema::<ev::DocumentIssued>(),
    ]
}

/// Every generated file: (path under the project root, contents).
pub fn files() -> Vec<(PathBuf, String)> {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).expect("JSON") + "\n";
    let mut out = vec![(PathBuf::from("docs/openapi.json"), pretty(&openapi()))];
    for (name, schema) in event_schemas() {
        out.push((PathBuf::from(format!("events/schemas/{name}.json")), pretty(&schema)));
    }
    out
}

/// The generated files that differ from what is committed under `root`,
/// and committed schemas no event has any more.
pub fn stale(root: &Path) -> Vec<PathBuf> {
    let files = files();
    let mut out: Vec<PathBuf> = files
        .iter()
        .filter(|(p, text)| std::fs::read_to_string(root.join(p)).ok().as_deref() != Some(text.as_str()))
        .map(|(p, _)| p.clone())
        .collect();
    if let Ok(dir) = std::fs::read_dir(root.join("events/schemas")) {
        for e in dir.flatten() {
            let p = PathBuf::from("events/schemas").join(e.file_name());
            if !files.iter().any(|(f, _)| *f == p) {
                out.push(p);
            }
        }
    }
    out
}

/// Writes every generated file under `root` and removes schemas of events
/// that no longer exist.
pub fn write(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let changed = stale(root);
    for (p, text) in files() {
        std::fs::write(root.join(&p), text)?;
    }
    for p in &changed {
        if !files().iter().any(|(f, _)| f == p) {
            std::fs::remove_file(root.join(p))?;
        }
    }
    Ok(changed)
}
