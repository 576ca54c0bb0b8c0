//! Where a run goes: one file, a folder of files, or a ZIP archive, each written atomically.
//!
//! Every destination is built under a temporary name beside the final path and renamed into place
//! only when everything is written and synced, so a failed or interrupted run leaves nothing at
//! the final path and never damages what was there.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use casualty_core::engine::Generator;
use casualty_core::summary::Summary;

use crate::package::{write_zip, Packaging};
use crate::run::{write_patients, write_targets, Progress, RunOptions, Target};
use crate::{Format, Metadata, OutputError, Sink};

/// Writes a run to `path` atomically: into a temporary file beside it, renamed over `path` only
/// when everything is written and synced. For NDJSON the sidecar `<path>.meta.json` (with the
/// packaging's suffixes) is written the same way, after the data. Returns the summary and the
/// size of the data file on disk.
///
/// # Errors
/// As [`write_patients`]; on any error the temporary file is removed and `path` is untouched.
#[allow(clippy::too_many_arguments)]
pub fn write_file(
    generator: &Generator<'_>,
    format: Format,
    metadata: &Metadata,
    path: &Path,
    options: &RunOptions,
    packaging: &Packaging,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    let display = path.display().to_string();
    let io_error = |source| OutputError::Io { path: display.clone(), source };
    let sidecar = (format == Format::Ndjson).then(|| sidecar_path(path, packaging));
    check_replaceable(path)?;
    if let Some(sidecar) = &sidecar {
        check_replaceable(sidecar)?;
    }
    let directory = parent_folder(path);
    let temporary = temporary_file(path, &directory).map_err(io_error)?;
    let file = std::io::BufWriter::with_capacity(1 << 20, temporary.as_file().try_clone().map_err(io_error)?);
    let sink = packaging.wrap(Box::new(file)).map_err(io_error)?;
    let (summary, _) = write_patients(generator, format, metadata, sink, &display, options, progress, cancel)?;
    temporary.as_file().sync_all().map_err(io_error)?;
    let bytes = temporary.as_file().metadata().map_err(io_error)?.len();

    // Both files are complete on disk before either is renamed, and the data goes first, so a
    // sidecar never describes a file that is not there.
    let sidecar = match sidecar {
        Some(sidecar) => {
            let sidecar_display = sidecar.display().to_string();
            let sidecar_error = |source| OutputError::Io { path: sidecar_display.clone(), source };
            let meta = temporary_file(&sidecar, &directory).map_err(sidecar_error)?;
            write_metadata(meta.as_file(), metadata, packaging).map_err(sidecar_error)?;
            Some((meta, sidecar, sidecar_display))
        }
        None => None,
    };
    publish(temporary, path).map_err(io_error)?;
    if let Some((meta, sidecar, sidecar_display)) = sidecar {
        publish(meta, &sidecar).map_err(|source| OutputError::Io { path: sidecar_display, source })?;
    }
    Ok((summary, bytes))
}

/// Writes a run in several formats into the folder `path`: each format's files (see
/// [`Format::file_names`]) and `metadata.json`, each packaged (see [`Packaging::file_name`]). The
/// folder is built under a temporary name beside `path` and renamed when complete. `path` must
/// not exist or be an empty folder, so existing data is never overwritten. Returns the summary
/// and the size of all files on disk.
///
/// # Errors
/// [`OutputError::FolderNotEmpty`], write failures, or [`OutputError::Interrupted`].
#[allow(clippy::too_many_arguments)]
pub fn write_folder(
    generator: &Generator<'_>,
    formats: &[Format],
    metadata_of: &dyn Fn(Format) -> Metadata,
    path: &Path,
    options: &RunOptions,
    packaging: &Packaging,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    let display = path.display().to_string();
    let io_error = |source| OutputError::Io { path: display.clone(), source };
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.is_dir() => return Err(OutputError::NotAFolder { path: display }),
        _ => {}
    }
    match std::fs::read_dir(path) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(OutputError::FolderNotEmpty { path: display });
            }
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(io_error(error)),
    }
    let temporary = temporary_folder(path).map_err(io_error)?;
    let (summary, bytes, _names) = fill_folder(generator, formats, metadata_of, temporary.path(), path, options, packaging, progress, cancel)?;

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
    Ok((summary, bytes))
}

