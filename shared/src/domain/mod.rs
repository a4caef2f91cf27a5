//! Pure domain code: parse input once into types that cannot be invalid,
//! and state machines whose illegal transitions are typed errors.
pub mod audit;
pub mod bookings;
pub mod custody;
pub mod customs;
pub mod documents;
pub mod events;
pub mod geo;
pub mod identity;
pub mod invoices;
pub mod ledger;
pub mod live;
pub mod messaging;
pub mod money;
pub mod notify;
pub mod otp;
pub mod payments;
pub mod payouts;
pub mod places;
pub mod planner;
pub mod search;
pub mod session;
pub mod shipments;
pub mod trips;
pub mod validation;
pub mod vehicles;
pub mod webhooks;
