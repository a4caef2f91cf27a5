//! The WebSocket API's $disconnect: the connection and its subscriptions
//! are forgotten. GetItem + TransactWriteItems (deletes).
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::live_records::{forget, WsAnswer, WsEvent};

pub async fn handle(ctx: &Ctx, e: WsEvent) -> Result<WsAnswer, EventError> {
    forget(ctx.table()?, &e.request_context.connection_id).await?;
    Ok(WsAnswer::ok())
}
