//! Jobs of a real `casualty serve` process when things go wrong: an output folder that cannot be
//! created, a write that fails for lack of space, a server killed mid-run, and a cancelled job.
//! In each case the job ends with a clear state, no partial output remains, and the server goes
//! on serving. A last test checks that a large job takes no more memory than a small one.

#![cfg(target_os = "linux")]

mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{call, clear_casualty_environment, cpu_seconds, entries, resident_bytes, wait_until, Server};

/// The operator key of every server in these tests.
const OPERATOR_KEY: &str = "sk_op_serve-jobs-test-0123456789";

/// Starts a server on `data_dir` whose jobs use `threads` generation threads.
fn start(data_dir: &Path, threads: &str) -> Server {
    Server::start(&["--port", "0", "--data-dir", &data_dir.to_string_lossy(), "--job-threads", threads], &[("CASUALTY_OPERATOR_KEY", OPERATOR_KEY)])
}

/// Starts a server like [`start`] with a three-second lease and one attempt per job, so that a
/// killed server's job fails soon after a restart. A shorter lease could expire on a live job of
/// a machine under heavy load.
fn start_with_short_lease(data_dir: &Path) -> Server {
    let args = ["--port", "0", "--data-dir", &data_dir.to_string_lossy(), "--job-threads", "1", "--job-lease-ms", "3000", "--job-lease-renew-ms", "200", "--job-max-attempts", "1"];
    Server::start(&args, &[("CASUALTY_OPERATOR_KEY", OPERATOR_KEY)])
}

/// Queues a job and returns its id.
fn submit(server: &Server, body: &Value) -> String {
    let created = call(&server.address, "POST", "/api/v1/generation", OPERATOR_KEY, body);
    assert_eq!(created.status, 201, "{}", created.text());
    created.json()["job_id"].as_str().expect("a job id").to_string()
}

fn job(server: &Server, id: &str) -> Value {
    let response = call(&server.address, "GET", &format!("/api/v1/jobs/{id}"), OPERATOR_KEY, &Value::Null);
    assert_eq!(response.status, 200, "{}", response.text());
    response.json()
}

/// Polls a job until it leaves pending and running.
fn wait_for_end(server: &Server, id: &str) -> Value {
    wait_until(Duration::from_secs(120), &format!("the end of job {id}"), || {
        let body = job(server, id);
        match body["status"].as_str() {
            Some("pending" | "running") => Err(body.to_string()),
            _ => Ok(body),
        }
    })
}

/// Polls a job until it runs, has written patients and has a temporary output folder in
/// `jobs_folder`; returns that folder's name.
fn wait_for_partial_output(server: &Server, id: &str, jobs_folder: &Path) -> String {
    wait_until(Duration::from_secs(60), &format!("partial output of job {id}"), || {
        let body = job(server, id);
        let partial = entries(jobs_folder).into_iter().find(|name| name.starts_with(&format!(".{id}.")) && name.ends_with(".partial"));
        match (body["status"].as_str(), body["progress_details"]["patients_done"].as_u64(), partial) {
            (Some("running"), Some(done), Some(partial)) if done > 0 => Ok(partial),
            (status, done, partial) => Err(format!("status {status:?}, patients done {done:?}, partial folder {partial:?}")),
        }
    })
}

fn assert_ready(server: &Server) {
    let response = server.request("GET", "/api/v1/health/ready", &[], b"");
    assert_eq!(response.status, 200, "the server is ready: {}", response.text());
}

/// Checks that a small job completes and that its folder is the only entry of `jobs_folder`.
fn assert_small_job_completes(server: &Server, jobs_folder: &Path) {
    let id = submit(server, &json!({"configuration": {"count": 50}, "output_formats": ["json", "csv"]}));
    let finished = wait_for_end(server, &id);
    assert_eq!(finished["status"], "completed", "{finished}");
    assert_eq!(entries(jobs_folder), vec![id.clone()], "only the completed job's folder remains");
    assert_eq!(entries(&jobs_folder.join(&id)), vec!["events.csv", "metadata.json", "patients.csv", "patients.json"]);
}

#[test]
fn uncreatable_jobs_folder_fails_job() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let server = start(&data_dir, "1");
    // A regular file where the jobs folder belongs stops every write, even for root, which
    // ignores file permissions.
    let jobs_folder = data_dir.join("jobs");
    std::fs::write(&jobs_folder, "not a folder").unwrap();
    let health = server.request("GET", "/api/v1/health", &[], b"").json();
    assert_eq!(health["status"], "warning", "{health}");
    assert!(health["warnings"].to_string().contains("jobs folder"), "the warning names the jobs folder: {health}");

    let id = submit(&server, &json!({"configuration": {"count": 100}}));
    let failed = wait_for_end(&server, &id);
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().expect("an error message");
    assert!(error.contains("failed to create the jobs folder"), "the error names what could not be written: {error}");
    assert!(error.contains("os error"), "the error gives the system's reason: {error}");
    assert!(!failed.to_string().contains(&*dir.path().to_string_lossy()), "no server path in the job: {failed}");
    assert_eq!(failed["output_files"], json!([]), "{failed}");
    assert_ready(&server);

    std::fs::remove_file(&jobs_folder).unwrap();
    let health = server.request("GET", "/api/v1/health", &[], b"").json();
    assert!(!health["warnings"].to_string().contains("jobs folder"), "the warning is gone: {health}");
    assert_small_job_completes(&server, &jobs_folder);
    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");
    assert!(logs.contains("job failed"), "the failure is logged: {logs}");
}

