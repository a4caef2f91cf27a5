//! The ledger: double-entry and two-phase, modelled on TigerBeetle.
//!
//! Money is held on accounts; it moves only by transfers, each debiting one
//! account and crediting another by the same amount in the same currency,
//! so the sum of all balances is always zero. Transfers are immutable and
//! carry ids chosen by the caller (derived from what caused them), so a
//! retried write is refused as a duplicate and changes nothing. A pending
//! transfer reserves an amount (escrow promised to a traveler); it is later
//! posted (delivered: the money is theirs) or voided (cancelled: the money is
//! back in escrow). Accounts that must not go negative carry a constraint,
//! checked on the account's headroom in the same transaction as the transfer.
//!
//! This module is the rules (what a batch of transfers does to balances,
//! and whether it is allowed); `platform::ledger` writes them to the table,
//! and [`Ledger`] applies them in memory (the property tests).
use crate::domain::money::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    /// Money at the payment provider (an asset): debited by payments, credited by refunds.
    Clearing,
    /// One itinerary's money, held until delivery or cancellation.
    Escrow,
    /// What the platform owes a traveler.
    PayableTraveler,
    /// What the platform owes a courier.
    PayableCourier,
    /// The platform's fees, net of VAT.
    Revenue,
    /// VAT collected on the platform fee.
    VatPayable,
    /// Duties and import taxes collected for DDP shipments.
    DutiesPayable,
    /// Refunds requested from the provider and not yet confirmed.
    Refunds,
    /// What lost disputes cost the platform beyond the escrow (an expense).
    DisputeLosses,
}

pub const ACCOUNT_KINDS: [AccountKind; 9] = [
    AccountKind::Clearing,
    AccountKind::Escrow,
    AccountKind::PayableTraveler,
    AccountKind::PayableCourier,
    AccountKind::Revenue,
    AccountKind::VatPayable,
    AccountKind::DutiesPayable,
    AccountKind::Refunds,
    AccountKind::DisputeLosses,
];

impl AccountKind {
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::Clearing => "clearing",
            AccountKind::Escrow => "escrow",
            AccountKind::PayableTraveler => "payable_traveler",
            AccountKind::PayableCourier => "payable_courier",
            AccountKind::Revenue => "revenue",
            AccountKind::VatPayable => "vat_payable",
            AccountKind::DutiesPayable => "duties_payable",
            AccountKind::Refunds => "refunds",
            AccountKind::DisputeLosses => "dispute_losses",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        ACCOUNT_KINDS.into_iter().find(|k| k.as_str() == s)
    }
    /// The balance constraint of accounts of this kind.
    pub fn constraint(self) -> Constraint {
        match self {
            // Money out of the provider never exceeds money in; losses are only debited.
            AccountKind::Clearing | AccountKind::DisputeLosses => Constraint::CreditsMustNotExceedDebits,
            _ => Constraint::DebitsMustNotExceedCredits,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// A liability: what is paid out (posted or pending) never exceeds what came in (posted).
    DebitsMustNotExceedCredits,
    /// An asset: what goes out (posted or pending) never exceeds what came in (posted).
    CreditsMustNotExceedDebits,
}

/// An account: its kind, whom it is for (an itinerary, a user, or
/// `platform`) and its currency. Written `kind:owner:CUR`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountId {
    pub kind: AccountKind,
    pub owner: String,
    pub currency: Currency,
}

pub const PLATFORM: &str = "platform";

impl AccountId {
    pub fn new(kind: AccountKind, owner: &str, currency: &Currency) -> Self {
        Self { kind, owner: owner.into(), currency: currency.clone() }
    }
    pub fn platform(kind: AccountKind, currency: &Currency) -> Self {
        Self::new(kind, PLATFORM, currency)
    }
    pub fn parse(s: &str) -> Option<Self> {
        let mut p = s.splitn(3, ':');
        let kind = AccountKind::parse(p.next()?)?;
        let owner = p.next().filter(|o| !o.is_empty() && o.len() <= 100)?;
        let currency = Currency::parse(p.next()?).ok()?;
        Some(Self::new(kind, owner, &currency))
    }
}

