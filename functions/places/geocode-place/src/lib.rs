//! POST /places/geocode {"text": "Zürich airport", "limit": 5} — free text to
//! the places it most likely means, each with a confidence (0..1). 0 AWS calls.
use handoff::domain::places::Gazetteer;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Problem, Reply};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    text: String,
    #[serde(default)]
    limit: Option<usize>,
}

pub async fn handle(_ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let body: Body = req.json()?;
    let text = body.text.trim();
    if text.chars().filter(|c| c.is_alphanumeric()).count() < 2 || text.chars().count() > 200 {
        return Err(Problem::field("text", "must have 2 to 200 characters, at least 2 of them letters or digits"));
    }
    let limit = body.limit.unwrap_or(5);
    if !(1..=20).contains(&limit) {
        return Err(Problem::field("limit", "must be from 1 to 20"));
    }
    Ok(Reply::ok(&json!({ "items": Gazetteer::embedded().geocode(text, limit) })))
}