/// Reads the soft limit on the size of a file that a process may write (`RLIMIT_FSIZE`), in bytes.
fn file_size_limit(pid: u32) -> u64 {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).expect("/proc/<pid>/limits is readable");
    let line = limits.lines().find(|line| line.starts_with("Max file size")).expect("a Max file size line");
    line["Max file size".len()..].split_whitespace().next().and_then(|soft| soft.parse().ok()).unwrap_or_else(|| panic!("a numeric limit: {line}"))
}

/// Checks whether a process ignores SIGXFSZ (signal 25 on Linux), by the `SigIgn` mask of its status.
fn ignores_sigxfsz(pid: u32) -> bool {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status is readable");
    let mask = status.lines().find_map(|line| line.strip_prefix("SigIgn:")).expect("a SigIgn line");
    u64::from_str_radix(mask.trim(), 16).expect("a hexadecimal mask") & (1 << 24) != 0
}

#[test]
fn full_disk_fails_job_and_server_recovers() {
    // A full disk is simulated with a limit on file size (RLIMIT_FSIZE): a write past the limit
    // fails with EFBIG, through the same write path as ENOSPC on a full disk. Mounting a small
    // file system would give ENOSPC itself, but needs privileges that CI machines do not give.
    // The shell ignores SIGXFSZ, which exec keeps, so the write fails instead of killing the
    // server. `ulimit -f` counts 512-byte blocks in a POSIX shell (1024 in bash outside POSIX
    // mode), so the limit is checked below in bytes.
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let mut command = Command::new("sh");
    clear_casualty_environment(&mut command);
    command
        .args(["-c", "trap '' XFSZ; ulimit -f 32768 && exec \"$0\" \"$@\"", env!("CARGO_BIN_EXE_casualty"), "serve", "--port", "0", "--job-threads", "2", "--data-dir"])
        .arg(&data_dir)
        .env("CASUALTY_OPERATOR_KEY", OPERATOR_KEY);
    let server = Server::launch(command).expect_listening();
    let limit = file_size_limit(server.pid());
    assert!(((16 << 20)..=(32 << 20)).contains(&limit), "a file size limit of 16 or 32 MiB: {limit} bytes");
    assert!(ignores_sigxfsz(server.pid()), "the server ignores SIGXFSZ");

    // 100,000 patients take about 240 MB as JSON, far above the limit.
    let id = submit(&server, &json!({"configuration": {"count": 100_000}, "output_formats": ["json"]}));
    let failed = wait_for_end(&server, &id);
    assert_eq!(failed["status"], "failed", "{failed}");
    let error = failed["error"].as_str().expect("an error message");
    assert!(error.contains("failed to write <job output>/patients.json"), "the error names the file: {error}");
    assert!(error.contains("File too large"), "the error gives the system's reason: {error}");
    assert!(!failed.to_string().contains(&*dir.path().to_string_lossy()), "no server path in the job: {failed}");
    let jobs_folder = data_dir.join("jobs");
    assert_eq!(entries(&jobs_folder), Vec::<String>::new(), "no partial output remains");
    assert_ready(&server);
    let scrape = server.request("GET", "/metrics", &[], b"").text();
    assert_eq!(metric_value(&scrape, "patient_generation_errors_total{error_type=\"disk_full\"}"), 1.0, "the failure counts as a full disk");
    assert_eq!(metric_value(&scrape, "patient_generation_errors_total{error_type=\"io\"}"), 0.0, "and not as another write failure");

    assert_small_job_completes(&server, &jobs_folder);
    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");
}

#[test]
fn killed_server_fails_running_job_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let jobs_folder = data_dir.join("jobs");
    let server = start_with_short_lease(&data_dir);
    let running = submit(&server, &json!({"configuration": {"count": 1_000_000}, "output_formats": ["json"]}));
    let partial = wait_for_partial_output(&server, &running, &jobs_folder);
    // One worker, so this job waits behind the running one.
    let pending = submit(&server, &json!({"configuration": {"count": 30}}));
    assert_eq!(job(&server, &pending)["status"], "pending");

    server.kill();
    assert!(entries(&jobs_folder).contains(&partial), "the killed server left its partial output {partial}");

    let server = start_with_short_lease(&data_dir);
    let failed = wait_for_end(&server, &running);
    assert_eq!(failed["status"], "failed", "the job that was running fails when its lease expires: {failed}");
    assert!(failed["error"].as_str().unwrap_or_default().contains("interrupted"), "the error says why: {failed}");
    assert!(failed["completed_at"].is_string(), "{failed}");
    let completed = wait_for_end(&server, &pending);
    assert_eq!(completed["status"], "completed", "the pending job runs after the restart: {completed}");
    assert_eq!(entries(&jobs_folder), vec![pending.clone()], "the partial output is removed");
    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");
    assert!(logs.contains("lease expired"), "the server logs the interrupted job: {logs}");
}

