//! Sending notifications: one user, one notice, every channel the user
//! allows. Email through SES v2, SMS and push through SNS, the inbox in the
//! table. Each (event, user, channel) is claimed by a delivery record
//! before anything is sent and marked sent after: a redelivered event finds
//! the record and sends nothing twice; a copy processed at the same time
//! finds the claim's lease live and is retried later; an attempt that
//! failed (`failed`) or died (`sending`, its lease run out) is sent again by
//! the retry. Only a process that dies between the provider's answer and
//! the record can send twice.
use aws_sdk_sns::operation::publish::PublishError;
use aws_sdk_sns::types::MessageAttributeValue;
use serde_json::json;

use super::context::{Ctx, FromEnv};
use super::env::{ConfigError, Env};
use super::lambda::EventError;
use super::mail::MailError;
use super::notify_records::{
    delivery_claim, delivery_get, delivery_put, inbox_put, settings, settings_write, Delivery, DeliveryStatus,
    HeldMessage, InboxItem, PushPlatform, Settings, Suppression, CLAIM_LEASE_SECONDS,
};
use super::store::{from_item, Record, StoreError, Table};
use crate::domain::identity::User;
use crate::domain::notify::{render, Channel, Lang, Notice, Rendered, View};
use crate::keys;

/// The notifier's settings.
pub struct Notifier {
    /// Where links in notifications point (`APP_URL`).
    pub app_url: String,
    /// SNS platform applications for push (`PUSH_APNS_ARN`, `PUSH_FCM_ARN`); empty: not offered.
    pub apns: Option<String>,
    pub fcm: Option<String>,
    /// Derives recipients' delivery codes (`CUSTODY_KEY`).
    pub custody_key: Option<String>,
    /// Where support is alerted (`SUPPORT_EMAIL`).
    pub support_email: Option<String>,
}

impl FromEnv for Notifier {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            app_url: env.get("APP_URL").unwrap_or("https://app.handoff.example").to_string(),
            apns: env.get("PUSH_APNS_ARN").map(str::to_string),
            fcm: env.get("PUSH_FCM_ARN").map(str::to_string),
            custody_key: env.get("CUSTODY_KEY").map(str::to_string),
            support_email: env.get("SUPPORT_EMAIL").map(str::to_string),
        })
    }
}

impl Notifier {
    pub fn application(&self, p: PushPlatform) -> Option<&str> {
        match p {
            PushPlatform::Apns => self.apns.as_deref(),
            PushPlatform::Fcm => self.fcm.as_deref(),
        }
    }
}

/// How a send failed.
#[derive(Debug)]
pub enum SendError {
    /// Certainly not sent: try again later (the queue retries).
    Transient(String),
    /// The address or endpoint will never work: suppress it or drop it.
    Permanent(String),
    /// The request went out and its answer was lost: the provider may have
    /// sent it. SES and SNS take no idempotency key, so it is not sent
    /// again (never twice; in this rare case, perhaps never).
    Unconfirmed(String),
}

/// SES and SNS sends are tried once by the SDK: a retry after a lost
/// answer would send twice. Retries are the queue's, after a failure that
/// certainly sent nothing.
fn once() -> aws_sdk_sns::config::Builder {
    aws_sdk_sns::config::Builder::default().retry_config(aws_sdk_sns::config::retry::RetryConfig::disabled())
}

fn publish_error(e: aws_sdk_sns::error::SdkError<PublishError>) -> SendError {
    use aws_sdk_sns::error::SdkError;
    let text = format!("{e}: {:?}", std::error::Error::source(&e));
    match &e {
        SdkError::ServiceError(s) => match s.err() {
            PublishError::EndpointDisabledException(m) => SendError::Permanent(format!("endpoint disabled: {m}")),
            PublishError::NotFoundException(m) => SendError::Permanent(format!("endpoint not found: {m}")),
            PublishError::InvalidParameterException(m) => SendError::Permanent(format!("invalid: {m}")),
            _ if s.raw().status().is_client_error() => SendError::Transient(text),
            _ => SendError::Unconfirmed(text),
        },
        SdkError::ConstructionFailure(_) | SdkError::DispatchFailure(_) => SendError::Transient(text),
        _ => SendError::Unconfirmed(text),
    }
}

