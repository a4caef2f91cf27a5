//! Applies a payment provider's event (ProviderEventReceived, from the
//! webhook or the reconciliation schedule) to the itinerary it pays, only
//! forward: a repeated, late or out-of-order event changes nothing.
//! Succeeded: the itinerary is confirmed with its escrow on the ledger, leg
//! assignments, PaymentSucceeded and ItineraryConfirmed (one transaction);
//! if the itinerary was cancelled meanwhile, the money is booked into escrow
//! and the refund consumer pays it back. Failed: PaymentFailed (the sender
//! may try another card until the deadline). Refunded: the refund settles
//! on the ledger. Disputed: the case opens (listed for support by
//! GET /admin/disputes) with what the escrow holds, frozen until it closes
//! (release-escrow holds it), and PaymentDisputed. Dispute closed: won
//! lifts the freeze (DisputeClosed; release-escrow releases a delivered
//! shipment's escrow), lost is booked under `domain::disputes`' policy
//! (pending shares voided, the escrow first, then the platform).
//! Query (itinerary partition) [+ GetItem (intent pointer) for charge events] + TransactWriteItems.
use handoff::domain::bookings::ItineraryStatus;
use handoff::domain::disputes::{escrow_left, lost_transfers, Dispute, DisputeStatus};
use handoff::domain::events::{
    DisputeClosed, DomainEvent, PaymentDisputed, PaymentFailed, PaymentSucceeded, ProviderEventReceived, RefundSettled,
};
use handoff::domain::money::Money;
use handoff::domain::payments::{payment_transfers, refund_settled_transfer, Outcome, Payment};
use handoff::keys;
use handoff::platform::booking_records::{load, Loaded};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::{Actor, Envelope};
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::payment_records::{confirm, dispute_write, ledger_writes, payment_write, IntentPointer};
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
        Outcome::Disputed { dispute_id, amount, reason } => {
            let d = opened(&l, &p, &dispute_id, money(amount), reason, &at);
            vec![
                payment_write(Some(current), &p),
                dispute_write(l.dispute(&dispute_id), &d),
                outbox::event(
                    &PaymentDisputed {
                        itinerary_id: it.itinerary_id.clone(),
                        sender_id: it.sender_id.clone(),
                        intent_id: p.intent_id.clone(),
                        dispute_id: d.dispute_id.clone(),
                        amount: d.amount.clone(),
                        reason: d.reason.clone(),
                        frozen: d.frozen,
                    },
                    cid,
                    Actor::system(),
                ),
            ]
        }
        Outcome::DisputeClosed { dispute_id, amount, reason, won } => {
            // Its opening may not have been seen (events come in any order): opened and closed at once.
            let current_case = l.dispute(&dispute_id);
            let mut d = match current_case {
                Some(c) => c.data.clone(),
                None => opened(&l, &p, &dispute_id, money(amount), reason, &at),
            };
            d.closed_at = Some(at.clone());
            let mut w = vec![payment_write(Some(current), &p)];
            if won {
                d.status = DisputeStatus::Won;
            } else {
                d.status = DisputeStatus::Lost;
                let transfers: Vec<_> = l.transfers.iter().map(|r| r.data.transfer.clone()).collect();
                let (batch, from_escrow, from_platform) =
                    lost_transfers(it, &transfers, &l.pending(), &dispute_id, amount, &at);
                (d.from_escrow, d.from_platform) = (from_escrow, from_platform);
                w.extend(ledger_writes(&batch, &l.transfers)?);
            }
            w.push(dispute_write(current_case, &d));
            w.push(outbox::event(
                &DisputeClosed {
                    dispute_id: d.dispute_id.clone(),
                    itinerary_id: it.itinerary_id.clone(),
                    shipment_id: it.shipment_id.clone(),
                    sender_id: it.sender_id.clone(),
                    status: d.status,
                    amount: d.amount.clone(),
                    from_escrow: d.from_escrow,
                    from_platform: d.from_platform,
                },
                cid,
                Actor::system(),
            ));
            w
        }
    };
    tracing::info!(event_id = %event.id, event_type = %event.kind, itinerary_id = %it.itinerary_id, writes = writes.len(), "provider event applied");
    Ok(writes)
}

/// The case a dispute opens: what the escrow holds now is frozen.
fn opened(l: &Loaded, p: &Payment, dispute_id: &str, amount: Money, reason: String, at: &str) -> Dispute {
    let it = &l.itinerary.data;
    Dispute {
        dispute_id: dispute_id.to_string(),
        itinerary_id: it.itinerary_id.clone(),
        shipment_id: it.shipment_id.clone(),
        sender_id: it.sender_id.clone(),
        charge_id: p.charge_id.clone(),
        amount,
        reason,
        status: DisputeStatus::Open,
        frozen: escrow_left(it, l.transfers.iter().map(|r| &r.data.transfer)),
        from_escrow: 0,
        from_platform: 0,
        opened_at: at.to_string(),
        delivered_at: None,
        closed_at: None,
    }
}
