//! Tests of rate limits: window boundaries, `retry_after`, kinds, usage, purging and parallel
//! requests.

use std::sync::Arc;
use std::time::Duration;

use super::{at, rate, user_key, T0};
use crate::{AdmitError, KeyId, Millis, RateLimits, Rejection, RequestKind, Store, StoreError, Window};

/// Admits a generation request of 10 patients, or panics with the rejection.
async fn admit_generate(store: &dyn Store, key: KeyId, limits: RateLimits, now: Millis) {
    if let Err(error) = store.admit(key, RequestKind::Generate, 10, limits, now).await {
        panic!("the request at {now} is admitted, but: {error}");
    }
}

/// Expects a rejection of a generation request and returns it.
async fn reject_generate(store: &dyn Store, key: KeyId, limits: RateLimits, now: Millis) -> Rejection {
    match store.admit(key, RequestKind::Generate, 10, limits, now).await {
        Err(AdmitError::Rejected(rejection)) => rejection,
        Err(AdmitError::Store(error)) => panic!("the request at {now} is rejected by a limit, but the store failed: {error}"),
        Ok(_) => panic!("the request at {now} is rejected, but it was admitted"),
    }
}

/// Checks that a request still counts 59.999 s later and has left the window 60 s later.
pub async fn admit_counts_minute_boundary(store: &dyn Store) {
    let key = user_key(store, "boundary").await;
    let limits = rate(1, 0, 0);
    admit_generate(store, key.id, limits, T0).await;

    let rejection = reject_generate(store, key.id, limits, at(59_999)).await;
    assert_eq!(rejection.window, Window::Minute);
    assert_eq!(rejection.limit, 1);
    assert_eq!(rejection.kind, RequestKind::Generate);
    assert_eq!(rejection.retry_at, at(60_000));
    assert_eq!(rejection.retry_after, Duration::from_millis(1));

    admit_generate(store, key.id, limits, at(60_000)).await;
}

/// Checks that `retry_after` runs until the oldest counted request leaves the window, and that
/// rejected requests are not counted.
pub async fn admit_reports_retry_after_oldest_request(store: &dyn Store) {
    let key = user_key(store, "retry").await;
    let limits = rate(3, 0, 0);
    for offset in [0, 10_000, 20_000] {
        admit_generate(store, key.id, limits, at(offset)).await;
    }
    let rejection = reject_generate(store, key.id, limits, at(30_000)).await;
    assert_eq!(rejection.retry_at, at(60_000));
    assert_eq!(rejection.retry_after, Duration::from_secs(30));
    assert_eq!(rejection.retry_after_seconds(), 30);
    for offset in [40_000, 50_000, 59_999] {
        reject_generate(store, key.id, limits, at(offset)).await;
    }

    admit_generate(store, key.id, limits, at(60_000)).await;
    let rejection = reject_generate(store, key.id, limits, at(61_000)).await;
    assert_eq!(rejection.retry_at, at(70_000), "the request at 10 s is now the oldest");
    assert_eq!(rejection.retry_after, Duration::from_secs(9));
}

/// Checks the quota of an admitted request: the window with the fewest requests left, and the
/// time its oldest counted request leaves it.
pub async fn admit_returns_tightest_quota(store: &dyn Store) {
    let key = user_key(store, "quota").await;
    let limits = rate(10, 3, 0);
    let first = store.admit(key.id, RequestKind::Generate, 10, limits, at(1_000)).await.expect("admitted").expect("a quota");
    assert_eq!((first.window, first.limit, first.remaining), (Window::Hour, 3, 2));
    assert_eq!(first.reset_at, at(1_000 + Millis::HOUR));

    let second = store.admit(key.id, RequestKind::Generate, 10, limits, at(2_000)).await.expect("admitted").expect("a quota");
    assert_eq!((second.window, second.remaining), (Window::Hour, 1));
    assert_eq!(second.reset_at, at(1_000 + Millis::HOUR), "the first request is still the oldest");

    let unlimited = store.admit(key.id, RequestKind::Read, 0, RateLimits::UNLIMITED, at(3_000)).await.expect("admitted");
    assert_eq!(unlimited, None, "no limit, no quota");
}

