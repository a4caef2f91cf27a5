//! Disputes: a card holder contests a payment with their bank (a
//! chargeback). Stripe tells the platform when one opens
//! (`charge.dispute.created`) and when the bank decides
//! (`charge.dispute.closed`, won or lost).
//!
//! While a dispute is open, what is left of the itinerary's escrow is
//! frozen: delivery does not release it (support answers the dispute).
//! A won dispute lifts the freeze: if the parcel was delivered meanwhile,
//! the escrow is released then. A lost dispute means the bank took the
//! disputed amount back from the platform's Stripe balance, and the ledger
//! follows under this policy:
//!
//! 1. every pending transfer of the itinerary is voided (nobody is paid
//!    from money that left);
//! 2. what the escrow still holds bears the loss first (escrow → clearing);
//! 3. the platform bears the rest (dispute losses → clearing): travelers and
//!    couriers who were already paid for a delivered parcel keep their
//!    share.
//!
//! Stripe's dispute fee is not booked (the local emulator charges none).
use super::bookings::Itinerary;
use super::ledger::{AccountId, AccountKind, PendingState, Phase, Transfer, TransferCode};
use super::money::Money;
use super::payments::void_pending;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    /// The bank is deciding; the escrow is frozen.
    Open,
    /// The platform kept the money; the freeze is lifted.
    Won,
    /// The bank took the money back; booked on the ledger.
    Lost,
}

impl DisputeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::Open => "open",
            DisputeStatus::Won => "won",
            DisputeStatus::Lost => "lost",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [DisputeStatus::Open, DisputeStatus::Won, DisputeStatus::Lost].into_iter().find(|d| d.as_str() == s)
    }
}

/// A dispute: the case support works on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Dispute {
    /// Stripe's dispute id (`dp_…`).
    pub dispute_id: String,
    pub itinerary_id: String,
    pub shipment_id: String,
    pub sender_id: String,
    /// The disputed charge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_id: Option<String>,
    /// What the card holder disputes.
    pub amount: Money,
    /// The bank's reason, as Stripe gives it (`fraudulent`, `product_not_received`, …).
    pub reason: String,
    pub status: DisputeStatus,
    /// What the escrow held when the dispute opened (minor units): frozen until it closes.
    pub frozen: i64,
    /// A lost dispute: what the escrow bore (minor units).
    #[serde(default)]
    pub from_escrow: i64,
    /// A lost dispute: what the platform bore (minor units).
    #[serde(default)]
    pub from_platform: i64,
    pub opened_at: String,
    /// The parcel was delivered while the dispute was open: its escrow
    /// waits for the bank's decision (the delivery proof is the evidence).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
}

fn escrow(it: &Itinerary) -> AccountId {
    AccountId::new(AccountKind::Escrow, &it.itinerary_id, &it.currency)
}

/// What the itinerary's escrow holds (posted in, less posted out): the
/// pending shares are still in it.
pub fn escrow_left<'a>(it: &Itinerary, transfers: impl IntoIterator<Item = &'a Transfer>) -> i64 {
    let esc = escrow(it);
    transfers
        .into_iter()
        .filter(|t| matches!(t.phase, Phase::Posted | Phase::PostPending { .. }))
        .map(|t| {
            if t.credit == esc {
                t.amount
            } else if t.debit == esc {
                -t.amount
            } else {
                0
            }
        })
        .sum()
}

