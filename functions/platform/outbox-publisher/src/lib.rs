//! Moves outbox items from the table stream to the event bus. The logic
//! lives in the domain library ([`handoff::platform::publisher`]) so every
//! context's events take the same path.
pub use handoff::platform::publisher::{handle, Config};
