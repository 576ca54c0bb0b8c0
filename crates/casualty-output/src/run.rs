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

use crate::{encoder, Format, Metadata, OutputError, Sink};


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

/// One format's output: its encoder's files, each written to its own writer.
pub struct Target<'w> {
    /// The format.
    pub format: Format,
    /// Metadata of the format's output.
    pub metadata: Metadata,
    /// One writer per file of the format, in [`Format::file_names`] order.
    pub writers: Vec<Box<dyn Sink + 'w>>,
    /// Name of each writer for error messages.
    pub names: Vec<String>,
}

/// Writes the patients of `options.range` in `format` to `out`, returning their summary and the
/// number of bytes written. For formats that write one file.
///
/// # Errors
/// Write failures, or [`OutputError::Interrupted`] when `cancel` is set.
#[allow(clippy::too_many_arguments)]
pub fn write_patients<W: Sink>(
    generator: &Generator<'_>,
    format: Format,
    metadata: &Metadata,
    out: W,
    destination: &str,
    options: &RunOptions,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    assert_eq!(format.file_names().len(), 1, "write_patients takes formats that write one file");
    let target = Target { format, metadata: metadata.clone(), writers: vec![Box::new(out)], names: vec![destination.to_string()] };
    let (summary, bytes) = write_targets(generator, vec![target], options, progress, cancel)?;
    Ok((summary, bytes[0]))
}

