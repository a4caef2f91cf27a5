//! POST /handoffs/{id}/scan {token, position, photos} — the receiving party
//! scanned the giving party's QR code: the parcel changes hands. Accepted
//! only if the token's signature is good, it is this step's and the
//! caller's, and was never used; the previous step is complete; it is not
//! earlier than the window (less the tolerance; late is accepted and
//! flagged); the position is within the configured distance of the step's
//! place (the distance is in the refusal); and, after the pickup, at least
//! one accepted photo of the parcel is named. One transaction records the
//! scan, the token's use (a replay answers 409 and changes nothing), the
//! chain links, the itinerary and shipment moving on, and the events.
//! GetItem (custody) + Query (photos) + BatchGetItem (itinerary, shipment:
//! first and last steps, and when the delivery code is issued) + TransactWriteItems.
use handoff::domain::custody::{check_step, complete, CustodyView, Method, Refusal, ScanIn, StepKind};
use handoff::domain::places::Gazetteer;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::random_token;
use handoff::platform::custody_records::{
    around, completion_writes, custody_changed, party_step, photos_of, CustodyConfig,
};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{put_new, Record};
use serde_json::json;

pub async fn handle(ctx: &Ctx<CustodyConfig>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let body: ScanIn = req.json()?;
    let position = body.check().map_err(Problem::validation)?;
    let table = ctx.table()?;
    let (cur, n) = party_step(table, id, &me.user_id).await?;
    let now = ctx.now();
    let step = cur.data.steps[n].clone();
    if step.kind == StepKind::Delivery && step.receiver.user_id.is_none() {
        return Err(Refusal::NeedsCode.into());
    }
    let claims = ctx.config.key.open(&body.token, id, now).map_err(Refusal::from)?;
    if claims.r != me.user_id || claims.s != cur.data.shipment_id {
        return Err(Refusal::NotYours(step.receiver.role).into());
    }
    let photos = photos_of(table, id, &me.user_id, &body.photos).await?;
    let place = Gazetteer::embedded().get(&step.place).ok_or_else(Problem::internal)?.position();
    let scan = check_step(
        &cur.data,
        n,
        &me.user_id,
        &step.receiver,
        position,
        place,
        photos,
        Method::Qr,
        now,
        &ctx.config.rules,
    )?;
    let at = ctx.now_rfc3339();
    let mut c = cur.data.clone();
    let done = complete(&mut c, n, scan, random_token(16), &at);
    let near = match done.needs_around() {
        true => Some(around(table, &c).await?),
        false => None,
    };
    let mut writes =
        completion_writes(&cur, &mut c, n, &done, near.as_ref(), &at, &req.correlation_id, req.actor())?.into_iter();
    let used = Record::new(
        keys::qr_use(&c.shipment_id, &claims.n),
        entity::QR_USE,
        json!({"handoff_id": id, "by": me.user_id, "at": at}),
    );
    let custody = writes.next().expect("the custody's write comes first");
    Ok(Reply::ok(&c.view(&me.user_id))
        .write(custody, Some(custody_changed()))
        .write(put_new(&used), Some(Problem::conflict("already-scanned", "this QR code was used already")))
        .writes(writes))
}

pub fn operation() -> Operation {
    Operation::post("/handoffs/{id}/scan", "custody", "Take the parcel: scan the giving party's QR code")
        .describe(
            "The receiving party only, in order, inside the window (late is flagged), near the handoff place, \
             once per code. Every step after the pickup names at least one accepted photo of the parcel.",
        )
        .body::<ScanIn>()
        .example(json!({"token": "hq1.eyJoIjoi….sig", "position": {"lat": 47.378, "lon": 8.54}, "photos": []}))
        .reply::<CustodyView>(200, "the custody after the scan")
        .problem(403, "forbidden")
        .problem(409, "already-scanned")
        .problem(409, "previous-handoff-pending")
        .problem(409, "too-early")
        .problem(409, "custody-not-active")
        .problem(409, "delivery-code-required")
        .problem(422, "invalid-token")
        .problem(422, "token-expired")
        .problem(422, "too-far")
        .problem(423, "handoff-locked")
}
