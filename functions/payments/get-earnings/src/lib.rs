//! GET /me/earnings — a traveler's earnings per currency, from the ledger:
//! pending (reserved in escrow for deliveries still to make), available
//! (delivered, not yet paid out) and paid out. One Query (the traveler's
//! payable accounts share a partition).
use handoff::domain::identity::Role;
use handoff::domain::ledger::AccountKind;
use handoff::domain::money::Currency;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Items, Operation, Problem, Reply};
use handoff::platform::payment_records::AccountRecord;
use handoff::platform::store::Query;
use serde::{Deserialize, Serialize};

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Earnings {
    pub currency: Currency,
    /// Minor units reserved for the traveler until delivery.
    pub pending: i64,
    /// Minor units earned (delivered) and not yet paid out.
    pub available: i64,
    /// Minor units paid out.
    pub paid_out: i64,
    /// The ledger account (`payable_traveler:<user>:<CUR>`).
    pub account_id: String,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Traveler)?;
    let page = ctx
        .table()?
        .query::<AccountRecord>(Query {
            index: None,
            partition: keys::ledger_partition(AccountKind::PayableTraveler.as_str(), &me.user_id),
            sort_prefix: None,
            forward: true,
            limit: 100,
            cursor: None,
        })
        .await?;
    let items: Vec<Earnings> = page
        .items
        .into_iter()
        .map(|r| {
            let b = r.data.balance;
            Earnings {
                account_id: r.data.id().to_string(),
                currency: r.data.currency,
                pending: b.credits_pending,
                available: b.credits_posted - b.debits_posted - b.debits_pending,
                paid_out: b.debits_posted,
            }
        })
        .collect();
    Ok(Reply::ok(&Items { items }))
}

pub fn operation() -> Operation {
    Operation::get("/me/earnings", "payments", "A traveler's earnings")
        .describe(
            "Per currency: `pending` is held in escrow until the traveler delivers, `available` is earned \
             and not yet paid out, `paid_out` has left for the traveler's account.",
        )
        .role(Role::Traveler)
        .reply::<Items<Earnings>>(200, "earnings per currency")
}
