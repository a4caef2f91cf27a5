//! The WebSocket API's $connect: a client connects with its access token
//! (`?token=…`, checked like the HTTP API's authorizer: signature, expiry,
//! an active session) or with a shipment's public tracking token
//! (`?tracking=…`: it follows that shipment only, at once). Anything else is
//! refused (401) and API Gateway closes the connection.
//! BatchGetItem (session, user) or GetItem (tracking token) + one or two PutItem.
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::lambda::EventError;
use handoff::platform::live_records::{connection_put, subscription_put, Connection, WsAnswer, WsEvent};
use handoff::platform::sessions::{authenticate, TokenVerifier};
use handoff::platform::store::Record;

/// The keys that verify access tokens (`JWT_JWKS`).
pub type Config = TokenVerifier;

pub async fn handle(ctx: &Ctx<Config>, e: WsEvent) -> Result<WsAnswer, EventError> {
    let table = ctx.table()?;
    let q = e.query_string_parameters.unwrap_or_default();
    let mut c = Connection {
        connection_id: e.request_context.connection_id,
        user_id: None,
        tracking: None,
        subscriptions: Vec::new(),
        connected_at: ctx.now_rfc3339(),
    };
    if let Some(token) = q.get("token") {
        match authenticate(table, &ctx.config.verifier, token, ctx.now()).await {
            Ok(p) => c.user_id = Some(p.user_id),
            Err((why, _)) => return Ok(WsAnswer::refused(401, why.slug())),
        }
    } else if let Some(t) = q.get("tracking").filter(|t| t.len() <= 64) {
        let found: Option<Record<serde_json::Value>> = table.get(&keys::tracking_token(t), false).await?;
        let Some(shipment) = found.and_then(|f| f.data["shipment_id"].as_str().map(str::to_string)) else {
            return Ok(WsAnswer::refused(401, "unknown tracking token"));
        };
        c.tracking = Some(shipment.clone());
        c.subscriptions.push(shipment);
    } else {
        return Ok(WsAnswer::refused(401, "connect with ?token=<access token> or ?tracking=<tracking token>"));
    }
    let now = ctx.now();
    let mut writes = vec![connection_put(&c, now)];
    writes.extend(c.tracking.iter().map(|s| subscription_put(s, &c, now)));
    table.write_all(writes).await?;
    Ok(WsAnswer::ok())
}
