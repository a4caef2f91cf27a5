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

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct UserSignedUp {
    pub user_id: String,
    pub email: String,
}
impl DomainEvent for UserSignedUp {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "UserSignedUp";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
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

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct SessionRevoked {
    pub user_id: String,
    pub session_id: String,
    pub reason: RevokeReason,
}
impl DomainEvent for SessionRevoked {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "SessionRevoked";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct ProfileUpdated {
    pub user_id: String,
    pub fields: Vec<String>,
}
impl DomainEvent for ProfileUpdated {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "ProfileUpdated";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct RolesChanged {
    pub user_id: String,
    pub roles: Vec<String>,
    pub granted_by: String,
}
impl DomainEvent for RolesChanged {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "RolesChanged";
}

/// A trip became searchable. Carries what the search projection needs, so
/// the projection never reads the trip; `revision` orders a trip's events.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TripPublished {
    pub trip_id: String,
    pub traveler_id: String,
    pub revision: u64,
    pub mode: super::trips::Mode,
    pub legs: Vec<super::trips::Leg>,
    pub constraints: super::trips::Constraints,
}
impl DomainEvent for TripPublished {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "TripPublished";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TripUnpublished {
    pub trip_id: String,
    pub traveler_id: String,
    pub revision: u64,
}
impl DomainEvent for TripUnpublished {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "TripUnpublished";
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct TripCancelled {
    pub trip_id: String,
    pub traveler_id: String,
    pub revision: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}
impl DomainEvent for TripCancelled {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "TripCancelled";
}

/// An administrator decided a vehicle's verification.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct VehicleVerificationChanged {
    pub vehicle_id: String,
    pub owner_id: String,
    pub verification: super::identity::Verification,
    pub decided_by: String,
}
impl DomainEvent for VehicleVerificationChanged {
    const SOURCE: &'static str = "handoff.trips";
    const DETAIL_TYPE: &'static str = "VehicleVerificationChanged";
}

/// An administrator decided a user's identity verification.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct UserVerificationChanged {
    pub user_id: String,
    pub verification: super::identity::Verification,
    pub decided_by: String,
}
impl DomainEvent for UserVerificationChanged {
    const SOURCE: &'static str = "handoff.identity";
    const DETAIL_TYPE: &'static str = "UserVerificationChanged";
}
