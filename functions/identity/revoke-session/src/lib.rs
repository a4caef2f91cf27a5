//! DELETE /me/sessions/{id} — ends one of the caller's sessions. Another
//! user's session id is simply not found (404). Revoking an ended session is
//! a no-op (204).
use handoff::domain::session::{RevokeReason, SessionStatus};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::sessions::{revoke_session, Session};
use handoff::platform::store::Record;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let id = req.path_param("id")?;
    if !is_session_id(id) {
        return Err(Problem::not_found("session"));
    }
    let session: Record<Session> =
        table.get(&keys::session(&me.user_id, id), true).await?.ok_or_else(|| Problem::not_found("session"))?;
    if session.data.status == SessionStatus::Revoked {
        return Ok(Reply::no_content());
    }
    Ok(Reply::no_content().writes(revoke_session(
        &me.user_id,
        id,
        RevokeReason::RevokedByUser,
        &req.correlation_id,
        req.actor(),
    )))
}

/// Session ids are UUIDs; anything else cannot name a session.
fn is_session_id(s: &str) -> bool {
    s.len() == 36 && s.chars().all(|c| c.is_ascii_hexdigit() || c == '-')
}

pub fn operation() -> Operation {
    Operation::delete("/me/sessions/{id}", "identity", "End one of the caller's sessions")
        .no_content("the session has ended (or had already)")
}
