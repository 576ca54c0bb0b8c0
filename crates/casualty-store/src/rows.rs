//! Conversions between database rows and the store's types, and between driver errors and
//! `StoreError`, shared by the SQLite and the PostgreSQL store. Both schemas use the same column
//! names, with text ids and JSON, integer times and counts, and booleans, so one reader serves
//! both through the small [`ReadRow`] trait.

use std::num::NonZeroU32;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::configurations::Configuration;
use crate::error::StoreError;
use crate::jobs::{Job, JobEvent, JobStatus, OutputFile, Priority};
use crate::keys::{ApiKey, KeyKind, KeyLimits, RateLimits};
use crate::time::Millis;

/// Typed column reads of one row. The two drivers decode the same Rust types, but sqlx's
/// `Row::try_get` has driver-specific bounds, so each driver implements this with the same body.
pub(crate) trait ReadRow {
    fn text(&self, column: &str) -> Result<String, sqlx::Error>;
    fn optional_text(&self, column: &str) -> Result<Option<String>, sqlx::Error>;
    fn integer(&self, column: &str) -> Result<i64, sqlx::Error>;
    fn optional_integer(&self, column: &str) -> Result<Option<i64>, sqlx::Error>;
    fn boolean(&self, column: &str) -> Result<bool, sqlx::Error>;
    fn optional_real(&self, column: &str) -> Result<Option<f64>, sqlx::Error>;
}

macro_rules! impl_read_row {
    ($row:ty) => {
        impl ReadRow for $row {
            fn text(&self, column: &str) -> Result<String, sqlx::Error> {
                self.try_get(column)
            }
            fn optional_text(&self, column: &str) -> Result<Option<String>, sqlx::Error> {
                self.try_get(column)
            }
            fn integer(&self, column: &str) -> Result<i64, sqlx::Error> {
                self.try_get(column)
            }
            fn optional_integer(&self, column: &str) -> Result<Option<i64>, sqlx::Error> {
                self.try_get(column)
            }
            fn boolean(&self, column: &str) -> Result<bool, sqlx::Error> {
                self.try_get(column)
            }
            fn optional_real(&self, column: &str) -> Result<Option<f64>, sqlx::Error> {
                self.try_get(column)
            }
        }
    };
}

impl_read_row!(SqliteRow);
impl_read_row!(PgRow);

/// The columns that [`key_from_row`] reads, in `SELECT` order.
pub(crate) const KEY_COLUMNS: &str = "id, name, kind, display_prefix, patients_per_request, per_minute, per_hour, per_day, \
     expires_at, enabled, revoked_at, created_at, last_used_at, rotated_at";

/// The columns that [`job_from_row`] reads, in `SELECT` order.
pub(crate) const JOB_COLUMNS: &str = "id, owner_key_id, status, priority, total_patients, formats, use_compression, use_encryption, \
     config, phase, patients_done, rate_per_second, cancel_requested_at, error, outputs, summary, created_at, started_at, updated_at, finished_at, claimed_by, lease_expires_at, attempts";

/// An output file as stored in the `outputs` JSON array of `jobs`.
#[derive(Serialize, Deserialize)]
struct StoredOutput {
    name: String,
    size_bytes: u64,
}

pub(crate) fn key_from_row(row: &impl ReadRow) -> Result<ApiKey, StoreError> {
    let rate = RateLimits {
        per_minute: limit(row.optional_integer("per_minute")?, "per_minute")?,
        per_hour: limit(row.optional_integer("per_hour")?, "per_hour")?,
        per_day: limit(row.optional_integer("per_day")?, "per_day")?,
    };
    Ok(ApiKey {
        id: parse(row.text("id")?, "api_keys.id")?,
        name: row.text("name")?,
        kind: parse::<KeyKind>(row.text("kind")?, "api_keys.kind")?,
        display_prefix: row.text("display_prefix")?,
        limits: KeyLimits { patients_per_request: limit(row.optional_integer("patients_per_request")?, "patients_per_request")?, rate },
        expires_at: optional_millis(row.optional_integer("expires_at")?),
        enabled: row.boolean("enabled")?,
        revoked_at: optional_millis(row.optional_integer("revoked_at")?),
        created_at: Millis::from_unix_millis(row.integer("created_at")?),
        last_used_at: optional_millis(row.optional_integer("last_used_at")?),
        rotated_at: optional_millis(row.optional_integer("rotated_at")?),
    })
}

