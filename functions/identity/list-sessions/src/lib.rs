//! GET /me/sessions — the caller's sessions, newest first, paginated. One Query.
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Problem, Reply};
use handoff::platform::sessions::Session;
use handoff::platform::store::Query;
use serde_json::json;

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
            json!({
                "session_id": s.session_id, "status": s.status, "created_at": s.created_at, "last_used_at": s.last_used_at,
                "expires_at": s.expires_at, "source_ip": s.source_ip, "user_agent": s.user_agent,
                "revoked_reason": s.revoked_reason, "current": s.session_id == me.session_id,
            })
        })
        .collect();
    Ok(Reply::ok(&json!({"items": items, "next_cursor": page.next_cursor})))
}
