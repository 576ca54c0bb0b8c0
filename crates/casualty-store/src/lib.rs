//! The persistent state of the casualty generation service: API keys, rate-limit counters,
//! generation jobs and saved configurations, behind one [`Store`] trait.
//!
//! [`SqliteStore`] keeps everything in one SQLite file in the service's data folder, for one
//! service instance. [`PgStore`] keeps it in a PostgreSQL database that several instances share.
//! Both pass the same backend-neutral tests (the `testsuite` feature) and keep the semantics
//! described in `docs/store.md`.
//!
//! The store never reads the clock: every operation that records or compares a time takes
//! `now` as [`Millis`].
//!
//! ```no_run
//! # async fn example() -> Result<(), casualty_store::StoreError> {
//! use std::sync::Arc;
//! use casualty_store::{KeyKind, KeyLimits, Millis, NewKey, SqliteStore, Store};
//!
//! let store: Arc<dyn Store> = Arc::new(SqliteStore::open(std::path::Path::new("casualty-data")).await?);
//! let new = NewKey { name: "Exercise planning".into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
//! let (key, secret) = store.create_key(new, Millis::now()).await?;
//! println!("created key {} ({})", key.id, key.display_prefix);
//! # drop(secret);
//! # Ok(())
//! # }
//! ```

pub mod configurations;
mod error;
mod ids;
pub mod jobs;
pub mod keys;
pub mod limits;
mod postgres;
mod rows;
mod sqlite;
#[cfg(feature = "testsuite")]
#[doc(hidden)]
pub mod testsuite;
mod time;

use async_trait::async_trait;
use serde_json::Value;

pub use crate::configurations::{Configuration, ConfigurationId};
pub use crate::error::{AdmitError, AuthError, StoreError};
pub use crate::ids::ParseIdError;
pub use crate::jobs::{Job, JobControl, JobEvent, JobId, JobStatus, Lease, NewJob, OutputFile, Priority, RecoveredJob};
pub use crate::keys::{ApiKey, EnsuredKey, KeyId, KeyKind, KeyLimits, KeySecret, KeyStatus, NewKey, RateLimits};
pub use crate::limits::{Quota, Rejection, RequestKind, Usage, Window, WindowCounts};
pub use crate::postgres::{redact_database_url, PgStore};
pub use crate::sqlite::{SqliteStore, DATABASE_FILE};
pub use crate::time::{Millis, ParseTimeError};

/// The service's persistent state. Every implementation keeps the same semantics, checked by
/// the shared test suite: tenant isolation in every owner-scoped query, atomic rate limiting,
/// and the job state machine of [`JobStatus::can_become`].
///
/// Owner-scoped operations take the owner's [`KeyId`] and treat another key's entity as missing:
/// getters return `None` and changes return [`StoreError::NotFound`].
#[async_trait]
pub trait Store: Send + Sync {
    /// Makes one round trip to the database, for the service's readiness check.
    async fn ping(&self) -> Result<(), StoreError>;

    // --- API keys ---------------------------------------------------------------------------

    /// Creates a key with a new random secret and returns the key and the secret. The secret is
    /// shown once: only its SHA-256 is stored.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for an invalid name or an expiry time not after `now`.
    async fn create_key(&self, new: NewKey, now: Millis) -> Result<(ApiKey, KeySecret), StoreError>;

    /// Creates a key with a secret chosen by the caller, unless a key with that secret exists,
    /// which is then returned unchanged (even when disabled or revoked). This is how the
    /// service installs the built-in demo key and an operator key given by its environment.
    /// Several instances may call it at once; one key results.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for a secret of fewer than 24 or more than 256 printable
    /// ASCII characters, or an invalid `new`.
    async fn ensure_key_with_secret(&self, new: NewKey, secret: &str, now: Millis) -> Result<EnsuredKey, StoreError>;

    /// Finds the key whose secret is `secret`, checks that it can be used at `now` and records
    /// `now` as its last use.
    ///
    /// # Errors
    ///
    /// [`AuthError::Unknown`], [`AuthError::Revoked`], [`AuthError::Expired`] or
    /// [`AuthError::Disabled`], checked in that order, or [`AuthError::Store`].
    async fn authenticate(&self, secret: &str, now: Millis) -> Result<ApiKey, AuthError>;

    /// Returns the key with this id, if any.
    async fn get_key(&self, id: KeyId) -> Result<Option<ApiKey>, StoreError>;