pub(crate) fn job_from_row(row: &impl ReadRow) -> Result<Job, StoreError> {
    let priority_rank: i64 = row.integer("priority")?;
    let stored_outputs: Vec<StoredOutput> = json(row.text("outputs")?, "jobs.outputs")?;
    let summary: Option<String> = row.optional_text("summary")?;
    Ok(Job {
        id: parse(row.text("id")?, "jobs.id")?,
        owner: parse(row.text("owner_key_id")?, "jobs.owner_key_id")?,
        status: parse::<JobStatus>(row.text("status")?, "jobs.status")?,
        priority: Priority::from_rank(priority_rank).ok_or_else(|| StoreError::Corrupt(format!("jobs.priority: unknown rank {priority_rank}")))?,
        total_patients: count(row.integer("total_patients")?, "jobs.total_patients")?,
        formats: json(row.text("formats")?, "jobs.formats")?,
        use_compression: row.boolean("use_compression")?,
        use_encryption: row.boolean("use_encryption")?,
        config: json(row.text("config")?, "jobs.config")?,
        phase: row.optional_text("phase")?,
        patients_done: count(row.integer("patients_done")?, "jobs.patients_done")?,
        rate_per_second: row.optional_real("rate_per_second")?,
        cancel_requested_at: optional_millis(row.optional_integer("cancel_requested_at")?),
        error: row.optional_text("error")?,
        outputs: stored_outputs.into_iter().map(|output| OutputFile { name: output.name, size_bytes: output.size_bytes }).collect(),
        summary: summary.map(|text| json::<Value>(text, "jobs.summary")).transpose()?,
        created_at: Millis::from_unix_millis(row.integer("created_at")?),
        started_at: optional_millis(row.optional_integer("started_at")?),
        updated_at: Millis::from_unix_millis(row.integer("updated_at")?),
        finished_at: optional_millis(row.optional_integer("finished_at")?),
        claimed_by: row.optional_text("claimed_by")?,
        lease_expires_at: optional_millis(row.optional_integer("lease_expires_at")?),
        attempts: u32::try_from(row.integer("attempts")?).map_err(|_| StoreError::Corrupt("jobs.attempts: outside 0 to 4294967295".to_string()))?,
    })
}

pub(crate) fn event_from_row(row: &impl ReadRow) -> Result<JobEvent, StoreError> {
    let from: Option<String> = row.optional_text("from_status")?;
    Ok(JobEvent {
        at: Millis::from_unix_millis(row.integer("at")?),
        from: from.map(|text| parse::<JobStatus>(text, "job_events.from_status")).transpose()?,
        to: parse::<JobStatus>(row.text("to_status")?, "job_events.to_status")?,
        message: row.optional_text("message")?,
    })
}

/// Reads a row of `configurations` joined with one of its `configuration_versions`, selected
/// with the columns of `SELECT_CONFIGURATION` in `configurations.rs`.
pub(crate) fn configuration_from_row(row: &impl ReadRow) -> Result<Configuration, StoreError> {
    Ok(Configuration {
        id: parse(row.text("id")?, "configurations.id")?,
        owner: parse(row.text("owner_key_id")?, "configurations.owner_key_id")?,
        name: row.text("name")?,
        version: version(row.integer("version")?)?,
        latest_version: version(row.integer("latest_version")?)?,
        body: json(row.text("body")?, "configuration_versions.body")?,
        created_at: Millis::from_unix_millis(row.integer("created_at")?),
        version_created_at: Millis::from_unix_millis(row.integer("version_created_at")?),
    })
}

/// Writes output files as the JSON array stored in `jobs.outputs`.
pub(crate) fn outputs_json(outputs: &[OutputFile]) -> String {
    let stored: Vec<StoredOutput> = outputs.iter().map(|output| StoredOutput { name: output.name.clone(), size_bytes: output.size_bytes }).collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_string())
}

/// Converts a count for an `INTEGER` column, whose maximum is `i64::MAX`.
pub(crate) fn to_i64(value: u64, field: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidInput { field, value: value.to_string(), expected: format!("at most {}", i64::MAX) })
}

/// Returns the `NotFound` error for a foreign key violation (the referenced row is missing),
/// and wraps any other error.
pub(crate) fn missing_reference(error: sqlx::Error, entity: &'static str, id: String) -> StoreError {
    match &error {
        sqlx::Error::Database(database) if database.is_foreign_key_violation() => StoreError::NotFound { entity, id },
        _ => StoreError::Database(error),
    }
}

fn parse<T: FromStr>(text: String, column: &str) -> Result<T, StoreError> {
    text.parse().map_err(|_| StoreError::Corrupt(format!("{column}: unexpected value {text:?}")))
}

fn json<T: for<'de> Deserialize<'de>>(text: String, column: &str) -> Result<T, StoreError> {
    serde_json::from_str(&text).map_err(|error| StoreError::Corrupt(format!("{column}: invalid JSON: {error}")))
}

fn optional_millis(value: Option<i64>) -> Option<Millis> {
    value.map(Millis::from_unix_millis)
}

fn limit(value: Option<i64>, column: &str) -> Result<Option<NonZeroU32>, StoreError> {
    value
        .map(|number| {
            u32::try_from(number)
                .ok()
                .and_then(NonZeroU32::new)
                .ok_or_else(|| StoreError::Corrupt(format!("api_keys.{column}: limit {number} outside 1 to {}", u32::MAX)))
        })
        .transpose()
}

fn count(value: i64, column: &str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt(format!("{column}: negative count {value}")))
}

fn version(value: i64) -> Result<u32, StoreError> {
    u32::try_from(value).ok().filter(|number| *number >= 1).ok_or_else(|| StoreError::Corrupt(format!("configuration version {value} outside 1 to {}", u32::MAX)))
}

/// Binds a limit as an `INTEGER` or `NULL`.
pub(crate) fn limit_value(limit: Option<NonZeroU32>) -> Option<i64> {
    limit.map(|number| i64::from(number.get()))
}
