//! The backend-neutral test suite: every [`Store`] implementation must pass it.
//!
//! Each test is an async function that takes a fresh, empty store, either as `&dyn Store` or,
//! for the tests that spawn tokio tasks, as `Arc<dyn Store>`. A backend runs all of them with
//! one call of [`store_tests!`](crate::store_tests), given an async function that opens a fresh
//! store and returns it with a guard value (a temporary folder or a schema) kept alive during
//! the test:
//!
//! ```text
//! async fn fresh_store() -> (std::sync::Arc<dyn casualty_store::Store>, tempfile::TempDir) { ... }
//! casualty_store::store_tests!(fresh_store);
//! ```
//!
//! The tests set every time themselves, so they never depend on the clock.

pub mod configurations;
pub mod jobs;
pub mod keys;
pub mod limits;
pub mod postgres;

use std::num::NonZeroU32;

use serde_json::json;

use crate::{ApiKey, KeyId, KeyKind, KeyLimits, Lease, Millis, NewJob, NewKey, Priority, RateLimits, Store};

/// Generates one `#[tokio::test]` per test of the suite. `$open` is an async function that
/// returns `(Arc<dyn Store>, guard)` for a fresh, empty store. The calling crate needs `tokio`
/// with the `macros` and `rt-multi-thread` features.
#[macro_export]
macro_rules! store_tests {
    ($open:path) => {
        $crate::store_tests!(@borrowed $open;
            keys::create_key_returns_secret_once,
            keys::create_key_rejects_invalid_input,
            keys::authenticate_rejects_unknown_secret,
            keys::authenticate_rejects_disabled_key,
            keys::authenticate_rejects_revoked_key,
            keys::authenticate_rejects_expired_key,
            keys::rotate_key_replaces_secret,
            keys::update_key_limits_replaces_limits,
            keys::ensure_key_with_secret_is_idempotent,
            keys::key_operations_reject_unknown_id,
            keys::list_keys_returns_oldest_first,
            keys::ping_succeeds,
            limits::admit_counts_minute_boundary,
            limits::admit_returns_tightest_quota,
            limits::admit_reports_retry_after_oldest_request,
            limits::admit_limits_hour_and_day,
            limits::admit_reports_window_that_clears_last,
            limits::admit_counts_kinds_separately,
            limits::admit_waits_longer_after_lowered_limit,
            limits::admit_rejects_unknown_key,
            limits::admit_counts_later_records,
            limits::usage_counts_windows_and_patients,
            limits::purge_request_records_keeps_last_day,
            jobs::create_job_starts_pending,
            jobs::create_job_rejects_invalid_input,
            jobs::claim_next_job_follows_priority,
            jobs::job_lifecycle_completes,
            jobs::job_invalid_transitions_rejected,
            jobs::request_cancel_cancels_pending_job,
            jobs::request_cancel_signals_running_job,
            jobs::fail_job_records_error,
            jobs::update_progress_rejects_invalid_input,
            jobs::list_jobs_pages_and_filters,
            jobs::delete_job_requires_finished_job,
            jobs::claim_next_job_takes_lease,
            jobs::claim_next_job_prefers_receiving_instance,
            jobs::recover_expired_jobs_requeues_then_fails,
            jobs::jobs_finished_before_returns_old_jobs,
            jobs::count_jobs_by_status_counts_every_key,
            jobs::job_tenant_isolation,
            configurations::create_configuration_starts_at_version_one,
            configurations::update_configuration_keeps_versions,
            configurations::create_configuration_rejects_taken_name,
            configurations::configuration_rejects_invalid_input,
            configurations::delete_configuration_removes_versions,
            configurations::configuration_tenant_isolation,
        );
        $crate::store_tests!(@shared $open;
            limits::admit_concurrent_requests_exact_limit,
            jobs::claim_next_job_concurrent_claims_once,
        );
    };
    (@borrowed $open:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = $open().await;
                $crate::testsuite::$module::$name(&*store).await;
            }
        )*
    };
    (@shared $open:path; $($module:ident :: $name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = $open().await;
                $crate::testsuite::$module::$name(store).await;
            }
        )*
    };
}

/// 2025-06-15T15:06:40Z, the start of every test's timeline.
pub const T0: Millis = Millis::from_unix_millis(1_750_000_000_000);

/// Returns the time `offset` milliseconds after [`T0`].
pub fn at(offset: i64) -> Millis {
    T0.plus_millis(offset)
}

/// The lease duration of [`lease`], in milliseconds.
pub const LEASE_MS: i64 = 30_000;

/// Returns a lease of [`LEASE_MS`] for the instance `instance`.
pub fn lease(instance: &str) -> Lease {
    Lease { instance: instance.to_string(), duration_ms: LEASE_MS }
}

/// Creates a user key without limits at [`T0`].
pub async fn user_key(store: &dyn Store, name: &str) -> ApiKey {
    let new = NewKey { name: name.to_string(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
    store.create_key(new, T0).await.expect("a valid key is created").0
}

/// Returns a job request for `owner` with 100 patients in NDJSON.
pub fn new_job(owner: KeyId, priority: Priority) -> NewJob {
    NewJob {
        owner,
        priority,
        total_patients: 100,
        formats: vec!["ndjson".to_string()],
        use_compression: false,
        use_encryption: true,
        config: json!({"configuration": {"name": "Test", "count": 100}, "priority": priority.as_str()}),
        received_by: None,
    }
}

/// Returns rate limits, 0 meaning no limit in that window.
pub fn rate(per_minute: u32, per_hour: u32, per_day: u32) -> RateLimits {
    RateLimits { per_minute: NonZeroU32::new(per_minute), per_hour: NonZeroU32::new(per_hour), per_day: NonZeroU32::new(per_day) }
}
