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
    /// TOML file with any of the settings; flags and environment variables override it.
    #[arg(long = "config-file", env = "CASUALTY_CONFIG_FILE", value_name = "FILE")]
    pub config_file: Option<PathBuf>,
    /// Jobs that run at once [default: 1].
    #[arg(long, env = "CASUALTY_WORKERS")]
    pub workers: Option<usize>,
    /// Generation threads of each job [default: the number of CPUs].
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
}

/// Limits of the built-in demo key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
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
/// from the generation limits, so polling never uses up a key's generation budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Folder of the database (`casualty.db`) and the job outputs (`jobs/`).
    pub data_dir: PathBuf,
    /// Jobs that run at once.
    pub workers: usize,
    /// Generation threads of each job.
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
}

impl Default for Config {
    fn default() -> Config {
        Config {
            host: IpAddr::from([127, 0, 0, 1]),
            port: 8000,
            data_dir: PathBuf::from("casualty-data"),
            workers: 1,
            job_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_body_bytes: 1 << 20,
            cors_origins: Vec::new(),
            retention_hours: 168,
            demo_key: true,
            demo_limits: DemoLimits::default(),
            read_limits: ReadLimits::default(),
            log_json: false,
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
        /// The TOML parser's message.
        message: String,
    },
    /// A setting is out of range.
    #[error("invalid setting {name} = {value}: expected {accepted}")]
    Invalid {
        /// The setting.
        name: &'static str,
        /// Its value.
        value: String,
        /// Description of the accepted values.
        accepted: &'static str,
    },
}

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
            workers: args.workers.or(file.workers).unwrap_or(defaults.workers),
            job_threads: args.job_threads.or(file.job_threads).unwrap_or(defaults.job_threads),
            max_body_bytes: args.max_body_bytes.or(file.max_body_bytes).unwrap_or(defaults.max_body_bytes),
            cors_origins: args.cors_origins.clone().or(file.cors_origins).unwrap_or_default(),
            retention_hours: args.retention_hours.or(file.retention_hours).unwrap_or(defaults.retention_hours),
            demo_key: !args.no_demo_key && file.demo_key.unwrap_or(true),
            demo_limits: file.demo_limits.unwrap_or_default(),
            read_limits: file.read_limits.unwrap_or_default(),
            log_json: args.log_json || file.log_json.unwrap_or(false),
        };
        config.validate()?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        if !(1..=64).contains(&self.workers) {
            return Err(ConfigError::Invalid { name: "workers", value: self.workers.to_string(), accepted: "a whole number from 1 to 64" });
        }
        if !(1..=1024).contains(&self.job_threads) {
            return Err(ConfigError::Invalid { name: "job_threads", value: self.job_threads.to_string(), accepted: "a whole number from 1 to 1024" });
        }
        if !(1024..=(1 << 30)).contains(&self.max_body_bytes) {
            return Err(ConfigError::Invalid { name: "max_body_bytes", value: self.max_body_bytes.to_string(), accepted: "1024 to 1073741824 bytes" });
        }
        if self.retention_hours == 0 {
            return Err(ConfigError::Invalid { name: "retention_hours", value: "0".into(), accepted: "at least 1 hour" });
        }
        Ok(())
    }
}

fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    toml::from_str(&text).map_err(|error| ConfigError::Parse { path: path.to_path_buf(), message: error.to_string() })
}
