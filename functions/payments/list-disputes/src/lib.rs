//! GET /admin/disputes?status=open|won|lost&limit=&cursor= — the cases
//! support works on: disputes of payments (chargebacks) by status (open by
//! default), newest first, with what each froze and, once lost, what the
//! escrow and the platform bore. Admin and support. One Query (gsi2).
use handoff::domain::disputes::{Dispute, DisputeStatus};
use handoff::domain::identity::Role;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    req.require_any_role(&[Role::Admin, Role::Support])?;
    let status = match req.query.get("status").map(|s| s.trim()) {
        None => DisputeStatus::Open,
        Some(s) => DisputeStatus::parse(s).ok_or_else(|| Problem::field("status", "must be open, won or lost"))?,
    };
    let (limit, cursor) = req.page()?;
    let page = ctx
        .table()?
        .query::<Dispute>(Query {
            index: Some("gsi2"),
            partition: keys::disputes_with(status.as_str()),
            sort_prefix: None,
            forward: false,
            limit,
            cursor,
        })
        .await?;
    Ok(Reply::ok(&Page {
        items: page.items.into_iter().map(|r| r.data).collect::<Vec<_>>(),
        next_cursor: page.next_cursor,
    }))
}

pub fn operation() -> Operation {
    Operation::get("/admin/disputes", "payments", "Disputes of payments (chargebacks), the cases support works on")
        .describe(
            "By status (`open` by default), newest first. An open dispute freezes what is left of its itinerary's \
             escrow; a lost one is booked on the ledger (the escrow first, then the platform). Admin and support.",
        )
        .any_role(&[Role::Admin, Role::Support])
        .query("status", "open (default), won or lost", json!({"type": "string", "enum": ["open", "won", "lost"]}))
        .paged()
        .reply::<Page<Dispute>>(200, "a page of disputes")
}