/// Checks that the hour and day windows slide like the minute window.
pub async fn admit_limits_hour_and_day(store: &dyn Store) {
    let hourly = user_key(store, "hourly").await;
    let per_hour = rate(0, 2, 0);
    admit_generate(store, hourly.id, per_hour, T0).await;
    admit_generate(store, hourly.id, per_hour, at(30 * Millis::MINUTE)).await;
    let rejection = reject_generate(store, hourly.id, per_hour, at(59 * Millis::MINUTE)).await;
    assert_eq!(rejection.window, Window::Hour);
    assert_eq!(rejection.retry_at, at(Millis::HOUR));
    admit_generate(store, hourly.id, per_hour, at(Millis::HOUR)).await;

    let daily = user_key(store, "daily").await;
    let per_day = rate(0, 0, 2);
    admit_generate(store, daily.id, per_day, T0).await;
    admit_generate(store, daily.id, per_day, at(2 * Millis::HOUR)).await;
    let rejection = reject_generate(store, daily.id, per_day, at(23 * Millis::HOUR)).await;
    assert_eq!(rejection.window, Window::Day);
    assert_eq!(rejection.retry_at, at(Millis::DAY));
    assert_eq!(rejection.retry_after, Duration::from_secs(3_600));
    admit_generate(store, daily.id, per_day, at(Millis::DAY)).await;
}

/// Checks that when several windows are full, the rejection names the one that clears last.
pub async fn admit_reports_window_that_clears_last(store: &dyn Store) {
    let key = user_key(store, "both").await;
    admit_generate(store, key.id, rate(1, 0, 2), T0).await;
    admit_generate(store, key.id, rate(1, 0, 2), at(Millis::HOUR)).await;
    let rejection = reject_generate(store, key.id, rate(1, 0, 2), at(Millis::HOUR + 1_000)).await;
    assert_eq!(rejection.window, Window::Day, "the minute clears at 1 h 1 min, the day at 24 h");
    assert_eq!(rejection.limit, 2);
    assert_eq!(rejection.retry_at, at(Millis::DAY));
}

/// Checks that generation and read requests are counted apart, each against its own limits.
pub async fn admit_counts_kinds_separately(store: &dyn Store) {
    let key = user_key(store, "kinds").await;
    let generate_limits = rate(1, 0, 0);
    let read_limits = rate(3, 0, 0);
    admit_generate(store, key.id, generate_limits, T0).await;
    reject_generate(store, key.id, generate_limits, at(1)).await;

    for offset in 2..5 {
        store.admit(key.id, RequestKind::Read, 0, read_limits, at(offset)).await.expect("reads have their own count");
    }
    match store.admit(key.id, RequestKind::Read, 0, read_limits, at(5)).await {
        Err(AdmitError::Rejected(rejection)) => {
            assert_eq!(rejection.kind, RequestKind::Read);
            assert_eq!(rejection.limit, 3);
            assert_eq!(rejection.retry_at, at(2 + Millis::MINUTE));
        }
        other => panic!("the fourth read is rejected, but: {other:?}"),
    }
    store.admit(key.id, RequestKind::Read, 0, RateLimits::UNLIMITED, at(6)).await.expect("no limit admits every request");
}

/// Checks that after a limit is lowered below the count, the wait covers every excess request.
pub async fn admit_waits_longer_after_lowered_limit(store: &dyn Store) {
    let key = user_key(store, "lowered").await;
    for second in 0..5 {
        admit_generate(store, key.id, rate(5, 0, 0), at(second * 1_000)).await;
    }
    let rejection = reject_generate(store, key.id, rate(2, 0, 0), at(10_000)).await;
    assert_eq!(rejection.limit, 2);
    assert_eq!(rejection.retry_at, at(3_000 + Millis::MINUTE), "four of five requests must leave: the fourth oldest is at 3 s");
    reject_generate(store, key.id, rate(2, 0, 0), at(3_000 + Millis::MINUTE - 1)).await;
    admit_generate(store, key.id, rate(2, 0, 0), at(3_000 + Millis::MINUTE)).await;
}

