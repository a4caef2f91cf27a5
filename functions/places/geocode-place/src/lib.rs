//! POST /places/geocode {"text": "Zürich airport", "limit": 5} — free text to
//! the places it most likely means, each with a confidence (0..1). 0 AWS calls.
use handoff::domain::places::{Gazetteer, Geocoded};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Items, Operation, Problem, Reply};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "GeocodeRequest")]
struct Body {
    /// Free text: 2 to 200 characters, at least 2 letters or digits.
    text: String,
    /// 1 to 20 (default 5).
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
    Ok(Reply::ok(&Items { items: Gazetteer::embedded().geocode(text, limit) }))
}

pub fn operation() -> Operation {
    Operation::post("/places/geocode", "places", "Free text to the places it most likely means")
        .public()
        .body::<Body>()
        .example(serde_json::json!({"text": "Zürich airport", "limit": 5}))
        .reply::<Items<Geocoded>>(200, "the likeliest places, each with a confidence from 0 to 1")
}
