//! Payouts: what travelers and couriers earned, sent to their bank through
//! the provider's connected accounts (Stripe Connect, separate charges and
//! transfers).
//!
//! Delivery posts a payee's share to their payable account and creates one
//! payout for it, `due`. The payout run sends every due payout of a payee
//! whose due total reaches the minimum, whose connected account can receive
//! payouts and whose identity is verified: a transfer at the provider (from
//! the itinerary's charge, grouped by the itinerary) and, on the ledger,
//! payable → clearing. A transfer the provider refused stays due and is
//! tried again on the next run under a new idempotency key; a transfer whose
//! answer was lost is asked again under the same key, so it is never made
//! twice. A reversal at the provider moves the reversed amount back from
//! clearing to the payable, where it is available again for support to
//! settle (a refund after delivery takes it from there); it is not sent
//! again by itself.
use super::identity::{User, Verification};
use super::ledger::{AccountId, AccountKind, Phase, Transfer, TransferCode};
use super::money::Currency;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where payouts stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PayoutStatus {
    /// Earned (delivered) and waiting for the payout run.
    Due,
    /// Transferred to the payee's connected account.
    Sent,
    /// Sent, then reversed at the provider (in part or in whole).
    Reversed,
    /// Never sent: a refund after delivery took all of it.
    Withheld,
}

/// One payee's share of one delivered itinerary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Payout {
    /// `<itinerary>.payout.<segment>`: the idempotency key of its transfer.
    pub payout_id: String,
    pub payee_id: String,
    /// The payable it is paid from: `payable_traveler` or `payable_courier`.
    pub payable: AccountKind,
    pub itinerary_id: String,
    /// Minor units.
    pub amount: i64,
    pub currency: Currency,
    /// The itinerary's charge at the provider: the transfer's source.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_id: Option<String>,
    pub status: PayoutStatus,
    /// Refused attempts so far: the next attempt's idempotency key.
    #[serde(default)]
    pub refusals: u32,
    /// Why the last attempt failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// The provider's transfer (`tr_…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_id: Option<String>,
    /// Reversed at the provider and back on the payable so far (minor units).
    #[serde(default)]
    pub amount_reversed: i64,
    /// Taken back for refunds after delivery (minor units): withheld from
    /// `amount` while due, or reversed at the provider once sent.
    #[serde(default)]
    pub clawed_back: i64,
    pub created_at: String,
    pub updated_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sent_at: Option<String>,
}

/// The payout of an itinerary's `segment`: `<itinerary>.payout.<segment>`.
pub fn payout_id(itinerary_id: &str, segment: usize) -> String {
    format!("{itinerary_id}.payout.{segment}")
}

impl Payout {
    /// Takes `part` back for a refund after delivery: withheld from a due
    /// payout (withheld altogether at zero), or to be reversed at the
    /// provider from a sent one. Answers whether it was sent (a reversal is needed).
    pub fn claw_back(&mut self, part: i64, at: &str) -> bool {
        self.clawed_back += part;
        self.updated_at = at.into();
        if self.status != PayoutStatus::Due {
            return true;
        }
        self.amount -= part;
        if self.amount == 0 {
            self.status = PayoutStatus::Withheld;
        }
        false
    }

    pub fn payable_account(&self) -> AccountId {
        AccountId::new(self.payable, &self.payee_id, &self.currency)
    }

    /// The idempotency key of the next attempt: the payout id, then a new
    /// key after each refusal (a refused request is not made again by
    /// replaying its key; a lost answer is, under the same key).
    pub fn idempotency_key(&self) -> String {
        match self.refusals {
            0 => self.payout_id.clone(),
            n => format!("{}.{n}", self.payout_id),
        }
    }

    /// Sent: on the ledger, the payable pays the provider's clearing account.
    pub fn sent_transfer(&self, at: &str) -> Transfer {
        Transfer {
            transfer_id: format!("{}.sent", self.payout_id),
            debit: self.payable_account(),
            credit: AccountId::platform(AccountKind::Clearing, &self.currency),
            amount: self.amount,
            currency: self.currency.clone(),
            phase: Phase::Posted,
            code: TransferCode::Payout,
            itinerary_id: self.itinerary_id.clone(),
            at: at.into(),
            reference: self.transfer_id.clone(),
        }
    }