/// Checks that admitting a request for an unknown key fails with `NotFound`.
pub async fn admit_rejects_unknown_key(store: &dyn Store) {
    let unknown = KeyId::random();
    match store.admit(unknown, RequestKind::Read, 0, RateLimits::UNLIMITED, T0).await {
        Err(AdmitError::Store(StoreError::NotFound { entity: "API key", .. })) => {}
        other => panic!("an unknown key is not found, but: {other:?}"),
    }
}

/// Checks that usage counts requests and patients per kind and window, and since creation.
pub async fn usage_counts_windows_and_patients(store: &dyn Store) {
    let key = user_key(store, "usage").await;
    let now = at(2 * Millis::DAY);
    let requests = [
        (RequestKind::Generate, 100, now.plus_millis(-10_000)),
        (RequestKind::Generate, 200, now.plus_millis(-30 * Millis::MINUTE)),
        (RequestKind::Generate, 400, now.plus_millis(-5 * Millis::HOUR)),
        (RequestKind::Generate, 800, now.plus_millis(-2 * Millis::DAY)),
        (RequestKind::Read, 0, now.plus_millis(-1)),
        (RequestKind::Read, 0, now.plus_millis(-2 * Millis::HOUR)),
    ];
    for (kind, patients, time) in requests {
        store.admit(key.id, kind, patients, RateLimits::UNLIMITED, time).await.expect("admitted");
    }

    let usage = store.usage(key.id, now).await.expect("usage of a known key");
    assert_eq!((usage.generate.minute, usage.generate.hour, usage.generate.day), (1, 2, 3));
    assert_eq!((usage.read.minute, usage.read.hour, usage.read.day), (1, 1, 2));
    assert_eq!((usage.patients.minute, usage.patients.hour, usage.patients.day), (100, 300, 700));
    assert_eq!(usage.total_requests, 6);
    assert_eq!(usage.total_patients, 1_500);
}

/// Checks that purging removes records a day old or older and keeps the rest and the totals.
pub async fn purge_request_records_keeps_last_day(store: &dyn Store) {
    let key = user_key(store, "purge").await;
    for time in [T0, at(12 * Millis::HOUR), at(Millis::DAY)] {
        store.admit(key.id, RequestKind::Generate, 5, RateLimits::UNLIMITED, time).await.expect("admitted");
    }
    let deleted = store.purge_request_records(at(Millis::DAY)).await.expect("purge works");
    assert_eq!(deleted, 1, "only the record at exactly one day old");
    let usage = store.usage(key.id, at(Millis::DAY)).await.expect("usage");
    assert_eq!(usage.generate.day, 2);
    assert_eq!(usage.total_requests, 3);
    assert_eq!(usage.total_patients, 15);
    assert_eq!(store.purge_request_records(at(Millis::DAY)).await.expect("purge works"), 0);
}

/// Checks that 50 requests on parallel tokio tasks under a limit of 10 admit exactly 10.
pub async fn admit_concurrent_requests_exact_limit(store: Arc<dyn Store>) {
    let key = user_key(&*store, "parallel").await;
    let limits = rate(10, 0, 0);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..50 {
        let store = Arc::clone(&store);
        tasks.spawn(async move { store.admit(key.id, RequestKind::Generate, 1, limits, at(index)).await });
    }

    let mut admitted = 0;
    let mut rejected = 0;
    while let Some(result) = tasks.join_next().await {
        match result.expect("the task finished") {
            Ok(_) => admitted += 1,
            Err(AdmitError::Rejected(_)) => rejected += 1,
            Err(AdmitError::Store(error)) => panic!("the store failed under parallel requests: {error}"),
        }
    }
    assert_eq!(admitted, 10);
    assert_eq!(rejected, 40);
    let usage = store.usage(key.id, at(100)).await.expect("usage");
    assert_eq!(usage.generate.minute, 10, "only admitted requests are recorded");
}

/// Checks that a request recorded with a later time than `now` still counts, so requests that
/// reach the database out of order never exceed the limit.
pub async fn admit_counts_later_records(store: &dyn Store) {
    let key = user_key(store, "reordered").await;
    let limits = rate(1, 0, 0);
    admit_generate(store, key.id, limits, at(1_000)).await;
    let rejection = reject_generate(store, key.id, limits, at(500)).await;
    assert_eq!(rejection.retry_at, at(1_000 + Millis::MINUTE));
    assert_eq!(rejection.retry_after, Duration::from_millis(60_500));
}
