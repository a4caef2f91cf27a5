//! GET /webhook-endpoints/{id}/deliveries?limit=&cursor= — an endpoint's
//! deliveries, newest first: status, attempts, last response code.
//! GetItem (endpoint) + Query.
use handoff::domain::identity::Role;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;
use handoff::platform::webhook_records::{own_endpoint, Delivery, Webhooks};

pub async fn handle(ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let id = req.path_param("id")?;
    let (limit, cursor) = req.page()?;
    let table = ctx.table()?;
    own_endpoint(table, &me.user_id, id).await?;
    let (pk, prefix) = keys::webhook_deliveries_of(id);
    let page = table
        .query::<Delivery>(Query {
            index: None,
            partition: pk,
            sort_prefix: Some(prefix.into()),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<Delivery> = page
        .items
        .into_iter()
        .map(|r| {
            let mut d = r.data;
            d.payload.clear();
            d
        })
        .collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/webhook-endpoints/{id}/deliveries", "webhooks", "An endpoint's deliveries, newest first")
        .role(Role::Sender)
        .paged()
        .reply::<Page<Delivery>>(200, "a page of deliveries")
}
