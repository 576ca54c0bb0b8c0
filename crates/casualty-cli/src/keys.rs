//! The `keys` command, which manages the API keys of the generation service in its data folder,
//! or in its PostgreSQL database with `--database-url`: create, list, show, limits, enable,
//! disable, revoke, rotate and usage.
//!
//! A secret is printed only by `create` and `rotate`, once, because the store keeps only its
//! SHA-256. Every other output shows the key's id and display prefix instead.

use std::io::Write;
use std::num::NonZeroU32;
use std::path::PathBuf;

use anyhow::Context;
use casualty_store::{
    redact_database_url, ApiKey, KeyId, KeyKind, KeyLimits, KeySecret, Millis, NewKey, PgStore, SqliteStore, Store, StoreError, Usage, WindowCounts, DATABASE_FILE,
};
use serde_json::{json, Value};

use crate::Failure;

/// Arguments of `casualty keys`.
#[derive(clap::Args, Debug)]
pub(crate) struct KeysArgs {
    /// Data folder of the generation service, which contains casualty.db. `create` makes the folder
    /// and the database when missing; the other subcommands require them.
    #[arg(long, value_name = "DIR", default_value = "./casualty-data", global = true)]
    data_dir: PathBuf,
    /// PostgreSQL database of the generation service, as postgres://user:password@host:port/database; when given, --data-dir is not used.
    #[arg(long, value_name = "URL", env = "CASUALTY_DATABASE_URL", hide_env_values = true, global = true)]
    database_url: Option<String>,
    /// Print JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(clap::Subcommand, Debug)]
enum KeysCommand {
    /// Create a key and print its secret, which is shown only this once.
    Create(CreateArgs),
    /// List every key, oldest first.
    List,
    /// Show one key.
    Show {
        /// The key's id, as printed by `list`.
        id: String,
    },
    /// Change a key's limits; the limits not given stay as they are.
    Limits {
        /// The key's id, as printed by `list`.
        id: String,
        #[command(flatten)]
        limits: LimitArgs,
    },
    /// Enable a disabled key.
    Enable {
        /// The key's id, as printed by `list`.
        id: String,
    },
    /// Disable a key until it is enabled again.
    Disable {
        /// The key's id, as printed by `list`.
        id: String,
    },
    /// Revoke a key for good.
    Revoke {
        /// The key's id, as printed by `list`.
        id: String,
    },
    /// Replace a key's secret and print the new one once; the old secret stops working.
    Rotate {
        /// The key's id, as printed by `list`.
        id: String,
    },
    /// Show a key's requests and requested patients in the last minute, hour and day.
    Usage {
        /// The key's id, as printed by `list`.
        id: String,
    },
}

#[derive(clap::Args, Debug)]
struct CreateArgs {
    /// A name for people, such as the exercise or team (1 to 100 characters).
    #[arg(long, value_name = "NAME")]
    name: String,
    /// The key's role: operator, user or demo.
    #[arg(long, value_name = "KIND", default_value = "user", value_parser = parse_kind)]
    kind: KeyKind,
    #[command(flatten)]
    limits: LimitArgs,
    /// Days until the key expires, from 1 to 36500; without it the key never expires.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    expires_days: Option<u32>,
}

/// Limit options, shared by `create` and `limits`. Each takes a whole number from 1, or `none`.
#[derive(clap::Args, Debug)]
struct LimitArgs {
    /// Maximum patients in one generation request, or none.
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    patients_per_request: Option<Limit>,
    /// Maximum generation requests in any 60 seconds, or none.
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    per_minute: Option<Limit>,
    /// Maximum generation requests in any hour, or none.
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    per_hour: Option<Limit>,
    /// Maximum generation requests in any 24 hours, or none.
    #[arg(long, value_name = "N", value_parser = parse_limit)]
    per_day: Option<Limit>,
}

/// A limit given on the command line: a number, or `none` to remove the limit.
#[derive(Debug, Clone, Copy)]
struct Limit(Option<NonZeroU32>);

fn parse_limit(text: &str) -> Result<Limit, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(Limit(None));
    }
    match text.trim().parse::<u32>().ok().and_then(NonZeroU32::new) {
        Some(number) => Ok(Limit(Some(number))),
        None => Err(format!("invalid limit `{text}`: expected a whole number from 1 to {}, or none for no limit", u32::MAX)),
    }
}

