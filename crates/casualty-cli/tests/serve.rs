//! `casualty serve` as a real process: it prints its address, answers over HTTP, keeps keys out of
//! its logs, and exits cleanly on SIGTERM.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Sends one HTTP/1.1 request and returns the whole response as text.
fn request(address: &str, method: &str, path: &str, key: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(address).expect("the server accepts connections");
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let message = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nX-API-Key: {key}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(message.as_bytes()).unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

#[test]
fn serve_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let operator_key = "sk_op_serve-test-secret-0123456789";
    let mut child = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["serve", "--port", "0", "--data-dir", &dir.path().join("data").to_string_lossy(), "--log-json"])
        .env("CASUALTY_OPERATOR_KEY", operator_key)
        .stderr(Stdio::piped())
        .spawn()
        .expect("the casualty binary starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut logs = String::new();
    let address = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the server exited before listening: {logs}");
        logs.push_str(&line);
        if let Some(rest) = line.trim().strip_prefix("casualty: listening on http://") {
            break rest.to_string();
        }
    };

    let live = request(&address, "GET", "/api/v1/health/live", "", "");
    assert!(live.starts_with("HTTP/1.1 200"), "{live}");
    let created = request(&address, "POST", "/api/v1/generation", operator_key, r#"{"configuration": {"count": 10}, "use_encryption": true, "encryption_password": "secret-password-1"}"#);
    assert!(created.starts_with("HTTP/1.1 201"), "{created}");
    let unknown = request(&address, "GET", "/api/v1/jobs", "sk_live_not-a-real-key-0000000000", "");
    assert!(unknown.starts_with("HTTP/1.1 401"), "{unknown}");

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
    assert!(status.success(), "SIGTERM was sent");
    let exit = child.wait().unwrap();
    stderr.read_to_string(&mut logs).unwrap();
    assert!(exit.success(), "the server exits with 0 after SIGTERM: {exit:?}\n{logs}");
    assert!(logs.contains("stopping"), "the shutdown is logged: {logs}");
    for secret in [operator_key, "sk_live_not-a-real-key-0000000000", "secret-password-1"] {
        assert!(!logs.contains(secret), "the logs never contain a key or password ({secret})");
    }
    let request_lines = logs.lines().filter(|line| line.contains("\"request_id\"") && line.contains("\"status\":201")).count();
    assert_eq!(request_lines, 1, "one log line for the generation request, with its id and status: {logs}");
    let json_lines = logs.lines().filter(|line| line.starts_with('{')).count();
    assert!(json_lines >= 3, "--log-json writes JSON lines: {logs}");
    for line in logs.lines().filter(|line| line.starts_with('{')) {
        serde_json::from_str::<serde_json::Value>(line).unwrap_or_else(|error| panic!("log line is not JSON ({error}): {line}"));
    }
}
