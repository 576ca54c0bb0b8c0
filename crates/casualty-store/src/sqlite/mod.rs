//! `SqliteStore`: the [`Store`] in one SQLite file, `casualty.db`, in the service's data folder.
//!
//! The database runs in WAL mode, so readers do not wait for the writer, with foreign keys on
//! and a busy timeout. Every transaction that reads before it writes starts with
//! `BEGIN IMMEDIATE`, which takes the write lock at once. Two such transactions then run one
//! after the other instead of both reading the same state. SQLite would otherwise abort the
//! second writer with `SQLITE_BUSY` after it has read.

mod configurations;
mod jobs;
mod keys;
mod limits;


use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous};

use crate::configurations::{Configuration, ConfigurationId};
use crate::error::{AdmitError, AuthError, StoreError};
use crate::jobs::{Job, JobControl, JobEvent, JobId, JobStatus, Lease, NewJob, OutputFile, RecoveredJob};
use crate::keys::{ApiKey, EnsuredKey, KeyId, KeyLimits, KeySecret, NewKey, RateLimits};
use crate::limits::{Quota, RequestKind, Usage};
use crate::time::Millis;
use crate::Store;

/// The database file's name inside the data folder.
pub const DATABASE_FILE: &str = "casualty.db";

/// How long a statement waits for another connection's write lock before it fails.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Connections in the pool. SQLite has one writer at a time, so more connections only help
/// readers, which WAL lets run beside the writer.
const MAX_CONNECTIONS: u32 = 4;

/// The schema migrations in `migrations/`, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations");

/// A [`Store`] kept in `casualty.db` in a data folder.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens the store in `data_dir`, creating the folder and `casualty.db` when missing and
    /// applying the schema migrations that the file does not have yet. Opening an up-to-date
    /// database changes nothing.
    ///
    /// # Errors
    ///
    /// - [`StoreError::CreateDataDir`] when the folder cannot be created or is a file.
    /// - [`StoreError::NotWritable`] when the folder or the database file cannot be written.
    /// - [`StoreError::Open`] when SQLite cannot open the file.
    /// - [`StoreError::Migrate`] when the schema cannot be brought up to date, for example
    ///   because a newer version wrote the file.
    pub async fn open(data_dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(data_dir).map_err(|source| StoreError::CreateDataDir { path: data_dir.to_path_buf(), source })?;
        check_writable(data_dir)?;

        let path = data_dir.join(DATABASE_FILE);
        // SQLite's own message for an unwritable file is "unable to open database file", which
        // names no path, so the file is opened for writing here first.
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .map_err(|source| StoreError::NotWritable { path: path.clone(), source })?;

        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // With WAL, NORMAL never corrupts the database. A power cut may roll back the
            // transactions committed since the last sync of the WAL file.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Open { path: path.clone(), source })?;

        MIGRATOR.run(&pool).await.map_err(|source| StoreError::Migrate { path: path.clone(), source })?;
        Ok(SqliteStore { pool, path })
    }

    /// Returns the path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Closes every connection after the operations under way finish. Later operations fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Creates and removes a temporary file in `data_dir`, because WAL mode needs to create the
/// `-wal` and `-shm` files beside the database even when the database file itself is writable.
fn check_writable(data_dir: &Path) -> Result<(), StoreError> {
    tempfile::Builder::new()
        .prefix(".casualty-write-check")
        .tempfile_in(data_dir)
        .map(drop)
        .map_err(|source| StoreError::NotWritable { path: data_dir.to_path_buf(), source })
}

#[async_trait]
impl Store for SqliteStore {
    async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_key(&self, new: NewKey, now: Millis) -> Result<(ApiKey, KeySecret), StoreError> {
        keys::create_key(&self.pool, new, now).await
    }

    async fn ensure_key_with_secret(&self, new: NewKey, secret: &str, now: Millis) -> Result<EnsuredKey, StoreError> {
        keys::ensure_key_with_secret(&self.pool, new, secret, now).await
    }

    async fn authenticate(&self, secret: &str, now: Millis) -> Result<ApiKey, AuthError> {
        keys::authenticate(&self.pool, secret, now).await
    }

    async fn get_key(&self, id: KeyId) -> Result<Option<ApiKey>, StoreError> {
        keys::get_key(&self.pool, id).await
    }

    async fn list_keys(&self) -> Result<Vec<ApiKey>, StoreError> {
        keys::list_keys(&self.pool).await
    }

    async fn set_key_enabled(&self, id: KeyId, enabled: bool) -> Result<ApiKey, StoreError> {
        keys::set_key_enabled(&self.pool, id, enabled).await
    }

    async fn revoke_key(&self, id: KeyId, now: Millis) -> Result<ApiKey, StoreError> {
        keys::revoke_key(&self.pool, id, now).await
    }

    async fn rotate_key(&self, id: KeyId, now: Millis) -> Result<(ApiKey, KeySecret), StoreError> {
        keys::rotate_key(&self.pool, id, now).await
    }

    async fn update_key_limits(&self, id: KeyId, limits: KeyLimits) -> Result<ApiKey, StoreError> {
        keys::update_key_limits(&self.pool, id, limits).await
    }

