//! `casualty serve` started from a TOML configuration file, as a real process. Every setting of
//! the file takes effect, and flags and environment variables override the file in the
//! documented order. An invalid file stops the start with an error that names the file, the
//! setting and its accepted values.

#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use casualty_store::{KeyKind, KeyLimits, Millis, NewJob, NewKey, OutputFile, Priority, SqliteStore, Store};
use serde_json::{json, Value};
use support::{call, casualty, create_key, entries, free_port, wait_until, Server};

/// The demo key's secret, as documented in docs/service.md.
const DEMO_KEY: &str = "DEMO_MILMED_2025_50_PATIENTS";

/// The origin that the configuration files allow.
const ALLOWED_ORIGIN: &str = "https://exercise.example.org";

/// Writes `text` to `name` in `dir` and returns its path.
fn write_config(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("the configuration file is written");
    path
}

/// Builds a generation request whose JSON text is `size` bytes long, padded with spaces.
fn padded_body(size: usize) -> Vec<u8> {
    let mut body = br#"{"configuration": {"count": 5}}"#.to_vec();
    assert!(body.len() <= size);
    body.resize(size, b' ');
    body
}

/// Sends a CORS preflight request from `origin` and returns its `Access-Control-Allow-Origin`.
fn allowed_origin(server: &Server, origin: &str) -> Option<String> {
    let response = server.request("OPTIONS", "/api/v1/jobs", &[("Origin", origin), ("Access-Control-Request-Method", "GET")], b"");
    response.header("access-control-allow-origin").map(str::to_string)
}

/// Stores a completed job that finished `age_hours` ago, with an output folder under
/// `data_dir/jobs`, as an earlier run of the service would have left it. Returns the job id and
/// the secret of its owner's key.
fn store_finished_job(data_dir: &Path, age_hours: i64) -> (String, String) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    let (job, secret) = runtime.block_on(async {
        let store = SqliteStore::open(data_dir).await.expect("the store opens");
        let now = Millis::now();
        let started = now.plus_millis(-(age_hours + 1) * Millis::HOUR);
        let new_key = NewKey { name: "earlier run".into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
        let (key, secret) = store.create_key(new_key, started).await.expect("a key");
        let new_job = NewJob {
            owner: key.id,
            priority: Priority::Normal,
            total_patients: 5,
            formats: vec!["json".into()],
            use_compression: false,
            use_encryption: false,
            config: json!({"configuration": {"count": 5}}),
            received_by: None,
        };
        let job = store.create_job(new_job, started).await.expect("a job");
        let claimed = store.claim_next_job(&casualty_store::Lease { instance: "earlier-run".into(), duration_ms: 30_000 }, started).await.expect("the claim works").expect("the job is claimed");
        assert_eq!(claimed.id, job.id);
        let outputs = vec![OutputFile { name: "patients.json".into(), size_bytes: 2 }];
        store.complete_job(job.id, outputs, json!({"total": 5}), now.plus_millis(-age_hours * Millis::HOUR)).await.expect("the job completes");
        store.close().await;
        (job.id.to_string(), secret.expose().to_string())
    });
    let folder = data_dir.join("jobs").join(&job);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("patients.json"), "[]").unwrap();
    (job, secret)
}

/// Polls until `count` of the caller's jobs are running at once.
fn wait_for_running(server: &Server, key: &str, count: u64) {
    wait_until(Duration::from_secs(60), &format!("{count} jobs running at once"), || {
        let listed = call(&server.address, "GET", "/api/v1/jobs?status=running", key, &Value::Null).json();
        if listed["total"] == count {
            Ok(())
        } else {
            Err(listed.to_string())
        }
    });
}

