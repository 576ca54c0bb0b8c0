//! Saved configurations of the caller (versioned), scenario validation, and reference lists.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use casualty_core::reference::ReferenceData;
use casualty_core::scenario::{parse_scenario_value, Category, CommandLineOverrides, Role};
use casualty_store::{Configuration, ConfigurationId, Millis};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::routes::JsonBody;
use crate::state::AppState;

/// Maximum length of a configuration name, in characters.
const MAX_NAME_CHARS: usize = 100;

/// Handles `POST /api/v1/configurations/`: `{"name", "configuration"}`, saved as version 1.
pub async fn create_configuration(State(state): State<AppState>, caller: Caller, JsonBody(body): JsonBody) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.admit_read(&state).await?;
    let (name, configuration) = parse_body(&body, true)?;
    let saved = state.store.create_configuration(caller.key.id, &name.unwrap_or_default(), configuration, Millis::now()).await?;
    Ok((StatusCode::CREATED, Json(view(&saved))))
}

/// Handles `GET /api/v1/configurations/`: the latest version of each.
pub async fn list_configurations(State(state): State<AppState>, caller: Caller) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let saved = state.store.list_configurations(caller.key.id).await?;
    Ok(Json(json!({"configurations": saved.iter().map(view).collect::<Vec<_>>()})))
}

/// Query of a configuration read.
#[derive(Debug, Deserialize)]
pub struct VersionQuery {
    version: Option<u32>,
}

/// Handles `GET /api/v1/configurations/{id}?version=n`.
pub async fn get_configuration(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, Query(query): Query<VersionQuery>) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let id = parse_id(&id)?;
    let saved = state.store.get_configuration(caller.key.id, id, query.version).await?;
    saved.map(|saved| Json(view(&saved))).ok_or_else(|| match query.version {
        Some(version) => ApiError::not_found(format!("configuration {id} has no version {version} for this API key")),
        None => ApiError::not_found(format!("configuration {id} not found for this API key")),
    })
}

/// Handles `PUT /api/v1/configurations/{id}`: `{"configuration"}` saved as the next version.
pub async fn update_configuration(State(state): State<AppState>, caller: Caller, Path(id): Path<String>, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let id = parse_id(&id)?;
    let (_, configuration) = parse_body(&body, false)?;
    let saved = state.store.update_configuration(caller.key.id, id, configuration, Millis::now()).await?;
    Ok(Json(view(&saved)))
}

/// Handles `DELETE /api/v1/configurations/{id}`: removes every version.
pub async fn delete_configuration(State(state): State<AppState>, caller: Caller, Path(id): Path<String>) -> Result<StatusCode, ApiError> {
    caller.admit_read(&state).await?;
    let id = parse_id(&id)?;
    state.store.delete_configuration(caller.key.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Handles `POST /api/v1/configurations/validate/`: a scenario, bare or as a request body, checked
/// without saving anything. Returns `{"valid", "errors"}`.
pub async fn validate_configuration(State(state): State<AppState>, caller: Caller, JsonBody(body): JsonBody) -> Result<Json<Value>, ApiError> {
    caller.admit_read(&state).await?;
    let errors = scenario_errors(&body);
    Ok(Json(json!({"valid": errors.is_empty(), "errors": errors})))
}

/// Handles `GET /api/v1/configurations/reference/{list}`: nationalities, condition types or
/// facility types, as the scenario accepts them.
pub async fn reference_list(Path(list): Path<String>) -> Result<Json<Value>, ApiError> {
    let items: Vec<Value> = match list.as_str() {
        "nationalities" => ReferenceData::get().nations.iter().map(|nation| json!({"code": nation.iso3, "name": nation.name})).collect(),
        "condition-types" => Category::ALL.iter().map(|category| json!({"code": category.as_str(), "name": category.as_str()})).collect(),
        "facility-types" => Role::ALL.iter().map(|role| json!({"code": role.as_str(), "name": role_name(*role)})).collect(),
        other => {
            return Err(ApiError::not_found(format!("no reference list `{}`; lists are nationalities, condition-types and facility-types", other.chars().take(40).collect::<String>())))
        }
    };
    Ok(Json(json!({"items": items})))
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Poi => "Point of injury",
        Role::Role1 => "Role 1: primary care and resuscitation",
        Role::Role2 => "Role 2: damage-control surgery",
        Role::Role3 => "Role 3: deployed hospital",
        Role::Role4 => "Role 4: definitive care in the home nation",
    }
}

/// Lists every problem of a scenario document as field errors.
fn scenario_errors(document: &Value) -> Vec<FieldError> {
    match parse_scenario_value(document, CommandLineOverrides::default()) {
        Ok(_) => Vec::new(),
        Err(error) => error
            .errors
            .into_iter()
            .map(|e| FieldError { path: e.path, value: serde_json::from_str(&e.value).unwrap_or(Value::String(e.value)), message: "invalid value".into(), accepted: e.expected })
            .collect(),
    }
}

/// Reads `{"name", "configuration"}`; the configuration must be a valid scenario.
fn parse_body(body: &Value, name_required: bool) -> Result<(Option<String>, Value), ApiError> {
    let mut errors = Vec::new();
    let Some(fields) = body.as_object() else {
        return Err(ApiError::invalid("the request body must be a JSON object", vec![field("(body)", body, "not an object", "{\"name\": ..., \"configuration\": {...}}")]));
    };
    for key in fields.keys().filter(|key| !matches!(key.as_str(), "name" | "configuration")) {
        errors.push(field(key, &fields[key], "unknown key", "name, configuration"));
    }
    let name = match fields.get("name") {
        Some(Value::String(name)) if !name.trim().is_empty() && name.trim().chars().count() <= MAX_NAME_CHARS && !name.chars().any(char::is_control) => Some(name.trim().to_string()),
        None if !name_required => None,
        other => {
            errors.push(field("name", other.unwrap_or(&Value::Null), "missing or invalid", "a name of 1 to 100 characters without control characters"));
            None
        }
    };
    let configuration = match fields.get("configuration") {
        Some(configuration @ Value::Object(_)) => {
            let nested = json!({"configuration": configuration});
            errors.extend(scenario_errors(&nested));
            configuration.clone()
        }
        other => {
            errors.push(field("configuration", other.unwrap_or(&Value::Null), "missing or not an object", "a scenario object"));
            Value::Null
        }
    };
    if errors.is_empty() {
        Ok((name, configuration))
    } else {
        let count = errors.len();
        Err(ApiError::invalid(format!("the configuration is invalid ({count} error{})", if count == 1 { "" } else { "s" }), errors))
    }
}

fn parse_id(id: &str) -> Result<ConfigurationId, ApiError> {
    id.parse().map_err(|_| ApiError::not_found(format!("configuration {} not found: a configuration id is a UUID", id.chars().take(40).collect::<String>())))
}

fn field(path: &str, value: &Value, message: &str, accepted: &str) -> FieldError {
    FieldError { path: path.into(), value: value.clone(), message: message.into(), accepted: accepted.into() }
}

fn view(saved: &Configuration) -> Value {
    json!({
        "id": saved.id.to_string(),
        "name": saved.name,
        "version": saved.version,
        "latest_version": saved.latest_version,
        "created_at": saved.created_at.to_rfc3339(),
        "version_created_at": saved.version_created_at.to_rfc3339(),
        "configuration": saved.body,
    })
}
