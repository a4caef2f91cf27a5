//! One-time sign-in codes: six digits, ten minutes, five attempts, single use.
use serde::{Deserialize, Serialize};
use thiserror::Error;

pub const CODE_TTL_SECONDS: i64 = 600;
pub const MAX_ATTEMPTS: u32 = 5;
/// Codes one email may request from one source address per window.
pub const REQUESTS_PER_WINDOW: u32 = 5;
/// Codes one email may request per window from all addresses together: an
/// upper bound on the mail one inbox gets, well above what a person asks for,
/// so someone else's five requests do not lock its owner out.
pub const EMAIL_REQUESTS_PER_WINDOW: u32 = 30;
pub const RATE_WINDOW_SECONDS: i64 = 900;

/// A stored code: only its keyed hash is kept.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct OtpRecord {
    pub code_hash: String,
    pub attempts: u32,
    pub expires_at: i64,
}

/// Why a presented code is refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OtpRefusal {
    #[error("no code is waiting for this email, or it was already used; request a new one")]
    NoCode,
    #[error("the code has expired; request a new one")]
    Expired,
    #[error("too many wrong attempts for this code; request a new one")]
    TooManyAttempts,
    #[error("the code is wrong; {remaining} attempt(s) left")]
    Wrong { remaining: u32 },
}

/// Decides whether a presented code signs the user in. `matches` is the
/// (constant-time) comparison of the presented code's hash with the stored one.
pub fn check(record: Option<&OtpRecord>, matches: bool, now: i64) -> Result<(), OtpRefusal> {
    let r = record.ok_or(OtpRefusal::NoCode)?;
    if now >= r.expires_at {
        return Err(OtpRefusal::Expired);
    }
    if r.attempts >= MAX_ATTEMPTS {
        return Err(OtpRefusal::TooManyAttempts);
    }
    if !matches {
        return Err(OtpRefusal::Wrong { remaining: MAX_ATTEMPTS - r.attempts - 1 });
    }
    Ok(())
}

/// A code of exactly six ASCII digits, as a user would type it.
pub fn parse_code(raw: &str) -> Result<String, &'static str> {
    let s = raw.trim();
    if s.len() == 6 && s.chars().all(|c| c.is_ascii_digit()) {
        Ok(s.to_string())
    } else {
        Err("must be the 6-digit code from the email")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    fn rec(attempts: u32) -> OtpRecord {
        OtpRecord { code_hash: "h".into(), attempts, expires_at: 1000 }
    }

    #[test]
    fn a_right_code_in_time_passes() {
        assert_eq!(check(Some(&rec(0)), true, 999), Ok(()));
        assert_eq!(check(Some(&rec(4)), true, 10), Ok(()));
    }

    #[test]
    fn refusals() {
        assert_eq!(check(None, true, 0), Err(OtpRefusal::NoCode));
        assert_eq!(check(Some(&rec(0)), true, 1000), Err(OtpRefusal::Expired));
        assert_eq!(check(Some(&rec(5)), true, 10), Err(OtpRefusal::TooManyAttempts));
        assert_eq!(check(Some(&rec(0)), false, 10), Err(OtpRefusal::Wrong { remaining: 4 }));
        assert_eq!(check(Some(&rec(4)), false, 10), Err(OtpRefusal::Wrong { remaining: 0 }));
    }

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(parse_code(" 012345 ").unwrap(), "012345");
        for bad in ["12345", "1234567", "12345a", "١٢٣٤٥٦"] {
            assert!(parse_code(bad).is_err(), "{bad}");
        }
    }
}