    /// The provider reports `total` reversed (less what refunds clawed
    /// back): what is newly reversed goes back to the payable (none if
    /// already applied).
    pub fn reversal(&mut self, total: i64, at: &str) -> Option<Transfer> {
        let total = total.min(self.amount - self.clawed_back);
        if matches!(self.status, PayoutStatus::Due | PayoutStatus::Withheld) || total <= self.amount_reversed {
            return None;
        }
        let t = Transfer {
            transfer_id: format!("{}.reversed.{total}", self.payout_id),
            debit: AccountId::platform(AccountKind::Clearing, &self.currency),
            credit: self.payable_account(),
            amount: total - self.amount_reversed,
            currency: self.currency.clone(),
            phase: Phase::Posted,
            code: TransferCode::PayoutReversed,
            itinerary_id: self.itinerary_id.clone(),
            at: at.into(),
            reference: self.transfer_id.clone(),
        };
        self.amount_reversed = total;
        self.status = PayoutStatus::Reversed;
        self.updated_at = at.into();
        Some(t)
    }
}

/// The payouts of a delivery: one per share its release posts to a payable.
pub fn payouts_of_release(released: &[Transfer], charge_id: Option<&str>, at: &str) -> Vec<Payout> {
    released
        .iter()
        .filter(|t| t.code == TransferCode::Share)
        .filter(|t| matches!(t.credit.kind, AccountKind::PayableTraveler | AccountKind::PayableCourier))
        .filter_map(|t| {
            // `<it>.share.<n>.post` → `<it>.payout.<n>`
            let n: usize = t.transfer_id.strip_suffix(".post")?.rsplit('.').next()?.parse().ok()?;
            Some(Payout {
                payout_id: payout_id(&t.itinerary_id, n),
                payee_id: t.credit.owner.clone(),
                payable: t.credit.kind,
                itinerary_id: t.itinerary_id.clone(),
                amount: t.amount,
                currency: t.currency.clone(),
                charge_id: charge_id.map(str::to_string),
                status: PayoutStatus::Due,
                refusals: 0,
                last_error: None,
                transfer_id: None,
                amount_reversed: 0,
                clawed_back: 0,
                created_at: at.into(),
                updated_at: at.into(),
                sent_at: None,
            })
        })
        .collect()
}

/// Refunds after delivery, the policy: each payee bears the refund in
/// proportion to their share of the itinerary's total (rounded down, never
/// more than is left of their share); the platform bears the rest from its
/// revenue. Returns each payout's part and the platform's.
pub fn clawbacks(total: i64, refund: i64, payouts: &[Payout]) -> (Vec<i64>, i64) {
    let parts: Vec<i64> = payouts
        .iter()
        .map(|p| {
            let share = p.amount + if p.status == PayoutStatus::Due { p.clawed_back } else { 0 };
            // Sent: what the provider can still reverse (not what support already did).
            let left =
                if p.status == PayoutStatus::Due { p.amount } else { p.amount - p.clawed_back - p.amount_reversed };
            if total <= 0 {
                return 0;
            }
            ((share as i128 * refund as i128 / total as i128) as i64).clamp(0, left.max(0))
        })
        .collect();
    let platform = refund - parts.iter().sum::<i64>();
    (parts, platform)
}

/// A payee's due payouts in one currency, and their total.
#[derive(Debug, Clone, PartialEq)]
pub struct PayeeDue {
    pub payee_id: String,
    pub currency: Currency,
    pub total: i64,
    pub payouts: Vec<Payout>,
}

/// Due payouts grouped by payee and currency; groups below `minimum` (minor
/// units) wait for more.
pub fn group_due(due: Vec<Payout>, minimum: i64) -> (Vec<PayeeDue>, usize) {
    let mut groups: BTreeMap<(String, String), PayeeDue> = BTreeMap::new();
    for p in due.into_iter().filter(|p| p.status == PayoutStatus::Due) {
        let g = groups.entry((p.payee_id.clone(), p.currency.as_str().to_string())).or_insert_with(|| PayeeDue {
            payee_id: p.payee_id.clone(),
            currency: p.currency.clone(),
            total: 0,
            payouts: Vec::new(),
        });
        g.total += p.amount;
        g.payouts.push(p);
    }
    let (ready, below): (Vec<_>, Vec<_>) = groups.into_values().partition(|g| g.total >= minimum);
    (ready, below.len())
}

/// Where a payee's connected account stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    /// Created; the payee has not finished the provider's onboarding.
    Onboarding,
    /// Payouts enabled.
    Enabled,
    /// Onboarded, but the provider holds payouts (it needs more from the payee).
    Restricted,
}

