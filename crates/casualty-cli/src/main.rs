//! The `casualty` command: generate and validate casualty scenarios, and report on a run.
//!
//! Exit codes: 0 on success, 1 when the run fails (for example a write error), 2 for bad input
//! (an invalid scenario or command line), 130 when interrupted.

mod decrypt;
mod keys;
mod password;
mod progress;
mod report;
mod serve;

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_request, CommandLineOverrides, InputFormat, Request, ScenarioError};
use casualty_core::summary::Summary;
use casualty_output::metadata::Shard;
use casualty_output::encryption::EncryptWriterBuilder;
use casualty_output::{Compression, Encryption, Format, Metadata, OutputError, Packaging, RunOptions};
use clap::{Parser, Subcommand};

/// Generate synthetic military medical casualties for NATO medical exercises.
#[derive(Parser, Debug)]
#[command(name = "casualty", version, about = "Generate synthetic military medical casualties for NATO medical exercises.", long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate casualties from a scenario file.
    Generate(GenerateArgs),
    /// Check a scenario file without generating anything.
    Validate {
        /// Scenario or request body, JSON (or YAML with a .yaml or .yml extension).
        file: PathBuf,
    },
    /// Decrypt an encrypted output file (AES-256-GCM, password-based) into a new file.
    Decrypt(decrypt::DecryptArgs),
    /// Write an HTML report with charts of a generated NDJSON or JSON file.
    Report(report::ReportArgs),
    /// Manage the API keys of the generation service in its data folder.
    Keys(keys::KeysArgs),
    /// Run the generation service (HTTP API) until SIGTERM or SIGINT.
    Serve(casualty_server::ServeArgs),
}

#[derive(clap::Args, Debug)]
struct GenerateArgs {
    /// Scenario or request body, JSON (or YAML with a .yaml or .yml extension).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Number of patients, replacing the scenario's count.
    #[arg(long, value_name = "N")]
    count: Option<u64>,
    /// Seed of every random stream, replacing the scenario's seed.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
    /// Worker threads; the output is the same for any number.
    #[arg(long, value_name = "N", default_value_t = default_threads())]
    threads: usize,
    /// Write only shard K of N (K from 0). The N NDJSON shards concatenated equal one run.
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Read the shard number K from the JOB_COMPLETION_INDEX environment variable, which
    /// Kubernetes sets in each pod of an Indexed Job; needs --shards N. The value must be a whole
    /// number from 0 to N-1.
    #[arg(long, requires = "shards", conflicts_with = "shard")]
    shard_from_env: bool,
    /// Number of shards N, with --shard-from-env.
    #[arg(long, value_name = "N")]
    shards: Option<u64>,
    /// Output formats, separated by commas: json, ndjson, csv, xml, xlsx, fhir, parquet. One
    /// format that writes one file (json, ndjson, xml, xlsx) goes to the file --output. csv,
    /// fhir, parquet or several formats go into the folder --output, which must not exist or be
    /// empty.
    #[arg(long, default_value = "json", value_parser = parse_formats)]
    format: Formats,
    /// Output file or folder, or - for standard output (json, ndjson, xml or xlsx).
    #[arg(long, value_name = "PATH")]
    output: String,
    /// Compress each output file while it is written: gzip. File names in a folder gain `.gz`.
    #[arg(long, value_name = "METHOD", value_parser = parse_compression)]
    compress: Option<Compression>,
    /// Write every output file, and metadata.json, into one ZIP archive at --output (deflate).
    #[arg(long, conflicts_with = "compress")]
    zip: bool,
    /// Encrypt every output file with AES-256-GCM under a password (at least 8 characters) from
    /// --password-file, --password-env or a prompt. File names in a folder gain `.enc`.
    #[arg(long)]
    encrypt: bool,
    #[command(flatten)]
    password: password::PasswordArgs,
    /// Print no progress bar and no summary.
    #[arg(long)]
    quiet: bool,
    /// Print run statistics (patients, seconds, bytes, peak memory) as one JSON line on stderr.
    #[arg(long)]
    stats: bool,
}

