//! GET /couriers/areas?limit=&cursor= — the caller's service areas, newest
//! first. One Query on gsi1.
use handoff::domain::search::CourierArea;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::store::Query;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let page = table
        .query::<CourierArea>(Query {
            index: Some("gsi1"),
            partition: keys::areas_of_courier(&me.user_id),
            sort_prefix: None,
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<CourierArea> = page.items.into_iter().map(|r| r.data).collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/couriers/areas", "search", "The caller's service areas, newest first")
        .paged()
        .reply::<Page<CourierArea>>(200, "a page of areas")
}
