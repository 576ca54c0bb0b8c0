//! Generation jobs: their types, the status state machine and the checks shared by every
//! backend.
//!
//! ```text
//!             claim_next_job              complete_job
//!   pending ───────────────▶ running ───────────────▶ completed
//!    ▲ │ ◀─────────────────── │ │ │      fail_job
//!    │ │ recover_expired_jobs │ │ └─────────────────▶ failed
//!    │ │ request_cancel       │ │                     (also recover_expired_jobs)
//!    │ └──────────────────────┴─┴───────────────────▶ cancelled
//! ```
//!
//! A claim gives the job a lease: the claiming instance's id and an expiry time, renewed by every
//! `update_progress`. `recover_expired_jobs` puts a running job whose lease expired back to
//! pending, or fails it once it has used its attempts, so the job of an instance that died is run
//! again by another one.
//!
//! `request_cancel` cancels a pending job at once. On a running job it only records the request.
//! `update_progress` then returns `JobControl::Cancel` to the worker, which stops and calls
//! `mark_cancelled`.
//! Completed, failed and cancelled are final.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::error::{shorten, StoreError};
pub use crate::ids::JobId;
use crate::keys::KeyId;
use crate::time::Millis;

/// The error of a job whose lease expired after its last allowed attempt: the instance running it
/// stopped or lost the database without finishing it.
pub const INTERRUPTED_ERROR: &str = "interrupted: the server running the job stopped renewing its lease";
/// Maximum characters in a phase name given to `update_progress`.
pub const MAX_PHASE_CHARS: usize = 64;
/// Maximum characters kept of an error message given to `fail_job`; longer ones are cut.
pub const MAX_ERROR_CHARS: usize = 2_000;
/// Maximum jobs on one page of `list_jobs`.
pub const MAX_PER_PAGE: u32 = 100;
/// Object keys that may hold a password and are rejected anywhere in a stored document.
pub const SECRET_FIELDS: [&str; 2] = ["encryption_password", "password"];

/// The status of a job in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobStatus {
    /// Waiting for a worker.
    Pending,
    /// Claimed by a worker.
    Running,
    /// Finished with output files.
    Completed,
    /// Stopped by an error.
    Failed,
    /// Stopped at its owner's request.
    Cancelled,
}

impl JobStatus {
    /// Every status, in the order of a job's life.
    pub const ALL: [JobStatus; 5] = [JobStatus::Pending, JobStatus::Running, JobStatus::Completed, JobStatus::Failed, JobStatus::Cancelled];

    /// Returns the stored name: `pending`, `running`, `completed`, `failed` or `cancelled`.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Completed => "completed",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    /// Returns whether the status is final: completed, failed or cancelled.
    pub fn is_finished(self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Failed | JobStatus::Cancelled)
    }

    /// Returns whether a job may move from this status to `next`. This is the whole state
    /// machine; every backend checks it before changing a status.
    pub fn can_become(self, next: JobStatus) -> bool {
        use JobStatus::{Cancelled, Completed, Failed, Pending, Running};
        matches!((self, next), (Pending, Running) | (Pending, Cancelled) | (Running, Pending) | (Running, Completed) | (Running, Failed) | (Running, Cancelled))
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL.into_iter().find(|status| status.as_str() == text).ok_or_else(|| StoreError::InvalidInput {
            field: "status",
            value: format!("{:?}", shorten(text)),
            expected: "pending, running, completed, failed or cancelled".to_string(),
        })
    }
}

/// The order in which pending jobs are claimed: higher first, then older first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// Claimed after every normal and high job.
    Low,
    /// The default.
    Normal,
    /// Claimed before every normal and low job.
    High,
}

impl Priority {
    /// Every priority, lowest first.
    pub const ALL: [Priority; 3] = [Priority::Low, Priority::Normal, Priority::High];

