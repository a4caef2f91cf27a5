//! Sessions and their rotating refresh tokens.
//!
//! A session is `Active` until it is `Revoked` (logout, revocation by the
//! user, or reuse of a rotated refresh token). Each refresh token is `Active`
//! until it is `Rotated` into its successor; presenting a rotated token again
//! means it leaked, and revokes the whole session.
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const ACCESS_TOKEN_TTL_SECONDS: i64 = 15 * 60;
pub const SESSION_TTL_SECONDS: i64 = 30 * 24 * 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Active,
    Revoked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevokeReason {
    Logout,
    RevokedByUser,
    RefreshTokenReuse,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SessionError {
    #[error("the session is already revoked")]
    AlreadyRevoked,
}

impl SessionStatus {
    /// The only transition: Active → Revoked.
    pub fn revoke(self) -> Result<SessionStatus, SessionError> {
        match self {
            SessionStatus::Active => Ok(SessionStatus::Revoked),
            SessionStatus::Revoked => Err(SessionError::AlreadyRevoked),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefreshStatus {
    Active,
    Rotated,
}

/// What to do with a presented refresh token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefreshDecision {
    /// Issue a new pair and mark the presented token rotated.
    Rotate,
    /// The token was already rotated: someone replayed it. Revoke the session.
    RevokeForReuse,
    /// Unknown token, expired or revoked session: refuse.
    Refuse,
}

pub fn decide_refresh(
    token: Option<RefreshStatus>,
    session: Option<(SessionStatus, i64)>,
    now: i64,
) -> RefreshDecision {
    match (token, session) {
        (Some(RefreshStatus::Active), Some((SessionStatus::Active, expires))) if now < expires => {
            RefreshDecision::Rotate
        }
        (Some(RefreshStatus::Rotated), Some((SessionStatus::Active, _))) => RefreshDecision::RevokeForReuse,
        _ => RefreshDecision::Refuse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn revoke_once() {
        assert_eq!(SessionStatus::Active.revoke(), Ok(SessionStatus::Revoked));
        assert_eq!(SessionStatus::Revoked.revoke(), Err(SessionError::AlreadyRevoked));
    }

    #[test]
    fn refresh_decisions() {
        let live = Some((SessionStatus::Active, 100));
        assert_eq!(decide_refresh(Some(RefreshStatus::Active), live, 10), RefreshDecision::Rotate);
        assert_eq!(decide_refresh(Some(RefreshStatus::Active), live, 100), RefreshDecision::Refuse);
        assert_eq!(decide_refresh(Some(RefreshStatus::Rotated), live, 10), RefreshDecision::RevokeForReuse);
        assert_eq!(
            decide_refresh(Some(RefreshStatus::Active), Some((SessionStatus::Revoked, 100)), 10),
            RefreshDecision::Refuse
        );
        assert_eq!(
            decide_refresh(Some(RefreshStatus::Rotated), Some((SessionStatus::Revoked, 100)), 10),
            RefreshDecision::Refuse
        );
        assert_eq!(decide_refresh(None, live, 10), RefreshDecision::Refuse);
    }
}
