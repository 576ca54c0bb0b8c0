//! Streaming writers for generated casualties, and the parallel driver that feeds them.
//!
//! Each format is one file: [`json`] and [`ndjson`]. A format encodes one patient at a time into
//! a byte buffer; [`run`] generates chunks of patients on a thread pool, encodes them there, and
//! writes the buffers in index order, so output bytes do not depend on the thread count and
//! memory stays bounded by a few chunks whatever the count.

pub mod json;
pub mod metadata;
pub mod ndjson;
pub mod run;

pub use metadata::Metadata;
pub use run::{write_file, write_patients, Progress, RunOptions};

use casualty_core::record::Patient;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One JSON document: `{"metadata": {...}, "patients": [...]}`.
    Json,
    /// One patient per line; metadata in a sidecar `<output>.meta.json`.
    Ndjson,
}

impl Format {
    /// The name used on the command line and in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        }
    }

    /// Parses a format name.
    ///
    /// # Errors
    /// Names the accepted formats.
    pub fn parse(name: &str) -> Result<Format, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "json" => Ok(Format::Json),
            "ndjson" | "jsonl" => Ok(Format::Ndjson),
            other => Err(format!("unknown format `{other}`; accepted: json, ndjson")),
        }
    }
}

/// Encodes patients into bytes for one format.
pub trait Encoder: Sync {
    /// Writes what comes before the first patient.
    fn begin(&self, out: &mut Vec<u8>, metadata: &Metadata) -> Result<(), serde_json::Error>;
    /// Appends one patient; `first` is true for the first patient of the file.
    fn encode(&self, out: &mut Vec<u8>, patient: &Patient<'_>, first: bool) -> Result<(), serde_json::Error>;
    /// Writes what comes after the last patient.
    fn end(&self, out: &mut Vec<u8>, metadata: &Metadata) -> Result<(), serde_json::Error>;
}

/// The encoder of a format.
pub fn encoder(format: Format) -> &'static dyn Encoder {
    match format {
        Format::Json => &json::JsonEncoder,
        Format::Ndjson => &ndjson::NdjsonEncoder,
    }
}

/// Errors of writing output.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// Writing to the destination failed.
    #[error("failed to write {path}")]
    Io {
        /// Destination.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// Encoding a record failed (a defect: records always serialize).
    #[error("failed to encode a record")]
    Encode(#[from] serde_json::Error),
    /// The run was interrupted before it finished.
    #[error("interrupted after {written} of {total} patients")]
    Interrupted {
        /// Patients written before the interruption.
        written: u64,
        /// Patients requested.
        total: u64,
    },
}
