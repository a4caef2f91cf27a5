//! The time, read in one place.
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 UTC with millisecond precision, so it sorts as text.
pub fn rfc3339(unix_millis: i128) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(unix_millis * 1_000_000).unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let s = t.format(&Rfc3339).unwrap_or_default();
    // Normalise to exactly three fractional digits: 2026-11-21T10:00:00.123Z
    let (base, _) = s.split_once(['.', 'Z']).unwrap_or((&s, ""));
    format!("{base}.{:03}Z", (unix_millis.rem_euclid(1000)))
}

pub fn now_rfc3339() -> String {
    rfc3339(OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn fixed_width() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
