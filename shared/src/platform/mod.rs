//! Adapters: everything that touches the outside world.
pub mod auth;
pub mod aws;
pub mod clock;
pub mod context;
pub mod contract;
pub mod crypto;
pub mod env;
pub mod envelope;
pub mod error;
pub mod lambda;
pub mod observability;

#[cfg(all(feature = "http", feature = "dynamodb"))]
pub mod booking_records;
#[cfg(feature = "consumer")]
pub mod consumer;
#[cfg(feature = "dynamodb")]
pub mod cursor;
#[cfg(all(feature = "http", feature = "dynamodb"))]
pub mod custody_records;
#[cfg(all(feature = "http", feature = "dynamodb", feature = "s3"))]
pub mod files;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "dynamodb")]
pub mod idempotency;
#[cfg(all(feature = "http", feature = "dynamodb", feature = "s3"))]
pub mod invoice_records;
#[cfg(feature = "live")]
pub mod live_records;
#[cfg(feature = "sesv2")]
pub mod mail;
#[cfg(all(feature = "http", feature = "dynamodb"))]
pub mod messaging_records;
#[cfg(feature = "dynamodb")]
pub mod notify_records;
#[cfg(feature = "notify")]
pub mod notify_send;
#[cfg(feature = "dynamodb")]
pub mod outbox;
#[cfg(all(feature = "http", feature = "dynamodb"))]
pub mod payment_records;
#[cfg(all(feature = "http", feature = "dynamodb"))]
pub mod payout_records;
#[cfg(feature = "publisher")]
pub mod publisher;
#[cfg(feature = "dynamodb")]
pub mod ratelimit;
#[cfg(all(feature = "http", feature = "dynamodb"))]
pub mod reconciliation_records;
#[cfg(feature = "dynamodb")]
pub mod sessions;
#[cfg(all(feature = "http", feature = "dynamodb", feature = "places"))]
pub mod shipment_records;
#[cfg(feature = "dynamodb")]
pub mod store;
pub mod stripe;
#[cfg(all(feature = "http", feature = "dynamodb", feature = "places"))]
pub mod trip_records;
#[cfg(all(feature = "webhooks", feature = "http"))]
pub mod webhook_records;
