//! Rate limits of `SqliteStore` around a clock boundary. A key that used its whole limit just
//! before a minute or an hour starts on the clock gets nothing more just after it, because the
//! windows slide instead of restarting at fixed times.

use std::num::NonZeroU32;

use casualty_store::{AdmitError, KeyKind, KeyLimits, Millis, NewKey, RateLimits, RequestKind, SqliteStore, Store, Window};

/// 2025-06-15T15:07:00Z, the start of a minute on the clock.
const MINUTE_BOUNDARY: Millis = Millis::from_unix_millis(1_750_000_020_000);

/// 2025-06-15T16:00:00Z, the start of an hour on the clock.
const HOUR_BOUNDARY: Millis = Millis::from_unix_millis(1_750_003_200_000);

fn limits(per_minute: u32, per_hour: u32) -> RateLimits {
    RateLimits { per_minute: NonZeroU32::new(per_minute), per_hour: NonZeroU32::new(per_hour), per_day: None }
}

async fn admitted(store: &SqliteStore, key: casualty_store::KeyId, limits: RateLimits, now: Millis) -> bool {
    match store.admit(key, RequestKind::Generate, 1, limits, now).await {
        Ok(_) => true,
        Err(AdmitError::Rejected(_)) => false,
        Err(AdmitError::Store(error)) => panic!("the store failed at {now}: {error}"),
    }
}

#[tokio::test]
async fn no_burst_across_clock_boundary() {
    assert_eq!(MINUTE_BOUNDARY.as_unix_millis() % Millis::MINUTE, 0, "a minute boundary");
    assert_eq!(HOUR_BOUNDARY.as_unix_millis() % Millis::HOUR, 0, "an hour boundary");
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(dir.path()).await.expect("the store opens");
    let new_key = |name: &str| NewKey { name: name.into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };

    // Ten requests in the last second of a minute use up a limit of 10 per minute.
    let (key, _) = store.create_key(new_key("minute"), MINUTE_BOUNDARY.plus_millis(-Millis::HOUR)).await.expect("a key");
    let per_minute = limits(10, 0);
    for offset in 0..10 {
        assert!(admitted(&store, key.id, per_minute, MINUTE_BOUNDARY.plus_millis(-1_000 + offset * 50)).await, "request {offset} before the boundary");
    }
    // A fixed window would start again at the boundary and admit ten more at once.
    for offset in [1, 500, 30_000, 58_999] {
        let now = MINUTE_BOUNDARY.plus_millis(offset);
        match store.admit(key.id, RequestKind::Generate, 1, per_minute, now).await {
            Err(AdmitError::Rejected(rejection)) => {
                assert_eq!(rejection.window, Window::Minute);
                assert_eq!(rejection.limit, 10);
                assert_eq!(rejection.retry_at, MINUTE_BOUNDARY.plus_millis(59_000), "the first request leaves the window a minute after it was made");
            }
            other => panic!("the request {offset} ms after the boundary is rejected, but: {other:?}"),
        }
    }
    // From then on, one request is admitted as each old one leaves the window.
    assert!(admitted(&store, key.id, per_minute, MINUTE_BOUNDARY.plus_millis(59_000)).await);
    assert!(!admitted(&store, key.id, per_minute, MINUTE_BOUNDARY.plus_millis(59_001)).await, "only one request has left");
    assert!(admitted(&store, key.id, per_minute, MINUTE_BOUNDARY.plus_millis(59_050)).await);

    // The same across the start of an hour, for a limit per hour.
    let (key, _) = store.create_key(new_key("hour"), HOUR_BOUNDARY.plus_millis(-Millis::DAY)).await.expect("a key");
    let per_hour = limits(0, 5);
    for offset in 0..5 {
        assert!(admitted(&store, key.id, per_hour, HOUR_BOUNDARY.plus_millis(-5 * Millis::MINUTE + offset * Millis::MINUTE)).await, "request {offset} before the boundary");
    }
    for offset in [1, Millis::MINUTE, 54 * Millis::MINUTE] {
        assert!(!admitted(&store, key.id, per_hour, HOUR_BOUNDARY.plus_millis(offset)).await, "the request {offset} ms after the hour starts is rejected");
    }
    assert!(admitted(&store, key.id, per_hour, HOUR_BOUNDARY.plus_millis(55 * Millis::MINUTE)).await, "the first request has left the hour");
    store.close().await;
}
