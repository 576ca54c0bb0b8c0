//! Streaming writers for generated casualties, and the parallel driver that feeds them.
//!
//! Each format is one file of this crate: [`json`], [`ndjson`], [`csv`], [`xml`], [`xlsx`],
//! [`fhir`] and [`parquet`]. A format
//! encodes one patient at a time into byte buffers, one per file it writes. [`run`] generates
//! chunks of patients on a thread pool and encodes them there into every requested format. It
//! writes the buffers in index order, so output bytes do not depend on the thread count, and
//! memory stays bounded by a few chunks whatever the count.

pub mod csv;
pub mod destination;
pub mod encryption;
pub mod fhir;
pub mod json;
pub mod metadata;
pub mod ndjson;
pub mod package;
pub mod parquet;
pub mod run;
pub mod sink;
mod table;
pub mod xlsx;
pub mod xml;

pub use metadata::Metadata;
pub use destination::{write_file, write_folder, write_zip_file};
pub use package::{Compression, Encryption, Packaging};
pub use run::{write_patients, write_targets, Progress, RunOptions, Target};
pub use sink::Sink;

use casualty_core::record::Patient;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Format {
    /// One JSON document: `{"metadata": {...}, "patients": [...]}`.
    Json,
    /// One patient per line; metadata in a sidecar `<output>.meta.json`.
    Ndjson,
    /// RFC 4180 CSV: `patients.csv`, one row per patient, and `events.csv`, one row per
    /// timeline event.
    Csv,
    /// One XML 1.0 document, `patients.xml`: the metadata as attributes of the root element
    /// `<casualties>`, then one `<patient>` element per patient (schema `docs/casualties.xsd`).
    Xml,
    /// Office Open XML workbook, `patients.xlsx`: sheets `patients`, `events` (continued in
    /// `events_2`, ... past the row limit of a sheet) and `metadata`.
    Xlsx,
    /// HL7 FHIR R4: `patients.fhir.ndjson` with one Bundle per patient per line, and the same
    /// resources in the FHIR Bulk Data layout, `fhir/<ResourceType>.ndjson`.
    Fhir,
    /// Apache Parquet: `patients.parquet`, one row per patient with its diagnoses as a list, and
    /// `events.parquet`, one row per timeline event.
    Parquet,
}

impl Format {
    /// Every format, in the order their files are listed.
    pub const ALL: [Format; 7] = [Format::Json, Format::Ndjson, Format::Csv, Format::Xml, Format::Xlsx, Format::Fhir, Format::Parquet];

    /// The name used on the command line and in metadata.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Csv => "csv",
            Format::Xml => "xml",
            Format::Xlsx => "xlsx",
            Format::Fhir => "fhir",
            Format::Parquet => "parquet",
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
            "csv" => Ok(Format::Csv),
            "xml" => Ok(Format::Xml),
            "xlsx" => Ok(Format::Xlsx),
            "fhir" => Ok(Format::Fhir),
            "parquet" => Ok(Format::Parquet),
            other => Err(format!("unknown format `{other}`; accepted: {}", ACCEPTED_FORMATS)),
        }
    }

    /// Parses a comma-separated list of formats, sorted and without repeats.
    ///
    /// # Errors
    /// Names the first unknown format, or an empty list.
    pub fn parse_list(list: &str) -> Result<Vec<Format>, String> {
        let mut formats = list.split(',').filter(|s| !s.trim().is_empty()).map(Format::parse).collect::<Result<Vec<_>, _>>()?;
        if formats.is_empty() {
            return Err(format!("no format given; accepted: {ACCEPTED_FORMATS}, or several separated by commas"));
        }
        formats.sort();
        formats.dedup();
        Ok(formats)
    }

    /// Names of the files the format writes into an output folder.
    pub fn file_names(self) -> &'static [&'static str] {
        match self {
            Format::Json => &["patients.json"],
            Format::Ndjson => &["patients.ndjson"],
            Format::Csv => &["patients.csv", "events.csv"],
            Format::Xml => &["patients.xml"],
            Format::Xlsx => &["patients.xlsx"],
            Format::Fhir => fhir::FILE_NAMES,
            Format::Parquet => parquet::FILE_NAMES,
        }
    }
}

/// Format names for error messages.
const ACCEPTED_FORMATS: &str = "json, ndjson, csv, xml, xlsx, fhir, parquet";

/// Encodes patients into bytes for one format, one buffer per file of the format.
pub trait Encoder: Send + Sync {
    /// Writes what comes before the first patient in file `file`.
    fn begin(&self, file: usize, out: &mut Vec<u8>, metadata: &Metadata) -> Result<(), serde_json::Error>;
    /// Appends one patient to the format's buffers (`outs[i]` is file `i`); `first` is true for
    /// the first patient of the output.
    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, first: bool) -> Result<(), serde_json::Error>;
    /// Writes what comes after the last patient in file `file`.
    fn end(&self, file: usize, out: &mut Vec<u8>, metadata: &Metadata) -> Result<(), serde_json::Error>;

    /// Typical bytes per patient in file `file`, used to size chunk buffers so that they rarely
    /// grow while a chunk is encoded. A wrong guess costs time, never correctness.
    fn bytes_per_patient(&self, _file: usize) -> usize {
        2560
    }
}

/// Returns the encoder of a format, for an output described by `metadata`.
pub fn encoder(format: Format, metadata: &Metadata) -> Box<dyn Encoder> {
    match format {
        Format::Json => Box::new(json::JsonEncoder),
        Format::Ndjson => Box::new(ndjson::NdjsonEncoder),
        Format::Csv => Box::new(csv::CsvEncoder),
        Format::Xml => Box::new(xml::XmlEncoder),
        Format::Xlsx => Box::new(xlsx::XlsxEncoder),
        Format::Fhir => Box::new(fhir::FhirEncoder::new(metadata)),
        Format::Parquet => Box::new(parquet::ParquetEncoder),
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
    /// The output path is something other than a regular file.
    #[error("{path} exists and is not a regular file (a folder, device, pipe or symbolic link); choose another --output path")]
    NotRegularFile {
        /// The path.
        path: String,
    },
    /// The output path for a folder exists and is not a folder.
    #[error("{path} exists and is not a folder; the formats requested write several files, so --output must be a new or empty folder")]
    NotAFolder {
        /// The path.
        path: String,
    },
    /// The output folder exists and is not empty.
    #[error("output folder {path} already exists and is not empty; remove it or choose another --output")]
    FolderNotEmpty {
        /// The folder.
        path: String,
    },
    /// The run was interrupted before it finished.
    #[error("interrupted after {written} of {total} patients")]
    Interrupted {
        /// Patients written before the interruption.
        written: u64,
        /// Patients requested.
        total: u64,
    },
}
