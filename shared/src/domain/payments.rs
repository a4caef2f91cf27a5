//! Payments: an itinerary's payment and how the provider's news moves it
//! (only forward: news that arrives late or twice changes nothing), how the
//! money is split in escrow when it arrives, and the cancellation policy.
use crate::domain::bookings::{Itinerary, LineKind};
use crate::domain::disputes::DisputeStatus;
use crate::domain::ledger::{AccountId, AccountKind, PendingState, Phase, Transfer, TransferCode};
use crate::domain::money::Currency;
use crate::domain::search::RouteSegment;
use crate::domain::trips::Instant;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    /// A PaymentIntent waits for the sender's card.
    RequiresPaymentMethod,
    /// The card asks for authentication (3-D Secure).
    RequiresAction,
    /// The last attempt failed; another card may be tried until the deadline.
    Failed,
    /// Paid: the money is in escrow.
    Succeeded,
    /// Never paid, and it no longer can be (deadline passed, or cancelled).
    Canceled,
    /// Paid, then (partly) refunded after a cancellation.
    Refunding,
    Refunded,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::RequiresPaymentMethod => "requires_payment_method",
            PaymentStatus::RequiresAction => "requires_action",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Canceled => "canceled",
            PaymentStatus::Refunding => "refunding",
            PaymentStatus::Refunded => "refunded",
        }
    }
    /// Still waiting for money.
    pub fn is_open(self) -> bool {
        matches!(self, PaymentStatus::RequiresPaymentMethod | PaymentStatus::RequiresAction | PaymentStatus::Failed)
    }
    /// Money arrived (whatever happened since).
    pub fn was_paid(self) -> bool {
        matches!(self, PaymentStatus::Succeeded | PaymentStatus::Refunding | PaymentStatus::Refunded)
    }
}

/// An itinerary's payment (one per itinerary; a PaymentIntent per attempt).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Payment {
    pub itinerary_id: String,
    pub sender_id: String,
    pub status: PaymentStatus,
    /// The quote's total, minor units.
    pub amount: i64,
    pub currency: Currency,
    pub provider: String,
    pub customer_id: String,
    pub intent_id: String,
    /// 1, 2, …: a new PaymentIntent only when the previous one was cancelled.
    pub attempt: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charge_id: Option<String>,
    /// Why the last attempt failed, as the provider says it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// Pay by then, or the itinerary is cancelled and its capacity released.
    pub deadline: Instant,
    /// VAT rate on the platform fee (the sender's country), basis points.
    pub fee_vat_bp: u32,
    /// Each refund asked of the provider, by cause: a booking whose
    /// traveler withdrew (its id), or `cancellation`.
    #[serde(default)]
    pub refunds: Vec<RefundPart>,
    /// Confirmed refunded by the provider (minor units).
    #[serde(default)]
    pub refunded: i64,
    /// A card holder disputed it (a chargeback), whatever came of it.
    #[serde(default)]
    pub disputed: bool,
    /// Where its dispute stands: while `open`, the escrow is frozen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute: Option<crate::domain::disputes::DisputeStatus>,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefundPart {
    pub cause: String,
    pub amount: i64,
    pub rule: String,
}

/// The cause of the refund of a whole cancelled itinerary.
pub const CANCELLATION: &str = "cancellation";

impl Payment {
    /// The refund asked for `cause`, if any.
    pub fn refund_for(&self, cause: &str) -> Option<&RefundPart> {
        self.refunds.iter().find(|r| r.cause == cause)
    }
    /// Refund asked of the provider so far (minor units).
    pub fn refund_requested(&self) -> i64 {
        self.refunds.iter().map(|r| r.amount).sum()
    }
    /// The rule of the latest refund.
    pub fn refund_rule(&self) -> Option<&str> {
        self.refunds.last().map(|r| r.rule.as_str())
    }
    /// Records a refund decided for `cause`.
    pub fn refund(&mut self, cause: &str, amount: i64, rule: String, at: &str) {
        self.refunds.push(RefundPart { cause: cause.into(), amount, rule });
        if self.refund_requested() > self.refunded {
            self.status = PaymentStatus::Refunding;
        }
        self.updated_at = at.into();
    }
    /// Some traveler withdrew after payment: the itinerary broke through no fault of the sender's.
    pub fn broken_by_a_traveler(&self) -> bool {
        self.refunds.iter().any(|r| r.cause != CANCELLATION)
    }
}

