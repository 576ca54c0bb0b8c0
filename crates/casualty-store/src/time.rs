//! `Millis`, the store's point in time: Unix milliseconds in UTC, passed in by the caller.
//!
//! The store never reads the clock. Every operation that records or compares a time takes `now`,
//! so the service decides what time it is and tests can set it to the millisecond.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// A point in time as milliseconds since 1970-01-01T00:00:00Z, ignoring leap seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(i64);

/// An invalid RFC 3339 time given to [`Millis::parse_rfc3339`].
#[derive(Debug, thiserror::Error)]
#[error("invalid RFC 3339 time {text:?}: expected a time such as 2025-06-01T12:00:00Z, from year 0000 to 9999")]
pub struct ParseTimeError {
    text: String,
}

impl Millis {
    /// 0000-01-01T00:00:00.000Z, the earliest time that [`Millis::to_rfc3339`] can write.
    pub const MIN: Millis = Millis(-62_167_219_200_000);
    /// 9999-12-31T23:59:59.999Z, the latest time that [`Millis::to_rfc3339`] can write.
    pub const MAX: Millis = Millis(253_402_300_799_999);

    /// One second, as a number of milliseconds.
    pub const SECOND: i64 = 1_000;
    /// One minute, as a number of milliseconds.
    pub const MINUTE: i64 = 60 * Self::SECOND;
    /// One hour, as a number of milliseconds.
    pub const HOUR: i64 = 60 * Self::MINUTE;
    /// One day of 24 hours, as a number of milliseconds.
    pub const DAY: i64 = 24 * Self::HOUR;

    /// Makes a time from Unix milliseconds.
    pub const fn from_unix_millis(millis: i64) -> Millis {
        Millis(millis)
    }

    /// Returns the time as Unix milliseconds.
    pub const fn as_unix_millis(self) -> i64 {
        self.0
    }

    /// Reads the system clock. The store never calls this: it is for the service and the
    /// command line, which pass the result to the store as `now`. A clock before 1970 gives
    /// 1970-01-01T00:00:00Z.
    pub fn now() -> Millis {
        let since_epoch = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
        Millis(i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX))
    }

    /// Returns the time `millis` milliseconds later (earlier when negative), saturating at the
    /// limits of `i64`.
    pub const fn plus_millis(self, millis: i64) -> Millis {
        Millis(self.0.saturating_add(millis))
    }

    /// Returns the time `duration` later, saturating at the limits of `i64`.
    pub fn plus(self, duration: Duration) -> Millis {
        self.plus_millis(i64::try_from(duration.as_millis()).unwrap_or(i64::MAX))
    }

    /// Returns how long after `earlier` this time is, or zero when it is not later.
    pub fn duration_since(self, earlier: Millis) -> Duration {
        let millis = self.0.saturating_sub(earlier.0).max(0);
        Duration::from_millis(millis.unsigned_abs())
    }

    /// Formats the time as RFC 3339 in UTC with milliseconds, such as
    /// `2025-06-01T12:00:00.000Z`. Times outside [`Millis::MIN`] to [`Millis::MAX`], which
    /// RFC 3339 cannot write, are written as the nearer of the two.
    pub fn to_rfc3339(self) -> String {
        let clamped = self.0.clamp(Self::MIN.0, Self::MAX.0);
        let nanos = i128::from(clamped) * 1_000_000;
        // The clamp keeps the value inside years 0000 to 9999, which `time` always represents.
        let Ok(moment) = OffsetDateTime::from_unix_timestamp_nanos(nanos) else {
            return "0000-01-01T00:00:00.000Z".to_string();
        };
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            moment.year(),
            u8::from(moment.month()),
            moment.day(),
            moment.hour(),
            moment.minute(),
            moment.second(),
            moment.millisecond()
        )
    }

    /// Parses an RFC 3339 time with any offset, such as `2025-06-01T14:00:00+02:00`. Digits
    /// below the millisecond are dropped (rounded toward the past).
    ///
    /// # Errors
    ///
    /// [`ParseTimeError`] when `text` is not an RFC 3339 time from year 0000 to 9999.
    pub fn parse_rfc3339(text: &str) -> Result<Millis, ParseTimeError> {
        let moment = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| ParseTimeError { text: text.to_string() })?;
        let millis = moment.unix_timestamp_nanos().div_euclid(1_000_000);
        i64::try_from(millis).map(Millis).map_err(|_| ParseTimeError { text: text.to_string() })
    }
}

impl fmt::Display for Millis {
    /// Writes the time as [`Millis::to_rfc3339`] does.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn to_rfc3339_writes_milliseconds() {
        assert_eq!(Millis::from_unix_millis(0).to_rfc3339(), "1970-01-01T00:00:00.000Z");
        assert_eq!(Millis::from_unix_millis(1_748_779_200_123).to_rfc3339(), "2025-06-01T12:00:00.123Z");
        assert_eq!(Millis::from_unix_millis(-1).to_rfc3339(), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn to_rfc3339_clamps_out_of_range() {
        assert_eq!(Millis::MIN.to_rfc3339(), "0000-01-01T00:00:00.000Z");
        assert_eq!(Millis::MAX.to_rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Millis::from_unix_millis(i64::MAX).to_rfc3339(), "9999-12-31T23:59:59.999Z");
        assert_eq!(Millis::from_unix_millis(i64::MIN).to_rfc3339(), "0000-01-01T00:00:00.000Z");
    }

    #[test]
    fn parse_rfc3339_reads_offsets() {
        let parsed = Millis::parse_rfc3339("2025-06-01T14:00:00.123+02:00").expect("a valid time");
        assert_eq!(parsed, Millis::from_unix_millis(1_748_779_200_123));
        let round_trip = Millis::parse_rfc3339(&parsed.to_rfc3339()).expect("our own output parses");
        assert_eq!(round_trip, parsed);
    }

    #[test]
    fn parse_rfc3339_rejects_other_text() {
        for text in ["", "2025-06-01", "2025-06-01 12:00:00", "yesterday"] {
            let error = Millis::parse_rfc3339(text).expect_err("not RFC 3339");
            assert!(error.to_string().contains(&format!("{text:?}")), "{error}");
        }
    }

    #[test]
    fn duration_since_is_zero_for_later() {
        let early = Millis::from_unix_millis(1_000);
        let late = Millis::from_unix_millis(61_000);
        assert_eq!(late.duration_since(early), Duration::from_secs(60));
        assert_eq!(early.duration_since(late), Duration::ZERO);
    }
}
