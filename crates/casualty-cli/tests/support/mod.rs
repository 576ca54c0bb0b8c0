//! Shared helpers of the tests that run `casualty serve` as a process: starting and stopping it,
//! plain HTTP/1.1 requests on loopback, `casualty keys`, and the server's memory and CPU time
//! from `/proc` (so these tests run on Linux only).

#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a server may take to print its address. Generous, for loaded CI machines.
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// Builds a `casualty` command that inherits no `CASUALTY_*` or `RUST_LOG` variable from the
/// test's environment, so only the settings a test gives apply.
pub fn casualty() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_casualty"));
    clear_casualty_environment(&mut command);
    command
}

/// Removes the `CASUALTY_*` and `RUST_LOG` variables of the test's environment from `command`.
pub fn clear_casualty_environment(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("CASUALTY_") || name == "RUST_LOG" {
            command.env_remove(name);
        }
    }
}

/// A running `casualty serve` process, killed when dropped.
pub struct Server {
    child: Option<Child>,
    /// `host:port` that the server printed.
    pub address: String,
    logs: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
}

/// How a start attempt ended.
pub enum Launch {
    /// The server printed its address.
    Listening(Server),
    /// The process exited first, with this status and standard error.
    Exited(ExitStatus, String),
}

impl Launch {
    /// Returns the server, or fails the test with the exit status and standard error.
    pub fn expect_listening(self) -> Server {
        match self {
            Launch::Listening(server) => server,
            Launch::Exited(status, logs) => panic!("casualty serve exited with {status} before listening:\n{logs}"),
        }
    }

    /// Returns the exit status and standard error, or fails the test if the server started.
    pub fn expect_exit(self) -> (ExitStatus, String) {
        match self {
            Launch::Exited(status, logs) => (status, logs),
            Launch::Listening(server) => {
                let logs = server.logs();
                drop(server);
                panic!("casualty serve started, but it was expected to fail:\n{logs}")
            }
        }
    }
}

impl Server {
    /// Runs `command` (a `casualty serve` command) with standard error captured, and waits until
    /// it prints its address or exits.
    pub fn launch(mut command: Command) -> Launch {
        command.stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = command.spawn().expect("the casualty binary starts");
        let stderr = child.stderr.take().expect("standard error is piped");
        let logs = Arc::new(Mutex::new(String::new()));
        let (found, address) = mpsc::channel::<String>();
        // Standard error is drained for the whole run, so the server never blocks on a full pipe.
        let reader = {
            let logs = Arc::clone(&logs);
            std::thread::spawn(move || {
                let mut lines = BufReader::new(stderr);
                let mut line = String::new();
                while lines.read_line(&mut line).unwrap_or(0) > 0 {
                    logs.lock().unwrap().push_str(&line);
                    if let Some(rest) = line.trim().strip_prefix("casualty: listening on http://") {
                        let _ = found.send(rest.to_string());
                    }
                    line.clear();
                }
            })
        };
        match address.recv_timeout(START_TIMEOUT) {
            Ok(address) => Launch::Listening(Server { child: Some(child), address, logs, reader: Some(reader) }),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                let status = child.wait().expect("the exit status");
                let _ = reader.join();
                let logs = logs.lock().unwrap().clone();
                Launch::Exited(status, logs)
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("casualty serve printed no address within {START_TIMEOUT:?}:\n{}", logs.lock().unwrap())
            }
        }
    }

    /// Starts `casualty serve ARGS` with the environment variables `env`.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> Server {
        let mut command = casualty();
        command.arg("serve").args(args);
        for (name, value) in env {
            command.env(name, value);
        }
        Server::launch(command).expect_listening()
    }

    /// Returns the process id of the server.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server runs").id()
    }

    /// Returns standard error so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap().clone()
    }

    /// Sends one request to this server.
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
        request(&self.address, method, path, headers, body)
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status and all of standard error.
    pub fn terminate(mut self) -> (ExitStatus, String) {
        let mut child = self.child.take().expect("the server runs");
        let sent = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill runs");
        assert!(sent.success(), "SIGTERM was sent");
        let status = child.wait().expect("the exit status");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status, self.logs())
    }

    /// Kills the server with SIGKILL, as a crash or power loss would stop it, and waits for it.
    pub fn kill(mut self) -> String {
        let mut child = self.child.take().expect("the server runs");
        child.kill().expect("SIGKILL was sent");
        let _ = child.wait();
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        self.logs()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A whole HTTP response.
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header names in lower case, with their values.
    pub headers: Vec<(String, String)>,
    /// The body, with chunked transfer encoding removed.
    pub body: Vec<u8>,
}

impl Response {
    /// Returns the first value of a header, by name in any case.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers.iter().find(|(key, _)| *key == name).map(|(_, value)| value.as_str())
    }

    /// Returns the body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Parses the body as JSON, or fails the test and shows the body.
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| panic!("the body (status {}) is not JSON ({error}): {}", self.status, self.text()))
    }
}

