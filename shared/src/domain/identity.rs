//! Identity newtypes: emails, phone numbers, locales, display names, roles.
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum InvalidInput {
    #[error("must be an email address such as ada@example.com")]
    Email,
    #[error("must be a phone number in E.164 format such as +447700900123")]
    Phone,
    #[error("must be a language tag such as en or pt-BR")]
    Locale,
    #[error("must be 1 to 100 printable characters")]
    Name,
    #[error("unknown role {0:?}; roles are sender, traveler, driver, support, admin")]
    Role(String),
}

/// A syntactically valid, normalised (trimmed, lower-cased) email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let s = raw.trim().to_lowercase();
        if s.len() > 254 {
            return Err(InvalidInput::Email);
        }
        let (local, domain) = s.rsplit_once('@').ok_or(InvalidInput::Email)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local.chars().all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels.last().is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
        if local_ok && domain_ok {
            Ok(Self(s))
        } else {
            Err(InvalidInput::Email)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Email {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}
impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A phone number in E.164: `+`, a non-zero digit, 7 to 14 more digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);
impl Phone {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let s = raw.trim();
        let digits = s.strip_prefix('+').ok_or(InvalidInput::Phone)?;
        let ok =
            (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0');
        if ok {
            Ok(Self(s.to_string()))
        } else {
            Err(InvalidInput::Phone)
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for Phone {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

/// A BCP 47 language tag of the common shape `ll`, `lll`, `ll-CC` or `ll-123`,
/// normalised to lower-case language and upper-case region.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Locale(String);
impl Locale {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let s = raw.trim().replace('_', "-");
        let mut parts = s.split('-');
        let lang = parts.next().unwrap_or_default();
        let region = parts.next();
        if parts.next().is_some() || !(2..=3).contains(&lang.len()) || !lang.chars().all(|c| c.is_ascii_alphabetic()) {
            return Err(InvalidInput::Locale);
        }
        let lang = lang.to_ascii_lowercase();
        match region {
            None => Ok(Self(lang)),
            Some(r) if r.len() == 2 && r.chars().all(|c| c.is_ascii_alphabetic()) => {
                Ok(Self(format!("{lang}-{}", r.to_ascii_uppercase())))
            }
            Some(r) if r.len() == 3 && r.chars().all(|c| c.is_ascii_digit()) => Ok(Self(format!("{lang}-{r}"))),
            Some(_) => Err(InvalidInput::Locale),
        }
    }
}
impl TryFrom<String> for Locale {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl Locale {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl From<Locale> for String {
    fn from(l: Locale) -> String {
        l.0
    }
}

/// A display name: trimmed, 1 to 100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DisplayName(String);
impl DisplayName {
    pub fn parse(raw: &str) -> Result<Self, InvalidInput> {
        let s = raw.trim();
        let n = s.chars().count();
        if (1..=100).contains(&n) && !s.chars().any(char::is_control) {
            Ok(Self(s.to_string()))
        } else {
            Err(InvalidInput::Name)
        }
    }
}
impl TryFrom<String> for DisplayName {
    type Error = InvalidInput;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}
impl DisplayName {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl From<DisplayName> for String {
    fn from(n: DisplayName) -> String {
        n.0
    }
}

/// What a user may do. Sender, traveler and driver are chosen by the user;
/// support and admin are elevated and granted only by an admin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Sender,
    Traveler,
    Driver,
    Support,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Sender, Role::Traveler, Role::Driver, Role::Support, Role::Admin];
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Sender => "sender",
            Role::Traveler => "traveler",
            Role::Driver => "driver",
            Role::Support => "support",
            Role::Admin => "admin",
        }
    }
    /// Elevated roles are never self-assigned.
    pub fn is_elevated(self) -> bool {
        matches!(self, Role::Support | Role::Admin)
    }
}
impl FromStr for Role {
    type Err = InvalidInput;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| InvalidInput::Role(s.to_string()))
    }
}
impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A set of roles, kept sorted so it serialises the same way every time.
pub type Roles = BTreeSet<Role>;

