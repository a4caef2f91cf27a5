//! Hashes, keyed hashes, random tokens, constant-time comparison and the
//! authenticated encryption of stored idempotent responses.
use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

pub fn sha256(data: &[u8]) -> [u8; 32] {
    Sha256::digest(data).into()
}
pub fn sha256_hex(data: &[u8]) -> String {
    hex(&sha256(data))
}
pub fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}
pub fn hmac_hex(key: &[u8], data: &[u8]) -> String {
    hex(&hmac_sha256(key, data))
}
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
/// Constant-time equality of two byte strings.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}
/// `n` random bytes from the OS, base64url.
pub fn random_token(n: usize) -> String {
    let mut buf = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    B64.encode(buf)
}
/// A uniformly random six-digit code.
pub fn random_code() -> String {
    use rand::Rng;
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}
pub fn b64url(data: &[u8]) -> String {
    B64.encode(data)
}
pub fn b64url_decode(s: &str) -> Option<Vec<u8>> {
    B64.decode(s).ok()
}

/// AES-256-GCM with a random nonce; output is base64url(nonce || ciphertext || tag).
pub fn seal(key: &[u8; 32], plaintext: &[u8]) -> String {
    let k = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("32-byte key"));
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let mut buf = plaintext.to_vec();
    k.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut buf)
        .expect("sealing cannot fail for in-memory buffers");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&buf);
    B64.encode(out)
}
pub fn open(key: &[u8; 32], sealed: &str) -> Option<Vec<u8>> {
    let raw = B64.decode(sealed).ok()?;
    if raw.len() < NONCE_LEN {
        return None;
    }
    let (nonce, ct) = raw.split_at(NONCE_LEN);
    let k = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).ok()?);
    let mut buf = ct.to_vec();
    let pt = k.open_in_place(Nonce::try_assume_unique_for_key(nonce).ok()?, Aad::empty(), &mut buf).ok()?;
    Some(pt.to_vec())
}

/// A new random identifier (UUID v4).
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn seal_roundtrip_and_tamper() {
        let key = sha256(b"k");
        let s = seal(&key, b"hello");
        assert_eq!(open(&key, &s).unwrap(), b"hello");
        assert!(open(&sha256(b"other"), &s).is_none());
        let mut raw = b64url_decode(&s).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        assert!(open(&key, &b64url(&raw)).is_none());
    }
    #[test]
    fn codes_and_compare() {
        let c = random_code();
        assert_eq!(c.len(), 6);
        assert!(c.chars().all(|c| c.is_ascii_digit()));
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
        assert_eq!(
            hmac_hex(b"key", b"The quick brown fox jumps over the lazy dog"),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
        );
    }
}
