//! The service's settings: one typed [`Config`], from command-line flags, environment variables
//! and a TOML file, validated once at start-up.
//!
//! A flag wins over its environment variable, which wins over the file, which wins over the
//! default. Every setting is listed with its variable and default in `docs/service.md`.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Flags of `casualty serve`. Each also reads an environment variable.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1].
    #[arg(long, env = "CASUALTY_HOST")]
    pub host: Option<IpAddr>,
    /// Port to listen on; 0 picks a free port [default: 8000].
    #[arg(long, env = "CASUALTY_PORT")]
    pub port: Option<u16>,
    /// Folder of the database and the job outputs, created if missing [default: ./casualty-data].
    #[arg(long, env = "CASUALTY_DATA_DIR", value_name = "PATH")]
    pub data_dir: Option<PathBuf>,
    /// PostgreSQL database shared by several instances, as postgres://user:password@host:port/database, instead of the SQLite file in the data folder [default: none].
    #[arg(long, env = "CASUALTY_DATABASE_URL", value_name = "URL", hide_env_values = true)]
    pub database_url: Option<DatabaseUrl>,
    /// Milliseconds that a claimed job stays with this instance without renewal; after that another instance may run it [default: 30000].
    #[arg(long, env = "CASUALTY_JOB_LEASE_MS", value_name = "MILLISECONDS")]
    pub job_lease_ms: Option<u64>,
    /// Milliseconds between renewals of a running job's lease, which also report its progress and receive cancellations [default: 1000].
    #[arg(long, env = "CASUALTY_JOB_LEASE_RENEW_MS", value_name = "MILLISECONDS")]
    pub job_lease_renew_ms: Option<u64>,
    /// Claims of one job before a lease that runs out fails it instead of queueing it again [default: 3].
    #[arg(long, env = "CASUALTY_JOB_MAX_ATTEMPTS")]
    pub job_max_attempts: Option<u32>,
    /// TOML file with any of the settings; flags and environment variables override it.
    #[arg(long = "config-file", env = "CASUALTY_CONFIG_FILE", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Jobs that run at once [default: 1].
    #[arg(long, env = "CASUALTY_WORKERS")]
    pub workers: Option<usize>,
    /// Generation threads of each job, and threads shared by all streams [default: the number of CPUs].
    #[arg(long, env = "CASUALTY_JOB_THREADS")]
    pub job_threads: Option<usize>,
    /// Largest accepted request body in bytes [default: 1048576].
    #[arg(long, env = "CASUALTY_MAX_BODY_BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Origins allowed by CORS, separated by commas; CORS is off when empty [default: none].
    #[arg(long, env = "CASUALTY_CORS_ORIGINS", value_delimiter = ',')]
    pub cors_origins: Option<Vec<String>>,
    /// Hours after which finished jobs and their outputs are deleted [default: 168].
    #[arg(long, env = "CASUALTY_RETENTION_HOURS")]
    pub retention_hours: Option<u64>,
    /// Disable the built-in demo key.
    #[arg(long, env = "CASUALTY_NO_DEMO_KEY")]
    pub no_demo_key: bool,
    /// Write logs as JSON lines instead of text.
    #[arg(long, env = "CASUALTY_LOG_JSON")]
    pub log_json: bool,
    /// Host memory in use, in percent, at which the full health check reports `warning` [default: 90].
    #[arg(long, env = "CASUALTY_HEALTH_MEMORY_WARNING_PERCENT", value_name = "PERCENT")]
    pub health_memory_warning_percent: Option<u8>,
    /// Disk space of the data folder in use, in percent, at which the full health check reports `warning` [default: 90].
    #[arg(long, env = "CASUALTY_HEALTH_DISK_WARNING_PERCENT", value_name = "PERCENT")]
    pub health_disk_warning_percent: Option<u8>,
}