fn parse_compression(name: &str) -> Result<Compression, String> {
    match name.trim().to_ascii_lowercase().as_str() {
        "gzip" | "gz" => Ok(Compression::Gzip),
        other => Err(format!("unknown compression `{other}`; accepted: gzip")),
    }
}

/// The formats of `--format`, sorted and without repeats.
#[derive(Debug, Clone)]
struct Formats(Vec<Format>);

fn parse_formats(list: &str) -> Result<Formats, String> {
    Format::parse_list(list).map(Formats)
}

fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Failures sorted by exit code.
enum Failure {
    Input(anyhow::Error),
    Runtime(anyhow::Error),
    Interrupted(anyhow::Error),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate(args) => generate(args),
        Command::Validate { file } => validate(&file),
        Command::Decrypt(args) => decrypt::run(args),
        Command::Report(args) => report::run(args),
        Command::Keys(args) => keys::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            let (error, code) = match failure {
                Failure::Input(e) => (e, 2),
                Failure::Runtime(e) => (e, 1),
                Failure::Interrupted(e) => (e, 130),
            };
            let mut stderr = std::io::stderr().lock();
            let _ = write!(stderr, "casualty: error: {error}");
            for cause in error.chain().skip(1) {
                let _ = write!(stderr, "\n  caused by: {cause}");
            }
            let _ = writeln!(stderr);
            ExitCode::from(code)
        }
    }
}

fn read_request(path: &Path, overrides: CommandLineOverrides) -> Result<Request, Failure> {
    let text = std::fs::read_to_string(path).with_context(|| format!("failed to read scenario file {}", path.display())).map_err(Failure::Input)?;
    parse_request(&text, InputFormat::from_path(path), overrides)
        .map_err(|e: ScenarioError| Failure::Input(anyhow::Error::new(e).context(format!("scenario file {} is invalid", path.display()))))
}

fn validate(path: &Path) -> Result<(), Failure> {
    let request = read_request(path, CommandLineOverrides::default())?;
    let scenario = &request.scenario;
    println!(
        "{}: valid scenario \"{}\": {} patients, seed {}, {} days, {} front{}, sha256 {}",
        path.display(),
        scenario.name,
        scenario.count,
        scenario.seed,
        scenario.days_of_fighting,
        scenario.fronts.len(),
        if scenario.fronts.len() == 1 { "" } else { "s" },
        scenario.sha256()
    );
    warn_service_keys(&request);
    Ok(())
}

fn warn_service_keys(request: &Request) {
    if !request.options.service_keys.is_empty() {
        let keys = &request.options.service_keys;
        let verb = if keys.len() == 1 { "applies" } else { "apply" };
        eprintln!("casualty: warning: {} {verb} only to the generation service and is not used by this command", keys.join(", "));
    }
}

/// Parses `K/N` with 0 <= K < N.
fn parse_shard(text: &str, source: &str) -> Result<(u64, u64), Failure> {
    let parsed = text.split_once('/').and_then(|(k, n)| Some((k.trim().parse::<u64>().ok()?, n.trim().parse::<u64>().ok()?)));
    match parsed {
        Some((k, n)) if n >= 1 && k < n => Ok((k, n)),
        _ => Err(Failure::Input(anyhow::anyhow!("{source}: invalid shard `{text}`: expected K/N with whole numbers 0 <= K < N, such as 0/4"))),
    }
}

/// The environment variable that contains the shard number K of `--shard-from-env`.
const SHARD_INDEX_VARIABLE: &str = "JOB_COMPLETION_INDEX";

