//! GET /places/search?q=&limit= — airports and cities by prefix or near miss,
//! accent- and case-insensitive, best match then biggest first. No table: the
//! gazetteer is compiled in (0 AWS calls).
use handoff::domain::places::Gazetteer;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use serde_json::json;

pub struct Function {
    places: &'static Gazetteer,
}

impl HttpFunction for Function {
    const NAME: &'static str = "search-places";

    fn from_env(_env: &Env, _aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { places: Gazetteer::embedded() })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let q = req.query.get("q").map(|s| s.trim()).unwrap_or("");
        let letters = q.chars().filter(|c| c.is_alphanumeric()).count();
        if letters < 2 || q.chars().count() > 100 {
            return Err(Problem::field("q", "must have 2 to 100 characters, at least 2 of them letters or digits"));
        }
        let limit = match req.query.get("limit") {
            None => 10,
            Some(l) => l.parse::<usize>().ok().filter(|n| (1..=50).contains(n)).ok_or_else(|| Problem::field("limit", "must be a whole number from 1 to 50"))?,
        };
        let hits = self.places.search(q, limit);
        Ok(Reply::ok(&json!({ "items": hits })).header("cache-control", "public, max-age=3600"))
    }
}
