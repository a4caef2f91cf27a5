//! Messaging between the people of an itinerary: its sender and the
//! travelers of its live bookings. The conversation opens when the first
//! traveler accepts. Until every booking of the itinerary is accepted,
//! phone numbers and email addresses in messages are masked, so that a deal
//! is not taken off the platform before it is made; after acceptance each
//! party sees the others' contacts in the booking anyway.
use serde::{Deserialize, Serialize};

use super::bookings::{BookingStatus, Itinerary, ItineraryStatus};

/// At most this many characters in a message.
pub const MAX_TEXT: usize = 2000;
/// At most this many attachments on a message.
pub const MAX_ATTACHMENTS: usize = 5;
/// What replaces a masked phone number or email address.
pub const MASK: &str = "[contact hidden until the booking is accepted]";

/// A message's text: 1 to 2000 characters once trimmed.
pub fn check_text(raw: &str) -> Result<String, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Err("must not be empty".into());
    }
    if t.chars().count() > MAX_TEXT {
        return Err(format!("must be at most {MAX_TEXT} characters"));
    }
    Ok(t.to_string())
}

fn is_email_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._%+-".contains(c)
}

/// Masks email addresses (`local@domain.tld`) and phone numbers (7 or more
/// digits, with spaces, dots, dashes, slashes or parentheses between them,
/// an optional leading `+`); answers the text and whether anything was masked.
pub fn mask_contacts(text: &str) -> (String, bool) {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut masked = false;
    let mut i = 0;
    while i < chars.len() {
        // An email: a run of email characters around one '@' with a dotted domain.
        if is_email_char(chars[i]) && (i == 0 || !is_email_char(chars[i - 1])) {
            let mut j = i;
            while j < chars.len() && is_email_char(chars[j]) {
                j += 1;
            }
            if j < chars.len() && chars[j] == '@' && j > i {
                let mut k = j + 1;
                while k < chars.len() && (chars[k].is_ascii_alphanumeric() || chars[k] == '.' || chars[k] == '-') {
                    k += 1;
                }
                let domain: String = chars[j + 1..k].iter().collect();
                let domain = domain.trim_end_matches('.');
                let labels: Vec<&str> = domain.split('.').collect();
                if labels.len() >= 2
                    && labels.iter().all(|l| !l.is_empty())
                    && labels.last().is_some_and(|t| t.len() >= 2 && t.chars().all(|c| c.is_ascii_alphabetic()))
                {
                    out.push_str(MASK);
                    masked = true;
                    i = j + 1 + domain.chars().count();
                    continue;
                }
            }
        }
        // A phone number: digits with separators, 7 digits or more.
        if (chars[i] == '+' || chars[i] == '(' || chars[i].is_ascii_digit())
            && (i == 0 || !chars[i - 1].is_ascii_alphanumeric())
        {
            let mut j = i;
            let mut digits = 0;
            let mut last_digit = i;
            while j < chars.len() {
                let c = chars[j];
                if c.is_ascii_digit() {
                    digits += 1;
                    last_digit = j;
                } else if !(" .-/()".contains(c) || (c == '+' && j == i)) {
                    break;
                }
                j += 1;
            }
            let followed_by_letter = chars.get(last_digit + 1).is_some_and(|c| c.is_alphabetic());
            let token: String = chars[i..=last_digit].iter().collect();
            if digits >= 7 && !followed_by_letter && !looks_like_date(&token) {
                out.push_str(MASK);
                masked = true;
                i = last_digit + 1;
                continue;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    (out, masked)
}

/// `2026-12-01`, `01.12.2026`, `1/12/26`: a date, not a phone number.
fn looks_like_date(token: &str) -> bool {
    let Some(sep) = token.chars().find(|c| !c.is_ascii_digit()) else { return false };
    if !"-./".contains(sep) {
        return false;
    }
    let parts: Vec<&str> = token.split(sep).collect();
    let lens: Vec<usize> = parts.iter().map(|p| p.len()).collect();
    parts.len() == 3
        && parts.iter().all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        && (matches!(lens[..], [4, 1..=2, 1..=2]) || matches!(lens[..], [1..=2, 1..=2, 2 | 4]))
}

/// One person of a conversation and whether their part is agreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub user_id: String,
    /// The sender, or a traveler whose booking is accepted.
    pub accepted: bool,
}

/// The people of an itinerary's conversation: its sender and the travelers
/// of its pending and accepted bookings (a declined, expired or cancelled
/// booking's traveler leaves it). `None` while no traveler has accepted, or
/// once the itinerary is cancelled.
pub fn participants(it: &Itinerary) -> Option<Vec<Participant>> {
    if it.status == ItineraryStatus::Cancelled {
        return None;
    }
    if !it.bookings.iter().any(|b| b.status == BookingStatus::Accepted) {
        return None;
    }
    let mut out = vec![Participant { user_id: it.sender_id.clone(), accepted: true }];
    for b in &it.bookings {
        let accepted = b.status == BookingStatus::Accepted;
        if !(accepted || b.status == BookingStatus::Pending) {
            continue;
        }
        match out.iter_mut().find(|p| p.user_id == b.traveler_id) {
            Some(p) => p.accepted &= accepted,
            None => out.push(Participant { user_id: b.traveler_id.clone(), accepted }),
        }
    }
    Some(out)
}

/// A message as stored and shown.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Message {
    /// Time-ordered.
    pub message_id: String,
    pub conversation_id: String,
    pub author_id: String,
    pub text: String,
    /// Contacts in the text were masked (not every booking was accepted yet).
    pub masked: bool,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    pub created_at: String,
}

/// A file sent with a message (uploaded and checked first).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Attachment {
    pub document_id: String,
    pub content_type: String,
    pub size_bytes: u64,
    /// A presigned GET URL (15 minutes), added when read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Where the file is stored (kept in the table, never shown).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    #[schemars(skip)]
    pub object_key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_masked_and_ordinary_numbers_are_not() {
        let (t, m) = mask_contacts("Call me on +49 151 2345 6789 or write to ada.l@example.co.uk!");
        assert!(m);
        assert_eq!(t, format!("Call me on {MASK} or write to {MASK}!"));
        let (t, m) = mask_contacts("(030) 123-4567");
        assert!(m, "{t}");
        let (t, m) = mask_contacts("The parcel weighs 700 g, flight AF7700 leaves 2026-12-01 at 09:30, gate 12.");
        assert!(!m, "{t}");
        let (t, m) = mask_contacts("me@home is not an address; a@b.c neither");
        assert!(!m, "{t}");
        let (_, m) = mask_contacts("0151/23456789");
        assert!(m);
        let (t, m) = mask_contacts("Am 01.12.2026 oder 1/12/26, Tel. 030 1234567");
        assert_eq!(t, format!("Am 01.12.2026 oder 1/12/26, Tel. {MASK}"));
        assert!(m);
    }

    #[test]
    fn text_is_checked() {
        assert!(check_text("  ").is_err());
        assert!(check_text(&"x".repeat(MAX_TEXT + 1)).is_err());
        assert_eq!(check_text(" hello ").unwrap(), "hello");
    }
}
