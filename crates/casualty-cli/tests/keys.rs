//! End-to-end tests of `casualty keys` on temporary data folders: each subcommand's output and
//! effect on the store, the one-time display of secrets, and exit codes.

use std::path::Path;
use std::process::{Command, Output};

use casualty_store::{AuthError, KeyId, Millis, RateLimits, RequestKind, SqliteStore, Store};
use serde_json::Value;

/// Runs `casualty keys --data-dir DIR ARGS...`.
fn keys(data_dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty"))
        .arg("keys")
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .output()
        .expect("the casualty binary runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs a command that must succeed and returns its standard output as JSON.
fn keys_json(data_dir: &Path, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let output = keys(data_dir, &all);
    assert!(output.status.success(), "casualty keys {all:?} failed: {}", stderr(&output));
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("casualty keys {all:?} printed invalid JSON ({error}): {}", stdout(&output)))
}

/// Creates a key and returns its id and secret.
fn create(data_dir: &Path, extra: &[&str]) -> (String, String) {
    let mut args = vec!["create", "--name", "Exercise Cold Response"];
    args.extend_from_slice(extra);
    let created = keys_json(data_dir, &args);
    let id = created["key"]["id"].as_str().expect("the key's id").to_string();
    let secret = created["secret"].as_str().expect("the secret").to_string();
    (id, secret)
}

/// Runs `body` against the store in `data_dir`, as the service would.
fn with_store<T>(data_dir: &Path, body: impl AsyncFnOnce(&SqliteStore) -> T) -> T {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a tokio runtime");
    runtime.block_on(async {
        let store = SqliteStore::open(data_dir).await.expect("the store opens");
        let result = body(&store).await;
        store.close().await;
        result
    })
}

fn authenticates(data_dir: &Path, secret: &str) -> Result<KeyId, AuthError> {
    with_store(data_dir, async |store| store.authenticate(secret, Millis::now()).await.map(|key| key.id))
}

#[test]
fn create_prints_secret_once() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let data_dir = dir.path().join("data");
    let output = keys(&data_dir, &["create", "--name", "Planning cell", "--per-minute", "5", "--patients-per-request", "500"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let secret_line = text.lines().find(|line| line.starts_with("secret: ")).expect("a secret line");
    let secret = secret_line.trim_start_matches("secret: ");
    assert!(secret.starts_with("sk_live_"), "{secret}");
    assert!(text.contains("name:       Planning cell"), "{text}");
    assert!(text.contains("500 patients per request, 5 per minute, none per hour, none per day"), "{text}");
    assert!(stderr(&output).contains("shown only this once"), "the warning goes to standard error: {}", stderr(&output));
    assert!(data_dir.join("casualty.db").is_file(), "create makes the folder and the database");

    let id = authenticates(&data_dir, secret).expect("the printed secret authenticates");
    for args in [vec!["list"], vec!["list", "--json"], vec!["show", &id.to_string()], vec!["usage", &id.to_string()]] {
        let output = keys(&data_dir, &args);
        assert!(output.status.success(), "{args:?}: {}", stderr(&output));
        assert!(!stdout(&output).contains(secret), "{args:?} prints the secret");
        assert!(!stderr(&output).contains(secret), "{args:?} prints the secret");
    }
}

#[test]
fn create_json_has_key_and_secret() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let created = keys_json(dir.path(), &["create", "--name", "ops", "--kind", "operator", "--expires-days", "30", "--per-day", "1000"]);
    let key = &created["key"];
    let secret = created["secret"].as_str().expect("a secret");
    assert!(secret.starts_with("sk_op_"));
    assert_eq!(key["kind"], "operator");
    assert_eq!(key["status"], "active");
    assert_eq!(key["display_prefix"].as_str(), Some(&secret[..12]));
    assert_eq!(key["limits"]["per_day"], 1000);
    assert_eq!(key["limits"]["per_minute"], Value::Null);
    let created_at = Millis::parse_rfc3339(key["created_at"].as_str().expect("created_at")).expect("RFC 3339");
    let expires_at = Millis::parse_rfc3339(key["expires_at"].as_str().expect("expires_at")).expect("RFC 3339");
    assert_eq!(expires_at.as_unix_millis() - created_at.as_unix_millis(), 30 * Millis::DAY);
}

#[test]
fn list_shows_every_key() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (first, _) = create(dir.path(), &[]);
    let (second, _) = create(dir.path(), &["--kind", "demo"]);
    keys_json(dir.path(), &["revoke", &second]);

    let listed = keys_json(dir.path(), &["list"]);
    let ids: Vec<&str> = listed.as_array().expect("an array").iter().map(|key| key["id"].as_str().expect("an id")).collect();
    assert_eq!(ids, vec![first.as_str(), second.as_str()]);
    assert_eq!(listed[1]["status"], "revoked");

    let output = keys(dir.path(), &["list"]);
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "a header and two rows: {text}");
    assert!(lines[0].starts_with("ID "), "{text}");
    assert!(lines[1].starts_with(&first), "{text}");
    assert!(lines[1].contains("active"), "{text}");
    assert!(lines[2].starts_with(&second), "{text}");
    assert!(lines[2].contains("revoked"), "{text}");
}

