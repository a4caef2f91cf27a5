//! Conversation records: messages in the conversation's partition, and one
//! member item per participant in the user's partition (for
//! GET /me/conversations) with the unread count; a member with unread
//! messages waits on the sparse gsi2 until the email digest is due.
use serde::{Deserialize, Serialize};

use super::http::Problem;
use super::store::{update, Record, Table, UpdateSpec, WriteItem};
use crate::domain::bookings::Itinerary;
use crate::domain::messaging::{participants, Participant};
use crate::keys::{self, entity};

/// How long a message stays unread before the email digest tells of it.
pub const DIGEST_AFTER_SECONDS: i64 = 30 * 60;

/// A participant's view of a conversation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Member {
    /// The itinerary's id.
    pub conversation_id: String,
    pub user_id: String,
    /// Messages of others not read yet.
    #[serde(default)]
    pub unread: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_message_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_read_at: Option<String>,
    pub joined_at: String,
}

fn join(spec: UpdateSpec, user_id: &str, conversation_id: &str, at: &str) -> UpdateSpec {
    spec.name("#e", "entity")
        .value(":e", entity::MEMBER)
        .name("#c", "conversation_id")
        .value(":c", conversation_id)
        .name("#u", "user_id")
        .value(":u", user_id)
        .name("#j", "joined_at")
        .value(":at", at)
        .name("#n", "unread")
        .value(":zero", 0)
        .name("#v", "version")
        .value(":one", 1)
}

const JOIN: &str = "#e = :e, #c = :c, #u = :u, #j = if_not_exists(#j, :at), #v = if_not_exists(#v, :one)";

/// The participant is in the conversation (created if absent; nothing else changes).
pub fn member_join(user_id: &str, conversation_id: &str, at: &str) -> WriteItem {
    let spec = UpdateSpec::new(&format!("SET {JOIN}, #n = if_not_exists(#n, :zero)"));
    update(&keys::member(user_id, conversation_id), join(spec, user_id, conversation_id, at))
}

/// A message of someone else arrived: one more unread, and the digest due
/// `DIGEST_AFTER_SECONDS` after the first unread one.
pub fn member_unread(user_id: &str, conversation_id: &str, at: &str, now: i64) -> WriteItem {
    let due = keys::digest(now + DIGEST_AFTER_SECONDS, user_id, conversation_id);
    let spec = UpdateSpec::new(&format!(
        "SET {JOIN}, #l = :at, gsi2pk = if_not_exists(gsi2pk, :dpk), gsi2sk = if_not_exists(gsi2sk, :dsk) ADD #n :one"
    ))
    .name("#l", "last_message_at")
    .value(":dpk", due.gsi2pk)
    .value(":dsk", due.gsi2sk);
    update(&keys::member(user_id, conversation_id), join(spec, user_id, conversation_id, at))
}

/// The author's own message: the conversation moves up their list.
pub fn member_wrote(user_id: &str, conversation_id: &str, at: &str) -> WriteItem {
    let spec =
        UpdateSpec::new(&format!("SET {JOIN}, #n = if_not_exists(#n, :zero), #l = :at")).name("#l", "last_message_at");
    update(&keys::member(user_id, conversation_id), join(spec, user_id, conversation_id, at))
}

/// Everything read: no unread, no digest due. Fails its condition for a
/// conversation the user is not in.
pub fn member_read(user_id: &str, conversation_id: &str, at: &str) -> WriteItem {
    update(
        &keys::member(user_id, conversation_id),
        UpdateSpec::new("SET #n = :zero, #r = :at REMOVE gsi2pk, gsi2sk")
            .name("#n", "unread")
            .name("#r", "last_read_at")
            .value(":zero", 0)
            .value(":at", at)
            .when("attribute_exists(pk)"),
    )
}

/// The digest was sent (or is not needed): the member leaves the digest
/// index, unless a newer message put it back meanwhile.
pub fn member_digested(user_id: &str, conversation_id: &str, due_sk: &str) -> WriteItem {
    update(
        &keys::member(user_id, conversation_id),
        UpdateSpec::new("REMOVE gsi2pk, gsi2sk").value(":sk", due_sk).when("gsi2sk = :sk"),
    )
}

/// The itinerary behind a conversation and its participants, if the caller
/// is one of them; anyone else (and a conversation not open) is 404.
pub async fn conversation_of(
    table: &Table,
    conversation_id: &str,
    user_id: &str,
) -> Result<(Record<Itinerary>, Vec<Participant>), Problem> {
    let it: Option<Record<Itinerary>> = table.get(&keys::itinerary(conversation_id), true).await?;
    let it = it.ok_or_else(|| Problem::not_found("conversation"))?;
    let people = participants(&it.data).ok_or_else(|| Problem::not_found("conversation"))?;
    if !people.iter().any(|p| p.user_id == user_id) {
        return Err(Problem::not_found("conversation"));
    }
    Ok((it, people))
}
