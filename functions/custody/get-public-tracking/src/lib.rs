//! GET /t/{token} — the public tracking page, for anyone with the
//! shipment's tracking token (unguessable, 32 characters; the sender
//! shares it with the recipient): no sign-in, rendered on the server, with
//! the status and the timeline at city level only — no names, contacts,
//! codes or positions — and updated live over the WebSocket API (the page
//! connects with `?tracking=<token>`). An unknown token answers 404.
//! GetItem (token) + Query (the custody partition).
use askama::Template;
use handoff::domain::live::tracking_page;
use handoff::domain::places::Gazetteer;
use handoff::keys;
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::custody_records::custody_and_links;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::Record;

/// The WebSocket API's URL (`WS_URL`, wss://…).
pub struct Config {
    ws_url: String,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { ws_url: env.require("WS_URL")? })
    }
}

/// A place as the page names it: an airport by its city.
fn city(id: &str) -> String {
    match Gazetteer::embedded().get(id) {
        Some(p) => p.city.unwrap_or(p.name).to_string(),
        None => id.to_string(),
    }
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let token = req.path_param("token")?;
    let missing = || Problem::not_found("tracking page");
    if token.len() > 64 || !token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(missing());
    }
    let table = ctx.table()?;
    let found: Option<Record<serde_json::Value>> = table.get(&keys::tracking_token(token), false).await?;
    let shipment = found.and_then(|f| f.data["shipment_id"].as_str().map(str::to_string)).ok_or_else(missing)?;
    let (c, links) = custody_and_links(table, &shipment).await?.ok_or_else(missing)?;
    if c.data.tracking_token != token {
        return Err(missing());
    }
    let ws = format!("{}?tracking={token}", ctx.config.ws_url);
    let html = tracking_page(&c.data, &links, &ws, city).render().map_err(|_| Problem::internal())?;
    Ok(Reply::text(200, "text/html; charset=utf-8", html)
        .header("cache-control", "no-store")
        .header("x-robots-tag", "noindex")
        .header("referrer-policy", "no-referrer")
        .header(
            "content-security-policy",
            "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; connect-src ws: wss:",
        ))
}

pub fn operation() -> Operation {
    Operation::get("/t/{token}", "custody", "The public tracking page (HTML)")
        .describe(
            "No sign-in: the shipment's tracking token is the key. Status and timeline at city level, updated \
             live over the WebSocket API. Answers text/html.",
        )
        .public()
        .html(200, "the tracking page")
}
