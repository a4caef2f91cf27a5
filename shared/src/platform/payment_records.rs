//! What the payment routes and consumers share: the ledger on the table
//! (transfers written with their accounts' changes and balance conditions in
//! the same transaction), the payment record, receiving a provider's event
//! once (webhook and reconciliation alike), confirming a paid itinerary,
//! and the provider's settings.
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::booking_records::{itinerary_write, Loaded};
use super::envelope::Actor;
use super::http::Problem;
use super::outbox;
use super::store::{put_new, put_versioned, update, Record, UpdateSpec};
use crate::domain::bookings::{BookingStatus, IllegalTransition, ItineraryStatus};
use crate::domain::disputes::Dispute;
use crate::domain::events::{ItineraryConfirmed, PaymentSucceeded, ProviderEventReceived};
use crate::domain::ledger::{self, AccountId, AccountKind, Balance, LedgerError, PendingState, Phase, Transfer};
use crate::domain::money::{Currency, Money};
use crate::domain::payments::{payment_transfers, Payment, SplitError};
use crate::domain::search::RouteSegment;
use crate::keys::{self, entity};

/// The one payment provider today.
pub const STRIPE: &str = "stripe";
/// How long a received provider event is remembered (Stripe retries for 3 days).
pub const EVENT_RETENTION_SECONDS: i64 = 30 * 24 * 3600;

/// A transfer as stored; a pending one also says where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct TransferRecord {
    #[serde(flatten)]
    pub transfer: Transfer,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<PendingState>,
}

/// An account as stored: its four sums and its headroom under its constraint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AccountRecord {
    pub kind: AccountKind,
    pub owner: String,
    pub currency: Currency,
    #[serde(flatten)]
    pub balance: Balance,
    pub headroom: i64,
}

impl AccountRecord {
    pub fn id(&self) -> AccountId {
        AccountId::new(self.kind, &self.owner, &self.currency)
    }
}

/// The writes of a batch of transfers: each new transfer (refused if its id
/// exists: a retry changes nothing), each pending transfer it posts or voids
/// (only while still pending), and each account's change, conditioned on
/// the account's headroom where the batch takes from it. `known` are the
/// transfers stored so far for the itinerary (the pending ones it may close).
pub fn ledger_writes(
    batch: &[Transfer],
    known: &[Record<TransferRecord>],
) -> Result<Vec<TransactWriteItem>, LedgerError> {
    let pending: BTreeMap<String, (Transfer, PendingState)> = known
        .iter()
        .filter_map(|r| r.data.state.map(|s| (r.data.transfer.transfer_id.clone(), (r.data.transfer.clone(), s))))
        .collect();
    let plan = ledger::plan(batch, &pending)?;
    let mut writes = Vec::new();
    for t in batch {
        let (by_debit, _) = keys::transfers_of_account(&t.debit, &t.at, &t.transfer_id);
        let (_, by_credit) = keys::transfers_of_account(&t.credit, &t.at, &t.transfer_id);
        let state = (t.phase == Phase::Pending).then_some(PendingState::Pending);
        let r = Record::new(
            keys::ledger_transfer(&t.itinerary_id, &t.transfer_id),
            entity::LEDGER_TRANSFER,
            TransferRecord { transfer: t.clone(), state },
        )
        .gsi1(by_debit)
        .gsi2(Some(by_credit));
        writes.push(put_new(&r));
    }
    for (id, state) in &plan.closes {
        let orig = &pending[id].0;
        writes.push(update(
            &keys::ledger_transfer(&orig.itinerary_id, id),
            UpdateSpec::new("SET #s = :s")
                .when("#s = :p")
                .name("#s", "state")
                .value(":s", state)
                .value(":p", PendingState::Pending),
        ));
    }
    for (a, d) in &plan.changes {
        let mut spec = UpdateSpec::new(
            "SET #e = :e, #k = :k, #o = :o, #c = :c \
             ADD #dp :dp, #dpo :dpo, #cp :cp, #cpo :cpo, #h :h",
        )
        .name("#e", "entity")
        .name("#k", "kind")
        .name("#o", "owner")
        .name("#c", "currency")
        .name("#dp", "debits_pending")
        .name("#dpo", "debits_posted")
        .name("#cp", "credits_pending")
        .name("#cpo", "credits_posted")
        .name("#h", "headroom")
        .value(":e", entity::LEDGER_ACCOUNT)
        .value(":k", a.kind)
        .value(":o", &a.owner)
        .value(":c", &a.currency)
        .value(":dp", d.debits_pending)
        .value(":dpo", d.debits_posted)
        .value(":cp", d.credits_pending)
        .value(":cpo", d.credits_posted)
        .value(":h", d.headroom(a.kind.constraint()));
        let need = plan.needs(a);
        if need > 0 {
            spec = spec.when("#h >= :need").value(":need", need);
        }
        writes.push(update(&keys::ledger_account(a), spec));
    }
    Ok(writes)
}