/// The transfers of a traveler withdrawing from a paid itinerary before
/// pickup: their pending share voided and the same amount moved from escrow
/// to refunds (the provider pays it back). `share` is the pending share.
pub fn withdrawal_transfers(it: &Itinerary, share: &Transfer, booking_id: &str, at: &str) -> Vec<Transfer> {
    vec![
        Transfer {
            transfer_id: format!("{}.void", share.transfer_id),
            phase: Phase::VoidPending { pending_id: share.transfer_id.clone() },
            at: at.into(),
            ..share.clone()
        },
        transfer(
            it,
            format!("{}.refund.{booking_id}", it.itinerary_id),
            (escrow(it), AccountId::platform(AccountKind::Refunds, &it.currency)),
            share.amount,
            Phase::Posted,
            TransferCode::Refund,
            at,
        ),
    ]
}

/// The transfer id of a segment's pending share.
pub fn share_id(it: &Itinerary, segment: usize) -> String {
    format!("{}.share.{segment}", it.itinerary_id)
}

/// What the provider said, parsed from one of its events.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    Succeeded {
        intent_id: String,
        amount: i64,
        currency: Currency,
        charge_id: Option<String>,
    },
    Failed {
        intent_id: String,
        message: String,
    },
    RequiresAction {
        intent_id: String,
    },
    Canceled {
        intent_id: String,
    },
    /// `amount_refunded` is the charge's total refunded so far.
    Refunded {
        intent_id: String,
        amount_refunded: i64,
    },
    Disputed {
        intent_id: String,
        dispute_id: String,
        amount: i64,
        reason: String,
    },
    /// The bank decided: `won` (the platform keeps the money) or lost.
    DisputeClosed {
        intent_id: String,
        dispute_id: String,
        amount: i64,
        reason: String,
        won: bool,
    },
}

impl Signal {
    pub fn intent_id(&self) -> &str {
        match self {
            Signal::Succeeded { intent_id, .. }
            | Signal::Failed { intent_id, .. }
            | Signal::RequiresAction { intent_id }
            | Signal::Canceled { intent_id }
            | Signal::Refunded { intent_id, .. }
            | Signal::Disputed { intent_id, .. }
            | Signal::DisputeClosed { intent_id, .. } => intent_id,
        }
    }
}

/// What applying a signal means for the rest of the platform.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Nothing changes (late, repeated, or about another attempt).
    Nothing,
    /// The payment changed, nothing else follows.
    Recorded,
    /// Paid: confirm the itinerary and hold the money in escrow.
    Confirm,
    /// The attempt failed: tell the sender why.
    Failed,
    /// The provider refunded this much more.
    RefundSettled(i64),
    /// A dispute opened: freeze the escrow, open the case.
    Disputed { dispute_id: String, amount: i64, reason: String },
    /// The dispute closed (its opening may not have been seen: events
    /// come in any order).
    DisputeClosed { dispute_id: String, amount: i64, reason: String, won: bool },
}