impl std::fmt::Display for AccountId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.kind.as_str(), self.owner, self.currency.as_str())
    }
}

/// An account's four sums, as TigerBeetle keeps them (minor units).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Balance {
    pub debits_pending: i64,
    pub debits_posted: i64,
    pub credits_pending: i64,
    pub credits_posted: i64,
}

impl Balance {
    /// How much more may leave the account under its constraint.
    pub fn headroom(&self, c: Constraint) -> i64 {
        match c {
            Constraint::DebitsMustNotExceedCredits => self.credits_posted - self.debits_posted - self.debits_pending,
            Constraint::CreditsMustNotExceedDebits => self.debits_posted - self.credits_posted - self.credits_pending,
        }
    }
    /// Credits minus debits, posted only.
    pub fn net_posted(&self) -> i64 {
        self.credits_posted - self.debits_posted
    }
    fn add(&mut self, d: &Balance) {
        self.debits_pending += d.debits_pending;
        self.debits_posted += d.debits_posted;
        self.credits_pending += d.credits_pending;
        self.credits_posted += d.credits_posted;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferCode {
    /// The sender's payment arrives in escrow.
    Payment,
    /// A traveler's or courier's share, reserved in escrow.
    Share,
    /// The platform fee (net of VAT), insurance and handling.
    Fee,
    /// VAT on the platform fee.
    Vat,
    /// Duties and taxes collected for DDP.
    Duties,
    /// What a cancellation leaves the platform under the cancellation policy.
    Retained,
    /// A refund requested from the provider.
    Refund,
    /// The provider confirmed the refund.
    RefundSettled,
    /// A payee's share sent to their connected account.
    Payout,
    /// A payout reversed at the provider: back to the payee's payable.
    PayoutReversed,
    /// A lost dispute: the bank took the money back from the provider's balance.
    DisputeLost,
}

/// What a transfer does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Phase {
    /// Moves the amount now.
    Posted,
    /// Reserves the amount, to be posted or voided later.
    Pending,
    /// Moves what the pending transfer `pending_id` reserved.
    PostPending { pending_id: String },
    /// Releases what the pending transfer `pending_id` reserved.
    VoidPending { pending_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Transfer {
    /// Chosen by the caller from what caused it: the same cause, the same id.
    pub transfer_id: String,
    pub debit: AccountId,
    pub credit: AccountId,
    /// Minor units, > 0.
    pub amount: i64,
    pub currency: Currency,
    pub phase: Phase,
    pub code: TransferCode,
    pub itinerary_id: String,
    pub at: String,
    /// The payment provider's object the transfer books, for transfers of
    /// the clearing account: the charge (a payment, a settled refund) or
    /// the transfer (a payout, a reversal). What the reconciliation matches.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
}

/// Where a pending transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PendingState {
    Pending,
    Posted,
    Voided,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("transfer {0}: the amount must be positive")]
    AmountNotPositive(String),
    #[error("transfer {0}: both accounts and the transfer must have the same currency")]
    CurrencyMismatch(String),
    #[error("transfer {0}: debits and credits the same account")]
    SameAccount(String),
    #[error("transfer {0} exists")]
    Exists(String),
    #[error("transfer {0} exists with other fields")]
    ExistsWithDifferentFields(String),
    #[error("transfer {0}: the pending transfer {1} is not known")]
    PendingNotFound(String, String),
    #[error("transfer {0}: the pending transfer {1} was already posted or voided")]
    PendingClosed(String, String),
    #[error("transfer {0}: it must post or void the pending transfer {1} exactly")]
    PendingMismatch(String, String),
    #[error("account {0} would exceed its constraint")]
    ExceedsConstraint(String),
}

/// What a batch of transfers does: each account's change, and the pending
/// transfers it closes. A batch is atomic: all of it or none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plan {
    pub changes: BTreeMap<AccountId, Balance>,
    /// Pending transfer id → its new state.
    pub closes: BTreeMap<String, PendingState>,
}

