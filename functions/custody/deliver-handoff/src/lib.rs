//! POST /handoffs/{id}/deliver {code, position, photos} — at the door the
//! last carrier enters the recipient's delivery code: the shipment is
//! delivered (DeliveryConfirmed releases the escrow). The same rules as a
//! scan (order, window, distance, a photo) apply to the carrier; a wrong
//! code is counted and answers 422 with the attempts left; the fifth locks
//! the step (423) and tells support (DeliveryLocked).
//! GetItem (custody) + Query (photos) + BatchGetItem (itinerary, shipment) +
//! TransactWriteItems; a wrong code: one TransactWriteItems (the count, answered 422/423).
use handoff::domain::custody::{
    check_step, complete, wrong_code, CustodyView, DeliverIn, Method, Refusal, StepKind, StepStatus,
};
use handoff::domain::events::DeliveryLocked;
use handoff::domain::places::Gazetteer;
use handoff::platform::context::Ctx;
use handoff::platform::crypto::ct_eq;
use handoff::platform::custody_records::{
    around, completion_writes, custody_changed, custody_write, party_step, photos_of, CustodyConfig,
};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use serde_json::json;

pub async fn handle(ctx: &Ctx<CustodyConfig>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let body: DeliverIn = req.json()?;
    let (code, position) = body.check().map_err(Problem::validation)?;
    let table = ctx.table()?;
    let (cur, n) = party_step(table, id, &me.user_id).await?;
    let step = cur.data.steps[n].clone();
    if step.kind != StepKind::Delivery {
        return Err(Problem::conflict(
            "not-a-delivery",
            "only the last handoff, to the recipient, takes a delivery code",
        ));
    }
    if step.giver.user_id.as_deref() != Some(me.user_id.as_str()) {
        return Err(Refusal::NotYours(step.giver.role).into());
    }
    let photos = photos_of(table, id, &me.user_id, &body.photos).await?;
    let place = Gazetteer::embedded().get(&step.place).ok_or_else(Problem::internal)?.position();
    let now = ctx.now();
    let scan = check_step(
        &cur.data,
        n,
        &me.user_id,
        &step.giver,
        position,
        place,
        photos,
        Method::Code,
        now,
        &ctx.config.rules,
    )?;
    let Some(issued) = step.code.as_ref().filter(|_| step.status == StepStatus::Pending) else {
        return Err(Refusal::NoCode.into());
    };
    let at = ctx.now_rfc3339();
    let mut c = cur.data.clone();
    let expected = ctx.config.key.code(id, &issued.nonce);
    if !ct_eq(expected.as_bytes(), code.as_bytes()) {
        // The count is written even though the answer is a refusal: as the
        // reply's writes, with the Idempotency-Key's record, so a retried
        // request is answered again rather than counted twice.
        let refusal = wrong_code(&mut c, n, &at);
        let problem = Problem::from(refusal.clone());
        let body = problem.body(&req.correlation_id).to_string();
        let mut reply = Reply::text(problem.status, "application/problem+json", body)
            .write(custody_write(Some(&cur), &c), Some(custody_changed()));
        if refusal == Refusal::Locked {
            let locked = DeliveryLocked {
                shipment_id: c.shipment_id.clone(),
                itinerary_id: c.itinerary_id.clone(),
                sender_id: c.sender_id.clone(),
                handoff_id: id.to_string(),
                carrier_id: me.user_id.clone(),
            };
            reply = reply.writes([outbox::event(&locked, &req.correlation_id, req.actor())]);
        }
        return Ok(reply);
    }
    let done = complete(&mut c, n, scan, String::new(), &at);
    let near = around(table, &c).await?;
    let mut writes =
        completion_writes(&cur, &mut c, n, &done, Some(&near), &at, &req.correlation_id, req.actor())?.into_iter();
    let custody = writes.next().expect("the custody's write comes first");
    Ok(Reply::ok(&c.view(&me.user_id)).write(custody, Some(custody_changed())).writes(writes))
}

pub fn operation() -> Operation {
    Operation::post("/handoffs/{id}/deliver", "custody", "Deliver: enter the recipient's delivery code")
        .describe(
            "The last carrier only, at the recipient's place, with at least one accepted photo. Five wrong codes \
             lock the handoff and alert support.",
        )
        .body::<DeliverIn>()
        .example(json!({"code": "042917", "position": {"lat": 52.52, "lon": 13.405}, "photos": ["01J…"]}))
        .reply::<CustodyView>(200, "the custody, delivered")
        .problem(403, "forbidden")
        .problem(409, "not-a-delivery")
        .problem(409, "no-delivery-code")
        .problem(409, "previous-handoff-pending")
        .problem(409, "too-early")
        .problem(409, "custody-not-active")
        .problem(422, "wrong-delivery-code")
        .problem(422, "too-far")
        .problem(423, "handoff-locked")
}
