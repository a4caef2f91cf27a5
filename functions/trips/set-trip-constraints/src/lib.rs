//! PUT /trips/{id}/constraints — what the trip accepts (weight, size,
//! categories, total capacity) and its price (per kg, at least a minimum, in
//! minor units of an ISO 4217 currency). GetItem + one write.
use handoff::domain::money::Currency;
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::{Category, Constraints, Dimensions};
use handoff::domain::validation::Errors;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::trip_records::{own_trip, saved, trip_rule_problems, TripView};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "TripConstraints")]
struct Body {
    max_weight_grams: u32,
    max_dimensions_cm: Dimensions,
    #[schemars(with = "Vec<Category>")]
    categories: Vec<String>,
    #[serde(default)]
    capacity_grams: Option<u32>,
    price_per_kg: i64,
    min_price: i64,
    /// ISO 4217, e.g. EUR.
    currency: String,
}

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let b: Body = req.json()?;
    let mut errors = Errors::new();
    let categories = b
        .categories
        .iter()
        .enumerate()
        .filter_map(|(i, c)| errors.check(&format!("categories.{i}"), c.parse::<Category>()))
        .collect();
    let currency = errors.check("currency", Currency::parse(&b.currency));
    let currency = errors.finish(currency)?;
    let c = Constraints {
        max_weight_grams: b.max_weight_grams,
        max_dimensions_cm: b.max_dimensions_cm,
        categories,
        capacity_grams: b.capacity_grams.unwrap_or(b.max_weight_grams),
        price_per_kg: b.price_per_kg,
        min_price: b.min_price,
        currency,
    };
    let current = own_trip(table, req.path_param("id")?, &me.user_id).await?;
    let mut trip = current.data.clone();
    trip.set_constraints(c)?;
    Ok(saved(Gazetteer::embedded(), &current, trip))
}

pub fn operation() -> Operation {
    Operation::put("/trips/{id}/constraints", "trips", "Set what a trip accepts and its price")
        .body::<Body>()
        .example(serde_json::json!({"max_weight_grams": 5000, "max_dimensions_cm": {"length_cm": 40, "width_cm": 30,
            "height_cm": 20}, "categories": ["documents", "clothing"], "price_per_kg": 1500, "min_price": 1000,
            "currency": "EUR"}))
        .reply::<TripView>(200, "the trip with its constraints")
        .problems_of(trip_rule_problems())
}