impl Plan {
    /// The least headroom an account needs before the batch (its headroom
    /// must stay ≥ 0 after it); 0 when the batch adds headroom.
    pub fn needs(&self, account: &AccountId) -> i64 {
        let d = self.changes.get(account).copied().unwrap_or_default();
        (-d.headroom(account.kind.constraint())).max(0)
    }
}

/// Works out what `batch` does, given the pending transfers it posts or
/// voids (`pending`: id → the transfer and its state). Checks every rule
/// that does not depend on balances; the constraints are checked against
/// the balances by whoever applies the plan ([`Ledger::apply`] in memory,
/// a condition on each account's headroom in the table).
pub fn plan(batch: &[Transfer], pending: &BTreeMap<String, (Transfer, PendingState)>) -> Result<Plan, LedgerError> {
    let mut p = Plan::default();
    for t in batch {
        let id = || t.transfer_id.clone();
        if t.amount <= 0 {
            return Err(LedgerError::AmountNotPositive(id()));
        }
        if t.debit.currency != t.currency || t.credit.currency != t.currency {
            return Err(LedgerError::CurrencyMismatch(id()));
        }
        if t.debit == t.credit {
            return Err(LedgerError::SameAccount(id()));
        }
        let (mut d, mut c) = (Balance::default(), Balance::default());
        match &t.phase {
            Phase::Posted => {
                d.debits_posted = t.amount;
                c.credits_posted = t.amount;
            }
            Phase::Pending => {
                d.debits_pending = t.amount;
                c.credits_pending = t.amount;
            }
            Phase::PostPending { pending_id } | Phase::VoidPending { pending_id } => {
                let (orig, state) =
                    pending.get(pending_id).ok_or_else(|| LedgerError::PendingNotFound(id(), pending_id.clone()))?;
                if *state != PendingState::Pending || p.closes.contains_key(pending_id) {
                    return Err(LedgerError::PendingClosed(id(), pending_id.clone()));
                }
                if orig.phase != Phase::Pending
                    || orig.debit != t.debit
                    || orig.credit != t.credit
                    || orig.amount != t.amount
                {
                    return Err(LedgerError::PendingMismatch(id(), pending_id.clone()));
                }
                d.debits_pending = -t.amount;
                c.credits_pending = -t.amount;
                if matches!(t.phase, Phase::PostPending { .. }) {
                    d.debits_posted = t.amount;
                    c.credits_posted = t.amount;
                    p.closes.insert(pending_id.clone(), PendingState::Posted);
                } else {
                    p.closes.insert(pending_id.clone(), PendingState::Voided);
                }
            }
        }
        p.changes.entry(t.debit.clone()).or_default().add(&d);
        p.changes.entry(t.credit.clone()).or_default().add(&c);
    }
    Ok(p)
}

/// The ledger in memory: the same rules, for tests and property tests.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    pub accounts: BTreeMap<AccountId, Balance>,
    pub transfers: BTreeMap<String, Transfer>,
    pub pending: BTreeMap<String, PendingState>,
}

