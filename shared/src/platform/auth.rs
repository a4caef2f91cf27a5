//! ES256 access tokens with a `kid`, the JWKS that publishes their keys,
//! and the principal handlers authorize against.
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{EcdsaKeyPair, KeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

use super::crypto::{b64url, sha256};
use crate::domain::identity::{roles_from_str, roles_to_string, Role, Roles};

pub const ISSUER: &str = "handoff";
pub const AUDIENCE: &str = "handoff-api";

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    pub sub: String,
    pub sid: String,
    /// Comma-separated roles.
    pub roles: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum TokenError {
    #[error("no bearer token was sent")]
    Missing,
    #[error("the token has expired")]
    Expired,
    #[error("the token is signed with a key this service does not know")]
    UnknownKey,
    #[error("the token is malformed, tampered with, or not signed with ES256")]
    Invalid,
    #[error("the session of this token has ended")]
    SessionEnded,
    #[error("the token could not be checked right now; retry shortly")]
    Unavailable,
}

impl TokenError {
    /// The stable problem slug the API answers with.
    pub fn slug(&self) -> &'static str {
        match self {
            TokenError::Missing => "unauthenticated",
            TokenError::Expired => "token-expired",
            TokenError::UnknownKey => "token-unknown-key",
            TokenError::Invalid => "token-invalid",
            TokenError::SessionEnded => "session-ended",
            TokenError::Unavailable => "auth-unavailable",
        }
    }
    pub fn from_slug(s: &str) -> TokenError {
        match s {
            "token-expired" => TokenError::Expired,
            "token-unknown-key" => TokenError::UnknownKey,
            "token-invalid" => TokenError::Invalid,
            "session-ended" => TokenError::SessionEnded,
            "auth-unavailable" => TokenError::Unavailable,
            _ => TokenError::Missing,
        }
    }
}

/// A P-256 public key as a JWK.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    pub kid: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub alg: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Jwks {
    pub keys: Vec<Jwk>,
}

fn jwk_from_point(point: &[u8]) -> Result<Jwk, String> {
    if point.len() != 65 || point[0] != 4 {
        return Err("not an uncompressed P-256 point".into());
    }
    let (x, y) = (b64url(&point[1..33]), b64url(&point[33..65]));
    // RFC 7638 thumbprint: the required members in lexicographic order.
    let thumb = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    Ok(Jwk {
        kty: "EC".into(),
        crv: "P-256".into(),
        x,
        y,
        kid: b64url(&sha256(thumb.as_bytes())),
        use_: "sig".into(),
        alg: "ES256".into(),
    })
}

fn pem_to_der(pem: &str) -> Result<Vec<u8>, String> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).map(str::trim).collect();
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(body).map_err(|e| format!("bad PEM: {e}"))
}

/// A new P-256 key pair as PKCS#8 PEM (used by the local stack and by operators).
pub fn generate_private_pem() -> String {
    let doc =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new()).expect("key generation");
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(doc.as_ref());
    let lines: Vec<&str> = b64.as_bytes().chunks(64).map(|c| std::str::from_utf8(c).unwrap()).collect();
    format!("-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n", lines.join("\n"))
}

/// Signs access tokens with the current private key.
pub struct Signer {
    key: EncodingKey,
    jwk: Jwk,
}

impl Signer {
    pub fn from_pem(pem: &str) -> Result<Self, String> {
        let der = pem_to_der(pem)?;
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &der)
            .map_err(|e| format!("not a P-256 PKCS#8 key: {e}"))?;
        let jwk = jwk_from_point(pair.public_key().as_ref())?;
        Ok(Self { key: EncodingKey::from_ec_der(&der), jwk })
    }
    pub fn jwk(&self) -> &Jwk {
        &self.jwk
    }
    /// Any claims as a compact JWS (ES256, with this key's `kid`): what a
    /// third party verifies against the published JWKS.
    pub fn sign<T: serde::Serialize>(&self, claims: &T) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.jwk.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.key).expect("ES256 signing of in-memory claims")
    }
    pub fn issue(&self, user_id: &str, session_id: &str, roles: &Roles, now: i64, ttl: i64) -> String {
        let claims = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: user_id.into(),
            sid: session_id.into(),
            roles: roles_to_string(roles),
            iat: now,
            exp: now + ttl,
            jti: uuid::Uuid::new_v4().to_string(),
        };
        self.sign(&claims)
    }
}

/// Verifies access tokens against the published keys (current and previous).
pub struct Verifier {
    keys: HashMap<String, DecodingKey>,
    validation: Validation,
}

/// How far past its `exp` a token is still accepted (clock skew).
const LEEWAY_SECONDS: i64 = 5;

