//! The WebSocket API's `subscribe` route: `{"action": "subscribe",
//! "shipment_id": "…"}` from a signed-in connection follows a shipment the
//! user is a party of (at most 20). The answer is posted back on the
//! connection: `{"type": "subscribed"}`, or `{"type": "error"}` for a
//! shipment that does not exist or is not theirs (alike).
//! BatchGetItem (connection, custody) + TransactWriteItems + PostToConnection.
use handoff::domain::custody::Custody;
use handoff::domain::live::{LiveMessage, Subscribe};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::live_records::{post, subscription_put, Connection, WsAnswer, WsEvent, MAX_SUBSCRIPTIONS};
use handoff::platform::store::{put_versioned, record};

pub async fn handle(ctx: &Ctx, e: WsEvent) -> Result<WsAnswer, EventError> {
    let id = e.request_context.connection_id;
    let refuse = |message: &str| LiveMessage::Error { message: message.into() };
    let Some(sub) = e.body.as_deref().and_then(|b| serde_json::from_str::<Subscribe>(b).ok()) else {
        post(ctx, &id, &refuse("send {\"action\": \"subscribe\", \"shipment_id\": \"…\"}")).await?;
        return Ok(WsAnswer::ok());
    };
    let table = ctx.table()?;
    let found = table.get_many(&[keys::ws_connection(&id), keys::custody(&sub.shipment_id)], true).await?;
    let mut found = found.into_iter();
    let conn = record::<Connection>(found.next().flatten())?;
    let custody = record::<Custody>(found.next().flatten())?;
    let Some(conn) = conn else {
        return Ok(WsAnswer::refused(410, "unknown connection"));
    };
    let mine = |c: &Custody| conn.data.user_id.as_deref().is_some_and(|u| c.is_party(u));
    if !custody.as_ref().is_some_and(|c| mine(&c.data)) {
        post(ctx, &id, &refuse("no such shipment")).await?;
        return Ok(WsAnswer::ok());
    }
    let mut c = conn.data.clone();
    if !c.subscriptions.contains(&sub.shipment_id) {
        if c.subscriptions.len() >= MAX_SUBSCRIPTIONS {
            post(ctx, &id, &refuse("at most 20 shipments per connection")).await?;
            return Ok(WsAnswer::ok());
        }
        c.subscriptions.push(sub.shipment_id.clone());
        let now = ctx.now();
        let next = conn.next(c.clone());
        table.write_all(vec![put_versioned(&next), subscription_put(&sub.shipment_id, &c, now)]).await?;
    }
    post(ctx, &id, &LiveMessage::Subscribed { shipment_id: sub.shipment_id }).await?;
    Ok(WsAnswer::ok())
}