#[test]
fn cancel_stops_work_and_removes_output() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let jobs_folder = data_dir.join("jobs");
    let server = start(&data_dir, "2");
    let pid = server.pid();
    let id = submit(&server, &json!({"configuration": {"count": 1_000_000}, "output_formats": ["json"]}));
    wait_for_partial_output(&server, &id, &jobs_folder);

    let cpu_start = cpu_seconds(pid);
    let measured = Instant::now();
    std::thread::sleep(Duration::from_secs(1));
    let running_rate = (cpu_seconds(pid) - cpu_start) / measured.elapsed().as_secs_f64();

    let response = call(&server.address, "POST", &format!("/api/v1/jobs/{id}/cancel"), OPERATOR_KEY, &json!({}));
    assert_eq!(response.status, 200, "{}", response.text());
    let asked = Instant::now();
    let cancelled = wait_for_end(&server, &id);
    let took = asked.elapsed();
    assert_eq!(cancelled["status"], "cancelled", "{cancelled}");
    // Documented as within a second; the bound leaves room for a loaded machine and polling.
    assert!(took < Duration::from_secs(3), "cancelled after {took:?}");

    // From one second after the request, the server is idle.
    std::thread::sleep(Duration::from_secs(1).saturating_sub(asked.elapsed()));
    let cpu_start = cpu_seconds(pid);
    let measured = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let idle_rate = (cpu_seconds(pid) - cpu_start) / measured.elapsed().as_secs_f64();
    let report = format!("CPU seconds per second: running {running_rate:.3}, after the cancel {idle_rate:.3}");
    eprintln!("{report}");
    assert!(running_rate > 0.2, "the job used CPU while it ran: {report}");
    assert!(idle_rate < running_rate / 10.0, "the work stopped: {report}");
    assert!(idle_rate < 0.1, "the server is idle: {report}");

    assert_eq!(entries(&jobs_folder), Vec::<String>::new(), "no partial output remains");
    assert_eq!(cancelled["output_files"], json!([]), "{cancelled}");
    assert_small_job_completes(&server, &jobs_folder);
    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");
}

/// Reads the peak resident set size of a process in bytes (`VmHWM` of `/proc/<pid>/status`).
fn peak_resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status is readable");
    let line = status.lines().find(|line| line.starts_with("VmHWM:")).expect("a VmHWM line");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|value| value.parse().ok()).expect("VmHWM in kB");
    kib * 1024
}

/// Reads one sample's value from a Prometheus text exposition.
fn metric_value(exposition: &str, series: &str) -> f64 {
    let line = exposition.lines().find(|line| line.starts_with(series) && line[series.len()..].starts_with(' '));
    let line = line.unwrap_or_else(|| panic!("no {series} sample in:\n{exposition}"));
    line[series.len()..].trim().parse().unwrap_or_else(|_| panic!("a number: {line}"))
}

#[test]
fn job_memory_stays_flat() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let server = start(&data_dir, "2");
    let pid = server.pid();

    let run = |count: u64| {
        let id = submit(&server, &json!({"configuration": {"count": count, "seed": 7}, "output_formats": ["ndjson"]}));
        let finished = wait_for_end(&server, &id);
        assert_eq!(finished["status"], "completed", "{finished}");
        assert_eq!(finished["progress_details"]["patients_done"], count, "{finished}");
        let peak = peak_resident_bytes(pid);
        // The output is not needed, and a million patients take gigabytes of disk.
        let deleted = call(&server.address, "DELETE", &format!("/api/v1/jobs/{id}"), OPERATOR_KEY, &Value::Null);
        assert!(deleted.status < 300, "{}", deleted.text());
        peak
    };
    let after_small = run(10_000);
    let after_large = run(1_000_000);
    println!("peak resident memory: {after_small} bytes after 10^4 patients, {after_large} bytes after 10^6");
    assert!(
        after_large as f64 <= 1.5 * after_small as f64,
        "peak resident memory after 10^6 patients ({after_large} bytes) is at most 1.5 times the peak after 10^4 ({after_small} bytes)"
    );

    // The gauge is read from /proc at scrape time, so it lies between readings taken just before
    // and just after the scrape, give or take 10%.
    let before = resident_bytes(pid) as f64;
    let scrape = server.request("GET", "/metrics", &[], b"");
    let after = resident_bytes(pid) as f64;
    assert_eq!(scrape.status, 200, "{}", scrape.text());
    let gauge = metric_value(&scrape.text(), "process_memory_usage_bytes{type=\"rss\"}");
    let (low, high) = (before.min(after) * 0.9, before.max(after) * 1.1);
    assert!((low..=high).contains(&gauge), "the rss gauge ({gauge} bytes) agrees with /proc ({before} and {after} bytes) within 10%");
    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");
}
