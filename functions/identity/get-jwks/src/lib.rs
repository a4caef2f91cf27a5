//! GET /.well-known/jwks.json — the public keys that verify access tokens.
use handoff::platform::auth::Jwks;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};

pub struct Function {
    jwks: Jwks,
}

impl HttpFunction for Function {
    const NAME: &'static str = "get-jwks";

    fn from_env(env: &Env, _aws: &Aws) -> Result<Self, ConfigError> {
        let jwks: Jwks = serde_json::from_str(&env.require("JWT_JWKS")?).map_err(|e| Env::invalid("JWT_JWKS", e))?;
        Ok(Self { jwks })
    }

    async fn handle(&self, _req: &ApiRequest) -> Result<Reply, Problem> {
        Ok(Reply::ok(&self.jwks).header("cache-control", "public, max-age=300"))
    }
}
