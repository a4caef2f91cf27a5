//! PUT /me/notifications/read-all — marks every unread notification of the
//! caller read. Query (the sparse unread index, page by page) + one
//! TransactWriteItems per 100 notifications.
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::notify_records::{mark_read, InboxItem};
use handoff::platform::store::Query;
use serde::Serialize;

#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Marked {
    /// How many notifications were unread and are read now.
    pub marked: usize,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let table = ctx.table()?;
    let at = ctx.now_rfc3339();
    let mut marked = 0;
    // Each pass reads what is still unread: ids read meanwhile have left the index.
    for _ in 0..20 {
        let page = table
            .query::<InboxItem>(Query {
                index: Some("gsi2"),
                partition: keys::unread_of(&me.user_id),
                sort_prefix: None,
                forward: true,
                limit: 100,
                cursor: None,
            })
            .await?;
        if page.items.is_empty() {
            break;
        }
        let writes: Vec<_> = page.items.iter().map(|r| mark_read(&me.user_id, &r.data.notification_id, &at)).collect();
        marked += writes.len();
        table.transact(writes).await?;
        if page.next_cursor.is_none() {
            break;
        }
    }
    Ok(Reply::ok(&Marked { marked }))
}

pub fn operation() -> Operation {
    Operation::put("/me/notifications/read-all", "notifications", "Mark every notification read")
        .reply::<Marked>(200, "how many were marked read")
}
