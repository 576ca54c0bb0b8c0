//! The casualty generation service: an axum HTTP server over the store, with a worker pool that
//! runs generation jobs.
//!
//! [`app`] builds the router (tests drive it directly); [`run`] opens the store, prepares the keys
//! and the jobs left by an earlier run, starts the workers and serves until SIGTERM or SIGINT.

pub mod auth;
pub mod config;
pub mod error;
pub mod metrics;
pub mod openapi;
pub mod routes;
pub mod state;
pub mod system;
pub mod web;
pub mod worker;

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use casualty_store::{JobStatus, KeyKind, KeyLimits, Lease, Millis, NewKey, PgStore, RateLimits, SqliteStore, Store};
use tower::Layer;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::normalize_path::NormalizePathLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;

pub use crate::config::{Config, ServeArgs};
use crate::error::{ApiError, ErrorBody};
use crate::state::{AppState, JobRegistry};

/// The secret of the built-in demo key, which exercise staff try first.
pub const DEMO_KEY: &str = "DEMO_MILMED_2025_50_PATIENTS";

/// The environment variable that may hold the operator key.
pub const OPERATOR_KEY_VARIABLE: &str = "CASUALTY_OPERATOR_KEY";

/// Maximum size of an error body that the request-id layer rewrites. Error bodies are far smaller.
const MAX_ERROR_BODY_BYTES: usize = 1 << 20;

/// Builds the router with every route and layer.
pub fn app(state: AppState) -> Router {
    let api = Router::new()
        .route("/health", get(routes::health::health))
        .route("/health/live", get(routes::health::live))
        .route("/health/ready", get(routes::health::ready))
        .route("/generation", post(routes::generation::create_generation))
        .route("/jobs", get(routes::jobs::list_jobs))
        .route("/jobs/{id}", get(routes::jobs::get_job).delete(routes::jobs::delete_job))
        .route("/jobs/{id}/cancel", post(routes::jobs::cancel_job))
        .route("/jobs/{id}/events", get(routes::events::job_events))
        .route("/jobs/{id}/report", get(routes::report::job_report))
        .route("/jobs/{id}/results", get(routes::jobs::job_results))
        .route("/jobs/{id}/patients/{patient_id}", get(routes::jobs::job_patient))
        .route("/downloads/{id}", get(routes::downloads::download))
        .route("/streaming/generate", get(routes::streaming::stream_saved).post(routes::streaming::stream_posted))
        .route("/configurations", get(routes::configurations::list_configurations).post(routes::configurations::create_configuration))
        .route("/configurations/validate", post(routes::configurations::validate_configuration))
        .route("/configurations/reference/{list}", get(routes::configurations::reference_list))
        .route("/presets", get(routes::presets::list_presets))
        .route("/presets/{id}", get(routes::presets::get_preset))
        .route(
            "/configurations/{id}",
            get(routes::configurations::get_configuration).put(routes::configurations::update_configuration).delete(routes::configurations::delete_configuration),
        );

    let cors = if state.config.cors_origins.is_empty() {
        None
    } else {
        let origins: Vec<HeaderValue> = state.config.cors_origins.iter().filter_map(|origin| HeaderValue::from_str(origin).ok()).collect();
        Some(CorsLayer::new().allow_origin(AllowOrigin::list(origins)).allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE]).allow_headers(tower_http::cors::Any).expose_headers(EXPOSED_HEADERS.map(HeaderName::from_static)))
    };
    let max_body = state.config.max_body_bytes;

    let router = Router::new()
        .nest("/api/v1", api)
        .merge(openapi::routes())
        .merge(web::routes())
        .route("/metrics", get(metrics::scrape))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(Arc::clone(&state.metrics), metrics::track_requests))
        .layer(axum::extract::DefaultBodyLimit::max(max_body))
        .layer(axum::middleware::from_fn(auth::add_rate_limit_headers))
        .layer(axum::middleware::from_fn(fill_request_id))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("");
            tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
        })
        // One line per request at the end, with status and latency; the span adds the id.
        .on_response(tower_http::trace::DefaultOnResponse::new().level(tracing::Level::INFO)))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(axum::middleware::from_fn(drop_invalid_request_id))
        .with_state(state);
    match cors {
        Some(cors) => router.layer(cors),
        None => router,
    }
}

/// Response headers that browser clients on a CORS origin may read.
const EXPOSED_HEADERS: [&str; 9] =
    ["x-request-id", "retry-after", "x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset", "x-ratelimit-window", "x-patient-count", "x-batch-size", "content-disposition"];

/// Maximum length of a client request id that is kept, in bytes.
const MAX_REQUEST_ID_CHARS: usize = 128;

/// Removes a client's `X-Request-Id` unless it is 1 to 128 letters, digits, `-`, `_`, `.` or
/// `:`, so a new UUID replaces it. Ids are written into log lines, where other characters could
/// forge fields.
async fn drop_invalid_request_id(mut request: Request, next: Next) -> Response {
    let valid = |id: &str| !id.is_empty() && id.len() <= MAX_REQUEST_ID_CHARS && id.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if let Some(id) = request.headers().get("x-request-id") {
        if !id.to_str().is_ok_and(valid) {
            request.headers_mut().remove("x-request-id");
        }
    }
    next.run(request).await
}

