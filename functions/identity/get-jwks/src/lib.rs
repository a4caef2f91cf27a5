//! GET /.well-known/jwks.json — the public keys that verify access tokens.
use handoff::platform::auth::Jwks;
use handoff::platform::context::{Ctx, FromEnv};
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};

/// The published keys (`JWT_JWKS`).
pub struct Config {
    jwks: Jwks,
}

impl FromEnv for Config {
    fn from_env(env: &Env) -> Result<Self, ConfigError> {
        let jwks: Jwks = serde_json::from_str(&env.require("JWT_JWKS")?).map_err(|e| Env::invalid("JWT_JWKS", e))?;
        Ok(Self { jwks })
    }
}

pub async fn handle(ctx: &Ctx<Config>, _req: &ApiRequest) -> Result<Reply, Problem> {
    Ok(Reply::ok(&ctx.config.jwks).header("cache-control", "public, max-age=300"))
}

pub fn operation() -> Operation {
    Operation::get("/.well-known/jwks.json", "identity", "The public keys that verify access tokens")
        .describe("ES256 keys as a JSON Web Key Set; cache for up to five minutes.")
        .public()
        .reply::<Jwks>(200, "the key set")
        .header("cache-control", "public, max-age=300")
}
