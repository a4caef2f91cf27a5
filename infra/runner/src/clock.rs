//! The local stack's clock, which moves forward on demand the way Stripe's
//! test clocks do: a journey (or an app developer trying the platform)
//! moves time past a scan window, a handoff buffer or a payment deadline
//! instead of waiting for it.
//!
//! The stack keeps how far it has moved (whole seconds) in a file that
//! every function process is told about (`HANDOFF_CLOCK_FILE`), and
//! `handoff::platform::clock` adds it to the system time; the runner's own
//! times (scheduled events, the HTTP request context) add it too. Time
//! never moves back.
use std::path::PathBuf;
use std::sync::Mutex;

pub struct LocalClock {
    pub file: PathBuf,
    lock: Mutex<()>,
}

impl LocalClock {
    /// A clock at the system's time, kept in a new file of its own.
    pub fn new(stack: &str) -> Result<Self, String> {
        // A folder of its own, made new (never one someone else prepared), readable by this user only.
        let dir = std::env::temp_dir().join(format!("handoff-clock-{stack}-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).map_err(|e| e.to_string())?;
        }
        let file = dir.join("offset");
        std::fs::write(&file, "0").map_err(|e| format!("{}: {e}", file.display()))?;
        Ok(Self { file, lock: Mutex::new(()) })
    }

    /// Seconds ahead of the system clock.
    pub fn offset(&self) -> i64 {
        handoff::platform::clock::read_offset(&self.file)
    }

    /// The stack's time now, in unix seconds.
    pub fn now_unix(&self) -> i64 {
        time::OffsetDateTime::now_utc().unix_timestamp() + self.offset()
    }

    /// The stack's time now, in unix milliseconds.
    pub fn now_millis(&self) -> i64 {
        (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64 + self.offset() * 1000
    }

    /// RFC 3339 UTC with milliseconds, as `handoff::platform::clock::now_rfc3339`.
    pub fn now_rfc3339(&self) -> String {
        handoff::platform::clock::rfc3339(self.now_millis() as i128)
    }

    /// Moves the clock forward by `seconds` (at most ten years at once):
    /// the new offset. Moving back is refused.
    pub fn advance(&self, seconds: i64) -> Result<i64, String> {
        if !(0..=10 * 366 * 86_400).contains(&seconds) {
            return Err(format!("the clock moves forward only, by at most ten years (asked: {seconds} s)"));
        }
        let _held = self.lock.lock().unwrap();
        let offset = self.offset() + seconds;
        // Written whole, then renamed: a function never reads half a number.
        let tmp = self.file.with_extension("next");
        std::fs::write(&tmp, offset.to_string()).map_err(|e| e.to_string())?;
        std::fs::rename(&tmp, &self.file).map_err(|e| e.to_string())?;
        Ok(offset)
    }
}

impl Drop for LocalClock {
    fn drop(&mut self) {
        if let Some(dir) = self.file.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LocalClock;

    #[test]
    fn moves_forward_only() {
        let c = LocalClock::new("clock-test").unwrap();
        assert_eq!(c.offset(), 0);
        let before = c.now_unix();
        assert_eq!(c.advance(7200), Ok(7200));
        assert_eq!(c.advance(60), Ok(7260));
        assert!(c.now_unix() >= before + 7260);
        assert!(c.advance(-1).is_err(), "never back");
        assert_eq!(c.offset(), 7260);
        let file = c.file.clone();
        drop(c);
        assert!(!file.exists(), "the file goes with the clock");
    }
}
