//! PUT /trips/{id}/unpublish — takes a published trip out of search; it can
//! then be edited and published again. GetItem + one transaction (trip,
//! TripUnpublished in the outbox).
use handoff::domain::events::TripUnpublished;
use handoff::domain::places::Gazetteer;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::{own_trip, saved_with, trip_rule_problems, TripView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let current = own_trip(table, req.path_param("id")?, &me.user_id).await?;
    let mut trip = current.data.clone();
    trip.unpublish()?;
    Ok(saved_with(req, Gazetteer::embedded(), &current, trip, |t, revision| TripUnpublished {
        trip_id: t.trip_id.clone(),
        traveler_id: t.traveler_id.clone(),
        revision,
    }))
}

pub fn operation() -> Operation {
    Operation::put("/trips/{id}/unpublish", "trips", "Take a published trip out of search")
        .reply::<TripView>(200, "the unpublished trip")
        .problems_of(trip_rule_problems())
}
