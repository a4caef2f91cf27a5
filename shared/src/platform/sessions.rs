//! Identity records and the writes shared by the sign-in routes
//! (verify, refresh, logout, revoke): sessions, refresh tokens, codes.
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::auth::Signer;
use super::clock::{now_rfc3339, now_unix};
use super::crypto::{hmac_hex, random_token, sha256_hex};
use super::env::{ConfigError, Env};
use super::envelope::Actor;
use super::outbox;
use super::store::{self, put_new, Record, UpdateSpec};
use crate::domain::events::{SessionRevoked, SessionStarted};
use crate::domain::identity::User;
use crate::domain::session::{
    RefreshStatus, RevokeReason, SessionStatus, ACCESS_TOKEN_TTL_SECONDS, SESSION_TTL_SECONDS,
};
use crate::keys::{self, entity};

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Session {
    pub session_id: String,
    pub user_id: String,
    pub status: SessionStatus,
    pub created_at: String,
    pub last_used_at: String,
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoked_reason: Option<RevokeReason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RefreshToken {
    pub user_id: String,
    pub session_id: String,
    pub status: RefreshStatus,
    pub expires_at: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct EmailClaim {
    pub user_id: String,
}

/// A presented refresh token: `<user id>.<session id>.<secret>`. Only its
/// SHA-256 is stored; the ids let one BatchGetItem read token, session and user.
pub struct PresentedRefresh {
    pub user_id: String,
    pub session_id: String,
    pub hash: String,
}

pub fn parse_refresh(token: &str) -> Option<PresentedRefresh> {
    let mut parts = token.trim().splitn(3, '.');
    let (u, s, secret) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = |p: &str| uuid::Uuid::parse_str(p).is_ok();
    (ok(u) && ok(s) && secret.len() >= 32).then(|| PresentedRefresh {
        user_id: u.into(),
        session_id: s.into(),
        hash: sha256_hex(token.trim().as_bytes()),
    })
}

/// The keyed hash of a sign-in code (HMAC-SHA256 with the OTP pepper).
pub fn otp_hash(pepper: &str, email: &str, code: &str) -> String {
    hmac_hex(pepper.as_bytes(), format!("{email}:{code}").as_bytes())
}

/// The token pair a sign-in or refresh answers with.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Tokens {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub session_id: String,
    pub user: User,
}

impl Tokens {
    /// A fresh access token for `user` in `session_id`, paired with `refresh_token`.
    pub fn issue(signer: &Signer, user: User, session_id: &str, refresh_token: String, now: i64) -> Self {
        Self {
            access_token: signer.issue(&user.user_id, session_id, &user.roles, now, ACCESS_TOKEN_TTL_SECONDS),
            token_type: "Bearer",
            expires_in: ACCESS_TOKEN_TTL_SECONDS,
            refresh_token,
            session_id: session_id.to_string(),
            user,
        }
    }
}

/// Mints a new refresh token for a session: its plaintext, and the write storing its hash.
pub fn new_refresh_token(user_id: &str, session_id: &str, expires_at: i64) -> (String, TransactWriteItem) {
    let token = format!("{user_id}.{session_id}.{}", random_token(32));
    let rec = Record::new(
        keys::refresh_token(&sha256_hex(token.as_bytes())),
        entity::REFRESH,
        RefreshToken {
            user_id: user_id.into(),
            session_id: session_id.into(),
            status: RefreshStatus::Active,
            expires_at,
        },
    )
    .expires(expires_at);
    (token, put_new(&rec))
}

/// Starts a session for `user`: the writes (session, refresh token, SessionStarted) and the tokens.
pub fn start_session(
    signer: &Signer,
    user: &User,
    correlation_id: &str,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> (Vec<TransactWriteItem>, Tokens) {
    let now = now_unix();
    let session_id = uuid::Uuid::new_v4().to_string();
    let expires_at = now + SESSION_TTL_SECONDS;
    let stamp = now_rfc3339();
    let session = Session {
        session_id: session_id.clone(),
        user_id: user.user_id.clone(),
        status: SessionStatus::Active,
        created_at: stamp.clone(),
        last_used_at: stamp,
        expires_at,
        source_ip: ip.map(str::to_string),
        user_agent: user_agent.map(|u| u.chars().take(256).collect()),
        revoked_reason: None,
    };
    let (refresh, refresh_write) = new_refresh_token(&user.user_id, &session_id, expires_at);
    let started = SessionStarted {
        user_id: user.user_id.clone(),
        session_id: session_id.clone(),
        source_ip: session.source_ip.clone(),
        user_agent: session.user_agent.clone(),
    };
    let writes = vec![
        put_new(&Record::new(keys::session(&user.user_id, &session_id), entity::SESSION, session).expires(expires_at)),
        refresh_write,
        outbox::event(&started, correlation_id, Actor::user(&user.user_id, ip)),
    ];
    (writes, Tokens::issue(signer, user.clone(), &session_id, refresh, now))
}

/// Revokes an active session (conditional on it still being active) and records SessionRevoked.
pub fn revoke_session(
    user_id: &str,
    session_id: &str,
    reason: RevokeReason,
    correlation_id: &str,
    actor: Actor,
) -> Vec<TransactWriteItem> {
    let update = store::update(
        &keys::session(user_id, session_id),
        UpdateSpec::new("SET #status = :revoked, revoked_reason = :reason, #version = #version + :one")
            .when("#status = :active")
            .name("#status", "status")
            .name("#version", "version")
            .value(":revoked", SessionStatus::Revoked)
            .value(":active", SessionStatus::Active)
            .value(":reason", reason)
            .value(":one", 1),
    );
    let event = SessionRevoked { user_id: user_id.into(), session_id: session_id.into(), reason };
    vec![update, outbox::event(&event, correlation_id, actor)]
}

/// Secrets and settings of the token-issuing routes.
pub struct AuthConfig {
    pub signer: Signer,
}

impl super::context::FromEnv for AuthConfig {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let signer =
            Signer::from_pem(&env.require("JWT_PRIVATE_KEY")?).map_err(|e| Env::invalid("JWT_PRIVATE_KEY", e))?;
        Ok(Self { signer })
    }
}

/// What checks access tokens: the published keys (`JWT_JWKS`).
pub struct TokenVerifier {
    pub verifier: super::auth::Verifier,
}

impl super::context::FromEnv for TokenVerifier {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let verifier =
            super::auth::Verifier::from_jwks(&env.require("JWT_JWKS")?).map_err(|e| Env::invalid("JWT_JWKS", e))?;
        Ok(Self { verifier })
    }
}