#[test]
fn config_file_sets_every_setting() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data-from-file");
    let planner = create_key(&data_dir, "planner");
    let reader = create_key(&data_dir, "reader");
    // Two hours old: removed with `retention_hours = 1`, kept with the default of 168.
    let (expired_job, expired_owner) = store_finished_job(&data_dir, 2);

    // 127.0.0.2 is a loopback address on Linux; listening there shows that `host` is used.
    let port = free_port("127.0.0.2");
    let config = write_config(
        dir.path(),
        "serve.toml",
        &format!(
            r#"host = "127.0.0.2"
port = {port}
data_dir = {data_dir:?}
workers = 2
job_threads = 1
max_body_bytes = 2048
cors_origins = ["{ALLOWED_ORIGIN}"]
retention_hours = 1
demo_key = false
log_json = true
health_memory_warning_percent = 1
health_disk_warning_percent = 1

[demo_limits]
patients_per_request = 7
per_minute = 3
per_hour = 4
per_day = 5

[read_limits]
per_minute = 40
per_hour = 400
per_day = 4000
"#,
            data_dir = data_dir.display().to_string()
        ),
    );
    let server = Server::start(&["--config-file", &config.to_string_lossy()], &[]);

    assert_eq!(server.address, format!("127.0.0.2:{port}"), "host and port come from the file");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_err(), "nothing listens on 127.0.0.1:{port}");

    let response = call(&server.address, "GET", "/api/v1/jobs", &planner, &Value::Null);
    assert_eq!(response.status, 200, "a key of the file's data_dir works: {}", response.text());

    let response = call(&server.address, "GET", "/api/v1/jobs", DEMO_KEY, &Value::Null);
    assert_eq!(response.status, 401, "demo_key = false: {}", response.text());
    assert!(response.json()["detail"].as_str().unwrap().contains("demo key is disabled"), "{}", response.text());

    let response = server.request("POST", "/api/v1/generation", &[("X-API-Key", &planner)], &padded_body(3000));
    assert_eq!(response.status, 413, "a body above max_body_bytes = 2048: {}", response.text());
    let response = server.request("POST", "/api/v1/generation", &[("X-API-Key", &planner)], &padded_body(1500));
    assert_eq!(response.status, 201, "a body below max_body_bytes: {}", response.text());

    // Thresholds of 1%: the host's memory and disk are both above them.
    let health = call(&server.address, "GET", "/api/v1/health", &planner, &Value::Null);
    assert_eq!(health.status, 200, "{}", health.text());
    assert_eq!(health.json()["status"], "warning", "health thresholds from the file: {}", health.text());
    assert_eq!(health.json()["warnings"].as_array().map(Vec::len), Some(2), "a memory and a disk warning: {}", health.text());

    assert_eq!(allowed_origin(&server, ALLOWED_ORIGIN).as_deref(), Some(ALLOWED_ORIGIN), "the file's origin is allowed");
    assert_eq!(allowed_origin(&server, "https://elsewhere.example.org"), None, "another origin is not");

    // workers = 2: two long jobs run at once.
    let long_job = json!({"configuration": {"count": 1_000_000}, "output_formats": ["json"]});
    let mut long_jobs = Vec::new();
    for _ in 0..2 {
        let created = call(&server.address, "POST", "/api/v1/generation", &planner, &long_job);
        assert_eq!(created.status, 201, "{}", created.text());
        long_jobs.push(created.json()["job_id"].as_str().unwrap().to_string());
    }
    wait_for_running(&server, &planner, 2);
    for job in &long_jobs {
        let cancelled = call(&server.address, "POST", &format!("/api/v1/jobs/{job}/cancel"), &planner, &json!({}));
        assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    }

    // read_limits: the 41st read of a minute is rejected.
    let mut admitted = 0;
    let rejected = loop {
        let response = call(&server.address, "GET", "/api/v1/jobs", &reader, &Value::Null);
        if response.status != 200 {
            break response;
        }
        admitted += 1;
        assert!(admitted <= 40, "more reads admitted than read_limits.per_minute = 40");
    };
    assert_eq!(admitted, 40, "read_limits.per_minute");
    assert_eq!(rejected.status, 429, "{}", rejected.text());
    assert_eq!(rejected.header("x-ratelimit-limit"), Some("40"));

    // retention_hours = 1: the job that finished two hours ago is deleted with its outputs.
    let expired_folder = data_dir.join("jobs").join(&expired_job);
    wait_until(Duration::from_secs(30), "removal of the expired job", || {
        let response = call(&server.address, "GET", &format!("/api/v1/jobs/{expired_job}"), &expired_owner, &Value::Null);
        if response.status == 404 && !expired_folder.exists() {
            Ok(())
        } else {
            Err(format!("status {}, folder exists: {}", response.status, expired_folder.exists()))
        }
    });

    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");
    // log_json = true: every log line is JSON; the lines starting with `casualty:` are console
    // messages (the address and the new operator key), not logs.
    let log_lines: Vec<&str> = logs.lines().filter(|line| !line.starts_with("casualty:") && !line.starts_with("  ")).collect();
    assert!(log_lines.len() >= 5, "{logs}");
    for line in log_lines {
        serde_json::from_str::<Value>(line).unwrap_or_else(|error| panic!("log line is not JSON ({error}): {line}"));
    }

    // demo_limits: the demo key in the store has the file's limits.
    let output = casualty().arg("keys").arg("--data-dir").arg(&data_dir).args(["list", "--json"]).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let keys: Value = serde_json::from_slice(&output.stdout).unwrap();
    let demo = keys.as_array().unwrap().iter().find(|key| key["kind"] == "demo").expect("the server created the demo key");
    let limits = &demo["limits"];
    assert_eq!(
        (&limits["patients_per_request"], &limits["per_minute"], &limits["per_hour"], &limits["per_day"]),
        (&json!(7), &json!(3), &json!(4), &json!(5)),
        "demo_limits: {limits}"
    );
    assert!(keys.as_array().unwrap().iter().any(|key| key["kind"] == "operator"), "the server created its operator key in the file's data_dir");
}

