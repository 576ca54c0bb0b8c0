//! Jobs of the caller: list, show, cancel, delete, and pages of their patients.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides};
use casualty_store::{Job, JobId, JobStatus, Millis};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// Largest page of `GET /jobs/` and `GET /jobs/{id}/results`.
pub const MAX_PER_PAGE: u32 = 1000;

/// Query of `GET /api/v1/jobs/`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    /// Page number, from 1.
    page: Option<u32>,
    /// Jobs per page, 1 to 1000.
    per_page: Option<u32>,
    /// Only jobs in this status.
    status: Option<String>,
}

/// Handles `GET /api/v1/jobs/`.
pub async fn list_jobs(State(state): State<AppState>, caller: Caller, Query(query): Query<ListQuery>) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let (page, per_page) = page_bounds(query.page, query.per_page, 20)?;
    let status = match query.status.as_deref() {
        None | Some("") => None,
        Some(text) => Some(parse_status(text)?),
    };
    let (jobs, total) = state.store.list_jobs(caller.key.id, status, page, per_page).await?;
    let items: Vec<Value> = jobs.iter().map(|job| job_view(&state, job)).collect();
    Ok(Json(json!({"jobs": items, "page": page, "per_page": per_page, "total": total})))
}

/// Handles `GET /api/v1/jobs/{id}`.
pub async fn get_job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    Ok(Json(job_view(&state, &job)))
}

/// Handles `POST /api/v1/jobs/{id}/cancel`.
pub async fn cancel_job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    if job.status.is_finished() {
        return Err(ApiError::conflict(format!("job {} is already {}; only pending or running jobs can be cancelled", job.id, job.status.as_str())));
    }
    // A pending job is cancelled at once. A running one stops at its next batch, well within a
    // second, and its worker removes the partial output.
    let before = job.status;
    let job = state.store.request_cancel(caller.key.id, job.id, Millis::now()).await?;
    if before == JobStatus::Pending && job.status == JobStatus::Cancelled {
        state.metrics.record_transition(Some(JobStatus::Pending), JobStatus::Cancelled);
    }
    state.jobs.cancel(job.id);
    tracing::info!(job.id = %job.id, api_key.id = %caller.key.id, "job cancellation requested");
    Ok(Json(job_view(&state, &job)))
}

/// Handles `DELETE /api/v1/jobs/{id}`: removes the job and its files.
pub async fn delete_job(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    state.store.delete_job(caller.key.id, job.id).await?;
    let folder = crate::worker::job_folder(&state.config, job.id);
    if let Err(error) = tokio::fs::remove_dir_all(&folder).await {
        if error.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(job.id = %job.id, error = %error, "failed to remove the outputs of a deleted job");
        }
    }
    state.jobs.remove(job.id);
    Ok(StatusCode::NO_CONTENT)
}

/// Query of `GET /api/v1/jobs/{id}/results`.
#[derive(Debug, Deserialize)]
pub struct ResultsQuery {
    page: Option<u32>,
    per_page: Option<u32>,
}

/// Handles `GET /api/v1/jobs/{id}/results`: one page of the job's patients.
///
/// Records are a pure function of the scenario, the seed and the index, so a page is generated
/// again from the job's stored scenario instead of being read from the output. It is byte for byte
/// the record in the output, and a page never needs the whole output in memory.
pub async fn job_results(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Query(query): Query<ResultsQuery>) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    if job.status != JobStatus::Completed {
        return Err(ApiError::conflict(format!("job {} is {}; results are available when it is completed", job.id, job.status.as_str())));
    }
    let (page, per_page) = page_bounds(query.page, query.per_page, 100)?;
    let start = (u64::from(page) - 1) * u64::from(per_page);
    let end = (start + u64::from(per_page)).min(job.total_patients);
    let config = job.config.clone();
    let patients = tokio::task::spawn_blocking(move || -> Result<Vec<Value>, String> {
        let request = parse_scenario_value(&config, CommandLineOverrides::default()).map_err(|e| e.to_string())?;
        let generator = Generator::new(&request.scenario);
        (start..end.max(start)).map(|index| serde_json::to_value(generator.patient(index)).map_err(|e| e.to_string())).collect()
    })
    .await
    .map_err(|error| ApiError::internal(&error))?
    .map_err(|error| ApiError::internal(&error))?;
    Ok(Json(json!({"job_id": job.id.to_string(), "page": page, "per_page": per_page, "total": job.total_patients, "patients": patients})))
}

