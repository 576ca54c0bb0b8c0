//! `POST /api/v1/generation/`: validate a generation request and queue it as a job.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides, Scenario};
use casualty_output::Format;
use casualty_store::{ConfigurationId, Millis, NewJob, Priority};
use serde_json::{json, Map, Value};

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::routes::JsonBody;
use crate::state::AppState;

/// Shortest accepted encryption password, in characters.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A validated generation request.
pub struct GenerationRequest {
    /// The scenario, with the count override applied.
    pub scenario: Scenario,
    /// The request document the scenario was parsed from, without the password: the scenario in
    /// `configuration`, with `total_patients` and the service options. Stored with the job, it
    /// parses to the same scenario again.
    pub document: Value,
    /// Output formats, sorted and without repeats.
    pub formats: Vec<Format>,
    /// Compress each output file with gzip.
    pub use_compression: bool,
    /// The encryption password, when the outputs are encrypted.
    pub password: Option<zeroize::Zeroizing<String>>,
    /// Queue priority.
    pub priority: Priority,
}

/// Handles `POST /api/v1/generation/`.
pub async fn create_generation(State(state): State<AppState>, caller: Caller, JsonBody(body): JsonBody) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request = parse_generation(&state, &caller, body).await?;
    let patients = request.scenario.count;
    caller.admit_generation(&state, patients).await?;

    let formats: Vec<String> = request.formats.iter().map(|f| f.as_str().to_string()).collect();
    let new = NewJob {
        owner: caller.key.id,
        priority: request.priority,
        total_patients: patients,
        formats: formats.clone(),
        use_compression: request.use_compression,
        use_encryption: request.password.is_some(),
        config: request.document,
        // Only this instance has the password, so it should run the job.
        received_by: request.password.is_some().then(|| state.lease.instance.clone()),
    };
    let job = state.store.create_job(new, Millis::now()).await?;
    state.metrics.record_transition(None, job.status);
    if let Some(password) = request.password {
        state.jobs.with(job.id, |memory| memory.password = Some(password));
    }
    state.queued.notify_one();
    tracing::info!(job.id = %job.id, api_key.id = %caller.key.id, record.count = patients, formats = %formats.join(","), "job queued");

    let body = json!({
        "job_id": job.id.to_string(),
        "status": job.status.as_str(),
        "message": format!("generation of {patients} patients queued"),
        "estimated_duration": estimated_seconds(patients, &request.formats),
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// Reads and checks a generation request body, collecting every invalid field.
async fn parse_generation(state: &AppState, caller: &Caller, body: Value) -> Result<GenerationRequest, ApiError> {
    let Value::Object(mut fields) = body else {
        return Err(ApiError::invalid("the request body must be a JSON object", vec![field("(body)", &body, "not an object", "a JSON object with `configuration` or `configuration_id`")]));
    };
    let mut errors = Vec::new();

    let formats = parse_formats(fields.get("output_formats"), &mut errors);
    let use_compression = parse_bool(&fields, "use_compression", &mut errors);
    let use_encryption = parse_bool(&fields, "use_encryption", &mut errors);
    let password = match fields.get("encryption_password") {
        None | Some(Value::Null) if use_encryption => {
            errors.push(field("encryption_password", &Value::Null, "missing", "a password of at least 8 characters when use_encryption is true"));
            None
        }
        None | Some(Value::Null) => None,
        Some(Value::String(text)) if !use_encryption => {
            let _ = text;
            errors.push(field("encryption_password", &json!("(hidden)"), "given without use_encryption", "use_encryption: true, or no password"));
            None
        }
        Some(Value::String(text)) if text.chars().count() < MIN_PASSWORD_CHARS => {
            errors.push(field("encryption_password", &json!("(hidden)"), "too short", "a password of at least 8 characters"));
            None
        }
        Some(Value::String(text)) => Some(zeroize::Zeroizing::new(text.clone())),
        Some(other) => {
            errors.push(field("encryption_password", &json!(type_name(other)), "not a string", "a password of at least 8 characters"));
            None
        }
    };
    let priority = match fields.get("priority") {
        None | Some(Value::Null) => Priority::Normal,
        Some(Value::String(text)) => match text.as_str() {
            "low" => Priority::Low,
            "normal" => Priority::Normal,
            "high" => Priority::High,
            _ => {
                errors.push(field("priority", &json!(text), "unknown priority", "low, normal or high"));
                Priority::Normal
            }
        },
        Some(other) => {
            errors.push(field("priority", other, "not a string", "low, normal or high"));
            Priority::Normal
        }
    };
    // The password never reaches the scenario parser, its messages or the stored request.
    fields.remove("encryption_password");

    let document = match (fields.remove("configuration_id"), fields.contains_key("configuration")) {
        (Some(_), true) => {
            errors.push(field("configuration_id", &Value::Null, "given together with configuration", "exactly one of configuration_id or configuration"));
            None
        }
        (Some(id), false) => match id.as_str().map(str::parse::<ConfigurationId>) {
            Some(Ok(id)) => match state.store.get_configuration(caller.key.id, id, None).await? {
                Some(saved) => {
                    fields.insert("configuration".into(), saved.body);
                    Some(Value::Object(fields))
                }
                None => return Err(ApiError::not_found(format!("configuration {id} not found for this API key"))),
            },
            _ => {
                errors.push(field("configuration_id", &id, "not a configuration id", "the UUID of a saved configuration"));
                None
            }
        },
        (None, true) => Some(Value::Object(fields)),
        (None, false) => {
            errors.push(field("configuration", &Value::Null, "missing", "exactly one of configuration_id or configuration"));
            None
        }
    };

    let scenario = match &document {
        Some(document) => match parse_scenario_value(document, CommandLineOverrides::default()) {
            Ok(request) => Some(request.scenario),
            Err(scenario_errors) => {
                errors.extend(scenario_errors.errors.into_iter().map(|e| FieldError {
                    path: e.path,
                    value: serde_json::from_str(&e.value).unwrap_or(Value::String(e.value)),
                    message: "invalid value".into(),
                    accepted: e.expected,
                }));
                None
            }
        },
        None => None,
    };

    match scenario {
        Some(scenario) if errors.is_empty() => {
            let document = document.unwrap_or(Value::Null);
            Ok(GenerationRequest { scenario, document, formats, use_compression, password, priority })
        }
        _ => {
            let count = errors.len();
            Err(ApiError::invalid(format!("the generation request is invalid ({count} error{})", if count == 1 { "" } else { "s" }), errors))
        }
    }
}

fn parse_formats(value: Option<&Value>, errors: &mut Vec<FieldError>) -> Vec<Format> {
    let accepted = "a non-empty list of json, ndjson, csv, xml, xlsx, fhir";
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return vec![Format::Json];
    };
    let Some(items) = value.as_array().filter(|items| !items.is_empty()) else {
        errors.push(field("output_formats", value, "not a non-empty list", accepted));
        return vec![Format::Json];
    };
    let mut formats = Vec::new();
    for (index, item) in items.iter().enumerate() {
        match item.as_str().map(Format::parse) {
            // NOTE: the service does not offer Parquet yet: its API schema and job downloads list
            // the other formats only. `casualty generate --format parquet` writes it.
            Some(Ok(Format::Parquet)) => errors.push(field(&format!("output_formats[{index}]"), item, "not offered by the service; use casualty generate --format parquet", accepted)),
            Some(Ok(format)) => formats.push(format),
            _ => errors.push(field(&format!("output_formats[{index}]"), item, "unknown format", accepted)),
        }
    }
    formats.sort();
    formats.dedup();
    if formats.is_empty() {
        formats.push(Format::Json);
    }
    formats
}

fn parse_bool(fields: &Map<String, Value>, name: &str, errors: &mut Vec<FieldError>) -> bool {
    match fields.get(name) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(value)) => *value,
        Some(other) => {
            errors.push(field(name, other, "not a boolean", "true or false"));
            false
        }
    }
}

fn field(path: &str, value: &Value, message: &str, accepted: &str) -> FieldError {
    FieldError { path: path.into(), value: value.clone(), message: message.into(), accepted: accepted.into() }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Estimated seconds of a job: the measured single-job rates of each format on 2 threads
/// (docs/benchmarks.md), rounded up, plus one second of start-up.
pub fn estimated_seconds(patients: u64, formats: &[Format]) -> u64 {
    let seconds: f64 = formats
        .iter()
        .map(|format| {
            let per_second = match format {
                Format::Json | Format::Ndjson => 150_000.0,
                Format::Csv => 250_000.0,
                Format::Xml => 120_000.0,
                Format::Xlsx => 20_000.0,
                Format::Fhir => 12_000.0,
                Format::Parquet => 150_000.0,
            };
            patients as f64 / per_second
        })
        .sum();
    1 + seconds.ceil() as u64
}
