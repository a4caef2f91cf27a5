//! GET /webhook-endpoints/{id} — one of the caller's endpoints. One GetItem.
use handoff::domain::identity::Role;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::webhook_records::{own_endpoint, EndpointView, Webhooks};

pub async fn handle(ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let e = own_endpoint(ctx.table()?, &me.user_id, req.path_param("id")?).await?;
    Ok(Reply::ok(&e.data.view()))
}

pub fn operation() -> Operation {
    Operation::get("/webhook-endpoints/{id}", "webhooks", "A webhook endpoint")
        .role(Role::Sender)
        .reply::<EndpointView>(200, "the endpoint")
}