/// Handles `GET /api/v1/jobs/{id}/patients/{patient_id}`: one patient of a completed job, by its
/// id or its sequence number.
///
/// A patient's id is derived from its index, so the index of an id is found by deriving ids in
/// order. That takes time in proportion to the job's size, but no index needs to be stored.
pub async fn job_patient(State(state): State<AppState>, caller: Caller, Path((id, patient_id)): Path<(String, String)>) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let job = find_job(&state, &caller, &id).await?;
    if job.status != JobStatus::Completed {
        return Err(ApiError::conflict(format!("job {} is {}; patients are available when it is completed", job.id, job.status.as_str())));
    }
    let wanted = PatientKey::parse(&patient_id).ok_or_else(|| ApiError::not_found(format!("patient {} not found: expected a patient id (UUID) or a sequence number", shorten(&patient_id))))?;
    let config = job.config.clone();
    let total = job.total_patients;
    let patient = tokio::task::spawn_blocking(move || -> Result<Option<Value>, String> {
        let request = parse_scenario_value(&config, CommandLineOverrides::default()).map_err(|e| e.to_string())?;
        let generator = Generator::new(&request.scenario);
        let index = match wanted {
            PatientKey::Sequence(index) => (index < total).then_some(index),
            PatientKey::Id(uuid) => (0..total).find(|&index| generator.patient_id(index) == uuid),
        };
        index.map(|index| serde_json::to_value(generator.patient(index)).map_err(|e| e.to_string())).transpose()
    })
    .await
    .map_err(|error| ApiError::internal(&error))?
    .map_err(|error| ApiError::internal(&error))?;
    patient.map(Json).ok_or_else(|| ApiError::not_found(format!("patient {} not found in job {}", shorten(&patient_id), job.id)))
}

/// The name of a patient in a path: its id or its sequence number.
enum PatientKey {
    Id(uuid::Uuid),
    Sequence(u64),
}

impl PatientKey {
    fn parse(text: &str) -> Option<PatientKey> {
        if let Ok(uuid) = text.parse::<uuid::Uuid>() {
            return Some(PatientKey::Id(uuid));
        }
        text.parse::<u64>().ok().map(PatientKey::Sequence)
    }
}

/// Reads a job of the caller by the id in a path.
pub(crate) async fn find_job(state: &AppState, caller: &Caller, id: &str) -> Result<Job, ApiError> {
    let job_id: JobId = id.parse().map_err(|_| ApiError::not_found(format!("job {} not found: a job id is a UUID", shorten(id))))?;
    state.store.get_job(caller.key.id, job_id).await?.ok_or_else(|| ApiError::not_found(format!("job {job_id} not found for this API key")))
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(40).collect();
    if short.len() < text.len() {
        format!("{short}...")
    } else {
        short
    }
}

fn parse_status(text: &str) -> Result<JobStatus, ApiError> {
    [JobStatus::Pending, JobStatus::Running, JobStatus::Completed, JobStatus::Failed, JobStatus::Cancelled]
        .into_iter()
        .find(|status| status.as_str() == text)
        .ok_or_else(|| ApiError::bad_request(format!("invalid status `{}`: expected pending, running, completed, failed or cancelled", shorten(text))))
}

fn page_bounds(page: Option<u32>, per_page: Option<u32>, default_per_page: u32) -> Result<(u32, u32), ApiError> {
    let page = page.unwrap_or(1);
    let per_page = per_page.unwrap_or(default_per_page);
    if page == 0 {
        return Err(ApiError::bad_request("invalid page 0: pages are numbered from 1"));
    }
    if !(1..=MAX_PER_PAGE).contains(&per_page) {
        return Err(ApiError::bad_request(format!("invalid per_page {per_page}: expected 1 to {MAX_PER_PAGE}")));
    }
    Ok((page, per_page))
}

/// Returns the API view of a job, which never contains a server path or a secret.
pub(crate) fn job_view(state: &AppState, job: &Job) -> Value {
    let done = if job.status == JobStatus::Running { state.jobs.written(job.id).unwrap_or(job.patients_done) } else { job.patients_done };
    let progress = match job.status {
        JobStatus::Completed => 100,
        _ if job.total_patients == 0 => 0,
        _ => ((done as f64 / job.total_patients as f64) * 100.0).floor().min(99.0) as u64,
    };
    let eta = match (job.status, job.rate_per_second) {
        (JobStatus::Running, Some(rate)) if rate > 0.0 => Some(((job.total_patients.saturating_sub(done)) as f64 / rate).ceil() as u64),
        _ => None,
    };
    let files: Vec<Value> = job.outputs.iter().map(|file| json!({"name": file.name, "size_bytes": file.size_bytes})).collect();
    json!({
        "job_id": job.id.to_string(),
        "status": job.status.as_str(),
        "priority": job.priority.as_str(),
        "created_at": job.created_at.to_rfc3339(),
        "started_at": job.started_at.map(Millis::to_rfc3339),
        "completed_at": job.finished_at.map(Millis::to_rfc3339),
        "progress": progress,
        "progress_details": {
            "phase": job.phase.clone().unwrap_or_else(|| job.status.as_str().to_string()),
            "patients_done": done,
            "total_patients": job.total_patients,
            "rate_per_second": job.rate_per_second,
            "eta_seconds": eta,
        },
        "error": job.error,
        "output_formats": job.formats,
        "use_compression": job.use_compression,
        "use_encryption": job.use_encryption,
        "output_files": files,
        "summary": job.summary,
        "config": job.config,
    })
}