/// Settings that a TOML file may contain, all optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// See [`Config::host`].
    pub host: Option<IpAddr>,
    /// See [`Config::port`].
    pub port: Option<u16>,
    /// See [`Config::data_dir`].
    pub data_dir: Option<PathBuf>,
    /// See [`Config::database_url`].
    pub database_url: Option<DatabaseUrl>,
    /// See [`Config::job_lease_ms`].
    pub job_lease_ms: Option<u64>,
    /// See [`Config::job_lease_renew_ms`].
    pub job_lease_renew_ms: Option<u64>,
    /// See [`Config::job_max_attempts`].
    pub job_max_attempts: Option<u32>,
    /// See [`Config::workers`].
    pub workers: Option<usize>,
    /// See [`Config::job_threads`].
    pub job_threads: Option<usize>,
    /// See [`Config::max_body_bytes`].
    pub max_body_bytes: Option<usize>,
    /// See [`Config::cors_origins`].
    pub cors_origins: Option<Vec<String>>,
    /// See [`Config::retention_hours`].
    pub retention_hours: Option<u64>,
    /// See [`Config::demo_key`].
    pub demo_key: Option<bool>,
    /// See [`Config::demo_limits`].
    pub demo_limits: Option<DemoLimits>,
    /// See [`Config::read_limits`].
    pub read_limits: Option<ReadLimits>,
    /// See [`Config::log_json`].
    pub log_json: Option<bool>,
    /// See [`Config::health_memory_warning_percent`].
    pub health_memory_warning_percent: Option<u8>,
    /// See [`Config::health_disk_warning_percent`].
    pub health_disk_warning_percent: Option<u8>,
}

/// A database URL. Its `Debug` and `Display` output hide the password, so that a logged
/// `Config` never shows it.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl DatabaseUrl {
    /// Returns the URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for DatabaseUrl {
    type Err = std::convert::Infallible;

    fn from_str(text: &str) -> Result<DatabaseUrl, Self::Err> {
        Ok(DatabaseUrl(text.to_string()))
    }
}

impl std::fmt::Display for DatabaseUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&casualty_store::redact_database_url(&self.0))
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "DatabaseUrl({self})")
    }
}

/// Limits of the built-in demo key. A limit missing from the file keeps its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DemoLimits {
    /// Patients per request.
    pub patients_per_request: NonZeroU32,
    /// Generating requests per minute.
    pub per_minute: NonZeroU32,
    /// Generating requests per hour.
    pub per_hour: NonZeroU32,
    /// Generating requests per day.
    pub per_day: NonZeroU32,
}

impl Default for DemoLimits {
    fn default() -> DemoLimits {
        let n = |value| NonZeroU32::new(value).expect("a positive default");
        DemoLimits { patients_per_request: n(50), per_minute: n(10), per_hour: n(50), per_day: n(100) }
    }
}

/// Limits on reads (polling jobs, pages of results, downloads) of every key. They are separate
/// from the generation limits, so polling never uses up a key's generation budget. A limit
/// missing from the file keeps its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReadLimits {
    /// Reads per minute.
    pub per_minute: NonZeroU32,
    /// Reads per hour.
    pub per_hour: NonZeroU32,
    /// Reads per day.
    pub per_day: NonZeroU32,
}

impl Default for ReadLimits {
    fn default() -> ReadLimits {
        let n = |value| NonZeroU32::new(value).expect("a positive default");
        ReadLimits { per_minute: n(600), per_hour: n(20_000), per_day: n(200_000) }
    }
}

