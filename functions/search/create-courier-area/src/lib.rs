//! POST /couriers/areas — a local courier (driver role) registers a service
//! area: a centre (a place id, or lat/lon), a radius, a base price and a
//! price per km in minor units of a currency, and daily hours in the area's
//! zone. Searches use it for first- and last-mile segments. One write.
use handoff::domain::geo::LatLon;
use handoff::domain::identity::Role;
use handoff::domain::money::Currency;
use handoff::domain::places::Gazetteer;
use handoff::domain::search::CourierArea;
use handoff::domain::validation::Errors;
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::crypto::new_id;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{put_new, Record};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "NewCourierArea")]
struct Body {
    name: String,
    /// A place id; its position and zone are used.
    centre: String,
    radius_km: f64,
    price_per_km: i64,
    #[serde(default)]
    base_price: i64,
    currency: String,
    /// "08:00"
    opens: String,
    /// "20:00"; equal to opens for all day.
    closes: String,
    #[serde(default)]
    speed_kmh: Option<f64>,
}

fn minute_of_day(raw: &str) -> Result<u32, &'static str> {
    let bad = "must be a time of day such as 08:00";
    let (h, m) = raw.trim().split_once(':').ok_or(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad)?, m.parse().map_err(|_| bad)?);
    if h < 24 && m < 60 && raw.trim().len() == 5 {
        Ok(h * 60 + m)
    } else {
        Err(bad)
    }
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Driver)?;
    let b: Body = req.json()?;
    let mut errors = Errors::new();
    let name = b.name.trim();
    if name.is_empty() || name.chars().count() > 80 {
        errors.push("name", "must be 1 to 80 characters");
    }
    let centre = Gazetteer::embedded().get(b.centre.trim());
    if centre.is_none() {
        errors.push("centre", "must be a place id such as city:2988507");
    }
    if !(1.0..=100.0).contains(&b.radius_km) {
        errors.push("radius_km", "must be from 1 to 100");
    }
    if !(0..=100_000).contains(&b.price_per_km) || !(0..=1_000_000).contains(&b.base_price) {
        errors.push(
            "price_per_km",
            "prices are non-negative minor units (price_per_km at most 100000, base_price at most 1000000)",
        );
    }
    let speed = b.speed_kmh.unwrap_or(30.0);
    if !(5.0..=120.0).contains(&speed) {
        errors.push("speed_kmh", "must be from 5 to 120");
    }
    let currency = errors.check("currency", Currency::parse(&b.currency));
    let opens = errors.check("opens", minute_of_day(&b.opens));
    let closes = errors.check("closes", minute_of_day(&b.closes));
    let (centre, currency, opens, closes) = errors.finish((|| Some((centre?, currency?, opens?, closes?)))())?;
    let area = CourierArea {
        area_id: new_id(),
        courier_id: me.user_id.clone(),
        name: name.to_string(),
        centre: LatLon { lat: centre.lat, lon: centre.lon },
        radius_km: b.radius_km,
        price_per_km: b.price_per_km,
        base_price: b.base_price,
        currency,
        open_minute: opens,
        close_minute: closes,
        zone: centre.zone.to_string(),
        speed_kmh: speed,
        created_at: ctx.now_rfc3339(),
    };
    let record = Record::new(keys::courier_area(&area.area_id), entity::COURIER_AREA, area.clone())
        .gsi1(keys::areas_of(&area.courier_id, &area.created_at, &area.area_id));
    Ok(Reply::json(201, &area).write(put_new(&record), None))
}

pub fn operation() -> Operation {
    Operation::post("/couriers/areas", "search", "Register a courier service area")
        .role(Role::Driver)
        .body::<Body>()
        .example(serde_json::json!({"name": "Zürich centre", "centre": "city:2657896", "radius_km": 15.0,
            "price_per_km": 150, "base_price": 500, "currency": "CHF", "opens": "08:00", "closes": "20:00"}))
        .reply::<CourierArea>(201, "the area")
}