/// The payment's next version (or its first).
pub fn payment_write(current: Option<&Record<Payment>>, p: &Payment) -> TransactWriteItem {
    match current {
        None => put_new(&Record::new(keys::payment(&p.itinerary_id), entity::PAYMENT, p.clone())),
        Some(c) => put_versioned(&c.next(p.clone())),
    }
}

/// A dispute's next version (or its first), listed by its status (gsi2).
pub fn dispute_write(current: Option<&Record<Dispute>>, d: &Dispute) -> TransactWriteItem {
    let listed = Some(keys::dispute_by_status(d.status.as_str(), &d.opened_at, &d.dispute_id));
    match current {
        None => put_new(
            &Record::new(keys::dispute(&d.itinerary_id, &d.dispute_id), entity::DISPUTE, d.clone()).gsi2(listed),
        ),
        Some(c) => put_versioned(&c.next(d.clone()).gsi2(listed)),
    }
}

/// Which itinerary a PaymentIntent pays.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IntentPointer {
    pub itinerary_id: String,
}

/// A provider's event, received once: a marker by its id (a second receipt
/// fails on it) and the event through the outbox to the payments consumer.
pub fn received(provider: &str, e: &super::stripe::Event, now: i64) -> Vec<TransactWriteItem> {
    #[derive(Serialize)]
    struct Received<'a> {
        event_type: &'a str,
        received_at: i64,
    }
    let marker = Record::new(
        keys::provider_event(provider, &e.id),
        entity::PROVIDER_EVENT,
        Received { event_type: &e.kind, received_at: now },
    )
    .expires(now + EVENT_RETENTION_SECONDS);
    let event = ProviderEventReceived {
        provider: provider.into(),
        event_id: e.id.clone(),
        event_type: e.kind.clone(),
        created: e.created,
        object: e.data.object.clone(),
    };
    vec![put_new(&marker), outbox::event(&event, &e.id, Actor::system())]
}

