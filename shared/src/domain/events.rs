//! Domain events: their names, sources, schema versions and data.
//! Each has a JSON Schema in `events/schemas/<DetailType>.json`.
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use super::session::RevokeReason;

/// A fact that happened in a bounded context.
pub trait DomainEvent: Serialize + DeserializeOwned {
    /// `handoff.<context>`
    const SOURCE: &'static str;
    /// PascalCase, past tense.
    const DETAIL_TYPE: &'static str;
    const SCHEMA_VERSION: u32 = 1;
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UserSignedUp {
    pub user_id: String,
    pub email: String,
}
impl DomainEvent for UserSignedUp {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "UserSignedUp";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionStarted {
    pub user_id: String,
    pub session_id: String,
    pub source_ip: Option<String>,
    pub user_agent: Option<String>,
}
impl DomainEvent for SessionStarted {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "SessionStarted";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SessionRevoked {
    pub user_id: String,
    pub session_id: String,
    pub reason: RevokeReason,
}
impl DomainEvent for SessionRevoked {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "SessionRevoked";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileUpdated {
    pub user_id: String,
    pub fields: Vec<String>,
}
impl DomainEvent for ProfileUpdated {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "ProfileUpdated";
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RolesChanged {
    pub user_id: String,
    pub roles: Vec<String>,
    pub granted_by: String,
}
impl DomainEvent for RolesChanged {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "RolesChanged";
}