    /// Returns `low`, `normal` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Priority::Low => "low",
            Priority::Normal => "normal",
            Priority::High => "high",
        }
    }

    /// Returns the stored rank: 0 for low, 1 for normal, 2 for high, so that a descending sort
    /// on the rank claims high first.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
        }
    }

    /// Returns the priority of a stored rank.
    pub fn from_rank(rank: i64) -> Option<Priority> {
        Priority::ALL.into_iter().find(|priority| priority.rank() == rank)
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = StoreError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Priority::ALL.into_iter().find(|priority| priority.as_str() == text).ok_or_else(|| StoreError::InvalidInput {
            field: "priority",
            value: format!("{:?}", shorten(text)),
            expected: "low, normal or high".to_string(),
        })
    }
}

/// The request of [`Store::create_job`](crate::Store::create_job).
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    /// The key that owns the job; only this key can see, cancel or delete it.
    pub owner: KeyId,
    /// The claim order.
    pub priority: Priority,
    /// Number of patients to generate, at least 1.
    pub total_patients: u64,
    /// Output format names, such as `ndjson`; at least one.
    pub formats: Vec<String>,
    /// Whether the outputs are gzip-compressed.
    pub use_compression: bool,
    /// Whether the outputs are encrypted. The password is never stored: the service keeps it in
    /// memory for the run.
    pub use_encryption: bool,
    /// The scenario or request body as JSON, an object. It must not contain a password: a key
    /// named `encryption_password` or `password` anywhere is rejected.
    pub config: Value,
    /// The instance that received the request and keeps in memory what the store must not
    /// keep, the encryption password. Other instances claim the job only after it waited for a
    /// lease's duration, when that instance is likely gone. `None` when any instance may run it.
    pub received_by: Option<String>,
}

/// An output file of a completed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The file name inside the job's output folder.
    pub name: String,
    /// Its size in bytes.
    pub size_bytes: u64,
}

/// A stored job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// The id.
    pub id: JobId,
    /// The key that owns the job.
    pub owner: KeyId,
    /// The current status.
    pub status: JobStatus,
    /// The claim order.
    pub priority: Priority,
    /// Number of patients to generate.
    pub total_patients: u64,
    /// Output format names.
    pub formats: Vec<String>,
    /// Whether the outputs are compressed.
    pub use_compression: bool,
    /// Whether the outputs are encrypted.
    pub use_encryption: bool,
    /// The scenario or request body.
    pub config: Value,
    /// The worker's last reported phase, such as `generating`.
    pub phase: Option<String>,
    /// Patients generated so far.
    pub patients_done: u64,
    /// The last reported generation rate, in patients per second.
    pub rate_per_second: Option<f64>,
    /// When the owner asked to cancel the job while it was running.
    pub cancel_requested_at: Option<Millis>,
    /// The error of a failed job.
    pub error: Option<String>,
    /// The output files of a completed job; empty otherwise.
    pub outputs: Vec<OutputFile>,
    /// The run summary of a completed job, as JSON.
    pub summary: Option<Value>,
    /// When the job was created.
    pub created_at: Millis,
    /// When a worker claimed it.
    pub started_at: Option<Millis>,
    /// When it last changed.
    pub updated_at: Millis,
    /// When it reached a final status.
    pub finished_at: Option<Millis>,
    /// The id of the service instance that claimed it last, kept after it finishes.
    pub claimed_by: Option<String>,
    /// When the running job's lease expires unless its instance renews it; `None` unless running.
    pub lease_expires_at: Option<Millis>,
    /// How many times a worker claimed it.
    pub attempts: u32,
}

/// The lease that a service instance takes on each job it claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The instance's id, unique among the instances sharing the database, 1 to 64 characters.
    pub instance: String,
    /// How long a claim lasts without renewal, in milliseconds; `update_progress` renews it.
    pub duration_ms: i64,
}

/// The outcome of [`crate::Store::recover_expired_jobs`] for one job whose lease expired.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecoveredJob {
    /// The job.
    pub id: JobId,
    /// [`JobStatus::Pending`] when it waits for another attempt, [`JobStatus::Failed`] when it
    /// used all of them.
    pub status: JobStatus,
}