/// Parses the shard number K of `--shard-from-env --shards N` from the environment variable's
/// value.
fn shard_from_env(index: &str, shards: u64) -> Result<(u64, u64), Failure> {
    if shards == 0 {
        return Err(Failure::Input(anyhow::anyhow!("--shards: invalid value 0: expected a whole number of shards, at least 1")));
    }
    match index.trim().parse::<u64>() {
        Ok(k) if k < shards => Ok((k, shards)),
        _ => Err(Failure::Input(anyhow::anyhow!(
            "--shard-from-env: invalid value `{index}` of the environment variable {SHARD_INDEX_VARIABLE}: expected a whole number from 0 to {} (--shards {shards})",
            shards - 1
        ))),
    }
}

fn generate(args: GenerateArgs) -> Result<(), Failure> {
    let request = read_request(&args.config, CommandLineOverrides { count: args.count, seed: args.seed })?;
    warn_service_keys(&request);
    let scenario = &request.scenario;
    if args.threads == 0 || args.threads > 1024 {
        return Err(Failure::Input(anyhow::anyhow!("--threads: invalid value {}: expected a whole number from 1 to 1024", args.threads)));
    }

    let shard = match (&args.shard, args.shard_from_env, args.shards) {
        (Some(text), _, _) => Some(parse_shard(text, "--shard")?),
        (None, true, Some(n)) => {
            let index = std::env::var(SHARD_INDEX_VARIABLE).map_err(|_| {
                Failure::Input(anyhow::anyhow!("--shard-from-env: the environment variable {SHARD_INDEX_VARIABLE} is missing or not valid Unicode; set it or use --shard K/N"))
            })?;
            Some(shard_from_env(&index, n)?)
        }
        (None, false, Some(_)) => {
            return Err(Failure::Input(anyhow::anyhow!("--shards is used only with --shard-from-env; add --shard-from-env, or use --shard K/N")));
        }
        _ => None,
    };
    let range = match shard {
        Some((k, n)) => {
            let count = u128::from(scenario.count);
            let start = (count * u128::from(k) / u128::from(n)) as u64;
            let end = (count * u128::from(k + 1) / u128::from(n)) as u64;
            start..end
        }
        None => 0..scenario.count,
    };
    let formats = args.format.0.clone();
    let shard_info = shard.map(|(index, total)| Shard { index, total });
    let metadata_of = |format: Format| Metadata::new(scenario, format, range.clone(), shard_info);
    let single_file = formats.len() == 1 && formats[0].file_names().len() == 1 && !args.zip;
    if args.zip && args.output == "-" {
        return Err(Failure::Input(anyhow::anyhow!("--output: invalid value -: --zip writes an archive file, so --output must be a file path")));
    }
    if !single_file && !args.zip && args.output == "-" {
        let names: Vec<&str> = formats.iter().map(|f| f.as_str()).collect();
        return Err(Failure::Input(anyhow::anyhow!(
            "--output: invalid value -: the formats {} write several files, so --output must be a folder",
            names.join(",")
        )));
    }
    let generator = Generator::new(scenario);
    let options = RunOptions::new(args.threads, range.clone());

    let cancel = Arc::new(AtomicBool::new(false));
    {
        let cancel = Arc::clone(&cancel);
        // Every Ctrl-C only sets the flag: the run stops at the next batch, within a fraction of
        // a second, and removes its temporary file on the way out.
        if let Err(error) = ctrlc::set_handler(move || cancel.store(true, Ordering::SeqCst)) {
            eprintln!("casualty: warning: failed to install the Ctrl-C handler ({error}); an interrupted run may leave a .partial file");
        }
    }

    let password_given = args.password.password_file.is_some() || args.password.password_env.is_some();
    if password_given && !args.encrypt {
        return Err(Failure::Input(anyhow::anyhow!("--password-file and --password-env are used only with --encrypt; add --encrypt or remove them")));
    }
    let encryption = if args.encrypt {
        let password = password::read_password(&args.password, password::Purpose::Encrypt).map_err(Failure::Input)?;
        Some(Encryption { builder: EncryptWriterBuilder::new(), password: zeroize::Zeroizing::new(password.as_bytes().to_vec()) })
    } else {
        None
    };
    let packaging = Packaging { compression: args.compress, encryption };
    let stdout_bytes = Arc::new(AtomicU64::new(0));

    // Timing starts after the password prompt, so typing is not counted as generation.
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let bar = progress::Bar::new(range.end - range.start, show_progress);
    let started = Instant::now();
    let result = if args.zip {
        casualty_output::write_zip_file(&generator, &formats, &metadata_of, Path::new(&args.output), &options, &packaging, &mut |n| bar.set(n), &cancel)
    } else if !single_file {
        casualty_output::write_folder(&generator, &formats, &metadata_of, Path::new(&args.output), &options, &packaging, &mut |n| bar.set(n), &cancel)
    } else if args.output == "-" {
        if formats[0] == Format::Ndjson {
            eprintln!("casualty: note: NDJSON to standard output has no metadata sidecar; use --output PATH to get one");
        }
        let stdout = std::io::stdout();
        let out = CountingWriter { inner: std::io::BufWriter::with_capacity(1 << 20, stdout), bytes: Arc::clone(&stdout_bytes) };
        match packaging.wrap(Box::new(out)) {
            Ok(out) => casualty_output::write_patients(&generator, formats[0], &metadata_of(formats[0]), out, "standard output", &options, &mut |n| bar.set(n), &cancel)
                .map(|(summary, _)| (summary, stdout_bytes.load(Ordering::Relaxed))),
            Err(source) => Err(OutputError::Io { path: "standard output".into(), source }),
        }
    } else {
        casualty_output::write_file(&generator, formats[0], &metadata_of(formats[0]), Path::new(&args.output), &options, &packaging, &mut |n| bar.set(n), &cancel)
    };
    bar.finish();
    let (summary, bytes) = match result {
        Ok(done) => done,
        Err(error @ OutputError::Interrupted { .. }) => return Err(Failure::Interrupted(error.into())),
        Err(OutputError::Io { source, .. }) if source.kind() == std::io::ErrorKind::BrokenPipe => return Ok(()),
        Err(error @ (OutputError::FolderNotEmpty { .. } | OutputError::NotRegularFile { .. } | OutputError::NotAFolder { .. })) => return Err(Failure::Input(error.into())),
        Err(error) => return Err(Failure::Runtime(anyhow::Error::new(error).context("generation failed"))),
    };
    let seconds = started.elapsed().as_secs_f64();

    if !args.quiet {
        print_summary(&summary, seconds, &args.output);
    }
    if args.stats {
        let line = serde_json::json!({
            "patients": summary.total,
            "threads": args.threads,
            "seconds": seconds,
            "patients_per_second": summary.total as f64 / seconds.max(1e-9),
            "bytes": bytes,
            "bytes_per_patient": bytes as f64 / summary.total.max(1) as f64,
            "peak_rss_bytes": peak_rss_bytes(),
        });
        eprintln!("{line}");
    }
    Ok(())
}

fn print_summary(summary: &Summary, seconds: f64, output: &str) {
    let report = summary.report();
    let join = |pairs: &[(&str, u64)]| pairs.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ");
    eprintln!(
        "casualty: wrote {} patients to {} in {:.2} s ({:.0} patients/s)",
        summary.total,
        if output == "-" { "standard output" } else { output },
        seconds,
        summary.total as f64 / seconds.max(1e-9)
    );
    eprintln!("  category: {}", join(&report.by_category.0));
    eprintln!("  triage:   {}", join(&report.by_triage.0));
    eprintln!("  outcome:  {}", join(&report.by_final_status.0));
}

/// Counts the bytes that reach standard output, after compression and encryption, for --stats.
struct CountingWriter<W> {
    inner: W,
    bytes: Arc<AtomicU64>,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.bytes.fetch_add(written as u64, Ordering::Relaxed);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write + Send> casualty_output::Sink for CountingWriter<W> {
    fn finish(mut self: Box<Self>) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Peak resident set size (VmHWM) from /proc, on Linux; `None` elsewhere.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
