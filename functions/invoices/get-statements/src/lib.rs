//! GET /me/statements/{month} — the caller's earnings statements for a
//! month (`YYYY-MM`), one per currency they were paid in: every payout
//! sent to them that month, numbered STM-<year>-<n> without gaps, as PDF
//! behind a short-lived link. A closed month's statements are issued by
//! the monthly run, or here on first ask; an open month answers 409
//! `month-not-closed` until then. Query (statements) + Query (gsi2, the
//! month's sent payouts) + for a statement not yet issued: BatchGetItem
//! (account, user) + GetItem (counter) + TransactWriteItems + PutObject + PutItem.
use handoff::domain::identity::Role;
use handoff::domain::invoices::{is_closed, parse_month};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::invoice_records::{link_of, statements, Asked, DocumentLink, Seller};
use serde::Serialize;

#[derive(Serialize, schemars::JsonSchema)]
pub struct Statements {
    /// `YYYY-MM`.
    pub month: String,
    /// One per currency paid out that month (none: nothing was paid).
    pub items: Vec<DocumentLink>,
}

pub async fn handle(ctx: &Ctx<Seller>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_any_role(&[Role::Traveler, Role::Driver])?;
    let month = req.path_param("month")?;
    if parse_month(month).is_none() {
        return Err(Problem::field("month", "must be a month as YYYY-MM, such as 2026-10"));
    }
    let now = ctx.now_rfc3339();
    let closed = is_closed(month, &now);
    let (table, files) = (ctx.table()?, ctx.files()?);
    let asked = Asked { at: &now, issue_missing: closed, correlation_id: &req.correlation_id };
    let docs = statements(table, files, &ctx.config.0, &me.user_id, month, asked).await?;
    if !closed && docs.is_empty() {
        return Err(Problem::conflict(
            "month-not-closed",
            format!("{month} has not ended: its statement is issued once it has"),
        ));
    }
    let mut items = Vec::with_capacity(docs.len());
    for d in &docs {
        items.push(link_of(files, d).await?);
    }
    Ok(Reply::ok(&Statements { month: month.to_string(), items }))
}

pub fn operation() -> Operation {
    Operation::get("/me/statements/{month}", "invoices", "The caller's earnings statements for a month")
        .describe(
            "Travelers and couriers: one statement per currency paid out in `month` (YYYY-MM), listing each payout \
             sent that month, numbered STM-<year>-<n> without gaps; each with a presigned link to its PDF that works \
             for 15 minutes. Issued when the month has ended (by the monthly run, or on the first ask).",
        )
        .any_role(&[Role::Traveler, Role::Driver])
        .reply::<Statements>(200, "the month's statements")
        .problem(422, "validation-failed")
        .problem(409, "month-not-closed")
}
