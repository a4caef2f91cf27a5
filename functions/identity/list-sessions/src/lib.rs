//! GET /me/sessions — the caller's sessions, newest first, paginated. One Query.
use handoff::domain::session::{RevokeReason, SessionStatus};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::sessions::Session;
use handoff::platform::store::Query;

/// A session as its user sees it.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct SessionView {
    pub session_id: String,
    pub status: SessionStatus,
    pub created_at: String,
    pub last_used_at: String,
    /// Unix seconds.
    pub expires_at: i64,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
    pub revoked_reason: Option<RevokeReason>,
    /// The session of the token this request was made with.
    pub current: bool,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let (partition, prefix) = keys::sessions_of(&me.user_id);
    let page = ctx
        .table()?
        .query::<Session>(Query {
            index: None,
            partition,
            sort_prefix: Some(prefix.into()),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<_> = page
        .items
        .into_iter()
        .map(|r| {
            let s = r.data;
            SessionView {
                current: s.session_id == me.session_id,
                session_id: s.session_id,
                status: s.status,
                created_at: s.created_at,
                last_used_at: s.last_used_at,
                expires_at: s.expires_at,
                source_ip: s.source_ip,
                user_agent: s.user_agent,
                revoked_reason: s.revoked_reason,
            }
        })
        .collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/me/sessions", "identity", "The caller's sessions, newest first")
        .paged()
        .reply::<Page<SessionView>>(200, "a page of sessions")
}