/// The validated settings of a running service.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on.
    pub host: IpAddr,
    /// Port to listen on; 0 picks a free port.
    pub port: u16,
    /// Folder of the database (`casualty.db`) and the job outputs (`jobs/`). Instances that
    /// share a PostgreSQL database must share this folder too (on shared storage), because any
    /// of them may run a job and any may serve its files.
    pub data_dir: PathBuf,
    /// The PostgreSQL database to use instead of `casualty.db`; `None` for SQLite.
    pub database_url: Option<DatabaseUrl>,
    /// How long a claimed job stays with this instance without renewal, in milliseconds.
    pub job_lease_ms: u64,
    /// Time between renewals of a running job's lease, in milliseconds; at most half the lease.
    /// Each renewal also records progress and reads cancellations, and each instance looks for
    /// expired leases at this interval.
    pub job_lease_renew_ms: u64,
    /// Claims of one job before an expired lease fails it instead of queueing it again.
    pub job_max_attempts: u32,
    /// Jobs that run at once.
    pub workers: usize,
    /// Generation threads of each job, and threads shared by all streaming requests.
    pub job_threads: usize,
    /// Largest accepted request body in bytes; larger bodies get 413.
    pub max_body_bytes: usize,
    /// Origins allowed by CORS; empty turns CORS off.
    pub cors_origins: Vec<String>,
    /// Hours after which finished jobs and their outputs are deleted.
    pub retention_hours: u64,
    /// Whether the built-in demo key `DEMO_MILMED_2025_50_PATIENTS` works.
    pub demo_key: bool,
    /// Limits of the demo key.
    pub demo_limits: DemoLimits,
    /// Read limits of every key.
    pub read_limits: ReadLimits,
    /// Logs as JSON lines.
    pub log_json: bool,
    /// Host memory in use, in percent, at or above which `GET /api/v1/health` reports `warning`.
    pub health_memory_warning_percent: u8,
    /// Space in use on the data folder's file system, in percent, at or above which
    /// `GET /api/v1/health` reports `warning`.
    pub health_disk_warning_percent: u8,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            data_dir: PathBuf::from("casualty-data"),
            database_url: None,
            job_lease_ms: 30_000,
            job_lease_renew_ms: 1_000,
            job_max_attempts: 3,
            workers: 1,
            job_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_body_bytes: 1 << 20,
            cors_origins: Vec::new(),
            retention_hours: 168,
            demo_key: true,
            demo_limits: DemoLimits::default(),
            read_limits: ReadLimits::default(),
            log_json: false,
            health_memory_warning_percent: 90,
            health_disk_warning_percent: 90,
        }
    }
}

/// An invalid setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The configuration file cannot be read.
    #[error("failed to read the configuration file {path}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The configuration file is not valid TOML for these settings.
    #[error("configuration file {path} is invalid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Description of the problem: the setting at fault, its line and its accepted values, or
        /// the TOML parser's message for a syntax error.
        message: String,
    },
    /// A setting is out of range.
    #[error("invalid setting {name} = {value} {origin}: expected {accepted}")]
    Invalid {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
        /// Description of the accepted values.
        accepted: &'static str,
        /// Source of the value: "in configuration file PATH" or "from --flag or VARIABLE".
        origin: String,
    },
}

// Accepted values of settings, for error messages.
const WORKERS_ACCEPTED: &str = "a whole number from 1 to 64";
const JOB_THREADS_ACCEPTED: &str = "a whole number from 1 to 1024";
const MAX_BODY_BYTES_ACCEPTED: &str = "1024 to 1073741824 bytes";
const RETENTION_HOURS_ACCEPTED: &str = "a whole number of hours, at least 1";
const CORS_ORIGINS_ACCEPTED: &str = "origins such as https://exercise.example.org: a scheme, a host and an optional port, with no path and no wildcard";
const LIMIT_ACCEPTED: &str = "a whole number from 1 to 4294967295";
const PERCENT_ACCEPTED: &str = "a whole number of percent from 1 to 100";
const DATABASE_URL_ACCEPTED: &str = "a PostgreSQL URL such as postgres://user:password@localhost:5432/casualty";
const JOB_LEASE_MS_ACCEPTED: &str = "a whole number of milliseconds from 1000 to 3600000";
const JOB_LEASE_RENEW_MS_ACCEPTED: &str = "a whole number of milliseconds from 50 to half of job_lease_ms";
const JOB_MAX_ATTEMPTS_ACCEPTED: &str = "a whole number from 1 to 100";

