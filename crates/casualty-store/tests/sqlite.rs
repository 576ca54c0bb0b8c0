//! Tests of `SqliteStore` on real database files in temporary folders: the shared store test
//! suite, plus what only SQLite has (the file, its migrations and reopening it).

use std::path::Path;
use std::sync::Arc;

use casualty_store::testsuite::{at, lease, new_job, T0, LEASE_MS};
use casualty_store::{JobStatus, KeyKind, RecoveredJob, KeyLimits, NewKey, Priority, SqliteStore, Store, StoreError, DATABASE_FILE};
use sha2::Digest as _;
use sqlx::{Connection, SqliteConnection};
use tempfile::TempDir;

/// Opens a store in a new temporary folder, which is removed when the guard is dropped.
async fn fresh_store() -> (Arc<dyn Store>, TempDir) {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(dir.path()).await.expect("a store opens in an empty folder");
    (Arc::new(store), dir)
}

casualty_store::store_tests!(fresh_store);

/// Opens a separate connection to the database file, as another program would.
async fn raw_connection(data_dir: &Path) -> SqliteConnection {
    let url = format!("sqlite://{}", data_dir.join(DATABASE_FILE).display());
    SqliteConnection::connect(&url).await.expect("the database file opens")
}

fn new_key(name: &str) -> NewKey {
    NewKey { name: name.to_string(), kind: KeyKind::User, limits: KeyLimits::default(), expires_at: None }
}

#[tokio::test]
async fn open_creates_folder_and_schema() {
    let parent = tempfile::tempdir().expect("a temporary folder");
    let data_dir = parent.path().join("casualty-data").join("nested");
    let store = SqliteStore::open(&data_dir).await.expect("the folder and database are created");
    assert!(data_dir.join(DATABASE_FILE).is_file());
    assert_eq!(store.path(), data_dir.join(DATABASE_FILE));
    store.close().await;

    let mut connection = raw_connection(&data_dir).await;
    let journal_mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut connection).await.expect("journal mode");
    assert_eq!(journal_mode, "wal");
    let mut tables: Vec<String> = sqlx::query_scalar("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        .fetch_all(&mut connection)
        .await
        .expect("the schema can be read");
    tables.sort();
    assert_eq!(tables, vec!["_sqlx_migrations", "api_keys", "api_requests", "configuration_versions", "configurations", "job_events", "jobs"]);
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(&mut connection).await.expect("migrations");
    assert_eq!(applied, 2);
}

#[tokio::test]
async fn open_existing_database_keeps_data() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(dir.path()).await.expect("first open");
    let (key, secret) = store.create_key(new_key("kept"), T0).await.expect("a key");
    let job = store.create_job(new_job(key.id, Priority::Normal), T0).await.expect("a job");
    store.close().await;

    let reopened = SqliteStore::open(dir.path()).await.expect("an existing database opens again");
    let authenticated = reopened.authenticate(secret.expose(), at(1)).await.expect("the key survives");
    assert_eq!(authenticated.id, key.id);
    let stored = reopened.get_job(key.id, job.id).await.expect("get_job").expect("the job survives");
    assert_eq!(stored.status, JobStatus::Pending);
    reopened.close().await;

    let mut connection = raw_connection(dir.path()).await;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(&mut connection).await.expect("migrations");
    assert_eq!(applied, 2, "no migration runs twice");
}

#[tokio::test]
async fn open_rejects_file_as_folder() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let file = dir.path().join("not-a-folder");
    std::fs::write(&file, "text").expect("a file");

    for data_dir in [file.clone(), file.join("below")] {
        let error = SqliteStore::open(&data_dir).await.expect_err("a file is not a data folder");
        assert!(matches!(error, StoreError::CreateDataDir { .. }), "{error}");
        let message = error.to_string();
        assert!(message.contains(&data_dir.display().to_string()), "the message names the path: {message}");
    }
}

#[tokio::test]
async fn stored_secret_is_only_hash() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let (key, secret) = store.create_key(new_key("hashed"), T0).await.expect("a key");
    store.authenticate(secret.expose(), at(1)).await.expect("authenticates");
    let (_, rotated) = store.rotate_key(key.id, at(2)).await.expect("rotated");
    store.close().await;

    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir.path()).expect("the folder can be read") {
        let path = entry.expect("an entry").path();
        files.push((path.clone(), std::fs::read(&path).expect("a database file can be read")));
    }
    assert!(!files.is_empty());
    let contains = |needle: &[u8]| files.iter().any(|(_, bytes)| bytes.windows(needle.len()).any(|window| window == needle));

    for plain in [secret.expose(), rotated.expose()] {
        let random_part = &plain[12..];
        assert!(!contains(plain.as_bytes()), "a secret appears in a database file");
        assert!(!contains(random_part.as_bytes()), "the secret's random part appears in a database file");
    }
    let rotated_hash: [u8; 32] = sha2::Sha256::digest(rotated.expose().as_bytes()).into();
    assert!(contains(&rotated_hash), "the SHA-256 of the current secret is what is stored");
    let old_hash: [u8; 32] = sha2::Sha256::digest(secret.expose().as_bytes()).into();

    let mut connection = raw_connection(dir.path()).await;
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret_sha256 FROM api_keys").fetch_one(&mut connection).await.expect("the hash column");
    assert_eq!(stored, rotated_hash);
    assert_ne!(stored, old_hash, "the old hash was replaced");
}

#[tokio::test]
async fn expired_lease_requeues_after_reopen() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store = SqliteStore::open(dir.path()).await.expect("open");
    let (key, _) = store.create_key(new_key("worker"), T0).await.expect("a key");
    let job = store.create_job(new_job(key.id, Priority::High), T0).await.expect("a job");
    let waiting = store.create_job(new_job(key.id, Priority::Low), at(1)).await.expect("a job");
    let claimed = store.claim_next_job(&lease("stopped"), at(10)).await.expect("claim").expect("a job");
    assert_eq!(claimed.id, job.id);
    store.update_progress(job.id, "stopped", "generating", 30, Some(100.0), at(20)).await.expect("progress");
    // The service stops without finishing the job.
    store.close().await;
    drop(store);

    let restarted = SqliteStore::open(dir.path()).await.expect("reopen");
    assert!(restarted.recover_expired_jobs(3, at(20 + LEASE_MS - 1)).await.expect("recover").is_empty(), "the lease still runs");
    let recovered = restarted.recover_expired_jobs(3, at(20 + LEASE_MS)).await.expect("recover");
    assert_eq!(recovered, vec![RecoveredJob { id: job.id, status: JobStatus::Pending }]);
    let next = restarted.claim_next_job(&lease("restarted"), at(20 + LEASE_MS + 1)).await.expect("claim").expect("the re-queued job");
    assert_eq!(next.id, job.id, "the re-queued job keeps its priority");
    assert_eq!(next.attempts, 2);
    let after = restarted.claim_next_job(&lease("restarted"), at(20 + LEASE_MS + 2)).await.expect("claim").expect("the waiting job");
    assert_eq!(after.id, waiting.id);
}
