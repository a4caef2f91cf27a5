//! GET /places/{id} — one airport (`airport:JFK`) or city (`city:2988507`),
//! with the current local time in its zone. 0 AWS calls.
use handoff::domain::geo::local_time;
use handoff::domain::places::Gazetteer;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Problem, Reply};
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let id = req.path_param("id")?;
    let place = Gazetteer::embedded().get(id).ok_or_else(|| Problem::not_found("place"))?;
    let mut body = serde_json::to_value(place).map_err(|_| Problem::internal())?;
    body["local_time"] = json!(local_time(ctx.now(), place.zone));
    Ok(Reply::ok(&body).header("cache-control", "public, max-age=60"))
}