/// A payee's connected account at the provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PayoutAccount {
    pub user_id: String,
    pub provider: String,
    /// The provider's account (`acct_…`).
    pub account_id: String,
    /// ISO 3166 alpha-2.
    pub country: String,
    pub status: AccountStatus,
    pub payouts_enabled: bool,
    pub details_submitted: bool,
    /// What the provider still needs from the payee.
    #[serde(default)]
    pub requirements_due: Vec<String>,
    /// The provider's time (unix seconds) of the last account event applied:
    /// an older event arriving late changes nothing.
    #[serde(default)]
    pub provider_seen: i64,
    pub created_at: String,
    pub updated_at: String,
}

/// What an `account.updated` says about an account.
#[derive(Debug, Clone, PartialEq)]
pub struct AccountState {
    pub payouts_enabled: bool,
    pub details_submitted: bool,
    pub requirements_due: Vec<String>,
}

impl PayoutAccount {
    /// Applies the provider's state as of `seen`; false when it is not newer.
    pub fn apply(&mut self, s: AccountState, seen: i64, at: &str) -> bool {
        if seen < self.provider_seen {
            return false;
        }
        self.payouts_enabled = s.payouts_enabled;
        self.details_submitted = s.details_submitted;
        self.requirements_due = s.requirements_due;
        self.status = match (s.payouts_enabled, s.details_submitted) {
            (true, _) => AccountStatus::Enabled,
            (false, true) => AccountStatus::Restricted,
            (false, false) => AccountStatus::Onboarding,
        };
        self.provider_seen = seen;
        self.updated_at = at.into();
        true
    }
}

/// Why a payee's due payouts wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// No connected account yet.
    NoAccount,
    /// The provider does not (yet) allow payouts to the account.
    AccountNotEnabled,
    /// Payouts also need the payee's identity verified.
    IdentityUnverified,
}

/// Whether a payee can be paid now.
pub fn readiness(account: Option<&PayoutAccount>, user: Option<&User>) -> Result<(), Held> {
    let a = account.ok_or(Held::NoAccount)?;
    if !a.payouts_enabled {
        return Err(Held::AccountNotEnabled);
    }
    if user.map(|u| u.verification) != Some(Verification::Verified) {
        return Err(Held::IdentityUnverified);
    }
    Ok(())
}

