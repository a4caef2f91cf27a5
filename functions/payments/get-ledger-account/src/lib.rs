//! GET /admin/ledger/accounts/{id} — one ledger account (`kind:owner:CUR`,
//! such as `escrow:<itinerary>:EUR` or `revenue:platform:EUR`) for admins
//! and support: its four sums, its headroom under its constraint, and its
//! latest transfers both ways. Accounts need no opening: a well-formed id no
//! transfer has touched answers zeros; a malformed one 404. GetItem + Query gsi1 (debits) + Query gsi2 (credits).
use handoff::domain::identity::Role;
use handoff::domain::ledger::{AccountId, Balance, Constraint};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::payment_records::{AccountRecord, TransferRecord};
use handoff::platform::store::{Query, Record};
use serde::{Deserialize, Serialize};

/// Transfers shown each way.
const RECENT: i32 = 25;

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountView {
    pub account_id: String,
    #[serde(flatten)]
    pub account: AccountId,
    pub constraint: Constraint,
    #[serde(flatten)]
    pub balance: Balance,
    /// How much more may leave it under its constraint.
    pub headroom: i64,
    /// Its latest transfers (debits and credits), newest first.
    pub recent_transfers: Vec<TransferRecord>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    req.require_any_role(&[Role::Admin, Role::Support])?;
    let table = ctx.table()?;
    let id = AccountId::parse(req.path_param("id")?).ok_or_else(|| Problem::not_found("account"))?;
    // Accounts need no opening: one no transfer has touched holds zero.
    let stored: Option<Record<AccountRecord>> = table.get(&keys::ledger_account(&id), true).await?;
    let (balance, headroom) = stored.map_or((Balance::default(), 0), |s| (s.data.balance, s.data.headroom));
    let side = |index: &'static str| Query {
        index: Some(index),
        partition: keys::account_transfers(&id),
        sort_prefix: None,
        forward: false,
        limit: RECENT,
        cursor: None,
    };
    let (debits, credits) =
        tokio::join!(table.query::<TransferRecord>(side("gsi1")), table.query::<TransferRecord>(side("gsi2")));
    let mut recent: Vec<TransferRecord> = debits?.items.into_iter().chain(credits?.items).map(|r| r.data).collect();
    recent.sort_by(|a, b| (&b.transfer.at, &b.transfer.transfer_id).cmp(&(&a.transfer.at, &a.transfer.transfer_id)));
    recent.truncate(RECENT as usize);
    Ok(Reply::ok(&AccountView {
        account_id: id.to_string(),
        constraint: id.kind.constraint(),
        balance,
        headroom,
        account: id,
        recent_transfers: recent,
    }))
}

pub fn operation() -> Operation {
    Operation::get("/admin/ledger/accounts/{id}", "payments", "A ledger account")
        .describe(
            "`id` is `kind:owner:CUR`: kinds clearing, escrow, payable_traveler, payable_courier, revenue, \
             vat_payable, duties_payable, refunds; owner an itinerary, a user, or `platform`. Admin and support.",
        )
        .any_role(&[Role::Admin, Role::Support])
        .reply::<AccountView>(200, "the account")
}