impl Ledger {
    /// Applies a batch atomically. A batch whose transfers all exist, equal,
    /// is a retry: Ok and nothing changes.
    pub fn apply(&mut self, batch: &[Transfer]) -> Result<bool, LedgerError> {
        let mut fresh = Vec::new();
        for t in batch {
            match self.transfers.get(&t.transfer_id) {
                Some(e) if e == t => {}
                Some(_) => return Err(LedgerError::ExistsWithDifferentFields(t.transfer_id.clone())),
                None => fresh.push(t.clone()),
            }
        }
        if fresh.is_empty() {
            return Ok(false);
        }
        if fresh.len() != batch.len() {
            return Err(LedgerError::Exists(batch[0].transfer_id.clone()));
        }
        let pending: BTreeMap<String, (Transfer, PendingState)> =
            self.pending.iter().map(|(id, s)| (id.clone(), (self.transfers[id].clone(), *s))).collect();
        let p = plan(&fresh, &pending)?;
        for a in p.changes.keys() {
            let have = self.accounts.get(a).copied().unwrap_or_default().headroom(a.kind.constraint());
            if have < p.needs(a) {
                return Err(LedgerError::ExceedsConstraint(a.to_string()));
            }
        }
        for (a, d) in &p.changes {
            self.accounts.entry(a.clone()).or_default().add(d);
        }
        for (id, s) in p.closes {
            self.pending.insert(id, s);
        }
        for t in fresh {
            if t.phase == Phase::Pending {
                self.pending.insert(t.transfer_id.clone(), PendingState::Pending);
            }
            self.transfers.insert(t.transfer_id.clone(), t);
        }
        Ok(true)
    }

    /// Debits equal credits: in each currency, the posted and the pending
    /// sums over all accounts are equal.
    pub fn balanced(&self) -> bool {
        let mut sums: BTreeMap<&Currency, (i64, i64, i64, i64)> = BTreeMap::new();
        for (a, b) in &self.accounts {
            let s = sums.entry(&a.currency).or_default();
            s.0 += b.debits_posted;
            s.1 += b.credits_posted;
            s.2 += b.debits_pending;
            s.3 += b.credits_pending;
        }
        sums.values().all(|s| s.0 == s.1 && s.2 == s.3)
    }

    /// Every constrained account within its constraint.
    pub fn within_constraints(&self) -> bool {
        self.accounts.iter().all(|(a, b)| b.headroom(a.kind.constraint()) >= 0)
    }
}

/// What the scheduled check of the ledger found wrong.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Breach {
    /// An account, or a currency for the sums over all accounts.
    pub subject: String,
    pub what: String,
}

