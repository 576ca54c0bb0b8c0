//! Prometheus metrics: the registry of every series, `GET /metrics`, and the middleware that
//! counts API requests.
//!
//! Each server has its own [`Metrics`] in [`AppState`], so several servers in one process (as in
//! the tests) do not share counts. Series with bounded labels are created at zero when the
//! registry is built, so `rate()` over them has data before the first event. The series are
//! described for operators in `docs/operations.md`.
//!
//! `prometheus-client` writes the OpenMetrics text format only. A scraper that does not ask for
//! OpenMetrics gets the Prometheus text format 0.0.4, converted by [`to_prometheus_text`].

use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use casualty_output::Format;
use casualty_store::{JobStatus, KeyKind, Window};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use crate::state::AppState;
use crate::system::{self, CpuSampler};

/// Largest run, in patients, counted in the `small` size class; larger runs are `large`. The
/// operators' dashboards compare runs on either side of 1,000 patients, so this is part of the
/// series' meaning rather than a setting. Chunking does not follow it: every job is written in
/// chunks, and `patient_generation_chunks_total` counts them.
pub const SMALL_RUN_MAX_PATIENTS: u64 = 1_000;

/// Values of the `size_class` label.
const SIZE_CLASSES: [&str; 2] = ["small", "large"];

/// The `endpoint` label of requests that matched no route, so that unknown paths cannot add
/// series.
pub const UNMATCHED_ENDPOINT: &str = "unmatched";

/// The `job_type` label of generation jobs, the only kind of job.
pub const GENERATION_JOB_TYPE: &str = "patient_generation";

/// Media type of the OpenMetrics text format.
pub const OPENMETRICS_CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Media type of the Prometheus text format.
pub const PROMETHEUS_TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Buckets of `patient_generation_duration_seconds`, in seconds.
const GENERATION_BUCKETS: [f64; 10] = [0.1, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0];

/// Buckets of `job_execution_seconds`, in seconds.
const JOB_BUCKETS: [f64; 9] = [1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0];

/// Buckets of `api_request_duration_seconds`, in seconds.
const API_BUCKETS: [f64; 11] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// The job status changes that the state machine allows, with `created` as the origin of a new
/// job. [`JobStatus::can_become`] is checked against this list in the tests.
pub const TRANSITIONS: [(&str, JobStatus); 7] = [
    ("created", JobStatus::Pending),
    ("pending", JobStatus::Running),
    ("pending", JobStatus::Cancelled),
    ("running", JobStatus::Pending),
    ("running", JobStatus::Completed),
    ("running", JobStatus::Failed),
    ("running", JobStatus::Cancelled),
];

/// The cause of a failed generation run, the `error_type` label. A cancelled run is not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorType {
    /// Reading or writing files failed.
    Io,
    /// A full disk: no space left, or a disk quota or file size limit reached.
    DiskFull,
    /// A server shutdown or restart stopped the run, or a restart lost its encryption password.
    Interrupted,
    /// The stored request is no longer valid for this version.
    InvalidRequest,
    /// A defect: a generation thread stopped or a record could not be encoded.
    Internal,
}

impl ErrorType {
    /// Every cause.
    pub const ALL: [ErrorType; 5] = [ErrorType::Io, ErrorType::DiskFull, ErrorType::Interrupted, ErrorType::InvalidRequest, ErrorType::Internal];

