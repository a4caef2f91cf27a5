//! POST /me/devices {platform, token} — registers the caller's phone for
//! push: an SNS platform endpoint for the APNs or FCM token. The device id
//! is derived from platform and token, so registering again answers the
//! same device; a token registered by another user before (a phone that
//! changed hands) is moved to the caller. At most ten devices per user:
//! the oldest is dropped for a new one.
//! SNS CreatePlatformEndpoint + BatchGetItem (claim, settings) + TransactWriteItems.
use handoff::keys::{self, entity};
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::notify_records::{
    settings_write, Device, DeviceView, PushPlatform, Settings, TokenClaim, MAX_DEVICES,
};
use handoff::platform::notify_send::Notifier;
use handoff::platform::store::{from_item, put, Record};
use serde::Deserialize;
use sha2::{Digest, Sha256};

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NewDevice {
    pub platform: PushPlatform,
    /// The APNs device token (hex) or FCM registration token the app got from the OS.
    pub token: String,
}

fn check_token(platform: PushPlatform, token: &str) -> Result<(), Problem> {
    let ok = match platform {
        PushPlatform::Apns => (64..=200).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_hexdigit()),
        PushPlatform::Fcm => {
            (32..=4096).contains(&token.len())
                && token.bytes().all(|b| b.is_ascii_alphanumeric() || b"_:-.".contains(&b))
        }
    };
    if ok {
        Ok(())
    } else {
        Err(Problem::field(
            "token",
            match platform {
                PushPlatform::Apns => "must be an APNs device token: 64 to 200 hexadecimal digits",
                PushPlatform::Fcm => "must be an FCM registration token: 32 to 4096 of A-Z a-z 0-9 _ : - .",
            },
        ))
    }
}

pub fn device_id(platform: PushPlatform, token: &str) -> String {
    let p = match platform {
        PushPlatform::Apns => "apns",
        PushPlatform::Fcm => "fcm",
    };
    let h = Sha256::digest(format!("{p}:{token}").as_bytes());
    h[..16].iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn handle(ctx: &Ctx<Notifier>, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let body: NewDevice = req.json()?;
    let token = body.token.trim();
    check_token(body.platform, token)?;
    let Some(app) = ctx.config.application(body.platform) else {
        return Err(Problem::new(
            422,
            "push-not-offered",
            "Push not offered",
            "push notifications for this platform are not set up on this deployment",
        ));
    };
    let endpoint = ctx
        .sns()
        .create_platform_endpoint()
        .platform_application_arn(app)
        .token(token)
        .send()
        .await
        .map_err(|e| {
            use handoff::platform::aws::sdk::aws_sdk_sns::operation::create_platform_endpoint::CreatePlatformEndpointError as E;
            match e.as_service_error() {
                Some(E::InvalidParameterException(m)) => Problem::field("token", format!("refused by the push service: {m}")),
                _ => {
                    tracing::warn!(error = %e, "SNS unavailable");
                    Problem::unavailable()
                }
            }
        })?
        .endpoint_arn
        .unwrap_or_default();
    let id = device_id(body.platform, token);
    let table = ctx.table()?;
    let mut found = table.get_many(&[keys::push_token(&id), keys::notify_settings(&me.user_id)], true).await?;
    let claim = found[0].take().map(from_item::<Record<TokenClaim>>).transpose()?;
    let mine = found[1].take().map(from_item::<Record<Settings>>).transpose()?;
    let mut next = mine.as_ref().map(|r| r.data.clone()).unwrap_or_default();
    let device = Device {
        device_id: id.clone(),
        platform: body.platform,
        endpoint_arn: endpoint,
        registered_at: next.devices.get(&id).map_or_else(|| ctx.now_rfc3339(), |d| d.registered_at.clone()),
    };
    next.devices.insert(id.clone(), device.clone());
    while next.devices.len() > MAX_DEVICES {
        let oldest = next
            .devices
            .values()
            .min_by_key(|d| d.registered_at.clone())
            .map(|d| d.device_id.clone())
            .expect("devices");
        next.devices.remove(&oldest);
    }
    let mut writes = vec![
        put(
            &Record::new(
                keys::push_token(&id),
                entity::PUSH_TOKEN,
                TokenClaim { device_id: id.clone(), user_id: me.user_id.clone() },
            ),
            None,
        ),
        settings_write(&me.user_id, mine.as_ref(), next),
    ];
    if let Some(previous) = claim.map(|c| c.data.user_id).filter(|u| *u != me.user_id) {
        if let Some(theirs) = handoff::platform::notify_records::settings(table, &previous).await? {
            let mut t = theirs.data.clone();
            if t.devices.remove(&id).is_some() {
                writes.push(settings_write(&previous, Some(&theirs), t));
            }
        }
    }
    Ok(Reply::json(201, &DeviceView::from(&device)).writes(writes))
}

pub fn operation() -> Operation {
    Operation::post("/me/devices", "notifications", "Register a device for push notifications")
        .describe(
            "The app sends the token the OS gave it (APNs on iOS, FCM on Android). Registering the same \
             token again answers the same device; a device whose push endpoint the provider disables is \
             dropped on the next notification.",
        )
        .body::<NewDevice>()
        .example(serde_json::json!({"platform": "fcm", "token": "fcm-token-0123456789abcdefghijklmnopqrstuv"}))
        .reply::<DeviceView>(201, "the registered device")
        .problem(422, "push-not-offered")
}
