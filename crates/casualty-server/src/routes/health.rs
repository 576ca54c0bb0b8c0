//! Liveness, readiness and the full health report.

use std::time::Instant;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use casualty_store::{JobStatus, Millis};
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;
use crate::system;

/// `GET /api/v1/health/live`: returns 200 while the process serves requests, touching nothing else.
pub async fn live() -> Json<Value> {
    Json(json!({"status": "alive"}))
}

/// `GET /api/v1/health/ready`: returns 200 when the workers take jobs (no shutdown has begun) and a
/// database round trip succeeds, else 503.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    if state.jobs.is_shutting_down() {
        return Err(ApiError::unavailable("the server is shutting down and its workers take no new jobs; use another instance"));
    }
    match state.store.ping().await {
        Ok(()) => Ok(Json(json!({"status": "ready", "database": "ok", "workers": state.config.workers}))),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed: the database round trip failed");
            Err(ApiError::unavailable("the database is not responding; retry later"))
        }
    }
}

/// Handles `GET /api/v1/health`: the full health report. The status is `unhealthy` with 503 when
/// the database does not respond, `warning` when host memory or the data folder's disk is at or
/// above its configured threshold (or cannot be read) or the jobs folder is unusable, and
/// `healthy` otherwise.
pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let config = &state.config;
    let mut warnings: Vec<String> = Vec::new();

    let started = Instant::now();
    let ping = state.store.ping().await;
    let round_trip_ms = started.elapsed().as_secs_f64() * 1000.0;
    let counts = match &ping {
        Ok(()) => state.store.count_jobs_by_status().await.ok(),
        Err(_) => None,
    };
    let count_of = |status: JobStatus| counts.as_ref().and_then(|counts| counts.iter().find(|(known, _)| *known == status)).map(|(_, count)| *count);
    let database = match &ping {
        Ok(()) => json!({"status": "ok", "round_trip_ms": round_trip_ms}),
        Err(error) => {
            tracing::warn!(error = %error, "health check: the database round trip failed");
            json!({"status": "unavailable", "round_trip_ms": Value::Null})
        }
    };

    let memory = system::host_memory();
    let process = system::process_memory();
    if let Some(memory) = memory {
        let percent = memory.percent_used();
        if percent >= f64::from(config.health_memory_warning_percent) {
            warnings.push(format!("host memory is {percent:.1}% used, at or above the warning threshold of {}%", config.health_memory_warning_percent));
        }
    } else {
        warnings.push("host memory could not be read from /proc/meminfo".to_string());
    }
    let memory_view = json!({
        "total_bytes": memory.map(|m| m.total_bytes),
        "available_bytes": memory.map(|m| m.available_bytes),
        "percent_used": memory.map(|m| round_percent(m.percent_used())),
        "process_rss_bytes": process.map(|p| p.rss_bytes),
    });

    let disk = system::disk_space(&config.data_dir);
    let disk_view = match &disk {
        Ok(disk) => {
            let percent = disk.percent_used();
            if percent >= f64::from(config.health_disk_warning_percent) {
                warnings.push(format!("the data folder's disk is {percent:.1}% used, at or above the warning threshold of {}%", config.health_disk_warning_percent));
            }
            json!({"total_bytes": disk.total_bytes, "available_bytes": disk.available_bytes, "percent_used": round_percent(percent)})
        }
        Err(error) => {
            tracing::warn!(error = %error, "health check: failed to read the disk space of the data folder");
            warnings.push("the disk space of the data folder could not be read".to_string());
            json!({"total_bytes": Value::Null, "available_bytes": Value::Null, "percent_used": Value::Null})
        }
    };

    // Every job writes under the jobs folder, so a file in its place makes every job fail.
    let jobs_folder = config.data_dir.join("jobs");
    match std::fs::metadata(&jobs_folder) {
        Ok(metadata) if !metadata.is_dir() => {
            warnings.push("the jobs folder of the data folder is not a folder, so every job will fail; move away the file in its place".to_string());
        }
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            tracing::warn!(error = %error, "health check: failed to read the jobs folder");
            warnings.push(format!("the jobs folder of the data folder cannot be read ({error}), so jobs may fail"));
        }
        _ => {}
    }

    let workers = json!({
        "active_jobs": count_of(JobStatus::Running),
        "max_concurrent_jobs": config.workers,
        "queue_length": count_of(JobStatus::Pending),
        "accepting_jobs": !state.jobs.is_shutting_down(),
        "job_limits": {
            "max_patients_per_job": casualty_core::scenario::MAX_COUNT,
            "threads_per_job": config.job_threads,
            "demo_patients_per_request": config.demo_key.then_some(config.demo_limits.patients_per_request.get()),
        },
    });

    let (status, code) = match (&ping, warnings.is_empty()) {
        (Err(_), _) => ("unhealthy", StatusCode::SERVICE_UNAVAILABLE),
        (Ok(()), false) => ("warning", StatusCode::OK),
        (Ok(()), true) => ("healthy", StatusCode::OK),
    };
    let mut body = json!({
        "status": status,
        "version": env!("CARGO_PKG_VERSION"),
        "timestamp": Millis::now().to_rfc3339(),
        "memory": memory_view,
        "disk": disk_view,
        "workers": workers,
        "database": database,
        "warnings": warnings,
    });
    if ping.is_err() {
        // The shape of every error body, so clients that read `error` and `detail` work here too.
        body["error"] = json!("unavailable");
        body["detail"] = json!("the database is not responding; retry later");
    }
    (code, Json(body))
}

/// Rounds a percentage to one decimal.
fn round_percent(percent: f64) -> f64 {
    (percent * 10.0).round() / 10.0
}
