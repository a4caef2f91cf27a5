//! On a schedule (every 5 minutes): a participant whose messages stayed
//! unread for 30 minutes is sent one email digest (how many, in which
//! conversation), through the notifier's path (preferences, language,
//! delivery records: a second run sends nothing twice). The member then
//! leaves the digest index until a new message arrives after they read.
//! Query (gsi2) + per member: the notifier's calls + UpdateItem.
use handoff::domain::notify::Notice;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::messaging_records::{member_digested, Member};
use handoff::platform::notify_send::{notify_user, Notifier};
use handoff::platform::store::StoreError;
use serde::Serialize;

const BATCH: i32 = 100;

#[derive(Debug, Serialize)]
pub struct Report {
    pub digests: usize,
    pub skipped: usize,
}

pub async fn handle(ctx: &Ctx<Notifier>, scheduled: serde_json::Value) -> Result<Report, EventError> {
    let table = ctx.table()?;
    let now = ctx.scheduled_time(&scheduled);
    let upto = format!("{now:011}#~");
    let due = table.query_until::<Member>("gsi2", keys::digests_due().into(), &upto, BATCH).await?;
    let mut report = Report { digests: 0, skipped: 0 };
    for m in due {
        let sk = m.gsi2sk.clone().unwrap_or_default();
        let member = m.data;
        if member.unread > 0 {
            // One digest per wait: the due key names it.
            let event_id = format!("digest.{}", sk.replace('#', "."));
            let notice =
                Notice::MessagesWaiting { conversation_id: member.conversation_id.clone(), unread: member.unread };
            notify_user(ctx, &event_id, &member.user_id, &notice).await?;
            report.digests += 1;
        } else {
            report.skipped += 1;
        }
        match table.write_one(member_digested(&member.user_id, &member.conversation_id, &sk)).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(report)
}