/// The keys of a configuration file and their accepted values, for error messages.
const FILE_SETTINGS: [(&str, &str); 18] = [
    ("host", "an IPv4 or IPv6 address such as \"127.0.0.1\""),
    ("port", "a whole number from 0 to 65535"),
    ("data_dir", "a folder path"),
    ("database_url", DATABASE_URL_ACCEPTED),
    ("job_lease_ms", JOB_LEASE_MS_ACCEPTED),
    ("job_lease_renew_ms", JOB_LEASE_RENEW_MS_ACCEPTED),
    ("job_max_attempts", JOB_MAX_ATTEMPTS_ACCEPTED),
    ("workers", WORKERS_ACCEPTED),
    ("job_threads", JOB_THREADS_ACCEPTED),
    ("max_body_bytes", MAX_BODY_BYTES_ACCEPTED),
    ("cors_origins", "a list of origins such as [\"https://exercise.example.org\"]"),
    ("retention_hours", RETENTION_HOURS_ACCEPTED),
    ("demo_key", "true or false"),
    ("demo_limits", "a table with any of patients_per_request, per_minute, per_hour and per_day"),
    ("read_limits", "a table with any of per_minute, per_hour and per_day"),
    ("log_json", "true or false"),
    ("health_memory_warning_percent", PERCENT_ACCEPTED),
    ("health_disk_warning_percent", PERCENT_ACCEPTED),
];

impl Config {
    /// Resolves the settings from flags and environment (`args`), the file they name, and the
    /// defaults, and validates them.
    ///
    /// # Errors
    /// An unreadable or invalid file, or a value out of range.
    pub fn load(args: &ServeArgs) -> Result<Config, ConfigError> {
        let file = match &args.config_file {
            Some(path) => read_file(path)?,
            None => ConfigFile::default(),
        };
        let defaults = Config::default();
        let config = Config {
            host: args.host.or(file.host).unwrap_or(defaults.host),
            port: args.port.or(file.port).unwrap_or(defaults.port),
            data_dir: args.data_dir.clone().or(file.data_dir).unwrap_or(defaults.data_dir),
            database_url: args.database_url.clone().or(file.database_url).filter(|url| !url.expose().trim().is_empty()),
            job_lease_ms: args.job_lease_ms.or(file.job_lease_ms).unwrap_or(defaults.job_lease_ms),
            job_lease_renew_ms: args.job_lease_renew_ms.or(file.job_lease_renew_ms).unwrap_or(defaults.job_lease_renew_ms),
            job_max_attempts: args.job_max_attempts.or(file.job_max_attempts).unwrap_or(defaults.job_max_attempts),
            workers: args.workers.or(file.workers).unwrap_or(defaults.workers),
            job_threads: args.job_threads.or(file.job_threads).unwrap_or(defaults.job_threads),
            max_body_bytes: args.max_body_bytes.or(file.max_body_bytes).unwrap_or(defaults.max_body_bytes),
            // Blank entries are dropped, so an empty list in a flag or variable turns CORS off.
            cors_origins: args.cors_origins.clone().or(file.cors_origins).unwrap_or_default().iter().map(|origin| origin.trim().to_string()).filter(|origin| !origin.is_empty()).collect(),
            retention_hours: args.retention_hours.or(file.retention_hours).unwrap_or(defaults.retention_hours),
            demo_key: !args.no_demo_key && file.demo_key.unwrap_or(true),
            demo_limits: file.demo_limits.unwrap_or_default(),
            read_limits: file.read_limits.unwrap_or_default(),
            log_json: args.log_json || file.log_json.unwrap_or(false),
            health_memory_warning_percent: args.health_memory_warning_percent.or(file.health_memory_warning_percent).unwrap_or(defaults.health_memory_warning_percent),
            health_disk_warning_percent: args.health_disk_warning_percent.or(file.health_disk_warning_percent).unwrap_or(defaults.health_disk_warning_percent),
        };
        if let Err((name, value, accepted)) = config.validate() {
            let from_args = match name {
                "workers" => args.workers.is_some(),
                "database_url" => args.database_url.is_some(),
                "job_lease_ms" => args.job_lease_ms.is_some(),
                "job_lease_renew_ms" => args.job_lease_renew_ms.is_some(),
                "job_max_attempts" => args.job_max_attempts.is_some(),
                "job_threads" => args.job_threads.is_some(),
                "max_body_bytes" => args.max_body_bytes.is_some(),
                "cors_origins" => args.cors_origins.is_some(),
                "retention_hours" => args.retention_hours.is_some(),
                "health_memory_warning_percent" => args.health_memory_warning_percent.is_some(),
                "health_disk_warning_percent" => args.health_disk_warning_percent.is_some(),
                _ => false,
            };
            // Defaults are valid, so a value that did not come from the arguments came from the file.
            let origin = match &args.config_file {
                Some(path) if !from_args => format!("in configuration file {}", path.display()),
                _ => format!("from --{} or CASUALTY_{}", name.replace('_', "-"), name.to_ascii_uppercase()),
            };
            return Err(ConfigError::Invalid { name, value, accepted, origin });
        }
        Ok(config)
    }

