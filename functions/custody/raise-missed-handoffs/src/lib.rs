//! On a schedule (every 5 minutes): a handoff not done by the end of its
//! window plus `HandoffGraceMinutes` raises HandoffMissed, once — the
//! parties and support are told. The custody of each shipment waits on a
//! sparse index by its next handoff's window end; the miss is written with
//! the custody's version, so a scan that races it wins and nothing is raised.
//! Query (gsi2) + per shipment: GetItem + TransactWriteItems.
use handoff::domain::custody::{miss, Custody, TrackingKind};
use handoff::domain::events::HandoffMissed;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::custody_records::{custody_write, track, CustodyConfig};
use handoff::platform::envelope::Actor;
use handoff::platform::lambda::EventError;
use handoff::platform::outbox;
use handoff::platform::store::StoreError;
use serde::Serialize;
use serde_json::json;

const BATCH: i32 = 100;

#[derive(Debug, Serialize)]
pub struct Report {
    pub missed: usize,
    pub skipped: usize,
}

pub async fn handle(ctx: &Ctx<CustodyConfig>, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let table = ctx.table()?;
    let now = ctx.scheduled_time(&scheduled);
    let grace = ctx.config.rules.grace_seconds;
    let upto = format!("{:011}#~", now - grace);
    let due = table.query_until::<serde_json::Value>("gsi2", keys::handoffs_due().into(), &upto, BATCH).await?;
    let mut report = Report { missed: 0, skipped: 0 };
    let at = ctx.now_rfc3339();
    for item in due {
        let Some(shipment_id) = item.pk.strip_prefix("CUSTODY#") else {
            report.skipped += 1;
            continue;
        };
        let Some(cur) = table.get::<Custody>(&keys::custody(shipment_id), true).await? else {
            report.skipped += 1;
            continue;
        };
        let mut c = cur.data.clone();
        let Some(step) = miss(&mut c, now, grace, &at) else {
            report.skipped += 1;
            continue;
        };
        let body =
            json!({"handoff_id": step.handoff_id, "n": step.n, "place": step.place, "closes_at": step.closes_at});
        let link = track(&mut c, TrackingKind::Missed, &at, body);
        let missed = HandoffMissed {
            shipment_id: c.shipment_id.clone(),
            itinerary_id: c.itinerary_id.clone(),
            sender_id: c.sender_id.clone(),
            handoff_id: step.handoff_id.clone(),
            n: step.n,
            kind: step.kind,
            giver: step.giver.clone(),
            receiver: step.receiver.clone(),
            place: step.place.clone(),
            closes_at: step.closes_at,
        };
        let correlation = format!("missed-{}", step.handoff_id);
        let writes = vec![custody_write(Some(&cur), &c), link, outbox::event(&missed, &correlation, Actor::system())];
        match table.transact(writes).await {
            Ok(()) => report.missed += 1,
            Err(StoreError::ConditionFailed { .. }) => report.skipped += 1,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(report)
}