/// A traveler's part of a confirmed itinerary: what custody builds on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Assignment {
    pub booking_id: String,
    pub itinerary_id: String,
    pub shipment_id: String,
    pub trip_id: String,
    pub traveler_id: String,
    pub segment: RouteSegment,
    pub created_at: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfirmError {
    #[error(transparent)]
    Transition(#[from] IllegalTransition),
    #[error(transparent)]
    Split(#[from] SplitError),
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// A paid itinerary confirmed, in one transaction: the itinerary, the
/// payment (already moved by the provider's news), the escrow on the
/// ledger, a leg assignment per accepted booking, PaymentSucceeded and
/// ItineraryConfirmed.
pub fn confirm(
    l: &Loaded,
    p: &Payment,
    at: &str,
    correlation_id: &str,
) -> Result<Vec<TransactWriteItem>, ConfirmError> {
    let mut it = l.itinerary.data.clone();
    it.go(ItineraryStatus::Confirmed, at, None)?;
    let transfers = payment_transfers(&it, p.fee_vat_bp, p.charge_id.as_deref(), at)?;
    let mut writes = ledger_writes(&transfers, &l.transfers)?;
    writes.push(itinerary_write(Some(&l.itinerary), &it));
    writes.push(payment_write(l.payment.as_ref(), p));
    let mut travelers = Vec::new();
    for b in it.bookings.iter().filter(|b| b.status == BookingStatus::Accepted) {
        let a = Assignment {
            booking_id: b.booking_id.clone(),
            itinerary_id: it.itinerary_id.clone(),
            shipment_id: it.shipment_id.clone(),
            trip_id: b.trip_id.clone(),
            traveler_id: b.traveler_id.clone(),
            segment: it.segments[b.segment].clone(),
            created_at: at.into(),
        };
        let g = keys::assignments_of(&b.traveler_id, at, &b.booking_id);
        writes.push(put_new(
            &Record::new(keys::assignment(&it.itinerary_id, &b.booking_id), entity::ASSIGNMENT, a).gsi1(g),
        ));
        travelers.push(b.traveler_id.clone());
    }
    let total = Money { amount: it.total, currency: it.currency.clone() };
    writes.push(outbox::event(
        &PaymentSucceeded {
            itinerary_id: it.itinerary_id.clone(),
            sender_id: it.sender_id.clone(),
            intent_id: p.intent_id.clone(),
            amount: total.clone(),
        },
        correlation_id,
        Actor::system(),
    ));
    writes.push(outbox::event(
        &ItineraryConfirmed {
            itinerary_id: it.itinerary_id.clone(),
            shipment_id: it.shipment_id.clone(),
            sender_id: it.sender_id.clone(),
            travelers,
            total,
        },
        correlation_id,
        Actor::system(),
    ));
    Ok(writes)
}

/// How the payment of an itinerary stands, for its sender.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct PaymentView {
    pub itinerary_id: String,
    pub status: Option<crate::domain::payments::PaymentStatus>,
    pub itinerary_status: ItineraryStatus,
    pub amount: Money,
    /// In escrow now (paid, less what was released or refunded).
    pub held: i64,
    /// Posted to travelers, couriers and the platform (delivered).
    pub released: i64,
    /// Refund asked of the provider, and confirmed by it.
    pub refund_requested: i64,
    pub refunded: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<crate::domain::trips::Instant>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_rule: Option<String>,
    pub disputed: bool,
    /// Where its dispute stands (`open`: the escrow is frozen; `won`; `lost`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dispute: Option<crate::domain::disputes::DisputeStatus>,
    /// The itinerary's transfers, in the order they were written.
    pub transfers: Vec<TransferRecord>,
}

/// The view of an itinerary's payment, from its transfers: what entered
/// escrow, what left it for good (posted to payees), what was refunded.
pub fn payment_view(l: &Loaded) -> PaymentView {
    let it = &l.itinerary.data;
    let esc = crate::domain::payments::escrow(it);
    let (mut credited, mut debited, mut released) = (0, 0, 0);
    for r in &l.transfers {
        let t = &r.data.transfer;
        if t.credit == esc && t.phase == Phase::Posted {
            credited += t.amount;
        }
        if t.debit == esc {
            match &t.phase {
                Phase::Posted => debited += t.amount,
                Phase::PostPending { .. } => {
                    debited += t.amount;
                    released += t.amount;
                }
                _ => {}
            }
        }
    }
    let p = l.payment.as_ref().map(|p| &p.data);
    let mut transfers: Vec<TransferRecord> = l.transfers.iter().map(|r| r.data.clone()).collect();
    transfers.sort_by(|a, b| (&a.transfer.at, &a.transfer.transfer_id).cmp(&(&b.transfer.at, &b.transfer.transfer_id)));
    PaymentView {
        itinerary_id: it.itinerary_id.clone(),
        status: p.map(|p| p.status),
        itinerary_status: it.status,
        amount: Money { amount: it.total, currency: it.currency.clone() },
        held: credited - debited,
        released,
        refund_requested: p.map_or(0, |p| p.refund_requested()),
        refunded: p.map_or(0, |p| p.refunded),
        last_error: p.and_then(|p| p.last_error.clone()),
        deadline: p.map(|p| p.deadline),
        refund_rule: p.and_then(|p| p.refund_rule().map(str::to_string)),
        disputed: p.is_some_and(|p| p.disputed),
        dispute: p.and_then(|p| p.dispute),
        transfers,
    }
}

/// A batch the ledger refuses, or lines that do not add up, is a bug: the
/// event is not retried as if the store had failed.
impl From<LedgerError> for super::lambda::EventError {
    fn from(e: LedgerError) -> Self {
        super::lambda::EventError::Invalid(e.to_string())
    }
}
impl From<ConfirmError> for super::lambda::EventError {
    fn from(e: ConfirmError) -> Self {
        super::lambda::EventError::Invalid(e.to_string())
    }
}
impl From<SplitError> for super::lambda::EventError {
    fn from(e: SplitError) -> Self {
        super::lambda::EventError::Invalid(e.to_string())
    }
}

impl From<LedgerError> for Problem {
    fn from(e: LedgerError) -> Self {
        tracing::error!(error = %e, "ledger refused a batch");
        Problem::internal()
    }
}

/// The provider's settings: the client, the publishable key apps use,
/// and the payment deadline.
#[cfg(feature = "stripe")]
pub struct Provider {
    pub stripe: super::stripe::Client,
    pub publishable_key: String,
    /// Minutes an itinerary may await payment before it is cancelled.
    pub deadline_minutes: i64,
}

#[cfg(feature = "stripe")]
impl super::context::FromEnv for Provider {
    fn from_env(env: &super::env::Env) -> Result<Self, super::env::ConfigError> {
        Ok(Self {
            stripe: super::stripe::Client::from_env(env)?,
            publishable_key: env.get("STRIPE_PUBLISHABLE_KEY").unwrap_or_default().to_string(),
            deadline_minutes: env
                .get("PAYMENT_DEADLINE_MINUTES")
                .map_or(Ok(30), |_| env.parse("PAYMENT_DEADLINE_MINUTES"))?,
        })
    }
}

impl From<super::stripe::StripeError> for Problem {
    fn from(e: super::stripe::StripeError) -> Self {
        if e.is_transient() {
            tracing::warn!(error = %e, "payment provider unavailable");
            Problem::unavailable()
        } else {
            tracing::error!(error = %e, "payment provider refused a call");
            Problem::internal()
        }
    }
}
