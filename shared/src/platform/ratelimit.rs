//! Fixed-window rate limits kept in the table: one counter item per scope,
//! subject and window, counted up inside the transaction of the request it
//! guards (a refused request writes nothing).
use super::store::{self, UpdateSpec, WriteItem};
use crate::keys::{self, entity};

pub struct Limit {
    /// e.g. `otp-email`; part of the counter's key.
    pub scope: &'static str,
    pub max: u32,
    pub window_seconds: i64,
}

/// The start of the fixed window `now` falls in, and the seconds left in it.
pub fn window(now: i64, length: i64) -> (i64, i64) {
    let start = now - now.rem_euclid(length);
    (start, start + length - now)
}

impl Limit {
    /// Counts one more request for `subject`; the write's condition fails once `max` is reached.
    pub fn count(&self, subject: &str, now: i64) -> WriteItem {
        let (start, _) = window(now, self.window_seconds);
        store::update(
            &keys::rate_counter(self.scope, subject, start),
            UpdateSpec::new("ADD #n :one SET #ttl = :ttl, entity = :entity")
                .when("attribute_not_exists(#n) OR #n < :max")
                .name("#n", "count")
                .name("#ttl", "ttl")
                .value(":one", 1)
                .value(":max", self.max)
                .value(":ttl", start + 2 * self.window_seconds)
                .value(":entity", entity::RATE),
        )
    }

    /// Seconds until a refused caller may try again.
    pub fn retry_after(&self, now: i64) -> i64 {
        window(now, self.window_seconds).1
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn windows_are_aligned() {
        assert_eq!(super::window(900, 900), (900, 900));
        assert_eq!(super::window(1799, 900), (900, 1));
    }
}
