//! Tests of `PgStore` on a real PostgreSQL server: the shared store test suite, each test in a
//! new database, plus what only PostgreSQL has. The server's URL comes from
//! `CASUALTY_TEST_DATABASE_URL`; without it every test here fails.

use std::sync::Arc;

use casualty_store::testsuite::postgres::{create_test_database, TestDatabase};
use casualty_store::testsuite::{at, lease, new_job, user_key, T0};
use casualty_store::{redact_database_url, JobStatus, PgStore, Priority, Store, StoreError};
use sqlx::{Connection, PgConnection};

/// Connects a store to a new, empty database, which is dropped with the guard.
async fn fresh_store() -> (Arc<dyn Store>, TestDatabase) {
    let database = create_test_database().await;
    let store = PgStore::connect(&database.url).await.expect("the store connects to a new database");
    (Arc::new(store), database)
}

casualty_store::store_tests!(fresh_store);

#[tokio::test]
async fn connect_twice_migrates_once() {
    let database = create_test_database().await;
    let (first, second) = tokio::join!(PgStore::connect(&database.url), PgStore::connect(&database.url));
    let first = first.expect("the first instance connects");
    let second = second.expect("the second instance connects at the same time");

    let owner = user_key(&first, "owner").await;
    let job = first.create_job(new_job(owner.id, Priority::Normal), T0).await.expect("a job");
    let seen = second.get_job(owner.id, job.id).await.expect("get_job").expect("the other instance sees the job");
    assert_eq!(seen.status, JobStatus::Pending);

    let mut connection = PgConnection::connect(&database.url).await.expect("a raw connection");
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success").fetch_one(&mut connection).await.expect("migrations");
    assert_eq!(applied, 2);
    first.close().await;
    second.close().await;
}

#[tokio::test]
async fn claims_across_stores_take_each_job_once() {
    let database = create_test_database().await;
    let first = PgStore::connect(&database.url).await.expect("connects");
    let second = PgStore::connect(&database.url).await.expect("connects");
    let owner = user_key(&first, "owner").await;
    let mut created = Vec::new();
    for offset in 0..20 {
        created.push(first.create_job(new_job(owner.id, Priority::Normal), at(offset)).await.expect("a job").id);
    }

    let claim_all = |store: PgStore, instance: &'static str| async move {
        let mut claimed = Vec::new();
        while let Some(job) = store.claim_next_job(&lease(instance), at(100)).await.expect("claim works") {
            claimed.push(job.id);
        }
        claimed
    };
    let (from_first, from_second) = tokio::join!(claim_all(first.clone(), "first"), claim_all(second.clone(), "second"));
    let mut all: Vec<_> = from_first.iter().chain(&from_second).copied().collect();
    all.sort();
    created.sort();
    assert_eq!(all, created, "every job is claimed exactly once across both stores");
}

#[tokio::test]
async fn connect_rejects_bad_url() {
    let error = PgStore::connect("mysql://user:hunter2@localhost/db").await.expect_err("not a PostgreSQL URL");
    let message = error.to_string();
    assert!(matches!(error, StoreError::InvalidInput { field: "database_url", .. }), "{message}");
    assert!(!message.contains("hunter2"), "the password is not shown: {message}");

    // Nothing listens on port 1 of the loopback address.
    let error = PgStore::connect("postgres://user:hunter2@127.0.0.1:1/db").await.expect_err("no server");
    let message = error.to_string();
    assert!(matches!(error, StoreError::Connect { .. }), "{message}");
    assert!(message.contains("postgres://user:***@127.0.0.1:1/db"), "{message}");
    assert!(!message.contains("hunter2"), "the password is not shown: {message}");
}

#[test]
fn redact_database_url_hides_password() {
    assert_eq!(redact_database_url("postgres://casualty:secret@db:5432/casualty"), "postgres://casualty:***@db:5432/casualty");
    assert_eq!(redact_database_url("postgres://casualty@db/casualty"), "postgres://casualty@db/casualty");
    assert_eq!(redact_database_url("not a url with secret"), "<invalid URL>");
    assert_eq!(redact_database_url("postgres://casualty@db/casualty?sslmode=disable&password=secret"), "postgres://casualty@db/casualty?sslmode=disable&password=***");
    assert_eq!(redact_database_url("mysql://u@h/db?PASSWORD=secret"), "mysql://u@h/db?PASSWORD=***");
}
