//! The audit log: who did what, when, from where. One entry per event.
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct AuditEntry {
    pub event_id: String,
    pub occurred_at: String,
    pub source: String,
    pub action: String,
    /// Who did it: a user id, or `system`.
    pub actor: String,
    /// What it was done to, e.g. `user/<id>` or `session/<id>`.
    pub subject: Option<String>,
    pub source_ip: Option<String>,
    pub correlation_id: String,
    pub data: serde_json::Value,
}

/// The subject of an event, read from its data by convention
/// (`session_id` before `user_id`).
pub fn subject_of(data: &serde_json::Value) -> Option<String> {
    let get = |k: &str| data.get(k).and_then(|v| v.as_str()).map(str::to_string);
    get("session_id").map(|s| format!("session/{s}")).or_else(|| get("user_id").map(|u| format!("user/{u}")))
}

/// The day partition (`YYYY-MM-DD`) of an RFC 3339 timestamp: a real
/// calendar day (2026-13-45 is none).
pub fn day_of(occurred_at: &str) -> Option<&str> {
    let d = occurred_at.get(..10)?;
    let format = time::macros::format_description!("[year]-[month]-[day]");
    time::Date::parse(d, &format).ok().map(|_| d)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn subjects_and_days() {
        let d = serde_json::json!({"user_id": "u1", "session_id": "s1"});
        assert_eq!(subject_of(&d).as_deref(), Some("session/s1"));
        assert_eq!(subject_of(&serde_json::json!({"user_id": "u1"})).as_deref(), Some("user/u1"));
        assert_eq!(subject_of(&serde_json::json!({})), None);
        assert_eq!(day_of("2026-11-21T10:00:00Z"), Some("2026-11-21"));
        assert_eq!(day_of("nonsense"), None);
        assert_eq!(day_of("2026-13-45"), None);
        assert_eq!(day_of("2026-02-29"), None);
        assert_eq!(day_of("2028-02-29"), Some("2028-02-29"));
        assert_eq!(day_of("2026-1é-01"), None);
    }
}
