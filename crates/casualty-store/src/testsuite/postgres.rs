//! A new PostgreSQL database for each test, on the server that `CASUALTY_TEST_DATABASE_URL`
//! names. `scripts/test-postgres.sh start` starts such a server and prints the variable.

use std::sync::atomic::{AtomicU32, Ordering};

/// The environment variable with the URL of a PostgreSQL database whose user may create
/// databases, such as `postgres://casualty@127.0.0.1:55432/postgres`.
pub const TEST_DATABASE_URL_VARIABLE: &str = "CASUALTY_TEST_DATABASE_URL";

/// Numbers the databases of one test process.
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// A database created for one test and dropped, with its connections, when this is dropped.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    /// The URL of the new database.
    pub url: String,
}

/// Returns the server URL from `CASUALTY_TEST_DATABASE_URL`.
///
/// # Panics
///
/// When the variable is unset or empty, with a message that explains how to start a server, so that
/// a test that needs PostgreSQL fails instead of passing without it.
pub fn server_url() -> String {
    match std::env::var(TEST_DATABASE_URL_VARIABLE) {
        Ok(url) if !url.trim().is_empty() => url,
        _ => panic!(
            "{TEST_DATABASE_URL_VARIABLE} is not set: this test needs a PostgreSQL server. Start one with \
             `eval \"$(scripts/test-postgres.sh start /tmp/casualty-postgres)\"` from the repository root"
        ),
    }
}

/// Creates an empty database named after the process id and a counter on the server of
/// `CASUALTY_TEST_DATABASE_URL`.
///
/// # Panics
///
/// When the variable is unset, or the server cannot be reached or refuses to create the database.
pub async fn create_test_database() -> TestDatabase {
    use sqlx::{Connection, PgConnection};

    let admin_url = server_url();
    let name = format!("casualty_test_{}_{}", std::process::id(), NEXT_DATABASE.fetch_add(1, Ordering::Relaxed));
    let mut admin = PgConnection::connect(&admin_url).await.unwrap_or_else(|error| panic!("failed to connect to {TEST_DATABASE_URL_VARIABLE}: {error}"));
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.expect("an old test database can be dropped");
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.expect("the test user can create databases");
    admin.close().await.ok();

    let mut url = url::Url::parse(&admin_url).unwrap_or_else(|error| panic!("{TEST_DATABASE_URL_VARIABLE} is not a URL: {error}"));
    url.set_path(&format!("/{name}"));
    TestDatabase { admin_url, name, url: url.to_string() }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot block on a future, so the database
        // is dropped from a thread with its own runtime. `WITH (FORCE)` ends the connections
        // that the test's pool still holds.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
            runtime.block_on(async move {
                use sqlx::{Connection, PgConnection};
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await.ok()?;
                admin.close().await.ok()
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: failed to drop the test database {}", self.name);
        }
    }
}
