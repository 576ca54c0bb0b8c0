//! The `report` command: reads a generated NDJSON or JSON file and writes one self-contained HTML
//! page with charts of the run (casualty-report does the work).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use casualty_report::{InputFormat, ReadOptions};

use crate::Failure;

/// Arguments of `casualty report`.
#[derive(clap::Args, Debug)]
pub(crate) struct ReportArgs {
    /// Records to read: an NDJSON or JSON file written by `casualty generate`, plain or gzip, or
    /// an output folder that contains patients.ndjson or patients.json.
    input: PathBuf,
    /// HTML file to write (replaced when complete), or - for standard output.
    #[arg(long, value_name = "FILE")]
    output: PathBuf,
    /// Run metadata to show beside the records, instead of the metadata found in or beside the
    /// input (the JSON file's metadata, <input>.meta.json, or metadata.json in its folder).
    #[arg(long, value_name = "FILE")]
    metadata: Option<PathBuf>,
    /// Record format: ndjson or json. Default: from the file name, else from the first bytes.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    format: Option<InputFormat>,
}

fn parse_format(name: &str) -> Result<InputFormat, String> {
    match name.trim().to_ascii_lowercase().as_str() {
        "ndjson" | "jsonl" => Ok(InputFormat::Ndjson),
        "json" => Ok(InputFormat::Json),
        other => Err(format!("unknown format `{other}`; accepted: ndjson, json")),
    }
}

/// Reads the run and writes the report; prints one line on standard error.
pub(crate) fn run(args: ReportArgs) -> Result<(), Failure> {
    let options = ReadOptions { format: args.format, metadata: args.metadata };
    let run = casualty_report::read_run(&args.input, &options).map_err(|error| Failure::Input(anyhow::Error::new(error).context("failed to read the run")))?;
    let html = casualty_report::render_html(&run);

    if args.output.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        return match stdout.write_all(html.as_bytes()).and_then(|()| stdout.flush()) {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            result => result.context("failed to write the report to standard output").map_err(Failure::Runtime),
        };
    }
    write_atomically(&args.output, html.as_bytes())?;
    eprintln!("casualty: wrote the report of {} casualties to {}", run.statistics.total(), args.output.display());
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path` and renames it over `path`, so a failed write
/// leaves any earlier report in place. The file is made readable by others, as generated output
/// is, because temporary files are created readable by their owner only.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    if std::fs::symlink_metadata(path).is_ok_and(|meta| !meta.file_type().is_file()) {
        return Err(Failure::Input(anyhow::anyhow!("--output: {} exists and is not a regular file; choose a file path", path.display())));
    }
    let folder = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let write = || -> anyhow::Result<()> {
        let mut file = tempfile::Builder::new().prefix(".report.").suffix(".partial").tempfile_in(folder).with_context(|| format!("failed to create a temporary file in {}", folder.display()))?;
        file.write_all(bytes).and_then(|()| file.as_file().sync_all()).with_context(|| format!("failed to write {}", file.path().display()))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            file.as_file().set_permissions(std::fs::Permissions::from_mode(0o644)).with_context(|| format!("failed to set the permissions of {}", file.path().display()))?;
        }
        file.persist(path).map_err(|error| error.error).with_context(|| format!("failed to rename the temporary file to {}", path.display()))?;
        Ok(())
    };
    write().map_err(Failure::Runtime)
}
