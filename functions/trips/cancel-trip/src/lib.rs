//! POST /trips/{id}/cancel {"reason"?} — ends a published or unpublished trip
//! for good (a trip that was ever published is cancelled, not deleted).
//! GetItem + one transaction (trip, TripCancelled in the outbox).
use handoff::domain::events::TripCancelled;
use handoff::domain::places::Gazetteer;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::{own_trip, saved_with, trip_rule_problems, TripView};
use serde::Deserialize;

#[derive(Deserialize, Default, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "CancelTrip")]
struct Body {
    /// At most 500 characters.
    #[serde(default)]
    reason: Option<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let body: Body = if req.body.is_empty() { Body::default() } else { req.json()? };
    if body.reason.as_ref().is_some_and(|r| r.chars().count() > 500) {
        return Err(Problem::field("reason", "must be at most 500 characters"));
    }
    let current = own_trip(table, req.path_param("id")?, &me.user_id).await?;
    let mut trip = current.data.clone();
    trip.cancel()?;
    Ok(saved_with(req, Gazetteer::embedded(), &current, trip, |t, revision| TripCancelled {
        trip_id: t.trip_id.clone(),
        traveler_id: t.traveler_id.clone(),
        revision,
        reason: body.reason,
    }))
}

pub fn operation() -> Operation {
    Operation::post("/trips/{id}/cancel", "trips", "Cancel a published or unpublished trip for good")
        .optional_body::<Body>()
        .reply::<TripView>(200, "the cancelled trip")
        .problems_of(trip_rule_problems())
}