async fn not_found() -> ApiError {
    ApiError::not_found("no such route; the API is under /api/v1")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "this route does not accept this method")
}

/// Puts the request id into the `request_id` field of error bodies.
async fn fill_request_id(request: Request, next: Next) -> Response {
    let request_id = request.headers().get("x-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let response = next.run(request).await;
    let status = response.status();
    let is_error = response.extensions().get::<ErrorBody>().is_some() || status.is_client_error() || status.is_server_error();
    if !is_error {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_ERROR_BODY_BYTES).await {
        Ok(bytes) => bytes,
        Err(_) => return ApiError::internal(&"an error body could not be read").into_response(),
    };
    let mut value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(value @ serde_json::Value::Object(_)) => value,
        // A layer or an extractor responded in plain text (the body limit, a query value of the
        // wrong type), so wrap its message in the error body.
        _ => framework_error_body(status, &bytes),
    };
    value["request_id"] = request_id.map_or(serde_json::Value::Null, serde_json::Value::String);
    let bytes = serde_json::to_vec(&value).unwrap_or_default();
    parts.headers.insert(axum::http::header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

/// Builds the error body for a plain-text rejection of the web framework, keeping its message.
fn framework_error_body(status: StatusCode, text: &[u8]) -> serde_json::Value {
    let (error, detail) = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ("payload_too_large", "the request body is larger than this server accepts; send a smaller body".to_owned()),
        StatusCode::BAD_REQUEST => ("bad_request", format!("invalid request: {}", String::from_utf8_lossy(text).trim())),
        _ => ("error", String::from_utf8_lossy(text).trim().to_owned()),
    };
    let detail = if detail.is_empty() { status.canonical_reason().unwrap_or("request failed").to_lowercase() } else { detail };
    serde_json::json!({"error": error, "detail": detail, "timestamp": Millis::now().to_rfc3339()})
}

/// Runs the service until SIGTERM or SIGINT.
///
/// # Errors
/// The store cannot be opened, the address cannot be bound, or serving fails.
pub async fn run(config: Config) -> anyhow::Result<()> {
    let server = start(config).await?;
    eprintln!("casualty: listening on http://{}", server.address);
    shutdown_signal().await;
    server.stop().await
}

/// A started service: its address and state, and the handle to stop it.
pub struct RunningServer {
    /// The address it listens on (useful with port 0).
    pub address: std::net::SocketAddr,
    /// Its shared state.
    pub state: AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl RunningServer {
    /// Ends open job event streams, stops accepting connections, lets open requests finish,
    /// stops running jobs (recorded as failed, interrupted by shutdown) and waits up to 10 s for
    /// them.
    ///
    /// # Errors
    /// Serving failed.
    pub async fn stop(self) -> anyhow::Result<()> {
        // Event streams stay open until their job ends, which would hold up the graceful shutdown.
        self.state.jobs.close_streams();
        let _ = self.stop.send(());
        let served = self.serving.await;
        tracing::info!("stopping: running jobs are interrupted");
        self.state.jobs.shut_down();
        for _ in 0..100 {
            if self.state.jobs.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        served.map_err(|error| anyhow::anyhow!("the server task failed: {error}"))??;
        Ok(())
    }
}

/// Opens the store, prepares keys and earlier jobs, starts the workers and starts serving.
///
/// # Errors
/// The store cannot be opened or the address cannot be bound.
pub async fn start(config: Config) -> anyhow::Result<RunningServer> {
    let store: Arc<dyn Store> = match &config.database_url {
        Some(url) => {
            tracing::info!(database = %url, "using the PostgreSQL database");
            Arc::new(PgStore::connect(url.expose()).await?)
        }
        None => Arc::new(SqliteStore::open(&config.data_dir).await?),
    };
    let now = Millis::now();
    prepare_keys(store.as_ref(), &config, now).await?;
    let metrics = Arc::new(metrics::Metrics::new());
    let lease = Arc::new(Lease { instance: new_instance_id(), duration_ms: i64::try_from(config.job_lease_ms).unwrap_or(i64::MAX) });
    tracing::info!(instance = %lease.instance, lease_ms = config.job_lease_ms, "instance started");
    recover_expired_jobs(store.as_ref(), &metrics, config.job_max_attempts).await;
    // With a shared database, other instances may be writing temporary job folders in the shared
    // jobs folder now, so only a single SQLite instance removes them all. A re-queued job's
    // worker removes the leftovers of that job's earlier attempt.
    if config.database_url.is_none() {
        remove_partial_outputs(&config).await;
    }

    let streaming_pool = rayon::ThreadPoolBuilder::new()
        .num_threads(config.job_threads)
        .thread_name(|index| format!("casualty-stream-{index}"))
        .build()
        .map_err(|error| anyhow::anyhow!("failed to start the streaming threads: {error}"))?;
    let state = AppState {
        config: Arc::new(config.clone()),
        store,
        jobs: Arc::new(JobRegistry::default()),
        queued: Arc::new(tokio::sync::Notify::new()),
        streaming_pool: Arc::new(streaming_pool),
        metrics,
        lease,
    };
    worker::spawn_workers(&state);
    spawn_lease_recovery(&state);
    worker::spawn_retention(&state);

    let listener = tokio::net::TcpListener::bind((config.host, config.port)).await.map_err(|error| anyhow::anyhow!("failed to listen on {}:{}: {error}", config.host, config.port))?;
    let address = listener.local_addr()?;
    tracing::info!(%address, data_dir = %config.data_dir.display(), "casualty service listening");

    let service = NormalizePathLayer::trim_trailing_slash().layer(app(state.clone()));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        axum::serve(listener, axum::ServiceExt::<Request>::into_make_service(service))
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            })
            .await
    });
    Ok(RunningServer { address, state, stop, serving })
}