/// Builds the message of a claim's event, which names the instance, for example
/// `claimed by instance a1b2 (attempt 1)`.
pub(crate) fn claim_message(instance: &str, attempt: u32) -> String {
    format!("claimed by instance {instance} (attempt {attempt})")
}

/// Builds the message of the event of a job recovered after its lease expired.
pub(crate) fn recovery_message(status: JobStatus, attempts: i64) -> String {
    match status {
        JobStatus::Pending => format!("lease expired after attempt {attempts}; queued again"),
        _ => format!("lease expired after attempt {attempts}, the last one allowed; {INTERRUPTED_ERROR}"),
    }
}

/// Checks a lease: an instance id of 1 to 64 printable ASCII characters and a positive duration.
pub(crate) fn validate_lease(lease: &Lease) -> Result<(), StoreError> {
    let instance_valid = !lease.instance.is_empty() && lease.instance.len() <= 64 && lease.instance.chars().all(|c| c.is_ascii_graphic());
    if !instance_valid {
        return Err(StoreError::InvalidInput {
            field: "lease.instance",
            value: format!("{:?}", shorten(&lease.instance)),
            expected: "1 to 64 printable ASCII characters without spaces".to_string(),
        });
    }
    if lease.duration_ms <= 0 {
        return Err(StoreError::InvalidInput { field: "lease.duration_ms", value: lease.duration_ms.to_string(), expected: "a positive number of milliseconds".to_string() });
    }
    Ok(())
}

/// One status change of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEvent {
    /// When it happened.
    pub at: Millis,
    /// The status before; `None` for the job's creation.
    pub from: Option<JobStatus>,
    /// The status after.
    pub to: JobStatus,
    /// Why, when known: the error of a failure, or who cancelled.
    pub message: Option<String>,
}

/// The instruction to a worker after it reports progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobControl {
    /// Go on.
    Continue,
    /// The owner asked to cancel: stop, remove partial output and call `mark_cancelled`.
    Cancel,
    /// The lease expired and another instance claimed the job: stop, remove partial output and
    /// record nothing, because the job belongs to that instance now.
    Abandon,
}

/// Checks a new job: at least one patient and one format, and a JSON object without passwords.
pub(crate) fn validate_new_job(new: &NewJob) -> Result<(), StoreError> {
    if new.total_patients == 0 || i64::try_from(new.total_patients).is_err() {
        return Err(StoreError::InvalidInput {
            field: "total_patients",
            value: new.total_patients.to_string(),
            expected: format!("a whole number from 1 to {}", i64::MAX),
        });
    }
    let format_valid = |name: &String| !name.is_empty() && name.len() <= 32 && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if new.formats.is_empty() || !new.formats.iter().all(format_valid) {
        return Err(StoreError::InvalidInput {
            field: "formats",
            value: format!("{:?}", new.formats),
            expected: "one or more format names of letters, digits, `_` and `-`".to_string(),
        });
    }
    validate_document("config", &new.config)
}

/// Checks a stored JSON document: an object, without a key that may hold a password at any
/// depth, because the store must never keep one.
pub(crate) fn validate_document(field: &'static str, document: &Value) -> Result<(), StoreError> {
    if !document.is_object() {
        return Err(StoreError::InvalidInput { field, value: shorten(&document.to_string()), expected: "a JSON object".to_string() });
    }
    match find_secret_field(document, field) {
        Some(path) => Err(StoreError::InvalidInput {
            field,
            value: format!("with a value at {path} (not shown)"),
            expected: "a document without passwords: remove it, since passwords are never stored".to_string(),
        }),
        None => Ok(()),
    }
}

/// Returns the path of the first object key in `SECRET_FIELDS`, such as
/// `config.configuration.encryption_password`.
fn find_secret_field(value: &Value, path: &str) -> Option<String> {
    match value {
        Value::Object(map) => map.iter().find_map(|(key, child)| {
            let child_path = format!("{path}.{key}");
            if SECRET_FIELDS.contains(&key.as_str()) {
                Some(child_path)
            } else {
                find_secret_field(child, &child_path)
            }
        }),
        Value::Array(items) => items.iter().enumerate().find_map(|(index, item)| find_secret_field(item, &format!("{path}[{index}]"))),
        _ => None,
    }
}

