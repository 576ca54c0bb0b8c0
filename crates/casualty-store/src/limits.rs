//! Rate limits: request kinds, the sliding windows, rejections and usage counts.
//!
//! A window of length `w` at time `now` contains the key's admitted requests of one kind with a
//! time after `now - w`. A request is admitted when every limited window contains fewer
//! requests than its limit, and it is then recorded at `now`. Because each window slides with
//! `now`, a burst at the end of one calendar minute cannot be followed by a second one at the
//! start of the next. The counting and the insert happen in one transaction, so parallel
//! requests never admit more than the limit.
//!
//! The check also counts records with a time after `now`. Such records come from a request
//! that read the clock just after this one but reached the database first, or from another
//! instance whose clock runs ahead. Leaving them out would let reordered requests exceed the
//! limit; counting them only makes the check stricter by the clock difference.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use crate::keys::RateLimits;
use crate::time::Millis;

/// The kind of a request. Each kind is counted against its own limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RequestKind {
    /// A request that starts generation (a job or a stream).
    Generate,
    /// Any other request: polling, listing, downloading.
    Read,
}

impl RequestKind {
    /// Both kinds.
    pub const ALL: [RequestKind; 2] = [RequestKind::Generate, RequestKind::Read];

    /// Returns the stored name: `generate` or `read`.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestKind::Generate => "generate",
            RequestKind::Read => "read",
        }
    }
}

impl fmt::Display for RequestKind {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A sliding window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Window {
    /// The last 60 seconds.
    Minute,
    /// The last 3,600 seconds.
    Hour,
    /// The last 86,400 seconds.
    Day,
}

impl Window {
    /// Every window, shortest first.
    pub const ALL: [Window; 3] = [Window::Minute, Window::Hour, Window::Day];

    /// Returns the window's length in milliseconds.
    pub const fn length_millis(self) -> i64 {
        match self {
            Window::Minute => Millis::MINUTE,
            Window::Hour => Millis::HOUR,
            Window::Day => Millis::DAY,
        }
    }

    /// Returns `minute`, `hour` or `day`.
    pub fn as_str(self) -> &'static str {
        match self {
            Window::Minute => "minute",
            Window::Hour => "hour",
            Window::Day => "day",
        }
    }

    /// Returns the limit of this window in `limits`.
    pub fn limit_in(self, limits: &RateLimits) -> Option<NonZeroU32> {
        match self {
            Window::Minute => limits.per_minute,
            Window::Hour => limits.per_hour,
            Window::Day => limits.per_day,
        }
    }

    /// Returns the exclusive start of the window that ends at `now`: a request at this time or
    /// earlier is outside the window.
    pub fn start(self, now: Millis) -> Millis {
        now.plus_millis(-self.length_millis())
    }
}

impl fmt::Display for Window {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

/// A request that a rate limit did not admit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("rate limit reached: at most {limit} {kind} requests per {window}; retry in {} s", retry_after_seconds(.retry_after))]
pub struct Rejection {
    /// The kind of request.
    pub kind: RequestKind,
    /// The window whose limit was reached. When several are, the one that clears last.
    pub window: Window,
    /// That window's limit.
    pub limit: u32,
    /// When a request of this kind will be admitted again, unless others are admitted first:
    /// the time the counted request that must leave the window does leave it.
    pub retry_at: Millis,
    /// `retry_at - now`, for the `Retry-After` header (round it up to whole seconds).
    pub retry_after: Duration,
}

/// Rounds a wait up to whole seconds, as the `Retry-After` header needs.
fn retry_after_seconds(wait: &Duration) -> u64 {
    wait.as_millis().div_ceil(1_000).try_into().unwrap_or(u64::MAX)
}

impl Rejection {
    /// Returns `retry_after` rounded up to whole seconds, the value of a `Retry-After` header.
    pub fn retry_after_seconds(&self) -> u64 {
        retry_after_seconds(&self.retry_after)
    }
}

/// The room left under a key's limits after an admitted request: the window with the fewest
/// requests left, for the `X-RateLimit-*` headers of a successful response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// The window with the fewest requests left. When several tie, the shortest.
    pub window: Window,
    /// That window's limit.
    pub limit: u32,
    /// Requests still admitted in that window, counting the one just admitted.
    pub remaining: u32,
    /// When the oldest request counted in that window leaves it, which frees one request.
    pub reset_at: Millis,
}

/// Returns the quota of the window with the fewest requests left, given each limited window's
/// count before the admitted request and the time its oldest counted request was made (the
/// admitted request's own time when the window was empty).
pub(crate) fn tightest(windows: impl IntoIterator<Item = (Window, u32, u64, Millis)>) -> Option<Quota> {
    windows
        .into_iter()
        .map(|(window, limit, count_before, oldest_at)| {
            let remaining = u64::from(limit).saturating_sub(count_before + 1);
            Quota { window, limit, remaining: u32::try_from(remaining).unwrap_or(u32::MAX), reset_at: oldest_at.plus_millis(window.length_millis()) }
        })
        .min_by_key(|quota| (quota.remaining, quota.window))
}

