//! POST /auth/otp/verify — exchanges an emailed code for a session.
//!
//! One BatchGetItem reads the code and the email's user; a wrong code
//! counts an attempt; the right one is consumed (single use) in the same
//! transaction that creates the user on first sign-in (user, email claim,
//! UserSignedUp) and starts the session (session, refresh token, SessionStarted).
use handoff::domain::events::UserSignedUp;
use handoff::domain::identity::{Email, Roles, User};
use handoff::domain::otp::{self, OtpRecord, OtpRefusal};
use handoff::domain::validation::Errors;
use handoff::keys::{self, entity};
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::crypto::{ct_eq, new_id};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::envelope::Actor;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::outbox;
use handoff::platform::sessions::{otp_hash, start_session, AuthConfig, EmailClaim, Tokens};
use handoff::platform::store::{self, put_new, record, Cond, Record, StoreError, UpdateSpec};
use serde::Deserialize;

/// The token signer (`JWT_PRIVATE_KEY`) and the pepper of code hashes (`OTP_PEPPER`).
pub struct Config {
    auth: AuthConfig,
    pepper: String,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self { auth: AuthConfig::from_env(env)?, pepper: env.require("OTP_PEPPER")? })
    }
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "OtpVerifyRequest")]
struct Body {
    #[schemars(email)]
    email: String,
    code: String,
}

fn refusal(r: &OtpRefusal) -> Problem {
    let slug = match r {
        OtpRefusal::NoCode => "otp-not-found",
        OtpRefusal::Expired => "otp-expired",
        OtpRefusal::TooManyAttempts => "otp-attempts-exceeded",
        OtpRefusal::Wrong { .. } => "otp-wrong",
    };
    Problem::bad_request(slug, r.to_string())
}

pub async fn handle(ctx: &Ctx<Config>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let body: Body = req.json()?;
    let mut errors = Errors::new();
    let email = errors.check("email", Email::parse(&body.email));
    let code = errors.check("code", otp::parse_code(&body.code));
    let (email, code) = errors.finish((|| Some((email?, code?)))())?;

    let found = table.get_many(&[keys::otp(email.as_str()), keys::email(email.as_str())], true).await?;
    let mut found = found.into_iter();
    let otp_rec: Option<Record<OtpRecord>> = record(found.next().flatten())?;
    let claim: Option<Record<EmailClaim>> = record(found.next().flatten())?;

    let presented = otp_hash(&ctx.config.pepper, email.as_str(), &code);
    let matches = otp_rec.as_ref().is_some_and(|r| ct_eq(r.data.code_hash.as_bytes(), presented.as_bytes()));
    let now = ctx.now();
    if let Err(r) = otp::check(otp_rec.as_ref().map(|r| &r.data), matches, now) {
        if let (OtpRefusal::Wrong { .. }, Some(rec)) = (&r, &otp_rec) {
            let count = store::update(
                &rec.key(),
                UpdateSpec::new("SET attempts = attempts + :one")
                    .when("attempts = :seen")
                    .value(":one", 1)
                    .value(":seen", rec.data.attempts),
            );
            match table.write_one(count).await {
                Ok(()) | Err(StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        return Err(refusal(&r));
    }
    let otp_rec = otp_rec.ok_or_else(|| refusal(&OtpRefusal::NoCode))?;
    let consumed = Problem::bad_request("otp-not-found", OtpRefusal::NoCode.to_string());
    let consume = store::delete(
        &otp_rec.key(),
        Some(
            Cond::new("attempts = :seen AND code_hash = :hash")
                .value(":seen", otp_rec.data.attempts)
                .value(":hash", &otp_rec.data.code_hash),
        ),
    );
    let mut reply_writes = vec![(consume, Some(consumed))];

    let user = match &claim {
        Some(c) => {
            let u: Option<Record<User>> = table.get(&keys::user(&c.data.user_id), true).await?;
            u.ok_or_else(|| {
                tracing::error!(user_id = %c.data.user_id, "email claim without user");
                Problem::internal()
            })?
            .data
        }
        None => {
            let stamp = ctx.now_rfc3339();
            let user = User {
                user_id: new_id(),
                email: email.clone(),
                name: None,
                phone: None,
                locale: None,
                roles: Roles::new(),
                verification: Default::default(),
                created_at: stamp.clone(),
                updated_at: stamp,
            };
            let race =
                Problem::conflict("signup-in-progress", "this email is being signed up by another request; retry");
            reply_writes.push((
                put_new(&Record::new(
                    keys::email(email.as_str()),
                    entity::EMAIL,
                    EmailClaim { user_id: user.user_id.clone() },
                )),
                Some(race),
            ));
            reply_writes.push((put_new(&Record::new(keys::user(&user.user_id), entity::USER, user.clone())), None));
            let signed_up = UserSignedUp { user_id: user.user_id.clone(), email: email.to_string() };
            reply_writes.push((
                outbox::event(&signed_up, &req.correlation_id, Actor::user(&user.user_id, req.source_ip.as_deref())),
                None,
            ));
            user
        }
    };
    let (session_writes, tokens) = start_session(
        &ctx.config.auth.signer,
        &user,
        &req.correlation_id,
        req.source_ip.as_deref(),
        req.user_agent.as_deref(),
    );
    let mut reply = Reply::ok(&tokens).header("cache-control", "no-store");
    for (w, p) in reply_writes {
        reply = reply.write(w, p);
    }
    Ok(reply.writes(session_writes))
}

pub fn operation() -> Operation {
    Operation::post("/auth/otp/verify", "identity", "Exchange an emailed code for a session")
        .describe(
            "Signs up on first use of an address. A code works once; Idempotency-Key is not honoured \
                    here: after a lost answer, request a new code.",
        )
        .public()
        .body::<Body>()
        .example(serde_json::json!({"email": "ada@example.com", "code": "123456"}))
        .reply::<Tokens>(200, "an access token, a refresh token and the user")
        .header("cache-control", "no-store")
        .problem(400, "otp-not-found")
        .problem(400, "otp-expired")
        .problem(400, "otp-attempts-exceeded")
        .problem(400, "otp-wrong")
        .problem(409, "signup-in-progress")
}