fn parse_kind(text: &str) -> Result<KeyKind, String> {
    text.trim().to_ascii_lowercase().parse::<KeyKind>().map_err(|_| format!("invalid kind `{text}`: expected operator, user or demo"))
}

impl LimitArgs {
    fn is_empty(&self) -> bool {
        self.patients_per_request.is_none() && self.per_minute.is_none() && self.per_hour.is_none() && self.per_day.is_none()
    }

    /// Returns `current` with the limits given on the command line replaced.
    fn apply(&self, current: KeyLimits) -> KeyLimits {
        let pick = |given: Option<Limit>, current: Option<NonZeroU32>| given.map_or(current, |limit| limit.0);
        let mut limits = current;
        limits.patients_per_request = pick(self.patients_per_request, current.patients_per_request);
        limits.rate.per_minute = pick(self.per_minute, current.rate.per_minute);
        limits.rate.per_hour = pick(self.per_hour, current.rate.per_hour);
        limits.rate.per_day = pick(self.per_day, current.rate.per_day);
        limits
    }
}

/// Runs `casualty keys` on a single-threaded tokio runtime.
pub(crate) fn run(args: KeysArgs) -> Result<(), Failure> {
    let creates = matches!(args.command, KeysCommand::Create(_));
    let database = args.data_dir.join(DATABASE_FILE);
    if args.database_url.is_none() && !creates && !database.is_file() {
        return Err(Failure::Input(anyhow::anyhow!(
            "{}: no database found; give the service's data folder with --data-dir, or create a first key with `casualty keys create`",
            database.display()
        )));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("failed to start the async runtime")
        .map_err(Failure::Runtime)?;
    runtime.block_on(run_async(args))
}

async fn run_async(args: KeysArgs) -> Result<(), Failure> {
    if let Some(url) = &args.database_url {
        let location = redact_database_url(url);
        let store = PgStore::connect(url).await.map_err(|error| store_failure(error, &location))?;
        let result = run_command(&store, &location, args.command, args.json).await;
        store.close().await;
        return result;
    }
    let location = args.data_dir.display().to_string();
    let store = SqliteStore::open(&args.data_dir).await.map_err(|error| store_failure(error, &location))?;
    let result = run_command(&store, &location, args.command, args.json).await;
    store.close().await;
    result
}

/// Runs one subcommand on `store`, whose data folder or redacted database URL is `location`.
async fn run_command(store: &dyn Store, location: &str, command: KeysCommand, json: bool) -> Result<(), Failure> {
    let now = Millis::now();
    let failure = |error: StoreError| store_failure(error, location);
    match command {
        KeysCommand::Create(create) => {
            let new = NewKey {
                name: create.name,
                kind: create.kind,
                limits: create.limits.apply(KeyLimits::default()),
                expires_at: create.expires_days.map(|days| now.plus_millis(i64::from(days) * Millis::DAY)),
            };
            let (key, secret) = store.create_key(new, now).await.map_err(failure)?;
            print_secret("created", &key, &secret, now, json)
        }
        KeysCommand::List => {
            let keys = store.list_keys().await.map_err(failure)?;
            if json {
                let list: Vec<Value> = keys.iter().map(|key| key_json(key, now)).collect();
                print_out(&format!("{:#}\n", Value::Array(list)))
            } else {
                print_out(&key_table(&keys, now))
            }
        }
        KeysCommand::Show { id } => {
            let id = parse_id(&id)?;
            let key = store.get_key(id).await.map_err(failure)?.ok_or_else(|| failure(key_not_found(id)))?;
            print_key(&key, now, json)
        }
        KeysCommand::Limits { id, limits } => {
            let id = parse_id(&id)?;
            if limits.is_empty() {
                return Err(Failure::Input(anyhow::anyhow!(
                    "no limit given: add one or more of --patients-per-request, --per-minute, --per-hour and --per-day (a number, or none)"
                )));
            }
            let current = store.get_key(id).await.map_err(failure)?.ok_or_else(|| failure(key_not_found(id)))?;
            let key = store.update_key_limits(id, limits.apply(current.limits)).await.map_err(failure)?;
            print_key(&key, now, json)
        }
        KeysCommand::Enable { id } => print_key(&store.set_key_enabled(parse_id(&id)?, true).await.map_err(failure)?, now, json),
        KeysCommand::Disable { id } => print_key(&store.set_key_enabled(parse_id(&id)?, false).await.map_err(failure)?, now, json),
        KeysCommand::Revoke { id } => print_key(&store.revoke_key(parse_id(&id)?, now).await.map_err(failure)?, now, json),
        KeysCommand::Rotate { id } => {
            let (key, secret) = store.rotate_key(parse_id(&id)?, now).await.map_err(failure)?;
            print_secret("rotated", &key, &secret, now, json)
        }
        KeysCommand::Usage { id } => {
            let id = parse_id(&id)?;
            let key = store.get_key(id).await.map_err(failure)?.ok_or_else(|| failure(key_not_found(id)))?;
            let usage = store.usage(id, now).await.map_err(failure)?;
            if json {
                print_out(&format!("{:#}\n", usage_json(&key, &usage)))
            } else {
                print_out(&usage_text(&key, &usage))
            }
        }
    }
}

/// Parses a key id here rather than in clap, because clap repeats a rejected value in its
/// message, and a secret pasted in place of an id must not be printed.
fn parse_id(text: &str) -> Result<KeyId, Failure> {
    text.parse::<KeyId>().map_err(|error| Failure::Input(error.into()))
}

fn key_not_found(id: KeyId) -> StoreError {
    StoreError::NotFound { entity: "API key", id: id.to_string() }
}

/// Sorts a store error by exit code: what the user asked for is input (2), what failed
/// underneath is a runtime failure (1).
fn store_failure(error: StoreError, location: &str) -> Failure {
    let input = matches!(
        error,
        StoreError::NotFound { .. }
            | StoreError::InvalidInput { .. }
            | StoreError::KeyRevoked { .. }
            | StoreError::NameTaken { .. }
            | StoreError::InvalidTransition { .. }
            | StoreError::JobNotFinished { .. }
    );
    if input {
        Failure::Input(error.into())
    } else {
        Failure::Runtime(anyhow::Error::new(error).context(format!("failed to use the key store in {location}")))
    }
}

/// Prints a new secret with its key: the secret goes to standard output once, the warning to
/// standard error.
fn print_secret(verb: &str, key: &ApiKey, secret: &KeySecret, now: Millis, json: bool) -> Result<(), Failure> {
    let text = if json {
        format!("{:#}\n", json!({"key": key_json(key, now), "secret": secret.expose()}))
    } else {
        format!("{verb} API key {} ({}, {})\n{}\nsecret: {}\n", key.id, key.name, key.kind, key_text(key, now), secret.expose())
    };
    print_out(&text)?;
    eprintln!("casualty: warning: the secret is shown only this once, because only its SHA-256 is stored; keep it in a safe place now");
    Ok(())
}

fn print_key(key: &ApiKey, now: Millis, json: bool) -> Result<(), Failure> {
    if json {
        print_out(&format!("{:#}\n", key_json(key, now)))
    } else {
        print_out(&format!("{}\n", key_text(key, now)))
    }
}

/// Writes to standard output. A closed pipe ends the command quietly, as in `generate`.
fn print_out(text: &str) -> Result<(), Failure> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(text.as_bytes()).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(Failure::Runtime(anyhow::Error::new(error).context("failed to write to standard output"))),
    }
}

