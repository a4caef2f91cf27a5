//! POST /auth/refresh — rotates a refresh token into a new token pair.
//!
//! One BatchGetItem reads the token, its session and the user. A rotated
//! token presented again means it was copied: the whole session is revoked.
use handoff::domain::identity::User;
use handoff::domain::session::{decide_refresh, RefreshDecision, RefreshStatus, RevokeReason};
use handoff::keys;
use handoff::platform::context::Ctx;
use handoff::platform::envelope::Actor;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::sessions::{
    new_refresh_token, parse_refresh, revoke_session, AuthConfig, RefreshToken, Session, Tokens,
};
use handoff::platform::store::{self, record, Record, UpdateSpec};
use serde::Deserialize;

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "RefreshRequest")]
struct Body {
    /// The refresh token of the last sign-in or refresh; single use.
    refresh_token: String,
}

fn invalid() -> Problem {
    Problem::new(
        401,
        "refresh-token-invalid",
        "Unauthenticated",
        "the refresh token is unknown, expired, or its session has ended; sign in again",
    )
}

pub async fn handle(ctx: &Ctx<AuthConfig>, req: &ApiRequest) -> Result<Reply, Problem> {
    let table = ctx.table()?;
    let body: Body = req.json()?;
    let presented = parse_refresh(&body.refresh_token).ok_or_else(invalid)?;
    let keys = [
        keys::refresh_token(&presented.hash),
        keys::session(&presented.user_id, &presented.session_id),
        keys::user(&presented.user_id),
    ];
    let mut found = table.get_many(&keys, true).await?.into_iter();
    let token: Option<Record<RefreshToken>> = record(found.next().flatten())?;
    let session: Option<Record<Session>> = record(found.next().flatten())?;
    let user: Option<Record<User>> = record(found.next().flatten())?;
    // The token must belong to the session its text names.
    let token = token.filter(|t| t.data.user_id == presented.user_id && t.data.session_id == presented.session_id);
    let now = ctx.now();
    match decide_refresh(
        token.as_ref().map(|t| t.data.status),
        session.as_ref().map(|s| (s.data.status, s.data.expires_at)),
        now,
    ) {
        RefreshDecision::Refuse => Err(invalid()),
        RefreshDecision::RevokeForReuse => {
            tracing::warn!(session_id = %presented.session_id, "rotated refresh token presented again; revoking the session");
            let actor = Actor::user(&presented.user_id, req.source_ip.as_deref());
            let writes = revoke_session(
                &presented.user_id,
                &presented.session_id,
                RevokeReason::RefreshTokenReuse,
                &req.correlation_id,
                actor,
            );
            match table.transact(writes).await {
                Ok(()) | Err(store::StoreError::ConditionFailed { .. }) => {}
                Err(e) => return Err(e.into()),
            }
            Err(Problem::new(
                401,
                "refresh-token-reused",
                "Unauthenticated",
                "this refresh token was already used; the session has been revoked for safety",
            ))
        }
        RefreshDecision::Rotate => {
            let (Some(token), Some(session)) = (token, session) else { return Err(invalid()) };
            let user = user.ok_or_else(invalid)?.data;
            let expires_at = session.data.expires_at;
            let (refresh, new_token) = new_refresh_token(&user.user_id, &session.data.session_id, expires_at);
            let rotate = store::update(
                &token.key(),
                UpdateSpec::new("SET #status = :rotated")
                    .when("#status = :active")
                    .name("#status", "status")
                    .value(":rotated", RefreshStatus::Rotated)
                    .value(":active", RefreshStatus::Active),
            );
            let touch = store::update(
                &session.key(),
                UpdateSpec::new("SET last_used_at = :now, #version = #version + :one")
                    .when("#status = :active")
                    .name("#status", "status")
                    .name("#version", "version")
                    .value(":now", ctx.now_rfc3339())
                    .value(":one", 1)
                    .value(":active", handoff::domain::session::SessionStatus::Active),
            );
            let tokens = Tokens::issue(&ctx.config.signer, user, &session.data.session_id, refresh, now);
            let raced = Problem::new(
                401,
                "refresh-token-reused",
                "Unauthenticated",
                "this refresh token was used by another request at the same time",
            );
            Ok(Reply::ok(&tokens)
                .header("cache-control", "no-store")
                .write(rotate, Some(raced))
                .write(new_token, None)
                .write(touch, Some(invalid())))
        }
    }
}

pub fn operation() -> Operation {
    Operation::post("/auth/refresh", "identity", "Rotate a refresh token into a new token pair")
        .describe(
            "A refresh token works once. Presenting a rotated one again revokes its session. \
                    Idempotency-Key is not honoured here: a lost answer means signing in again.",
        )
        .public()
        .body::<Body>()
        .reply::<Tokens>(200, "a new access token and refresh token")
        .header("cache-control", "no-store")
        .problem(401, "refresh-token-invalid")
        .problem(401, "refresh-token-reused")
}