/// Writes the patients of `options.range` in every target's format at once, generating each
/// patient once. Returns the summary and the bytes written to each writer, targets in order.
///
/// # Errors
/// Write failures, or [`OutputError::Interrupted`] when `cancel` is set.
pub fn write_targets<'w>(
    generator: &Generator<'_>,
    targets: Vec<Target<'w>>,
    options: &RunOptions,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, Vec<u64>), OutputError> {
    let threads = options.threads.max(1);
    let chunk = options.chunk_size.max(1);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a thread pool can be built");
    let range = options.range.clone();
    let total = range.end - range.start;

    // Each target owns a run of consecutive buffer slots, one per file.
    let encoders: Vec<(Box<dyn crate::Encoder>, std::ops::Range<usize>)> = {
        let mut next = 0;
        targets
            .iter()
            .map(|t| {
                let files = t.format.file_names().len();
                next += files;
                (encoder(t.format, &t.metadata), next - files..next)
            })
            .collect()
    };
    let slots = encoders.last().map_or(0, |(_, r)| r.end);

    let mut writers: Vec<Box<dyn Sink + 'w>> = Vec::with_capacity(slots);
    let mut names: Vec<String> = Vec::with_capacity(slots);
    let mut heads: Vec<Vec<u8>> = Vec::with_capacity(slots);
    let mut tails: Vec<Vec<u8>> = Vec::with_capacity(slots);
    for (target, (encoder, _)) in targets.into_iter().zip(&encoders) {
        for file in 0..target.format.file_names().len() {
            let mut head = Vec::new();
            encoder.begin(file, &mut head, &target.metadata)?;
            heads.push(head);
            let mut tail = Vec::new();
            encoder.end(file, &mut tail, &target.metadata)?;
            tails.push(tail);
        }
        writers.extend(target.writers);
        names.extend(target.names);
    }
    assert_eq!(writers.len(), slots, "one writer per file of each format");

    let chunks: Vec<Range<u64>> = (range.start..range.end)
        .step_by(chunk as usize)
        .map(|start| start..(start + chunk).min(range.end))
        .collect();
    let batch_len = threads * 2;

    std::thread::scope(|scope| -> Result<(Summary, Vec<u64>), OutputError> {
        let (sender, receiver) = mpsc::sync_channel::<Vec<(Vec<Vec<u8>>, Summary)>>(1);
        let names = &names;
        let writer = scope.spawn(move || -> Result<(Summary, Vec<u64>), OutputError> {
            let io_error = |slot: usize| move |source| OutputError::Io { path: names[slot].clone(), source };
            let mut summary = Summary::default();
            let mut bytes = vec![0u64; writers.len()];
            for (slot, head) in heads.iter().enumerate() {
                writers[slot].write_all(head).map_err(io_error(slot))?;
                bytes[slot] += head.len() as u64;
            }
            for batch in receiver {
                for (buffers, part) in batch {
                    for (slot, buffer) in buffers.iter().enumerate() {
                        writers[slot].write_all(buffer).map_err(io_error(slot))?;
                        bytes[slot] += buffer.len() as u64;
                    }
                    summary.merge(&part);
                }
                progress.written(summary.total);
            }
            for (slot, (tail, mut writer)) in tails.iter().zip(writers).enumerate() {
                writer.write_all(tail).map_err(io_error(slot))?;
                writer.finish().map_err(io_error(slot))?;
                bytes[slot] += tail.len() as u64;
            }
            Ok((summary, bytes))
        });

        let mut failure = None;
        for batch in chunks.chunks(batch_len) {
            if cancel.load(Ordering::Relaxed) {
                failure = Some(OutputError::Interrupted { written: 0, total });
                break;
            }
            let encoded: Result<Vec<(Vec<Vec<u8>>, Summary)>, serde_json::Error> = pool.install(|| {
                batch
                    .par_iter()
                    .map(|part| {
                        let patients = (part.end - part.start) as usize;
                        let mut buffers: Vec<Vec<u8>> = (0..slots).map(|_| Vec::with_capacity(patients * 2560)).collect();
                        let mut summary = Summary::default();
                        for index in part.clone() {
                            let patient = generator.patient(index);
                            for (encoder, files) in &encoders {
                                encoder.encode(&mut buffers[files.clone()], &patient, index == range.start)?;
                            }
                            summary.add(&patient);
                        }
                        Ok((buffers, summary))
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
            let written = written.as_ref().map_or(0, |(summary, _)| summary.total);
            return Err(OutputError::Interrupted { written, total });
        }
        if let Some(error) = failure {
            return Err(error);
        }
        written
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
    check_replaceable(path)?;
    if format == Format::Ndjson {
        check_replaceable(&sidecar_path(path))?;
    }
    let directory = parent_folder(path);
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

/// The folder that contains `path`, where its temporary file or folder is built.
fn parent_folder(path: &Path) -> std::path::PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => std::path::PathBuf::from("."),
    }
}

/// Rejects an output path that is not a regular file (a folder, device, pipe or symbolic link).
/// Renaming over it would replace it rather than write to it.
fn check_replaceable(path: &Path) -> Result<(), OutputError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => Err(OutputError::NotRegularFile { path: path.display().to_string() }),
        _ => Ok(()),
    }
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

/// Writes a run in several formats into the folder `path`: each format's files (see
/// [`Format::file_names`]) and `metadata.json`. The folder is built under a temporary name beside
/// `path` and renamed when complete, so a failed or interrupted run leaves nothing at `path`.
/// `path` must not exist or be an empty folder, so existing data is never overwritten.
///
/// # Errors
/// [`OutputError::FolderNotEmpty`], write failures, or [`OutputError::Interrupted`].
pub fn write_folder(
    generator: &Generator<'_>,
    formats: &[Format],
    metadata_of: &dyn Fn(Format) -> Metadata,
    path: &Path,
    options: &RunOptions,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    let display = path.display().to_string();
    let io_error = |source| OutputError::Io { path: display.clone(), source };
    match std::fs::read_dir(path) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(OutputError::FolderNotEmpty { path: display });
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    let parent = parent_folder(path);
    let folder_name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    let temporary = tempfile::Builder::new().prefix(&format!(".{folder_name}.")).suffix(".partial").tempdir_in(&parent).map_err(io_error)?;

    let mut targets = Vec::new();
    let mut files = Vec::new();
    for &format in formats {
        let mut writers: Vec<Box<dyn Sink>> = Vec::new();
        let mut names = Vec::new();
        for name in format.file_names() {
            let file_path = temporary.path().join(name);
            if let Some(folder) = file_path.parent() {
                std::fs::create_dir_all(folder).map_err(io_error)?;
            }
            let file = std::fs::File::create(&file_path).map_err(|source| OutputError::Io { path: path.join(name).display().to_string(), source })?;
            files.push((file.try_clone().map_err(io_error)?, path.join(name)));
            writers.push(Box::new(std::io::BufWriter::with_capacity(1 << 20, file)));
            names.push(path.join(name).display().to_string());
        }
        targets.push(Target { format, metadata: metadata_of(format), writers, names });
    }
    let (summary, bytes) = write_targets(generator, targets, options, progress, cancel)?;
    for (file, name) in &files {
        file.sync_all().map_err(|source| OutputError::Io { path: name.display().to_string(), source })?;
    }

    // One metadata file for the folder; its `format` lists every format written.
    let mut metadata = serde_json::to_value(metadata_of(formats[0]))?;
    metadata["format"] = serde_json::Value::String(formats.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(","));
    let mut text = serde_json::to_vec_pretty(&metadata)?;
    text.push(b'\n');
    std::fs::write(temporary.path().join("metadata.json"), &text).map_err(io_error)?;

    let built = temporary.keep();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&built, std::fs::Permissions::from_mode(0o755)).map_err(io_error)?;
    }
    if let Err(error) = std::fs::rename(&built, path) {
        let _ = std::fs::remove_dir_all(&built);
        return Err(io_error(error));
    }
    Ok((summary, bytes.iter().sum::<u64>() + text.len() as u64))
}