#[test]
fn flags_and_environment_override_file() {
    let dir = tempfile::tempdir().unwrap();
    let file_data = dir.path().join("file-data");
    let file_port = free_port("127.0.0.1");
    let config = write_config(
        dir.path(),
        "serve.toml",
        &format!(
            "port = {file_port}\ndata_dir = {:?}\nmax_body_bytes = 2048\ncors_origins = [\"{ALLOWED_ORIGIN}\"]\ndemo_key = true\nlog_json = false\nworkers = 0\n",
            file_data.display().to_string()
        ),
    );
    let config_arg = config.to_string_lossy().into_owned();
    let operator = "sk_op_config-precedence-0123456789";

    // The file's `workers = 0` is invalid, but a flag or variable replaces it before validation.
    let env_data = dir.path().join("env-data");
    let env_port = free_port("127.0.0.1");
    let env_port_text = env_port.to_string();
    let env_data_text = env_data.to_string_lossy().into_owned();
    let environment = [
        ("CASUALTY_OPERATOR_KEY", operator),
        ("CASUALTY_PORT", env_port_text.as_str()),
        ("CASUALTY_DATA_DIR", env_data_text.as_str()),
        ("CASUALTY_MAX_BODY_BYTES", "4096"),
        ("CASUALTY_CORS_ORIGINS", "https://b.example.org, https://c.example.org"),
        ("CASUALTY_NO_DEMO_KEY", "true"),
        ("CASUALTY_LOG_JSON", "true"),
        ("CASUALTY_WORKERS", "2"),
    ];

    // Variables win over the file.
    let server = Server::start(&["--config-file", &config_arg], &environment);
    assert_eq!(server.address, format!("127.0.0.1:{env_port}"), "CASUALTY_PORT wins over the file");
    let response = call(&server.address, "GET", "/api/v1/jobs", DEMO_KEY, &Value::Null);
    assert_eq!(response.status, 401, "CASUALTY_NO_DEMO_KEY wins over demo_key = true: {}", response.text());
    let response = server.request("POST", "/api/v1/generation", &[("X-API-Key", operator)], &padded_body(3000));
    assert_eq!(response.status, 201, "CASUALTY_MAX_BODY_BYTES = 4096 admits 3000 bytes: {}", response.text());
    let response = server.request("POST", "/api/v1/generation", &[("X-API-Key", operator)], &padded_body(5000));
    assert_eq!(response.status, 413, "but not 5000 bytes: {}", response.text());
    assert_eq!(allowed_origin(&server, "https://c.example.org").as_deref(), Some("https://c.example.org"), "CASUALTY_CORS_ORIGINS, split at commas");
    assert_eq!(allowed_origin(&server, "https://b.example.org").as_deref(), Some("https://b.example.org"));
    assert_eq!(allowed_origin(&server, ALLOWED_ORIGIN), None, "the file's origins are replaced");
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(logs.lines().any(|line| line.starts_with('{')), "CASUALTY_LOG_JSON wins over log_json = false: {logs}");
    assert!(env_data.join("casualty.db").is_file(), "CASUALTY_DATA_DIR wins over the file");
    assert!(!file_data.exists(), "the file's data_dir is not used");

    // Flags win over variables.
    let flag_data = dir.path().join("flag-data");
    let flag_data_text = flag_data.to_string_lossy().into_owned();
    let flag_port = free_port("127.0.0.1");
    let flag_port_text = flag_port.to_string();
    let flags: [&str; 12] = [
        "--config-file",
        &config_arg,
        "--port",
        &flag_port_text,
        "--data-dir",
        &flag_data_text,
        "--max-body-bytes",
        "8192",
        "--cors-origins",
        "https://d.example.org",
        "--workers",
        "1",
    ];
    let server = Server::start(&flags, &environment);
    assert_eq!(server.address, format!("127.0.0.1:{flag_port}"), "--port wins over CASUALTY_PORT");
    let response = server.request("POST", "/api/v1/generation", &[("X-API-Key", operator)], &padded_body(5000));
    assert_eq!(response.status, 201, "--max-body-bytes wins over CASUALTY_MAX_BODY_BYTES: {}", response.text());
    assert_eq!(allowed_origin(&server, "https://d.example.org").as_deref(), Some("https://d.example.org"), "--cors-origins wins");
    assert_eq!(allowed_origin(&server, "https://b.example.org"), None, "over CASUALTY_CORS_ORIGINS");
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(flag_data.join("casualty.db").is_file(), "--data-dir wins over CASUALTY_DATA_DIR");

    // The file alone, named by CASUALTY_CONFIG_FILE; its invalid `workers = 0` now stops the start.
    let launch = Server::launch({
        let mut command = casualty();
        command.arg("serve").env("CASUALTY_CONFIG_FILE", &config);
        command
    });
    let (status, stderr) = launch.expect_exit();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("invalid setting workers = 0 in configuration file {}", config.display())), "{stderr}");

    // The same file with a valid `workers`, named by the variable: its port and data_dir apply.
    std::fs::write(&config, std::fs::read_to_string(&config).unwrap().replace("workers = 0", "workers = 1")).unwrap();
    let mut command = casualty();
    command.arg("serve").env("CASUALTY_CONFIG_FILE", &config).env("CASUALTY_OPERATOR_KEY", operator);
    let server = Server::launch(command).expect_listening();
    assert_eq!(server.address, format!("127.0.0.1:{file_port}"), "the file's port");
    let response = server.request("POST", "/api/v1/generation", &[("X-API-Key", operator)], &padded_body(3000));
    assert_eq!(response.status, 413, "the file's max_body_bytes = 2048: {}", response.text());
    let response = call(&server.address, "GET", "/api/v1/jobs", DEMO_KEY, &Value::Null);
    assert_eq!(response.status, 200, "demo_key = true: {}", response.text());
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    assert!(!logs.lines().any(|line| line.starts_with('{')), "log_json = false writes text logs: {logs}");
    assert!(file_data.join("casualty.db").is_file(), "the file's data_dir");

    // An invalid value from a variable is reported as coming from the variable.
    let mut command = casualty();
    command.arg("serve").args(["--config-file", config_arg.as_str()]).env("CASUALTY_WORKERS", "65");
    let (status, stderr) = Server::launch(command).expect_exit();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("invalid setting workers = 65 from --workers or CASUALTY_WORKERS: expected a whole number from 1 to 64"), "{stderr}");
}

