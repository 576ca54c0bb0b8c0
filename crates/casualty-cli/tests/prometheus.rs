//! The operator files in `deploy/` against a real Prometheus. `casualty serve` runs two
//! generation jobs while a Prometheus server scrapes it every second. Afterwards every query of
//! the operators' contract and every panel query of the Grafana dashboard must return plausible
//! data. `promtool` checks the scraped text, the alert rules with their unit
//! tests, and the shipped Prometheus configuration.
//!
//! Prometheus and promtool come from the Debian package `prometheus` (2.42 when this was
//! written). A missing binary fails the test with the command that installs it.

#![cfg(target_os = "linux")]

mod support;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use support::{call, free_port, request, wait_until, Server};

/// The operator key of the server in this test.
const OPERATOR_KEY: &str = "sk_op_prometheus-test-0123456789";

/// Output formats of both jobs. Each format counts its own patients in
/// `patients_generated_total`.
const FORMATS: [&str; 2] = ["json", "csv"];

/// Patients of the two seed requests, 500 and 5,000.
const SEED_PATIENTS: u64 = 5_500;

/// The queries that the operators' contract requires to return data after a run.
const CONTRACT_QUERIES: [&str; 5] = [
    "rate(patient_generation_duration_seconds_sum[5m]) / rate(patient_generation_duration_seconds_count[5m])",
    "histogram_quantile(0.95, sum(rate(patient_generation_duration_seconds_bucket[5m])) by (le))",
    "rate(patients_generated_total[5m])",
    "process_memory_usage_bytes{type=\"rss\"} / 1024 / 1024",
    "rate(patient_generation_errors_total[5m])",
];

const INSTALL_HINT: &str = "install it with `apt-get install -y prometheus` (Debian package prometheus)";

fn deploy_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy")
}

/// Builds a command for a binary of the `prometheus` package, or fails the test with the install
/// command when it is missing.
fn prometheus_tool(name: &str) -> Command {
    let found = Command::new(name).arg("--version").stdout(Stdio::null()).stderr(Stdio::null()).status();
    match found {
        Ok(status) => assert!(status.success(), "`{name} --version` failed with {status}"),
        Err(error) => panic!("{name} cannot be run ({error}); {INSTALL_HINT}"),
    }
    Command::new(name)
}

/// Runs a promtool command and returns its combined output, or fails the test with it.
fn run_promtool(args: &[&str], stdin: Option<&[u8]>, current_dir: &Path) -> String {
    let mut command = prometheus_tool("promtool");
    command.args(args).current_dir(current_dir).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() });
    let mut child = command.spawn().expect("promtool starts");
    if let Some(bytes) = stdin {
        child.stdin.take().expect("standard input is piped").write_all(bytes).expect("promtool reads standard input");
    }
    let output = child.wait_with_output().expect("promtool ends");
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "promtool {} failed with {}:\n{text}", args.join(" "), output.status);
    text
}

/// A running Prometheus server, killed when dropped.
struct Prometheus {
    child: Child,
    address: String,
    log: PathBuf,
}

