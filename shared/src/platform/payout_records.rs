//! What the payout routes and consumers share: payout and payout-account
//! records with their indexes, the payouts a delivery creates, the payout
//! run (the daily schedule and the admins' route run the same code), and
//! the provider's settings for payouts.
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::store::{put_new, put_versioned, record, Record, StoreError, Table};
use crate::domain::identity::User;
use crate::domain::payouts::{readiness, Held, Payout, PayoutAccount, PayoutStatus};
use crate::keys::{self, entity};

/// A payout as stored: listed by payee (gsi1); on gsi2 while due (the payout run) and once sent (its month's statement).
pub fn payout_record(p: &Payout) -> Record<Payout> {
    // Due: waiting for the payout run; sent: listed in its month's statement.
    let index = match (&p.status, &p.sent_at) {
        (PayoutStatus::Due, _) => Some(keys::due_payout(&p.payee_id, p.currency.as_str(), &p.created_at, &p.payout_id)),
        (_, Some(sent)) => Some(keys::sent_payout(
            sent.get(..7).unwrap_or_default(),
            &p.payee_id,
            p.currency.as_str(),
            sent,
            &p.payout_id,
        )),
        _ => None,
    };
    Record::new(keys::payout(&p.payout_id), entity::PAYOUT, p.clone())
        .gsi1(keys::payouts_of(&p.payee_id, &p.created_at, &p.payout_id))
        .gsi2(index)
}

/// A new payout (refused if it exists: a release retried creates nothing twice).
pub fn payout_new(p: &Payout) -> TransactWriteItem {
    put_new(&payout_record(p))
}

/// The payout's next version.
pub fn payout_next(current: &Record<Payout>, p: &Payout) -> TransactWriteItem {
    let mut r = payout_record(p);
    r.version = current.version + 1;
    put_versioned(&r)
}

/// A payout account as stored (in its user's partition).
pub fn account_record(a: &PayoutAccount) -> Record<PayoutAccount> {
    Record::new(keys::payout_account(&a.user_id), entity::PAYOUT_ACCOUNT, a.clone())
}

/// A payee's connected account and their user, in one BatchGetItem.
pub async fn account_and_user(
    table: &Table,
    user_id: &str,
) -> Result<(Option<Record<PayoutAccount>>, Option<Record<User>>), StoreError> {
    let mut found = table.get_many(&[keys::payout_account(user_id), keys::user(user_id)], true).await?;
    Ok((record(found[0].take())?, record(found[1].take())?))
}

/// A payee's payout account as they see it.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PayoutAccountView {
    #[serde(flatten)]
    pub account: PayoutAccount,
    /// Payouts also need the payee's identity verified by the platform.
    pub identity_verified: bool,
    /// Payouts can go now: the provider enabled them and the identity is verified.
    pub can_receive_payouts: bool,
    /// Where to finish (or update) the provider's onboarding: open it in a browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub onboarding: Option<Onboarding>,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Onboarding {
    /// Single use; opens the provider's onboarding, which returns to the app.
    pub url: String,
    /// Unix seconds: ask again for a fresh link after this.
    pub expires_at: i64,
}

impl PayoutAccountView {
    pub fn new(account: PayoutAccount, user: Option<&User>, onboarding: Option<Onboarding>) -> Self {
        let ready = readiness(Some(&account), user).is_ok();
        let identity_verified = user.is_some_and(|u| u.verification == crate::domain::identity::Verification::Verified);
        Self { account, identity_verified, can_receive_payouts: ready, onboarding }
    }
}

/// What one payout run did.
#[derive(Debug, Default, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RunReport {
    /// Payees (per currency) whose due total reached the minimum.
    pub payees: usize,
    /// Payees (per currency) whose due total is below the minimum: they wait.
    pub below_minimum: usize,
    /// Payees held, and why.
    pub held: Vec<HeldPayee>,
    /// Payouts transferred by this run.
    pub sent: Vec<String>,
    /// Payouts the provider refused (tried again next run).
    pub refused: usize,
    /// Payouts that failed for now (the provider or the table was unavailable).
    pub failed: usize,
    /// The run stopped at its time budget with payees left for the next one.
    pub unfinished: bool,
}

#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct HeldPayee {
    pub payee_id: String,
    pub reason: Held,
}

#[cfg(feature = "stripe")]
pub use run::{run, PayoutConfig};

#[cfg(feature = "stripe")]
mod run {
    use super::*;
    use crate::domain::events::PayoutSent;
    use crate::domain::money::Money;
    use crate::domain::payouts::group_due;
    use crate::platform::env::{ConfigError, Env};
    use crate::platform::envelope::Actor;
    use crate::platform::outbox;
    use crate::platform::payment_records::ledger_writes;
    use crate::platform::stripe::{Client, NewTransfer};
    use std::time::{Duration, Instant};

    /// How much of the due index one run reads.
    const DUE_LIMIT: i32 = 1000;

    /// The provider for payouts: the client, the minimum due total (minor
    /// units) a payee is paid from, and where the provider's onboarding
    /// sends the payee back.
    pub struct PayoutConfig {
        pub stripe: Client,
        pub minimum: i64,
        pub return_url: String,
        pub refresh_url: String,
    }

    impl crate::platform::context::FromEnv for PayoutConfig {
        fn from_env(env: &Env) -> Result<Self, ConfigError> {
            let minimum: i64 = env.get("PAYOUT_MINIMUM").map_or(Ok(1000), |_| env.parse("PAYOUT_MINIMUM"))?;
            if minimum < 1 {
                return Err(Env::invalid("PAYOUT_MINIMUM", "must be at least 1"));
            }
            Ok(Self {
                stripe: Client::from_env(env)?,
                minimum,
                return_url: env.require("PAYOUT_RETURN_URL")?,
                refresh_url: env.require("PAYOUT_REFRESH_URL")?,
            })
        }
    }

