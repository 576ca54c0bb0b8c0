//! Conversions between SQLite rows and the store's types, and between driver errors and
//! `StoreError`.

use std::num::NonZeroU32;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use crate::configurations::Configuration;
use crate::error::StoreError;
use crate::jobs::{Job, JobEvent, JobStatus, OutputFile, Priority};
use crate::keys::{ApiKey, KeyKind, KeyLimits, RateLimits};
use crate::time::Millis;

/// The columns that [`key_from_row`] reads, in `SELECT` order.
pub(super) const KEY_COLUMNS: &str = "id, name, kind, display_prefix, patients_per_request, per_minute, per_hour, per_day, \
     expires_at, enabled, revoked_at, created_at, last_used_at, rotated_at";

/// The columns that [`job_from_row`] reads, in `SELECT` order.
pub(super) const JOB_COLUMNS: &str = "id, owner_key_id, status, priority, total_patients, formats, use_compression, use_encryption, \
     config, phase, patients_done, rate_per_second, cancel_requested_at, error, outputs, summary, created_at, started_at, updated_at, finished_at";

/// An output file as stored in the `outputs` JSON array of `jobs`.
#[derive(Serialize, Deserialize)]
struct StoredOutput {
    name: String,
    size_bytes: u64,
}

pub(super) fn key_from_row(row: &SqliteRow) -> Result<ApiKey, StoreError> {
    let rate = RateLimits {
        per_minute: limit(row.try_get("per_minute")?, "per_minute")?,
        per_hour: limit(row.try_get("per_hour")?, "per_hour")?,
        per_day: limit(row.try_get("per_day")?, "per_day")?,
    };
    Ok(ApiKey {
        id: parse(row.try_get("id")?, "api_keys.id")?,
        name: row.try_get("name")?,
        kind: parse::<KeyKind>(row.try_get("kind")?, "api_keys.kind")?,
        display_prefix: row.try_get("display_prefix")?,
        limits: KeyLimits { patients_per_request: limit(row.try_get("patients_per_request")?, "patients_per_request")?, rate },
        expires_at: optional_millis(row.try_get("expires_at")?),
        enabled: row.try_get("enabled")?,
        revoked_at: optional_millis(row.try_get("revoked_at")?),
        created_at: Millis::from_unix_millis(row.try_get("created_at")?),
        last_used_at: optional_millis(row.try_get("last_used_at")?),
        rotated_at: optional_millis(row.try_get("rotated_at")?),
    })
}

pub(super) fn job_from_row(row: &SqliteRow) -> Result<Job, StoreError> {
    let priority_rank: i64 = row.try_get("priority")?;
    let stored_outputs: Vec<StoredOutput> = json(row.try_get("outputs")?, "jobs.outputs")?;
    let summary: Option<String> = row.try_get("summary")?;
    Ok(Job {
        id: parse(row.try_get("id")?, "jobs.id")?,
        owner: parse(row.try_get("owner_key_id")?, "jobs.owner_key_id")?,
        status: parse::<JobStatus>(row.try_get("status")?, "jobs.status")?,
        priority: Priority::from_rank(priority_rank).ok_or_else(|| StoreError::Corrupt(format!("jobs.priority: unknown rank {priority_rank}")))?,
        total_patients: count(row.try_get("total_patients")?, "jobs.total_patients")?,
        formats: json(row.try_get("formats")?, "jobs.formats")?,
        use_compression: row.try_get("use_compression")?,
        use_encryption: row.try_get("use_encryption")?,
        config: json(row.try_get("config")?, "jobs.config")?,
        phase: row.try_get("phase")?,
        patients_done: count(row.try_get("patients_done")?, "jobs.patients_done")?,
        rate_per_second: row.try_get("rate_per_second")?,
        cancel_requested_at: optional_millis(row.try_get("cancel_requested_at")?),
        error: row.try_get("error")?,
        outputs: stored_outputs.into_iter().map(|output| OutputFile { name: output.name, size_bytes: output.size_bytes }).collect(),
        summary: summary.map(|text| json::<Value>(text, "jobs.summary")).transpose()?,
        created_at: Millis::from_unix_millis(row.try_get("created_at")?),
        started_at: optional_millis(row.try_get("started_at")?),
        updated_at: Millis::from_unix_millis(row.try_get("updated_at")?),
        finished_at: optional_millis(row.try_get("finished_at")?),
    })
}

pub(super) fn event_from_row(row: &SqliteRow) -> Result<JobEvent, StoreError> {
    let from: Option<String> = row.try_get("from_status")?;
    Ok(JobEvent {
        at: Millis::from_unix_millis(row.try_get("at")?),
        from: from.map(|text| parse::<JobStatus>(text, "job_events.from_status")).transpose()?,
        to: parse::<JobStatus>(row.try_get("to_status")?, "job_events.to_status")?,
        message: row.try_get("message")?,
    })
}

/// Reads a row of `configurations` joined with one of its `configuration_versions`, selected
/// with the columns of `SELECT_CONFIGURATION` in `configurations.rs`.
pub(super) fn configuration_from_row(row: &SqliteRow) -> Result<Configuration, StoreError> {
    Ok(Configuration {
        id: parse(row.try_get("id")?, "configurations.id")?,
        owner: parse(row.try_get("owner_key_id")?, "configurations.owner_key_id")?,
        name: row.try_get("name")?,
        version: version(row.try_get("version")?)?,
        latest_version: version(row.try_get("latest_version")?)?,
        body: json(row.try_get("body")?, "configuration_versions.body")?,
        created_at: Millis::from_unix_millis(row.try_get("created_at")?),
        version_created_at: Millis::from_unix_millis(row.try_get("version_created_at")?),
    })
}

/// Writes output files as the JSON array stored in `jobs.outputs`.
pub(super) fn outputs_json(outputs: &[OutputFile]) -> String {
    let stored: Vec<StoredOutput> = outputs.iter().map(|output| StoredOutput { name: output.name.clone(), size_bytes: output.size_bytes }).collect();
    serde_json::to_string(&stored).unwrap_or_else(|_| "[]".to_string())
}

/// Converts a count for an `INTEGER` column, whose maximum is `i64::MAX`.
pub(super) fn to_i64(value: u64, field: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::InvalidInput { field, value: value.to_string(), expected: format!("at most {}", i64::MAX) })
}

/// Returns the `NotFound` error for a foreign key violation (the referenced row is missing),
/// and wraps any other error.
pub(super) fn missing_reference(error: sqlx::Error, entity: &'static str, id: String) -> StoreError {
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
pub(super) fn limit_value(limit: Option<NonZeroU32>) -> Option<i64> {
    limit.map(|number| i64::from(number.get()))
}
