//! GET /admin/reconciliation/{day} — the reconciliation report of a day
//! (`YYYY-MM-DD`, UTC) for admins and support: how many charges, refunds and
//! transfers each side had and how many matched, and a line for each
//! mismatch (missing in the ledger, missing at the provider, amounts that
//! differ). The daily run makes it for the day before; POST runs it again.
//! 404 until a run has reconciled the day. GetItem.
use handoff::domain::identity::Role;
use handoff::domain::reconciliation::Report;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::reconciliation_records::{day_param, report};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    req.require_any_role(&[Role::Admin, Role::Support])?;
    let (day, _) = day_param(req)?;
    match report(ctx.table()?, day).await? {
        Some(r) => Ok(Reply::ok(&r)),
        None => Err(Problem::not_found("reconciliation")),
    }
}

pub fn operation() -> Operation {
    Operation::get("/admin/reconciliation/{day}", "payments", "The reconciliation report of a day")
        .describe(
            "`day` is YYYY-MM-DD (UTC). The day's Stripe charges, refunds and transfers matched one to one with the \
             ledger: counts per kind and one line per mismatch. Made by the daily run for the day before, or by \
             POST. Admin and support.",
        )
        .any_role(&[Role::Admin, Role::Support])
        .reply::<Report>(200, "the report")
        .problem(422, "validation-failed")
        .problem(404, "not-found")
}
