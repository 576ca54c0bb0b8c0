//! Several real `casualty serve` processes sharing one PostgreSQL database and one data folder.
//! Each job runs exactly once. The job of a killed instance is queued again when its lease
//! expires, then cancelled through another instance. A key's rate limit holds across instances. Each test uses a new database on the server of
//! `CASUALTY_TEST_DATABASE_URL` (see `scripts/test-postgres.sh`); without it the tests fail.

#![cfg(target_os = "linux")]

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use casualty_store::testsuite::postgres::{create_test_database, TestDatabase};
use casualty_store::{JobEvent, JobId, JobStatus, KeyId, Millis, PgStore, Store};
use serde_json::{json, Value};
use support::{call, casualty, entries, wait_until, Server};

/// The operator key of every server in these tests.
const OPERATOR_KEY: &str = "sk_op_serve-postgres-test-0123456789";

/// The lease of the servers in these tests, in milliseconds: short, so that a killed
/// instance's job is recovered quickly.
const LEASE_MS: u64 = 6_000;

/// The renewal interval of the servers in these tests, in milliseconds.
const RENEW_MS: u64 = 200;

/// Builds a tokio runtime for the store calls that inspect the database.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime")
}

/// Creates a database for the test.
fn database(runtime: &tokio::runtime::Runtime) -> TestDatabase {
    runtime.block_on(create_test_database())
}

/// Starts a server on the shared database and data folder with `workers` workers.
fn start(database: &TestDatabase, data_dir: &Path, workers: &str) -> Server {
    let lease = LEASE_MS.to_string();
    let renew = RENEW_MS.to_string();
    Server::start(
        &[
            "--port",
            "0",
            "--data-dir",
            &data_dir.to_string_lossy(),
            "--database-url",
            &database.url,
            "--workers",
            workers,
            "--job-threads",
            "1",
            "--job-lease-ms",
            &lease,
            "--job-lease-renew-ms",
            &renew,
        ],
        &[("CASUALTY_OPERATOR_KEY", OPERATOR_KEY)],
    )
}

/// Queues a job through `server` with `key` and returns its id.
fn submit(server: &Server, key: &str, body: &Value) -> String {
    let created = call(&server.address, "POST", "/api/v1/generation", key, body);
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["job_id"].as_str().expect("a job id").to_string()
}

