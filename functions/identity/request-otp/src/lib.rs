//! POST /auth/otp — emails a six-digit sign-in code.
//!
//! Rate limited per email and source address (5), per email from all
//! addresses (30: someone else's requests cannot lock an owner out, yet an
//! inbox is not flooded) and per source address (`OTP_MAX_PER_IP`, a
//! template parameter: offices and mobile carriers share addresses), in fixed
//! 15-minute windows;
//! the code is stored only as a keyed hash, expires in 10 minutes, and a new
//! request replaces the previous code. The answer is the same whether or not
//! the email belongs to a user.
use handoff::domain::identity::Email;
use handoff::domain::otp::{
    OtpRecord, CODE_TTL_SECONDS, EMAIL_REQUESTS_PER_WINDOW, RATE_WINDOW_SECONDS, REQUESTS_PER_WINDOW,
};
use handoff::keys::{self, entity};
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::crypto::{random_code, sha256_hex};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::error::Chain;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::ratelimit::Limit;
use handoff::platform::sessions::otp_hash;
use handoff::platform::store::{put, Record, StoreError};
use serde::Deserialize;

/// An expired code is kept a day, so presenting it says "expired", not "unknown".
const KEEP_EXPIRED_SECONDS: i64 = 24 * 3600;

/// The pepper of code hashes (`OTP_PEPPER`) and the per-address limit (`OTP_MAX_PER_IP`).
pub struct Config {
    pepper: String,
    max_per_ip: u32,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { pepper: env.require("OTP_PEPPER")?, max_per_ip: env.parse("OTP_MAX_PER_IP")? })
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OtpRequest")]
struct Body {
    #[schemars(email)]
    email: String,
}

/// The answer to a code request.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub struct OtpRequested {
    pub message: String,
    /// Seconds the code stays valid.
    pub expires_in: i64,
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let body: Body = req.json()?;
    let email = Email::parse(&body.email).map_err(|e| Problem::field("email", e.to_string()))?;
    let now = ctx.now();
    let per_email = Limit { scope: "otp-email", max: EMAIL_REQUESTS_PER_WINDOW, window_seconds: RATE_WINDOW_SECONDS };
    let per_email_ip = Limit { scope: "otp-email-ip", max: REQUESTS_PER_WINDOW, window_seconds: RATE_WINDOW_SECONDS };
    let per_ip = Limit { scope: "otp-ip", max: ctx.config.max_per_ip, window_seconds: RATE_WINDOW_SECONDS };
    let code = random_code();
    let otp = OtpRecord {
        code_hash: otp_hash(&ctx.config.pepper, email.as_str(), &code),
        attempts: 0,
        expires_at: now + CODE_TTL_SECONDS,
    };
    let ip = req.source_ip.as_deref().unwrap_or("unknown");
    let mut writes = vec![
        per_email.count(&sha256_hex(email.as_str().as_bytes()), now),
        per_email_ip.count(&sha256_hex(format!("{}|{ip}", email.as_str()).as_bytes()), now),
    ];
    if req.source_ip.is_some() {
        writes.push(per_ip.count(ip, now));
    }
    writes.push(put(
        &Record::new(keys::otp(email.as_str()), entity::OTP, otp)
            .expires(now + CODE_TTL_SECONDS + KEEP_EXPIRED_SECONDS),
        None,
    ));
    match table.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => {
            return Err(Problem::too_many(
                "otp-rate-limited",
                "too many codes were requested for this email or from this address; wait and try again",
                per_email.retry_after(now),
            ))
        }
        Err(e) => return Err(e.into()),
    }
    let text = format!(
        "Your Handoff sign-in code is {code}.\n\nIt expires in {} minutes. If you did not ask for it, ignore this email.\n",
        CODE_TTL_SECONDS / 60
    );
    ctx.mailer()?.send(email.as_str(), &format!("Your Handoff code: {code}"), &text).await.map_err(|e| {
        tracing::warn!(error = %Chain(&e), "sending the code failed");
        Problem::unavailable()
    })?;
    let message = "if this address can receive email, a sign-in code is on its way";
    Ok(Reply::json(202, &OtpRequested { message: message.into(), expires_in: CODE_TTL_SECONDS }))
}

pub fn operation() -> Operation {
    Operation::post("/auth/otp", "identity", "Email a six-digit sign-in code")
        .describe("The answer is the same whether or not the address belongs to a user.")
        .public()
        .body::<Body>()
        .example(serde_json::json!({"email": "ada@example.com"}))
        .reply::<OtpRequested>(202, "a code is on its way if the address can receive email")
        .problem(429, "otp-rate-limited")
}