impl Payment {
    /// Applies the provider's news, only forward.
    pub fn apply(&mut self, s: &Signal, at: &str) -> Outcome {
        if s.intent_id() != self.intent_id {
            return Outcome::Nothing;
        }
        let outcome = match s {
            Signal::Succeeded { amount, currency, charge_id, .. } => {
                if !self.status.is_open() || *amount != self.amount || currency != &self.currency {
                    return Outcome::Nothing;
                }
                self.status = PaymentStatus::Succeeded;
                self.charge_id = charge_id.clone();
                self.last_error = None;
                Outcome::Confirm
            }
            Signal::Failed { message, .. } => {
                if !self.status.is_open() {
                    return Outcome::Nothing;
                }
                self.status = PaymentStatus::Failed;
                self.last_error = Some(message.clone());
                Outcome::Failed
            }
            Signal::RequiresAction { .. } => {
                if !matches!(self.status, PaymentStatus::RequiresPaymentMethod | PaymentStatus::Failed) {
                    return Outcome::Nothing;
                }
                self.status = PaymentStatus::RequiresAction;
                Outcome::Recorded
            }
            Signal::Canceled { .. } => {
                if !self.status.is_open() {
                    return Outcome::Nothing;
                }
                self.status = PaymentStatus::Canceled;
                Outcome::Recorded
            }
            Signal::Refunded { amount_refunded, .. } => {
                if !self.status.was_paid() || *amount_refunded <= self.refunded {
                    return Outcome::Nothing;
                }
                let more = amount_refunded.min(&self.amount) - self.refunded;
                self.refunded += more;
                if self.refunded >= self.refund_requested() {
                    self.status = PaymentStatus::Refunded;
                }
                Outcome::RefundSettled(more)
            }
            Signal::Disputed { dispute_id, amount, reason, .. } => {
                if self.dispute.is_some() {
                    return Outcome::Nothing;
                }
                self.disputed = true;
                self.dispute = Some(DisputeStatus::Open);
                Outcome::Disputed { dispute_id: dispute_id.clone(), amount: *amount, reason: reason.clone() }
            }
            Signal::DisputeClosed { dispute_id, amount, reason, won, .. } => {
                if matches!(self.dispute, Some(DisputeStatus::Won | DisputeStatus::Lost)) {
                    return Outcome::Nothing;
                }
                self.disputed = true;
                self.dispute = Some(if *won { DisputeStatus::Won } else { DisputeStatus::Lost });
                Outcome::DisputeClosed {
                    dispute_id: dispute_id.clone(),
                    amount: *amount,
                    reason: reason.clone(),
                    won: *won,
                }
            }
        };
        self.updated_at = at.into();
        outcome
    }
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SplitError {
    #[error("the itinerary's lines ({lines}) do not add up to its total ({total})")]
    Unbalanced { lines: i64, total: i64 },
}

fn transfer(
    it: &Itinerary,
    id: String,
    (debit, credit): (AccountId, AccountId),
    amount: i64,
    phase: Phase,
    code: TransferCode,
    at: &str,
) -> Transfer {
    Transfer {
        transfer_id: id,
        debit,
        credit,
        amount,
        currency: it.currency.clone(),
        phase,
        code,
        itinerary_id: it.itinerary_id.clone(),
        at: at.into(),
        reference: None,
    }
}

pub fn escrow(it: &Itinerary) -> AccountId {
    AccountId::new(AccountKind::Escrow, &it.itinerary_id, &it.currency)
}

/// The transfers of a payment that arrived: the whole amount from clearing
/// into the itinerary's escrow, and from escrow, pending until delivery,
/// each traveler's and courier's share, the platform fee (net of VAT at
/// `fee_vat_bp`, VAT apart), insurance and handling (revenue), and DDP
/// duties. Every amount is the itinerary's own line; they add up to the total.
/// The payment names the provider's charge (`charge_id`).
pub fn payment_transfers(
    it: &Itinerary,
    fee_vat_bp: u32,
    charge_id: Option<&str>,
    at: &str,
) -> Result<Vec<Transfer>, SplitError> {
    let cur = &it.currency;
    let id = |what: &str| format!("{}.{what}", it.itinerary_id);
    let esc = escrow(it);
    let mut out = vec![Transfer {
        reference: charge_id.map(str::to_string),
        ..transfer(
            it,
            id("payment"),
            (AccountId::platform(AccountKind::Clearing, cur), esc.clone()),
            it.total,
            Phase::Posted,
            TransferCode::Payment,
            at,
        )
    }];
    let mut pending = |what: String, to: AccountId, amount: i64, code: TransferCode| {
        if amount > 0 {
            out.push(transfer(it, id(&what), (esc.clone(), to), amount, Phase::Pending, code, at));
        }
    };
    for (n, s) in it.segments.iter().enumerate() {
        match s {
            RouteSegment::Trip { traveler_id, price, .. } => pending(
                format!("share.{n}"),
                AccountId::new(AccountKind::PayableTraveler, traveler_id, cur),
                *price,
                TransferCode::Share,
            ),
            RouteSegment::Courier { courier_id, price, .. } => pending(
                format!("share.{n}"),
                AccountId::new(AccountKind::PayableCourier, courier_id, cur),
                *price,
                TransferCode::Share,
            ),
        }
    }
    let revenue = AccountId::platform(AccountKind::Revenue, cur);
    for (n, l) in it.lines.iter().enumerate() {
        match l.kind {
            LineKind::Transport | LineKind::Courier => {}
            LineKind::PlatformFee => {
                let vat = vat_included(l.amount, fee_vat_bp);
                pending(format!("fee.{n}"), revenue.clone(), l.amount - vat, TransferCode::Fee);
                pending(format!("vat.{n}"), AccountId::platform(AccountKind::VatPayable, cur), vat, TransferCode::Vat);
            }
            LineKind::Insurance | LineKind::CustomsHandling => {
                pending(format!("fee.{n}"), revenue.clone(), l.amount, TransferCode::Fee)
            }
            LineKind::DutiesAndTaxes => pending(
                format!("duties.{n}"),
                AccountId::platform(AccountKind::DutiesPayable, cur),
                l.amount,
                TransferCode::Duties,
            ),
        }
    }
    let lines: i64 = out[1..].iter().map(|t| t.amount).sum();
    if lines != it.total {
        return Err(SplitError::Unbalanced { lines, total: it.total });
    }
    Ok(out)
}

/// The VAT contained in a gross amount at `bp` basis points, rounded half
/// away from zero: gross × bp / (10,000 + bp).
pub fn vat_included(gross: i64, bp: u32) -> i64 {
    let (num, den) = (gross as i128 * bp as i128, 10_000 + bp as i128);
    ((2 * num + den) / (2 * den)) as i64
}

/// Who cancelled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CancelledBy {
    #[default]
    Sender,
    /// A traveler, support, or the platform itself.
    Other,
}