/// Countries where the provider opens Express accounts (Stripe's
/// self-serve Connect countries, stripe.com/global).
pub const PAYOUT_COUNTRIES: [&str; 41] = [
    "AT", "AU", "BE", "BG", "CA", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GB", "GI", "GR", "HK", "HR",
    "HU", "IE", "IT", "JP", "LI", "LT", "LU", "LV", "MT", "MX", "NL", "NO", "NZ", "PL", "PT", "RO", "SE", "SG", "SI",
    "SK", "TH", "US",
];

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").unwrap()
    }

    fn share(it: &str, n: usize, payee: &str, amount: i64) -> Transfer {
        Transfer {
            transfer_id: format!("{it}.share.{n}.post"),
            debit: AccountId::new(AccountKind::Escrow, it, &eur()),
            credit: AccountId::new(AccountKind::PayableTraveler, payee, &eur()),
            amount,
            currency: eur(),
            phase: Phase::PostPending { pending_id: format!("{it}.share.{n}") },
            code: TransferCode::Share,
            itinerary_id: it.into(),
            at: "t".into(),
            reference: None,
        }
    }

    #[test]
    fn a_release_makes_one_payout_per_share() {
        let mut fee = share("it", 9, "platform", 300);
        fee.code = TransferCode::Fee;
        fee.credit = AccountId::platform(AccountKind::Revenue, &eur());
        let p = payouts_of_release(&[share("it", 0, "ann", 1200), fee, share("it", 1, "bob", 800)], Some("ch_1"), "t");
        let got: Vec<(&str, &str, i64)> = p.iter().map(|p| (&p.payout_id[..], &p.payee_id[..], p.amount)).collect();
        assert_eq!(got, [("it.payout.0", "ann", 1200), ("it.payout.1", "bob", 800)]);
        assert!(p.iter().all(|p| p.status == PayoutStatus::Due && p.charge_id.as_deref() == Some("ch_1")));
    }

    #[test]
    fn a_refund_after_delivery_is_borne_pro_rata() {
        let mut p = payouts_of_release(&[share("it", 0, "ann", 1400), share("it", 1, "bob", 600)], None, "t");
        p[1].status = PayoutStatus::Sent;
        // 1000 of a 2500 total: Ann 1400 × 1000/2500 = 560, Bob 240, the platform 200.
        assert_eq!(clawbacks(2500, 1000, &p), (vec![560, 240], 200));
        // What is left bounds a second refund: Ann's due payout has 840 left, Bob's sent one 360.
        p[0].amount -= 560;
        p[0].clawed_back = 560;
        p[1].clawed_back = 240;
        assert_eq!(clawbacks(2500, 2500, &p), (vec![840, 360], 1300));
        assert_eq!(clawbacks(2500, 1, &p), (vec![0, 0], 1), "rounded down: the platform bears the cent");
        // Support already reversed 300 of Bob's transfer: only 60 is left to take from it.
        p[1].amount_reversed = 300;
        assert_eq!(clawbacks(2500, 2500, &p), (vec![840, 60], 1600));
    }

    #[test]
    fn payees_below_the_minimum_wait() {
        let mut p = payouts_of_release(&[share("a", 0, "ann", 600), share("b", 0, "bob", 400)], None, "t");
        p.extend(payouts_of_release(&[share("c", 0, "ann", 500)], None, "t"));
        let (ready, below) = group_due(p, 1000);
        assert_eq!(below, 1, "Bob's 4.00 waits");
        assert_eq!(ready.len(), 1);
        assert_eq!((ready[0].payee_id.as_str(), ready[0].total, ready[0].payouts.len()), ("ann", 1100, 2));
    }

    #[test]
    fn a_refusal_changes_the_key_and_a_reversal_counts_once() {
        let mut p = payouts_of_release(&[share("it", 0, "ann", 1200)], None, "t").remove(0);
        assert_eq!(p.idempotency_key(), "it.payout.0");
        p.refusals = 2;
        assert_eq!(p.idempotency_key(), "it.payout.0.2");
        assert_eq!(p.reversal(500, "t"), None, "nothing was sent, nothing to reverse");
        p.status = PayoutStatus::Sent;
        let t = p.sent_transfer("t");
        assert_eq!(
            (t.debit.kind, t.credit.kind, t.amount),
            (AccountKind::PayableTraveler, AccountKind::Clearing, 1200)
        );
        let r = p.reversal(500, "t").unwrap();
        assert_eq!((r.debit.kind, r.credit.kind, r.amount), (AccountKind::Clearing, AccountKind::PayableTraveler, 500));
        assert_eq!(p.reversal(500, "t"), None, "the same report again changes nothing");
        assert_eq!(p.reversal(2000, "t").unwrap().amount, 700, "never more than was sent");
        assert_eq!(p.status, PayoutStatus::Reversed);
    }

    #[test]
    fn payouts_need_an_enabled_account_and_a_verified_identity() {
        let mut a = PayoutAccount {
            user_id: "ann".into(),
            provider: "stripe".into(),
            account_id: "acct_1".into(),
            country: "FR".into(),
            status: AccountStatus::Onboarding,
            payouts_enabled: false,
            details_submitted: false,
            requirements_due: vec!["external_account".into()],
            provider_seen: 0,
            created_at: "t".into(),
            updated_at: "t".into(),
        };
        let mut u: User = serde_json::from_value(serde_json::json!({
            "user_id": "ann", "email": "ann@example.com", "roles": ["traveler"],
            "created_at": "t", "updated_at": "t"
        }))
        .unwrap();
        assert_eq!(readiness(None, Some(&u)), Err(Held::NoAccount));
        assert_eq!(readiness(Some(&a), Some(&u)), Err(Held::AccountNotEnabled));
        let on = AccountState { payouts_enabled: true, details_submitted: true, requirements_due: vec![] };
        assert!(a.apply(on.clone(), 10, "t"));
        assert_eq!(a.status, AccountStatus::Enabled);
        assert_eq!(readiness(Some(&a), Some(&u)), Err(Held::IdentityUnverified));
        u.verification = Verification::Verified;
        assert_eq!(readiness(Some(&a), Some(&u)), Ok(()));
        // An older event arriving late does not undo a newer one.
        let off = AccountState { payouts_enabled: false, details_submitted: true, requirements_due: vec!["x".into()] };
        assert!(!a.apply(off.clone(), 9, "t"));
        assert_eq!(a.status, AccountStatus::Enabled);
        assert!(a.apply(off, 11, "t"));
        assert_eq!(a.status, AccountStatus::Restricted);
    }
}
