//! GET /webhook-endpoints — the caller's endpoints (without secrets). One Query.
use handoff::domain::identity::Role;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Items, Operation, Problem, Reply};
use handoff::platform::webhook_records::{endpoints_of, EndpointView, Webhooks};

pub async fn handle(ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let items: Vec<EndpointView> =
        endpoints_of(ctx.table()?, &me.user_id).await?.iter().map(|r| r.data.view()).collect();
    Ok(Reply::ok(&Items { items }))
}

pub fn operation() -> Operation {
    Operation::get("/webhook-endpoints", "webhooks", "The caller's webhook endpoints").role(Role::Sender).reply::<Items<
        EndpointView,
    >>(
        200,
        "the endpoints",
    )
}
