//! GET /places/search?q=&limit= — airports and cities by prefix or near miss,
//! accent- and case-insensitive, best match then biggest first. No table: the
//! gazetteer is compiled in (0 AWS calls).
use handoff::domain::places::{Gazetteer, Hit};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Items, Operation, Problem, Reply};
use serde_json::json;

pub async fn handle(_ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let q = req.query.get("q").map(|s| s.trim()).unwrap_or("");
    let letters = q.chars().filter(|c| c.is_alphanumeric()).count();
    if letters < 2 || q.chars().count() > 100 {
        return Err(Problem::field("q", "must have 2 to 100 characters, at least 2 of them letters or digits"));
    }
    let limit = match req.query.get("limit") {
        None => 10,
        Some(l) => l
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=50).contains(n))
            .ok_or_else(|| Problem::field("limit", "must be a whole number from 1 to 50"))?,
    };
    let hits = Gazetteer::embedded().search(q, limit);
    Ok(Reply::ok(&Items { items: hits }).header("cache-control", "public, max-age=3600"))
}

pub fn operation() -> Operation {
    Operation::get("/places/search", "places", "Airports and cities by prefix or near miss")
        .public()
        .required_query(
            "q",
            "2 to 100 characters, at least 2 letters or digits",
            json!({"type": "string", "minLength": 2, "maxLength": 100}),
        )
        .query("limit", "1 to 50 (default 10)", json!({"type": "integer", "minimum": 1, "maximum": 50}))
        .reply::<Items<Hit>>(200, "the best matches, biggest first")
        .header("cache-control", "public, max-age=3600")
}
