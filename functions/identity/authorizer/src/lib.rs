//! The HTTP API Lambda authorizer (payload 2.0, simple responses).
//!
//! Verifies the bearer token (ES256, known `kid`, issuer, audience, expiry)
//! and that its session is still active (one GetItem), and passes the
//! principal to the route in the authorizer context. HTTP APIs answer a
//! denied request with a bare 401/403 that cannot be shaped, so a request
//! that fails authentication is passed on marked `authenticated=false` with
//! the reason, and every protected handler answers it with a 401
//! problem+json ([`handoff::platform::http::ApiRequest::principal`]).
use handoff::platform::lambda::events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse as Response, ApiGatewayV2CustomAuthorizerV2Request as Request,
};
use handoff::domain::identity::roles_from_str;
use handoff::domain::session::SessionStatus;
use handoff::keys;
use handoff::platform::auth::{bearer, unauthenticated_context, Principal, TokenError, Verifier};
use handoff::platform::aws::Aws;
use handoff::platform::clock::now_unix;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::identity::Session;
use handoff::platform::lambda::EventFunction;
use handoff::platform::store::{Record, Table};
use std::collections::HashMap;

pub struct Function {
    table: Table,
    verifier: Verifier,
}

impl Function {
    /// The principal, or why there is none (with the token's verified subject, if any).
    async fn authenticate(&self, header: Option<&str>) -> Result<Principal, (TokenError, Option<String>)> {
        let claims = self.verifier.verify(bearer(header).map_err(|e| (e, None))?).map_err(|e| (e, None))?;
        let session: Option<Record<Session>> = self.table.get(&keys::session(&claims.sub, &claims.sid), false).await.map_err(|e| {
            tracing::warn!(error = %e, "session lookup failed");
            (TokenError::Unavailable, Some(claims.sub.clone()))
        })?;
        match session {
            Some(s) if s.data.status == SessionStatus::Active && s.data.expires_at > now_unix() => {
                Ok(Principal { user_id: claims.sub, session_id: claims.sid, roles: roles_from_str(&claims.roles) })
            }
            _ => Err((TokenError::SessionEnded, Some(claims.sub))),
        }
    }
}

impl EventFunction for Function {
    const NAME: &'static str = "authorizer";
    type Event = Request;
    type Output = Response<HashMap<String, String>>;

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        let verifier = Verifier::from_jwks(&env.require("JWT_JWKS")?).map_err(|e| Env::invalid("JWT_JWKS", e))?;
        Ok(Self { table: Table::from_env(env, aws)?, verifier })
    }

    async fn handle(&self, req: Request) -> Result<Self::Output, String> {
        let header = req.headers.get("authorization").and_then(|v| v.to_str().ok());
        let context = match self.authenticate(header).await {
            Ok(p) => p.to_context(),
            Err((e, subject)) => {
                tracing::info!(reason = e.slug(), "request not authenticated");
                unauthenticated_context(&e, subject.as_deref())
            }
        };
        let mut resp = Response::default();
        resp.is_authorized = true;
        resp.context = context;
        Ok(resp)
    }
}