/// Encodes roles for a JWT claim or an authorizer context: `sender,traveler`.
pub fn roles_to_string(roles: &Roles) -> String {
    roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(",")
}
/// Parses the encoding of [`roles_to_string`], ignoring unknown names.
pub fn roles_from_str(s: &str) -> Roles {
    s.split(',').filter_map(|r| r.trim().parse().ok()).collect()
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum RoleChangeError {
    #[error("role {0} is granted only by an administrator")]
    Elevated(Role),
}

/// The roles a user ends up with after asking for `requested` by themselves:
/// the requested self-service roles, plus any elevated role they already hold.
pub fn self_service_roles(current: &Roles, requested: &Roles) -> Result<Roles, RoleChangeError> {
    if let Some(r) = requested.iter().find(|r| r.is_elevated() && !current.contains(r)) {
        return Err(RoleChangeError::Elevated(*r));
    }
    let mut out: Roles = requested.iter().copied().filter(|r| !r.is_elevated()).collect();
    out.extend(current.iter().copied().filter(|r| r.is_elevated()));
    Ok(out)
}

/// A verification decision, for users and vehicles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Verification {
    #[default]
    Unverified,
    Verified,
    Rejected,
}

impl Verification {
    pub fn parse_decision(raw: &str) -> Result<Self, String> {
        match raw.trim() {
            "verified" => Ok(Verification::Verified),
            "rejected" => Ok(Verification::Rejected),
            _ => Err("must be verified or rejected".into()),
        }
    }
}

/// A user's profile as the domain sees it.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema, Deserialize)]
pub struct User {
    pub user_id: String,
    pub email: Email,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<DisplayName>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<Locale>,
    pub roles: Roles,
    /// Identity verification (KYC arrives later; an administrator decides for now).
    #[serde(default)]
    pub verification: Verification,
    pub created_at: String,
    pub updated_at: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(Email::parse("  Ada@Example.COM ").unwrap().as_str(), "ada@example.com");
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "a..b@example.com",
            "ada@-x.com",
            "ada@ex_ample.com",
            "ada@example.c0m",
            "ad a@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be refused");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(65))).is_err());
    }

    #[test]
    fn phones_must_be_e164() {
        assert!(Phone::parse("+447700900123").is_ok());
        for bad in ["447700900123", "+0447700900", "+44 7700 900123", "+1234567", "+1234567890123456"] {
            assert!(Phone::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn locales_are_normalised() {
        assert_eq!(String::from(Locale::parse("pt_br").unwrap()), "pt-BR");
        assert_eq!(String::from(Locale::parse("es-419").unwrap()), "es-419");
        assert!(Locale::parse("english").is_err());
        assert!(Locale::parse("en-GB-x").is_err());
    }

    #[test]
    fn elevated_roles_cannot_be_self_assigned_but_are_kept() {
        let none = Roles::new();
        let want: Roles = [Role::Sender, Role::Admin].into();
        assert_eq!(self_service_roles(&none, &want), Err(RoleChangeError::Elevated(Role::Admin)));
        let admin: Roles = [Role::Admin].into();
        let got = self_service_roles(&admin, &[Role::Traveler].into()).unwrap();
        assert_eq!(got, [Role::Traveler, Role::Admin].into());
        assert_eq!(roles_from_str(&roles_to_string(&got)), got);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn parsing_an_email_is_idempotent(raw in "[ A-Za-z0-9._%+@-]{0,40}") {
            if let Ok(e) = Email::parse(&raw) {
                prop_assert_eq!(Email::parse(e.as_str()), Ok(e.clone()));
                prop_assert_eq!(e.as_str().matches('@').count(), 1);
                prop_assert_eq!(e.as_str(), e.as_str().to_lowercase());
            }
        }

        #[test]
        fn self_service_never_grants_an_elevated_role(current in proptest::collection::btree_set(0usize..5, 0..5), wanted in proptest::collection::btree_set(0usize..5, 0..5)) {
            let current: Roles = current.into_iter().map(|i| Role::ALL[i]).collect();
            let wanted: Roles = wanted.into_iter().map(|i| Role::ALL[i]).collect();
            match self_service_roles(&current, &wanted) {
                Ok(out) => {
                    for r in &out {
                        prop_assert!(!r.is_elevated() || current.contains(r), "{r} was granted");
                    }
                    for r in current.iter().filter(|r| r.is_elevated()) {
                        prop_assert!(out.contains(r), "{r} was lost");
                    }
                }
                Err(RoleChangeError::Elevated(r)) => prop_assert!(r.is_elevated() && !current.contains(&r)),
            }
            prop_assert_eq!(roles_from_str(&roles_to_string(&wanted)), wanted);
        }
    }
}
