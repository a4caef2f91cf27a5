//! PUT /trips/{id}/constraints — what the trip accepts (weight, size,
//! categories, total capacity) and its price (per kg, at least a minimum, in
//! minor units of an ISO 4217 currency). GetItem + one write.
use handoff::domain::money::Currency;
use handoff::domain::places::Gazetteer;
use handoff::domain::trips::{Category, Constraints, Dimensions};
use handoff::domain::validation::Errors;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::Table;
use handoff::platform::trips::{own_trip, saved};
use serde::Deserialize;

pub struct Function {
    table: Table,
    places: &'static Gazetteer,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    max_weight_grams: u32,
    max_dimensions_cm: Dimensions,
    categories: Vec<String>,
    #[serde(default)]
    capacity_grams: Option<u32>,
    price_per_kg: i64,
    min_price: i64,
    currency: String,
}

impl HttpFunction for Function {
    const NAME: &'static str = "set-trip-constraints";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, places: Gazetteer::embedded() })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let b: Body = req.json()?;
        let mut errors = Errors::new();
        let categories = b.categories.iter().enumerate().filter_map(|(i, c)| errors.check(&format!("categories.{i}"), c.parse::<Category>())).collect();
        let currency = errors.check("currency", Currency::parse(&b.currency));
        errors.into_result().map_err(Problem::validation)?;
        let c = Constraints {
            max_weight_grams: b.max_weight_grams,
            max_dimensions_cm: b.max_dimensions_cm,
            categories,
            capacity_grams: b.capacity_grams.unwrap_or(b.max_weight_grams),
            price_per_kg: b.price_per_kg,
            min_price: b.min_price,
            currency: currency.expect("checked"),
        };
        let current = own_trip(&self.table, req.path_param("id")?, &me.user_id).await?;
        let mut trip = current.data.clone();
        trip.set_constraints(c)?;
        Ok(saved(self.places, &current, trip))
    }
}