    /// Returns every key, oldest first, including disabled, expired and revoked ones.
    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError>;

    /// Enables or disables a key and returns it. A disabled key fails authentication until it
    /// is enabled again.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or [`StoreError::KeyRevoked`] for a revoked key.
    async fn set_key_enabled(&self, id: KeyId, enabled: bool) -> Result<ApiKey, StoreError>;

    /// Revokes a key for good and returns it. Revoking a revoked key changes nothing and keeps
    /// the first revocation time.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`].
    async fn revoke_key(&self, id: KeyId, now: Millis) -> Result<ApiKey, StoreError>;

    /// Replaces a key's secret with a new random one and returns the key and the new secret.
    /// The id, name, limits and usage stay; the old secret stops working at once.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or [`StoreError::KeyRevoked`] for a revoked key.
    async fn rotate_key(&self, id: KeyId, now: Millis) -> Result<(ApiKey, KeySecret), StoreError>;

    /// Replaces a key's limits and returns the key.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], or [`StoreError::KeyRevoked`] for a revoked key.
    async fn update_key_limits(&self, id: KeyId, limits: KeyLimits) -> Result<ApiKey, StoreError>;

    // --- Rate limits ------------------------------------------------------------------------

    /// Admits a request of `kind` for key `key` at `now` when every limited window of `limits`
    /// holds fewer of the key's requests of that kind than its limit, and records it with the
    /// number of patients it requests (0 for reads). A window of length `w` contains the
    /// requests after `now - w`, including any recorded with a time after `now`. Counting and recording
    /// are one atomic step, so parallel calls never admit more than a limit.
    ///
    /// Returns the [`Quota`] left in the tightest limited window, or `None` when `limits` sets
    /// no limit.
    ///
    /// # Errors
    ///
    /// [`AdmitError::Rejected`] with the window and when to retry; nothing is recorded.
    /// [`AdmitError::Store`] with [`StoreError::NotFound`] for an unknown key.
    async fn admit(&self, key: KeyId, kind: RequestKind, patients: u64, limits: RateLimits, now: Millis) -> Result<Option<Quota>, AdmitError>;

    /// Returns a key's admitted requests and requested patients in the minute, hour and day
    /// ending at `now`, counted as `admit` counts them, and since its creation.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`] for an unknown key.
    async fn usage(&self, key: KeyId, now: Millis) -> Result<Usage, StoreError>;

    /// Deletes the request records that no window ending at `now` or later can count: those at
    /// least one day old. Returns how many were deleted. Lifetime totals are kept.
    async fn purge_request_records(&self, now: Millis) -> Result<u64, StoreError>;

    // --- Jobs -------------------------------------------------------------------------------

    /// Creates a pending job and records its creation event.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for no patients, no formats, or a `config` that is not a
    /// JSON object or contains a password field; [`StoreError::NotFound`] for an unknown owner.
    async fn create_job(&self, new: NewJob, now: Millis) -> Result<Job, StoreError>;

    /// Returns the owner's job with this id, or `None` when it does not exist or belongs to
    /// another key.
    async fn get_job(&self, owner: KeyId, id: JobId) -> Result<Option<Job>, StoreError>;

    /// Returns one page of the owner's jobs, newest first, optionally with one status only, and
    /// the number of matching jobs on all pages. Pages count from 1.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for page 0 or `per_page` outside 1 to 100.
    async fn list_jobs(&self, owner: KeyId, status: Option<JobStatus>, page: u32, per_page: u32) -> Result<(Vec<Job>, u64), StoreError>;

    /// Takes the pending job with the highest priority, the oldest among equals, and marks it
    /// running at `now` under `lease`, atomically: two workers never claim the same job, even on
    /// different instances. The claim counts as an attempt and its event names the instance.
    /// `None` when no job is pending.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for an invalid lease.
    async fn claim_next_job(&self, lease: &Lease, now: Millis) -> Result<Option<Job>, StoreError>;

