//! The store's error types: `StoreError` for every operation, `AuthError` for `authenticate` and
//! `AdmitError` for `admit`.

use std::path::PathBuf;

use crate::jobs::{JobId, JobStatus};
use crate::keys::KeyId;
use crate::limits::Rejection;
use crate::time::Millis;

/// A failed store operation.
///
/// The service maps `NotFound` to 404, `InvalidInput` to 400 or 422, `InvalidTransition`,
/// `JobNotFinished`, `KeyRevoked` and `NameTaken` to 409, and everything else to 500.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The data folder could not be created, or is not a folder.
    #[error("failed to create the data folder {path}: {source}")]
    CreateDataDir {
        /// The data folder.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The data folder or the database file cannot be written.
    #[error("the data folder {path} is not writable: {source}; give a folder that this user can write")]
    NotWritable {
        /// The folder or file that could not be written.
        path: PathBuf,
        /// The operating system's reason.
        source: std::io::Error,
    },
    /// The database could not be opened or configured.
    #[error("failed to open the database {path}: {source}")]
    Open {
        /// The database file.
        path: PathBuf,
        /// The database driver's reason.
        source: sqlx::Error,
    },
    /// The schema migrations failed, for example because the database was written by a newer
    /// version or an applied migration was changed afterwards.
    #[error("failed to migrate the database {path}: {source}")]
    Migrate {
        /// The database file.
        path: PathBuf,
        /// The migration runner's reason.
        source: sqlx::migrate::MigrateError,
    },
    /// The PostgreSQL server could not be reached or refused the connection.
    #[error("failed to connect to the database {url}: {source}")]
    Connect {
        /// The database URL, with its password replaced by `***`.
        url: String,
        /// The database driver's reason.
        source: sqlx::Error,
    },
    /// The schema migrations of a PostgreSQL database failed, for example because a newer
    /// version wrote it or an applied migration was changed afterwards.
    #[error("failed to migrate the database {url}: {source}")]
    MigrateDatabase {
        /// The database URL, with its password replaced by `***`.
        url: String,
        /// The migration runner's reason.
        source: sqlx::migrate::MigrateError,
    },
    /// No such entity, or it belongs to another API key. The two cases give the same error, so a
    /// key cannot learn which ids other keys use.
    #[error("{entity} {id} not found")]
    NotFound {
        /// The kind of entity: "API key", "job" or "configuration".
        entity: &'static str,
        /// The id that was looked for.
        id: String,
    },
    /// A value given to the store is out of range or malformed.
    #[error("{field}: invalid value {value}: expected {expected}")]
    InvalidInput {
        /// The field or argument, such as `per_page` or `name`.
        field: &'static str,
        /// The rejected value, shortened when long.
        value: String,
        /// The accepted values.
        expected: String,
    },
    /// A job status change that the state machine does not allow, such as completing a
    /// cancelled job. Nothing was changed.
    #[error("job {job} is {from} and cannot become {to}")]
    InvalidTransition {
        /// The job.
        job: JobId,
        /// Its current status.
        from: JobStatus,
        /// The requested status.
        to: JobStatus,
    },
    /// A job that is still pending or running cannot be deleted.
    #[error("job {job} is {status}: only a completed, failed or cancelled job can be deleted; cancel it first")]
    JobNotFinished {
        /// The job.
        job: JobId,
        /// Its current status.
        status: JobStatus,
    },
    /// A revoked API key cannot be enabled, rotated or given new limits.
    #[error("API key {key} is revoked and cannot be changed; create a new key instead")]
    KeyRevoked {
        /// The key.
        key: KeyId,
    },
    /// Another entity of the same owner already has this name.
    #[error("a {entity} named {name:?} already exists; choose another name")]
    NameTaken {
        /// The kind of entity: "configuration".
        entity: &'static str,
        /// The name.
        name: String,
    },
    /// A stored value cannot be read back, for example an unknown status in a row written by
    /// another program.
    #[error("invalid stored data: {0}")]
    Corrupt(String),
    /// The operating system's random number generator failed.
    #[error("failed to read random bytes from the operating system: {0}")]
    Random(#[from] rand::rand_core::OsError),
    /// A database query failed.
    #[error("database query failed: {0}")]
    Database(#[from] sqlx::Error),
}

/// The reason `authenticate` rejected a secret. The service responds 401 to the first four and
/// 500 to `Store`. It may name the reason to the caller, because each of the four requires the
/// caller to do something different.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// No key has this secret. Also returned for a malformed secret.
    #[error("unknown API key")]
    Unknown,
    /// The key exists but is disabled.
    #[error("API key {key} is disabled")]
    Disabled {
        /// The key.
        key: KeyId,
    },
    /// The key was revoked.
    #[error("API key {key} was revoked at {at}")]
    Revoked {
        /// The key.
        key: KeyId,
        /// When it was revoked.
        at: Millis,
    },
    /// The key's expiry time has passed.
    #[error("API key {key} expired at {at}")]
    Expired {
        /// The key.
        key: KeyId,
        /// When it expired.
        at: Millis,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The reason `admit` did not admit a request.
#[derive(Debug, thiserror::Error)]
pub enum AdmitError {
    /// A rate limit is reached; nothing was recorded.
    #[error(transparent)]
    Rejected(Rejection),
    /// The store failed, or the key does not exist.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for AuthError {
    fn from(error: sqlx::Error) -> Self {
        AuthError::Store(StoreError::Database(error))
    }
}

impl From<sqlx::Error> for AdmitError {
    fn from(error: sqlx::Error) -> Self {
        AdmitError::Store(StoreError::Database(error))
    }
}

/// Shortens a value for an error message to at most 80 characters.
pub(crate) fn shorten(value: &str) -> String {
    const LIMIT: usize = 80;
    if value.chars().count() <= LIMIT {
        return value.to_string();
    }
    let mut short: String = value.chars().take(LIMIT - 3).collect();
    short.push_str("...");
    short
}