/// Until this long before the first departure a sender's cancellation is
/// refunded in full; after it, the platform fee is kept.
pub const FREE_CANCELLATION_HOURS: i64 = 48;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct RefundDecision {
    pub refund: i64,
    pub retained: i64,
    pub rule: String,
}

/// The cancellation policy: a sender who cancels at least
/// [`FREE_CANCELLATION_HOURS`] before the first departure, or anyone else
/// cancelling, gets everything back; a sender cancelling later gets all but
/// the platform fee. `paid` is what arrived (net of what was refunded already).
pub fn refund_policy(it: &Itinerary, paid: i64, by: CancelledBy, now: i64) -> RefundDecision {
    let first = first_departure(it).unwrap_or(i64::MAX);
    if by == CancelledBy::Other {
        return RefundDecision {
            refund: paid,
            retained: 0,
            rule: "cancelled by the platform or a traveler: full refund".into(),
        };
    }
    if first.saturating_sub(now) >= FREE_CANCELLATION_HOURS * 3600 {
        return RefundDecision {
            refund: paid,
            retained: 0,
            rule: format!("cancelled at least {FREE_CANCELLATION_HOURS} hours before departure: full refund"),
        };
    }
    let fee: i64 = it.lines.iter().filter(|l| l.kind == LineKind::PlatformFee).map(|l| l.amount).sum();
    let retained = fee.min(paid);
    RefundDecision {
        refund: paid - retained,
        retained,
        rule: format!("cancelled less than {FREE_CANCELLATION_HOURS} hours before departure: the platform fee is kept"),
    }
}

pub fn first_departure(it: &Itinerary) -> Option<i64> {
    it.segments
        .iter()
        .filter_map(|s| match s {
            RouteSegment::Trip { legs, .. } => legs.first().map(|l| l.depart_at.0),
            RouteSegment::Courier { pickup_at, .. } => Some(pickup_at.0),
        })
        .min()
}

