//! `Idempotency-Key` on mutating routes, after the Powertools model.
//!
//! The first request with a key claims an INPROGRESS record (conditional
//! put); the route's own transaction turns it COMPLETED with the answer.
//! A retry with the same key and body gets the stored answer; with another
//! body, 422; while the first is still running, 409. A failed request
//! releases its claim so it can be retried. Records expire after 24 hours.
//! Stored answers are sealed (AES-256-GCM) with a key derived from the
//! caller's Idempotency-Key, which is itself stored only as a hash: the
//! table alone cannot reveal an answer (e.g. tokens).
use aws_sdk_dynamodb::types::TransactWriteItem;
use serde::{Deserialize, Serialize};

use super::clock::now_unix;
use super::crypto::{open, seal, sha256, sha256_hex};
use super::http::{Answer, ApiRequest, Problem};
use super::store::{self, from_item, put, Cond, Record, StoreError, Table, UpdateSpec};
use crate::keys::{self, entity, Key};

pub const RECORD_TTL_SECONDS: i64 = 24 * 3600;
/// How long an INPROGRESS claim blocks retries: a route's timeout (template.yaml Globals).
pub const IN_PROGRESS_SECONDS: i64 = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
enum Status {
    Inprogress,
    Completed,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct IdempotencyRecord {
    status: Status,
    request_hash: String,
    in_progress_until: i64,
    /// Which invocation holds the claim: a retried claim (its first answer
    /// lost) finds its own record and goes on.
    claim_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response: Option<String>,
}

pub enum Claim {
    Fresh(Claimed),
    Replay(Answer),
}

pub struct Claimed {
    key: Key,
    seal_key: [u8; 32],
    request_hash: String,
}

fn validate(key: &str) -> Result<(), Problem> {
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(Problem::bad_request("invalid-idempotency-key", "Idempotency-Key must be 1 to 255 visible ASCII characters"));
    }
    Ok(())
}

/// Claims `idem_key` for this caller and request, or finds its earlier answer.
pub async fn claim(table: &Table, function: &str, req: &ApiRequest, idem_key: &str) -> Result<Claim, Problem> {
    validate(idem_key)?;
    let scope = req.subject.clone().unwrap_or_else(|| "anonymous".into());
    let material = format!("{function}\n{scope}\n{idem_key}");
    let key = keys::idempotency(function, &sha256_hex(material.as_bytes()));
    let seal_key = sha256(format!("seal\n{material}").as_bytes());
    let mut hashed = format!("{} {}\n", req.method, req.path).into_bytes();
    hashed.extend_from_slice(&req.body);
    let request_hash = sha256_hex(&hashed);
    let now = now_unix();
    let claim_id = crate::platform::crypto::new_id();
    let record = Record::new(
        key.clone(),
        entity::IDEMPOTENCY,
        IdempotencyRecord {
            status: Status::Inprogress,
            request_hash: request_hash.clone(),
            in_progress_until: now + IN_PROGRESS_SECONDS,
            claim_id: claim_id.clone(),
            response: None,
        },
    )
    .expires(now + RECORD_TTL_SECONDS);
    let free = Cond::new("attribute_not_exists(pk) OR #ttl < :now OR (#status = :inprogress AND in_progress_until < :now)")
        .name("#ttl", "ttl")
        .name("#status", "status")
        .value(":now", now)
        .value(":inprogress", "INPROGRESS");
    let write = put(&record, Some(free));
    match table.write_one(write).await {
        Ok(()) => Ok(Claim::Fresh(Claimed { key, seal_key, request_hash })),
        Err(StoreError::ConditionFailed { item, .. }) => {
            let existing: Option<Record<IdempotencyRecord>> = match item {
                Some(i) => Some(from_item(*i)?),
                None => table.get(&key, true).await?,
            };
            let Some(existing) = existing else {
                return Err(Problem::unavailable());
            };
            if existing.data.claim_id == claim_id && existing.data.status == Status::Inprogress {
                return Ok(Claim::Fresh(Claimed { key, seal_key, request_hash }));
            }
            if existing.data.request_hash != request_hash {
                return Err(Problem::new(422, "idempotency-key-reused", "Idempotency key reused", "this Idempotency-Key was used with a different request; use a new key"));
            }
            match (existing.data.status, existing.data.response) {
                (Status::Completed, Some(sealed)) => {
                    let answer = open(&seal_key, &sealed).and_then(|b| serde_json::from_slice::<Answer>(&b).ok()).ok_or_else(Problem::internal)?;
                    let mut answer = answer;
                    answer.headers.push(("idempotent-replayed".into(), "true".into()));
                    Ok(Claim::Replay(answer))
                }
                _ => {
                    let mut p = Problem::conflict("idempotency-in-progress", "a request with this Idempotency-Key is still being processed; retry shortly");
                    p.retry_after = Some(1);
                    Err(p)
                }
            }
        }
        Err(e) => {
            // The claim may have been written and only its answer lost: undo
            // it (if it is ours) so the caller's retry is not blocked.
            let _ = table.write_one(store::delete(&key, Some(Cond::new("claim_id = :id").value(":id", &claim_id)))).await;
            Err(e.into())
        }
    }
}

impl Claimed {
    /// The write that completes the record with `answer`; it goes into the route's transaction.
    pub fn complete(&self, answer: &Answer) -> TransactWriteItem {
        let sealed = seal(&self.seal_key, &serde_json::to_vec(answer).expect("answers serialise"));
        store::update(
            &self.key,
            UpdateSpec::new("SET #status = :completed, #response = :response")
                .when("#status = :inprogress AND request_hash = :hash")
                .name("#status", "status")
                .name("#response", "response")
                .value(":completed", "COMPLETED")
                .value(":inprogress", "INPROGRESS")
                .value(":response", sealed)
                .value(":hash", &self.request_hash),
        )
    }

    /// Deletes the INPROGRESS claim after a failure, so the caller may retry.
    /// Best effort: if it fails, the claim lapses after [`IN_PROGRESS_SECONDS`].
    pub async fn release(&self, table: &Table) {
        let d = store::delete(&self.key, Some(Cond::new("#status = :inprogress").name("#status", "status").value(":inprogress", "INPROGRESS")));
        if let Err(e) = table.write_one(d).await {
            tracing::warn!(error = %e, "could not release idempotency claim");
        }
    }
}
