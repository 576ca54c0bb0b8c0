//! The service over real HTTP on loopback, with a real SQLite file in a temporary folder: the
//! request bodies that exercise tools send, job life cycles, limits, tenant isolation and a table
//! of invalid requests.

use std::io::Read;
use std::time::{Duration, Instant};

use casualty_server::{Config, RunningServer, DEMO_KEY};
use casualty_store::{KeyKind, KeyLimits, Millis, NewKey};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A server on a free port with its own data folder.
struct TestServer {
    server: RunningServer,
    base: String,
    client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestServer {
    async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        TestServer::start_in(dir).await
    }

    async fn start_in(dir: tempfile::TempDir) -> TestServer {
        let config = Config { port: 0, data_dir: dir.path().join("data"), job_threads: 2, ..Config::default() };
        let server = casualty_server::start(config).await.expect("the server starts");
        let base = format!("http://{}/api/v1", server.address);
        TestServer { server, base, client: reqwest::Client::new(), _dir: dir }
    }

    /// Creates a key without limits and returns its secret.
    async fn user_key(&self, name: &str) -> String {
        let new = NewKey { name: name.into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
        let (_, secret) = self.server.state.store.create_key(new, Millis::now()).await.unwrap();
        secret.expose().to_string()
    }

    async fn post(&self, key: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let response = self.client.post(format!("{}{path}", self.base)).header("X-API-Key", key).json(body).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn get(&self, key: &str, path: &str) -> (StatusCode, Value) {
        let response = self.client.get(format!("{}{path}", self.base)).header("X-API-Key", key).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
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
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn case(name: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases").join(name);
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_bodies_end_to_end() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    for (name, count) in [("seed-small.json", 500), ("seed-large.json", 5000)] {
        let mut body = case(name);
        body["output_formats"] = json!(["json", "csv"]);
        let (status, created) = server.post(&key, "/generation/", &body).await;
        assert_eq!(status, StatusCode::CREATED, "{name}: {created}");
        assert!(created["estimated_duration"].as_u64().unwrap() >= 1, "{name}: an estimate in seconds");
        let job = created["job_id"].as_str().unwrap().to_string();

        let finished = server.wait_for(&key, &job, Duration::from_secs(120)).await;
        assert_eq!(finished["status"], "completed", "{name}: {finished}");
        assert_eq!(finished["progress"], 100);
        assert_eq!(finished["summary"]["total"], count, "{name}: the summary counts every patient: {}", finished["summary"]);
        let by_category: u64 = finished["summary"]["by_category"].as_object().unwrap().values().map(|n| n.as_u64().unwrap()).sum();
        assert_eq!(by_category, count, "{name}: the categories add up");
        let files: Vec<&str> = finished["output_files"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
        assert_eq!(files, ["events.csv", "metadata.json", "patients.csv", "patients.json"], "{name}: the CLI's file names");
        assert!(!finished.to_string().contains(&*server._dir.path().to_string_lossy()), "{name}: no server path in the job");

        let response = server.client.get(format!("{}/downloads/{job}", server.base)).header("X-API-Key", &key).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = response.bytes().await.unwrap();
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("the download is a ZIP archive");
        let mut text = String::new();
        archive.by_name("patients.json").expect("the archive has patients.json").read_to_string(&mut text).unwrap();
        let document: Value = serde_json::from_str(&text).unwrap();
        let patients = document["patients"].as_array().unwrap();
        assert_eq!(patients.len() as u64, count, "{name}: every patient is in the download");

        // The injury mix of both bodies: 52% disease, 33% non-battle injury, 15% battle injury.
        let share = |category: &str| patients.iter().filter(|p| p["injury_type"] == category).count() as f64 / count as f64;
        let tolerance = if count >= 5000 { 0.025 } else { 0.07 };
        for (category, expected) in [("Disease", 0.52), ("Non-Battle Injury", 0.33), ("Battle Injury", 0.15)] {
            assert!((share(category) - expected).abs() < tolerance, "{name}: {category} share {:.3}, expected {expected}", share(category));
        }

        let (status, page) = server.get(&key, &format!("/jobs/{job}/results?page=2&per_page=7")).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(page["patients"].as_array().unwrap().as_slice(), &patients[7..14], "{name}: a page equals the same records of the output");

        let last = &patients[patients.len() - 1];
        let (status, found) = server.get(&key, &format!("/jobs/{job}/patients/{}", last["id"].as_str().unwrap())).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(&found, last, "{name}: a patient by id equals its record in the output");
        let (status, found) = server.get(&key, &format!("/jobs/{job}/patients/3")).await;
        assert_eq!((status, &found), (StatusCode::OK, &patients[3]), "{name}: a patient by sequence number");
        let (status, _) = server.get(&key, &format!("/jobs/{job}/patients/{}", uuid::Uuid::nil())).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{name}: an unknown patient");
    }
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_key_limits_enforced() {
    let server = TestServer::start().await;
    let body = |count: u64| json!({"configuration": {"count": count}});

    let (status, error) = server.post(DEMO_KEY, "/generation", &body(51)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{error}");
    assert!(error["detail"].as_str().unwrap().contains("50 patients per request"), "the error names the limit: {error}");
    assert!(error["detail"].as_str().unwrap().contains("ask the service operator for a key"), "the error says how to get more: {error}");

    let mut accepted = 0;
    let mut rejected = None;
    for _ in 0..11 {
        let response = server.client.post(format!("{}/generation", server.base)).header("X-API-Key", DEMO_KEY).json(&body(5)).send().await.unwrap();
        if response.status() == StatusCode::CREATED {
            accepted += 1;
            let headers = response.headers();
            assert_eq!(headers["x-ratelimit-limit"], "10", "the minute window is the tightest");
            assert_eq!(headers["x-ratelimit-remaining"], (10 - accepted).to_string().as_str());
            assert_eq!(headers["x-ratelimit-window"], "minute");
            assert!(headers["x-ratelimit-reset"].to_str().unwrap().ends_with('Z'), "the reset is an RFC 3339 time");
        } else {
            rejected = Some(response);
        }
    }
    assert_eq!(accepted, 10, "10 generating requests per minute");
    let rejected = rejected.expect("the 11th request is rejected");
    assert_eq!(rejected.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = rejected.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After is within the minute window: {retry}");
    assert_eq!(rejected.headers()["x-ratelimit-limit"], "10");
    let error: Value = rejected.json().await.unwrap();
    assert!(error["detail"].as_str().unwrap().contains("per minute"), "the error names the window: {error}");

    let polled = server.client.get(format!("{}/jobs", server.base)).header("X-API-Key", DEMO_KEY).send().await.unwrap();
    assert_eq!(polled.status(), StatusCode::OK, "polling has its own budget");
    assert_eq!(polled.headers()["x-ratelimit-limit"], "600", "reads report the read limits");
    assert_eq!(polled.headers()["x-ratelimit-remaining"], "599");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_requests_never_exceed_limit() {
    let server = TestServer::start().await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let client = server.client.clone();
        let url = format!("{}/generation", server.base);
        tasks.push(tokio::spawn(async move {
            client.post(url).header("X-API-Key", DEMO_KEY).json(&json!({"configuration": {"count": 1}})).send().await.unwrap().status()
        }));
    }
    let mut created = 0;
    let mut limited = 0;
    for task in tasks {
        match task.await.unwrap() {
            StatusCode::CREATED => created += 1,
            StatusCode::TOO_MANY_REQUESTS => limited += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert_eq!(created, 10, "exactly the per-minute limit is admitted");
    assert_eq!(limited, 40);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_keys_see_nothing() {
    let server = TestServer::start().await;
    let owner = server.user_key("owner").await;
    let other = server.user_key("other").await;
    let (_, created) = server.post(&owner, "/generation", &json!({"configuration": {"count": 20}})).await;
    let job = created["job_id"].as_str().unwrap().to_string();
    server.wait_for(&owner, &job, Duration::from_secs(60)).await;

    for path in [format!("/jobs/{job}"), format!("/jobs/{job}/results"), format!("/downloads/{job}")] {
        let (status, body) = server.get(&other, &path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "GET {path} by another key: {body}");
    }
    let (status, _) = server.post(&other, &format!("/jobs/{job}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "cancel by another key");
    let response = server.client.delete(format!("{}/jobs/{job}", server.base)).header("X-API-Key", &other).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "delete by another key");
    let (_, list) = server.get(&other, "/jobs").await;
    assert_eq!(list["total"], 0, "another key lists none of the owner's jobs");

    let (status, _) = server.get(&owner, &format!("/jobs/{job}")).await;
    assert_eq!(status, StatusCode::OK, "the owner still sees the job");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_stops_running_job() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let (_, created) = server.post(&key, "/generation", &json!({"configuration": {"count": 3_000_000}, "output_formats": ["fhir"]})).await;
    let job = created["job_id"].as_str().unwrap().to_string();
    let started = Instant::now();
    loop {
        let (_, body) = server.get(&key, &format!("/jobs/{job}")).await;
        if body["status"] == "running" && body["progress_details"]["patients_done"].as_u64().unwrap_or(0) > 0 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the job did not start: {body}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let response = server.client.delete(format!("{}/jobs/{job}", server.base)).header("X-API-Key", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::CONFLICT, "a running job is not deleted");
    let error: Value = response.json().await.unwrap();
    assert!(error["detail"].as_str().unwrap().contains("cancel it first"), "{error}");
    let (_, body) = server.get(&key, &format!("/jobs/{job}")).await;
    assert_eq!(body["status"], "running", "a rejected delete changes nothing: {body}");

    let asked = Instant::now();
    let (status, body) = server.post(&key, &format!("/jobs/{job}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let finished = server.wait_for(&key, &job, Duration::from_secs(10)).await;
    assert_eq!(finished["status"], "cancelled", "{finished}");
    assert!(asked.elapsed() < Duration::from_secs(3), "cancelled in {:?}", asked.elapsed());
    let jobs = server.server.state.config.data_dir.join("jobs");
    let leftovers: Vec<_> = std::fs::read_dir(&jobs).map(|entries| entries.map(|e| e.unwrap().file_name()).collect()).unwrap_or_default();
    assert!(leftovers.is_empty(), "no partial output remains: {leftovers:?}");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_fails_interrupted_job() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().to_path_buf();
    let server = TestServer::start_in(dir).await;
    let key = server.user_key("planner").await;
    let (_, created) = server.post(&key, "/generation", &json!({"configuration": {"count": 3_000_000}, "output_formats": ["fhir"]})).await;
    let job = created["job_id"].as_str().unwrap().to_string();
    loop {
        let (_, body) = server.get(&key, &format!("/jobs/{job}")).await;
        if body["status"] == "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // One more job than there are workers, so at least one is still pending at shutdown.
    let mut queued = Vec::new();
    for _ in 0..server.server.state.config.workers {
        let (_, created) = server.post(&key, "/generation", &json!({"configuration": {"count": 3_000_000}, "output_formats": ["fhir"]})).await;
        queued.push(created["job_id"].as_str().unwrap().parse::<casualty_store::JobId>().unwrap());
    }
    let TestServer { server: running, _dir: dir, .. } = server;
    let store = running.state.store.clone();
    running.stop().await.unwrap();
    let owner = store.authenticate(&key, Millis::now()).await.unwrap().id;
    let last = store.get_job(owner, *queued.last().unwrap()).await.unwrap().unwrap();
    assert_eq!(last.status, casualty_store::JobStatus::Pending, "no job starts once shutdown has begun");
    store.request_cancel(owner, last.id, Millis::now()).await.unwrap();

    let server = TestServer::start_in(dir).await;
    let body = server.wait_for(&key, &job, Duration::from_secs(5)).await;
    assert_eq!(body["status"], "failed", "{body}");
    assert!(body["error"].as_str().unwrap().contains("interrupted"), "the error says why: {body}");
    let leftovers: Vec<_> = std::fs::read_dir(data.join("data/jobs")).map(|entries| entries.map(|e| e.unwrap().file_name()).collect()).unwrap_or_default();
    assert!(leftovers.is_empty(), "no partial output remains: {leftovers:?}");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_requests_rejected() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let valid = || json!({"configuration": {"count": 5}});
    let with = |field: &str, value: Value| {
        let mut body = valid();
        body[field] = value;
        body
    };
    let scenario = |field: &str, value: Value| {
        let mut body = valid();
        body["configuration"][field] = value;
        body
    };
    // (body, expected status, text the error must contain)
    let cases: Vec<(Value, u16, &str)> = vec![
        (json!([]), 422, "object"),
        (json!("text"), 422, "object"),
        (json!({}), 422, "configuration"),
        (json!({"configuration": {"count": 5}, "configuration_id": "x"}), 422, "configuration_id"),
        (json!({"configuration_id": "not-a-uuid"}), 422, "configuration_id"),
        (json!({"configuration_id": "00000000-0000-4000-8000-000000000000"}), 404, "configuration"),
        (scenario("count", json!(0)), 422, "configuration.count"),
        (scenario("count", json!(-5)), 422, "configuration.count"),
        (scenario("count", json!(1e12)), 422, "configuration.count"),
        (scenario("count", json!("many")), 422, "configuration.count"),
        (scenario("seed", json!(-1)), 422, "configuration.seed"),
        (scenario("unknown_key", json!(1)), 422, "unknown_key"),
        (scenario("injury_distribution", json!({"Disease": 2.0})), 422, "injury_distribution"),
        (scenario("injury_distribution", json!({"Disease": 0.5, "Battle Injury": 0.2})), 422, "injury_distribution"),
        (scenario("injury_distribution", json!({"Plague": 1.0})), 422, "injury_distribution"),
        (scenario("base_date", json!("yesterday")), 422, "configuration.base_date"),
        (scenario("days_of_fighting", json!(0)), 422, "configuration.days_of_fighting"),
        (scenario("front_configs", json!([{"id": "a", "nationality_distribution": [{"nationality_code": "XXX", "percentage": 100}]}])), 422, "nationality_code"),
        (scenario("front_configs", json!("north")), 422, "front_configs"),
        (scenario("warfare_types", json!(["laser"])), 422, "warfare_types"),
        (with("total_patients", json!(0)), 422, "total_patients"),
        (with("total_patients", json!(-3)), 422, "total_patients"),
        (with("output_formats", json!(["pdf"])), 422, "output_formats[0]"),
        (with("output_formats", json!([])), 422, "output_formats"),
        (with("output_formats", json!("json")), 422, "output_formats"),
        (with("use_compression", json!("yes")), 422, "use_compression"),
        (with("use_encryption", json!(true)), 422, "encryption_password"),
        (with("encryption_password", json!("longenough")), 422, "encryption_password"),
        (json!({"configuration": {"count": 5}, "use_encryption": true, "encryption_password": "short"}), 422, "encryption_password"),
        (with("priority", json!("urgent")), 422, "priority"),
        (with("priority", json!(1)), 422, "priority"),
        (with("preset_id", json!("x")), 422, "preset_id"),
        (with("surprise", json!(true)), 422, "surprise"),
    ];
    assert!(cases.len() >= 30, "at least 30 cases");
    for (body, expected, mention) in &cases {
        let (status, error) = server.post(&key, "/generation", body).await;
        assert_eq!(status.as_u16(), *expected, "body {body}: {error}");
        assert!(error.to_string().contains(mention), "the error for {body} names `{mention}`: {error}");
        assert!(error["request_id"].is_string() && error["timestamp"].is_string() && error["detail"].is_string(), "the error body: {error}");
        assert!(!error.to_string().contains("longenough"), "a password is never echoed: {error}");
    }

    let raw = |body: &'static str, content_type: &'static str| {
        server.client.post(format!("{}/generation", server.base)).header("X-API-Key", &key).header("content-type", content_type).body(body).send()
    };
    assert_eq!(raw("{\"configuration\": ", "application/json").await.unwrap().status(), StatusCode::BAD_REQUEST, "malformed JSON");
    assert_eq!(raw("{}", "text/plain").await.unwrap().status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "not JSON");
    let huge = "x".repeat(2 << 20);
    // A separate client: the server closes the connection after rejecting an unread body, and a
    // pooled connection reused after that fails the next request.
    let response = reqwest::Client::new().post(format!("{}/generation", server.base)).header("X-API-Key", &key).header("content-type", "application/json").body(huge).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE, "an oversized body");
    let error: Value = response.json().await.unwrap();
    assert!(error["request_id"].is_string(), "413 uses the error body too: {error}");

    for (path, expected) in [("/jobs/not-a-uuid", 404), ("/jobs/..%2F..%2Fetc%2Fpasswd", 404), ("/jobs/00000000-0000-4000-8000-000000000000", 404), ("/downloads/%2e%2e", 404), ("/jobs?per_page=0", 400), ("/jobs?page=abc", 400), ("/jobs?status=done", 400), ("/nothing", 404)] {
        let (status, error) = server.get(&key, path).await;
        assert_eq!(status.as_u16(), expected, "GET {path}: {error}");
        assert!(error["error"].is_string(), "GET {path} uses the error body: {error}");
    }

    for secret in ["", "wrong", "sk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        let (status, error) = server.get(secret, "/jobs").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "key {secret:?}: {error}");
    }
    let response = server.client.get(format!("{}/jobs", server.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "no key");
    let response = server.client.put(format!("{}/jobs", server.base)).header("X-API-Key", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_expired_keys_rejected() {
    let server = TestServer::start().await;
    let store = &server.server.state.store;
    let new = NewKey { name: "short-lived".into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: Some(Millis::now().plus_millis(-1)) };
    let (_, expired) = store.create_key(new, Millis::now().plus_millis(-10_000)).await.unwrap();
    let (status, error) = server.get(expired.expose(), "/jobs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert!(error["detail"].as_str().unwrap().contains("expired"), "{error}");

    let new = NewKey { name: "revoked".into(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None };
    let (key, secret) = store.create_key(new, Millis::now()).await.unwrap();
    store.revoke_key(key.id, Millis::now()).await.unwrap();
    let (status, error) = server.get(secret.expose(), "/jobs").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{error}");
    assert!(error["detail"].as_str().unwrap().contains("revoked"), "{error}");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_trailing_slash() {
    let server = TestServer::start().await;
    for path in ["/health/live", "/health/live/"] {
        let response = server.client.get(format!("{}{path}", server.base)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        assert!(response.headers().contains_key("x-request-id"), "{path}: the request id header");
        assert_eq!(response.json::<Value>().await.unwrap(), json!({"status": "alive"}));
    }
    let response = server.client.get(format!("{}/health/ready", server.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    let live = format!("{}/health/live", server.base);
    let kept = server.client.get(&live).header("x-request-id", "exercise-42.a:b").send().await.unwrap();
    assert_eq!(kept.headers()["x-request-id"], "exercise-42.a:b", "a plain client id is kept");
    for forged in ["a} status=500 api_key=x", &"x".repeat(200)] {
        let replaced = server.client.get(&live).header("x-request-id", forged).send().await.unwrap();
        let id = replaced.headers()["x-request-id"].to_str().unwrap();
        assert_ne!(id, forged, "an id that could forge log fields is replaced");
        assert_eq!(id.len(), 36, "by a UUID: {id}");
    }
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configurations_keep_versions() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let other = server.user_key("other").await;
    let small = case("seed-small.json");

    let (status, created) = server.post(&key, "/configurations/", &json!({"name": "Small", "configuration": small["configuration"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["version"], 1);
    let id = created["id"].as_str().unwrap().to_string();

    let mut changed = small["configuration"].clone();
    changed["count"] = json!(30);
    let response = server.client.put(format!("{}/configurations/{id}", server.base)).header("X-API-Key", &key).json(&json!({"configuration": changed})).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let updated: Value = response.json().await.unwrap();
    assert_eq!((updated["version"].as_u64(), updated["configuration"]["count"].as_u64()), (Some(2), Some(30)), "{updated}");

    let (status, error) = server.post(&key, "/configurations/", &json!({"name": "Small", "configuration": small["configuration"]})).await;
    assert_eq!(status, StatusCode::CONFLICT, "a name is used once per key: {error}");
    assert!(error["detail"].as_str().unwrap().contains("already exists"), "{error}");
    for name in [json!("n".repeat(101)), json!("a\u{1}b"), json!("")] {
        let (status, error) = server.post(&key, "/configurations/", &json!({"name": name, "configuration": {"count": 5}})).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "name {name}: {error}");
        assert_eq!(error["errors"][0]["path"], "name", "{error}");
    }

    let (_, first) = server.get(&key, &format!("/configurations/{id}?version=1")).await;
    assert_eq!(first["configuration"]["count"], 500, "version 1 stays readable: {first}");
    let (_, latest) = server.get(&key, &format!("/configurations/{id}")).await;
    assert_eq!(latest["version"], 2);
    let (_, list) = server.get(&key, "/configurations").await;
    assert_eq!(list["configurations"].as_array().unwrap().len(), 1);

    let (status, job) = server.post(&key, "/generation", &json!({"configuration_id": id})).await;
    assert_eq!(status, StatusCode::CREATED, "a saved configuration starts a job: {job}");
    let finished = server.wait_for(&key, job["job_id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(finished["summary"]["total"], 30, "the job uses the latest version: {finished}");

    let (status, _) = server.get(&other, &format!("/configurations/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another key cannot read it");
    let (status, _) = server.post(&other, "/generation", &json!({"configuration_id": id})).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another key cannot generate from it");

    let (status, error) = server.post(&key, "/configurations", &json!({"name": "Bad", "configuration": {"count": -1}})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert!(error.to_string().contains("configuration.count"), "{error}");

    let response = server.client.delete(format!("{}/configurations/{id}", server.base)).header("X-API-Key", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = server.get(&key, &format!("/configurations/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "deleted");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn validate_and_reference_lists() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let (status, answer) = server.post(&key, "/configurations/validate/", &case("seed-large.json")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer, json!({"valid": true, "errors": []}));
    let (status, answer) = server.post(&key, "/configurations/validate", &json!({"count": 0, "injury_distribution": {"Plague": 1}})).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(answer["valid"], false);
    let paths: Vec<&str> = answer["errors"].as_array().unwrap().iter().map(|e| e["path"].as_str().unwrap()).collect();
    assert!(paths.contains(&"count"), "{answer}");

    let (status, nations) = server.get(&key, "/configurations/reference/nationalities/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(nations["items"].as_array().unwrap().iter().any(|n| n["code"] == "DEU"), "{nations}");
    let (_, facilities) = server.get(&key, "/configurations/reference/facility-types").await;
    assert_eq!(facilities["items"].as_array().unwrap().len(), 5);
    let (_, categories) = server.get(&key, "/configurations/reference/condition-types").await;
    assert_eq!(categories["items"].as_array().unwrap().len(), 3);
    let (status, _) = server.get(&key, "/configurations/reference/planets").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streaming_sends_json_and_ndjson() {
    let server = TestServer::start().await;
    let scenario = json!({"configuration": {"count": 40, "seed": 3}});
    let response = server.client.post(format!("{}/streaming/generate?batch_size=7", server.base)).header("X-API-Key", DEMO_KEY).json(&scenario).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-patient-count"], "40");
    assert_eq!(response.headers()["x-batch-size"], "7");
    let document: Value = response.json().await.expect("the streamed body is one JSON document");
    assert_eq!(document["total_patients"], 40);

    let encrypted = json!({"configuration": {"count": 5}, "use_encryption": true, "encryption_password": "long-password-1"});
    let (status, error) = server.post(DEMO_KEY, "/streaming/generate", &encrypted).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "a stream cannot encrypt, so it rejects the request: {error}");
    assert_eq!(error["errors"][0]["path"], "use_encryption", "{error}");
    assert!(!error.to_string().contains("long-password-1"), "the password is not echoed: {error}");
    let (status, error) = server.post(DEMO_KEY, "/streaming/generate?count=0", &json!({"count": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{error}");
    assert_eq!(error["errors"][0]["path"], "count", "the query parameter is named: {error}");
    assert_eq!(document["complete"], true);
    let patients = document["patients"].as_array().unwrap();
    assert_eq!(patients.len(), 40);

    let parsed = casualty_core::scenario::parse_scenario_value(&scenario, casualty_core::scenario::CommandLineOverrides::default()).unwrap();
    let generator = casualty_core::engine::Generator::new(&parsed.scenario);
    assert_eq!(patients[39], serde_json::to_value(generator.patient(39)).unwrap(), "the same records as the generator");

    let response = server.client.post(format!("{}/streaming/generate", server.base)).header("X-API-Key", DEMO_KEY).header("Accept", "application/x-ndjson").json(&scenario).send().await.unwrap();
    assert_eq!(response.headers()["content-type"], "application/x-ndjson");
    let text = response.text().await.unwrap();
    let lines: Vec<Value> = text.lines().map(|line| serde_json::from_str(line).unwrap()).collect();
    assert_eq!(lines.as_slice(), patients.as_slice(), "NDJSON holds the same patients");

    let response = server.client.post(format!("{}/streaming/generate?batch_size=0", server.base)).header("X-API-Key", DEMO_KEY).json(&scenario).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "batch_size 0");
    let response = server.client.post(format!("{}/streaming/generate?count=51", server.base)).header("X-API-Key", DEMO_KEY).json(&scenario).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN, "streaming enforces the patients-per-request limit");
    let response = server.client.get(format!("{}/streaming/generate", server.base)).header("X-API-Key", DEMO_KEY).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "GET needs a configuration_id");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn presets_listed_and_runnable() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;

    let (status, catalogue) = server.get("", "/presets").await;
    assert_eq!(status, StatusCode::OK, "the catalogue needs no key: {catalogue}");
    let presets = catalogue["presets"].as_array().expect("a list of presets");
    assert!(presets.len() >= 8, "at least eight presets: {catalogue}");
    for preset in presets {
        assert!(preset["name"].as_str().is_some_and(|name| !name.is_empty()), "{preset}");
        assert!(preset["description"].as_str().is_some_and(|text| !text.is_empty()), "{preset}");
    }

    let (status, drill) = server.get("", "/presets/mass-casualty-drill").await;
    assert_eq!(status, StatusCode::OK, "{drill}");
    assert_eq!(drill["id"], "mass-casualty-drill");
    let scenario = drill["scenario"].clone();
    assert_eq!(scenario["name"], drill["name"]);

    let (status, created) = server.post(&key, "/generation", &json!({"configuration": scenario, "output_formats": ["ndjson"]})).await;
    assert_eq!(status, StatusCode::CREATED, "a preset runs as it is: {created}");
    let job = server.wait_for(&key, created["job_id"].as_str().unwrap(), Duration::from_secs(60)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["summary"]["total"], scenario["count"], "{job}");

    let (status, error) = server.get("", "/presets/no-such-preset").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(error["detail"].as_str().unwrap().contains("peacekeeping"), "the error lists the presets: {error}");
    server.server.stop().await.unwrap();
}

/// Reads a whole `text/event-stream` body and returns its events as (name, data) pairs.
async fn read_events(response: reqwest::Response) -> Vec<(String, Value)> {
    let mut response = response;
    let mut text = String::new();
    while let Some(chunk) = response.chunk().await.expect("the stream reads") {
        text.push_str(std::str::from_utf8(&chunk).expect("the stream is UTF-8"));
    }
    text.split("\n\n")
        .filter(|block| block.lines().any(|line| line.starts_with("data:")))
        .map(|block| {
            let name = block.lines().find_map(|line| line.strip_prefix("event:")).map(str::trim).unwrap_or("message").to_string();
            let data: String = block.lines().filter_map(|line| line.strip_prefix("data:")).map(str::trim_start).collect::<Vec<_>>().join("\n");
            (name, serde_json::from_str(&data).unwrap_or_else(|error| panic!("event data is JSON ({error}): {data}")))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_events_stream_until_end() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let (status, created) = server.post(&key, "/generation", &json!({"configuration": {"count": 60_000}, "output_formats": ["ndjson"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let job = created["job_id"].as_str().unwrap().to_string();

    let response = server.client.get(format!("{}/jobs/{job}/events", server.base)).header("X-API-Key", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let events = tokio::time::timeout(Duration::from_secs(120), read_events(response)).await.expect("the stream ends when the job ends");

    let (last_name, last) = events.last().expect("at least one event");
    assert_eq!(last_name, "end", "the last event ends the stream: {events:?}");
    assert_eq!(last["status"], "completed", "{last}");
    assert_eq!(last["progress"], 100, "{last}");
    assert_eq!(last["progress_details"]["patients_done"], 60_000, "{last}");
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert!(names[..names.len() - 1].iter().all(|name| *name == "progress"), "progress events come before the end: {names:?}");
    let done: Vec<u64> = events.iter().map(|(_, job)| job["progress_details"]["patients_done"].as_u64().unwrap()).collect();
    assert!(done.windows(2).all(|pair| pair[0] <= pair[1]), "patients done never goes back: {done:?}");

    // A finished job's stream contains its end event only.
    let response = server.client.get(format!("{}/jobs/{job}/events", server.base)).header("X-API-Key", &key).send().await.unwrap();
    let again = read_events(response).await;
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0].0, "end");

    let response = server.client.get(format!("{}/jobs/{job}/events", server.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "the stream needs a key");
    let other = server.user_key("someone else").await;
    let (status, _) = server.get(&other, &format!("/jobs/{job}/events")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another key does not see the job");
    server.server.stop().await.unwrap();
}

/// Returns the JSON of `<script id="report-data">` in a report page.
fn report_data(page: &str) -> Value {
    let start = page.find("id=\"report-data\">").expect("the page embeds its data") + "id=\"report-data\">".len();
    let end = start + page[start..].find("</script>").expect("the data script ends");
    serde_json::from_str(&page[start..end]).expect("the report data is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_report_matches_output() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let scenario = json!({"name": "Report route", "count": 700, "seed": 9, "special_events": [{"type": "ambush", "day": 2, "size": 40}]});
    let (status, created) = server.post(&key, "/generation", &json!({"configuration": scenario, "output_formats": ["ndjson", "csv"]})).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let job = created["job_id"].as_str().unwrap().to_string();
    let finished = server.wait_for(&key, &job, Duration::from_secs(60)).await;
    assert_eq!(finished["status"], "completed", "{finished}");

    let response = server.client.get(format!("{}/jobs/{job}/report", server.base)).header("X-API-Key", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/html; charset=utf-8");
    assert!(response.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"), "the report runs no script");
    let page = response.text().await.unwrap();
    assert!(page.contains("Report route"), "the report names the scenario");
    let mut served = report_data(&page);

    // The same report, from the job's NDJSON output read by casualty-report itself.
    let output = server.server.state.config.data_dir.join("jobs").join(&job).join("patients.ndjson");
    let run = casualty_report::read_run(&output, &Default::default()).expect("the output reads");
    let mut expected = casualty_report::report_data(&run);
    assert_eq!(served["metadata"]["scenario_sha256"], expected["metadata"]["scenario_sha256"], "the same scenario");
    for data in [&mut served, &mut expected] {
        let fields = data.as_object_mut().unwrap();
        fields.remove("input");
        fields.remove("metadata");
    }
    assert_eq!(served, expected, "the regenerated records count as the output's records");

    let (status, body) = server.get(&key, "/jobs/00000000-0000-0000-0000-000000000000/report").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let response = server.client.get(format!("{}/jobs/{job}/report", server.base)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_report_waits_for_completion() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let (_, created) = server.post(&key, "/generation", &json!({"configuration": {"count": 3_000_000}, "output_formats": ["fhir"]})).await;
    let job = created["job_id"].as_str().unwrap().to_string();
    let (status, body) = server.get(&key, &format!("/jobs/{job}/report")).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(body["detail"].as_str().unwrap().contains("available when it is completed"), "{body}");
    let (status, _) = server.post(&key, &format!("/jobs/{job}/cancel"), &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    server.wait_for(&key, &job, Duration::from_secs(30)).await;
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planner_page_served_without_key() {
    let server = TestServer::start().await;
    let origin = format!("http://{}", server.server.address);
    let response = server.client.get(format!("{origin}/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let policy = response.headers()["content-security-policy"].to_str().unwrap().to_string();
    assert!(policy.contains("script-src 'self'"), "scripts come from this server only: {policy}");
    assert!(policy.contains("connect-src 'self'"), "requests go to this server only: {policy}");
    let page = response.text().await.unwrap();
    assert!(!page.contains(DEMO_KEY), "the page embeds no key");
    assert!(!page.to_lowercase().contains("x-api-key"), "the page sets no key header itself");

    assert!(page.contains("src=\"/web/main.js\""), "the page loads its main module");
    assert!(page.contains("href=\"/web/app.css\""), "the page loads its stylesheet");
    let main = server.client.get(format!("{origin}/web/main.js")).send().await.unwrap().text().await.unwrap();
    for file in casualty_server::web::file_names() {
        let response = server.client.get(format!("{origin}/web/{file}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{file}");
        let text = response.text().await.unwrap();
        assert!(!text.contains(DEMO_KEY), "{file} embeds no key");
        if file.ends_with(".js") && file != "main.js" {
            assert!(main.contains(&format!("'./{file}'")), "main.js imports {file}");
        }
    }
    let response = server.client.get(format!("{origin}/web/missing.js")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let error: Value = response.json().await.unwrap();
    assert!(error["detail"].as_str().unwrap().contains("main.js"), "the error lists the files: {error}");
    server.server.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_event_stream_allows_shutdown() {
    let server = TestServer::start().await;
    let key = server.user_key("planner").await;
    let (_, created) = server.post(&key, "/generation", &json!({"configuration": {"count": 3_000_000}, "output_formats": ["fhir"]})).await;
    let job = created["job_id"].as_str().unwrap().to_string();
    let mut response = server.client.get(format!("{}/jobs/{job}/events", server.base)).header("X-API-Key", &key).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let first = response.chunk().await.unwrap().expect("a first event");
    assert!(std::str::from_utf8(&first).unwrap().contains("event: progress"), "{first:?}");

    // The job would run for a long time, and its stream with it; stopping ends both.
    let state = server.server.state.clone();
    let stopped = tokio::time::timeout(Duration::from_secs(20), server.server.stop()).await;
    if stopped.is_err() {
        // Stops the job, so that the failing test does not wait for it to end.
        state.jobs.shut_down();
    }
    assert!(stopped.is_ok(), "the server stops while an event stream is open");
    let rest = tokio::time::timeout(Duration::from_secs(5), async {
        while let Ok(Some(_)) = response.chunk().await {}
    })
    .await;
    assert!(rest.is_ok(), "the stream ends when the server stops");
}