/// The transfers of a cancellation: every pending share voided, the refund
/// moved from escrow to refunds (until the provider confirms it), what the
/// policy keeps to revenue.
pub fn cancellation_transfers(
    it: &Itinerary,
    pending: &[(Transfer, PendingState)],
    decision: &RefundDecision,
    at: &str,
) -> Vec<Transfer> {
    let id = |what: String| format!("{}.{what}", it.itinerary_id);
    let mut out = void_pending(pending, at);
    let cur = &it.currency;
    if decision.refund > 0 {
        out.push(transfer(
            it,
            id("refund".into()),
            (escrow(it), AccountId::platform(AccountKind::Refunds, cur)),
            decision.refund,
            Phase::Posted,
            TransferCode::Refund,
            at,
        ));
    }
    if decision.retained > 0 {
        out.push(transfer(
            it,
            id("retained".into()),
            (escrow(it), AccountId::platform(AccountKind::Revenue, cur)),
            decision.retained,
            Phase::Posted,
            TransferCode::Retained,
            at,
        ));
    }
    out
}

/// The transfers of a delivery: every share, fee, VAT and duty still
/// pending in escrow posted (the travelers' and couriers' payables, revenue).
pub fn release_transfers(pending: &[(Transfer, PendingState)], at: &str) -> Vec<Transfer> {
    pending
        .iter()
        .filter(|(t, s)| *s == PendingState::Pending && t.phase == Phase::Pending)
        .map(|(t, _)| Transfer {
            transfer_id: format!("{}.post", t.transfer_id),
            phase: Phase::PostPending { pending_id: t.transfer_id.clone() },
            at: at.into(),
            ..t.clone()
        })
        .collect()
}

/// Voids every pending transfer still pending: what it reserved stays in escrow.
pub fn void_pending(pending: &[(Transfer, PendingState)], at: &str) -> Vec<Transfer> {
    pending
        .iter()
        .filter(|(t, s)| *s == PendingState::Pending && t.phase == Phase::Pending)
        .map(|(t, _)| Transfer {
            transfer_id: format!("{}.void", t.transfer_id),
            phase: Phase::VoidPending { pending_id: t.transfer_id.clone() },
            at: at.into(),
            ..t.clone()
        })
        .collect()
}

