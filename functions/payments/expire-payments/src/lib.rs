//! On a schedule (every minute): itineraries still awaiting payment past
//! the payment deadline are cancelled: the saga's compensation. The open
//! PaymentIntent is cancelled at Stripe first; if Stripe says it was paid
//! meanwhile, the itinerary is left for the confirmation. Then, in one
//! transaction, the itinerary is cancelled (cancelled_by: other), its
//! reserved capacity released and its shipment a draft again, exactly as a
//! sender's cancellation. Reads the sparse awaiting-payment index (gsi2).
//! Query (gsi2) + per due itinerary: Query + GetItem + Stripe (CancelPaymentIntent) + TransactWriteItems.
use handoff::domain::bookings::ItineraryStatus;
use handoff::domain::payments::{CancelledBy, PaymentStatus};
use handoff::domain::shipments::Shipment;
use handoff::keys;
use handoff::platform::booking_records::{cancellation, load};
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Actor;
use handoff::platform::lambda::EventError;
use handoff::platform::payment_records::{payment_write, Provider};
use handoff::platform::store::{Record, StoreError};
use serde::Serialize;

const BATCH: i32 = 100;

#[derive(Debug, Serialize)]
pub struct Report {
    pub cancelled: Vec<String>,
    pub skipped: usize,
}

pub async fn handle(ctx: &Ctx<Provider>, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let table = ctx.table()?;
    let now = ctx.scheduled_time(&scheduled);
    let at = handoff::platform::clock::rfc3339(now as i128 * 1000);
    let upto = format!("{:011}#~", now - ctx.config.deadline_minutes * 60);
    let due = table.query_until::<serde_json::Value>("gsi2", keys::awaiting_payments().into(), &upto, BATCH).await?;
    let mut report = Report { cancelled: Vec::new(), skipped: 0 };
    for d in due {
        let Some(id) = d.data.get("itinerary_id").and_then(|v| v.as_str()) else {
            report.skipped += 1;
            continue;
        };
        let Some(l) = load(table, id).await? else {
            report.skipped += 1;
            continue;
        };
        if l.itinerary.data.status != ItineraryStatus::AwaitingPayment {
            report.skipped += 1;
            continue;
        }
        let mut payment = l.payment.as_ref().map(|p| p.data.clone());
        if let Some(p) = payment.as_mut().filter(|p| p.status.is_open()) {
            let key = format!("cancel-{}", p.intent_id);
            if let Err(e) = ctx.config.stripe.cancel_payment_intent(&p.intent_id, &key).await {
                if e.is_transient() {
                    return Err(EventError::dependency("Stripe", e));
                }
                // Refused: most likely paid meanwhile; its confirmation will come.
                tracing::info!(itinerary_id = id, error = %e, "PaymentIntent not cancelled; left for its confirmation");
                report.skipped += 1;
                continue;
            }
            p.status = PaymentStatus::Canceled;
            p.last_error = Some("the payment deadline passed".into());
            p.updated_at = at.clone();
        }
        let shipment: Option<Record<Shipment>> =
            table.get(&keys::shipment(&l.itinerary.data.shipment_id), true).await?;
        let Some(shipment) = shipment else {
            report.skipped += 1;
            continue;
        };
        let reason = Some("the payment deadline passed".to_string());
        let Ok((_, mut writes)) =
            cancellation(&l, &shipment.data, &at, reason, CancelledBy::Other, id, Actor::system())
        else {
            report.skipped += 1;
            continue;
        };
        if let Some(p) = &payment {
            writes.push(payment_write(l.payment.as_ref(), p));
        }
        match table.transact(writes).await {
            Ok(()) => report.cancelled.push(id.to_string()),
            Err(StoreError::ConditionFailed { .. }) => report.skipped += 1,
            Err(e) => return Err(e.into()),
        }
    }
    tracing::info!(cancelled = report.cancelled.len(), skipped = report.skipped, "payment deadlines");
    Ok(report)
}
