//! Job queries of `PgStore`. Every status change locks the job's row (`SELECT ... FOR UPDATE`),
//! reads its status and writes the new one and its event in one transaction, so two changes of
//! one job, from any instances, cannot both pass the state-machine check. Claims skip the rows
//! that another instance has locked (`FOR UPDATE SKIP LOCKED`), so each job goes to one worker.

use serde_json::Value;
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, Transaction};

use crate::error::StoreError;
use crate::jobs::{claim_message, recovery_message};
use crate::jobs::{
    page_offset, truncate_error, validate_lease, validate_new_job, validate_progress, Job, JobControl, JobEvent, JobId, JobStatus, Lease, NewJob, OutputFile,
    RecoveredJob, INTERRUPTED_ERROR,
};
use crate::keys::KeyId;
use crate::rows::{event_from_row, job_from_row, missing_reference, outputs_json, to_i64, JOB_COLUMNS};
use crate::time::Millis;

pub(super) async fn create_job(pool: &PgPool, new: NewJob, now: Millis) -> Result<Job, StoreError> {
    validate_new_job(&new)?;
    let id = JobId::random();
    let formats = serde_json::to_string(&new.formats).map_err(|error| StoreError::Corrupt(format!("formats: {error}")))?;
    let mut transaction = pool.begin().await?;
    sqlx::query(
        "INSERT INTO jobs (id, owner_key_id, status, priority, total_patients, formats, use_compression, use_encryption, config, created_at, updated_at, \
         received_by) VALUES ($1, $2, 'pending', $3, $4, $5, $6, $7, $8, $9, $9, $10)",
    )
    .bind(id.to_string())
    .bind(new.owner.to_string())
    .bind(new.priority.rank())
    .bind(to_i64(new.total_patients, "total_patients")?)
    .bind(formats)
    .bind(new.use_compression)
    .bind(new.use_encryption)
    .bind(new.config.to_string())
    .bind(now.as_unix_millis())
    .bind(new.received_by.as_deref())
    .execute(&mut *transaction)
    .await
    .map_err(|error| missing_reference(error, "API key", new.owner.to_string()))?;
    record_event(&mut transaction, id, None, JobStatus::Pending, None, now).await?;
    let job = select_job(&mut transaction, id).await?;
    transaction.commit().await?;
    Ok(job)
}

pub(super) async fn get_job(pool: &PgPool, owner: KeyId, id: JobId) -> Result<Option<Job>, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND owner_key_id = $2");
    let row = sqlx::query(&sql).bind(id.to_string()).bind(owner.to_string()).fetch_optional(pool).await?;
    row.as_ref().map(job_from_row).transpose()
}

pub(super) async fn list_jobs(pool: &PgPool, owner: KeyId, status: Option<JobStatus>, page: u32, per_page: u32) -> Result<(Vec<Job>, u64), StoreError> {
    let offset = page_offset(page, per_page)?;
    let status = status.map(JobStatus::as_str);
    // One snapshot for both queries, so the total matches the page.
    let mut transaction = pool.begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").await?;
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE owner_key_id = $1 AND ($2::TEXT IS NULL OR status = $2)")
        .bind(owner.to_string())
        .bind(status)
        .fetch_one(&mut *transaction)
        .await?;
    let sql = format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE owner_key_id = $1 AND ($2::TEXT IS NULL OR status = $2) \
         ORDER BY created_at DESC, seq DESC LIMIT $3 OFFSET $4"
    );
    let rows = sqlx::query(&sql).bind(owner.to_string()).bind(status).bind(i64::from(per_page)).bind(offset).fetch_all(&mut *transaction).await?;
    transaction.commit().await?;
    let jobs = rows.iter().map(job_from_row).collect::<Result<Vec<_>, _>>()?;
    Ok((jobs, total.unsigned_abs()))
}

