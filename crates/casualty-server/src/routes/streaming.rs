//! `GET` and `POST /api/v1/streaming/generate`: patients streamed to the client as they are
//! generated.
//!
//! A blocking thread has the shared streaming pool encode patients in parallel and sends them, in
//! order and in batches, through a bounded channel. A slow client fills the channel, which pauses generation, so memory stays flat; a
//! client that disconnects closes the channel, which stops generation.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::Response;
use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides, Scenario};
use casualty_output::Format;
use casualty_store::ConfigurationId;
use serde::Deserialize;
use serde_json::{json, Value};
use rayon::prelude::*;
use tokio::sync::mpsc;

use crate::auth::Caller;
use crate::error::{ApiError, FieldError};
use crate::metrics::Metrics;
use crate::routes::JsonBody;
use crate::state::AppState;

/// Batches in flight between the generating thread and the client.
const BATCHES_IN_FLIGHT: usize = 4;

/// Patients per batch when the request gives no `batch_size`.
const DEFAULT_BATCH_SIZE: u32 = 100;

/// Patients that one parallel encoding task handles at least, rounded up to whole batches, so
/// that small batches still give each thread enough work to outweigh the hand-over.
const PATIENTS_PER_TASK: u64 = 512;

/// Encoding tasks per pool thread in one round. With two, a thread that finishes early takes
/// another task, so one slow task holds up a round less.
const TASKS_PER_THREAD: usize = 2;

/// Query of a streaming request.
#[derive(Debug, Deserialize)]
pub struct StreamQuery {
    /// A saved configuration of the caller (GET only).
    configuration_id: Option<String>,
    /// Patients, replacing the scenario's count.
    count: Option<u64>,
    /// Patients per batch, 1 to 1000.
    batch_size: Option<u32>,
    /// `json` (default) or `ndjson`.
    format: Option<String>,
}

/// Handles `GET /api/v1/streaming/generate?configuration_id=&count=&batch_size=`.
pub async fn stream_saved(State(state): State<AppState>, caller: Caller, headers: HeaderMap, Query(query): Query<StreamQuery>) -> Result<Response, ApiError> {
    let Some(id) = query.configuration_id.as_deref() else {
        return Err(ApiError::bad_request("missing configuration_id: give the id of a saved configuration, or POST the scenario"));
    };
    let id: ConfigurationId = id.parse().map_err(|_| ApiError::bad_request(format!("invalid configuration_id `{}`: expected a UUID", id.chars().take(40).collect::<String>())))?;
    let saved = state.store.get_configuration(caller.key.id, id, None).await?.ok_or_else(|| ApiError::not_found(format!("configuration {id} not found for this API key")))?;
    stream(state, caller, headers, query, json!({"configuration": saved.body})).await
}

/// Handles `POST /api/v1/streaming/generate` with a scenario, bare or as a request body.
pub async fn stream_posted(State(state): State<AppState>, caller: Caller, headers: HeaderMap, Query(query): Query<StreamQuery>, JsonBody(body): JsonBody) -> Result<Response, ApiError> {
    stream(state, caller, headers, query, body).await
}

async fn stream(state: AppState, caller: Caller, headers: HeaderMap, query: StreamQuery, document: Value) -> Result<Response, ApiError> {
    let batch_size = query.batch_size.unwrap_or(DEFAULT_BATCH_SIZE);
    if !(1..=1000).contains(&batch_size) {
        return Err(ApiError::bad_request(format!("invalid batch_size {batch_size}: expected 1 to 1000")));
    }
    let wants_ndjson = match query.format.as_deref() {
        Some("ndjson") => true,
        Some("json") => false,
        Some(other) => return Err(ApiError::bad_request(format!("invalid format `{}`: expected json or ndjson", other.chars().take(20).collect::<String>()))),
        None => headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|accept| accept.contains("application/x-ndjson")),
    };
    let scenario = parse_scenario(&document, query.count)?;
    let total = scenario.count;
    caller.admit_generation(&state, total).await?;
    tracing::info!(api_key.id = %caller.key.id, record.count = total, "streaming started");

    let (sender, receiver) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(BATCHES_IN_FLIGHT);
    let pool = state.streaming_pool.clone();
    let metrics = Arc::clone(&state.metrics);
    tokio::task::spawn_blocking(move || produce(&pool, &scenario, batch_size, wants_ndjson, &sender, &metrics));
    // The body owns the guard, so the client is uncounted when the body ends or the connection
    // drops it.
    let client = state.metrics.streaming_client();
    let batches = tokio_stream::StreamExt::map(tokio_stream::wrappers::ReceiverStream::new(receiver), move |batch| {
        let _counted = &client;
        batch
    });
    let body = Body::from_stream(batches);
    let content_type = if wants_ndjson { "application/x-ndjson" } else { "application/json" };
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert("x-patient-count", HeaderValue::from(total));
    headers.insert("x-batch-size", HeaderValue::from(batch_size));
    Ok(response)
}

/// Job options that a stream cannot honour. A stream sends plain JSON or NDJSON of a scenario, so
/// accepting these would silently drop the requested encryption or formats.
const JOB_ONLY_KEYS: [&str; 6] = ["output_formats", "use_compression", "use_encryption", "encryption_password", "priority", "configuration_id"];

