//! Liveness and readiness.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/health/live`: answers while the process serves requests, touching nothing else.
pub async fn live() -> Json<Value> {
    Json(json!({"status": "alive"}))
}

/// `GET /api/v1/health/ready`: 200 when the database answers, else 503.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(json!({"status": "ready", "database": "ok", "workers": state.config.workers}))),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed: the database does not answer");
            Err(ApiError::unavailable("the database does not answer; retry later"))
        }
    }
}
