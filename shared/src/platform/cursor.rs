//! Opaque, tamper-proof pagination cursors. A cursor is the query's
//! LastEvaluatedKey, bound to the partition it was issued for and to an
//! expiry, signed with HMAC-SHA256. Raw keys never reach a client.
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::crypto::{b64url, b64url_decode, ct_eq, hmac_sha256};

pub const CURSOR_TTL_SECONDS: i64 = 24 * 3600;

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Payload {
    /// What the cursor is bound to: index and partition key value.
    b: String,
    /// Expires at (unix seconds).
    e: i64,
    /// The last evaluated key: attribute → string value.
    k: BTreeMap<String, String>,
}

pub fn encode(secret: &[u8], binding: &str, last_key: BTreeMap<String, String>, now: i64) -> String {
    let p = serde_json::to_vec(&Payload { b: binding.into(), e: now + CURSOR_TTL_SECONDS, k: last_key })
        .expect("serialise cursor");
    let mac = hmac_sha256(secret, &p);
    format!("{}.{}", b64url(&p), b64url(&mac))
}

/// The key to resume from, if the cursor is genuine, unexpired and for this query.
pub fn decode(secret: &[u8], binding: &str, cursor: &str, now: i64) -> Result<BTreeMap<String, String>, &'static str> {
    let (p64, m64) = cursor.split_once('.').ok_or("cursor is malformed")?;
    let (p, m) = (b64url_decode(p64).ok_or("cursor is malformed")?, b64url_decode(m64).ok_or("cursor is malformed")?);
    if !ct_eq(&hmac_sha256(secret, &p), &m) {
        return Err("cursor is not valid");
    }
    let payload: Payload = serde_json::from_slice(&p).map_err(|_| "cursor is malformed")?;
    if payload.b != binding {
        return Err("cursor belongs to another query");
    }
    if now > payload.e {
        return Err("cursor has expired; start from the first page");
    }
    Ok(payload.k)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn roundtrip_and_refusals() {
        let k: BTreeMap<_, _> = [("pk".to_string(), "USER#1".to_string())].into();
        let c = encode(b"s", "table|USER#1", k.clone(), 100);
        assert_eq!(decode(b"s", "table|USER#1", &c, 100).unwrap(), k);
        assert!(decode(b"other", "table|USER#1", &c, 100).is_err());
        assert_eq!(decode(b"s", "table|USER#2", &c, 100), Err("cursor belongs to another query"));
        assert!(decode(b"s", "table|USER#1", &c, 100 + CURSOR_TTL_SECONDS + 1).is_err());
        let (p, m) = c.split_once('.').unwrap();
        let mut raw = b64url_decode(p).unwrap();
        raw[5] ^= 1;
        assert!(decode(b"s", "table|USER#1", &format!("{}.{m}", b64url(&raw)), 100).is_err());
        assert!(decode(b"s", "table|USER#1", "garbage", 100).is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_altered_cursor_is_refused(pk in "[A-Z#0-9]{1,20}", at in 0usize..200, bit in 0u8..8) {
            let c = encode(b"secret", "table|p", [("pk".to_string(), pk)].into(), 100);
            let mut bytes = c.clone().into_bytes();
            let i = at % bytes.len();
            bytes[i] ^= 1 << bit;
            if let Ok(altered) = String::from_utf8(bytes) {
                if altered != c {
                    prop_assert!(decode(b"secret", "table|p", &altered, 100).is_err());
                }
            }
        }
    }
}