fn parse_scenario(document: &Value, count: Option<u64>) -> Result<Scenario, ApiError> {
    let job_only: Vec<FieldError> = JOB_ONLY_KEYS
        .iter()
        .filter_map(|key| document.get(key).map(|value| (key, value)))
        .map(|(key, value)| FieldError {
            path: (*key).to_owned(),
            value: if *key == "encryption_password" { Value::String("(hidden)".into()) } else { value.clone() },
            message: "not supported by streaming".into(),
            accepted: "a scenario, bare or as `configuration`; use POST /api/v1/generation for formats, compression, encryption and priority, or GET with configuration_id for a saved configuration".into(),
        })
        .collect();
    if !job_only.is_empty() {
        return Err(ApiError::invalid(format!("the streaming request is invalid ({} errors)", job_only.len()), job_only));
    }
    parse_scenario_value(document, CommandLineOverrides { count, seed: None }).map(|request| request.scenario).map_err(|error| {
        let errors: Vec<FieldError> = error
            .errors
            .into_iter()
            .map(|e| FieldError {
                // The count override comes from the `count` query parameter, not a command-line flag.
                path: if e.path == "--count" { "count".to_owned() } else { e.path },
                value: serde_json::from_str(&e.value).unwrap_or(Value::String(e.value)),
                message: "invalid value".into(),
                accepted: e.expected,
            })
            .collect();
        let noun = if errors.len() == 1 { "error" } else { "errors" };
        ApiError::invalid(format!("the scenario is invalid ({} {noun})", errors.len()), errors)
    })
}

/// Generates every patient in order and sends them in batches. The JSON document ends with
/// `"complete": true`, or, if encoding fails after streaming began, with `"complete": false` and
/// an `error` object, so a reader can tell a finished document from an interrupted one.
///
/// Patients are encoded in rounds: the pool encodes a few tasks of whole batches in parallel,
/// then this thread sends the batches in patient order. Each round has at most
/// `TASKS_PER_THREAD * threads` tasks, so memory stays bounded whatever the count.
///
/// Patients are added to `patients_generated_total` under the streamed format (json or ndjson)
/// as their batch is handed to the connection.
fn produce(pool: &rayon::ThreadPool, scenario: &Scenario, batch_size: u32, ndjson: bool, sender: &mpsc::Sender<Result<Vec<u8>, std::io::Error>>, metrics: &Metrics) {
    let format = if ndjson { Format::Ndjson } else { Format::Json };
    let generator = Generator::new(scenario);
    let total = scenario.count;
    let batch_size = u64::from(batch_size);
    let patients_per_task = PATIENTS_PER_TASK.div_ceil(batch_size) * batch_size;
    let tasks_per_round = (pool.current_num_threads() * TASKS_PER_THREAD) as u64;
    let patients_per_round = patients_per_task * tasks_per_round;

    if !ndjson && sender.blocking_send(Ok(format!("{{\"total_patients\":{total},\"patients\":[").into_bytes())).is_err() {
        return;
    }
    let mut round_start = 0;
    while round_start < total {
        let round_end = total.min(round_start + patients_per_round);
        let tasks: Vec<(u64, u64)> = (round_start..round_end).step_by(patients_per_task as usize).map(|first| (first, round_end.min(first + patients_per_task))).collect();
        let encoded: Vec<Result<Vec<Vec<u8>>, EncodeFailure>> =
            pool.install(|| tasks.par_iter().map(|&(first, end)| encode_batches(&generator, first, end, batch_size, ndjson)).collect());
        for (task, &(first, end)) in encoded.into_iter().zip(&tasks) {
            match task {
                Ok(batches) => {
                    let mut next = first;
                    for batch in batches {
                        if sender.blocking_send(Ok(batch)).is_err() {
                            tracing::info!(patients_sent = next, "streaming client disconnected");
                            return;
                        }
                        let patients = batch_size.min(end - next);
                        metrics.add_patients(format, patients);
                        next += patients;
                    }
                }
                Err(failure) => {
                    for batch in failure.encoded {
                        if sender.blocking_send(Ok(batch)).is_err() {
                            return;
                        }
                    }
                    metrics.add_patients(format, failure.index - first);
                    let record = json!({"error": "internal_error", "detail": format!("encoding patient {} failed: {}", failure.index, failure.message), "patients_sent": failure.index});
                    let tail = if ndjson { format!("{record}\n") } else { format!("],\"complete\":false,\"error\":{record}}}") };
                    let _ = sender.blocking_send(Ok(tail.into_bytes()));
                    return;
                }
            }
        }
        round_start = round_end;
    }
    if !ndjson {
        let _ = sender.blocking_send(Ok(b"],\"complete\":true}".to_vec()));
    }
}

/// A patient that could not be encoded, with the patients of its task encoded before it.
struct EncodeFailure {
    index: u64,
    message: String,
    encoded: Vec<Vec<u8>>,
}

/// Encodes patients `first..end` into batches of `batch_size` patients. In JSON every patient
/// but the first of the document is preceded by a comma.
fn encode_batches(generator: &Generator, first: u64, end: u64, batch_size: u64, ndjson: bool) -> Result<Vec<Vec<u8>>, EncodeFailure> {
    let mut batches = Vec::new();
    let mut batch = Vec::new();
    for index in first..end {
        if !ndjson && index > 0 {
            batch.push(b',');
        }
        let length = batch.len();
        if let Err(error) = serde_json::to_writer(&mut batch, &generator.patient(index)) {
            // Drop the comma and the half-written record, so the document stays well-formed.
            batch.truncate(length.saturating_sub(usize::from(!ndjson && index > 0)));
            batches.push(batch);
            return Err(EncodeFailure { index, message: error.to_string(), encoded: batches });
        }
        if ndjson {
            batch.push(b'\n');
        }
        if (index + 1) % batch_size == 0 || index + 1 == end {
            batches.push(std::mem::take(&mut batch));
        }
    }
    Ok(batches)
}
