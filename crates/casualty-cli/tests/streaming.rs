//! `GET` and `POST /api/v1/streaming/generate` on a real `casualty serve` process: complete JSON
//! and NDJSON streams hold every patient in order, a slow reader slows generation and keeps the
//! server's memory flat, and a disconnect stops generation.

#![cfg(target_os = "linux")]

mod support;

use std::io::Read;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides};
use serde_json::{json, Value};
use support::{call, cpu_seconds, create_key, resident_bytes, send_request, Server};

/// Upper bound of the server's resident memory while it streams a million patients. The patients
/// take more than 2 GB as JSON (about 2.4 KB each), so a server that buffered what the client has
/// not read would pass this bound within a second of fast generation.
const MAX_RESIDENT_BYTES: u64 = 200 << 20;

/// Starts a server on a new data folder and returns it with the secret of a user key without
/// limits, created with `casualty keys create`.
fn start_server(dir: &tempfile::TempDir) -> (Server, String) {
    let data_dir = dir.path().join("data");
    let key = create_key(&data_dir, "streaming client");
    let server = Server::start(&["--port", "0", "--data-dir", &data_dir.to_string_lossy(), "--job-threads", "2"], &[]);
    (server, key)
}

/// Returns the patient ids that the generator gives the scenario `document` with `count` patients.
fn expected_ids(document: &Value, count: u64) -> Vec<String> {
    let request = parse_scenario_value(document, CommandLineOverrides { count: Some(count), seed: None }).expect("a valid scenario");
    let generator = Generator::new(&request.scenario);
    (0..count).map(|index| generator.patient_id(index).to_string()).collect()
}

#[test]
fn complete_streams_hold_every_patient() {
    let dir = tempfile::tempdir().unwrap();
    let (server, key) = start_server(&dir);
    let scenario = json!({"configuration": {"name": "Streaming check", "count": 10, "seed": 17}});
    // 5,000 is not a multiple of the batch size, so the last batch is a short one.
    let count = 5_000;
    let expected = expected_ids(&scenario, count);

    let path = format!("/api/v1/streaming/generate?count={count}&batch_size=333");
    let response = server.request("POST", &path, &[("X-API-Key", &key)], &serde_json::to_vec(&scenario).unwrap());
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/json"));
    assert_eq!(response.header("x-patient-count"), Some("5000"));
    assert_eq!(response.header("x-batch-size"), Some("333"));
    let document = response.json();
    assert_eq!(document["complete"], true, "the document ends complete");
    assert_eq!(document["total_patients"], count);
    assert!(document.get("error").is_none(), "no error: {}", document["error"]);
    let ids: Vec<&str> = document["patients"].as_array().expect("a patients array").iter().map(|patient| patient["id"].as_str().expect("an id")).collect();
    assert_eq!(ids.len() as u64, count, "every patient is sent once");
    assert!(ids.iter().zip(&expected).all(|(id, expected)| id == expected), "the patients are those of the generator, in index order");
    let text = response.text();
    assert!(text.trim_end().ends_with(r#""complete":true}"#), "the document ends with \"complete\": true: ...{}", &text[text.len().saturating_sub(60)..]);

    // NDJSON of a saved configuration, by GET.
    let saved = call(&server.address, "POST", "/api/v1/configurations", &key, &json!({"name": "Streaming check", "configuration": scenario["configuration"]}));
    assert_eq!(saved.status, 201, "{}", saved.text());
    let id = saved.json()["id"].as_str().unwrap().to_string();
    let path = format!("/api/v1/streaming/generate?configuration_id={id}&count={count}&batch_size=333&format=ndjson");
    let response = server.request("GET", &path, &[("X-API-Key", &key)], b"");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("content-type"), Some("application/x-ndjson"));
    let text = response.text();
    assert!(text.ends_with('\n'), "the last line ends with a newline");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, count, "exactly one line per patient");
    for (index, line) in lines.iter().enumerate() {
        let patient: Value = serde_json::from_str(line).unwrap_or_else(|error| panic!("line {index} is not JSON ({error}): {line}"));
        assert!(patient.get("error").is_none(), "line {index} is an error: {line}");
        assert_eq!(patient["id"].as_str(), Some(expected[index].as_str()), "line {index} is patient {index}");
    }
    drop(server);
}

/// Reads up to `limit` bytes from `stream` and returns how many it read; 0 means the end.
fn read_some(stream: &mut TcpStream, buffer: &mut [u8], limit: usize) -> usize {
    let limit = limit.min(buffer.len());
    stream.read(&mut buffer[..limit]).expect("the stream is readable")
}

