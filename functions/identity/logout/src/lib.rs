//! POST /auth/logout — ends the caller's current session; its refresh
//! tokens and access tokens stop working at once.
use handoff::domain::session::RevokeReason;
use handoff::platform::context::Ctx;
use handoff::platform::http::{ApiRequest, Operation, Problem, Reply};
use handoff::platform::sessions::revoke_session;

pub async fn handle(_ctx: &Ctx, req: &ApiRequest) -> Result<Reply, Problem> {
    let me = req.principal()?;
    let ended = Problem::new(401, "session-ended", "Unauthenticated", "this session has already ended");
    let mut reply = Reply::no_content();
    for (i, w) in revoke_session(&me.user_id, &me.session_id, RevokeReason::Logout, &req.correlation_id, req.actor())
        .into_iter()
        .enumerate()
    {
        reply = reply.write(w, (i == 0).then(|| ended.clone()));
    }
    Ok(reply)
}

pub fn operation() -> Operation {
    Operation::post("/auth/logout", "identity", "End the current session").no_content("the session has ended")
}
