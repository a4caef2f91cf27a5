//! Every table key is built here and nowhere else. `docs/data-model.md`
//! lists these entities with their access patterns; keep the two in step.
use serde::{Deserialize, Serialize};

/// The primary key of an item in the single table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Key {
    pub pk: String,
    pub sk: String,
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
}
