//! `casualty serve`: runs the generation service until SIGTERM or SIGINT.

use crate::Failure;

/// Loads the settings, starts logging and runs the service on a multi-threaded runtime.
pub(crate) fn run(args: casualty_server::ServeArgs) -> Result<(), Failure> {
    let config = casualty_server::Config::load(&args).map_err(|error| Failure::Input(error.into()))?;
    init_logging(config.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::Runtime(anyhow::Error::new(error).context("failed to start the async runtime")))?;
    runtime.block_on(casualty_server::run(config)).map_err(Failure::Runtime)
}

/// Logs through `tracing` to standard error: human-readable, or JSON lines. `RUST_LOG` sets the
/// levels (default `info`).
fn init_logging(json: bool) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal());
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}
