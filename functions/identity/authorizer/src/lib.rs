//! The HTTP API Lambda authorizer (payload 2.0, simple responses).
//!
//! Verifies the bearer token (ES256, known `kid`, issuer, audience, expiry)
//! and that its session is still active, reading the user's current roles
//! with it (one BatchGetItem: a role change counts from the next request,
//! whatever the token says), and passes the principal to the route in the
//! authorizer context. HTTP APIs answer a
//! denied request with a bare 401/403 that cannot be shaped, so a request
//! that fails authentication is passed on marked `authenticated=false` with
//! the reason, and every protected handler answers it with a 401
//! problem+json ([`handoff::platform::http::ApiRequest::principal`]).
use handoff::platform::auth::{bearer, unauthenticated_context, Principal, TokenError};
use handoff::platform::context::Ctx;
use handoff::platform::error::Chain;
use handoff::platform::lambda::events::apigw::{
    ApiGatewayV2CustomAuthorizerSimpleResponse as Response, ApiGatewayV2CustomAuthorizerV2Request as Request,
};
use handoff::platform::lambda::EventError;
use handoff::platform::sessions::{self, TokenVerifier};
use std::collections::HashMap;

/// The keys that verify access tokens (`JWT_JWKS`).
pub type Config = TokenVerifier;

/// The principal, or why there is none (with the token's verified subject, if any).
async fn authenticate(ctx: &Ctx<Config>, header: Option<&str>) -> Result<Principal, (TokenError, Option<String>)> {
    let token = bearer(header).map_err(|e| (e, None))?;
    let table = ctx.table().map_err(|e| {
        tracing::warn!(error = %Chain(&e), "no table");
        (TokenError::Unavailable, None)
    })?;
    sessions::authenticate(table, &ctx.config.verifier, token, ctx.now()).await
}

pub async fn handle(ctx: &Ctx<Config>, req: Request) -> Result<Response<HashMap<String, String>>, EventError> {
    let header = req.headers.get("authorization").and_then(|v| v.to_str().ok());
    let context = match authenticate(ctx, header).await {
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
