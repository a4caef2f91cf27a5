//! POST /auth/logout — ends the caller's current session; its refresh
//! tokens and access tokens stop working at once.
use handoff::domain::session::RevokeReason;
use handoff::platform::aws::Aws;
use handoff::platform::env::{ConfigError, Env};
use handoff::platform::http::{ApiRequest, HttpFunction, Problem, Reply};
use handoff::platform::identity::revoke_session;
use handoff::platform::store::Table;

pub struct Function {
    table: Table,
}

impl HttpFunction for Function {
    const NAME: &'static str = "logout";

    fn from_env(env: &Env, aws: &Aws) -> Result<Self, ConfigError> {
        Ok(Self { table: Table::from_env(env, aws)? })
    }

    fn table(&self) -> Option<&Table> {
        Some(&self.table)
    }

    async fn handle(&self, req: &ApiRequest) -> Result<Reply, Problem> {
        let me = req.principal()?;
        let ended = Problem::new(401, "session-ended", "Unauthenticated", "this session has already ended");
        let mut reply = Reply::no_content();
        for (i, w) in revoke_session(&me.user_id, &me.session_id, RevokeReason::Logout, &req.correlation_id, req.actor()).into_iter().enumerate() {
            reply = reply.write(w, (i == 0).then(|| ended.clone()));
        }
        Ok(reply)
    }
}
