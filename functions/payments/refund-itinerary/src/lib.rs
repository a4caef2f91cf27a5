//! Pays back what a paid itinerary no longer carries:
//! - on ItineraryCancelled (and on PaymentSucceeded for money that arrived
//!   after a cancellation): an open PaymentIntent is cancelled at Stripe so
//!   it can no longer be paid; a paid itinerary is refunded under the
//!   cancellation policy (the pending shares voided, the refund moved from
//!   escrow to refunds, what the policy keeps to revenue);
//! - on BookingWithdrawn of a paid itinerary (a traveler cancelled their
//!   trip before pickup): a partial refund of that traveler's share (voided
//!   in escrow), the rest of the itinerary untouched. A later cancellation
//!   of the rest is then refunded in full (it broke through no fault of the
//!   sender's).
//!
//! Each refund is written first (transfers, payment, RefundIssued, one
//! transaction) and then asked of Stripe under an idempotency key bound to
//! the itinerary and its cause, so the charge.refunded that settles it
//! (apply-payment-event) finds the payment refunding, and a redelivered
//! event asks again and gets the same refund.
//!
//! Query (itinerary partition) + TransactWriteItems + Stripe (CreateRefund or CancelPaymentIntent).
use handoff::domain::bookings::ItineraryStatus;
use handoff::domain::events::{BookingWithdrawn, DomainEvent, ItineraryCancelled, PaymentSucceeded, RefundIssued};
use handoff::domain::money::Money;
use handoff::domain::payments::{
    cancellation_transfers, refund_policy, share_id, withdrawal_transfers, CancelledBy, CANCELLATION,
};
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::{Actor, Envelope};
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::payment_records::{ledger_writes, payment_write, Provider};
use handoff::platform::store::{StoreError, WriteItem};

/// What to pay back: the whole itinerary, or one withdrawn booking's share.
enum Cause {
    Cancellation(CancelledBy),
    Withdrawal(String),
}

pub async fn handle(ctx: &Ctx<Provider>, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let (itinerary_id, cause) = match e.detail_type.as_str() {
        ItineraryCancelled::DETAIL_TYPE => {
            let c: ItineraryCancelled = parse(e)?;
            (c.itinerary_id, Cause::Cancellation(c.cancelled_by))
        }
        PaymentSucceeded::DETAIL_TYPE => {
            let p: PaymentSucceeded = parse(e)?;
            (p.itinerary_id, Cause::Cancellation(CancelledBy::Other))
        }
        BookingWithdrawn::DETAIL_TYPE => {
            let w: BookingWithdrawn = parse(e)?;
            if !w.paid {
                return Ok(Vec::new());
            }
            (w.itinerary_id, Cause::Withdrawal(w.booking_id))
        }
        _ => return Ok(Vec::new()),
    };
    let table = ctx.table()?;
    let Some(l) = load(table, &itinerary_id).await? else {
        return Ok(Vec::new());
    };
    let Some(current) = l.payment.as_ref() else {
        return Ok(Vec::new());
    };
    let it = &l.itinerary.data;
    let stripe = &ctx.config.stripe;
    let mut p = current.data.clone();
    let at = ctx.now_rfc3339();
    let cause_id = match &cause {
        Cause::Cancellation(_) => CANCELLATION.to_string(),
        Cause::Withdrawal(b) => b.clone(),
    };
    let key = format!("refund-{}-{cause_id}", it.itinerary_id);
    if let Some(done) = p.refund_for(&cause_id) {
        // Decided and written before: make sure Stripe was asked (the same
        // idempotency key: a refund made already is answered again).
        if done.amount > 0 && p.refunded < p.refund_requested() {
            stripe
                .create_refund(&p.intent_id, done.amount, &it.itinerary_id, &key)
                .await
                .map_err(|err| EventError::dependency("Stripe", err))?;
        }
        return Ok(Vec::new());
    }
    let (transfers, amount, retained, rule) = match cause {
        Cause::Cancellation(by) => {
            if it.status != ItineraryStatus::Cancelled {
                return Ok(Vec::new());
            }
            if p.status.is_open() {
                // Nobody may pay a cancelled itinerary. If it was paid in the
                // meantime, Stripe refuses, and PaymentSucceeded brings us back.
                match stripe.cancel_payment_intent(&p.intent_id, &format!("cancel-{}", p.intent_id)).await {
                    Ok(_) => {}
                    Err(err) if err.is_transient() => return Err(EventError::dependency("Stripe", err)),
                    Err(err) => tracing::info!(error = %err, "the PaymentIntent could not be cancelled"),
                }
                return Ok(Vec::new());
            }
            if !p.status.was_paid() {
                return Ok(Vec::new());
            }
            let by = if p.broken_by_a_traveler() { CancelledBy::Other } else { by };
            let decision = refund_policy(it, p.amount - p.refund_requested(), by, ctx.now());
            let transfers = cancellation_transfers(it, &l.pending(), &decision, &at);
            (transfers, decision.refund, decision.retained, decision.rule)
        }
        Cause::Withdrawal(booking_id) => {
            if !p.status.was_paid() {
                return Ok(Vec::new());
            }
            let Some(b) = it.bookings.iter().find(|b| b.booking_id == booking_id) else {
                return Ok(Vec::new());
            };
            let id = share_id(it, b.segment);
            let Some((share, _)) = l.pending().into_iter().find(|(t, _)| t.transfer_id == id) else {
                return Ok(Vec::new());
            };
            let amount = share.amount;
            let rule = format!("the traveler of trip {} withdrew before pickup: their share is refunded", b.trip_id);
            (withdrawal_transfers(it, &share, &booking_id, &at), amount, 0, rule)
        }
    };
    let mut writes = ledger_writes(&transfers, &l.transfers)?;
    p.refund(&cause_id, amount, rule.clone(), &at);
    writes.push(payment_write(Some(current), &p));
    let money = |amount: i64| Money { amount, currency: it.currency.clone() };
    writes.push(outbox::event(
        &RefundIssued {
            itinerary_id: it.itinerary_id.clone(),
            sender_id: it.sender_id.clone(),
            refund: money(amount),
            retained: money(retained),
            rule,
        },
        &e.correlation_id,
        Actor::system(),
    ));
    match table.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => return Err(EventError::Conflict),
        Err(err) => return Err(err.into()),
    }
    if amount > 0 {
        stripe
            .create_refund(&p.intent_id, amount, &it.itinerary_id, &key)
            .await
            .map_err(|err| EventError::dependency("Stripe", err))?;
    }
    tracing::info!(itinerary_id = %it.itinerary_id, cause = %cause_id, refund = amount, retained, "refund issued");
    Ok(Vec::new())
}

fn parse<T: serde::de::DeserializeOwned>(e: &Envelope) -> Result<T, EventError> {
    serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)
}
