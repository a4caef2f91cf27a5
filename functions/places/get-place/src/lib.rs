//! GET /places/{id} — one airport (`airport:JFK`) or city (`city:2988507`),
//! with the current local time in its zone. 0 AWS calls.
use handoff::domain::geo::local_time;
use handoff::domain::places::{Gazetteer, Place};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};

/// A place and the time it is there now.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct PlaceView {
    #[serde(flatten)]
    pub place: Place,
    /// The current local time, RFC 3339 with the zone's offset.
    pub local_time: Option<String>,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let id = req.path_param("id")?;
    let place = Gazetteer::embedded().get(id).ok_or_else(|| Problem::not_found("place"))?;
    let body = PlaceView { local_time: local_time(ctx.now(), place.zone), place };
    Ok(Reply::ok(&body).header("cache-control", "public, max-age=60"))
}

pub fn operation() -> Operation {
    Operation::get("/places/{id}", "places", "One airport or city")
        .describe("`airport:JFK` or `city:2988507` (a GeoNames id), with the current local time in its zone.")
        .public()
        .reply::<PlaceView>(200, "the place")
        .header("cache-control", "public, max-age=60")
}
