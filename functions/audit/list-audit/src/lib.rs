//! GET /admin/audit — the audit log for admins and support, newest first,
//! paginated: one day (`?day=YYYY-MM-DD`, default today, UTC) or one actor
//! (`?actor=<user id>`, through gsi1). One Query.
use handoff::domain::audit::{day_of, AuditEntry};
use handoff::domain::identity::Role;
use handoff::domain::trips::Instant;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    req.require_any_role(&[Role::Admin, Role::Support])?;
    let (limit, cursor) = req.page()?;
    let query = match (req.query.get("actor"), req.query.get("day")) {
        (Some(_), Some(_)) => return Err(Problem::field("actor", "filter by actor or by day, not both")),
        (Some(actor), None) => Query {
            index: Some("gsi1"),
            partition: keys::audit_actor(actor),
            sort_prefix: None,
            forward: false,
            limit,
            cursor,
        },
        (None, day) => {
            let day = match day {
                Some(d) => day_of(d)
                    .filter(|x| x.len() == d.len())
                    .ok_or_else(|| Problem::field("day", "must be a date such as 2026-11-21"))?
                    .to_string(),
                // RFC 3339 begins with the date.
                None => Instant(ctx.now()).day(),
            };
            Query { index: None, partition: keys::audit_day(&day), sort_prefix: None, forward: false, limit, cursor }
        }
    };
    let page = table.query::<AuditEntry>(query).await?;
    let items: Vec<AuditEntry> = page.items.into_iter().map(|r| r.data).collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/admin/audit", "admin", "The audit log, newest first")
        .describe("One UTC day (default today) or one actor, not both.")
        .any_role(&[Role::Admin, Role::Support])
        .paged()
        .query("day", "a UTC day, YYYY-MM-DD", json!({"type": "string", "format": "date"}))
        .query("actor", "a user id", json!({"type": "string", "maxLength": 128}))
        .reply::<Page<AuditEntry>>(200, "a page of audit entries")
}