    /// Returns the label value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorType::Io => "io",
            ErrorType::DiskFull => "disk_full",
            ErrorType::Interrupted => "interrupted",
            ErrorType::InvalidRequest => "invalid_request",
            ErrorType::Internal => "internal",
        }
    }

    /// Classifies an I/O error: no space left, a disk quota or a file size limit reached, or any
    /// other failure.
    pub fn of_io(error: &std::io::Error) -> ErrorType {
        match error.kind() {
            std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded | std::io::ErrorKind::FileTooLarge => ErrorType::DiskFull,
            _ => ErrorType::Io,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FormatLabels {
    format: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    error_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SizeClassLabels {
    size_class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct MemoryLabels {
    r#type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct JobTypeLabels {
    job_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    from_status: &'static str,
    to_status: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    endpoint: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestDurationLabels {
    endpoint: String,
    method: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RejectionLabels {
    key_type: &'static str,
    window: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// Every series of the service and the registry that exposes them.
pub struct Metrics {
    registry: Registry,
    patients_generated: Family<FormatLabels, Counter>,
    generation_duration: HistogramFamily<FormatLabels>,
    generation_errors: Family<ErrorLabels, Counter>,
    generation_chunks: Family<FormatLabels, Counter>,
    generation_runs: Family<SizeClassLabels, Counter>,
    run_duration: HistogramFamily<SizeClassLabels>,
    run_patients: Family<SizeClassLabels, Counter>,
    output_bytes: Family<FormatLabels, Counter>,
    memory: Family<MemoryLabels, Gauge>,
    cpu_percent: Gauge<f64, AtomicU64>,
    job_execution: HistogramFamily<JobTypeLabels>,
    job_queue: Family<StatusLabels, Gauge>,
    job_transitions: Family<TransitionLabels, Counter>,
    jobs_finished: Family<OutcomeLabels, Counter>,
    api_requests: Family<RequestLabels, Counter>,
    api_duration: HistogramFamily<RequestDurationLabels>,
    db_connections: Gauge,
    streaming_clients: Gauge,
    rate_limit_rejections: Family<RejectionLabels, Counter>,
    cpu: CpuSampler,
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl Metrics {
    /// Builds the registry with every series, the bounded label values at zero.
    pub fn new() -> Metrics {
        let metrics = Metrics {
            registry: Registry::default(),
            patients_generated: Family::default(),
            generation_duration: Family::new_with_constructor(|| Histogram::new(GENERATION_BUCKETS)),
            generation_errors: Family::default(),
            generation_chunks: Family::default(),
            generation_runs: Family::default(),
            run_duration: Family::new_with_constructor(|| Histogram::new(GENERATION_BUCKETS)),
            run_patients: Family::default(),
            output_bytes: Family::default(),
            memory: Family::default(),
            cpu_percent: Gauge::default(),
            job_execution: Family::new_with_constructor(|| Histogram::new(JOB_BUCKETS)),
            job_queue: Family::default(),
            job_transitions: Family::default(),
            jobs_finished: Family::default(),
            api_requests: Family::default(),
            api_duration: Family::new_with_constructor(|| Histogram::new(API_BUCKETS)),
            db_connections: Gauge::default(),
            streaming_clients: Gauge::default(),
            rate_limit_rejections: Family::default(),
            cpu: CpuSampler::default(),
        };
        metrics.create_zero_series();
        metrics.register()
    }

    /// Creates every series whose labels are known in advance, so they are exposed at zero.
    fn create_zero_series(&self) {
        for format in Format::ALL {
            let labels = FormatLabels { format: format.as_str() };
            let _ = self.patients_generated.get_or_create(&labels);
            let _ = self.generation_duration.get_or_create(&labels);
            let _ = self.generation_chunks.get_or_create(&labels);
            let _ = self.output_bytes.get_or_create(&labels);
        }
        for error_type in ErrorType::ALL {
            let _ = self.generation_errors.get_or_create(&ErrorLabels { error_type: error_type.as_str() });
        }
        for size_class in SIZE_CLASSES {
            let labels = SizeClassLabels { size_class };
            let _ = self.generation_runs.get_or_create(&labels);
            let _ = self.run_duration.get_or_create(&labels);
            let _ = self.run_patients.get_or_create(&labels);
        }
        for kind in ["rss", "vms", "available"] {
            let _ = self.memory.get_or_create(&MemoryLabels { r#type: kind });
        }
        let _ = self.job_execution.get_or_create(&JobTypeLabels { job_type: GENERATION_JOB_TYPE });
        for status in [JobStatus::Pending, JobStatus::Running] {
            let _ = self.job_queue.get_or_create(&StatusLabels { status: status.as_str() });
        }
        for (from_status, to) in TRANSITIONS {
            let _ = self.job_transitions.get_or_create(&TransitionLabels { from_status, to_status: to.as_str() });
        }
        for outcome in [JobStatus::Completed, JobStatus::Failed, JobStatus::Cancelled] {
            let _ = self.jobs_finished.get_or_create(&OutcomeLabels { outcome: outcome.as_str() });
        }
        for kind in KeyKind::ALL {
            for window in Window::ALL {
                let _ = self.rate_limit_rejections.get_or_create(&RejectionLabels { key_type: kind.as_str(), window: window.as_str() });
            }
        }
    }

    /// Registers every series. Counters are registered without `_total`, which the library
    /// appends to their samples.
    fn register(mut self) -> Metrics {
        let registry = &mut self.registry;
        registry.register("patients_generated", "Patients written by generation jobs and streams, by output format", self.patients_generated.clone());
        registry.register("patient_generation_duration_seconds", "Duration of completed generation jobs, observed once per format of the job", self.generation_duration.clone());
        registry.register("patient_generation_errors", "Failed generation jobs by cause", self.generation_errors.clone());
        registry.register("patient_generation_chunks", "Chunks of patients written by generation jobs, by output format", self.generation_chunks.clone());
        registry.register(
            "patient_generation_runs",
            "Completed generation jobs by size class: small up to 1000 patients, large above",
            self.generation_runs.clone(),
        );
        registry.register(
            "patient_generation_run_duration_seconds",
            "Duration of completed generation jobs, observed once per job, by size class",
            self.run_duration.clone(),
        );
        registry.register("patient_generation_run_patients", "Patients of completed generation jobs, by size class", self.run_patients.clone());
        registry.register("output_bytes_written", "Bytes of the output files of completed jobs, after compression and encryption, by format", self.output_bytes.clone());
        registry.register("process_memory_usage_bytes", "Resident (rss) and virtual (vms) memory of the process, and memory available on the host", self.memory.clone());
        registry.register("process_cpu_usage_percent", "CPU time of the process between two samples, in percent of one core", self.cpu_percent.clone());
        registry.register("job_execution_seconds", "Time from the start to the end of a job that ran, by job type", self.job_execution.clone());
        registry.register("job_queue_size", "Jobs waiting (pending) and running, from the database", self.job_queue.clone());
        registry.register("job_status_changes", "Job status changes; a new job changes from created to pending", self.job_transitions.clone());
        registry.register("jobs_finished", "Jobs that ended, by outcome", self.jobs_finished.clone());
        registry.register("api_requests", "HTTP requests by method, route template and status code", self.api_requests.clone());
        registry.register("api_request_duration_seconds", "Time to the response head of HTTP requests, by route template and method", self.api_duration.clone());
        registry.register("db_connections_active", "Database connections in use", self.db_connections.clone());
        registry.register("streaming_clients_connected", "Clients receiving a streamed generation now", self.streaming_clients.clone());
        registry.register("rate_limit_rejections", "Requests rejected by a rate limit, by key type and window", self.rate_limit_rejections.clone());
        self
    }

    /// Adds patients written in `format`.
    pub fn add_patients(&self, format: Format, patients: u64) {
        self.patients_generated.get_or_create(&FormatLabels { format: format.as_str() }).inc_by(patients);
    }

    /// Counts one chunk written in `format`.
    pub fn add_chunk(&self, format: Format) {
        self.generation_chunks.get_or_create(&FormatLabels { format: format.as_str() }).inc();
    }

    /// Records a completed generation run of `patients` patients in `formats` that took
    /// `duration`.
    pub fn record_completed_run(&self, formats: &[Format], patients: u64, duration: Duration) {
        for format in formats {
            self.generation_duration.get_or_create(&FormatLabels { format: format.as_str() }).observe(duration.as_secs_f64());
        }
        let labels = SizeClassLabels { size_class: if patients <= SMALL_RUN_MAX_PATIENTS { "small" } else { "large" } };
        self.generation_runs.get_or_create(&labels).inc();
        self.run_duration.get_or_create(&labels).observe(duration.as_secs_f64());
        self.run_patients.get_or_create(&labels).inc_by(patients);
    }

    /// Adds bytes of output files written in `format`.
    pub fn add_output_bytes(&self, format: Format, bytes: u64) {
        self.output_bytes.get_or_create(&FormatLabels { format: format.as_str() }).inc_by(bytes);
    }

    /// Counts a failed generation run.
    pub fn record_error(&self, error_type: ErrorType) {
        self.generation_errors.get_or_create(&ErrorLabels { error_type: error_type.as_str() }).inc();
    }

    /// Counts a job status change; `from` is `None` for a new job.
    pub fn record_transition(&self, from: Option<JobStatus>, to: JobStatus) {
        let from_status = from.map_or("created", JobStatus::as_str);
        self.job_transitions.get_or_create(&TransitionLabels { from_status, to_status: to.as_str() }).inc();
    }

    /// Records the end of a job that ran for `duration`, with its final status.
    pub fn record_job_end(&self, outcome: JobStatus, duration: Duration) {
        self.job_execution.get_or_create(&JobTypeLabels { job_type: GENERATION_JOB_TYPE }).observe(duration.as_secs_f64());
        self.jobs_finished.get_or_create(&OutcomeLabels { outcome: outcome.as_str() }).inc();
    }

    /// Counts a request rejected by the rate limit of `window` for a key of `kind`.
    pub fn record_rate_limit_rejection(&self, kind: KeyKind, window: Window) {
        self.rate_limit_rejections.get_or_create(&RejectionLabels { key_type: kind.as_str(), window: window.as_str() }).inc();
    }

    /// Counts a streaming client until the returned guard is dropped.
    pub fn streaming_client(&self) -> StreamingClientGuard {
        self.streaming_clients.inc();
        StreamingClientGuard { gauge: self.streaming_clients.clone() }
    }

    /// Reads memory and CPU use into their gauges. Called at every scrape and, during
    /// generation, by the worker's progress loop.
    pub fn sample_process(&self) {
        if let Some(process) = system::process_memory() {
            self.memory.get_or_create(&MemoryLabels { r#type: "rss" }).set(saturating_i64(process.rss_bytes));
            self.memory.get_or_create(&MemoryLabels { r#type: "vms" }).set(saturating_i64(process.vms_bytes));
        }
        if let Some(host) = system::host_memory() {
            self.memory.get_or_create(&MemoryLabels { r#type: "available" }).set(saturating_i64(host.available_bytes));
        }
        if let Some(percent) = self.cpu.sample() {
            self.cpu_percent.set(percent);
        }
    }

    /// Sets `job_queue_size` from the store's counts of jobs by status.
    fn set_queue(&self, counts: &[(JobStatus, u64)]) {
        for (status, count) in counts {
            if matches!(status, JobStatus::Pending | JobStatus::Running) {
                self.job_queue.get_or_create(&StatusLabels { status: status.as_str() }).set(saturating_i64(*count));
            }
        }
    }

    /// Encodes every series in the OpenMetrics text format, or in the Prometheus text format.
    pub fn encode(&self, openmetrics: bool) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail, and the registry's own encoders return errors only
        // from the writer.
        if let Err(error) = prometheus_client::encoding::text::encode(&mut text, &self.registry) {
            tracing::error!(error = %error, "failed to encode the metrics");
        }
        if openmetrics {
            text
        } else {
            to_prometheus_text(&text)
        }
    }
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

/// Decrements `streaming_clients_connected` when dropped, so a stream that ends, fails or loses
/// its client is uncounted exactly once.
#[derive(Debug)]
pub struct StreamingClientGuard {
    gauge: Gauge,
}

impl Drop for StreamingClientGuard {
    fn drop(&mut self) {
        self.gauge.dec();
    }
}

/// Converts the OpenMetrics text that `prometheus-client` writes into the Prometheus text format
/// 0.0.4. The two differ, for the series of this service, in two places: OpenMetrics ends with
/// `# EOF`, and names a counter family without the `_total` of its samples, where the 0.0.4
/// format expects the `# HELP` and `# TYPE` lines to carry the sample name.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let mut text = String::with_capacity(openmetrics.len());
    let mut help: Option<&str> = None;
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        if line.starts_with("# HELP ") {
            help = Some(line);
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap_or((rest, ""));
            let renamed = if kind == "counter" && !name.ends_with("_total") { format!("{name}_total") } else { name.to_string() };
            if let Some(help_line) = help.take() {
                let description = help_line.strip_prefix("# HELP ").and_then(|rest| rest.split_once(' ')).map_or("", |(_, description)| description);
                text.push_str(&format!("# HELP {renamed} {description}\n"));
            }
            let kind = if kind == "unknown" { "untyped" } else { kind };
            text.push_str(&format!("# TYPE {renamed} {kind}\n"));
            continue;
        }
        if let Some(help_line) = help.take() {
            text.push_str(help_line);
            text.push('\n');
        }
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// Returns whether an `Accept` header asks for OpenMetrics, that is lists
/// `application/openmetrics-text` with a quality above zero.
pub fn accepts_openmetrics(headers: &HeaderMap) -> bool {
    headers.get_all(header::ACCEPT).iter().filter_map(|value| value.to_str().ok()).flat_map(|value| value.split(',')).any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let media_type = parts.next().unwrap_or("");
        let quality = parts.filter_map(|parameter| parameter.strip_prefix("q=")).find_map(|q| q.parse::<f64>().ok()).unwrap_or(1.0);
        media_type.eq_ignore_ascii_case("application/openmetrics-text") && quality > 0.0
    })
}

/// Handles `GET /metrics`: refreshes the gauges read at scrape time and returns every series.
pub async fn scrape(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let metrics = &state.metrics;
    // Read before this scrape's own query: sqlx hands a connection back to the pool on a task
    // of its own, so the query's connection would still count as in use just after it.
    if let Some(in_use) = state.store.connections_in_use() {
        metrics.db_connections.set(i64::from(in_use));
    }
    match state.store.count_jobs_by_status().await {
        Ok(counts) => metrics.set_queue(&counts),
        // The last known counts stay; the failed round trip shows in the readiness check.
        Err(error) => tracing::warn!(error = %error, "failed to count jobs for the metrics"),
    }
    metrics.sample_process();

    let openmetrics = accepts_openmetrics(&headers);
    let body = metrics.encode(openmetrics);
    let content_type = if openmetrics { OPENMETRICS_CONTENT_TYPE } else { PROMETHEUS_TEXT_CONTENT_TYPE };
    (StatusCode::OK, [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))], body).into_response()
}

/// Counts each request in `api_requests_total` and times it in `api_request_duration_seconds`,
/// labelled by route template. The time ends when the response head is ready, so a streamed
/// body's transfer is not included.
pub async fn track_requests(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let endpoint = request.extensions().get::<MatchedPath>().map_or_else(|| UNMATCHED_ENDPOINT.to_string(), |path| path.as_str().to_string());
    let method = method_label(request.method());
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics.api_requests.get_or_create(&RequestLabels { method, endpoint: endpoint.clone(), status: response.status().as_u16() }).inc();
    metrics.api_duration.get_or_create(&RequestDurationLabels { endpoint, method }).observe(elapsed);
    response
}

/// Returns the `method` label: the standard methods by name, any other as `other`, so that
/// invented methods cannot add series.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_match_state_machine() {
        for (from, to) in TRANSITIONS {
            match from {
                "created" => assert_eq!(to, JobStatus::Pending, "a new job is pending"),
                from => {
                    let from: JobStatus = from.parse().expect("a status name");
                    assert!(from.can_become(to), "{from} -> {to} is allowed by the store");
                }
            }
        }
        let allowed = JobStatus::ALL.iter().flat_map(|from| JobStatus::ALL.iter().map(move |to| (*from, *to))).filter(|(from, to)| from.can_become(*to)).count();
        assert_eq!(allowed + 1, TRANSITIONS.len(), "every allowed change is listed");
    }

    #[test]
    fn io_errors_are_classified_by_kind() {
        use std::io::{Error, ErrorKind};
        assert_eq!(ErrorType::of_io(&Error::from_raw_os_error(nix::libc::ENOSPC)), ErrorType::DiskFull);
        assert_eq!(ErrorType::of_io(&Error::from_raw_os_error(nix::libc::EDQUOT)), ErrorType::DiskFull);
        assert_eq!(ErrorType::of_io(&Error::from_raw_os_error(nix::libc::EFBIG)), ErrorType::DiskFull);
        assert_eq!(ErrorType::of_io(&Error::from_raw_os_error(nix::libc::EACCES)), ErrorType::Io);
        assert_eq!(ErrorType::of_io(&Error::from(ErrorKind::NotADirectory)), ErrorType::Io);
    }

    #[test]
    fn prometheus_text_names_counter_families_with_total() {
        let openmetrics = "# HELP things Things done.\n# TYPE things counter\nthings_total{kind=\"a\"} 1\n# HELP size Size.\n# TYPE size gauge\nsize 3\n# EOF\n";
        let expected = "# HELP things_total Things done.\n# TYPE things_total counter\nthings_total{kind=\"a\"} 1\n# HELP size Size.\n# TYPE size gauge\nsize 3\n";
        assert_eq!(to_prometheus_text(openmetrics), expected);
    }

    #[test]
    fn accept_header_selects_openmetrics() {
        let accepts = |value: &str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::ACCEPT, HeaderValue::from_str(value).expect("a valid header"));
            accepts_openmetrics(&headers)
        };
        assert!(accepts("application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"));
        assert!(accepts("text/plain, application/openmetrics-text; version=0.0.1; q=0.75"));
        assert!(!accepts("text/plain;version=0.0.4"));
        assert!(!accepts("application/openmetrics-text;q=0"));
        assert!(!accepts_openmetrics(&HeaderMap::new()));
    }

    #[test]
    fn counters_exposed_with_contract_names() {
        let text = Metrics::new().encode(false);
        for name in ["patients_generated_total", "patient_generation_errors_total", "job_status_changes_total", "rate_limit_rejections_total"] {
            assert!(text.contains(&format!("# TYPE {name} counter\n")), "{name} is a counter family");
        }
        assert!(!text.contains("_total_total"), "no doubled suffix");
    }
}
