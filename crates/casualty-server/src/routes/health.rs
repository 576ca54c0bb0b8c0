//! Liveness and readiness.

use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/health/live`: returns 200 while the process serves requests, touching nothing else.
pub async fn live() -> Json<Value> {
    Json(json!({"status": "alive"}))
}

/// `GET /api/v1/health/ready`: returns 200 when a database round trip succeeds, else 503.
pub async fn ready(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(Json(json!({"status": "ready", "database": "ok", "workers": state.config.workers}))),
        Err(error) => {
            tracing::warn!(error = %error, "readiness check failed: the database round trip failed");
            Err(ApiError::unavailable("the database is not responding; retry later"))
        }
    }
}
