//! GET /me/notifications?unread=true&limit=&cursor= — the caller's in-app
//! inbox, newest first, with the number of unread notifications. Two
//! Queries at once: the page (the user's partition, or the sparse unread
//! index with `unread=true`) and the unread count (Select COUNT on it).
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::notify_records::InboxItem;
use handoff::platform::store::Query;
use serde::Serialize;
use serde_json::json;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Inbox {
    pub items: Vec<InboxItem>,
    /// Pass as `cursor` to read the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Unread notifications in the whole inbox.
    pub unread: u64,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let unread_only = match req.query.get("unread").map(|s| s.trim()) {
        None | Some("false") => false,
        Some("true") => true,
        Some(_) => return Err(Problem::field("unread", "must be true or false")),
    };
    let table = ctx.table()?;
    let q = if unread_only {
        Query {
            index: Some("gsi2"),
            partition: keys::unread_of(&me.user_id),
            sort_prefix: None,
            forward: false,
            limit,
            cursor,
        }
    } else {
        let (pk, prefix) = keys::inbox_of(&me.user_id);
        Query { index: None, partition: pk, sort_prefix: Some(prefix.into()), forward: false, limit, cursor }
    };
    let (page, unread) = tokio::join!(table.query::<InboxItem>(q), table.count("gsi2", keys::unread_of(&me.user_id)));
    let page = page?;
    Ok(Reply::ok(&Inbox {
        items: page.items.into_iter().map(|r| r.data).collect(),
        next_cursor: page.next_cursor,
        unread: unread?,
    }))
}

pub fn operation() -> Operation {
    Operation::get("/me/notifications", "notifications", "The caller's in-app notifications, newest first")
        .paged()
        .query("unread", "only unread notifications", json!({"type": "boolean"}))
        .reply::<Inbox>(200, "a page of notifications and the unread count")
}
