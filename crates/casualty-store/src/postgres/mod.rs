//! `PgStore`: the [`Store`] in a PostgreSQL database that several service instances share.
//!
//! Each instance keeps a pool of connections. Transactions run at PostgreSQL's default
//! isolation, `READ COMMITTED`, and every read that a write depends on locks the rows it reads
//! (`SELECT ... FOR UPDATE`), so two instances changing the same job, key or configuration run
//! one after the other. A claim skips the jobs that another instance is claiming
//! (`FOR UPDATE SKIP LOCKED`) instead of waiting for them.

mod configurations;
mod jobs;
mod keys;
mod limits;

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

use crate::configurations::{Configuration, ConfigurationId};
use crate::error::{AdmitError, AuthError, StoreError};
use crate::jobs::{Job, JobControl, JobEvent, JobId, JobStatus, Lease, NewJob, OutputFile, RecoveredJob};
use crate::keys::{ApiKey, EnsuredKey, KeyId, KeyLimits, KeySecret, NewKey, RateLimits};
use crate::limits::{Quota, RequestKind, Usage};
use crate::time::Millis;
use crate::Store;

/// Connections in each instance's pool. A running job uses none between its progress reports,
/// so a few connections serve the workers and the requests of one instance.
const MAX_CONNECTIONS: u32 = 10;

/// How long an operation waits for a free connection, or for the server to accept one, before
/// it fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema migrations in `migrations-postgres/`, embedded at build time.
static MIGRATOR: Migrator = sqlx::migrate!("./migrations-postgres");

/// A [`Store`] kept in a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`, with
    /// any parameter that libpq's URLs accept and sqlx supports, such as `sslmode`) and applies
    /// the schema migrations that it does not have yet. Several instances may connect at once:
    /// sqlx takes a PostgreSQL advisory lock while it migrates, so one of them applies each
    /// migration.
    ///
    /// # Errors
    ///
    /// - [`StoreError::InvalidInput`] for a URL that is not a PostgreSQL URL.
    /// - [`StoreError::Connect`] when the server cannot be reached or refuses the connection.
    /// - [`StoreError::MigrateDatabase`] when the schema cannot be brought up to date, for
    ///   example because a newer version wrote the database.
    pub async fn connect(url: &str) -> Result<PgStore, StoreError> {
        let shown = redact_database_url(url);
        let invalid = |reason: String| StoreError::InvalidInput {
            field: "database_url",
            value: shown.clone(),
            expected: format!("a PostgreSQL URL such as postgres://user:password@localhost:5432/casualty ({reason})"),
        };
        // sqlx reads any URL's host and user, whatever its scheme, so the scheme is checked here.
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(invalid("the scheme must be postgres:// or postgresql://".to_string()));
        }
        let options: PgConnectOptions = url.parse().map_err(|error: sqlx::Error| invalid(error.to_string()))?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect { url: shown.clone(), source })?;
        MIGRATOR.run(&pool).await.map_err(|source| StoreError::MigrateDatabase { url: shown, source })?;
        Ok(PgStore { pool })
    }

    /// Closes every connection after the operations under way finish. Later operations fail.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Returns `url` with its password replaced by `***`, for logs and error messages. A text that
/// is not a URL is returned as `<invalid URL>`, because it may be a password itself.
pub fn redact_database_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() {
                // Setting a password fails only for URLs that cannot have one, which `password`
                // already excluded.
                let _ = parsed.set_password(Some("***"));
            }
            // libpq and sqlx also take the password as a query parameter.
            if parsed.query_pairs().any(|(key, _)| key.eq_ignore_ascii_case("password")) {
                let pairs: Vec<(String, String)> = parsed
                    .query_pairs()
                    .map(|(key, value)| {
                        let value = if key.eq_ignore_ascii_case("password") { "***".to_string() } else { value.into_owned() };
                        (key.into_owned(), value)
                    })
                    .collect();
                parsed.query_pairs_mut().clear().extend_pairs(pairs);
            }
            parsed.to_string()
        }
        Err(_) => "<invalid URL>".to_string(),
    }
}

#[async_trait]
impl Store for PgStore {
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
