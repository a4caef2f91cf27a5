//! GET /places/{id} — one airport (`airport:JFK`) or city (`city:2988507`),
//! with the current local time in its zone. 0 AWS calls.
use handoff::domain::geo::local_time;
use handoff::domain::places::Gazetteer;
use handoff::platform::aws::Aws;
use handoff::platform::clock::now_unix;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use serde_json::json;

pub struct Function {
    places: &'static Gazetteer,
}

impl HttpFunction for Function {
    const NAME: &'static str = "get-place";

    fn from_env(_env: &Env, _aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { places: Gazetteer::embedded() })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let id = req.path_param("id")?;
        let place = self.places.get(id).ok_or_else(|| Problem::not_found("place"))?;
        let mut body = serde_json::to_value(place).map_err(|_| Problem::internal())?;
        body["local_time"] = json!(local_time(now_unix(), place.zone));
        Ok(Reply::ok(&body).header("cache-control", "public, max-age=60"))
    }
}
