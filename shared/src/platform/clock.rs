//! The time, read in one place.
//!
//! On the local stack the clock can be moved forward, as Stripe's test
//! clocks move time: the runner writes how many seconds it has moved to the
//! file `HANDOFF_CLOCK_FILE` names, and every function reads it with the
//! time. On AWS the variable is never set and the time is the system's.
use std::path::PathBuf;
use std::sync::OnceLock;
use time::{format_description::well_known::Rfc3339, OffsetDateTime};

/// The variable naming the local stack's clock file.
pub const CLOCK_FILE: &str = "HANDOFF_CLOCK_FILE";

/// Seconds the local stack's clock is ahead of the system's (0 without a clock file).
pub fn offset_seconds() -> i64 {
    static FILE: OnceLock<Option<PathBuf>> = OnceLock::new();
    match FILE.get_or_init(|| std::env::var_os(CLOCK_FILE).map(PathBuf::from)) {
        None => 0,
        Some(path) => read_offset(path),
    }
}

/// The offset a clock file holds: whole seconds, 0 when absent or unreadable.
pub fn read_offset(path: &std::path::Path) -> i64 {
    std::fs::read_to_string(path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0)
}

fn now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    match offset_seconds() {
        0 => now,
        s => now.checked_add(time::Duration::seconds(s)).unwrap_or(now),
    }
}

pub fn now_unix() -> i64 {
    now().unix_timestamp()
}

/// The system's time, never moved: what a provider's own clock is compared
/// with (Stripe's signature timestamps, the times its events were created).
/// On AWS the same as [`now_unix`].
pub fn wall_unix() -> i64 {
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
    rfc3339(now().unix_timestamp_nanos() / 1_000_000)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_clock_file_holds_whole_seconds() {
        let dir = std::env::temp_dir().join(format!("handoff-clock-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("clock");
        assert_eq!(super::read_offset(&f), 0, "no file: no offset");
        std::fs::write(&f, "7200\n").unwrap();
        assert_eq!(super::read_offset(&f), 7200);
        std::fs::write(&f, "soon").unwrap();
        assert_eq!(super::read_offset(&f), 0, "unreadable: no offset");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn fixed_width() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(super::rfc3339(1_700_000_000_123), "2023-11-14T22:13:20.123Z");
    }
}
