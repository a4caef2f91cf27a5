//! `Idempotency-Key` on mutating routes, after the Powertools model. A leaf:
//! it knows the table and bytes, not requests, answers or problems (the
//! HTTP dispatcher calls it and maps its errors).
//!
//! The first request with a key claims an INPROGRESS record (conditional
//! put); the route's own transaction turns it COMPLETED with the answer.
//! A retry with the same key and request gets the stored answer; with
//! another request, [`IdempotencyError::Reused`]; while the first is still
//! running, [`IdempotencyError::InProgress`]. A failed request releases its
//! claim so it can be retried. Records expire after 24 hours. Stored answers
//! are sealed (AES-256-GCM) with a key derived from the caller's
//! Idempotency-Key, which is itself stored only as a hash: the table alone
//! cannot reveal an answer (e.g. tokens).
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::crypto::{new_id, open, seal, sha256, sha256_hex};
use super::store::{self, from_item, put, Cond, Record, StoreError, Table, UpdateSpec};
use crate::keys::{self, entity, Key};

pub const RECORD_TTL_SECONDS: i64 = 24 * 3600;
/// How long an INPROGRESS claim blocks retries: a route's timeout (template.yaml Globals).
pub const IN_PROGRESS_SECONDS: i64 = 10;

#[derive(Debug, Error)]
pub enum IdempotencyError {
    #[error("Idempotency-Key must be 1 to 255 visible ASCII characters")]
    InvalidKey,
    #[error("this Idempotency-Key was used with a different request; use a new key")]
    Reused,
    #[error("a request with this Idempotency-Key is still being processed; retry shortly")]
    InProgress,
    #[error("the stored answer cannot be read")]
    Unreadable,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A caller's Idempotency-Key: 1 to 255 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(key: &str) -> Result<Self, IdempotencyError> {
        if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
            return Err(IdempotencyError::InvalidKey);
        }
        Ok(Self(key.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What makes two requests "the same": method, path and body, hashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint(String);

impl Fingerprint {
    pub fn of(method: &str, path: &str, body: &[u8]) -> Self {
        let mut hashed = format!("{method} {path}\n").into_bytes();
        hashed.extend_from_slice(body);
        Self(sha256_hex(&hashed))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Inprogress,
    Completed,
}

/// The stored record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdempotencyRecord {
    pub status: Status,
    pub request_hash: String,
    pub in_progress_until: i64,
    /// Which invocation holds the claim: a retried claim (its first answer
    /// lost) finds its own record and goes on.
    pub claim_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

/// What to do when a claim finds a record already there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Our own claim (its first write's answer was lost): go on.
    Proceed,
    /// The same request finished: answer what it answered (sealed).
    Replay(String),
    Reused,
    InProgress,
}

/// The replay decision, pure: `existing` is the record that made our
/// conditional claim fail.
pub fn decide(existing: &IdempotencyRecord, claim_id: &str, request: &Fingerprint) -> Decision {
    if existing.claim_id == claim_id && existing.status == Status::Inprogress {
        return Decision::Proceed;
    }
    if existing.request_hash != request.0 {
        return Decision::Reused;
    }
    match (existing.status, &existing.response) {
        (Status::Completed, Some(sealed)) => Decision::Replay(sealed.clone()),
        _ => Decision::InProgress,
    }
}

pub enum Claim {
    Fresh(Claimed),
    /// The earlier answer, as the bytes given to [`Claimed::complete`].
    Replay(Vec<u8>),
}

pub struct Claimed {
    key: Key,
    seal_key: [u8; 32],
    request_hash: String,
}

/// Claims `key` for `function` and this caller (`scope`), or finds the answer
/// of the same request made earlier.
pub async fn claim(
    table: &Table,
    function: &str,
    scope: &str,
    key: &IdempotencyKey,
    request: Fingerprint,
    now: i64,
) -> Result<Claim, IdempotencyError> {
    let material = format!("{function}\n{scope}\n{}", key.as_str());
    let item_key = keys::idempotency(function, &sha256_hex(material.as_bytes()));
    let seal_key = sha256(format!("seal\n{material}").as_bytes());
    let claim_id = new_id();
    let record = Record::new(
        item_key.clone(),
        entity::IDEMPOTENCY,
        IdempotencyRecord {
            status: Status::Inprogress,
            request_hash: request.0.clone(),
            in_progress_until: now + IN_PROGRESS_SECONDS,
            claim_id: claim_id.clone(),
            response: None,
        },
    )
    .expires(now + RECORD_TTL_SECONDS);
    let free =
        Cond::new("attribute_not_exists(pk) OR #ttl < :now OR (#status = :inprogress AND in_progress_until < :now)")
            .name("#ttl", "ttl")
            .name("#status", "status")
            .value(":now", now)
            .value(":inprogress", "INPROGRESS");
    let claimed = || Claimed { key: item_key.clone(), seal_key, request_hash: request.0.clone() };
    match table.write_one(put(&record, Some(free))).await {
        Ok(()) => Ok(Claim::Fresh(claimed())),
        Err(StoreError::ConditionFailed { item, .. }) => {
            let existing: Option<Record<IdempotencyRecord>> = match item {
                Some(i) => Some(from_item(*i)?),
                None => table.get(&item_key, true).await?,
            };
            // Gone between our write and our read (it expired): the caller retries.
            let existing =
                existing.ok_or_else(|| StoreError::unavailable("the idempotency record vanished while read"))?;
            match decide(&existing.data, &claim_id, &request) {
                Decision::Proceed => Ok(Claim::Fresh(claimed())),
                Decision::Replay(sealed) => {
                    open(&seal_key, &sealed).map(Claim::Replay).ok_or(IdempotencyError::Unreadable)
                }
                Decision::Reused => Err(IdempotencyError::Reused),
                Decision::InProgress => Err(IdempotencyError::InProgress),
            }
        }
        Err(e) => {
            // The claim may have been written and only its answer lost: undo
            // it (if it is ours) so the caller's retry is not blocked.
            let _ = table
                .write_one(store::delete(&item_key, Some(Cond::new("claim_id = :id").value(":id", &claim_id))))
                .await;
            Err(e.into())
        }
    }
}

impl Claimed {
    /// The write that completes the record with `answer`; it goes into the route's transaction.
    pub fn complete(&self, answer: &[u8]) -> TransactWriteItem {
        store::update(
            &self.key,
            UpdateSpec::new("SET #status = :completed, #response = :response")
                .when("#status = :inprogress AND request_hash = :hash")
                .name("#status", "status")
                .name("#response", "response")
                .value(":completed", "COMPLETED")
                .value(":inprogress", "INPROGRESS")
                .value(":response", seal(&self.seal_key, answer))
                .value(":hash", &self.request_hash),
        )
    }

    /// Deletes the INPROGRESS claim after a failure, so the caller may retry.
    /// Best effort: if it fails, the claim lapses after [`IN_PROGRESS_SECONDS`].
    pub async fn release(&self, table: &Table) {
        let d = store::delete(
            &self.key,
            Some(Cond::new("#status = :inprogress").name("#status", "status").value(":inprogress", "INPROGRESS")),
        );
        if let Err(e) = table.write_one(d).await {
            tracing::warn!(error = %super::error::Chain(&e), "could not release idempotency claim");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(status: Status, hash: &Fingerprint, claim: &str, response: Option<&str>) -> IdempotencyRecord {
        IdempotencyRecord {
            status,
            request_hash: hash.0.clone(),
            in_progress_until: 0,
            claim_id: claim.into(),
            response: response.map(str::to_string),
        }
    }

    #[test]
    fn keys_are_visible_ascii_up_to_255() {
        assert!(IdempotencyKey::parse("order-42").is_ok());
        assert!(IdempotencyKey::parse(&"k".repeat(255)).is_ok());
        for bad in ["", "has space", "tab\t", "ünïcode", &"k".repeat(256)] {
            assert!(matches!(IdempotencyKey::parse(bad), Err(IdempotencyError::InvalidKey)), "{bad:?}");
        }
    }

    #[test]
    fn fingerprints_cover_method_path_and_body() {
        let a = Fingerprint::of("POST", "/trips", b"{}");
        assert_eq!(a, Fingerprint::of("POST", "/trips", b"{}"));
        assert_ne!(a, Fingerprint::of("PUT", "/trips", b"{}"));
        assert_ne!(a, Fingerprint::of("POST", "/trips/1", b"{}"));
        assert_ne!(a, Fingerprint::of("POST", "/trips", b"{ }"));
    }

    #[test]
    fn replay_decision() {
        let same = Fingerprint::of("POST", "/x", b"1");
        let other = Fingerprint::of("POST", "/x", b"2");
        // our own claim, found after a lost answer: go on
        assert_eq!(decide(&record(Status::Inprogress, &same, "me", None), "me", &same), Decision::Proceed);
        // someone else's claim still running
        assert_eq!(decide(&record(Status::Inprogress, &same, "them", None), "me", &same), Decision::InProgress);
        // finished: the stored answer
        assert_eq!(
            decide(&record(Status::Completed, &same, "them", Some("sealed")), "me", &same),
            Decision::Replay("sealed".into())
        );
        // another request under the same key, running or finished
        assert_eq!(decide(&record(Status::Completed, &same, "them", Some("sealed")), "me", &other), Decision::Reused);
        assert_eq!(decide(&record(Status::Inprogress, &same, "them", None), "me", &other), Decision::Reused);
        // completed without an answer (never written so): not replayable, retry later
        assert_eq!(decide(&record(Status::Completed, &same, "them", None), "me", &same), Decision::InProgress);
    }
}
