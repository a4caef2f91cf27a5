//! Handoff's domain library.
//!
//! - [`domain`]: types, rules and state machines. No AWS types, no I/O.
//! - [`keys`]: the one place where table keys are built.
//! - [`platform`]: the adapters (store, events, consumers, http, auth,
//!   observability, AWS clients with the call meter / fault injector).
pub mod domain;
pub mod keys;
pub mod platform;