pub(super) async fn claim_next_job(pool: &PgPool, lease: &Lease, now: Millis) -> Result<Option<Job>, StoreError> {
    validate_lease(lease)?;
    let mut transaction = pool.begin().await?;
    let sql = format!(
        "UPDATE jobs SET status = 'running', started_at = $1, updated_at = $1, claimed_by = $2, lease_ms = $3, lease_expires_at = $1 + $3, \
         attempts = attempts + 1 \
         WHERE seq = (SELECT seq FROM jobs WHERE status = 'pending' AND (received_by IS NULL OR received_by = $2 OR created_at <= $1 - $3) \
         ORDER BY priority DESC, created_at, seq LIMIT 1 FOR UPDATE SKIP LOCKED) \
         RETURNING {JOB_COLUMNS}"
    );
    let Some(row) = sqlx::query(&sql).bind(now.as_unix_millis()).bind(&lease.instance).bind(lease.duration_ms).fetch_optional(&mut *transaction).await? else {
        return Ok(None);
    };
    let job = job_from_row(&row)?;
    let message = claim_message(&lease.instance, job.attempts);
    record_event(&mut transaction, job.id, Some(JobStatus::Pending), JobStatus::Running, Some(&message), now).await?;
    transaction.commit().await?;
    Ok(Some(job))
}