pub async fn send_email<C>(ctx: &Ctx<C>, to: &str, m: &Rendered) -> Result<String, SendError> {
    let mailer = ctx.mailer().map_err(|e| SendError::Transient(e.to_string()))?;
    mailer.send_once(to, &m.subject, &m.text, &m.html).await.map_err(|e| {
        let text = format!("{e}: {:?}", std::error::Error::source(&e));
        match e {
            MailError::Rejected(why) => SendError::Permanent(why),
            MailError::Unconfirmed(_) => SendError::Unconfirmed(text),
            MailError::Build(_) | MailError::Send(_) => SendError::Transient(text),
        }
    })
}

pub async fn send_sms<C>(ctx: &Ctx<C>, phone: &str, text: &str) -> Result<String, SendError> {
    let kind = MessageAttributeValue::builder()
        .data_type("String")
        .string_value("Transactional")
        .build()
        .map_err(|e| SendError::Transient(e.to_string()))?;
    publish_once(ctx.sns().publish().phone_number(phone).message(text).message_attributes("AWS.SNS.SMS.SMSType", kind))
        .await
}

/// Sends an SNS Publish once (see [`once`]): the message id, or how it failed.
async fn publish_once(
    req: aws_sdk_sns::operation::publish::builders::PublishFluentBuilder,
) -> Result<String, SendError> {
    req.customize()
        .config_override(once())
        .send()
        .await
        .map(|o| o.message_id.unwrap_or_default())
        .map_err(publish_error)
}

/// A push message for both platforms (SNS picks the one of the endpoint).
pub fn push_payload(m: &Rendered, link: &str) -> String {
    let apns = json!({"aps": {"alert": {"title": m.subject, "body": m.short}, "sound": "default"}, "link": link});
    let fcm = json!({"notification": {"title": m.subject, "body": m.short}, "data": {"link": link}});
    json!({
        "default": m.short,
        "APNS": apns.to_string(),
        "APNS_SANDBOX": apns.to_string(),
        "GCM": fcm.to_string(),
    })
    .to_string()
}

pub async fn send_push<C>(ctx: &Ctx<C>, endpoint_arn: &str, m: &Rendered, link: &str) -> Result<String, SendError> {
    publish_once(ctx.sns().publish().target_arn(endpoint_arn).message_structure("json").message(push_payload(m, link)))
        .await
}

/// What sending to each target of a delivery came to.
#[derive(Debug, Default)]
pub struct Sent {
    pub ids: Vec<String>,
    /// Targets whose answer was lost (counted as sent, not sent again).
    pub unconfirmed: Option<String>,
    /// Targets that will never work, with why.
    pub permanent: Vec<(String, String)>,
    pub transient: Option<String>,
}

/// Sends `m` on `channel` to each target (an address, a number, push endpoints).
pub async fn send_to<C>(ctx: &Ctx<C>, channel: Channel, targets: &[String], m: &Rendered, link: &str) -> Sent {
    let mut out = Sent::default();
    for t in targets {
        let r = match channel {
            Channel::Email => send_email(ctx, t, m).await,
            Channel::Sms => send_sms(ctx, t, &m.short).await,
            Channel::Push => send_push(ctx, t, m, link).await,
            Channel::InApp => continue,
        };
        match r {
            Ok(id) => out.ids.push(id),
            Err(SendError::Permanent(why)) => out.permanent.push((t.clone(), why)),
            Err(SendError::Transient(why)) => out.transient = Some(why),
            Err(SendError::Unconfirmed(why)) => {
                tracing::warn!(channel = channel.as_str(), why = %why, "answer lost; the message may have been sent");
                out.ids.push("unconfirmed".into());
                out.unconfirmed = Some(why);
            }
        }
    }
    out
}