/// Opens a connection and sends one HTTP/1.1 request with `Connection: close`, leaving the
/// response unread.
pub fn send_request(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> TcpStream {
    let mut stream = TcpStream::connect(address).unwrap_or_else(|error| panic!("failed to connect to {address}: {error}"));
    stream.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Length: {}\r\nConnection: close\r\n", body.len());
    if !body.is_empty() && !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("content-type")) {
        head.push_str("Content-Type: application/json\r\n");
    }
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    stream
}

/// Sends one request and reads the whole response.
pub fn request(address: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let mut stream = send_request(address, method, path, headers, body);
    let mut bytes = Vec::new();
    stream.read_to_end(&mut bytes).unwrap_or_else(|error| panic!("reading the response to {method} {path} failed: {error}"));
    parse_response(&bytes)
}

/// Sends a request with an `X-API-Key` header and a JSON body, and reads the response.
pub fn call(address: &str, method: &str, path: &str, key: &str, body: &Value) -> Response {
    let bytes = if body.is_null() { Vec::new() } else { serde_json::to_vec(body).unwrap() };
    request(address, method, path, &[("X-API-Key", key)], &bytes)
}

/// Splits a raw HTTP response into status, headers and body, and decodes a chunked body.
pub fn parse_response(bytes: &[u8]) -> Response {
    let split = bytes.windows(4).position(|window| window == b"\r\n\r\n").unwrap_or_else(|| panic!("no end of the headers in {:?}", String::from_utf8_lossy(bytes)));
    let head = String::from_utf8_lossy(&bytes[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or_else(|| panic!("invalid status line {status_line:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_ascii_lowercase(), value.trim().to_string()))
        .collect();
    let raw = &bytes[split + 4..];
    let chunked = headers.iter().any(|(name, value)| name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked"));
    let body = if chunked { decode_chunked(raw) } else { raw.to_vec() };
    Response { status, headers, body }
}

/// Decodes a body sent with chunked transfer encoding; fails the test if it was cut short.
pub fn decode_chunked(mut raw: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = raw.windows(2).position(|window| window == b"\r\n").expect("a chunk size line");
        let size_text = String::from_utf8_lossy(&raw[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or_default().trim(), 16).unwrap_or_else(|_| panic!("invalid chunk size {size_text:?}"));
        raw = &raw[line_end + 2..];
        if size == 0 {
            return body;
        }
        assert!(raw.len() >= size + 2, "the chunked body ends inside a chunk of {size} bytes");
        body.extend_from_slice(&raw[..size]);
        raw = &raw[size + 2..];
    }
}

/// Creates a key without limits with `casualty keys create` and returns its secret.
pub fn create_key(data_dir: &Path, name: &str) -> String {
    let output = casualty().arg("keys").arg("--data-dir").arg(data_dir).args(["create", "--name", name, "--json"]).output().expect("casualty keys runs");
    assert!(output.status.success(), "casualty keys create failed: {}", String::from_utf8_lossy(&output.stderr));
    let created: Value = serde_json::from_slice(&output.stdout).expect("casualty keys create --json prints JSON");
    created["secret"].as_str().expect("a secret").to_string()
}

/// Returns a port that was free on `host` a moment ago.
pub fn free_port(host: &str) -> u16 {
    let listener = std::net::TcpListener::bind((host, 0)).unwrap_or_else(|error| panic!("failed to bind {host}:0: {error}"));
    listener.local_addr().unwrap().port()
}

/// Reads the resident set size of a process in bytes (`VmRSS` of `/proc/<pid>/status`).
pub fn resident_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/<pid>/status is readable");
    let line = status.lines().find(|line| line.starts_with("VmRSS:")).expect("a VmRSS line");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|value| value.parse().ok()).expect("VmRSS in kB");
    kib * 1024
}

/// Reads the CPU time of a process in seconds, user plus system (`utime` and `stime` of
/// `/proc/<pid>/stat`).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("/proc/<pid>/stat is readable");
    // The command name in brackets may contain spaces, so fields are counted after its `)`.
    // Field 3 (state) is index 0 there, so utime (field 14) and stime (field 15) are 11 and 12.
    let fields: Vec<&str> = stat[stat.rfind(')').expect("a command name") + 1..].split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / clock_ticks_per_second()
}

fn clock_ticks_per_second() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        let output = Command::new("getconf").arg("CLK_TCK").output();
        output.ok().and_then(|output| String::from_utf8_lossy(&output.stdout).trim().parse().ok()).unwrap_or(100.0)
    })
}

/// Polls `condition` every 50 ms until it returns a value, or fails the test after `limit`
/// with `what` and the last state it describes.
pub fn wait_until<T>(limit: Duration, what: &str, mut condition: impl FnMut() -> Result<T, String>) -> T {
    let started = Instant::now();
    loop {
        match condition() {
            Ok(value) => return value,
            Err(state) => assert!(started.elapsed() < limit, "{what} did not happen within {limit:?}; last state: {state}"),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Lists the entries of a folder by name, sorted, or none when it does not exist.
pub fn entries(folder: &Path) -> Vec<String> {
    match std::fs::read_dir(folder) {
        Ok(entries) => {
            let mut names: Vec<String> = entries.map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned()).collect();
            names.sort();
            names
        }
        Err(_) => Vec::new(),
    }
}