impl Prometheus {
    /// Starts Prometheus on a free loopback port with storage and configuration in `dir`,
    /// scraping `target` every second and evaluating the shipped alert rules.
    fn start(dir: &Path, target: &str) -> Prometheus {
        let address = format!("127.0.0.1:{}", free_port("127.0.0.1"));
        let rules = deploy_dir().join("prometheus/alerts.yml").canonicalize().expect("deploy/prometheus/alerts.yml exists");
        let config = dir.join("prometheus.yml");
        let text = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files:\n  - {rules:?}\nscrape_configs:\n  - job_name: casualty\n    static_configs:\n      - targets: [\"{target}\"]\n"
        );
        std::fs::write(&config, text).unwrap();
        let log = dir.join("prometheus.log");
        let log_file = File::create(&log).unwrap();
        // Prometheus listens on loopback only. The configuration names no alertmanager and no
        // remote storage, so the only connections it opens go to the loopback scrape target.
        let child = prometheus_tool("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={address}"))
            .arg("--log.level=warn")
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().unwrap())
            .stderr(log_file)
            .spawn()
            .expect("prometheus starts");
        let prometheus = Prometheus { child, address, log };
        wait_until(Duration::from_secs(60), "Prometheus to be ready", || {
            match std::net::TcpStream::connect(&prometheus.address) {
                Ok(_) => {}
                Err(error) => return Err(format!("{error}; log: {}", prometheus.log_text())),
            }
            let response = request(&prometheus.address, "GET", "/-/ready", &[], b"");
            if response.status == 200 {
                Ok(())
            } else {
                Err(format!("status {}: {}", response.status, response.text()))
            }
        });
        prometheus
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs an instant query and returns its `data.result`, or fails the test on an error.
    fn query(&self, expression: &str) -> Vec<Value> {
        let path = format!("/api/v1/query?query={}", percent_encode(expression));
        let response = request(&self.address, "GET", &path, &[], b"");
        let body = response.json();
        assert_eq!(response.status, 200, "query {expression} failed: {body}");
        assert_eq!(body["status"], "success", "query {expression} failed: {body}");
        assert_eq!(body["data"]["resultType"], "vector", "query {expression}: {body}");
        body["data"]["result"].as_array().cloned().unwrap_or_default()
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Percent-encodes a query parameter value: everything except unreserved characters.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// Returns the sample values of an instant vector, with NaN kept as NaN.
fn values(result: &[Value]) -> Vec<f64> {
    result
        .iter()
        .map(|series| {
            let text = series["value"][1].as_str().unwrap_or_else(|| panic!("a sample value in {series}"));
            text.parse::<f64>().unwrap_or_else(|_| panic!("invalid sample value {text:?}"))
        })
        .collect()
}

/// Returns the one value of a query that must return exactly one series.
fn single_value(prometheus: &Prometheus, expression: &str) -> f64 {
    let result = prometheus.query(expression);
    assert_eq!(result.len(), 1, "{expression} returns one series: {result:?}");
    values(&result)[0]
}

/// Reads every query of the dashboard's panels.
fn dashboard_queries() -> Vec<String> {
    let path = deploy_dir().join("grafana/casualty-dashboard.json");
    let dashboard: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("the dashboard file exists")).expect("the dashboard is JSON");
    let mut queries = Vec::new();
    for panel in dashboard["panels"].as_array().expect("panels") {
        let nested = panel["panels"].as_array().cloned().unwrap_or_default();
        for panel in std::iter::once(panel).chain(nested.iter()) {
            for target in panel["targets"].as_array().into_iter().flatten() {
                let expression = target["expr"].as_str().unwrap_or_else(|| panic!("panel {} has a target without expr", panel["title"]));
                queries.push(expression.to_string());
            }
        }
    }
    queries
}

fn submit(server: &Server, seed_file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(seed_file);
    let mut body: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    body["output_formats"] = json!(FORMATS);
    let created = call(&server.address, "POST", "/api/v1/generation", OPERATOR_KEY, &body);
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["job_id"].as_str().expect("a job id").to_string()
}

fn wait_for_completion(server: &Server, id: &str) {
    let finished = wait_until(Duration::from_secs(300), &format!("the end of job {id}"), || {
        let response = call(&server.address, "GET", &format!("/api/v1/jobs/{id}"), OPERATOR_KEY, &Value::Null);
        let body = response.json();
        match body["status"].as_str() {
            Some("pending" | "running") => Err(body.to_string()),
            _ => Ok(body),
        }
    });
    assert_eq!(finished["status"], "completed", "{finished}");
}

#[test]
fn shipped_rules_and_config_pass_promtool() {
    let prometheus_dir = deploy_dir().join("prometheus");
    let output = run_promtool(&["check", "rules", "alerts.yml"], None, &prometheus_dir);
    assert!(output.contains("SUCCESS"), "{output}");
    let output = run_promtool(&["test", "rules", "alerts.test.yml"], None, &prometheus_dir);
    assert!(output.contains("SUCCESS"), "{output}");
    let output = run_promtool(&["check", "config", "prometheus.yml"], None, &prometheus_dir);
    assert!(output.contains("SUCCESS"), "{output}");
}

#[test]
fn dashboard_matches_no_exact_bucket_bound() {
    let queries = dashboard_queries();
    assert!(queries.len() >= 12, "the dashboard has its panels: {queries:?}");
    for query in &queries {
        // A bucket bound written as a string (`le="0.1"`) stops matching when the client library
        // formats it differently, such as `0.1` against `1e-01`.
        assert!(!query.contains("le="), "the query matches a bucket bound by string: {query}");
    }
}