/// Counts in the minute, hour and day that end at a given time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WindowCounts {
    /// In the last 60 seconds.
    pub minute: u64,
    /// In the last hour.
    pub hour: u64,
    /// In the last 24 hours.
    pub day: u64,
}

/// A key's recent and lifetime use, returned by [`Store::usage`](crate::Store::usage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    /// Admitted generation requests per window.
    pub generate: WindowCounts,
    /// Admitted read requests per window.
    pub read: WindowCounts,
    /// Patients requested by the admitted generation requests, per window.
    pub patients: WindowCounts,
    /// Admitted requests of both kinds since the key was created.
    pub total_requests: u64,
    /// Patients requested since the key was created.
    pub total_patients: u64,
}

/// Returns the limited windows of `limits`, shortest first, with their limits.
pub(crate) fn limited_windows(limits: &RateLimits) -> impl Iterator<Item = (Window, u32)> + '_ {
    Window::ALL.into_iter().filter_map(move |window| window.limit_in(limits).map(|limit| (window, limit.get())))
}

/// Returns how many of the oldest counted requests must leave a window that contains `count`
/// requests before one more fits under `limit`, or `None` when it fits now.
pub(crate) fn excess(count: u64, limit: u32) -> Option<u64> {
    (count >= u64::from(limit)).then(|| count - u64::from(limit) + 1)
}

/// Builds the rejection for `window`, given the time of the counted request whose departure
/// makes room: the `excess`-th oldest in the window.
pub(crate) fn rejection(kind: RequestKind, window: Window, limit: u32, leaving_request_at: Millis, now: Millis) -> Rejection {
    let retry_at = leaving_request_at.plus_millis(window.length_millis());
    Rejection { kind, window, limit, retry_at, retry_after: retry_at.duration_since(now) }
}

/// Of several rejections, keeps the one that clears last, since every window must have room.
pub(crate) fn latest(rejections: impl IntoIterator<Item = Rejection>) -> Option<Rejection> {
    rejections.into_iter().max_by_key(|rejection| (rejection.retry_at, rejection.window))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excess_counts_requests_that_must_leave() {
        assert_eq!(excess(0, 1), None);
        assert_eq!(excess(9, 10), None);
        assert_eq!(excess(10, 10), Some(1));
        assert_eq!(excess(12, 10), Some(3));
    }

    #[test]
    fn rejection_waits_for_the_window() {
        let now = Millis::from_unix_millis(100_000);
        let rejection = rejection(RequestKind::Generate, Window::Minute, 5, Millis::from_unix_millis(70_500), now);
        assert_eq!(rejection.retry_at, Millis::from_unix_millis(130_500));
        assert_eq!(rejection.retry_after, Duration::from_millis(30_500));
        assert_eq!(rejection.retry_after_seconds(), 31);
        assert_eq!(rejection.to_string(), "rate limit reached: at most 5 generate requests per minute; retry in 31 s");
    }

    #[test]
    fn latest_keeps_the_last_to_clear() {
        let now = Millis::from_unix_millis(0);
        let minute = rejection(RequestKind::Read, Window::Minute, 1, now, now);
        let day = rejection(RequestKind::Read, Window::Day, 1, now, now);
        assert_eq!(latest([minute, day.clone()]), Some(day));
        assert_eq!(latest([]), None);
    }

    #[test]
    fn tightest_keeps_fewest_remaining() {
        let now = Millis::from_unix_millis(1_000_000);
        let earlier = Millis::from_unix_millis(400_000);
        let quota = tightest([(Window::Minute, 10, 0, now), (Window::Hour, 50, 48, earlier), (Window::Day, 100, 48, earlier)]).unwrap();
        assert_eq!(quota.window, Window::Hour);
        assert_eq!(quota.limit, 50);
        assert_eq!(quota.remaining, 1);
        assert_eq!(quota.reset_at, earlier.plus_millis(Millis::HOUR));
        assert_eq!(tightest([]), None);
    }

    #[test]
    fn tightest_prefers_shortest_on_tie() {
        let now = Millis::from_unix_millis(0);
        let quota = tightest([(Window::Minute, 5, 0, now), (Window::Day, 5, 0, now)]).unwrap();
        assert_eq!(quota.window, Window::Minute);
        assert_eq!(quota.remaining, 4);
        assert_eq!(quota.reset_at, Millis::from_unix_millis(Millis::MINUTE));
    }

    #[test]
    fn window_start_is_exclusive() {
        let now = Millis::from_unix_millis(60_000);
        assert_eq!(Window::Minute.start(now), Millis::from_unix_millis(0));
    }
}
