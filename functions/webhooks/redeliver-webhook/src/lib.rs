//! POST /webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver — sends
//! a delivery again now, whatever its status (the same body and id),
//! and answers how it went. GetItem ×2 + the POST + PutItem.
use handoff::domain::identity::Role;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::Record;
use handoff::platform::webhook_records::{attempt, Delivery, Endpoint, Webhooks};

pub async fn handle(ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let id = req.path_param("id")?;
    let table = ctx.table()?;
    // A missing endpoint and a missing delivery answer alike: the delivery was not found.
    let endpoint: Record<Endpoint> = table
        .get(&keys::webhook_endpoint(&me.user_id, id), true)
        .await?
        .ok_or_else(|| Problem::not_found("delivery"))?;
    let found: Option<Record<Delivery>> =
        table.get(&keys::webhook_delivery(id, req.path_param("delivery_id")?), true).await?;
    let mut d = found.ok_or_else(|| Problem::not_found("delivery"))?.data;
    if !endpoint.data.enabled {
        return Err(Problem::conflict("endpoint-disabled", "enable the endpoint first (PATCH enabled: true)"));
    }
    attempt(ctx, &endpoint, &mut d).await.map_err(|e| {
        tracing::warn!(error = %e, "redelivery not recorded");
        Problem::unavailable()
    })?;
    d.payload.clear();
    Ok(Reply::ok(&d))
}

pub fn operation() -> Operation {
    Operation::post(
        "/webhook-endpoints/{id}/deliveries/{delivery_id}/redeliver",
        "webhooks",
        "Send a delivery again now",
    )
    .role(Role::Sender)
    .reply::<Delivery>(200, "the delivery after this attempt")
    .problem(409, "endpoint-disabled")
}