fn optional_time(time: Option<Millis>) -> Value {
    time.map_or(Value::Null, |time| Value::String(time.to_rfc3339()))
}

fn optional_limit(limit: Option<NonZeroU32>) -> Value {
    limit.map_or(Value::Null, |limit| json!(limit.get()))
}

fn key_json(key: &ApiKey, now: Millis) -> Value {
    json!({
        "id": key.id.to_string(),
        "name": key.name,
        "kind": key.kind.as_str(),
        "status": key.status(now).as_str(),
        "display_prefix": key.display_prefix,
        "limits": {
            "patients_per_request": optional_limit(key.limits.patients_per_request),
            "per_minute": optional_limit(key.limits.rate.per_minute),
            "per_hour": optional_limit(key.limits.rate.per_hour),
            "per_day": optional_limit(key.limits.rate.per_day),
        },
        "enabled": key.enabled,
        "expires_at": optional_time(key.expires_at),
        "revoked_at": optional_time(key.revoked_at),
        "created_at": key.created_at.to_rfc3339(),
        "last_used_at": optional_time(key.last_used_at),
        "rotated_at": optional_time(key.rotated_at),
    })
}

fn limit_text(limit: Option<NonZeroU32>) -> String {
    limit.map_or_else(|| "none".to_string(), |limit| limit.get().to_string())
}

fn time_text(time: Option<Millis>, missing: &str) -> String {
    time.map_or_else(|| missing.to_string(), Millis::to_rfc3339)
}

