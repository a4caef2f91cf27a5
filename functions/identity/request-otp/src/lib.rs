//! POST /auth/otp — emails a six-digit sign-in code.
//!
//! Rate limited per email (5) and per source address (`OTP_MAX_PER_IP`, a
//! template parameter: offices and mobile carriers share addresses), in fixed
//! 15-minute windows;
//! the code is stored only as a keyed hash, expires in 10 minutes, and a new
//! request replaces the previous code. The answer is the same whether or not
//! the email belongs to a user.
use handoff::domain::identity::Email;
use handoff::domain::otp::{OtpRecord, CODE_TTL_SECONDS, RATE_WINDOW_SECONDS, REQUESTS_PER_WINDOW};
use handoff::keys::{self, entity};
use handoff::platform::aws::Aws;
use handoff::platform::clock::now_unix;
use handoff::platform::crypto::{random_code, sha256_hex};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::identity::otp_hash;
use handoff::platform::mail::Mailer;
use handoff::platform::ratelimit::Limit;
use handoff::platform::store::{put, Record, StoreError, Table};
use serde::Deserialize;

/// An expired code is kept a day, so presenting it says "expired", not "unknown".
const KEEP_EXPIRED_SECONDS: i64 = 24 * 3600;

pub struct Function {
    table: Table,
    mailer: Mailer,
    pepper: String,
    max_per_ip: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    email: String,
}

impl HttpFunction for Function {
    const NAME: &'static str = "request-otp";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)?, mailer: Mailer::new(aws.sesv2(), env.require("MAIL_FROM")?), pepper: env.require("OTP_PEPPER")?, max_per_ip: env.parse("OTP_MAX_PER_IP")? })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let body: Body = req.json()?;
        let email = Email::parse(&body.email).map_err(|e| Problem::field("email", e.to_string()))?;
        let now = now_unix();
        let per_email = Limit { scope: "otp-email", max: REQUESTS_PER_WINDOW, window_seconds: RATE_WINDOW_SECONDS };
        let per_ip = Limit { scope: "otp-ip", max: self.max_per_ip, window_seconds: RATE_WINDOW_SECONDS };
        let code = random_code();
        let otp = OtpRecord { code_hash: otp_hash(&self.pepper, email.as_str(), &code), attempts: 0, expires_at: now + CODE_TTL_SECONDS };
        let mut writes = vec![per_email.count(&sha256_hex(email.as_str().as_bytes()), now)];
        if let Some(ip) = &req.source_ip {
            writes.push(per_ip.count(ip, now));
        }
        writes.push(put(&Record::new(keys::otp(email.as_str()), entity::OTP, otp).expires(now + CODE_TTL_SECONDS + KEEP_EXPIRED_SECONDS), None));
        match self.table.transact(writes).await {
            Ok(()) => {}
            Err(StoreError::ConditionFailed { .. }) => {
                return Err(Problem::too_many("otp-rate-limited", "too many codes were requested for this email or from this address; wait and try again", per_email.retry_after(now)))
            }
            Err(e) => return Err(e.into()),
        }
        let text = format!(
            "Your Handoff sign-in code is {code}.\n\nIt expires in {} minutes. If you did not ask for it, ignore this email.\n",
            CODE_TTL_SECONDS / 60
        );
        self.mailer.send(email.as_str(), &format!("Your Handoff code: {code}"), &text).await.map_err(|e| {
            tracing::warn!(error = %e, "sending the code failed");
            Problem::unavailable()
        })?;
        Ok(Reply::json(
            202,
            &serde_json::json!({"message": "if this address can receive email, a sign-in code is on its way", "expires_in": CODE_TTL_SECONDS}),
        ))
    }
}
