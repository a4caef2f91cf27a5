//! On a schedule (every minute): deliveries due for another attempt. Each
//! is taken with a conditional write (still retrying, still due then, and
//! leased for one backoff), so two runs never attempt it twice; a delivery
//! of an endpoint disabled or deleted meanwhile fails.
//! Query (gsi2) + per delivery: GetItem (endpoint) + PutItem (lease) + the
//! POST + PutItem (outcome).
use handoff::domain::webhooks::backoff;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::store::{Record, StoreError};
use handoff::platform::webhook_records::{
    attempt, delivery_take, delivery_write, Delivery, DeliveryStatus, Endpoint, Webhooks,
};
use serde::Serialize;

const BATCH: i32 = 100;

#[derive(Debug, Serialize)]
pub struct Report {
    pub attempted: usize,
    pub delivered: usize,
    pub skipped: usize,
}

pub async fn handle(ctx: &Ctx<Webhooks>, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let table = ctx.table()?;
    let now = ctx.scheduled_time(&scheduled);
    let upto = format!("{now:011}#~");
    let due = table.query_until::<Delivery>("gsi2", keys::webhooks_due().into(), &upto, BATCH).await?;
    let mut report = Report { attempted: 0, delivered: 0, skipped: 0 };
    for r in due {
        let mut d = r.data;
        let seen = d.next_attempt_at;
        if d.status != DeliveryStatus::Retrying {
            report.skipped += 1;
            continue;
        }
        let endpoint: Option<Record<Endpoint>> =
            table.get(&keys::webhook_endpoint(&d.owner_id, &d.endpoint_id), true).await?;
        let Some(endpoint) = endpoint.filter(|e| e.data.enabled) else {
            d.status = DeliveryStatus::Failed;
            d.next_attempt_at = None;
            d.last_error = Some("the endpoint was disabled or deleted".into());
            d.updated_at = ctx.now_rfc3339();
            table.write_one(delivery_write(&d, now)).await?;
            report.skipped += 1;
            continue;
        };
        // The lease: due again after one more backoff if this run dies.
        let lease = now + backoff(d.attempts + 1, ctx.config.retry_base);
        let mut leased = d.clone();
        leased.next_attempt_at = Some(lease);
        match table.write_one(delivery_take(&leased, seen, now)).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => {
                report.skipped += 1;
                continue;
            }
            Err(e) => return Err(e.into()),
        }
        attempt(ctx, &endpoint, &mut d).await?;
        report.attempted += 1;
        if d.status == DeliveryStatus::Delivered {
            report.delivered += 1;
        }
    }
    Ok(report)
}
