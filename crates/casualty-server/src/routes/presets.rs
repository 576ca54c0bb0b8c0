//! `GET /api/v1/presets` and `/api/v1/presets/{id}`: the preset scenarios shipped with the
//! generator. The catalogue is public reference data, so these routes need no key.

use axum::extract::Path;
use axum::Json;
use casualty_core::presets::{self, PRESETS};
use serde_json::{json, Value};

use crate::error::ApiError;

/// Handles `GET /api/v1/presets`: `{"presets": [{"id", "name", "description"}]}`, ordered by id.
pub async fn list_presets() -> Json<Value> {
    let items: Vec<Value> = PRESETS.iter().map(|preset| json!({"id": preset.id, "name": preset.name(), "description": preset.description()})).collect();
    Json(json!({"presets": items}))
}

/// Handles `GET /api/v1/presets/{id}`: the summary fields and the whole `scenario`, which a
/// client can post as the `configuration` of a generation request.
pub async fn get_preset(Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let Some(preset) = presets::find(&id) else {
        let known: Vec<&str> = PRESETS.iter().map(|preset| preset.id).collect();
        return Err(ApiError::not_found(format!("no preset `{}`; presets are {}", id.chars().take(60).collect::<String>(), known.join(", "))));
    };
    Ok(Json(json!({"id": preset.id, "name": preset.name(), "description": preset.description(), "scenario": preset.scenario()})))
}
