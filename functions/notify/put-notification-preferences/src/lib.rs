//! PUT /me/notification-preferences — changes the channels of the given
//! categories and, when present, the quiet hours (null removes them). A
//! mandatory category cannot be switched off (422 `mandatory-category`).
//! GetItem + a versioned PutItem (a concurrent change answers 409).
use handoff::domain::notify::{PreferenceError, PreferencesChange, PreferencesView};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::notify_records::{settings, settings_write};
use serde_json::json;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let change: PreferencesChange = req.json()?;
    let current = settings(ctx.table()?, &me.user_id).await?;
    let mut next = current.as_ref().map(|r| r.data.clone()).unwrap_or_default();
    next.preferences = next.preferences.changed(change).map_err(|e| match e {
        PreferenceError::Mandatory(_) => Problem::new(422, "mandatory-category", "Mandatory category", e.to_string()),
        other => Problem::field("quiet_hours", other.to_string()),
    })?;
    let view = next.preferences.view();
    Ok(Reply::ok(&view).writes([settings_write(&me.user_id, current.as_ref(), next)]))
}

pub fn operation() -> Operation {
    Operation::put("/me/notification-preferences", "notifications", "Change notification preferences")
        .describe(
            "Only the categories given change. `quiet_hours` (`start`, `end` as HH:MM and an IANA \
             `time_zone`) hold back SMS and push that are not urgent until they end; `null` removes them.",
        )
        .body::<PreferencesChange>()
        .example(json!({
            "categories": {"marketing": {"email": false, "sms": false, "push": false, "in_app": false}},
            "quiet_hours": {"start": "22:00", "end": "07:00", "time_zone": "Europe/Berlin"}
        }))
        .reply::<PreferencesView>(200, "the preferences now")
        .problem(422, "mandatory-category")
}