/// The provider confirmed `amount` more refunded (`total` so far) of its charge `charge_id`.
pub fn refund_settled_transfer(it: &Itinerary, amount: i64, total: i64, charge_id: Option<&str>, at: &str) -> Transfer {
    Transfer {
        reference: charge_id.map(str::to_string),
        ..transfer(
            it,
            format!("{}.refunded.{total}", it.itinerary_id),
            (
                AccountId::platform(AccountKind::Refunds, &it.currency),
                AccountId::platform(AccountKind::Clearing, &it.currency),
            ),
            amount,
            Phase::Posted,
            TransferCode::RefundSettled,
            at,
        )
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn vat_included_in_a_gross_fee() {
        assert_eq!(vat_included(1190, 1900), 190);
        assert_eq!(vat_included(100, 2000), 17); // 16.67 → 17
        assert_eq!(vat_included(0, 1900), 0);
        assert_eq!(vat_included(500, 0), 0);
    }

    fn payment() -> Payment {
        Payment {
            itinerary_id: "it".into(),
            sender_id: "s".into(),
            status: PaymentStatus::RequiresPaymentMethod,
            amount: 1000,
            currency: Currency::parse("EUR").unwrap(),
            provider: "stripe".into(),
            customer_id: "cus".into(),
            intent_id: "pi_1".into(),
            attempt: 1,
            charge_id: None,
            last_error: None,
            deadline: Instant(0),
            fee_vat_bp: 0,
            refunds: vec![],
            refunded: 0,
            disputed: false,
            dispute: None,
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    #[test]
    fn a_dispute_opens_once_and_closes_once_in_any_order() {
        let opens = Signal::Disputed {
            intent_id: "pi_1".into(),
            dispute_id: "dp_1".into(),
            amount: 1000,
            reason: "fraudulent".into(),
        };
        let closes = |won| Signal::DisputeClosed {
            intent_id: "pi_1".into(),
            dispute_id: "dp_1".into(),
            amount: 1000,
            reason: "fraudulent".into(),
            won,
        };
        let mut p = payment();
        p.status = PaymentStatus::Succeeded;
        assert!(matches!(p.apply(&opens, "t1"), Outcome::Disputed { amount: 1000, .. }));
        assert_eq!(p.dispute, Some(DisputeStatus::Open));
        assert_eq!(p.apply(&opens, "t2"), Outcome::Nothing, "opened once");
        assert!(matches!(p.apply(&closes(false), "t3"), Outcome::DisputeClosed { won: false, .. }));
        assert_eq!((p.dispute, p.disputed), (Some(DisputeStatus::Lost), true));
        assert_eq!(p.apply(&closes(false), "t4"), Outcome::Nothing, "closed once");
        assert_eq!(p.apply(&closes(true), "t4"), Outcome::Nothing, "a decision is final");
        assert_eq!(p.apply(&opens, "t5"), Outcome::Nothing, "a late opening changes nothing");
        // The closing seen first: opened and closed at once; the opening after it changes nothing.
        let mut q = payment();
        q.status = PaymentStatus::Succeeded;
        assert!(matches!(q.apply(&closes(true), "t1"), Outcome::DisputeClosed { won: true, .. }));
        assert_eq!(q.apply(&opens, "t2"), Outcome::Nothing);
        assert_eq!((q.dispute, q.disputed), (Some(DisputeStatus::Won), true));
    }

    pub(crate) fn paid_itinerary(depart_at: i64) -> Itinerary {
        use crate::domain::bookings::{ItineraryStatus, QuoteLine};
        use crate::domain::search::RouteLeg;
        use crate::domain::trips::Mode;
        let line = |kind, amount| QuoteLine { kind, description: String::new(), amount };
        let leg = RouteLeg {
            leg_no: 1,
            origin: "airport:CDG".into(),
            destination: "airport:NCE".into(),
            depart_at: Instant(depart_at),
            arrive_at: Instant(depart_at + 7200),
            depart_local: None,
            arrive_local: None,
        };
        Itinerary {
            itinerary_id: "it".into(),
            sender_id: "s".into(),
            shipment_id: "sh".into(),
            quote_id: "q".into(),
            status: ItineraryStatus::Confirmed,
            currency: Currency::parse("EUR").unwrap(),
            total: 2000 + 1190 + 300,
            lines: vec![
                line(LineKind::Transport, 2000),
                line(LineKind::PlatformFee, 1190),
                line(LineKind::DutiesAndTaxes, 300),
            ],
            segments: vec![RouteSegment::Trip {
                trip_id: "t1".into(),
                traveler_id: "u1".into(),
                mode: Mode::Flight,
                price: 2000,
                legs: vec![leg],
            }],
            bookings: vec![],
            reason: None,
            history: vec![],
            created_at: "t".into(),
            updated_at: "t".into(),
        }
    }

    #[test]
    fn a_payment_is_split_in_escrow_to_the_cent() {
        let it = paid_itinerary(1_000_000);
        let ts = payment_transfers(&it, 1900, Some("ch_1"), "t").unwrap();
        let of = |code: TransferCode| ts.iter().filter(|t| t.code == code).map(|t| t.amount).sum::<i64>();
        assert_eq!(of(TransferCode::Payment), 3490);
        assert_eq!(of(TransferCode::Share), 2000);
        assert_eq!((of(TransferCode::Fee), of(TransferCode::Vat)), (1000, 190), "19% VAT inside the fee");
        assert_eq!(of(TransferCode::Duties), 300);
        let mut l = crate::domain::ledger::Ledger::default();
        assert_eq!(l.apply(&ts), Ok(true));
        assert_eq!(l.accounts[&escrow(&it)].headroom(crate::domain::ledger::Constraint::DebitsMustNotExceedCredits), 0);
        // Lines that do not add up to the total are refused.
        let mut bad = it.clone();
        bad.total += 1;
        assert!(payment_transfers(&bad, 1900, None, "t").is_err());
    }

    #[test]
    fn the_cancellation_policy() {
        let depart = 1_000_000;
        let it = paid_itinerary(depart);
        let early = refund_policy(&it, 3490, CancelledBy::Sender, depart - 49 * 3600);
        assert_eq!((early.refund, early.retained), (3490, 0));
        let late = refund_policy(&it, 3490, CancelledBy::Sender, depart - 47 * 3600);
        assert_eq!((late.refund, late.retained), (3490 - 1190, 1190), "the platform fee is kept");
        let other = refund_policy(&it, 3490, CancelledBy::Other, depart - 3600);
        assert_eq!((other.refund, other.retained), (3490, 0));
        // Voids, refund and retained leave escrow empty.
        let mut l = crate::domain::ledger::Ledger::default();
        let pay = payment_transfers(&it, 1900, Some("ch_1"), "t").unwrap();
        l.apply(&pay).unwrap();
        let pending: Vec<_> =
            pay.iter().filter(|t| t.phase == Phase::Pending).map(|t| (t.clone(), PendingState::Pending)).collect();
        assert_eq!(l.apply(&cancellation_transfers(&it, &pending, &late, "t2")), Ok(true));
        let esc = l.accounts[&escrow(&it)];
        assert_eq!((esc.net_posted(), esc.debits_pending), (0, 0), "{esc:?}");
        assert!(l.balanced() && l.within_constraints());
    }

    #[test]
    fn a_withdrawn_share_is_refunded_and_the_rest_stays_held() {
        let it = paid_itinerary(1_000_000);
        let mut l = crate::domain::ledger::Ledger::default();
        let pay = payment_transfers(&it, 1900, Some("ch_1"), "t").unwrap();
        l.apply(&pay).unwrap();
        let share = pay.iter().find(|t| t.transfer_id == share_id(&it, 0)).unwrap();
        assert_eq!(l.apply(&withdrawal_transfers(&it, share, "it.1", "t2")), Ok(true));
        let esc = l.accounts[&escrow(&it)];
        assert_eq!(esc.net_posted(), 3490 - 2000, "the share left escrow for the sender");
        assert_eq!(esc.debits_pending, 1190 + 300, "the fee and duties are still held");
        let mut p = payment();
        p.status = PaymentStatus::Succeeded;
        p.refund("it.1", 2000, "withdrew".into(), "t2");
        assert!(p.broken_by_a_traveler());
        assert_eq!((p.status, p.refund_requested()), (PaymentStatus::Refunding, 2000));
        assert!(p.refund_for("it.1").is_some() && p.refund_for(CANCELLATION).is_none());
    }

    #[test]
    fn news_moves_a_payment_only_forward() {
        let mut p = payment();
        let eur = p.currency.clone();
        let ok = Signal::Succeeded { intent_id: "pi_1".into(), amount: 1000, currency: eur.clone(), charge_id: None };
        let failed = Signal::Failed { intent_id: "pi_1".into(), message: "declined".into() };
        assert_eq!(p.apply(&failed, "t1"), Outcome::Failed);
        assert_eq!(p.apply(&Signal::RequiresAction { intent_id: "pi_1".into() }, "t2"), Outcome::Recorded);
        // Another intent's news, or a wrong amount, changes nothing.
        let other =
            Signal::Succeeded { intent_id: "pi_2".into(), amount: 1000, currency: eur.clone(), charge_id: None };
        assert_eq!(p.apply(&other, "t3"), Outcome::Nothing);
        let short = Signal::Succeeded { intent_id: "pi_1".into(), amount: 999, currency: eur, charge_id: None };
        assert_eq!(p.apply(&short, "t3"), Outcome::Nothing);
        assert_eq!(p.apply(&ok, "t4"), Outcome::Confirm);
        // Repeated, or a failure arriving late: nothing.
        assert_eq!(p.apply(&ok, "t5"), Outcome::Nothing);
        assert_eq!(p.apply(&failed, "t6"), Outcome::Nothing);
        assert_eq!(p.status, PaymentStatus::Succeeded);
        p.status = PaymentStatus::Refunding;
        p.refunds.push(RefundPart { cause: CANCELLATION.into(), amount: 600, rule: String::new() });
        let refunded = Signal::Refunded { intent_id: "pi_1".into(), amount_refunded: 600 };
        assert_eq!(p.apply(&refunded, "t7"), Outcome::RefundSettled(600));
        assert_eq!(p.apply(&refunded, "t8"), Outcome::Nothing);
        assert_eq!(p.status, PaymentStatus::Refunded);
    }
}
