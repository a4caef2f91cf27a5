//! DELETE /webhook-endpoints/{id} — no more deliveries (retries due fail).
//! One conditional DeleteItem.
use handoff::domain::identity::Role;
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::store::{delete, Cond};
use handoff::platform::webhook_records::Webhooks;

pub async fn handle(_ctx: &Ctx<Webhooks>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.require_role(Role::Sender)?;
    let key = keys::webhook_endpoint(&me.user_id, req.path_param("id")?);
    Ok(Reply::no_content()
        .write(delete(&key, Some(Cond::new("attribute_exists(pk)"))), Some(Problem::not_found("webhook endpoint"))))
}

pub fn operation() -> Operation {
    Operation::delete("/webhook-endpoints/{id}", "webhooks", "Delete a webhook endpoint")
        .role(Role::Sender)
        .no_content("deleted")
}
