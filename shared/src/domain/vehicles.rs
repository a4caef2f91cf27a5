//! Vehicles travelers drive on car legs, and their verification.
use serde::{Deserialize, Serialize};

pub use super::identity::Verification;

#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct Vehicle {
    pub vehicle_id: String,
    pub owner_id: String,
    pub make: String,
    pub model: String,
    /// Upper case, letters, digits, spaces and dashes.
    pub plate: String,
    /// How much parcel weight it carries.
    pub capacity_grams: u32,
    pub verification: Verification,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification_note: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A plate, normalised: trimmed, upper case, 2–12 letters, digits, spaces or dashes.
pub fn parse_plate(raw: &str) -> Result<String, String> {
    let p = raw.trim().to_uppercase();
    let ok = (2..=12).contains(&p.chars().count())
        && p.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-')
        && p.chars().any(|c| c.is_ascii_alphanumeric());
    if ok {
        Ok(p)
    } else {
        Err("must be 2 to 12 letters, digits, spaces or dashes".into())
    }
}

/// A make or model: 1–40 printable characters.
pub fn parse_label(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if (1..=40).contains(&s.chars().count()) && !s.chars().any(char::is_control) {
        Ok(s.to_string())
    } else {
        Err("must be 1 to 40 printable characters".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn plates_and_labels() {
        assert_eq!(parse_plate(" ab-123 cd ").unwrap(), "AB-123 CD");
        assert!(parse_plate("A").is_err());
        assert!(parse_plate("AB_12").is_err());
        assert!(parse_label("").is_err());
        assert_eq!(Verification::parse_decision("verified"), Ok(Verification::Verified));
        assert!(Verification::parse_decision("unverified").is_err());
    }
}
