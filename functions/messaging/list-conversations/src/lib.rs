//! GET /me/conversations?limit=&cursor= — the caller's conversations (one
//! per itinerary they take part in) with their unread counts. One Query.
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::messaging_records::Member;
use handoff::platform::store::Query;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let (limit, cursor) = req.page()?;
    let (pk, prefix) = keys::members_of(&me.user_id);
    let page = ctx
        .table()?
        .query::<Member>(Query {
            index: None,
            partition: pk,
            sort_prefix: Some(prefix.into()),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let items: Vec<Member> = page.items.into_iter().map(|r| r.data).collect();
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/me/conversations", "messaging", "The caller's conversations with unread counts")
        .paged()
        .reply::<Page<Member>>(200, "a page of conversations")
}