/// Checks the arguments of `update_progress`.
pub(crate) fn validate_progress(phase: &str, rate_per_second: Option<f64>) -> Result<(), StoreError> {
    let phase_valid = !phase.is_empty() && phase.chars().count() <= MAX_PHASE_CHARS && !phase.chars().any(char::is_control);
    if !phase_valid {
        return Err(StoreError::InvalidInput {
            field: "phase",
            value: format!("{:?}", shorten(phase)),
            expected: format!("1 to {MAX_PHASE_CHARS} characters without control characters"),
        });
    }
    match rate_per_second {
        Some(rate) if !rate.is_finite() || rate < 0.0 => Err(StoreError::InvalidInput {
            field: "rate_per_second",
            value: rate.to_string(),
            expected: "a finite number of patients per second, 0 or more".to_string(),
        }),
        _ => Ok(()),
    }
}

/// Checks the page arguments of `list_jobs` and returns the row offset.
pub(crate) fn page_offset(page: u32, per_page: u32) -> Result<i64, StoreError> {
    if page == 0 {
        return Err(StoreError::InvalidInput { field: "page", value: "0".to_string(), expected: "a page number from 1".to_string() });
    }
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(StoreError::InvalidInput {
            field: "per_page",
            value: per_page.to_string(),
            expected: format!("a whole number from 1 to {MAX_PER_PAGE}"),
        });
    }
    Ok(i64::from(page - 1) * i64::from(per_page))
}

/// Cuts an error message to `MAX_ERROR_CHARS` characters.
pub(crate) fn truncate_error(error: &str) -> String {
    error.chars().take(MAX_ERROR_CHARS).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn can_become_allows_only_the_diagram() {
        let allowed: Vec<(JobStatus, JobStatus)> = JobStatus::ALL
            .into_iter()
            .flat_map(|from| JobStatus::ALL.into_iter().map(move |to| (from, to)))
            .filter(|(from, to)| from.can_become(*to))
            .collect();
        use JobStatus::{Cancelled, Completed, Failed, Pending, Running};
        assert_eq!(allowed, vec![(Pending, Running), (Pending, Cancelled), (Running, Pending), (Running, Completed), (Running, Failed), (Running, Cancelled)]);
    }

    #[test]
    fn finished_statuses_are_final() {
        for status in JobStatus::ALL.into_iter().filter(|status| status.is_finished()) {
            assert!(JobStatus::ALL.into_iter().all(|next| !status.can_become(next)), "{status} changes");
        }
    }

    #[test]
    fn validate_document_rejects_nested_password() {
        let document = json!({"configuration": {"fronts": [{"encryption_password": "hunter22"}]}});
        let error = validate_document("config", &document).expect_err("a password is rejected");
        let message = error.to_string();
        assert!(message.contains("config.configuration.fronts[0].encryption_password"), "{message}");
        assert!(!message.contains("hunter22"), "{message}");
    }

    #[test]
    fn validate_document_requires_object() {
        assert!(validate_document("body", &json!([1, 2])).is_err());
        assert!(validate_document("body", &json!({"name": "ok"})).is_ok());
    }

    #[test]
    fn page_offset_checks_bounds() {
        assert_eq!(page_offset(1, 20).expect("valid"), 0);
        assert_eq!(page_offset(3, 20).expect("valid"), 40);
        assert!(page_offset(0, 20).is_err());
        assert!(page_offset(1, 0).is_err());
        assert!(page_offset(1, 101).is_err());
    }

    #[test]
    fn priority_rank_round_trips() {
        for priority in Priority::ALL {
            assert_eq!(Priority::from_rank(priority.rank()), Some(priority));
        }
        assert_eq!(Priority::from_rank(3), None);
    }
}