fn job(server: &Server, id: &str) -> Value {
    let response = call(&server.address, "GET", &format!("/api/v1/jobs/{id}"), OPERATOR_KEY, &Value::Null);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Polls a job through `server` until it leaves pending and running.
fn wait_for_end(server: &Server, id: &str) -> Value {
    wait_until(Duration::from_secs(300), &format!("the end of job {id}"), || {
        let body = job(server, id);
        match body["status"].as_str() {
            Some("pending" | "running") => Err(body.to_string()),
            _ => Ok(body),
        }
    })
}

/// Reads a job's status changes from the database, as the operator key's job.
fn events(runtime: &tokio::runtime::Runtime, database: &TestDatabase, id: &str) -> Vec<JobEvent> {
    runtime.block_on(async {
        let store = PgStore::connect(&database.url).await.expect("the test connects to the database");
        let owner: KeyId = store.authenticate(OPERATOR_KEY, Millis::now()).await.expect("the operator key exists").id;
        let job: JobId = id.parse().expect("a job id");
        let events = store.get_job_events(owner, job).await.expect("get_job_events").expect("the job exists");
        store.close().await;
        events
    })
}

/// Returns the instance named in the message of a claim event.
fn claimed_by(event: &JobEvent) -> String {
    let message = event.message.as_deref().unwrap_or_default();
    let instance = message.strip_prefix("claimed by instance ").and_then(|rest| rest.split(' ').next());
    instance.unwrap_or_else(|| panic!("a claim event names its instance: {event:?}")).to_string()
}

#[test]
fn two_instances_run_each_job_once() {
    let runtime = runtime();
    let database = database(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("shared");
    let first = start(&database, &data_dir, "2");
    let second = start(&database, &data_dir, "2");

    // Submitted alternately, so that both instances' workers are woken.
    let servers = [&first, &second];
    let ids: Vec<String> = (0..20)
        .map(|index| submit(servers[index % 2], OPERATOR_KEY, &json!({"configuration": {"count": 2_000, "seed": index}, "output_formats": ["ndjson"]})))
        .collect();

    let mut runs_by_instance: HashMap<String, usize> = HashMap::new();
    for (index, id) in ids.iter().enumerate() {
        // Each job is read through the instance that did not receive it.
        let finished = wait_for_end(servers[(index + 1) % 2], id);
        assert_eq!(finished["status"], "completed", "{finished}");
        assert_eq!(finished["progress_details"]["patients_done"], 2_000, "{finished}");

        let events = events(&runtime, &database, id);
        let claims: Vec<&JobEvent> = events.iter().filter(|event| event.to == JobStatus::Running).collect();
        assert_eq!(claims.len(), 1, "job {id} was claimed once: {events:?}");
        let ends = events.iter().filter(|event| event.to == JobStatus::Completed).count();
        assert_eq!(ends, 1, "job {id} completed once: {events:?}");
        *runs_by_instance.entry(claimed_by(claims[0])).or_default() += 1;

        let files = entries(&data_dir.join("jobs").join(id));
        assert!(files.iter().any(|name| name.starts_with("patients.ndjson")), "job {id} has its output in the shared folder: {files:?}");
    }
    assert_eq!(runs_by_instance.values().sum::<usize>(), 20, "no job was lost");
    assert_eq!(runs_by_instance.len(), 2, "both instances ran jobs: {runs_by_instance:?}");
    let leftovers: Vec<String> = entries(&data_dir.join("jobs")).into_iter().filter(|name| name.starts_with('.')).collect();
    assert!(leftovers.is_empty(), "no temporary folder remains: {leftovers:?}");
}

#[test]
fn encrypted_jobs_run_where_received() {
    let runtime = runtime();
    let database = database(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("shared");
    let first = start(&database, &data_dir, "2");
    let second = start(&database, &data_dir, "2");

    // Only the receiving instance has the password, so any job claimed elsewhere would fail.
    // Two jobs per instance keep both of its workers busy but none waiting, because a job that
    // waits for longer than the lease may go to the other instance.
    let servers = [&first, &second];
    let body = json!({"configuration": {"count": 500}, "output_formats": ["ndjson"], "use_encryption": true, "encryption_password": "secret-password-1"});
    let ids: Vec<String> = (0..4).map(|index| submit(servers[index % 2], OPERATOR_KEY, &body)).collect();
    for (index, id) in ids.iter().enumerate() {
        let finished = wait_for_end(servers[index % 2], id);
        assert_eq!(finished["status"], "completed", "{finished}");
        let files = entries(&data_dir.join("jobs").join(id));
        assert!(files.iter().any(|name| name.ends_with(".enc")), "job {id} has encrypted output: {files:?}");
    }
}

#[test]
fn killed_instance_job_requeued_and_cancelled_elsewhere() {
    let runtime = runtime();
    let database = database(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("shared");
    let jobs_folder = data_dir.join("jobs");

    // Only the first instance runs when the job is submitted, so it claims the job.
    let first = start(&database, &data_dir, "1");
    let id = submit(&first, OPERATOR_KEY, &json!({"configuration": {"count": 2_000_000}, "output_formats": ["json"]}));
    wait_until(Duration::from_secs(60), &format!("job {id} running with output"), || {
        let body = job(&first, &id);
        let partial = entries(&jobs_folder).into_iter().any(|name| name.starts_with(&format!(".{id}.")));
        match (body["status"].as_str(), body["progress_details"]["patients_done"].as_u64()) {
            (Some("running"), Some(done)) if done > 0 && partial => Ok(()),
            _ => Err(body.to_string()),
        }
    });
    let second = start(&database, &data_dir, "1");
    let first_instance = claimed_by(events(&runtime, &database, &id).last().expect("the claim event"));

    let killed_at = Instant::now();
    let killed_at_millis = Millis::now();
    first.kill();

    // The second instance queues the job again once the lease expires, then claims it.
    let events = wait_until(Duration::from_secs(60), &format!("job {id} claimed again"), || {
        let events = events(&runtime, &database, &id);
        let claims = events.iter().filter(|event| event.to == JobStatus::Running).count();
        if claims == 2 {
            Ok(events)
        } else {
            Err(format!("{events:?}"))
        }
    });
    let requeued = events.iter().find(|event| event.from == Some(JobStatus::Running) && event.to == JobStatus::Pending).expect("a re-queue event");
    assert_eq!(requeued.message.as_deref(), Some("lease expired after attempt 1; queued again"));
    let waited_ms = requeued.at.as_unix_millis() - killed_at_millis.as_unix_millis();
    // The lease was renewed at most one renewal interval before the kill, and recovery runs every
    // renewal interval. One more second covers the database round trips of a loaded machine.
    let limit_ms = i64::try_from(LEASE_MS + 2 * RENEW_MS + 1_000).unwrap();
    assert!(waited_ms <= limit_ms, "the job was queued again {waited_ms} ms after the kill, later than the lease allows ({limit_ms} ms)");
    let second_claim = events.iter().rfind(|event| event.to == JobStatus::Running).expect("a claim");
    assert_ne!(claimed_by(second_claim), first_instance, "another instance runs the job");
    eprintln!("re-queued {waited_ms} ms after the kill; claimed again after {:?}", killed_at.elapsed());

    // A third instance cancels the job that the second one runs, through the database.
    let third = start(&database, &data_dir, "1");
    wait_until(Duration::from_secs(60), &format!("job {id} writing again"), || {
        let body = job(&third, &id);
        match body["progress_details"]["patients_done"].as_u64() {
            Some(done) if done > 0 && body["status"] == "running" => Ok(()),
            _ => Err(body.to_string()),
        }
    });
    let cancelled = call(&third.address, "POST", &format!("/api/v1/jobs/{id}/cancel"), OPERATOR_KEY, &Value::Null);
    assert_eq!(cancelled.status, 200, "{}", cancelled.text());
    let ended = wait_for_end(&second, &id);
    assert_eq!(ended["status"], "cancelled", "{ended}");
    let leftovers: Vec<String> = entries(&jobs_folder).into_iter().filter(|name| name.contains(&id)).collect();
    assert!(leftovers.is_empty(), "neither attempt left output: {leftovers:?}");

    // Deleting works through any instance too.
    let deleted = call(&third.address, "DELETE", &format!("/api/v1/jobs/{id}"), OPERATOR_KEY, &Value::Null);
    assert!(deleted.status == 200 || deleted.status == 204, "{}", deleted.text());
    let missing = call(&second.address, "GET", &format!("/api/v1/jobs/{id}"), OPERATOR_KEY, &Value::Null);
    assert_eq!(missing.status, 404, "{}", missing.text());
}

#[test]
fn rate_limit_holds_across_instances() {
    let runtime = runtime();
    let database = database(&runtime);
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("shared");
    let first = start(&database, &data_dir, "1");
    let second = start(&database, &data_dir, "1");

    let output = casualty()
        .args(["keys", "--database-url", &database.url, "create", "--name", "limited", "--per-minute", "10", "--json"])
        .output()
        .expect("casualty keys runs");
    assert!(output.status.success(), "casualty keys create failed: {}", String::from_utf8_lossy(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout).expect("casualty keys create --json prints JSON");
    let key = created["secret"].as_str().expect("a secret").to_string();

    // 40 requests at once, half to each instance.
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..40)
            .map(|index| {
                let address = if index % 2 == 0 { first.address.clone() } else { second.address.clone() };
                let key = key.clone();
                scope.spawn(move || call(&address, "POST", "/api/v1/generation", &key, &json!({"configuration": {"count": 1}})).status)
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().expect("a request thread")).collect()
    });
    let admitted = statuses.iter().filter(|status| **status == 201).count();
    let rejected = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(admitted, 10, "the limit of 10 per minute holds across both instances: {statuses:?}");
    assert_eq!(rejected, 30, "{statuses:?}");
}