    async fn admit(&self, key: KeyId, kind: RequestKind, patients: u64, limits: RateLimits, now: Millis) -> Result<Option<Quota>, AdmitError> {
        limits::admit(&self.pool, key, kind, patients, limits, now).await
    }

    async fn usage(&self, key: KeyId, now: Millis) -> Result<Usage, StoreError> {
        limits::usage(&self.pool, key, now).await
    }

    async fn purge_request_records(&self, now: Millis) -> Result<u64, StoreError> {
        limits::purge_request_records(&self.pool, now).await
    }

    async fn create_job(&self, new: NewJob, now: Millis) -> Result<Job, StoreError> {
        jobs::create_job(&self.pool, new, now).await
    }

    async fn get_job(&self, owner: KeyId, id: JobId) -> Result<Option<Job>, StoreError> {
        jobs::get_job(&self.pool, owner, id).await
    }

    async fn list_jobs(&self, owner: KeyId, status: Option<JobStatus>, page: u32, per_page: u32) -> Result<(Vec<Job>, u64), StoreError> {
        jobs::list_jobs(&self.pool, owner, status, page, per_page).await
    }

    async fn claim_next_job(&self, lease: &Lease, now: Millis) -> Result<Option<Job>, StoreError> {
        jobs::claim_next_job(&self.pool, lease, now).await
    }

    async fn update_progress(&self, id: JobId, instance: &str, phase: &str, patients_done: u64, rate_per_second: Option<f64>, now: Millis) -> Result<JobControl, StoreError> {
        jobs::update_progress(&self.pool, id, instance, phase, patients_done, rate_per_second, now).await
    }

    async fn complete_job(&self, id: JobId, outputs: Vec<OutputFile>, summary: Value, now: Millis) -> Result<Job, StoreError> {
        jobs::complete_job(&self.pool, id, outputs, summary, now).await
    }

    async fn fail_job(&self, id: JobId, error: &str, now: Millis) -> Result<Job, StoreError> {
        jobs::fail_job(&self.pool, id, error, now).await
    }

    async fn request_cancel(&self, owner: KeyId, id: JobId, now: Millis) -> Result<Job, StoreError> {
        jobs::request_cancel(&self.pool, owner, id, now).await
    }

    async fn mark_cancelled(&self, id: JobId, now: Millis) -> Result<Job, StoreError> {
        jobs::mark_cancelled(&self.pool, id, now).await
    }

    async fn delete_job(&self, owner: KeyId, id: JobId) -> Result<Job, StoreError> {
        jobs::delete_job(&self.pool, owner, id).await
    }

    async fn recover_expired_jobs(&self, max_attempts: u32, now: Millis) -> Result<Vec<RecoveredJob>, StoreError> {
        jobs::recover_expired_jobs(&self.pool, max_attempts, now).await
    }

    async fn jobs_finished_before(&self, cutoff: Millis) -> Result<Vec<Job>, StoreError> {
        jobs::jobs_finished_before(&self.pool, cutoff).await
    }

    async fn get_job_events(&self, owner: KeyId, id: JobId) -> Result<Option<Vec<JobEvent>>, StoreError> {
        jobs::get_job_events(&self.pool, owner, id).await
    }

    async fn count_jobs_by_status(&self) -> Result<Vec<(JobStatus, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = sqlx::query_as("SELECT status, COUNT(*) FROM jobs GROUP BY status").fetch_all(&self.pool).await?;
        let mut counts: Vec<(JobStatus, u64)> = JobStatus::ALL.iter().map(|status| (*status, 0)).collect();
        for (name, count) in rows {
            let status: JobStatus = name.parse()?;
            if let Some(entry) = counts.iter_mut().find(|(known, _)| *known == status) {
                entry.1 = u64::try_from(count).unwrap_or(0);
            }
        }
        Ok(counts)
    }

    fn connections_in_use(&self) -> Option<u32> {
        // `size` counts open connections, idle or not; both are read without locking, so the
        // difference is a snapshot that may be off by one while a connection changes hands.
        let idle = u32::try_from(self.pool.num_idle()).unwrap_or(u32::MAX);
        Some(self.pool.size().saturating_sub(idle))
    }

    async fn create_configuration(&self, owner: KeyId, name: &str, body: Value, now: Millis) -> Result<Configuration, StoreError> {
        configurations::create_configuration(&self.pool, owner, name, body, now).await
    }

    async fn update_configuration(&self, owner: KeyId, id: ConfigurationId, body: Value, now: Millis) -> Result<Configuration, StoreError> {
        configurations::update_configuration(&self.pool, owner, id, body, now).await
    }

    async fn get_configuration(&self, owner: KeyId, id: ConfigurationId, version: Option<u32>) -> Result<Option<Configuration>, StoreError> {
        configurations::get_configuration(&self.pool, owner, id, version).await
    }

    async fn list_configurations(&self, owner: KeyId) -> Result<Vec<Configuration>, StoreError> {
        configurations::list_configurations(&self.pool, owner).await
    }

    async fn delete_configuration(&self, owner: KeyId, id: ConfigurationId) -> Result<(), StoreError> {
        configurations::delete_configuration(&self.pool, owner, id).await
    }
}
