//! Writes every domain event it receives into the audit log: who did what,
//! when, from where. Idempotent by event id (the consumer helper's marker).
use handoff::domain::audit::{day_of, subject_of, AuditEntry};
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Envelope;
use handoff::platform::lambda::EventError;
use handoff::platform::store::{put, Record, WriteItem};

/// Audit entries are kept for a year.
pub const RETENTION_SECONDS: i64 = 365 * 24 * 3600;

pub fn entry(e: &Envelope) -> Result<Record<AuditEntry>, EventError> {
    let day = day_of(&e.occurred_at)
        .ok_or_else(|| EventError::Invalid(format!("event {} has no valid occurred_at", e.id)))?;
    let entry = AuditEntry {
        event_id: e.id.clone(),
        occurred_at: e.occurred_at.clone(),
        source: e.source.clone(),
        action: e.detail_type.clone(),
        actor: e.actor.id.clone(),
        subject: subject_of(&e.data),
        source_ip: e.actor.ip.clone(),
        correlation_id: e.correlation_id.clone(),
        data: e.data.clone(),
    };
    let occurred = time::OffsetDateTime::parse(&e.occurred_at, &time::format_description::well_known::Rfc3339)
        .map_err(|err| EventError::Invalid(format!("event {}: occurred_at: {err}", e.id)))?;
    Ok(Record::new(keys::audit(day, &e.occurred_at, &e.id), entity::AUDIT, entry)
        .gsi1(keys::audit_by_actor(&e.actor.id, &e.occurred_at, &e.id))
        .expires(occurred.unix_timestamp() + RETENTION_SECONDS))
}

pub async fn handle(_ctx: &Ctx, event: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    Ok(vec![put(&entry(event)?, None)])
}

#[cfg(test)]
mod tests {
    use super::*;
    use handoff::platform::envelope::Actor;

    #[test]
    fn entries_are_keyed_by_day_and_actor() {
        let e = Envelope {
            id: "e1".into(),
            source: "handoff.identity".into(),
            detail_type: "SessionStarted".into(),
            occurred_at: "2026-11-21T10:00:00.000Z".into(),
            schema_version: 1,
            correlation_id: "c1".into(),
            actor: Actor::user("u1", Some("10.0.0.1")),
            data: serde_json::json!({"user_id": "u1", "session_id": "s1"}),
        };
        let r = entry(&e).unwrap();
        assert_eq!(r.pk, "AUDIT#2026-11-21");
        assert_eq!(r.gsi1pk.as_deref(), Some("AUDIT#ACTOR#u1"));
        assert_eq!(r.data.subject.as_deref(), Some("session/s1"));
        assert_eq!(r.data.source_ip.as_deref(), Some("10.0.0.1"));
        let mut bad = e.clone();
        bad.occurred_at = "yesterday".into();
        assert!(entry(&bad).is_err());
    }
}
