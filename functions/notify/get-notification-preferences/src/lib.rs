//! GET /me/notification-preferences — per category, the channels the
//! caller receives (mandatory categories with their fixed channels) and
//! their quiet hours. One GetItem.
use handoff::domain::notify::{Preferences, PreferencesView};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::notify_records::settings;

pub async fn handle(ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let s = settings(ctx.table()?, &me.user_id).await?;
    let prefs = s.map(|r| r.data.preferences).unwrap_or_else(Preferences::default);
    Ok(Reply::ok(&prefs.view()))
}

pub fn operation() -> Operation {
    Operation::get("/me/notification-preferences", "notifications", "The caller's notification preferences")
        .describe(
            "Categories: security, receipts and delivery_codes are mandatory (their channels are fixed); \
             bookings, payments, delivery_updates, messages and marketing follow the user's choice per \
             channel (email, sms, push, in_app). Quiet hours hold back SMS and push that are not urgent.",
        )
        .reply::<PreferencesView>(200, "the preferences")
}
