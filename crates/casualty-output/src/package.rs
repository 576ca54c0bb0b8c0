//! Packaging of output files: gzip compression, AES-256-GCM encryption and the ZIP archive.
//!
//! Compression and encryption wrap each file's [`Sink`] while it streams: the format writes
//! plaintext into gzip, gzip into the encryptor, and the encryptor into the file. A ZIP archive
//! holds every file of a run; [`write_zip`] streams finished files from a temporary folder into it,
//! one after another, so no file is ever held in memory whole.

use std::io::{self, Read, Write};
use std::path::Path;

use flate2::write::GzEncoder;
use zip::write::SimpleFileOptions;

use crate::encryption::EncryptWriterBuilder;
use crate::Sink;

/// Compression of each output file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// gzip (RFC 1952) at level 6, the gzip command's default. The file name gains `.gz`.
    Gzip,
}

/// Encryption of each output file with a password.
#[derive(Clone)]
pub struct Encryption {
    /// Container settings (Argon2id parameters, chunk size).
    pub builder: EncryptWriterBuilder,
    /// The password, UTF-8.
    pub password: zeroize::Zeroizing<Vec<u8>>,
}

impl std::fmt::Debug for Encryption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encryption").field("builder", &self.builder).field("password", &"<hidden>").finish()
    }
}

/// Packaging of every output file: compression, then encryption.
#[derive(Debug, Clone, Default)]
pub struct Packaging {
    /// Compression of each file, or `None`.
    pub compression: Option<Compression>,
    /// Encryption of each file (after compression), or `None`.
    pub encryption: Option<Encryption>,
}

impl Packaging {
    /// Returns the name of a packaged file: `name`, plus `.gz` when compressed and `.enc` when encrypted.
    pub fn file_name(&self, name: &str) -> String {
        let mut packaged = name.to_string();
        if self.compression.is_some() {
            packaged.push_str(".gz");
        }
        if self.encryption.is_some() {
            packaged.push_str(".enc");
        }
        packaged
    }

    /// Wraps the destination `file` so that what is written to the result is compressed and
    /// encrypted on its way to `file`.
    ///
    /// # Errors
    /// Failure to derive the key or to write the encryption header.
    pub fn wrap<'w>(&self, file: Box<dyn Sink + 'w>) -> io::Result<Box<dyn Sink + 'w>> {
        let mut sink = file;
        if let Some(encryption) = &self.encryption {
            let writer = encryption.builder.build(sink, &encryption.password).map_err(io::Error::other)?;
            sink = Box::new(writer);
        }
        if let Some(Compression::Gzip) = self.compression {
            sink = Box::new(GzipSink(GzEncoder::new(sink, flate2::Compression::new(6))));
        }
        Ok(sink)
    }
}

/// A gzip stream that writes its trailer on [`Sink::finish`].
struct GzipSink<'w>(GzEncoder<Box<dyn Sink + 'w>>);

impl Write for GzipSink<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.write(bytes)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush()
    }
}

impl Sink for GzipSink<'_> {
    fn finish(self: Box<Self>) -> io::Result<()> {
        self.0.finish()?.finish()
    }
}

/// Writes the files `names` of the folder `source` into a ZIP archive on `destination`, in order,
/// compressed with deflate, each with the modification time `modified` (seconds since the Unix
/// epoch, UTC) and permissions 0644. Files of 4 GiB or more get ZIP64 records.
///
/// # Errors
/// Read and write failures. An entry name that is absolute or climbs out of the archive with `..`
/// is rejected, which would be a defect, because the names are the formats' fixed file names.
pub fn write_zip<'w>(source: &Path, names: &[String], modified: i64, destination: Box<dyn Sink + 'w>) -> io::Result<()> {
    let time = zip_time(modified)?;
    let mut archive = zip::ZipWriter::new_stream(destination);
    for name in names {
        let unsafe_name = name.starts_with('/') || name.split('/').any(|part| part.is_empty() || part == "." || part == "..");
        if unsafe_name {
            return Err(io::Error::new(io::ErrorKind::InvalidInput, format!("unsafe ZIP entry name `{name}`")));
        }
        let path = source.join(name);
        let size = std::fs::metadata(&path)?.len();
        let options = SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(time)
            .unix_permissions(0o644)
            .large_file(size >= u64::from(u32::MAX));
        archive.start_file(name.as_str(), options).map_err(zip_error)?;
        let mut file = std::fs::File::open(&path)?;
        copy(&mut file, &mut archive)?;
    }
    let stream = archive.finish().map_err(zip_error)?;
    let destination: Box<dyn Sink + 'w> = stream.into_inner();
    destination.finish()
}

/// Copies with a 1 MiB buffer, so memory stays flat whatever the file size.
fn copy(from: &mut impl Read, to: &mut impl Write) -> io::Result<u64> {
    let mut buffer = vec![0; 1 << 20];
    let mut total = 0;
    loop {
        let read = match from.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(read) => read,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) => return Err(error),
        };
        to.write_all(&buffer[..read])?;
        total += read as u64;
    }
}

/// Converts `seconds` since the Unix epoch to a ZIP (MS-DOS) time. ZIP times run from 1980 to 2107, so
/// earlier base dates are clamped to 1980-01-01.
fn zip_time(seconds: i64) -> io::Result<zip::DateTime> {
    use casualty_core::time::{civil_from_days, DAY};
    let (year, month, day) = civil_from_days(seconds.div_euclid(DAY));
    if year < 1980 {
        return Ok(zip::DateTime::default());
    }
    let second_of_day = seconds.rem_euclid(DAY);
    zip::DateTime::from_date_and_time(
        year.min(2107) as u16,
        month as u8,
        day as u8,
        (second_of_day / 3600) as u8,
        ((second_of_day / 60) % 60) as u8,
        (second_of_day % 60) as u8,
    )
    .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("base date {seconds} s is outside the ZIP time range 1980-2107")))
}

fn zip_error(error: zip::result::ZipError) -> io::Error {
    match error {
        zip::result::ZipError::Io(error) => error,
        other => io::Error::other(other),
    }
}