/// Changes a user's settings (optimistically: re-read and re-applied on a conflict).
pub async fn change_settings(table: &Table, user_id: &str, f: impl Fn(&mut Settings)) -> Result<Settings, StoreError> {
    let mut last = None;
    for _ in 0..4 {
        let current = settings(table, user_id).await?;
        let mut next = current.as_ref().map(|r| r.data.clone()).unwrap_or_default();
        f(&mut next);
        if current.as_ref().is_some_and(|c| c.data == next) {
            return Ok(next);
        }
        match table.write_one(settings_write(user_id, current.as_ref(), next.clone())).await {
            Ok(()) => return Ok(next),
            Err(e @ StoreError::ConditionFailed { .. }) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| StoreError::unavailable("settings kept changing")))
}

/// Takes what permanently failed out of use: push endpoints are dropped
/// (and deleted at SNS), an email address or number is suppressed.
pub async fn retire<C>(
    ctx: &Ctx<C>,
    user_id: &str,
    channel: Channel,
    failed: &[(String, String)],
) -> Result<(), EventError> {
    if failed.is_empty() {
        return Ok(());
    }
    let at = ctx.now_rfc3339();
    let table = ctx.table()?;
    change_settings(table, user_id, |s| match channel {
        Channel::Push => s.devices.retain(|_, d| !failed.iter().any(|(arn, _)| *arn == d.endpoint_arn)),
        Channel::Email | Channel::Sms => {
            let (address, reason) = &failed[0];
            s.suppressed
                .insert(channel, Suppression { address: address.clone(), reason: reason.clone(), at: at.clone() });
        }
        Channel::InApp => {}
    })
    .await?;
    if channel == Channel::Push {
        for (arn, why) in failed {
            tracing::info!(endpoint = %arn, why = %why, "push endpoint dropped");
            if let Err(e) = ctx.sns().delete_endpoint().endpoint_arn(arn).send().await {
                tracing::warn!(endpoint = %arn, error = %e, "could not delete the push endpoint");
            }
        }
    } else {
        tracing::info!(user = %user_id, channel = channel.as_str(), "channel suppressed");
    }
    Ok(())
}

/// Writes how a delivery ended; a store hiccup is retried a few times here
/// (the send cannot be undone, so the record must not be lost).
pub async fn finish(table: &Table, d: &Delivery, now: i64) -> Result<(), StoreError> {
    let mut last = None;
    for attempt in 0..4u64 {
        if attempt > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(50 << attempt)).await;
        }
        match table.write_one(delivery_put(d, now)).await {
            Ok(()) => return Ok(()),
            Err(e @ StoreError::Unavailable(_)) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.expect("an attempt failed"))
}

/// What one notice to one user came to, per channel.
#[derive(Debug, Default, serde::Serialize)]
pub struct Outcome {
    pub sent: Vec<Channel>,
    pub held: Vec<Channel>,
    pub skipped: Vec<Channel>,
}

