//! The parallel driver: generate chunks on a thread pool, write them in order.
//!
//! Chunks of [`RunOptions::chunk_size`] patients are generated and encoded in parallel, a batch of
//! two chunks per thread at a time. A writer thread takes finished batches through a channel
//! of capacity one, so generation of the next batch overlaps the write of the last, and at most
//! three batches are in memory at once.

use std::io::Write;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;

use casualty_core::engine::Generator;
use casualty_core::summary::Summary;
use rayon::prelude::*;

use crate::{encoder, Format, Metadata, OutputError};

/// How to run a generation.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// Patients per chunk.
    pub chunk_size: u64,
    /// Patient indexes to write.
    pub range: Range<u64>,
}

/// Receives progress: patients written so far.
pub trait Progress: Send {
    /// Called after each batch is written.
    fn written(&mut self, patients: u64);
}

impl<F: FnMut(u64) + Send> Progress for F {
    fn written(&mut self, patients: u64) {
        self(patients)
    }
}

/// Writes the patients of `options.range` in `format` to `out`, returning their summary and the
/// number of bytes written.
///
/// # Errors
/// Write failures, or [`OutputError::Interrupted`] when `cancel` is set.
pub fn write_patients<W: Write + Send>(
    generator: &Generator<'_>,
    format: Format,
    metadata: &Metadata,
    mut out: W,
    destination: &str,
    options: &RunOptions,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    let encoder = encoder(format);
    let io_error = |source| OutputError::Io { path: destination.to_string(), source };
    let threads = options.threads.max(1);
    let chunk = options.chunk_size.max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool can be built");
    let range = options.range.clone();
    let total = range.end - range.start;

    let mut head = Vec::new();
    encoder.begin(&mut head, metadata)?;

    let chunks: Vec<Range<u64>> = (range.start..range.end)
        .step_by(chunk as usize)
        .map(|start| start..(start + chunk).min(range.end))
        .collect();
    let batch_len = threads * 2;

    std::thread::scope(|scope| -> Result<(Summary, u64), OutputError> {
        let (sender, receiver) = mpsc::sync_channel::<Vec<(Vec<u8>, Summary)>>(1);
        let writer = scope.spawn(move || -> Result<(Summary, u64, W), OutputError> {
            let mut summary = Summary::default();
            let mut bytes = 0u64;
            out.write_all(&head).map_err(io_error)?;
            bytes += head.len() as u64;
            for batch in receiver {
                for (buffer, part) in batch {
                    out.write_all(&buffer).map_err(io_error)?;
                    bytes += buffer.len() as u64;
                    summary.merge(&part);
                }
                progress.written(summary.total);
            }
            Ok((summary, bytes, out))
        });

        let mut failure = None;
        for batch in chunks.chunks(batch_len) {
            if cancel.load(Ordering::Relaxed) {
                failure = Some(OutputError::Interrupted { written: 0, total });
                break;
            }
            let encoded: Result<Vec<(Vec<u8>, Summary)>, serde_json::Error> = pool.install(|| {
                batch
                    .par_iter()
                    .map(|part| {
                        let mut buffer = Vec::with_capacity((part.end - part.start) as usize * 2560);
                        let mut summary = Summary::default();
                        for index in part.clone() {
                            let patient = generator.patient(index);
                            encoder.encode(&mut buffer, &patient, index == range.start)?;
                            summary.add(&patient);
                        }
                        Ok((buffer, summary))
                    })
                    .collect()
            });
            match encoded {
                Ok(encoded) => {
                    if sender.send(encoded).is_err() {
                        // The writer stopped early; its error is collected below.
                        break;
                    }
                }
                Err(error) => {
                    failure = Some(error.into());
                    break;
                }
            }
        }
        drop(sender);
        let written = writer.join().expect("the writer thread does not panic");
        if let Some(OutputError::Interrupted { total, .. }) = failure {
            let written = written.as_ref().map_or(0, |(summary, _, _)| summary.total);
            return Err(OutputError::Interrupted { written, total });
        }
        if let Some(error) = failure {
            return Err(error);
        }
        let (summary, mut bytes, mut out) = written?;
        let mut tail = Vec::new();
        encoder.end(&mut tail, metadata)?;
        out.write_all(&tail).map_err(io_error)?;
        out.flush().map_err(io_error)?;
        bytes += tail.len() as u64;
        Ok((summary, bytes))
    })
}

/// Writes a run to `path` atomically: into a temporary file beside it, renamed over `path` only
/// when everything is written and synced. For NDJSON the sidecar `<path>.meta.json` is written the
/// same way, after the data.
///
/// # Errors
/// As [`write_patients`]; on any error the temporary file is removed and `path` is untouched.
pub fn write_file(
    generator: &Generator<'_>,
    format: Format,
    metadata: &Metadata,
    path: &Path,
    options: &RunOptions,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    let display = path.display().to_string();
    let io_error = |source| OutputError::Io { path: display.clone(), source };
    let directory = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    };
    let file_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let temporary = tempfile::Builder::new().prefix(&format!(".{file_name}.")).suffix(".partial").tempfile_in(&directory).map_err(io_error)?;
    let writer = std::io::BufWriter::with_capacity(1 << 20, temporary.as_file().try_clone().map_err(io_error)?);
    let (summary, bytes) = write_patients(generator, format, metadata, writer, &display, options, progress, cancel)?;
    temporary.as_file().sync_all().map_err(io_error)?;

    // Both files are complete on disk before either is renamed, and the data goes first, so a
    // sidecar never describes a file that is not there.
    let sidecar = if format == Format::Ndjson {
        let sidecar = sidecar_path(path);
        let sidecar_display = sidecar.display().to_string();
        let sidecar_error = |source| OutputError::Io { path: sidecar_display.clone(), source };
        let mut meta = tempfile::Builder::new().prefix(".meta.").suffix(".partial").tempfile_in(&directory).map_err(sidecar_error)?;
        let mut text = serde_json::to_vec_pretty(metadata)?;
        text.push(b'\n');
        meta.write_all(&text).map_err(sidecar_error)?;
        meta.as_file().sync_all().map_err(sidecar_error)?;
        Some((meta, sidecar, sidecar_display))
    } else {
        None
    };
    publish(temporary, path).map_err(io_error)?;
    if let Some((meta, sidecar, sidecar_display)) = sidecar {
        publish(meta, &sidecar).map_err(|source| OutputError::Io { path: sidecar_display, source })?;
    }
    Ok((summary, bytes))
}

/// Renames a finished temporary file to its final path, readable by others as an ordinary output
/// file is (temporary files are created readable by their owner only).
fn publish(temporary: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        temporary.as_file().set_permissions(std::fs::Permissions::from_mode(0o644))?;
    }
    temporary.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The metadata sidecar of an NDJSON file: `<path>.meta.json`.
pub fn sidecar_path(path: &Path) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".meta.json");
    std::path::PathBuf::from(name)
}
