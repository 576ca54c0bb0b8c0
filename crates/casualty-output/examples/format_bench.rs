//! Measures one output format with the parallel driver, writing to byte-counting sinks.
//!
//! The sinks count bytes and drop them, so the figures show the cost of generating and encoding,
//! without the disk. Run one format per process, so the peak memory belongs to that format:
//!
//! ```sh
//! cargo run --release -p casualty-output --example format_bench -- FORMAT COUNT THREADS [CONFIG]
//! ```
//!
//! It prints one JSON line: format, patients, threads, seconds, patients per second, bytes per
//! patient and the peak resident set size (VmHWM, Linux only).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_request, CommandLineOverrides, InputFormat};
use casualty_output::{write_targets, Format, Metadata, RunOptions, Sink, Target};

/// Counts the bytes written to it into a shared counter and keeps none of them.
struct CountingSink(Arc<AtomicU64>);

impl Write for CountingSink {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.fetch_add(bytes.len() as u64, Ordering::Relaxed);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Sink for CountingSink {
    fn finish(self: Box<Self>) -> io::Result<()> {
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err("usage: format_bench FORMAT COUNT THREADS [CONFIG]".into());
    }
    let format = Format::parse(&args[0])?;
    let count: u64 = args[1].parse().map_err(|_| format!("COUNT: invalid value {}: expected a whole number", args[1]))?;
    let threads: usize = args[2].parse().map_err(|_| format!("THREADS: invalid value {}: expected a whole number", args[2]))?;
    let config = args.get(3).map_or("examples/seed-small.json", String::as_str);

    let text = std::fs::read_to_string(config).map_err(|e| format!("failed to read {config}: {e}"))?;
    let request = parse_request(&text, InputFormat::from_path(std::path::Path::new(config)), CommandLineOverrides { count: Some(count), seed: None })?;
    let scenario = &request.scenario;
    let generator = Generator::new(scenario);
    let metadata = Metadata::new(scenario, format, 0..count, None);
    let counter = Arc::new(AtomicU64::new(0));
    let writers: Vec<Box<dyn Sink>> = format.file_names().iter().map(|_| Box::new(CountingSink(Arc::clone(&counter))) as Box<dyn Sink>).collect();
    let names = format.file_names().iter().map(|n| n.to_string()).collect();
    let target = Target { format, metadata, writers, names };
    let options = RunOptions::new(threads, 0..count);
    let cancel = AtomicBool::new(false);

    let started = Instant::now();
    let (summary, _) = write_targets(&generator, vec![target], &options, &mut |_| {}, &cancel)?;
    let seconds = started.elapsed().as_secs_f64();
    let bytes = counter.load(Ordering::Relaxed);
    let line = serde_json::json!({
        "format": format.as_str(),
        "patients": summary.total,
        "threads": threads,
        "seconds": seconds,
        "patients_per_second": summary.total as f64 / seconds.max(1e-9),
        "bytes_per_patient": bytes as f64 / summary.total.max(1) as f64,
        "peak_rss_bytes": peak_rss_bytes(),
    });
    println!("{line}");
    Ok(())
}

/// Peak resident set size (VmHWM) from /proc, on Linux; `None` elsewhere.
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