    /// Records a running job's progress, renews its lease to `now` plus the duration of the
    /// claim, and returns whether the worker should go on. A cancellation requested through any
    /// instance reaches the worker here. When another instance than `instance` holds the claim,
    /// because this one's lease expired, nothing changes and the result is
    /// [`JobControl::Abandon`].
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidTransition`] when the job is not running (its target is `running`);
    /// [`StoreError::InvalidInput`] for an empty phase, a negative or non-finite rate or more
    /// patients than the job's total.
    async fn update_progress(&self, id: JobId, instance: &str, phase: &str, patients_done: u64, rate_per_second: Option<f64>, now: Millis) -> Result<JobControl, StoreError>;

    /// Marks a running job completed with its output files and run summary.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidTransition`] unless the job is running.
    async fn complete_job(&self, id: JobId, outputs: Vec<OutputFile>, summary: Value, now: Millis) -> Result<Job, StoreError>;

    /// Marks a running job failed with an error message, cut to 2,000 characters.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidTransition`] unless the job is running.
    async fn fail_job(&self, id: JobId, error: &str, now: Millis) -> Result<Job, StoreError>;

    /// Asks to cancel the owner's job. A pending job is cancelled at once; a running job keeps
    /// running until its worker calls [`Store::mark_cancelled`], and `update_progress` returns
    /// [`JobControl::Cancel`] meanwhile. Asking again changes nothing.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`]; [`StoreError::InvalidTransition`] for a completed or failed
    /// job.
    async fn request_cancel(&self, owner: KeyId, id: JobId, now: Millis) -> Result<Job, StoreError>;

    /// Marks a running job cancelled, after its worker stopped.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidTransition`] unless the job is running.
    async fn mark_cancelled(&self, id: JobId, now: Millis) -> Result<Job, StoreError>;

    /// Deletes the owner's finished job and its events, and returns it so that the caller can
    /// remove its output files.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`]; [`StoreError::JobNotFinished`] for a pending or running job.
    async fn delete_job(&self, owner: KeyId, id: JobId) -> Result<Job, StoreError>;

    /// Recovers the running jobs whose lease expired at or before `now`, because the instance
    /// running them stopped renewing it: a job that was claimed fewer than `max_attempts` times
    /// goes back to pending, and any other fails with [`jobs::INTERRUPTED_ERROR`]. Returns what
    /// happened to each, ordered by id. Every instance calls it at start-up and periodically.
    async fn recover_expired_jobs(&self, max_attempts: u32, now: Millis) -> Result<Vec<RecoveredJob>, StoreError>;

    /// Returns every key's finished jobs that finished before `cutoff`, oldest first, for the
    /// retention sweep.
    async fn jobs_finished_before(&self, cutoff: Millis) -> Result<Vec<Job>, StoreError>;

    /// Returns the status changes of the owner's job, oldest first, or `None` when the job does
    /// not exist or belongs to another key.
    async fn get_job_events(&self, owner: KeyId, id: JobId) -> Result<Option<Vec<JobEvent>>, StoreError>;

    /// Counts the jobs of every key in each status. Every status appears, with 0 when no job
    /// has it.
    async fn count_jobs_by_status(&self) -> Result<Vec<(JobStatus, u64)>, StoreError>;

    /// Returns how many database connections are checked out of the pool now, or `None` for a
    /// store without a connection pool.
    fn connections_in_use(&self) -> Option<u32> {
        None
    }

    // --- Saved configurations ---------------------------------------------------------------

    /// Saves a new configuration as version 1.
    ///
    /// # Errors
    ///
    /// [`StoreError::InvalidInput`] for an invalid name or a body that is not a JSON object or
    /// contains a password field; [`StoreError::NameTaken`] when the owner has one with this
    /// name; [`StoreError::NotFound`] for an unknown owner.
    async fn create_configuration(&self, owner: KeyId, name: &str, body: Value, now: Millis) -> Result<Configuration, StoreError>;

    /// Saves `body` as the next version of the owner's configuration and returns it. Earlier
    /// versions stay readable.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`]; [`StoreError::InvalidInput`] for an invalid body.
    async fn update_configuration(&self, owner: KeyId, id: ConfigurationId, body: Value, now: Millis) -> Result<Configuration, StoreError>;

    /// Returns one version of the owner's configuration, the newest when `version` is `None`.
    /// `None` when the configuration or the version does not exist, or belongs to another key.
    async fn get_configuration(&self, owner: KeyId, id: ConfigurationId, version: Option<u32>) -> Result<Option<Configuration>, StoreError>;

    /// Returns the newest version of each of the owner's configurations, sorted by name in
    /// byte order (so `Zulu` comes before `alpha`).
    async fn list_configurations(&self, owner: KeyId) -> Result<Vec<Configuration>, StoreError>;

    /// Deletes the owner's configuration with all its versions.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`].
    async fn delete_configuration(&self, owner: KeyId, id: ConfigurationId) -> Result<(), StoreError>;
}