#[test]
fn limits_changes_only_given_limits() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (id, _) = create(dir.path(), &["--per-minute", "5", "--per-hour", "50", "--patients-per-request", "100"]);
    let changed = keys_json(dir.path(), &["limits", &id, "--per-day", "200", "--per-hour", "none"]);
    assert_eq!(changed["limits"]["per_minute"], 5, "not given, so unchanged");
    assert_eq!(changed["limits"]["per_hour"], Value::Null, "none removes the limit");
    assert_eq!(changed["limits"]["per_day"], 200);
    assert_eq!(changed["limits"]["patients_per_request"], 100);
    assert_eq!(keys_json(dir.path(), &["show", &id])["limits"], changed["limits"], "stored");

    let output = keys(dir.path(), &["limits", &id]);
    assert_eq!(output.status.code(), Some(2), "no limit given");
    assert!(stderr(&output).contains("no limit given"), "{}", stderr(&output));
}

#[test]
fn disable_enable_and_revoke_change_status() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (id, secret) = create(dir.path(), &[]);
    assert_eq!(keys_json(dir.path(), &["disable", &id])["status"], "disabled");
    assert!(matches!(authenticates(dir.path(), &secret), Err(AuthError::Disabled { .. })));
    assert_eq!(keys_json(dir.path(), &["enable", &id])["status"], "active");
    authenticates(dir.path(), &secret).expect("enabled again");

    let revoked = keys_json(dir.path(), &["revoke", &id]);
    assert_eq!(revoked["status"], "revoked");
    assert!(revoked["revoked_at"].is_string());
    assert!(matches!(authenticates(dir.path(), &secret), Err(AuthError::Revoked { .. })));

    let output = keys(dir.path(), &["enable", &id]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("is revoked and cannot be changed"), "{}", stderr(&output));
}

#[test]
fn rotate_replaces_secret() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (id, old_secret) = create(dir.path(), &[]);
    let rotated = keys_json(dir.path(), &["rotate", &id]);
    let new_secret = rotated["secret"].as_str().expect("a new secret");
    assert_ne!(new_secret, old_secret);
    assert_eq!(rotated["key"]["id"].as_str(), Some(id.as_str()), "the same key");
    assert!(rotated["key"]["rotated_at"].is_string());

    assert!(matches!(authenticates(dir.path(), &old_secret), Err(AuthError::Unknown)), "the old secret stops working");
    let authenticated = authenticates(dir.path(), new_secret).expect("the new secret works");
    assert_eq!(authenticated.to_string(), id);
}

#[test]
fn usage_reports_counts() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (id, _) = create(dir.path(), &[]);
    let key_id: KeyId = id.parse().expect("an id");
    with_store(dir.path(), async |store| {
        let now = Millis::now();
        store.admit(key_id, RequestKind::Generate, 250, RateLimits::UNLIMITED, now).await.expect("admitted");
        store.admit(key_id, RequestKind::Read, 0, RateLimits::UNLIMITED, now).await.expect("admitted");
    });

    let usage = keys_json(dir.path(), &["usage", &id]);
    assert_eq!(usage["key_id"].as_str(), Some(id.as_str()));
    assert_eq!(usage["generate_requests"]["minute"], 1);
    assert_eq!(usage["read_requests"]["day"], 1);
    assert_eq!(usage["patients"]["hour"], 250);
    assert_eq!(usage["total_requests"], 2);
    assert_eq!(usage["total_patients"], 250);

    let text = stdout(&keys(dir.path(), &["usage", &id]));
    assert!(text.contains("since creation: 2 requests, 250 patients"), "{text}");
}

#[test]
fn invalid_input_exits_with_code_2() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let (id, secret) = create(dir.path(), &[]);
    let unknown = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let cases: [(&[&str], &str); 7] = [
        (&["show", "not-an-id"], "invalid API key id"),
        (&["show", unknown], "not found"),
        (&["revoke", unknown], "not found"),
        (&["create", "--name", ""], "name: invalid value"),
        (&["create", "--name", "x", "--per-minute", "0"], "expected a whole number from 1"),
        (&["create", "--name", "x", "--kind", "admin"], "expected operator, user or demo"),
        (&["limits", &id, "--per-day=-3"], "invalid limit `-3`"),
    ];
    for (args, expected) in cases {
        let output = keys(dir.path(), args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {}", stderr(&output));
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
    }

    let output = keys(dir.path(), &["show", &secret]);
    assert_eq!(output.status.code(), Some(2));
    assert!(!stderr(&output).contains(&secret), "a secret given as an id is not printed: {}", stderr(&output));

    let missing = dir.path().join("missing");
    let output = keys(&missing, &["list"]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("no database found"), "{}", stderr(&output));
    assert!(!missing.exists(), "list creates nothing");
}

#[test]
fn unusable_data_dir_exits_with_code_1() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a folder").expect("a file");
    let data_dir = file.join("data");
    let output = keys(&data_dir, &["create", "--name", "x"]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains(&data_dir.display().to_string()), "the error names the folder: {}", stderr(&output));
}