impl Verifier {
    pub fn from_jwks(jwks_json: &str) -> Result<Self, String> {
        let jwks: Jwks = serde_json::from_str(jwks_json).map_err(|e| format!("bad JWKS: {e}"))?;
        let mut keys = HashMap::new();
        for k in jwks.keys {
            if k.kty != "EC" || k.crv != "P-256" {
                return Err(format!("key {} is not a P-256 key", k.kid));
            }
            keys.insert(k.kid.clone(), DecodingKey::from_ec_components(&k.x, &k.y).map_err(|e| e.to_string())?);
        }
        if keys.is_empty() {
            return Err("JWKS has no keys".into());
        }
        let mut validation = Validation::new(Algorithm::ES256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        // Expiry is checked against the platform's clock (below), which the
        // local stack can move forward; `exp` is still required.
        validation.validate_exp = false;
        validation.leeway = LEEWAY_SECONDS as u64;
        Ok(Self { keys, validation })
    }

    /// Accepts only ES256 tokens signed by a known `kid`, unexpired, for this issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::ES256 {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::UnknownKey)?;
        let key = self.keys.get(&kid).ok_or(TokenError::UnknownKey)?;
        match jsonwebtoken::decode::<Claims>(token, key, &self.validation) {
            Ok(data) if data.claims.exp.saturating_add(LEEWAY_SECONDS) < super::clock::now_unix() => {
                Err(TokenError::Expired)
            }
            Ok(data) => Ok(data.claims),
            Err(e) => match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => Err(TokenError::Expired),
                _ => Err(TokenError::Invalid),
            },
        }
    }
}

/// The bearer token in an `Authorization` header value.
pub fn bearer(header: Option<&str>) -> Result<&str, TokenError> {
    let h = header.ok_or(TokenError::Missing)?.trim();
    let (scheme, token) = h.split_once(' ').ok_or(TokenError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(TokenError::Invalid);
    }
    Ok(token.trim())
}

/// Who is calling, as established by the authorizer.
#[derive(Debug, Clone, PartialEq)]
pub struct Principal {
    pub user_id: String,
    pub session_id: String,
    pub roles: Roles,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
    /// The authorizer context (string values only, as API Gateway passes them).
    pub fn to_context(&self) -> HashMap<String, String> {
        HashMap::from([
            ("authenticated".into(), "true".into()),
            ("sub".into(), self.user_id.clone()),
            ("sid".into(), self.session_id.clone()),
            ("roles".into(), roles_to_string(&self.roles)),
        ])
    }
    /// Reads the authorizer context back; the error says why there is no principal.
    pub fn from_context(ctx: &HashMap<String, serde_json::Value>) -> Result<Self, TokenError> {
        let get = |k: &str| ctx.get(k).and_then(|v| v.as_str());
        if get("authenticated") != Some("true") {
            return Err(get("problem").map(TokenError::from_slug).unwrap_or(TokenError::Missing));
        }
        Ok(Self {
            user_id: get("sub").ok_or(TokenError::Invalid)?.to_string(),
            session_id: get("sid").ok_or(TokenError::Invalid)?.to_string(),
            roles: roles_from_str(get("roles").unwrap_or_default()),
        })
    }
}

/// The context for a request the authorizer could not authenticate. A
/// genuine token whose session has ended still names its subject, so an
/// idempotent retry of the request that ended it finds its first answer.
pub fn unauthenticated_context(err: &TokenError, verified_subject: Option<&str>) -> HashMap<String, String> {
    let mut ctx = HashMap::from([("authenticated".into(), "false".into()), ("problem".into(), err.slug().into())]);
    if let Some(sub) = verified_subject {
        ctx.insert("sub".into(), sub.into());
    }
    ctx
}

/// The subject of a verified token, authenticated or not (see [`unauthenticated_context`]).
pub fn verified_subject(ctx: &HashMap<String, serde_json::Value>) -> Option<String> {
    ctx.get("sub").and_then(|v| v.as_str()).map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair() -> (Signer, Verifier) {
        let s = Signer::from_pem(&generate_private_pem()).unwrap();
        let jwks = serde_json::to_string(&Jwks { keys: vec![s.jwk().clone()] }).unwrap();
        (s, Verifier::from_jwks(&jwks).unwrap())
    }

    #[test]
    fn issued_tokens_verify() {
        let (s, v) = pair();
        let roles: Roles = [Role::Sender].into();
        let t = s.issue("u1", "s1", &roles, crate::platform::clock::now_unix(), 900);
        let c = v.verify(&t).unwrap();
        assert_eq!((c.sub.as_str(), c.sid.as_str(), c.roles.as_str()), ("u1", "s1", "sender"));
    }

    #[test]
    fn bad_tokens_are_refused() {
        let (s, v) = pair();
        let now = crate::platform::clock::now_unix();
        let expired = s.issue("u1", "s1", &Roles::new(), now - 1000, 900);
        assert_eq!(v.verify(&expired), Err(TokenError::Expired));
        let (other, _) = pair();
        assert_eq!(v.verify(&other.issue("u1", "s1", &Roles::new(), now, 900)), Err(TokenError::UnknownKey));
        let good = s.issue("u1", "s1", &Roles::new(), now, 900);
        let mut parts: Vec<String> = good.split('.').map(String::from).collect();
        parts[1] = b64url(br#"{"iss":"handoff","aud":"handoff-api","sub":"admin","sid":"s1","roles":"admin","iat":0,"exp":9999999999,"jti":"x"}"#);
        assert_eq!(v.verify(&parts.join(".")), Err(TokenError::Invalid));
        let none = format!("{}.{}.", b64url(br#"{"alg":"none","typ":"JWT"}"#), parts[1]);
        assert_eq!(v.verify(&none), Err(TokenError::Invalid));
        assert_eq!(v.verify("not-a-token"), Err(TokenError::Invalid));
    }

    #[test]
    fn bearer_header() {
        assert_eq!(bearer(Some("Bearer abc")), Ok("abc"));
        assert_eq!(bearer(None), Err(TokenError::Missing));
        assert_eq!(bearer(Some("Basic abc")), Err(TokenError::Invalid));
    }
}
