//! POST /shipments/{id}/issues {kind: damaged | lost | refused | other,
//! details, photos} — a party of the shipment reports an incident: it is
//! recorded on the custody and in the tracking chain, the shipment's escrow
//! is frozen (delivery does not release it: support decides), and support
//! and the sender are told (ShipmentIssueReported). Photos are the caller's
//! accepted ones at the shipment's current handoff.
//! GetItem (custody) + Query (photos) + TransactWriteItems.
use handoff::domain::custody::{Issue, IssueIn, TrackingKind, MAX_ISSUES};
use handoff::domain::events::ShipmentIssueReported;
use handoff::domain::trips::Instant;
use handoff::platform::context::Ctx;
use handoff::platform::crypto::new_id;
use handoff::platform::custody_records::{custody_changed, custody_write, party_custody, photos_of, track};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let body: IssueIn = req.json()?;
    let details = body.details().map_err(Problem::validation)?;
    let table = ctx.table()?;
    let cur = party_custody(table, id, &me.user_id).await?;
    let role = cur.data.role_of(&me.user_id).ok_or_else(|| Problem::not_found("shipment"))?;
    if cur.data.issues.len() >= MAX_ISSUES {
        return Err(Problem::conflict("too-many-issues", format!("at most {MAX_ISSUES} incidents per shipment")));
    }
    let photos = match (cur.data.next_step(), body.photos.is_empty()) {
        (_, true) => Vec::new(),
        (Some(step), false) => photos_of(table, &step.handoff_id, &me.user_id, &body.photos).await?,
        (None, false) => return Err(Problem::field("photos", "the shipment has no open handoff to take photos at")),
    };
    let at = ctx.now_rfc3339();
    let issue = Issue {
        issue_id: new_id(),
        kind: body.kind,
        details: details.to_string(),
        by: me.user_id.clone(),
        role,
        at: Instant(ctx.now()),
        photos,
    };
    let mut c = cur.data.clone();
    c.issues.push(issue.clone());
    c.frozen = true;
    c.updated_at = at.clone();
    let link = track(&mut c, TrackingKind::Issue, &at, serde_json::to_value(&issue).map_err(|_| Problem::internal())?);
    let reported = ShipmentIssueReported {
        shipment_id: c.shipment_id.clone(),
        itinerary_id: c.itinerary_id.clone(),
        sender_id: c.sender_id.clone(),
        issue_id: issue.issue_id.clone(),
        kind: issue.kind,
        reported_by: me.user_id.clone(),
        role,
        details: issue.details.clone(),
        at: issue.at,
    };
    Ok(Reply::json(201, &issue)
        .write(custody_write(Some(&cur), &c), Some(custody_changed()))
        .writes([link, outbox::event(&reported, &req.correlation_id, req.actor())]))
}

pub fn operation() -> Operation {
    Operation::post("/shipments/{id}/issues", "custody", "Report an incident (damaged, lost, refused, other)")
        .describe(
            "Any party of the shipment. Freezes the shipment's escrow and tells support and the sender; at most \
             20 per shipment.",
        )
        .body::<IssueIn>()
        .example(json!({"kind": "damaged", "details": "The box is crushed on one side.", "photos": []}))
        .reply::<Issue>(201, "the incident")
        .problem(409, "too-many-issues")
}
