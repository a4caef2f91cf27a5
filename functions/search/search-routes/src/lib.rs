//! GET /search/routes?from=&to=&depart_after=&arrive_before=&weight_grams=
//! &category=&length_cm=&width_cm=&height_cm=&currency=&sort=&limit=&cursor=
//!
//! Direct trips and itineraries of up to three trips chained by handoffs,
//! with first- and last-mile couriers, as the Pareto set over (arrival,
//! price, handoffs) ordered by `sort` (cheapest, quickest, best). Reads the
//! search projection: one Query per UTC day of the window (at most 8 days,
//! each at most MAX_PAGES pages) and one for courier areas, all at once; the
//! search is recorded (PutItem) at the same time, so recording adds no wait.
use futures::future::join_all;
use handoff::domain::places::Gazetteer;
use handoff::domain::search::{days, parse_search, run, CourierArea, RouteOption, SearchLeg};
use handoff::domain::trips::{Category, Instant};
use handoff::keys::{self, entity};
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::crypto::{new_id, sha256_hex};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{put_new, Record};
use serde::Serialize;
use serde_json::json;
use std::collections::BTreeMap;

/// Pages read per day partition (a page is up to 1 MB, about 2,000 legs).
pub const MAX_PAGES: usize = 5;
/// Recorded searches are kept 90 days.
const RECORD_SECONDS: i64 = 90 * 86_400;

/// The handoff buffer between two trips (`HANDOFF_BUFFER_MINUTES`, 0–1440).
pub struct Config {
    buffer_seconds: i64,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let minutes: i64 = env.parse("HANDOFF_BUFFER_MINUTES")?;
        if !(0..=24 * 60).contains(&minutes) {
            return Err(Env::invalid("HANDOFF_BUFFER_MINUTES", "must be 0 to 1440"));
        }
        Ok(Self { buffer_seconds: minutes * 60 })
    }
}

#[derive(Serialize)]
struct SearchRecord {
    search_id: String,
    user_id: String,
    from: String,
    to: String,
    depart_after: Instant,
    arrive_before: Instant,
    weight_grams: u32,
    category: Category,
    sort: &'static str,
    at: String,
}

/// A page of routes.
#[derive(Serialize, schemars::JsonSchema)]
pub struct SearchAnswer {
    pub items: Vec<RouteOption>,
    /// Routes found in all.
    pub total: usize,
    pub next_cursor: Option<String>,
    /// cheapest, quickest or best.
    pub sort: &'static str,
    /// Legs of published trips the search looked at.
    pub legs_considered: usize,
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let now = ctx.now();
    let (s, limit, sort_name) =
        parse_search(&req.query, Gazetteer::embedded(), ctx.config.buffer_seconds, now).map_err(Problem::validation)?;
    // The cursor is bound to the query it continues (everything but the cursor).
    let mut canonical: Vec<(&String, &String)> = req.query.iter().filter(|(k, _)| *k != "cursor").collect();
    canonical.sort();
    let binding = format!("search|{}", sha256_hex(format!("{canonical:?}").as_bytes()));
    let offset: usize = match req.query.get("cursor").filter(|c| !c.is_empty()) {
        None => 0,
        Some(c) => table
            .open_cursor(&binding, c)?
            .get("offset")
            .and_then(|o| o.parse().ok())
            .ok_or_else(|| Problem::bad_request("invalid-cursor", "cursor is malformed"))?,
    };
    let record = SearchRecord {
        search_id: new_id(),
        user_id: me.user_id.clone(),
        from: s.from.clone(),
        to: s.to.clone(),
        depart_after: Instant(s.depart_after),
        arrive_before: Instant(s.arrive_before),
        weight_grams: s.parcel.weight_grams,
        category: s.parcel.category,
        sort: sort_name,
        at: ctx.now_rfc3339(),
    };
    let record = Record::new(
        keys::search_record(&Instant(now).day(), &record.at, &record.search_id),
        entity::SEARCH_LOG,
        record,
    )
    .expires(now + RECORD_SECONDS);
    let day_reads = join_all(
        days(s.depart_after, s.arrive_before)
            .into_iter()
            .map(|d| table.query_all::<SearchLeg>(keys::search_day(&d), MAX_PAGES)),
    );
    let areas = table.query_all::<CourierArea>(keys::courier_areas().to_string(), MAX_PAGES);
    let recorded = async {
        // Analytics must not fail a search.
        if let Err(e) = table.write_one(put_new(&record)).await {
            tracing::warn!(error = %handoff::platform::error::Chain(&e), "search not recorded");
        }
    };
    let (day_pages, areas, ()) = tokio::join!(day_reads, areas, recorded);
    let mut legs = Vec::new();
    let mut truncated = false;
    for page in day_pages {
        let (items, more) = page?;
        truncated |= more;
        legs.extend(items.into_iter().filter(|r| r.entity == entity::SEARCH_LEG).map(|r| r.data));
    }
    if truncated {
        tracing::warn!(from = %s.from, to = %s.to, "a day partition had more than MAX_PAGES pages; later legs were not considered");
    }
    let areas: Vec<CourierArea> = areas?.0.into_iter().map(|r| r.data).collect();
    let all = run(&s, &legs, &areas, Gazetteer::embedded(), now).map_err(|e| Problem::field("from", e.to_string()))?;
    let total = all.len();
    let items: Vec<_> = all.into_iter().skip(offset).take(limit).collect();
    let next = offset + items.len();
    let next_cursor =
        (next < total).then(|| table.sign_cursor(&binding, BTreeMap::from([("offset".to_string(), next.to_string())])));
    Ok(Reply::ok(&SearchAnswer { items, total, next_cursor, sort: sort_name, legs_considered: legs.len() }))
}

pub fn operation() -> Operation {
    let int = |min: u32, max: u32| json!({"type": "integer", "minimum": min, "maximum": max});
    Operation::get("/search/routes", "search", "Routes for a parcel: direct trips and chains of up to three")
        .describe(
            "The Pareto set over arrival, price and handoffs, with first- and last-mile couriers, \
                   ordered by `sort`. Times are RFC 3339 with an offset; the window is at most 7 days.",
        )
        .required_query("from", "a place id such as airport:ZRH", json!({"type": "string", "maxLength": 64}))
        .required_query("to", "a place id", json!({"type": "string", "maxLength": 64}))
        .required_query("weight_grams", "1 to 50000", int(1, 50_000))
        .required_query(
            "category",
            "what the parcel is",
            json!({"enum": Category::ALL.iter().map(|c| c.as_str()).collect::<Vec<_>>()}),
        )
        .query("depart_after", "default now", json!({"type": "string", "format": "date-time"}))
        .query("arrive_before", "default depart_after + 3 days", json!({"type": "string", "format": "date-time"}))
        .query("length_cm", "with width_cm and height_cm, 1 to 300", int(1, 300))
        .query("width_cm", "1 to 300", int(1, 300))
        .query("height_cm", "1 to 300", int(1, 300))
        .query("currency", "ISO 4217 (default EUR)", json!({"type": "string", "pattern": "^[A-Z]{3}$"}))
        .query("sort", "best (default), cheapest or quickest", json!({"enum": ["best", "cheapest", "quickest"]}))
        .query("limit", "1 to 50 (default 10)", int(1, 50))
        .query("cursor", "`next_cursor` of the previous page", json!({"type": "string", "maxLength": 2048}))
        .reply::<SearchAnswer>(200, "a page of routes")
        .problem(400, "invalid-cursor")
}