fn key_text(key: &ApiKey, now: Millis) -> String {
    let limits = &key.limits;
    let mut lines = vec![
        format!("id:         {}", key.id),
        format!("name:       {}", key.name),
        format!("kind:       {}", key.kind),
        format!("status:     {}", key.status(now)),
        format!("prefix:     {}", key.display_prefix),
        format!(
            "limits:     {} patients per request, {} per minute, {} per hour, {} per day",
            limit_text(limits.patients_per_request),
            limit_text(limits.rate.per_minute),
            limit_text(limits.rate.per_hour),
            limit_text(limits.rate.per_day)
        ),
        format!("expires:    {}", time_text(key.expires_at, "never")),
        format!("created:    {}", key.created_at),
        format!("last used:  {}", time_text(key.last_used_at, "never")),
        format!("rotated:    {}", time_text(key.rotated_at, "never")),
    ];
    if let Some(revoked_at) = key.revoked_at {
        lines.push(format!("revoked:    {revoked_at}"));
    }
    lines.join("\n")
}

fn key_table(keys: &[ApiKey], now: Millis) -> String {
    if keys.is_empty() {
        return "no API keys\n".to_string();
    }
    let header = ["ID", "KIND", "STATUS", "PREFIX", "LAST USED", "NAME"].map(String::from);
    let rows: Vec<[String; 6]> = keys
        .iter()
        .map(|key| {
            [
                key.id.to_string(),
                key.kind.to_string(),
                key.status(now).to_string(),
                key.display_prefix.clone(),
                time_text(key.last_used_at, "never"),
                key.name.clone(),
            ]
        })
        .collect();
    let mut widths = header.clone().map(|cell| cell.chars().count());
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut table = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(widths).map(|(cell, width)| format!("{cell:<width$}")).collect();
        table.push_str(cells.join("  ").trim_end());
        table.push('\n');
    }
    table
}

fn counts_json(counts: &WindowCounts) -> Value {
    json!({"minute": counts.minute, "hour": counts.hour, "day": counts.day})
}

fn usage_json(key: &ApiKey, usage: &Usage) -> Value {
    json!({
        "key_id": key.id.to_string(),
        "generate_requests": counts_json(&usage.generate),
        "read_requests": counts_json(&usage.read),
        "patients": counts_json(&usage.patients),
        "total_requests": usage.total_requests,
        "total_patients": usage.total_patients,
    })
}

fn usage_text(key: &ApiKey, usage: &Usage) -> String {
    let row = |label: &str, counts: &WindowCounts| format!("{label:<20}{:>10}{:>10}{:>10}\n", counts.minute, counts.hour, counts.day);
    let mut text = format!("usage of API key {} ({})\n", key.id, key.name);
    text.push_str(&format!("{:<20}{:>10}{:>10}{:>10}\n", "", "minute", "hour", "day"));
    text.push_str(&row("generate requests", &usage.generate));
    text.push_str(&row("read requests", &usage.read));
    text.push_str(&row("patients requested", &usage.patients));
    text.push_str(&format!("since creation: {} requests, {} patients\n", usage.total_requests, usage.total_patients));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_limit_accepts_number_or_none() {
        assert_eq!(parse_limit("25").expect("a number").0, NonZeroU32::new(25));
        assert_eq!(parse_limit("none").expect("none").0, None);
        assert_eq!(parse_limit("None").expect("none").0, None);
        for text in ["0", "-1", "ten", "", "4294967296"] {
            let error = parse_limit(text).expect_err("invalid");
            assert!(error.contains(&format!("`{text}`")), "{error}");
        }
    }

    #[test]
    fn apply_replaces_only_given_limits() {
        let current = KeyLimits {
            patients_per_request: NonZeroU32::new(50),
            rate: casualty_store::RateLimits { per_minute: NonZeroU32::new(5), per_hour: None, per_day: NonZeroU32::new(100) },
        };
        let given = LimitArgs { patients_per_request: None, per_minute: Some(Limit(None)), per_hour: Some(Limit(NonZeroU32::new(20))), per_day: None };
        let limits = given.apply(current);
        assert_eq!(limits.patients_per_request, NonZeroU32::new(50));
        assert_eq!(limits.rate.per_minute, None);
        assert_eq!(limits.rate.per_hour, NonZeroU32::new(20));
        assert_eq!(limits.rate.per_day, NonZeroU32::new(100));
    }
}