/// Notifies `user_id` of `notice`, caused by event `event_id`: renders it in
/// the user's language and sends it on every channel the user allows.
/// Fails (for the queue to retry) when a channel failed for now; what was
/// sent is not sent again.
pub async fn notify_user(
    ctx: &Ctx<Notifier>,
    event_id: &str,
    user_id: &str,
    notice: &Notice,
) -> Result<Outcome, EventError> {
    let table = ctx.table()?;
    let mut found = table.get_many(&[keys::user(user_id), keys::notify_settings(user_id)], true).await?;
    let Some(user) = found[0].take().map(from_item::<Record<User>>).transpose()? else {
        tracing::warn!(user = %user_id, "no such user: nothing to notify");
        return Ok(Outcome::default());
    };
    let user = user.data;
    let s: Settings =
        found[1].take().map(from_item::<Record<Settings>>).transpose()?.map(|r| r.data).unwrap_or_default();
    let quiet = s.preferences.quiet_hours.clone();
    let time_zone = quiet.as_ref().map_or("UTC", |q| q.time_zone.as_str());
    let email = user.email.as_str().to_string();
    let name = user
        .name
        .as_ref()
        .map(|n| n.as_str().to_string())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
    let view = View {
        notice,
        name: &name,
        lang: Lang::of(user.locale.as_ref().map(|l| l.as_str())),
        time_zone,
        app_url: &ctx.config.app_url,
    };
    let m = render(&view).map_err(|e| EventError::Invalid(format!("template: {e}")))?;
    let link = notice.link();
    let category = notice.category();
    let allowed = s.preferences.channels(category);
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let mut out = Outcome::default();
    let mut retry: Option<EventError> = None;
    for channel in Channel::ALL.into_iter().filter(|c| allowed.allows(*c) && notice.uses(*c)) {
        if channel == Channel::InApp {
            let item = InboxItem {
                notification_id: event_id.to_string(),
                kind: notice.kind().into(),
                category,
                title: m.subject.clone(),
                body: m.short.clone(),
                link: link.clone(),
                created_at: at.clone(),
                read_at: None,
            };
            let d = delivery(event_id, user_id, channel, notice, DeliveryStatus::Sent, &at);
            match table.write_all(vec![inbox_put(user_id, item, now), delivery_put(&d, now)]).await {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => out.sent.push(channel),
                Err(e) => retry = Some(e.into()),
            }
            continue;
        }
        let targets: Vec<String> = match channel {
            Channel::Email => vec![email.clone()],
            Channel::Sms => user.phone.clone().map(String::from).into_iter().collect(),
            Channel::Push => s.devices.values().map(|d| d.endpoint_arn.clone()).collect(),
            Channel::InApp => Vec::new(),
        };
        if targets.is_empty() {
            out.skipped.push(channel);
            continue;
        }
        let mut d = delivery(event_id, user_id, channel, notice, DeliveryStatus::Sending, &at);
        if matches!(channel, Channel::Email | Channel::Sms) && s.is_suppressed(channel, &targets[0]) {
            d.status = DeliveryStatus::Suppressed;
            d.error = s.suppressed.get(&channel).map(|x| x.reason.clone());
        } else if let Some(t) =
            quiet.as_ref().filter(|_| channel.interrupts() && !category.urgent()).and_then(|q| q.release_at(now))
        {
            d.status = DeliveryStatus::Held;
            d.release_at = Some(t);
            d.held = Some(HeldMessage { message: m.clone(), link: link.clone(), targets: targets.clone() });
        }
        let went = claim_and_send(ctx, &mut d, &targets, &m, &link, now).await;
        out.record(channel, went, &mut retry);
    }
    match retry {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Tells someone without an account (`notify::Contact`): email, and SMS
/// when they have a number, in English, at once (delivery codes are urgent).
/// Each channel is claimed and recorded like a user's, under the contact's
/// id; an address that fails for good is suppressed for that id.
pub async fn notify_contact(
    ctx: &Ctx<Notifier>,
    event_id: &str,
    contact: &crate::domain::notify::Contact,
    notice: &Notice,
) -> Result<Outcome, EventError> {
    let table = ctx.table()?;
    let s: Settings = settings(table, &contact.id).await?.map(|r| r.data).unwrap_or_default();
    let view =
        View { notice, name: &contact.name, lang: Lang::of(None), time_zone: "UTC", app_url: &ctx.config.app_url };
    let m = render(&view).map_err(|e| EventError::Invalid(format!("template: {e}")))?;
    let link = notice.link();
    let (now, at) = (ctx.now(), ctx.now_rfc3339());
    let mut out = Outcome::default();
    let mut retry: Option<EventError> = None;
    let targets = [(Channel::Email, Some(contact.email.clone())), (Channel::Sms, contact.phone.clone())];
    for (channel, target) in targets {
        let Some(target) = target.filter(|t| notice.uses(channel) && !s.is_suppressed(channel, t)) else {
            out.skipped.push(channel);
            continue;
        };
        let mut d = delivery(event_id, &contact.id, channel, notice, DeliveryStatus::Sending, &at);
        let went = claim_and_send(ctx, &mut d, &[target], &m, &link, now).await;
        out.record(channel, went, &mut retry);
    }
    match retry {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// How one channel's delivery went.
enum Went {
    Sent,
    Held,
    Skipped,
}

impl Outcome {
    fn record(&mut self, channel: Channel, went: Result<Went, EventError>, retry: &mut Option<EventError>) {
        match went {
            Ok(Went::Sent) => self.sent.push(channel),
            Ok(Went::Held) => self.held.push(channel),
            Ok(Went::Skipped) => self.skipped.push(channel),
            Err(e) => *retry = Some(e),
        }
    }
}

/// Claims a delivery before anything is sent, then sends it unless it is
/// held back or suppressed. A delivery another attempt has finished is
/// skipped; one another attempt is sending right now (a copy of the event
/// in the same batch) fails this attempt, so the queue brings the event
/// back once that attempt has ended, one way or the other.
async fn claim_and_send(
    ctx: &Ctx<Notifier>,
    d: &mut Delivery,
    targets: &[String],
    m: &Rendered,
    link: &str,
    now: i64,
) -> Result<Went, EventError> {
    let table = ctx.table()?;
    d.lease_until = (d.status == DeliveryStatus::Sending).then_some(now + CLAIM_LEASE_SECONDS);
    match table.write_one(delivery_claim(d, now)).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { item, .. }) => {
            // The claim that stands, as the failed write returned it (read only if it did not).
            let other = match item {
                Some(i) => Some(from_item::<Record<Delivery>>(*i)?.data),
                None => delivery_get(table, &d.event_id, &d.user_id, d.channel).await?,
            };
            return match other {
                Some(o) if o.status == DeliveryStatus::Sending => {
                    tracing::info!(channel = d.channel.as_str(), "another attempt is sending this delivery");
                    Err(EventError::Conflict)
                }
                _ => Ok(Went::Skipped),
            };
        }
        Err(e) => return Err(e.into()),
    }
    match d.status {
        DeliveryStatus::Held => Ok(Went::Held),
        DeliveryStatus::Suppressed => Ok(Went::Skipped),
        _ => Ok(if deliver(ctx, d, targets, m, link).await? { Went::Sent } else { Went::Skipped }),
    }
}

fn delivery(event_id: &str, user_id: &str, channel: Channel, n: &Notice, status: DeliveryStatus, at: &str) -> Delivery {
    Delivery {
        event_id: event_id.into(),
        user_id: user_id.into(),
        channel,
        kind: n.kind().into(),
        category: n.category(),
        status,
        provider_ids: Vec::new(),
        error: None,
        release_at: None,
        held: None,
        lease_until: None,
        updated_at: at.into(),
    }
}

/// Sends a claimed delivery and records how it ended: `Ok(true)` sent,
/// `Ok(false)` never sendable (dropped or suppressed), `Err` to retry.
pub async fn deliver<C>(
    ctx: &Ctx<C>,
    d: &mut Delivery,
    targets: &[String],
    m: &Rendered,
    link: &str,
) -> Result<bool, EventError> {
    let table = ctx.table()?;
    let sent = send_to(ctx, d.channel, targets, m, link).await;
    retire(ctx, &d.user_id, d.channel, &sent.permanent).await?;
    let ok = !sent.ids.is_empty();
    d.provider_ids = sent.ids;
    d.lease_until = None;
    d.updated_at = ctx.now_rfc3339();
    d.status = if ok {
        DeliveryStatus::Sent
    } else if sent.transient.is_some() {
        DeliveryStatus::Failed
    } else if d.channel == Channel::Push {
        DeliveryStatus::Dropped
    } else {
        DeliveryStatus::Suppressed
    };
    d.error = sent
        .transient
        .clone()
        .or_else(|| sent.unconfirmed.as_ref().map(|why| format!("unconfirmed: {why}")))
        .or_else(|| sent.permanent.first().map(|(_, why)| why.clone()));
    let now = ctx.now();
    if d.status == DeliveryStatus::Failed {
        // Best effort: a `sending` record left behind is claimed again once its lease runs out.
        let _ = finish(table, d, now).await;
        return Err(EventError::Dependency {
            what: "notification channel",
            source: sent.transient.unwrap_or_default().into(),
        });
    }
    finish(table, d, now).await?;
    Ok(ok)
}