/// A bearer token's principal: the signature and claims checked by
/// `verifier`, then its session (still active) and the user's roles now, in
/// one BatchGetItem. Or why not, with the token's verified subject if any.
/// Boxed: the entry points that await it (the authorizer, the WebSocket
/// $connect) stay within the compiler's type-depth limit.
pub fn authenticate<'a>(
    table: &'a store::Table,
    verifier: &'a super::auth::Verifier,
    token: &'a str,
    now: i64,
) -> futures::future::BoxFuture<'a, Result<super::auth::Principal, (super::auth::TokenError, Option<String>)>> {
    use super::auth::{Principal, TokenError};
    Box::pin(async move {
        let claims = verifier.verify(token).map_err(|e| (e, None))?;
        let unavailable = |why: &dyn std::error::Error| {
            tracing::warn!(error = %super::error::Chain(why), "session lookup failed");
            (TokenError::Unavailable, Some(claims.sub.clone()))
        };
        // Session and user in one read: the roles are the user's roles now, not
        // the token's (a role granted or taken away counts from the next request).
        let found = table
            .get_many(&[keys::session(&claims.sub, &claims.sid), keys::user(&claims.sub)], true)
            .await
            .map_err(|e| unavailable(&e))?;
        let mut found = found.into_iter();
        let session: Option<Record<Session>> = store::record(found.next().flatten()).map_err(|e| unavailable(&e))?;
        let user: Option<Record<User>> = store::record(found.next().flatten()).map_err(|e| unavailable(&e))?;
        match (session, user) {
            (Some(s), Some(u)) if s.data.status == SessionStatus::Active && s.data.expires_at > now => {
                Ok(Principal { user_id: claims.sub, session_id: claims.sid, roles: u.data.roles })
            }
            _ => Err((TokenError::SessionEnded, Some(claims.sub))),
        }
    })
}
