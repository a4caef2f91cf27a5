//! GET /trips/{id} — a trip with its legs (UTC and local times) and, for its
//! traveler, its documents. Others see published trips only; anything else
//! answers 404. One Query (the trip's partition: trip + documents).
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::Trip;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::{trip_view, visible_to, with_documents, TripView};

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let (trip, mut docs) =
        with_documents::<Trip>(table, keys::trip_partition(req.path_param("id")?), entity::TRIP).await?;
    let trip = trip.map(|r| r.data).filter(|t| visible_to(t, &me.user_id)).ok_or_else(|| Problem::not_found("trip"))?;
    if trip.traveler_id != me.user_id {
        docs.clear();
    }
    Ok(Reply::ok(&trip_view(&trip, Gazetteer::embedded(), &docs)))
}

pub fn operation() -> Operation {
    Operation::get("/trips/{id}", "trips", "A trip, with its documents for its traveler")
        .describe("Others see published trips only; anything else is not found.")
        .reply::<TripView>(200, "the trip")
}