#[test]
fn slow_reader_throttles_and_disconnect_stops() {
    let dir = tempfile::tempdir().unwrap();
    let (server, key) = start_server(&dir);
    let pid = server.pid();
    let body = serde_json::to_vec(&json!({"configuration": {"count": 10, "seed": 5}})).unwrap();
    let mut stream = send_request(&server.address, "POST", "/api/v1/streaming/generate?count=1000000", &[("X-API-Key", &key)], &body);
    let mut buffer = vec![0u8; 1 << 20];

    // The status line and headers come first.
    let first = read_some(&mut stream, &mut buffer, 4096);
    let head = String::from_utf8_lossy(&buffer[..first]).into_owned();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let mut peak_resident = resident_bytes(pid);

    // Slow phase: 16 KiB every 100 ms, about 60 patients a second. The first second lets the
    // server fill the socket buffers and its channel, and CPU time is measured over the next three.
    let mut slow_bytes = 0;
    let slow_started = Instant::now();
    let mut slow_cpu_start = None;
    while slow_started.elapsed() < Duration::from_secs(4) {
        if slow_cpu_start.is_none() && slow_started.elapsed() >= Duration::from_secs(1) {
            slow_cpu_start = Some((cpu_seconds(pid), Instant::now()));
        }
        slow_bytes += read_some(&mut stream, &mut buffer, 16 << 10);
        peak_resident = peak_resident.max(resident_bytes(pid));
        std::thread::sleep(Duration::from_millis(100));
    }
    let (cpu_before, measured_from) = slow_cpu_start.expect("a measurement start");
    let slow_rate = (cpu_seconds(pid) - cpu_before) / measured_from.elapsed().as_secs_f64();

    // Fast phase: read as fast as possible for three seconds, or 1 GB, well short of the whole
    // stream, so that a fast machine does not reach its end.
    let fast_cpu_start = cpu_seconds(pid);
    let fast_started = Instant::now();
    let mut fast_bytes = 0;
    let mut last_sample = Instant::now();
    while fast_started.elapsed() < Duration::from_secs(3) && fast_bytes < 1 << 30 {
        let read = read_some(&mut stream, &mut buffer, usize::MAX);
        assert!(read > 0, "the stream of a million patients ended after {} bytes", slow_bytes + fast_bytes);
        fast_bytes += read;
        if last_sample.elapsed() >= Duration::from_millis(100) {
            peak_resident = peak_resident.max(resident_bytes(pid));
            last_sample = Instant::now();
        }
    }
    let fast_rate = (cpu_seconds(pid) - fast_cpu_start) / fast_started.elapsed().as_secs_f64();

    // Disconnect while generation runs at full speed, then give the server a second to notice.
    drop(stream);
    std::thread::sleep(Duration::from_secs(1));
    let idle_cpu_start = cpu_seconds(pid);
    let idle_started = Instant::now();
    std::thread::sleep(Duration::from_secs(2));
    let idle_rate = (cpu_seconds(pid) - idle_cpu_start) / idle_started.elapsed().as_secs_f64();

    let report = format!(
        "CPU seconds per second: slow {slow_rate:.3}, fast {fast_rate:.3}, after disconnect {idle_rate:.3}; bytes read: slow {slow_bytes}, fast {fast_bytes}; peak resident {} MiB",
        peak_resident >> 20
    );
    eprintln!("{report}");
    assert!(peak_resident < MAX_RESIDENT_BYTES, "resident memory stays below {} MiB: {report}", MAX_RESIDENT_BYTES >> 20);
    assert!(fast_bytes > 20 * slow_bytes, "the fast reader gets far more data: {report}");
    assert!(fast_rate > 0.2, "generation uses CPU when the client reads fast: {report}");
    assert!(slow_rate < fast_rate / 5.0, "a slow reader slows generation: {report}");
    // NOTE: a producer that never noticed the disconnect but stayed blocked on a full buffer
    // would also use no CPU. This check catches generation that goes on after the disconnect.
    assert!(idle_rate < fast_rate / 10.0, "generation stops within a second of the disconnect: {report}");
    assert!(idle_rate < 0.1, "the server is idle after the disconnect: {report}");

    // The server still serves a complete stream afterwards.
    let response = server.request("POST", "/api/v1/streaming/generate?count=20&format=ndjson", &[("X-API-Key", &key)], &body);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.text().lines().count(), 20);
    let (status, logs) = server.terminate();
    assert!(status.success(), "{status:?}\n{logs}");
}