#[test]
fn invalid_config_file_stops_start() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let every_setting = "host, port, data_dir, database_url, job_lease_ms, job_lease_renew_ms, job_max_attempts, workers, job_threads, max_body_bytes, cors_origins, retention_hours, demo_key, demo_limits, read_limits, log_json, health_memory_warning_percent, health_disk_warning_percent";
    // (file contents, texts that the error must contain)
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("colour = \"blue\"\n", vec!["unknown setting `colour` (line 1)", every_setting]),
        ("workers = 2\n\n[read_limits]\nper_week = 5\n", vec!["unknown setting `read_limits.per_week` (line 4)", "per_minute, per_hour, per_day"]),
        ("port = \"eighty\"\n", vec!["setting `port` (line 1) is invalid", "a whole number from 0 to 65535"]),
        ("port = 70000\n", vec!["setting `port` (line 1) is invalid", "a whole number from 0 to 65535"]),
        ("host = \"localhost\"\n", vec!["setting `host` (line 1) is invalid", "an IPv4 or IPv6 address"]),
        ("cors_origins = \"https://a.example.org\"\n", vec!["setting `cors_origins` (line 1) is invalid", "a list of origins"]),
        ("demo_key = \"no\"\n", vec!["setting `demo_key` (line 1) is invalid", "true or false"]),
        ("log_json = 1\n", vec!["setting `log_json` (line 1) is invalid", "true or false"]),
        ("retention_hours = -3\n", vec!["setting `retention_hours` (line 1) is invalid", "at least 1"]),
        ("[demo_limits]\nper_minute = 0\n", vec!["setting `demo_limits.per_minute` (line 2) is invalid", "a whole number from 1 to 4294967295"]),
        ("demo_limits = 3\n", vec!["setting `demo_limits` (line 1) is invalid", "patients_per_request, per_minute, per_hour and per_day"]),
        ("port = 1\ncolour = 2\nworkers = \"many\"\n", vec!["unknown setting `colour`", "setting `workers` is invalid", "a whole number from 1 to 64"]),
        ("port = \n", vec!["line 1"]),
        ("workers = 0\n", vec!["invalid setting workers = 0 in configuration file", "a whole number from 1 to 64"]),
        ("workers = 65\n", vec!["invalid setting workers = 65", "a whole number from 1 to 64"]),
        ("job_threads = 0\n", vec!["invalid setting job_threads = 0", "a whole number from 1 to 1024"]),
        ("max_body_bytes = 100\n", vec!["invalid setting max_body_bytes = 100", "1024 to 1073741824 bytes"]),
        ("retention_hours = 0\n", vec!["invalid setting retention_hours = 0", "at least 1"]),
        ("cors_origins = [\"*\"]\n", vec!["invalid setting cors_origins = \"*\"", "no wildcard"]),
        ("cors_origins = [\"https://a.example.org/app\"]\n", vec!["invalid setting cors_origins = \"https://a.example.org/app\"", "no path"]),
        ("cors_origins = [\"a.example.org\"]\n", vec!["invalid setting cors_origins = \"a.example.org\"", "a scheme, a host"]),
        ("health_memory_warning_percent = 0\n", vec!["invalid setting health_memory_warning_percent = 0", "from 1 to 100"]),
        ("health_disk_warning_percent = 101\n", vec!["invalid setting health_disk_warning_percent = 101", "from 1 to 100"]),
        ("health_disk_warning_percent = 300\n", vec!["setting `health_disk_warning_percent` (line 1) is invalid", "from 1 to 100"]),
        ("database_url = \"mysql://planner:hunter2@db/casualty\"\n", vec!["invalid setting database_url = mysql://planner:***@db/casualty", "a PostgreSQL URL"]),
        ("database_url = 5\n", vec!["setting `database_url` (line 1) is invalid", "a PostgreSQL URL"]),
        ("job_lease_ms = 999\n", vec!["invalid setting job_lease_ms = 999", "from 1000 to 3600000"]),
        ("job_lease_ms = 4000\njob_lease_renew_ms = 2001\n", vec!["invalid setting job_lease_renew_ms = 2001", "from 50 to half of job_lease_ms"]),
        ("job_max_attempts = 0\n", vec!["invalid setting job_max_attempts = 0", "from 1 to 100"]),
    ];
    for (index, (text, expected)) in cases.iter().enumerate() {
        let config = write_config(dir.path(), &format!("case-{index}.toml"), &format!("data_dir = {:?}\n{text}", data_dir.display().to_string()));
        let mut command = casualty();
        command.arg("serve").args(["--port", "0", "--config-file"]).arg(&config);
        let (status, stderr) = Server::launch(command).expect_exit();
        assert_eq!(status.code(), Some(2), "{text:?}: exit code 2 for invalid input: {stderr}");
        assert!(stderr.contains(&config.display().to_string()), "{text:?}: the error names the file: {stderr}");
        for part in expected {
            // The data_dir line comes first, so every line number in the file is one more.
            let part = shift_line_numbers(part);
            assert!(stderr.contains(&part), "{text:?}: the error contains {part:?}: {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{text:?}: no panic: {stderr}");
        assert!(!stderr.contains("hunter2"), "{text:?}: no password in the error: {stderr}");
        assert!(!data_dir.exists(), "{text:?}: nothing is created before the settings are valid");
    }

    let missing = dir.path().join("missing.toml");
    let mut command = casualty();
    command.arg("serve").arg("--config-file").arg(&missing);
    let (status, stderr) = Server::launch(command).expect_exit();
    assert_eq!(status.code(), Some(2), "{stderr}");
    assert!(stderr.contains(&format!("failed to read the configuration file {}", missing.display())), "{stderr}");

    // A limits table may set only some limits; the others keep their defaults.
    let config = write_config(dir.path(), "partial.toml", &format!("data_dir = {:?}\nport = 0\n\n[demo_limits]\nper_minute = 2\n", data_dir.display().to_string()));
    let server = Server::start(&["--config-file", &config.to_string_lossy()], &[]);
    let (status, logs) = server.terminate();
    assert!(status.success(), "{logs}");
    let output = casualty().arg("keys").arg("--data-dir").arg(&data_dir).args(["list", "--json"]).output().unwrap();
    let keys: Value = serde_json::from_slice(&output.stdout).unwrap();
    let demo = keys.as_array().unwrap().iter().find(|key| key["kind"] == "demo").expect("the demo key");
    assert_eq!(demo["limits"], json!({"patients_per_request": 50, "per_minute": 2, "per_hour": 50, "per_day": 100}), "{demo}");
    assert!(entries(&data_dir).contains(&"casualty.db".to_string()));
}

/// Adds one to the number in `(line N)`, for files that start with an extra line.
fn shift_line_numbers(text: &str) -> String {
    match text.split_once("(line ") {
        Some((before, rest)) => {
            let (number, after) = rest.split_once(')').expect("a closing bracket");
            let number: usize = number.parse().expect("a line number");
            format!("{before}(line {}){after}", number + 1)
        }
        None if text.starts_with("line ") => format!("line {}", text["line ".len()..].parse::<usize>().unwrap() + 1),
        None => text.to_string(),
    }
}
