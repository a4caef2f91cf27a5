//! Pays back a cancelled itinerary (on ItineraryCancelled, and on
//! PaymentSucceeded for money that arrived after a cancellation). An open
//! PaymentIntent is cancelled at Stripe so it can no longer be paid. A paid
//! one is refunded under the cancellation policy: the pending shares are
//! voided, the refund moves from escrow to refunds and what the policy keeps
//! to revenue (one transaction with the payment and RefundIssued), and only
//! then is the refund asked of Stripe, under an idempotency key bound to the
//! itinerary (a redelivered event asks again and gets the same refund), so
//! the charge.refunded that settles it (apply-payment-event) finds the
//! payment refunding.
//! Query (itinerary partition) + Stripe (CreateRefund or CancelPaymentIntent) + TransactWriteItems.
use handoff::domain::bookings::ItineraryStatus;
use handoff::domain::events::{DomainEvent, ItineraryCancelled, PaymentSucceeded, RefundIssued};
use handoff::domain::money::Money;
use handoff::domain::payments::{cancellation_transfers, refund_policy, CancelledBy, PaymentStatus};
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::{Actor, Envelope};
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::payment_records::{ledger_writes, payment_write, Provider};
use handoff::platform::store::{StoreError, WriteItem};

pub async fn handle(ctx: &Ctx<Provider>, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    let (itinerary_id, by) = match e.detail_type.as_str() {
        ItineraryCancelled::DETAIL_TYPE => {
            let c: ItineraryCancelled = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (c.itinerary_id, c.cancelled_by)
        }
        PaymentSucceeded::DETAIL_TYPE => {
            let p: PaymentSucceeded = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
            (p.itinerary_id, CancelledBy::Other)
        }
        _ => return Ok(Vec::new()),
    };
    let table = ctx.table()?;
    let Some(l) = load(table, &itinerary_id).await? else {
        return Ok(Vec::new());
    };
    let it = &l.itinerary.data;
    let Some(current) = l.payment.as_ref() else {
        return Ok(Vec::new());
    };
    if it.status != ItineraryStatus::Cancelled {
        return Ok(Vec::new());
    }
    let stripe = &ctx.config.stripe;
    let mut p = current.data.clone();
    let at = ctx.now_rfc3339();
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
    let key = format!("refund-{}", it.itinerary_id);
    if p.refund_rule.is_some() {
        // Decided and written before: make sure Stripe was asked (the same
        // idempotency key: a refund made already is answered again).
        if p.status == PaymentStatus::Refunding && p.refunded < p.refund_requested {
            stripe
                .create_refund(&p.intent_id, p.refund_requested, &it.itinerary_id, &key)
                .await
                .map_err(|err| EventError::dependency("Stripe", err))?;
        }
        return Ok(Vec::new());
    }
    if p.status != PaymentStatus::Succeeded {
        return Ok(Vec::new());
    }
    let decision = refund_policy(it, p.amount - p.refunded, by, ctx.now());
    let pending: Vec<_> =
        l.transfers.iter().filter_map(|r| r.data.state.map(|s| (r.data.transfer.clone(), s))).collect();
    let transfers = cancellation_transfers(it, &pending, &decision, &at);
    let mut writes = ledger_writes(&transfers, &l.transfers).map_err(|e| EventError::Invalid(e.to_string()))?;
    p.refund_requested = decision.refund;
    p.refund_rule = Some(decision.rule.clone());
    p.status = if decision.refund > 0 { PaymentStatus::Refunding } else { PaymentStatus::Succeeded };
    p.updated_at = at;
    writes.push(payment_write(Some(current), &p));
    let money = |amount: i64| Money { amount, currency: it.currency.clone() };
    writes.push(outbox::event(
        &RefundIssued {
            itinerary_id: it.itinerary_id.clone(),
            sender_id: it.sender_id.clone(),
            refund: money(decision.refund),
            retained: money(decision.retained),
            rule: decision.rule.clone(),
        },
        &e.correlation_id,
        Actor::system(),
    ));
    // The decision is written first, then Stripe is asked: its charge.refunded
    // then finds the payment refunding. A failure in between is retried:
    // the next delivery finds the decision and asks Stripe (same key).
    match table.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => return Err(EventError::Conflict),
        Err(err) => return Err(err.into()),
    }
    if decision.refund > 0 {
        stripe
            .create_refund(&p.intent_id, decision.refund, &it.itinerary_id, &key)
            .await
            .map_err(|err| EventError::dependency("Stripe", err))?;
    }
    tracing::info!(itinerary_id = %it.itinerary_id, refund = decision.refund, retained = decision.retained, "refund issued");
    Ok(Vec::new())
}