/// Writes a run into one ZIP archive at `path`, holding the files a folder would (see
/// [`write_folder`]). The files are first written to a temporary folder beside `path`, then
/// streamed into the archive one by one, which is encrypted as a whole when the packaging says
/// so. Compression is the archive's own (deflate), so `packaging.compression` must be `None`.
/// Entry times are the scenario's `base_date`, so the archive is reproducible. Returns the
/// summary and the size of the archive.
///
/// # Errors
/// As [`write_folder`], plus [`OutputError::NotRegularFile`] when `path` is a folder or device.
#[allow(clippy::too_many_arguments)]
pub fn write_zip_file(
    generator: &Generator<'_>,
    formats: &[Format],
    metadata_of: &dyn Fn(Format) -> Metadata,
    path: &Path,
    options: &RunOptions,
    packaging: &Packaging,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64), OutputError> {
    assert!(packaging.compression.is_none(), "a ZIP archive compresses its entries itself");
    let display = path.display().to_string();
    let io_error = |source| OutputError::Io { path: display.clone(), source };
    check_replaceable(path)?;
    let directory = parent_folder(path);
    let staging = temporary_folder(path).map_err(io_error)?;
    let plain = Packaging::default();
    let (summary, _, names) = fill_folder(generator, formats, metadata_of, staging.path(), path, options, &plain, progress, cancel)?;

    let temporary = temporary_file(path, &directory).map_err(io_error)?;
    let file = std::io::BufWriter::with_capacity(1 << 20, temporary.as_file().try_clone().map_err(io_error)?);
    let sink = packaging.wrap(Box::new(file)).map_err(io_error)?;
    write_zip(staging.path(), &names, metadata_of(formats[0]).base_date.0, sink).map_err(io_error)?;
    temporary.as_file().sync_all().map_err(io_error)?;
    let bytes = temporary.as_file().metadata().map_err(io_error)?.len();
    publish(temporary, path).map_err(io_error)?;
    Ok((summary, bytes))
}

/// Writes every file of a folder run into `folder` and returns the summary, the size of the files
/// on disk and the file names, `metadata.json` last. `shown` is the folder's final path, for messages.
#[allow(clippy::too_many_arguments)]
fn fill_folder(
    generator: &Generator<'_>,
    formats: &[Format],
    metadata_of: &dyn Fn(Format) -> Metadata,
    folder: &Path,
    shown: &Path,
    options: &RunOptions,
    packaging: &Packaging,
    progress: &mut dyn Progress,
    cancel: &AtomicBool,
) -> Result<(Summary, u64, Vec<String>), OutputError> {
    let io_error = |name: &str| {
        let path = shown.join(name).display().to_string();
        move |source| OutputError::Io { path, source }
    };
    let mut targets = Vec::new();
    let mut files = Vec::new();
    let mut names = Vec::new();
    for &format in formats {
        let mut writers: Vec<Box<dyn Sink>> = Vec::new();
        let mut shown_names = Vec::new();
        for name in format.file_names() {
            let name = packaging.file_name(name);
            let file_path = folder.join(&name);
            if let Some(parent) = file_path.parent() {
                std::fs::create_dir_all(parent).map_err(io_error(&name))?;
            }
            let file = std::fs::File::create(&file_path).map_err(io_error(&name))?;
            files.push((file.try_clone().map_err(io_error(&name))?, name.clone()));
            let buffered: Box<dyn Sink> = Box::new(std::io::BufWriter::with_capacity(1 << 20, file));
            writers.push(packaging.wrap(buffered).map_err(io_error(&name))?);
            shown_names.push(shown.join(&name).display().to_string());
            names.push(name);
        }
        targets.push(Target { format, metadata: metadata_of(format), writers, names: shown_names });
    }
    let (summary, _) = write_targets(generator, targets, options, progress, cancel)?;
    let mut bytes = 0;
    for (file, name) in &files {
        file.sync_all().map_err(io_error(name))?;
        bytes += file.metadata().map_err(io_error(name))?.len();
    }

    // One metadata file for the folder; its `format` lists every format written.
    let mut metadata = serde_json::to_value(metadata_of(formats[0]))?;
    metadata["format"] = serde_json::Value::String(formats.iter().map(|f| f.as_str()).collect::<Vec<_>>().join(","));
    let name = packaging.file_name("metadata.json");
    let file = std::fs::File::create(folder.join(&name)).map_err(io_error(&name))?;
    write_metadata(&file, &metadata, packaging).map_err(io_error(&name))?;
    bytes += file.metadata().map_err(io_error(&name))?.len();
    names.push(name);
    Ok((summary, bytes, names))
}

/// Writes metadata as pretty JSON with a final newline into `file`, packaged, and syncs it.
fn write_metadata(file: &std::fs::File, metadata: &impl serde::Serialize, packaging: &Packaging) -> std::io::Result<()> {
    let mut text = serde_json::to_vec_pretty(metadata)?;
    text.push(b'\n');
    let mut sink = packaging.wrap(Box::new(std::io::BufWriter::new(file)))?;
    sink.write_all(&text)?;
    sink.finish()?;
    file.sync_all()
}

/// The folder that contains `path`, where its temporary file or folder is built.
pub(crate) fn parent_folder(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A hidden temporary file for `path` in `directory`, removed if dropped before [`publish`].
fn temporary_file(path: &Path, directory: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".partial").tempfile_in(directory)
}

/// A hidden temporary folder beside `path`, removed if dropped.
fn temporary_folder(path: &Path) -> std::io::Result<tempfile::TempDir> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "output".into());
    tempfile::Builder::new().prefix(&format!(".{name}.")).suffix(".partial").tempdir_in(parent_folder(path))
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

/// The metadata sidecar of an NDJSON file: `<path>.meta.json`, plus `.gz` and `.enc` when the
/// packaging compresses or encrypts.
pub fn sidecar_path(path: &Path, packaging: &Packaging) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(packaging.file_name(".meta.json"));
    PathBuf::from(name)
}