pub(super) async fn update_progress(
    pool: &PgPool,
    id: JobId,
    instance: &str,
    phase: &str,
    patients_done: u64,
    rate_per_second: Option<f64>,
    now: Millis,
) -> Result<JobControl, StoreError> {
    validate_progress(phase, rate_per_second)?;
    let mut transaction = pool.begin().await?;
    let job = select_job(&mut transaction, id).await?;
    if job.status != JobStatus::Running {
        return Err(StoreError::InvalidTransition { job: id, from: job.status, to: JobStatus::Running });
    }
    if job.claimed_by.as_deref() != Some(instance) {
        return Ok(JobControl::Abandon);
    }
    if patients_done > job.total_patients {
        return Err(StoreError::InvalidInput {
            field: "patients_done",
            value: patients_done.to_string(),
            expected: format!("at most the job's total of {} patients", job.total_patients),
        });
    }
    sqlx::query(
        "UPDATE jobs SET phase = $2, patients_done = $3, rate_per_second = $4, updated_at = $5, lease_expires_at = $5 + COALESCE(lease_ms, 0) WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(phase)
    .bind(to_i64(patients_done, "patients_done")?)
    .bind(rate_per_second)
    .bind(now.as_unix_millis())
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(if job.cancel_requested_at.is_some() { JobControl::Cancel } else { JobControl::Continue })
}

pub(super) async fn complete_job(pool: &PgPool, id: JobId, outputs: Vec<OutputFile>, summary: Value, now: Millis) -> Result<Job, StoreError> {
    validate_outputs(&outputs)?;
    let mut transaction = pool.begin().await?;
    let from = check_transition(&mut transaction, id, JobStatus::Completed).await?;
    sqlx::query(
        "UPDATE jobs SET status = 'completed', patients_done = total_patients, outputs = $2, summary = $3, updated_at = $4, finished_at = $4, \
         lease_expires_at = NULL WHERE id = $1",
    )
    .bind(id.to_string())
    .bind(outputs_json(&outputs))
    .bind(summary.to_string())
    .bind(now.as_unix_millis())
    .execute(&mut *transaction)
    .await?;
    finish_transition(transaction, id, from, JobStatus::Completed, None, now).await
}

pub(super) async fn fail_job(pool: &PgPool, id: JobId, error: &str, now: Millis) -> Result<Job, StoreError> {
    let error = truncate_error(error);
    let mut transaction = pool.begin().await?;
    let from = check_transition(&mut transaction, id, JobStatus::Failed).await?;
    sqlx::query("UPDATE jobs SET status = 'failed', error = $2, updated_at = $3, finished_at = $3, lease_expires_at = NULL WHERE id = $1")
        .bind(id.to_string())
        .bind(&error)
        .bind(now.as_unix_millis())
        .execute(&mut *transaction)
        .await?;
    finish_transition(transaction, id, from, JobStatus::Failed, Some(&error), now).await
}

pub(super) async fn request_cancel(pool: &PgPool, owner: KeyId, id: JobId, now: Millis) -> Result<Job, StoreError> {
    let mut transaction = pool.begin().await?;
    let job = select_owned_job(&mut transaction, owner, id).await?.ok_or_else(|| job_not_found(id))?;
    match job.status {
        JobStatus::Pending => {
            sqlx::query("UPDATE jobs SET status = 'cancelled', cancel_requested_at = $2, updated_at = $2, finished_at = $2 WHERE id = $1")
                .bind(id.to_string())
                .bind(now.as_unix_millis())
                .execute(&mut *transaction)
                .await?;
            let message = "cancelled by its owner before it started";
            finish_transition(transaction, id, JobStatus::Pending, JobStatus::Cancelled, Some(message), now).await
        }
        JobStatus::Running if job.cancel_requested_at.is_none() => {
            sqlx::query("UPDATE jobs SET cancel_requested_at = $2, updated_at = $2 WHERE id = $1")
                .bind(id.to_string())
                .bind(now.as_unix_millis())
                .execute(&mut *transaction)
                .await?;
            let job = select_job(&mut transaction, id).await?;
            transaction.commit().await?;
            Ok(job)
        }
        JobStatus::Running | JobStatus::Cancelled => Ok(job),
        JobStatus::Completed | JobStatus::Failed => Err(StoreError::InvalidTransition { job: id, from: job.status, to: JobStatus::Cancelled }),
    }
}

pub(super) async fn mark_cancelled(pool: &PgPool, id: JobId, now: Millis) -> Result<Job, StoreError> {
    let mut transaction = pool.begin().await?;
    let from = check_transition(&mut transaction, id, JobStatus::Cancelled).await?;
    if from != JobStatus::Running {
        // A pending job is cancelled through `request_cancel`; this call is the worker's.
        return Err(StoreError::InvalidTransition { job: id, from, to: JobStatus::Cancelled });
    }
    sqlx::query("UPDATE jobs SET status = 'cancelled', updated_at = $2, finished_at = $2, lease_expires_at = NULL WHERE id = $1")
        .bind(id.to_string())
        .bind(now.as_unix_millis())
        .execute(&mut *transaction)
        .await?;
    finish_transition(transaction, id, from, JobStatus::Cancelled, None, now).await
}

pub(super) async fn delete_job(pool: &PgPool, owner: KeyId, id: JobId) -> Result<Job, StoreError> {
    let mut transaction = pool.begin().await?;
    let job = select_owned_job(&mut transaction, owner, id).await?.ok_or_else(|| job_not_found(id))?;
    if !job.status.is_finished() {
        return Err(StoreError::JobNotFinished { job: id, status: job.status });
    }
    sqlx::query("DELETE FROM jobs WHERE id = $1").bind(id.to_string()).execute(&mut *transaction).await?;
    transaction.commit().await?;
    Ok(job)
}

pub(super) async fn recover_expired_jobs(pool: &PgPool, max_attempts: u32, now: Millis) -> Result<Vec<RecoveredJob>, StoreError> {
    let mut transaction = pool.begin().await?;
    // A job running before leases existed has no expiry and counts as expired. Rows that
    // another instance is recovering or changing are skipped; they are handled there.
    let expired: Vec<(String, i64)> = sqlx::query_as(
        "SELECT id, attempts FROM jobs WHERE status = 'running' AND (lease_expires_at IS NULL OR lease_expires_at <= $1) ORDER BY id FOR UPDATE SKIP LOCKED",
    )
    .bind(now.as_unix_millis())
    .fetch_all(&mut *transaction)
    .await?;
    let mut recovered = Vec::with_capacity(expired.len());
    for (text, attempts) in expired {
        let id: JobId = text.parse().map_err(|_| StoreError::Corrupt(format!("jobs.id: unexpected value {text:?}")))?;
        let status = if attempts < i64::from(max_attempts) { JobStatus::Pending } else { JobStatus::Failed };
        let message = recovery_message(status, attempts);
        if status == JobStatus::Pending {
            sqlx::query("UPDATE jobs SET status = 'pending', phase = NULL, patients_done = 0, rate_per_second = NULL, lease_expires_at = NULL, updated_at = $2 WHERE id = $1")
                .bind(&text)
                .bind(now.as_unix_millis())
                .execute(&mut *transaction)
                .await?;
        } else {
            sqlx::query("UPDATE jobs SET status = 'failed', error = $2, lease_expires_at = NULL, updated_at = $3, finished_at = $3 WHERE id = $1")
                .bind(&text)
                .bind(INTERRUPTED_ERROR)
                .bind(now.as_unix_millis())
                .execute(&mut *transaction)
                .await?;
        }
        record_event(&mut transaction, id, Some(JobStatus::Running), status, Some(&message), now).await?;
        recovered.push(RecoveredJob { id, status });
    }
    transaction.commit().await?;
    Ok(recovered)
}

pub(super) async fn jobs_finished_before(pool: &PgPool, cutoff: Millis) -> Result<Vec<Job>, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1 ORDER BY finished_at, seq");
    let rows = sqlx::query(&sql).bind(cutoff.as_unix_millis()).fetch_all(pool).await?;
    rows.iter().map(job_from_row).collect()
}

