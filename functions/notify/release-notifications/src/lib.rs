//! On a schedule (every minute): SMS and push held back by quiet hours are
//! sent once the hours end. Each due delivery (sparse gsi2 by release time)
//! is taken with a conditional write (held → sending), so two runs never
//! send it twice, then sent and recorded like any other; one that fails for
//! now is held again for the next run.
//! Query (gsi2) + per delivery: PutItem (take), the send, PutItem (outcome).
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::notify_records::{delivery_put, delivery_release, Delivery, DeliveryStatus};
use handoff::platform::notify_send::{deliver, Notifier};
use handoff::platform::store::StoreError;
use serde::Serialize;

const BATCH: i32 = 100;

#[derive(Debug, Serialize)]
pub struct Report {
    pub sent: usize,
    pub retried: usize,
    pub skipped: usize,
}

pub async fn handle(ctx: &Ctx<Notifier>, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let table = ctx.table()?;
    let now = ctx.scheduled_time(&scheduled);
    let upto = format!("{now:011}#~");
    let due = table.query_until::<Delivery>("gsi2", keys::held_notifications().into(), &upto, BATCH).await?;
    let mut report = Report { sent: 0, retried: 0, skipped: 0 };
    for held in due {
        let mut d = held.data;
        let Some(h) = d.held.take() else {
            report.skipped += 1;
            continue;
        };
        let (release_at, status) = (d.release_at, d.status);
        d.status = DeliveryStatus::Sending;
        d.release_at = None;
        d.updated_at = ctx.now_rfc3339();
        if status != DeliveryStatus::Held {
            report.skipped += 1;
            continue;
        }
        match table.write_one(delivery_release(&d, now)).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => {
                report.skipped += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        match deliver(ctx, &mut d, &h.targets, &h.message, &h.link).await {
            Ok(_) => report.sent += 1,
            Err(e) => {
                tracing::warn!(event = %d.event_id, user = %d.user_id, error = %e, "held notification failed; held again");
                d.status = DeliveryStatus::Held;
                d.release_at = release_at;
                d.held = Some(h);
                table.write_one(delivery_put(&d, now)).await?;
                report.retried += 1;
            }
        }
    }
    Ok(report)
}