#[test]
fn real_prometheus_scrapes_contract_series() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("casualty");
    let server = Server::start(&["--port", "0", "--data-dir", &data_dir.to_string_lossy()], &[("CASUALTY_OPERATOR_KEY", OPERATOR_KEY)]);
    let prometheus_dir = dir.path().join("prometheus");
    std::fs::create_dir_all(&prometheus_dir).unwrap();
    let prometheus = Prometheus::start(&prometheus_dir, &server.address);

    wait_until(Duration::from_secs(60), "the first scrape", || {
        let result = prometheus.query("up{job=\"casualty\"}");
        if values(&result).first() == Some(&1.0) {
            Ok(())
        } else {
            Err(format!("up: {result:?}; Prometheus log: {}", prometheus.log_text()))
        }
    });

    // promtool lints the Prometheus text format that the server returns without an Accept header.
    let scrape = request(&server.address, "GET", "/metrics", &[], b"");
    assert_eq!(scrape.status, 200, "{}", scrape.text());
    run_promtool(&["check", "metrics"], Some(&scrape.body), dir.path());

    let small = submit(&server, "seed-small.json");
    let large = submit(&server, "seed-large.json");
    wait_for_completion(&server, &small);
    wait_for_completion(&server, &large);

    let expected_patients = SEED_PATIENTS * FORMATS.len() as u64;
    wait_until(Duration::from_secs(60), "a scrape after both jobs", || {
        let result = prometheus.query("sum(patients_generated_total)");
        match values(&result).first() {
            Some(&total) if total == expected_patients as f64 => Ok(()),
            _ => Err(format!("sum(patients_generated_total): {result:?}")),
        }
    });
    // Two more scrapes, so that every series has samples after the jobs ended.
    std::thread::sleep(Duration::from_secs(3));

    // The windows stay at the contract's 5m. rate() needs only two samples in the window, and
    // the 1 s scrapes give several dozen, so no shorter window is needed.
    let [mean, p95, patient_rate, rss_mib, error_rate] = CONTRACT_QUERIES.map(|query| {
        let result = prometheus.query(query);
        assert!(!result.is_empty(), "{query} returns data");
        values(&result)
    });

    // The mean is 0/0 (NaN) for formats that no job wrote; the requested formats have a value.
    let means: Vec<f64> = mean.into_iter().filter(|value| value.is_finite()).collect();
    assert_eq!(means.len(), FORMATS.len(), "one mean generation time per requested format");
    assert!(means.iter().all(|&value| value > 0.0), "mean generation times are positive, in seconds: {means:?}");
    assert!(means.iter().all(|&value| value < 300.0), "mean generation times are under 300 s: {means:?}");

    assert_eq!(p95.len(), 1, "one p95");
    assert!(p95[0] > 0.0, "p95 generation time is positive, in seconds: {p95:?}");
    assert!(p95[0] <= 300.0, "p95 generation time is at most the top bucket, 300 s: {p95:?}");

    assert!(patient_rate.iter().all(|&value| value >= 0.0), "patients/s: {patient_rate:?}");
    assert!(patient_rate.iter().sum::<f64>() > 0.0, "patients/s: {patient_rate:?}");

    assert_eq!(rss_mib.len(), 1, "one RSS series");
    assert!(rss_mib[0] > 0.0, "RSS is positive, in MiB: {rss_mib:?}");
    assert!(rss_mib[0] < 1024.0, "RSS is below 1 GiB, in MiB: {rss_mib:?}");

    assert!(error_rate.iter().all(|&value| value == 0.0), "no errors: {error_rate:?}");

    for format in FORMATS {
        let patients = single_value(&prometheus, &format!("patients_generated_total{{format=\"{format}\"}}"));
        assert_eq!(patients, SEED_PATIENTS as f64, "patients written as {format}");
    }
    assert_eq!(single_value(&prometheus, "patient_generation_runs_total{size_class=\"small\"}"), 1.0, "the 500-patient run is small");
    assert_eq!(single_value(&prometheus, "patient_generation_runs_total{size_class=\"large\"}"), 1.0, "the 5,000-patient run is large");
    assert_eq!(single_value(&prometheus, "sum(patient_generation_run_patients_total)"), 5500.0, "the patients of both runs, once each");
    let chunks = single_value(&prometheus, "sum(patient_generation_chunks_total)");
    assert!(chunks > 0.0, "chunks written: {chunks}");
    assert_eq!(single_value(&prometheus, "sum(jobs_finished_total{outcome=\"completed\"})"), 2.0, "completed jobs");

    for query in dashboard_queries() {
        let result = prometheus.query(&query);
        assert!(!result.is_empty(), "the panel query {query} returns data");
        let samples = values(&result);
        assert!(samples.iter().any(|value| value.is_finite()), "the panel query {query} returns a number: {result:?}");
        assert!(samples.iter().filter(|value| value.is_finite()).all(|&value| value >= 0.0), "the panel query {query} returns no negative value: {result:?}");
        if query.starts_with("histogram_quantile") {
            assert!(samples.iter().any(|&value| value > 0.0), "the panel query {query} returns a positive quantile: {result:?}");
        }
    }

    let rules = request(&prometheus.address, "GET", "/api/v1/rules", &[], b"").json();
    let loaded = rules["data"]["groups"].as_array().map_or(0, |groups| groups.iter().map(|group| group["rules"].as_array().map_or(0, Vec::len)).sum());
    assert_eq!(loaded, 5, "Prometheus loaded every rule of alerts.yml: {rules}");
    let firing = request(&prometheus.address, "GET", "/api/v1/alerts", &[], b"").json();
    assert_eq!(firing["data"]["alerts"], json!([]), "no alert is pending or firing after a healthy run");
}