    /// Checks the ranges that the types cannot express. Returns the invalid setting, its value and
    /// its accepted values.
    fn validate(&self) -> Result<(), (&'static str, String, &'static str)> {
        if let Some(url) = &self.database_url {
            let text = url.expose();
            if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
                return Err(("database_url", url.to_string(), DATABASE_URL_ACCEPTED));
            }
        }
        if !(1_000..=3_600_000).contains(&self.job_lease_ms) {
            return Err(("job_lease_ms", self.job_lease_ms.to_string(), JOB_LEASE_MS_ACCEPTED));
        }
        if !(50..=self.job_lease_ms / 2).contains(&self.job_lease_renew_ms) {
            return Err(("job_lease_renew_ms", self.job_lease_renew_ms.to_string(), JOB_LEASE_RENEW_MS_ACCEPTED));
        }
        if !(1..=100).contains(&self.job_max_attempts) {
            return Err(("job_max_attempts", self.job_max_attempts.to_string(), JOB_MAX_ATTEMPTS_ACCEPTED));
        }
        if !(1..=64).contains(&self.workers) {
            return Err(("workers", self.workers.to_string(), WORKERS_ACCEPTED));
        }
        if !(1..=1024).contains(&self.job_threads) {
            return Err(("job_threads", self.job_threads.to_string(), JOB_THREADS_ACCEPTED));
        }
        if !(1024..=(1 << 30)).contains(&self.max_body_bytes) {
            return Err(("max_body_bytes", self.max_body_bytes.to_string(), MAX_BODY_BYTES_ACCEPTED));
        }
        if self.retention_hours == 0 {
            return Err(("retention_hours", "0".into(), RETENTION_HOURS_ACCEPTED));
        }
        if !(1..=100).contains(&self.health_memory_warning_percent) {
            return Err(("health_memory_warning_percent", self.health_memory_warning_percent.to_string(), PERCENT_ACCEPTED));
        }
        if !(1..=100).contains(&self.health_disk_warning_percent) {
            return Err(("health_disk_warning_percent", self.health_disk_warning_percent.to_string(), PERCENT_ACCEPTED));
        }
        if let Some(origin) = self.cors_origins.iter().find(|origin| !is_origin(origin)) {
            return Err(("cors_origins", format!("{origin:?}"), CORS_ORIGINS_ACCEPTED));
        }
        Ok(())
    }
}

