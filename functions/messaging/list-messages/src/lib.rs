//! GET /conversations/{id}/messages?limit=&cursor= — a conversation's
//! messages, newest first, attachments with 15-minute download links.
//! Participants only; anyone else 404.
//! GetItem (itinerary) + Query (the conversation's partition); presigning makes no call.
use handoff::domain::messaging::Message;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Page, Problem, Reply};
use handoff::platform::messaging_records::conversation_of;
use handoff::platform::store::Query;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let (limit, cursor) = req.page()?;
    let table = ctx.table()?;
    conversation_of(table, id, &me.user_id).await?;
    let (pk, prefix) = keys::messages_of(id);
    let page = table
        .query::<Message>(Query {
            index: None,
            partition: pk,
            sort_prefix: Some(prefix.into()),
            forward: false,
            limit,
            cursor,
        })
        .await?;
    let files = ctx.files()?;
    let mut items = Vec::with_capacity(page.items.len());
    for r in page.items {
        let mut m = r.data;
        for a in &mut m.attachments {
            a.url = Some(files.view_url(&a.object_key).await?);
            a.object_key.clear();
        }
        items.push(m);
    }
    Ok(Reply::ok(&Page { items, next_cursor: page.next_cursor }))
}

pub fn operation() -> Operation {
    Operation::get("/conversations/{id}/messages", "messaging", "An itinerary's conversation, newest first")
        .paged()
        .reply::<Page<Message>>(200, "a page of messages")
}
