//! Applies a payment provider's event (ProviderEventReceived, from the
//! webhook or the reconciliation schedule) to the itinerary it pays, only
//! forward: a repeated, late or out-of-order event changes nothing.
//! Succeeded: the itinerary is confirmed with its escrow on the ledger, leg
//! assignments, PaymentSucceeded and ItineraryConfirmed (one transaction);
//! if the itinerary was cancelled meanwhile, the money is booked into escrow
//! and the refund consumer pays it back. Failed: PaymentFailed (the sender
//! may try another card until the deadline). Refunded: the refund settles
//! on the ledger. Disputed: PaymentDisputed for support.
//! Query (itinerary partition) [+ GetItem (intent pointer) for charge events] + TransactWriteItems.
use handoff::domain::bookings::ItineraryStatus;
use handoff::domain::events::{
    DomainEvent, PaymentDisputed, PaymentFailed, PaymentSucceeded, ProviderEventReceived, RefundSettled,
};
use handoff::domain::money::Money;
use handoff::domain::payments::{payment_transfers, refund_settled_transfer, Outcome};
use handoff::keys;
use handoff::platform::booking_records::load;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::{Actor, Envelope};
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::payment_records::{confirm, ledger_writes, payment_write, IntentPointer};
use handoff::platform::store::{Record, WriteItem};
use handoff::platform::stripe::Event;

pub async fn handle(ctx: &Ctx, e: &Envelope) -> Result<Vec<WriteItem>, EventError> {
    if e.detail_type != ProviderEventReceived::DETAIL_TYPE {
        return Ok(Vec::new());
    }
    let r: ProviderEventReceived = serde_json::from_value(e.data.clone()).map_err(EventError::Malformed)?;
    let event = Event::from(r);
    let Some(signal) = event.signal() else {
        return Ok(Vec::new());
    };
    let table = ctx.table()?;
    let itinerary_id = match event.data.object.pointer("/metadata/itinerary_id").and_then(|v| v.as_str()) {
        Some(id) if event.kind.starts_with("payment_intent.") => id.to_string(),
        _ => {
            let p: Option<Record<IntentPointer>> = table.get(&keys::payment_intent(signal.intent_id()), true).await?;
            match p {
                Some(p) => p.data.itinerary_id,
                None => {
                    tracing::warn!(event_id = %event.id, "an event about a payment the platform does not know");
                    return Ok(Vec::new());
                }
            }
        }
    };
    let Some(l) = load(table, &itinerary_id).await? else {
        return Ok(Vec::new());
    };
    let Some(current) = l.payment.as_ref() else {
        return Ok(Vec::new());
    };
    let mut p = current.data.clone();
    let at = ctx.now_rfc3339();
    let it = &l.itinerary.data;
    let cid = e.correlation_id.as_str();
    let money = |amount: i64| Money { amount, currency: it.currency.clone() };
    let writes = match p.apply(&signal, &at) {
        Outcome::Nothing => Vec::new(),
        Outcome::Recorded => vec![payment_write(Some(current), &p)],
        Outcome::Failed => vec![
            payment_write(Some(current), &p),
            outbox::event(
                &PaymentFailed {
                    itinerary_id: it.itinerary_id.clone(),
                    sender_id: it.sender_id.clone(),
                    intent_id: p.intent_id.clone(),
                    reason: p.last_error.clone().unwrap_or_default(),
                    deadline: p.deadline,
                },
                cid,
                Actor::system(),
            ),
        ],
        Outcome::Confirm if it.status == ItineraryStatus::AwaitingPayment => confirm(&l, &p, &at, cid)?,
        Outcome::Confirm => {
            // Paid after the itinerary was cancelled: the money enters escrow
            // and the refund consumer (on PaymentSucceeded) pays it back.
            let pay = payment_transfers(it, p.fee_vat_bp, p.charge_id.as_deref(), &at)?;
            let mut w = ledger_writes(&pay[..1], &l.transfers)?;
            w.push(payment_write(Some(current), &p));
            w.push(outbox::event(
                &PaymentSucceeded {
                    itinerary_id: it.itinerary_id.clone(),
                    sender_id: it.sender_id.clone(),
                    intent_id: p.intent_id.clone(),
                    amount: money(p.amount),
                },
                cid,
                Actor::system(),
            ));
            w
        }
        Outcome::RefundSettled(more) => {
            let t = refund_settled_transfer(it, more, p.refunded, p.charge_id.as_deref(), &at);
            let mut w = ledger_writes(&[t], &l.transfers)?;
            w.push(payment_write(Some(current), &p));
            w.push(outbox::event(
                &RefundSettled {
                    itinerary_id: it.itinerary_id.clone(),
                    sender_id: it.sender_id.clone(),
                    amount: money(more),
                },
                cid,
                Actor::system(),
            ));
            w
        }
        Outcome::Disputed { amount, reason } => {
            vec![
                payment_write(Some(current), &p),
                outbox::event(
                    &PaymentDisputed {
                        itinerary_id: it.itinerary_id.clone(),
                        sender_id: it.sender_id.clone(),
                        intent_id: p.intent_id.clone(),
                        amount,
                        reason,
                    },
                    cid,
                    Actor::system(),
                ),
            ]
        }
    };
    tracing::info!(event_id = %event.id, event_type = %event.kind, itinerary_id = %it.itinerary_id, writes = writes.len(), "provider event applied");
    Ok(writes)
}