/// Checks stored account sums against the transfers that made them: in each
/// currency debits equal credits (posted and pending); every account holds
/// exactly what its transfers add up to (for an itinerary's escrow: what was
/// paid in, less what was released to payees, retained and refunded); no
/// constrained account is beyond its constraint; no headroom disagrees.
pub fn check(accounts: &[(AccountId, Balance, i64)], transfers: &[Transfer]) -> Vec<Breach> {
    let mut breaches = Vec::new();
    let mut expected: BTreeMap<AccountId, Balance> = BTreeMap::new();
    for t in transfers {
        let amount = t.amount;
        let (mut d, mut c) = (Balance::default(), Balance::default());
        match t.phase {
            Phase::Posted => {
                d.debits_posted = amount;
                c.credits_posted = amount;
            }
            Phase::Pending => {
                d.debits_pending = amount;
                c.credits_pending = amount;
            }
            Phase::PostPending { .. } => {
                d.debits_pending = -amount;
                c.credits_pending = -amount;
                d.debits_posted = amount;
                c.credits_posted = amount;
            }
            Phase::VoidPending { .. } => {
                d.debits_pending = -amount;
                c.credits_pending = -amount;
            }
        }
        expected.entry(t.debit.clone()).or_default().add(&d);
        expected.entry(t.credit.clone()).or_default().add(&c);
    }
    let mut sums: BTreeMap<&Currency, Balance> = BTreeMap::new();
    for (a, b, headroom) in accounts {
        let s = sums.entry(&a.currency).or_default();
        s.add(b);
        let want = expected.remove(a).unwrap_or_default();
        if want != *b {
            breaches.push(Breach {
                subject: a.to_string(),
                what: format!("holds {b:?}, its transfers add up to {want:?}"),
            });
        }
        if b.headroom(a.kind.constraint()) != *headroom {
            breaches
                .push(Breach { subject: a.to_string(), what: format!("headroom {headroom} disagrees with its sums") });
        }
        if *headroom < 0 {
            breaches.push(Breach { subject: a.to_string(), what: format!("beyond its constraint by {}", -headroom) });
        }
    }
    for (a, want) in expected {
        if want != Balance::default() {
            breaches
                .push(Breach { subject: a.to_string(), what: "transfers name an account that is not stored".into() });
        }
    }
    for (cur, s) in sums {
        if s.debits_posted != s.credits_posted || s.debits_pending != s.credits_pending {
            breaches.push(Breach { subject: cur.as_str().into(), what: format!("debits and credits differ: {s:?}") });
        }
    }
    breaches
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }
    fn t(id: &str, debit: &AccountId, credit: &AccountId, amount: i64, phase: Phase) -> Transfer {
        Transfer {
            transfer_id: id.into(),
            debit: debit.clone(),
            credit: credit.clone(),
            amount,
            currency: eur(),
            phase,
            code: TransferCode::Payment,
            itinerary_id: "it".into(),
            at: "2026-11-21T00:00:00Z".into(),
            reference: None,
        }
    }

    #[test]
    fn escrow_cannot_pay_out_more_than_it_holds() {
        let clearing = AccountId::platform(AccountKind::Clearing, &eur());
        let escrow = AccountId::new(AccountKind::Escrow, "it", &eur());
        let traveler = AccountId::new(AccountKind::PayableTraveler, "u1", &eur());
        let mut l = Ledger::default();
        // Nothing in escrow yet: a pending share is refused.
        let share = t("it.share.0", &escrow, &traveler, 800, Phase::Pending);
        assert_eq!(l.apply(std::slice::from_ref(&share)), Err(LedgerError::ExceedsConstraint(escrow.to_string())));
        // Payment and share in one batch: allowed (headroom checked after the batch).
        let pay = t("it.payment", &clearing, &escrow, 1000, Phase::Posted);
        assert_eq!(l.apply(&[pay.clone(), share.clone()]), Ok(true));
        assert_eq!(l.accounts[&escrow].headroom(Constraint::DebitsMustNotExceedCredits), 200);
        // A retry changes nothing.
        assert_eq!(l.apply(&[pay.clone(), share.clone()]), Ok(false));
        // Another share of 300 would exceed what is left.
        let more = t("it.share.1", &escrow, &traveler, 300, Phase::Pending);
        assert!(l.apply(&[more]).is_err());
        // Void, then post the same pending: the second is refused.
        let void = t("it.void.0", &escrow, &traveler, 800, Phase::VoidPending { pending_id: "it.share.0".into() });
        assert_eq!(l.apply(&[void]), Ok(true));
        let post = t("it.post.0", &escrow, &traveler, 800, Phase::PostPending { pending_id: "it.share.0".into() });
        assert_eq!(l.apply(&[post]), Err(LedgerError::PendingClosed("it.post.0".into(), "it.share.0".into())));
        assert!(l.balanced() && l.within_constraints());
        assert_eq!(l.accounts[&traveler], Balance::default());
    }

    #[test]
    fn the_check_finds_an_edited_account() {
        let clearing = AccountId::platform(AccountKind::Clearing, &eur());
        let escrow = AccountId::new(AccountKind::Escrow, "it", &eur());
        let mut l = Ledger::default();
        let pay = t("it.payment", &clearing, &escrow, 1000, Phase::Posted);
        l.apply(std::slice::from_ref(&pay)).unwrap();
        let stored = |l: &Ledger| -> Vec<(AccountId, Balance, i64)> {
            l.accounts.iter().map(|(a, b)| (a.clone(), *b, b.headroom(a.kind.constraint()))).collect()
        };
        assert_eq!(check(&stored(&l), std::slice::from_ref(&pay)), vec![]);
        l.accounts.get_mut(&escrow).unwrap().credits_posted = 900;
        let found = check(&stored(&l), &[pay]);
        assert!(found.iter().any(|b| b.subject == escrow.to_string()), "{found:?}");
        assert!(found.iter().any(|b| b.subject == "EUR"), "{found:?}");
    }

    #[test]
    fn account_ids_round_trip() {
        let a = AccountId::new(AccountKind::PayableTraveler, "01HX", &eur());
        assert_eq!(a.to_string(), "payable_traveler:01HX:EUR");
        assert_eq!(AccountId::parse(&a.to_string()), Some(a));
        assert_eq!(AccountId::parse("escrow::EUR"), None);
        assert_eq!(AccountId::parse("nope:x:EUR"), None);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Pay(usize, i64),
        Share(usize, usize, i64),
        Post(usize),
        Void(usize),
        Refund(usize, i64),
        Retry(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (0..4usize, 1..5_000i64).prop_map(|(i, a)| Op::Pay(i, a)),
            (0..4usize, 0..3usize, 1..3_000i64).prop_map(|(i, u, a)| Op::Share(i, u, a)),
            (0..40usize).prop_map(Op::Post),
            (0..40usize).prop_map(Op::Void),
            (0..4usize, 1..5_000i64).prop_map(|(i, a)| Op::Refund(i, a)),
            (0..40usize).prop_map(Op::Retry),
        ]
    }

    proptest! {
        /// Random payments, shares, posts, voids and refunds, with retries:
        /// debits equal credits, no constrained account below zero, and a
        /// replayed batch changes nothing.
        #[test]
        fn the_ledger_stays_balanced(ops in proptest::collection::vec(op(), 1..80)) {
            let clearing = AccountId::platform(AccountKind::Clearing, &eur());
            let refunds = AccountId::platform(AccountKind::Refunds, &eur());
            let escrow = |i: usize| AccountId::new(AccountKind::Escrow, &format!("it{i}"), &eur());
            let payee = |u: usize| AccountId::new(AccountKind::PayableTraveler, &format!("u{u}"), &eur());
            let mut l = Ledger::default();
            let mut done: Vec<Vec<Transfer>> = Vec::new();
            let mut shares: Vec<Transfer> = Vec::new();
            for (n, o) in ops.into_iter().enumerate() {
                let batch = match o {
                    Op::Pay(i, a) => vec![t(&format!("p{n}"), &clearing, &escrow(i), a, Phase::Posted)],
                    Op::Share(i, u, a) => vec![t(&format!("s{n}"), &escrow(i), &payee(u), a, Phase::Pending)],
                    Op::Post(k) | Op::Void(k) if !shares.is_empty() => {
                        let s = &shares[k % shares.len()];
                        let phase = if matches!(o, Op::Post(_)) {
                            Phase::PostPending { pending_id: s.transfer_id.clone() }
                        } else {
                            Phase::VoidPending { pending_id: s.transfer_id.clone() }
                        };
                        vec![t(&format!("c{n}"), &s.debit, &s.credit, s.amount, phase)]
                    }
                    Op::Refund(i, a) => vec![
                        t(&format!("r{n}"), &escrow(i), &refunds, a, Phase::Posted),
                        t(&format!("rs{n}"), &refunds, &clearing, a, Phase::Posted),
                    ],
                    Op::Retry(k) if !done.is_empty() => {
                        let before = l.accounts.clone();
                        let b = done[k % done.len()].clone();
                        prop_assert_eq!(l.apply(&b), Ok(false));
                        prop_assert_eq!(&l.accounts, &before);
                        continue;
                    }
                    _ => continue,
                };
                let before = l.clone();
                match l.apply(&batch) {
                    Ok(applied) => {
                        prop_assert!(applied);
                        if let Phase::Pending = batch[0].phase {
                            shares.push(batch[0].clone());
                        }
                        done.push(batch);
                    }
                    Err(_) => {
                        // A refused batch changes nothing.
                        prop_assert_eq!(&l.accounts, &before.accounts);
                        prop_assert_eq!(l.transfers.len(), before.transfers.len());
                    }
                }
                prop_assert!(l.balanced());
                prop_assert!(l.within_constraints());
            }
        }
    }
}