/// Creates the demo key and the operator key when missing.
async fn prepare_keys(store: &dyn Store, config: &Config, now: Millis) -> anyhow::Result<()> {
    let demo = config.demo_limits;
    let demo_key = NewKey {
        name: "Demo key".into(),
        kind: KeyKind::Demo,
        limits: KeyLimits {
            patients_per_request: Some(demo.patients_per_request),
            rate: RateLimits { per_minute: Some(demo.per_minute), per_hour: Some(demo.per_hour), per_day: Some(demo.per_day) },
        },
        expires_at: None,
    };
    let limits = demo_key.limits;
    let ensured = store.ensure_key_with_secret(demo_key, DEMO_KEY, now).await?;
    // The configured demo limits apply to an existing demo key too.
    if ensured.key.limits != limits {
        store.update_key_limits(ensured.key.id, limits).await?;
    }

    let operator = NewKey { name: "Operator".into(), kind: KeyKind::Operator, limits: KeyLimits::default(), expires_at: None };
    match std::env::var(OPERATOR_KEY_VARIABLE) {
        Ok(secret) if !secret.trim().is_empty() => {
            store.ensure_key_with_secret(operator, secret.trim(), now).await?;
        }
        _ => {
            let keys = store.list_keys().await?;
            if !keys.iter().any(|key| key.kind == KeyKind::Operator) {
                let (key, secret) = store.create_key(operator, now).await?;
                // Printed once on standard output, apart from the logs on standard error, so the
                // secret never reaches a log collector. The store keeps only its hash.
                println!("casualty: created the operator key {} (shown only now, store it safely):\n  {}", key.id, secret.expose());
            }
        }
    }
    Ok(())
}

/// Returns a new id for this instance, shown in logs and job events: the process id and eight
/// random hexadecimal digits, so that two instances on different hosts with the same process id
/// differ.
fn new_instance_id() -> String {
    let random = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", std::process::id(), &random[..8])
}

/// Re-queues or fails the running jobs whose lease expired, and counts them in the metrics.
/// Returns whether a job was queued again. A failure is logged and tried again at the next
/// interval.
async fn recover_expired_jobs(store: &dyn Store, metrics: &metrics::Metrics, max_attempts: u32) -> bool {
    match store.recover_expired_jobs(max_attempts, Millis::now()).await {
        Ok(recovered) => {
            let requeued = recovered.iter().any(|job| job.status == JobStatus::Pending);
            for job in recovered {
                metrics.record_transition(Some(JobStatus::Running), job.status);
                if job.status == JobStatus::Failed {
                    metrics.record_error(crate::metrics::ErrorType::Interrupted);
                    tracing::warn!(job.id = %job.id, "job failed: its lease expired after the last attempt");
                } else {
                    tracing::warn!(job.id = %job.id, "job queued again: its lease expired");
                }
            }
            requeued
        }
        Err(error) => {
            tracing::error!(error = %error, "failed to recover jobs with expired leases");
            false
        }
    }
}

/// Looks for jobs with expired leases every `job_lease_renew_ms`, on every instance, and wakes
/// the workers when one was queued again.
fn spawn_lease_recovery(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(Duration::from_millis(state.config.job_lease_renew_ms));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            interval.tick().await;
            if state.jobs.is_shutting_down() {
                return;
            }
            if recover_expired_jobs(state.store.as_ref(), &state.metrics, state.config.job_max_attempts).await {
                state.queued.notify_waiters();
            }
        }
    });
}

/// Removes temporary job folders that an interrupted run left behind.
async fn remove_partial_outputs(config: &Config) {
    let jobs = config.data_dir.join("jobs");
    let Ok(mut entries) = tokio::fs::read_dir(&jobs).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') && name.ends_with(".partial") {
            if let Err(error) = tokio::fs::remove_dir_all(entry.path()).await {
                tracing::warn!(error = %error, "failed to remove a partial job output");
            }
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}
