//! `GET /metrics` and `GET /api/v1/health` over real HTTP on loopback: the series that operators'
//! queries read, checked against jobs and requests of known size.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use casualty_server::metrics::Metrics;
use casualty_server::state::AppState;
use casualty_server::{Config, RunningServer, DEMO_KEY};
use casualty_store::{KeyKind, KeyLimits, Lease, Millis, NewJob, NewKey, Priority, SqliteStore, Store};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A server on a free port with its own data folder.
struct TestServer {
    server: RunningServer,
    root: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        TestServer::start_with(|config| config).await
    }

    async fn start_with(adjust: impl FnOnce(Config) -> Config) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let config = adjust(Config { port: 0, data_dir: dir.path().join("data"), job_threads: 2, ..Config::default() });
        let server = casualty_server::start(config).await.expect("the server starts");
        let root = format!("http://{}", server.address);
        TestServer { server, root, client: reqwest::Client::new(), _dir: dir }
    }

    /// Creates a key without limits and returns its secret.
    async fn user_key(&self) -> String {
        let new = NewKey { name: "planner".into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
        let (_, secret) = self.server.state.store.create_key(new, Millis::now()).await.unwrap();
        secret.expose().to_string()
    }

    async fn post(&self, key: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self.client.post(format!("{}/api/v1{path}", self.root)).header("X-API-Key", key).json(body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(format!("{}/api/v1{path}", self.root)).header("X-API-Key", key).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Scrapes `/metrics` in the Prometheus text format.
    async fn scrape(&self) -> Scrape {
        let response = self.client.get(format!("{}/metrics", self.root)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Scrape::parse(&response.text().await.unwrap())
    }

    /// Queues a job and returns its id.
    async fn queue(&self, key: &str, body: &Value) -> String {
        let (status, created) = self.post(key, "/generation", body).await;
        assert_eq!(status, StatusCode::CREATED, "queueing a job: {created}");
        created["job_id"].as_str().unwrap().to_string()
    }

    /// Polls a job until it leaves pending and running, or fails the test after `limit`.
    async fn wait_for(&self, key: &str, job: &str, limit: Duration) -> Value {
        let started = Instant::now();
        loop {
            let (status, body) = self.get(key, &format!("/jobs/{job}")).await;
            assert_eq!(status, StatusCode::OK, "polling the job: {body}");
            if !matches!(body["status"].as_str(), Some("pending" | "running")) {
                return body;
            }
            assert!(started.elapsed() < limit, "job {job} did not finish within {limit:?}: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Scrapes until `done` holds for the scrape, or fails the test after 10 s.
    async fn scrape_until(&self, what: &str, done: impl Fn(&Scrape) -> bool) -> Scrape {
        let started = Instant::now();
        loop {
            let scrape = self.scrape().await;
            if done(&scrape) {
                return scrape;
            }
            assert!(started.elapsed() < Duration::from_secs(10), "{what} within 10 s:\n{}", scrape.text);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// A parsed exposition: samples by name and label set.
struct Scrape {
    text: String,
    samples: Vec<(String, BTreeMap<String, String>, f64)>,
}

impl Scrape {
    fn parse(text: &str) -> Scrape {
        let mut samples = Vec::new();
        for line in text.lines().filter(|line| !line.starts_with('#') && !line.is_empty()) {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let value: f64 = if value == "+Inf" { f64::INFINITY } else { value.parse().expect("a numeric value") };
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => (name, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            let labels = labels
                .split("\",")
                .filter(|pair| !pair.is_empty())
                .map(|pair| {
                    let (key, value) = pair.split_once('=').expect("a label is key=value");
                    (key.to_string(), value.trim_matches('"').to_string())
                })
                .collect();
            samples.push((name.to_string(), labels, value));
        }
        Scrape { text: text.to_string(), samples }
    }

    /// Returns the value of the sample with exactly these labels, if exposed.
    fn value(&self, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let expected_labels: BTreeMap<String, String> = labels.iter().map(|(key, value)| (key.to_string(), value.to_string())).collect();
        self.samples.iter().find(|(sample, sample_labels, _)| sample == name && *sample_labels == expected_labels).map(|(_, _, value)| *value)
    }

    /// Returns the value of a sample that must be exposed.
    fn expect(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.value(name, labels).unwrap_or_else(|| panic!("{name}{labels:?} is not exposed:\n{}", self.text))
    }
}

const FORMATS: [&str; 6] = ["json", "csv", "xml", "fhir", "xlsx", "ndjson"];

const TRANSITIONS: [(&str, &str); 7] =
    [("created", "pending"), ("pending", "running"), ("pending", "cancelled"), ("running", "pending"), ("running", "completed"), ("running", "failed"), ("running", "cancelled")];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_labels_exposed_at_zero() {
    let server = TestServer::start().await;
    let scrape = server.scrape().await;

    for format in FORMATS {
        assert_eq!(scrape.value("patients_generated_total", &[("format", format)]), Some(0.0), "patients of {format}");
        assert_eq!(scrape.value("patient_generation_chunks_total", &[("format", format)]), Some(0.0), "chunks of {format}");
        assert_eq!(scrape.value("output_bytes_written_total", &[("format", format)]), Some(0.0), "bytes of {format}");
        assert_eq!(scrape.value("patient_generation_duration_seconds_count", &[("format", format)]), Some(0.0), "runs of {format}");
        assert_eq!(scrape.value("patient_generation_duration_seconds_bucket", &[("format", format), ("le", "300.0")]), Some(0.0), "the 300 s bucket of {format}");
    }
    for error_type in ["io", "disk_full", "interrupted", "invalid_request", "internal"] {
        assert_eq!(scrape.value("patient_generation_errors_total", &[("error_type", error_type)]), Some(0.0), "errors of type {error_type}");
    }
    for (from, to) in TRANSITIONS {
        assert_eq!(scrape.value("job_status_changes_total", &[("from_status", from), ("to_status", to)]), Some(0.0), "{from} -> {to}");
    }
    for status in ["pending", "running"] {
        assert_eq!(scrape.value("job_queue_size", &[("status", status)]), Some(0.0), "{status} jobs");
    }
    for outcome in ["completed", "failed", "cancelled"] {
        assert_eq!(scrape.value("jobs_finished_total", &[("outcome", outcome)]), Some(0.0), "{outcome} jobs");
    }
    for size_class in ["small", "large"] {
        assert_eq!(scrape.value("patient_generation_runs_total", &[("size_class", size_class)]), Some(0.0), "{size_class} runs");
        assert_eq!(scrape.value("patient_generation_run_patients_total", &[("size_class", size_class)]), Some(0.0), "patients of {size_class} runs");
        assert_eq!(scrape.value("patient_generation_run_duration_seconds_count", &[("size_class", size_class)]), Some(0.0), "{size_class} run durations");
    }
    for key_type in ["demo", "user", "operator"] {
        for window in ["minute", "hour", "day"] {
            assert_eq!(scrape.value("rate_limit_rejections_total", &[("key_type", key_type), ("window", window)]), Some(0.0), "{key_type} rejections per {window}");
        }
    }
    assert_eq!(scrape.value("job_execution_seconds_count", &[("job_type", "patient_generation")]), Some(0.0));
    assert_eq!(scrape.value("job_execution_seconds_bucket", &[("job_type", "patient_generation"), ("le", "3600.0")]), Some(0.0));
    assert_eq!(scrape.value("streaming_clients_connected", &[]), Some(0.0));
    assert!(scrape.value("db_connections_active", &[]).is_some());
    // The workers' first claims run at start-up, so the connections may still be in use.
    server.scrape_until("no database connection is in use", |scrape| scrape.value("db_connections_active", &[]) == Some(0.0)).await;
    assert!(scrape.value("process_cpu_usage_percent", &[]).is_some());
    for kind in ["rss", "vms", "available"] {
        assert!(scrape.expect("process_memory_usage_bytes", &[("type", kind)]) > 0.0, "{kind} memory is read at scrape time");
    }
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_counts_patients_per_format() {
    let server = TestServer::start().await;
    let key = server.user_key().await;
    let patients = 1_500;
    let job = server.queue(&key, &json!({"configuration": {"count": patients}, "output_formats": ["json", "csv"]})).await;
    let finished = server.wait_for(&key, &job, Duration::from_secs(120)).await;
    assert_eq!(finished["status"], "completed", "{finished}");

    let scrape = server.scrape().await;
    for format in ["json", "csv"] {
        assert_eq!(scrape.expect("patients_generated_total", &[("format", format)]), f64::from(patients), "patients written as {format}");
        assert_eq!(scrape.expect("patient_generation_duration_seconds_count", &[("format", format)]), 1.0, "one run of {format}");
        assert!(scrape.expect("patient_generation_duration_seconds_sum", &[("format", format)]) > 0.0);
        assert!(scrape.expect("patient_generation_chunks_total", &[("format", format)]) >= 3.0, "1,500 patients take at least 3 chunks of 512");
        assert!(scrape.expect("output_bytes_written_total", &[("format", format)]) > 0.0, "bytes of {format}");
    }
    for format in ["xml", "fhir", "xlsx", "ndjson"] {
        assert_eq!(scrape.expect("patients_generated_total", &[("format", format)]), 0.0, "no patients as {format}");
    }
    assert_eq!(scrape.expect("patient_generation_runs_total", &[("size_class", "large")]), 1.0);
    assert_eq!(scrape.expect("patient_generation_runs_total", &[("size_class", "small")]), 0.0);
    assert_eq!(scrape.expect("patient_generation_run_patients_total", &[("size_class", "large")]), f64::from(patients));
    assert_eq!(scrape.expect("patient_generation_run_duration_seconds_count", &[("size_class", "large")]), 1.0, "one observation per job");
    assert!(scrape.expect("patient_generation_run_duration_seconds_sum", &[("size_class", "large")]) > 0.0);
    for (from, to, count) in [("created", "pending", 1.0), ("pending", "running", 1.0), ("running", "completed", 1.0), ("running", "failed", 0.0)] {
        assert_eq!(scrape.expect("job_status_changes_total", &[("from_status", from), ("to_status", to)]), count, "{from} -> {to}");
    }
    assert_eq!(scrape.expect("jobs_finished_total", &[("outcome", "completed")]), 1.0);
    assert_eq!(scrape.expect("job_execution_seconds_count", &[("job_type", "patient_generation")]), 1.0);
    assert_eq!(scrape.expect("patient_generation_errors_total", &[("error_type", "io")]), 0.0);

    // Idle again: the gauges are back at zero.
    let idle = server
        .scrape_until("the gauges return to zero", |scrape| {
            scrape.value("job_queue_size", &[("status", "pending")]) == Some(0.0)
                && scrape.value("job_queue_size", &[("status", "running")]) == Some(0.0)
                && scrape.value("db_connections_active", &[]) == Some(0.0)
        })
        .await;
    assert_eq!(idle.expect("streaming_clients_connected", &[]), 0.0);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_job_counts_as_small_run() {
    let server = TestServer::start().await;
    let key = server.user_key().await;
    let job = server.queue(&key, &json!({"configuration": {"count": 40}, "output_formats": ["ndjson", "xml", "fhir"]})).await;
    assert_eq!(server.wait_for(&key, &job, Duration::from_secs(60)).await["status"], "completed");

    let scrape = server.scrape().await;
    for format in ["ndjson", "xml", "fhir"] {
        assert_eq!(scrape.expect("patients_generated_total", &[("format", format)]), 40.0, "patients written as {format}");
        assert_eq!(scrape.expect("patient_generation_chunks_total", &[("format", format)]), 1.0, "40 patients are one chunk");
    }
    assert_eq!(scrape.expect("patient_generation_runs_total", &[("size_class", "small")]), 1.0);
    assert_eq!(scrape.expect("patient_generation_runs_total", &[("size_class", "large")]), 0.0);
    assert_eq!(scrape.expect("patient_generation_run_patients_total", &[("size_class", "small")]), 40.0, "the job's patients, once whatever its formats");
    assert_eq!(scrape.expect("patient_generation_run_duration_seconds_count", &[("size_class", "small")]), 1.0, "one observation per job, not per format");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_job_counted_by_cause() {
    let server = TestServer::start().await;
    let key = server.user_key().await;
    // A file where the jobs folder belongs makes creating the job's output folder fail.
    std::fs::write(server.server.state.config.data_dir.join("jobs"), b"not a folder").unwrap();
    let job = server.queue(&key, &json!({"configuration": {"count": 10}})).await;
    assert_eq!(server.wait_for(&key, &job, Duration::from_secs(30)).await["status"], "failed");

    let scrape = server.scrape().await;
    assert_eq!(scrape.expect("patient_generation_errors_total", &[("error_type", "io")]), 1.0);
    assert_eq!(scrape.expect("job_status_changes_total", &[("from_status", "running"), ("to_status", "failed")]), 1.0);
    assert_eq!(scrape.expect("jobs_finished_total", &[("outcome", "failed")]), 1.0);
    assert_eq!(scrape.expect("patient_generation_duration_seconds_count", &[("format", "json")]), 0.0, "only completed runs are timed");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancellations_counted_as_transitions() {
    let server = TestServer::start().await;
    let key = server.user_key().await;
    // One worker: the large job runs while the second waits.
    let running = server.queue(&key, &json!({"configuration": {"count": 3_000_000}, "output_formats": ["fhir"]})).await;
    let started = Instant::now();
    while server.get(&key, &format!("/jobs/{running}")).await.1["status"] != "running" {
        assert!(started.elapsed() < Duration::from_secs(30), "the large job did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pending = server.queue(&key, &json!({"configuration": {"count": 10}})).await;
    server
        .scrape_until("the queue shows one pending and one running job", |scrape| {
            scrape.value("job_queue_size", &[("status", "pending")]) == Some(1.0) && scrape.value("job_queue_size", &[("status", "running")]) == Some(1.0)
        })
        .await;
    // A long run shows its progress before it ends.
    server.scrape_until("patients of the running job are counted", |scrape| scrape.value("patients_generated_total", &[("format", "fhir")]).is_some_and(|patients| patients > 0.0)).await;

    assert_eq!(server.post(&key, &format!("/jobs/{pending}/cancel"), &json!({})).await.0, StatusCode::OK);
    assert_eq!(server.post(&key, &format!("/jobs/{running}/cancel"), &json!({})).await.0, StatusCode::OK);
    assert_eq!(server.wait_for(&key, &running, Duration::from_secs(30)).await["status"], "cancelled");

    let scrape = server.scrape().await;
    assert_eq!(scrape.expect("job_status_changes_total", &[("from_status", "pending"), ("to_status", "cancelled")]), 1.0);
    assert_eq!(scrape.expect("job_status_changes_total", &[("from_status", "running"), ("to_status", "cancelled")]), 1.0);
    assert_eq!(scrape.expect("job_status_changes_total", &[("from_status", "created"), ("to_status", "pending")]), 2.0);
    assert_eq!(scrape.expect("jobs_finished_total", &[("outcome", "cancelled")]), 1.0, "the pending job never ran");
    for error_type in ["io", "disk_full", "interrupted", "invalid_request", "internal"] {
        assert_eq!(scrape.expect("patient_generation_errors_total", &[("error_type", error_type)]), 0.0, "a cancellation is no {error_type} error");
    }
    assert!(scrape.expect("patients_generated_total", &[("format", "fhir")]) > 0.0, "patients written before the cancellation count");
    server
        .scrape_until("the queue empties", |scrape| {
            scrape.value("job_queue_size", &[("status", "pending")]) == Some(0.0) && scrape.value("job_queue_size", &[("status", "running")]) == Some(0.0)
        })
        .await;
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_counters_use_route_templates() {
    let server = TestServer::start().await;
    let key = server.user_key().await;
    let id = "0b4f3a52-91c2-4d55-8f0e-5a1f2e9c7d31";
    assert_eq!(server.get(&key, &format!("/jobs/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(server.get(&key, &format!("/jobs/{id}/")).await.0, StatusCode::NOT_FOUND);
    let unknown = server.client.get(format!("{}/no/such/{id}", server.root)).send().await.unwrap();
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);

    let scrape = server.scrape().await;
    assert!(!scrape.text.contains(id), "no raw id in the exposition:\n{}", scrape.text);
    assert_eq!(scrape.expect("api_requests_total", &[("method", "GET"), ("endpoint", "/api/v1/jobs/{id}"), ("status", "404")]), 2.0);
    assert_eq!(scrape.expect("api_requests_total", &[("method", "GET"), ("endpoint", "unmatched"), ("status", "404")]), 1.0);
    assert_eq!(scrape.expect("api_request_duration_seconds_count", &[("endpoint", "/api/v1/jobs/{id}"), ("method", "GET")]), 2.0);
    assert_eq!(scrape.expect("api_request_duration_seconds_bucket", &[("endpoint", "/api/v1/jobs/{id}"), ("method", "GET"), ("le", "10.0")]), 2.0);
    assert!(scrape.value("api_request_duration_seconds_bucket", &[("endpoint", "/api/v1/jobs/{id}"), ("method", "GET"), ("le", "0.005")]).is_some(), "the 5 ms bucket exists");

    let later = server.scrape().await;
    assert_eq!(later.expect("api_requests_total", &[("method", "GET"), ("endpoint", "/metrics"), ("status", "200")]), 1.0, "the earlier scrape is counted");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exposition_formats_follow_accept() {
    let server = TestServer::start().await;
    let url = format!("{}/metrics", server.root);

    let text = server.client.get(&url).send().await.unwrap();
    assert_eq!(text.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    let body = text.text().await.unwrap();
    assert!(body.contains("# TYPE patients_generated_total counter\n"), "{body}");
    assert!(body.contains("# TYPE patient_generation_duration_seconds histogram\n"));
    assert!(!body.contains("# EOF"));

    let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let openmetrics = server.client.get(&url).header("Accept", accept).send().await.unwrap();
    assert_eq!(openmetrics.headers()["content-type"], "application/openmetrics-text; version=1.0.0; charset=utf-8");
    let body = openmetrics.text().await.unwrap();
    assert!(body.contains("# TYPE patients_generated counter\n"), "{body}");
    assert!(body.contains("patients_generated_total{format=\"json\"} 0\n"));
    assert!(body.ends_with("# EOF\n"));
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_gauge_returns_to_zero_after_disconnect() {
    let server = TestServer::start().await;
    let key = server.user_key().await;
    let url = format!("{}/api/v1/streaming/generate?format=ndjson&count=1000000&batch_size=100", server.root);
    let mut response = server.client.post(url).header("X-API-Key", &key).json(&json!({"count": 1})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.chunk().await.unwrap().is_some(), "the first batch arrives");

    let during = server.scrape().await;
    assert_eq!(during.expect("streaming_clients_connected", &[]), 1.0);
    drop(response);

    let after = server.scrape_until("the streaming gauge returns to zero", |scrape| scrape.value("streaming_clients_connected", &[]) == Some(0.0)).await;
    let streamed = after.expect("patients_generated_total", &[("format", "ndjson")]);
    assert!((100.0..1_000_000.0).contains(&streamed), "patients sent before the disconnect count: {streamed}");
    assert_eq!(after.expect("patients_generated_total", &[("format", "json")]), 0.0);

    // A stream that ends normally is uncounted too, and counts every patient.
    let whole = server.client.post(format!("{}/api/v1/streaming/generate?count=30", server.root)).header("X-API-Key", &key).json(&json!({"count": 1})).send().await.unwrap();
    assert_eq!(whole.status(), StatusCode::OK);
    whole.bytes().await.unwrap();
    let done = server.scrape_until("the finished stream is uncounted", |scrape| scrape.value("streaming_clients_connected", &[]) == Some(0.0)).await;
    assert_eq!(done.expect("patients_generated_total", &[("format", "json")]), 30.0);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_gauge_matches_vmrss() {
    let server = TestServer::start().await;
    let scrape = server.scrape().await;
    let exposed = scrape.expect("process_memory_usage_bytes", &[("type", "rss")]);
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).unwrap();
    let kilobytes: f64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let actual = kilobytes * 1024.0;
    assert!((exposed - actual).abs() <= actual * 0.1, "exposed RSS {exposed} is within 10% of VmRSS {actual}");
    assert!(scrape.expect("process_memory_usage_bytes", &[("type", "vms")]) >= exposed, "virtual size is at least the resident size");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_rejections_counted_by_key_type() {
    let server = TestServer::start().await;
    let url = format!("{}/api/v1/streaming/generate?count=1", server.root);
    let mut rejected = 0;
    for _ in 0..11 {
        let response = server.client.post(&url).header("X-API-Key", DEMO_KEY).json(&json!({"count": 1})).send().await.unwrap();
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            rejected += 1;
        }
        response.bytes().await.unwrap();
    }
    assert_eq!(rejected, 1, "the demo key allows 10 generating requests per minute");

    let scrape = server.scrape().await;
    assert_eq!(scrape.expect("rate_limit_rejections_total", &[("key_type", "demo"), ("window", "minute")]), 1.0);
    assert_eq!(scrape.expect("rate_limit_rejections_total", &[("key_type", "user"), ("window", "minute")]), 0.0);
    assert!(!scrape.text.contains(DEMO_KEY), "no key in the exposition");
    assert_eq!(scrape.expect("api_requests_total", &[("method", "POST"), ("endpoint", "/api/v1/streaming/generate"), ("status", "429")]), 1.0);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_reports_resources_and_workers() {
    let server = TestServer::start().await;
    let response = server.client.get(format!("{}/api/v1/health", server.root)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert!(matches!(body["status"].as_str(), Some("healthy" | "warning")), "{body}");
    assert_eq!(body["version"], env!("CARGO_PKG_VERSION"));
    assert!(body["memory"]["total_bytes"].as_u64().unwrap() >= body["memory"]["available_bytes"].as_u64().unwrap());
    assert!(body["memory"]["process_rss_bytes"].as_u64().unwrap() > 0);
    assert!(body["memory"]["percent_used"].as_f64().is_some());
    assert!(body["disk"]["total_bytes"].as_u64().unwrap() >= body["disk"]["available_bytes"].as_u64().unwrap());
    assert!(body["disk"]["percent_used"].as_f64().is_some());
    assert_eq!(body["workers"]["active_jobs"], 0);
    assert_eq!(body["workers"]["queue_length"], 0);
    assert_eq!(body["workers"]["max_concurrent_jobs"], 1);
    assert_eq!(body["workers"]["accepting_jobs"], true);
    assert_eq!(body["workers"]["job_limits"]["threads_per_job"], 2);
    assert_eq!(body["database"]["status"], "ok");
    assert!(body["database"]["round_trip_ms"].as_f64().unwrap() >= 0.0);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_warns_above_thresholds() {
    let server = TestServer::start_with(|config| Config { health_memory_warning_percent: 1, health_disk_warning_percent: 1, ..config }).await;
    let response = server.client.get(format!("{}/api/v1/health", server.root)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "a warning is still served");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "warning", "{body}");
    let warnings: Vec<&str> = body["warnings"].as_array().unwrap().iter().filter_map(Value::as_str).collect();
    assert!(warnings.iter().any(|warning| warning.contains("memory")), "{warnings:?}");
    assert!(warnings.iter().any(|warning| warning.contains("disk")), "{warnings:?}");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_unhealthy_when_database_closed() {
    // The router over a store that this test can close; no workers run.
    let dir = tempfile::tempdir().unwrap();
    let config = Config { port: 0, data_dir: dir.path().join("data"), job_threads: 1, ..Config::default() };
    let store = Arc::new(SqliteStore::open(&config.data_dir).await.unwrap());
    let state = AppState {
        config: Arc::new(config),
        store: store.clone(),
        jobs: Arc::default(),
        queued: Arc::new(tokio::sync::Notify::new()),
        streaming_pool: Arc::new(rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap()),
        metrics: Arc::new(Metrics::new()),
        lease: Arc::new(Lease { instance: "metrics-test".into(), duration_ms: 30_000 }),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let root = format!("http://{}", listener.local_addr().unwrap());
    let serving = tokio::spawn(async move { axum::serve(listener, casualty_server::app(state)).await });
    let client = reqwest::Client::new();

    let before: Value = client.get(format!("{root}/api/v1/health")).send().await.unwrap().json().await.unwrap();
    assert_eq!(before["database"]["status"], "ok", "{before}");

    store.close().await;
    let response = client.get(format!("{root}/api/v1/health")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy", "{body}");
    assert_eq!(body["error"], "unavailable");
    assert_eq!(body["database"]["status"], "unavailable");
    assert_eq!(body["database"]["round_trip_ms"], Value::Null);
    assert_eq!(body["workers"]["queue_length"], Value::Null, "no counts without the database");
    assert!(body["memory"]["total_bytes"].as_u64().is_some(), "memory is still reported");

    let scrape = client.get(format!("{root}/metrics")).send().await.unwrap();
    assert_eq!(scrape.status(), StatusCode::OK, "metrics are served while the database is down");
    serving.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_counts_interrupted_jobs() {
    // A job left running by an earlier process, as after a crash.
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let store = SqliteStore::open(&data_dir).await.unwrap();
    let new_key = NewKey { name: "planner".into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
    let (key, _) = store.create_key(new_key, Millis::now()).await.unwrap();
    let new_job = NewJob {
        owner: key.id,
        priority: Priority::Normal,
        total_patients: 10,
        formats: vec!["json".into()],
        use_compression: false,
        use_encryption: false,
        config: json!({"configuration": {"count": 10}}),
        received_by: None,
    };
    store.create_job(new_job, Millis::now()).await.unwrap();
    // A lease of 1 ms has expired when the server starts, and one attempt is all it allows.
    let lease = Lease { instance: "crashed".into(), duration_ms: 1 };
    store.claim_next_job(&lease, Millis::now()).await.unwrap().expect("the job is claimed");
    store.close().await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;

    let server = casualty_server::start(Config { port: 0, data_dir, job_threads: 1, job_max_attempts: 1, ..Config::default() }).await.expect("the server starts");
    let scrape = Scrape::parse(&reqwest::get(format!("http://{}/metrics", server.address)).await.unwrap().text().await.unwrap());
    assert_eq!(scrape.expect("job_status_changes_total", &[("from_status", "running"), ("to_status", "failed")]), 1.0);
    assert_eq!(scrape.expect("patient_generation_errors_total", &[("error_type", "interrupted")]), 1.0);
    assert_eq!(scrape.expect("job_queue_size", &[("status", "running")]), 0.0);
    server.stop().await.unwrap();
}