/// The transfers of a lost dispute of `amount` (the policy above), and how
/// much the escrow and the platform bear. `transfers` are the itinerary's,
/// `pending` its pending ones with where each stands.
pub fn lost_transfers(
    it: &Itinerary,
    transfers: &[Transfer],
    pending: &[(Transfer, PendingState)],
    dispute_id: &str,
    amount: i64,
    at: &str,
) -> (Vec<Transfer>, i64, i64) {
    let mut out = void_pending(pending, at);
    let from_escrow = escrow_left(it, transfers).clamp(0, amount);
    let from_platform = amount - from_escrow;
    let clearing = AccountId::platform(AccountKind::Clearing, &it.currency);
    let mut lost = |what: &str, from: AccountId, amount: i64| {
        if amount > 0 {
            out.push(Transfer {
                transfer_id: format!("{}.dispute.{dispute_id}.{what}", it.itinerary_id),
                debit: from,
                credit: clearing.clone(),
                amount,
                currency: it.currency.clone(),
                phase: Phase::Posted,
                code: TransferCode::DisputeLost,
                itinerary_id: it.itinerary_id.clone(),
                at: at.into(),
                reference: Some(dispute_id.to_string()),
            });
        }
    };
    lost("escrow", escrow(it), from_escrow);
    lost("platform", AccountId::platform(AccountKind::DisputeLosses, &it.currency), from_platform);
    (out, from_escrow, from_platform)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::Ledger;
    use crate::domain::payments::{payment_transfers, release_transfers};

    /// Other money at the provider (another itinerary's payment).
    fn other_payment(it: &Itinerary) -> Transfer {
        Transfer {
            transfer_id: "other".into(),
            debit: AccountId::platform(AccountKind::Clearing, &it.currency),
            credit: AccountId::new(AccountKind::Escrow, "other", &it.currency),
            amount: 100_000,
            currency: it.currency.clone(),
            phase: Phase::Posted,
            code: TransferCode::Payment,
            itinerary_id: "other".into(),
            at: "t".into(),
            reference: None,
        }
    }

    fn pending_of(l: &Ledger, batch: &[Transfer]) -> Vec<(Transfer, PendingState)> {
        batch.iter().filter_map(|t| l.pending.get(&t.transfer_id).map(|s| (t.clone(), *s))).collect()
    }

    #[test]
    fn a_dispute_lost_before_delivery_takes_the_whole_escrow_and_voids_the_shares() {
        let it = crate::domain::payments::tests::paid_itinerary(0);
        let pay = payment_transfers(&it, 2000, Some("ch_1"), "t").unwrap();
        let mut l = Ledger::default();
        l.apply(&pay).unwrap();
        assert_eq!(escrow_left(&it, &pay), it.total, "pending shares are still in escrow");
        let (batch, from_escrow, from_platform) =
            lost_transfers(&it, &pay, &pending_of(&l, &pay), "dp_1", it.total, "t2");
        assert_eq!((from_escrow, from_platform), (it.total, 0));
        l.apply(&batch).unwrap();
        let esc = l.accounts[&escrow(&it)];
        assert_eq!((esc.credits_posted - esc.debits_posted, esc.debits_pending), (0, 0), "{esc:?}");
        let clearing = l.accounts[&AccountId::platform(AccountKind::Clearing, &it.currency)];
        assert_eq!(clearing.debits_posted - clearing.credits_posted, 0, "the money left the platform");
        assert!(l.accounts.keys().all(|a| a.kind != AccountKind::DisputeLosses), "the platform bore nothing");
        // Applied again (a redelivered event): a retry, nothing changes.
        assert!(!l.apply(&batch).unwrap());
    }

    #[test]
    fn a_dispute_lost_after_release_is_borne_by_the_platform_and_payees_keep_their_shares() {
        let it = crate::domain::payments::tests::paid_itinerary(0);
        let pay = payment_transfers(&it, 2000, Some("ch_1"), "t").unwrap();
        let mut l = Ledger::default();
        l.apply(&[other_payment(&it)]).unwrap();
        l.apply(&pay).unwrap();
        let release = release_transfers(&pending_of(&l, &pay), "t1");
        l.apply(&release).unwrap();
        let all: Vec<Transfer> = pay.iter().chain(&release).cloned().collect();
        assert_eq!(escrow_left(&it, &all), 0, "all released");
        let (batch, from_escrow, from_platform) = lost_transfers(&it, &all, &pending_of(&l, &pay), "dp_2", 700, "t2");
        assert_eq!((from_escrow, from_platform), (0, 700));
        assert_eq!(batch.len(), 1, "nothing pending to void: {batch:?}");
        l.apply(&batch).unwrap();
        let losses = l.accounts[&AccountId::platform(AccountKind::DisputeLosses, &it.currency)];
        assert_eq!(losses.debits_posted, 700);
        let share = &pay[1];
        assert_eq!(l.accounts[&share.credit].credits_posted, share.amount, "the payee keeps their share");
    }

    #[test]
    fn a_partial_dispute_after_a_partial_release_takes_the_escrow_first() {
        let it = crate::domain::payments::tests::paid_itinerary(0);
        let pay = payment_transfers(&it, 2000, Some("ch_1"), "t").unwrap();
        let mut l = Ledger::default();
        l.apply(&pay).unwrap();
        // One pending transfer released (posted), the rest still pending.
        let release = release_transfers(&pending_of(&l, &pay[1..2]), "t1");
        l.apply(&release).unwrap();
        let all: Vec<Transfer> = pay.iter().chain(&release).cloned().collect();
        let left = it.total - pay[1].amount;
        assert_eq!(escrow_left(&it, &all), left);
        let (batch, from_escrow, from_platform) =
            lost_transfers(&it, &all, &pending_of(&l, &pay), "dp_3", it.total, "t2");
        assert_eq!((from_escrow, from_platform), (left, pay[1].amount));
        assert_eq!(batch.iter().filter(|t| matches!(t.phase, Phase::VoidPending { .. })).count(), pay.len() - 2);
        let mut more = l.clone();
        more.apply(&[other_payment(&it)]).unwrap();
        more.apply(&batch).unwrap();
        assert_eq!(DisputeStatus::parse("lost"), Some(DisputeStatus::Lost));
        assert_eq!(DisputeStatus::parse("closed"), None);
    }
}