/// Checks whether `text` is an origin as browsers send it: `scheme://host` with an optional port, no
/// path and no wildcard. Any other entry would never match a request, and a `*` entry makes the
/// CORS layer of tower-http 0.6 panic.
fn is_origin(text: &str) -> bool {
    let Some((scheme, authority)) = text.split_once("://") else {
        return false;
    };
    let valid_scheme = scheme.starts_with(|c: char| c.is_ascii_alphabetic()) && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
    let valid_authority = !authority.is_empty() && authority.chars().all(|c| c.is_ascii_graphic() && !"/?#*@\\".contains(c));
    valid_scheme && valid_authority
}

fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    let error = match toml::from_str::<ConfigFile>(&text) {
        Ok(file) => return Ok(file),
        Err(error) => error,
    };
    let Ok(table) = toml::from_str::<toml::Table>(&text) else {
        // A syntax error: TOML's message shows the line and the text at fault.
        return Err(ConfigError::Parse { path: path.to_path_buf(), message: error.to_string() });
    };
    // The file is valid TOML, so each setting is parsed again on its own. That names every
    // setting at fault with its accepted values, where serde's messages name only Rust types.
    let message = match invalid_settings(&table).as_slice() {
        [] => error.to_string(),
        [(key, problem)] => {
            let line = error.span().map(|span| text[..span.start].matches('\n').count() + 1);
            describe_invalid_setting(key, line, problem)
        }
        several => {
            let lines: String = several.iter().map(|(key, problem)| format!("\n  {}", describe_invalid_setting(key, None, problem))).collect();
            format!("{} settings are invalid:{lines}", several.len())
        }
    };
    Err(ConfigError::Parse { path: path.to_path_buf(), message })
}

/// Returns the dotted key and the parser's message of each setting of `table` that does not
/// parse on its own. In `demo_limits` and `read_limits` it names the entry at fault.
fn invalid_settings(table: &toml::Table) -> Vec<(String, String)> {
    let parse_alone = |key: &str, value: &toml::Value| toml::Value::Table(toml::Table::from_iter([(key.to_string(), value.clone())])).try_into::<ConfigFile>().err();
    let mut invalid = Vec::new();
    for (key, value) in table {
        let Some(error) = parse_alone(key, value) else {
            continue;
        };
        let before = invalid.len();
        if let (toml::Value::Table(entries), "demo_limits" | "read_limits") = (value, key.as_str()) {
            for (entry, entry_value) in entries {
                let alone = toml::Value::Table(toml::Table::from_iter([(entry.clone(), entry_value.clone())]));
                if let Some(error) = parse_alone(key, &alone) {
                    invalid.push((format!("{key}.{entry}"), error.message().to_string()));
                }
            }
        }
        if invalid.len() == before {
            invalid.push((key.clone(), error.message().to_string()));
        }
    }
    invalid
}

/// Describes an invalid or unknown setting of a configuration file, with its accepted values.
fn describe_invalid_setting(key: &str, line: Option<usize>, problem: &str) -> String {
    let at = line.map(|line| format!(" (line {line})")).unwrap_or_default();
    let (parent, entry) = key.split_once('.').map_or((None, key), |(parent, entry)| (Some(parent), entry));
    let entries: &[&str] = match parent {
        None => &[],
        Some("demo_limits") => &["patients_per_request", "per_minute", "per_hour", "per_day"],
        Some(_) => &["per_minute", "per_hour", "per_day"],
    };
    match parent {
        None => match FILE_SETTINGS.iter().find(|(name, _)| *name == key) {
            Some((_, accepted)) => format!("setting `{key}`{at} is invalid: {problem} (accepted: {accepted})"),
            None => {
                let names: Vec<&str> = FILE_SETTINGS.iter().map(|(name, _)| *name).collect();
                format!("unknown setting `{key}`{at}; the accepted settings are {}", names.join(", "))
            }
        },
        Some(_) if entries.contains(&entry) => format!("setting `{key}`{at} is invalid: {problem} (accepted: {LIMIT_ACCEPTED})"),
        Some(parent) => format!("unknown setting `{key}`{at}; the accepted settings of [{parent}] are {}", entries.join(", ")),
    }
}