    /// Sends every due payout that can go now: per payee and currency at or
    /// above the minimum, with an enabled account and a verified identity.
    /// Stops starting payees after `budget`. A payout is written sent with
    /// its ledger transfer and PayoutSent in one transaction after the
    /// provider's answer; a transfer whose write failed is asked again
    /// under the same idempotency key by the next run and answered with the
    /// same transfer.
    ///
    /// Boxed (a trait object): the transfers' futures nest deep enough to
    /// overflow the compiler's layout queries in the functions that await it.
    pub fn run<'a>(
        table: &'a Table,
        cfg: &'a PayoutConfig,
        at: &'a str,
        budget: Duration,
        correlation_id: &'a str,
    ) -> futures::future::BoxFuture<'a, Result<RunReport, StoreError>> {
        Box::pin(run_all(table, cfg, at, budget, correlation_id))
    }

    async fn run_all(
        table: &Table,
        cfg: &PayoutConfig,
        at: &str,
        budget: Duration,
        correlation_id: &str,
    ) -> Result<RunReport, StoreError> {
        let started = Instant::now();
        let due = table.query_until::<Payout>("gsi2", keys::due_payouts().into(), "~", DUE_LIMIT).await?;
        let (groups, below) = group_due(due.into_iter().map(|r| r.data).collect(), cfg.minimum);
        let mut report = RunReport { payees: groups.len(), below_minimum: below, ..Default::default() };
        for g in groups {
            if started.elapsed() > budget {
                report.unfinished = true;
                break;
            }
            let (account, user) = account_and_user(table, &g.payee_id).await?;
            let account = match readiness(account.as_ref().map(|a| &a.data), user.as_ref().map(|u| &u.data)) {
                Ok(()) => account.expect("ready means an account").data,
                Err(reason) => {
                    report.held.push(HeldPayee { payee_id: g.payee_id.clone(), reason });
                    continue;
                }
            };
            // The index may lag: each payout is read again before it is sent.
            let ids: Vec<keys::Key> = g.payouts.iter().map(|p| keys::payout(&p.payout_id)).collect();
            for item in table.get_many(&ids, true).await? {
                let Some(current) = record::<Payout>(item)? else { continue };
                if current.data.status != PayoutStatus::Due {
                    continue;
                }
                send(table, cfg, &account, &current, at, correlation_id, &mut report).await?;
            }
        }
        tracing::info!(
            payees = report.payees,
            sent = report.sent.len(),
            refused = report.refused,
            failed = report.failed,
            held = report.held.len(),
            "payout run"
        );
        Ok(report)
    }

    async fn send(
        table: &Table,
        cfg: &PayoutConfig,
        account: &PayoutAccount,
        current: &Record<Payout>,
        at: &str,
        correlation_id: &str,
        report: &mut RunReport,
    ) -> Result<(), StoreError> {
        let p = &current.data;
        let t = NewTransfer {
            amount: p.amount,
            currency: &p.currency,
            destination: &account.account_id,
            itinerary_id: &p.itinerary_id,
            source_charge: p.charge_id.as_deref(),
            payout_id: &p.payout_id,
        };
        let mut next = p.clone();
        next.updated_at = at.into();
        let writes = match cfg.stripe.create_transfer(&t, &p.idempotency_key()).await {
            Ok(tr) => {
                next.status = PayoutStatus::Sent;
                next.transfer_id = Some(tr.id.clone());
                next.sent_at = Some(at.into());
                next.last_error = None;
                let mut writes = vec![payout_next(current, &next)];
                match ledger_writes(&[next.sent_transfer(at)], &[]) {
                    Ok(w) => writes.extend(w),
                    Err(e) => {
                        tracing::error!(payout = %p.payout_id, error = %e, "a payout the ledger refuses");
                        report.failed += 1;
                        return Ok(());
                    }
                }
                let sent = PayoutSent {
                    payout_id: p.payout_id.clone(),
                    payee_id: p.payee_id.clone(),
                    itinerary_id: p.itinerary_id.clone(),
                    amount: Money { amount: p.amount, currency: p.currency.clone() },
                    transfer_id: tr.id,
                };
                writes.push(outbox::event(&sent, correlation_id, Actor::system()));
                writes
            }
            Err(e) if e.is_refusal() => {
                tracing::warn!(payout = %p.payout_id, error = %e, "the provider refused a payout");
                next.refusals += 1;
                next.last_error = Some(e.to_string());
                report.refused += 1;
                vec![payout_next(current, &next)]
            }
            Err(e) => {
                tracing::warn!(payout = %p.payout_id, error = %e, "a payout failed for now");
                next.last_error = Some(e.to_string());
                report.failed += 1;
                vec![payout_next(current, &next)]
            }
        };
        let sent = next.status == PayoutStatus::Sent;
        match table.transact(writes).await {
            Ok(()) if sent => report.sent.push(p.payout_id.clone()),
            Ok(()) => {}
            // Another run wrote it first (the same transfer, by the same key);
            // or, never expected, the payable no longer holds the amount.
            Err(StoreError::ConditionFailed { .. }) => {
                tracing::warn!(payout = %p.payout_id, "the payout or its payable changed meanwhile");
            }
            Err(e) if sent => {
                // The transfer is made; the next run asks again under the same key.
                tracing::warn!(payout = %p.payout_id, error = %e, "a sent payout not yet written");
                report.failed += 1;
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}
