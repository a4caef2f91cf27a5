//! DELETE /me/devices/{id} — stops push to one of the caller's devices (on
//! sign-out of the app): the device leaves the settings, its token claim is
//! released and its SNS endpoint deleted. Another user's device is 404.
//! BatchGetItem (settings, claim) + TransactWriteItems + SNS DeleteEndpoint.
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::notify_records::{settings_write, Settings, TokenClaim};
use handoff::platform::notify_send::Notifier;
use handoff::platform::store::{delete, from_item, Cond, Record};

pub async fn handle(ctx: &Ctx<Notifier>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let id = req.path_param("id")?;
    let table = ctx.table()?;
    let mut found = table.get_many(&[keys::notify_settings(&me.user_id), keys::push_token(id)], true).await?;
    let mine = found[0].take().map(from_item::<Record<Settings>>).transpose()?;
    let claim = found[1].take().map(from_item::<Record<TokenClaim>>).transpose()?;
    let Some(mine) = mine else {
        return Err(Problem::not_found("device"));
    };
    let mut next = mine.data.clone();
    let Some(device) = next.devices.remove(id) else {
        return Err(Problem::not_found("device"));
    };
    let mut writes = vec![settings_write(&me.user_id, Some(&mine), next)];
    if claim.is_some_and(|c| c.data.user_id == me.user_id) {
        writes.push(delete(
            &keys::push_token(id),
            Some(Cond::new("#u = :me").name("#u", "user_id").value(":me", &me.user_id)),
        ));
    }
    table.write_all(writes).await?;
    if let Err(e) = ctx.sns().delete_endpoint().endpoint_arn(&device.endpoint_arn).send().await {
        tracing::warn!(endpoint = %device.endpoint_arn, error = %e, "could not delete the push endpoint");
    }
    Ok(Reply::no_content())
}

pub fn operation() -> Operation {
    Operation::delete("/me/devices/{id}", "notifications", "Stop push notifications to a device")
        .no_content("the device no longer receives push notifications")
}