pub(super) async fn get_job_events(pool: &PgPool, owner: KeyId, id: JobId) -> Result<Option<Vec<JobEvent>>, StoreError> {
    let mut transaction = pool.begin().await?;
    let owned: Option<i64> = sqlx::query_scalar("SELECT 1::BIGINT FROM jobs WHERE id = $1 AND owner_key_id = $2")
        .bind(id.to_string())
        .bind(owner.to_string())
        .fetch_optional(&mut *transaction)
        .await?;
    if owned.is_none() {
        return Ok(None);
    }
    let rows = sqlx::query("SELECT at, from_status, to_status, message FROM job_events WHERE job_id = $1 ORDER BY id")
        .bind(id.to_string())
        .fetch_all(&mut *transaction)
        .await?;
    transaction.commit().await?;
    rows.iter().map(event_from_row).collect::<Result<Vec<_>, _>>().map(Some)
}

/// Checks output file names, which the service joins to its output folder: relative paths of 1
/// to 255 characters whose parts are separated by `/`, with no empty, `.` or `..` part, no
/// backslash and no control character. FHIR output has a `fhir/` folder, so `/` is allowed.
fn validate_outputs(outputs: &[OutputFile]) -> Result<(), StoreError> {
    for output in outputs {
        let name = output.name.as_str();
        let valid = !name.is_empty()
            && name.chars().count() <= 255
            && name.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
            && !name.chars().any(|c| c == '\\' || c.is_control());
        if !valid {
            return Err(StoreError::InvalidInput {
                field: "outputs.name",
                value: format!("{:?}", crate::error::shorten(name)),
                expected: "a relative path of 1 to 255 characters with parts separated by `/`, none empty, `.` or `..`, and no backslash or control character"
                    .to_string(),
            });
        }
    }
    Ok(())
}

/// Reads the job's status and checks that it may become `to`; returns the current status.
async fn check_transition(transaction: &mut Transaction<'static, Postgres>, id: JobId, to: JobStatus) -> Result<JobStatus, StoreError> {
    let status: Option<String> =
        sqlx::query_scalar("SELECT status FROM jobs WHERE id = $1 FOR UPDATE").bind(id.to_string()).fetch_optional(&mut **transaction).await?;
    let Some(status) = status else {
        return Err(job_not_found(id));
    };
    let from: JobStatus = status.parse().map_err(|_| StoreError::Corrupt(format!("jobs.status: unexpected value {status:?}")))?;
    if !from.can_become(to) {
        return Err(StoreError::InvalidTransition { job: id, from, to });
    }
    Ok(from)
}

/// Records the event of a status change, commits and returns the changed job.
async fn finish_transition(
    mut transaction: Transaction<'static, Postgres>,
    id: JobId,
    from: JobStatus,
    to: JobStatus,
    message: Option<&str>,
    now: Millis,
) -> Result<Job, StoreError> {
    record_event(&mut transaction, id, Some(from), to, message, now).await?;
    let job = select_job(&mut transaction, id).await?;
    transaction.commit().await?;
    Ok(job)
}

async fn record_event(
    transaction: &mut Transaction<'static, Postgres>,
    id: JobId,
    from: Option<JobStatus>,
    to: JobStatus,
    message: Option<&str>,
    now: Millis,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO job_events (job_id, at, from_status, to_status, message) VALUES ($1, $2, $3, $4, $5)")
        .bind(id.to_string())
        .bind(now.as_unix_millis())
        .bind(from.map(JobStatus::as_str))
        .bind(to.as_str())
        .bind(message)
        .execute(&mut **transaction)
        .await?;
    Ok(())
}

async fn select_job(transaction: &mut Transaction<'static, Postgres>, id: JobId) -> Result<Job, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 FOR UPDATE");
    let row: Option<PgRow> = sqlx::query(&sql).bind(id.to_string()).fetch_optional(&mut **transaction).await?;
    row.as_ref().map(job_from_row).transpose()?.ok_or_else(|| job_not_found(id))
}

async fn select_owned_job(transaction: &mut Transaction<'static, Postgres>, owner: KeyId, id: JobId) -> Result<Option<Job>, StoreError> {
    let sql = format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1 AND owner_key_id = $2 FOR UPDATE");
    let row = sqlx::query(&sql).bind(id.to_string()).bind(owner.to_string()).fetch_optional(&mut **transaction).await?;
    row.as_ref().map(job_from_row).transpose()
}

fn job_not_found(id: JobId) -> StoreError {
    StoreError::NotFound { entity: "job", id: id.to_string() }
}
