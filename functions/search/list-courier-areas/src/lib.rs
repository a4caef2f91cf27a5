//! GET /couriers/areas?limit=&cursor= — the caller's service areas, newest
//! first. One Query on gsi1.
use handoff::domain::search::CourierArea;
use handoff::keys;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::{Query, Table};
use serde_json::json;

pub struct Function {
    table: Table,
}

impl HttpFunction for Function {
    const NAME: &'static str = "list-courier-areas";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)? })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let (limit, cursor) = req.page()?;
        let page = self.table.query::<CourierArea>(Query { index: Some("gsi1"), partition: keys::areas_of_courier(&me.user_id), sort_prefix: None, forward: false, limit, cursor }).await?;
        let items: Vec<CourierArea> = page.items.into_iter().map(|r| r.data).collect();
        Ok(Reply::ok(&json!({ "items": items, "next_cursor": page.next_cursor })))
    }
}
