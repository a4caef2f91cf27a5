//! GET /admin/ledger/transfers?itinerary= — an itinerary's ledger
//! transfers in the order of their ids, paginated, for admins and support.
//! One Query (the itinerary's partition).
use handoff::domain::identity::Role;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::payment_records::TransferRecord;
use handoff::platform::store::Query;
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    req.require_any_role(&[Role::Admin, Role::Support])?;
    let itinerary = req
        .query
        .get("itinerary")
        .filter(|i| !i.is_empty() && i.len() <= 128)
        .ok_or_else(|| Problem::field("itinerary", "name the itinerary (its id)"))?;
    let (limit, cursor) = req.page()?;
    let page = ctx
        .table()?
        .query::<TransferRecord>(Query {
            index: None,
            partition: keys::itinerary_partition(itinerary),
            sort_prefix: Some(keys::transfer_prefix().into()),
            forward: true,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<TransferRecord> = page.items.into_iter().map(|r| r.data).collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/admin/ledger/transfers", "payments", "An itinerary's ledger transfers")
        .describe(
            "Every transfer of the itinerary: payment, shares, fee, VAT, duties, voids, refunds. Admin and support.",
        )
        .any_role(&[Role::Admin, Role::Support])
        .required_query("itinerary", "an itinerary id", json!({"type": "string", "minLength": 1, "maxLength": 128}))
        .paged()
        .reply::<Page<TransferRecord>>(200, "a page of transfers")
}
