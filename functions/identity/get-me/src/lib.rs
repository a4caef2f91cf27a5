//! GET /me — the caller's profile. One GetItem.
use handoff::domain::identity::User;
use handoff::keys;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::store::{Record, Table};

pub struct Function {
    table: Table,
}

impl HttpFunction for Function {
    const NAME: &'static str = "get-me";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)? })
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let user: Record<User> = self.table.get(&keys::user(&me.user_id), true).await?.ok_or_else(|| Problem::not_found("user"))?;
        Ok(Reply::ok(&user.data))
    }
}
