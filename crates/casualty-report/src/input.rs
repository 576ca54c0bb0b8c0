//! Reading a run: opening the file (plain or gzip), telling NDJSON from JSON, streaming the
//! records into [`Statistics`], and finding the run metadata.

use std::cell::Cell;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

use crate::error::{json_message, Location, Problem, ReportError};
use crate::metadata::RunMetadata;
use crate::record::RawRecord;
use crate::statistics::Statistics;

/// Longest NDJSON line accepted, in bytes. Generated records take about 2.4 KB.
pub const MAX_LINE_BYTES: usize = 1 << 20;

/// Size of the read buffer.
const BUFFER_BYTES: usize = 1 << 16;

/// The first bytes of a gzip member (RFC 1952).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// The first bytes of an encrypted container (docs/encryption.md).
const ENCRYPTED_MAGIC: &[u8] = b"CASUALTY-ENC";

/// Record files looked for when the input is a folder, in this order.
const FOLDER_RECORD_FILES: [&str; 4] = ["patients.ndjson", "patients.ndjson.gz", "patients.json", "patients.json.gz"];

/// The two record formats the report reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputFormat {
    /// One record per line.
    Ndjson,
    /// `{"metadata": {...}, "patients": [...]}`, or a bare array of records.
    Json,
}

impl InputFormat {
    /// Returns the name used by `--format`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Ndjson => "ndjson",
            InputFormat::Json => "json",
        }
    }
}

/// The origin of the metadata shown in a report, or the places it was looked for.
#[derive(Debug, Clone, PartialEq)]
pub enum MetadataSource {
    /// Metadata was found.
    Found {
        /// The source, such as `patients.ndjson.meta.json` or `the metadata member of
        /// patients.json`. It is a file name only, so the report does not depend on the folder.
        origin: String,
        /// The metadata.
        metadata: Box<RunMetadata>,
    },
    /// No metadata was found; the file names that were looked for.
    Missing {
        /// File names looked for beside the input.
        searched: Vec<String>,
    },
}

/// Options of [`read_run`].
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// The record format. With `None` the format is taken from the file name (`.ndjson`,
    /// `.jsonl`, `.json`, with or without `.gz`), or else detected from the first bytes.
    pub format: Option<InputFormat>,
    /// A metadata file to use instead of the one found beside the input.
    pub metadata: Option<PathBuf>,
}

/// A run read from disk: its records counted, and its metadata if any.
#[derive(Debug, Clone)]
pub struct Run {
    /// The input's file name, without its folder.
    pub input_name: String,
    /// The record format that was read.
    pub format: InputFormat,
    /// Whether the input was gzip-compressed.
    pub compressed: bool,
    /// The counts and times of the records.
    pub statistics: Statistics,
    /// The run metadata, or where it was looked for.
    pub metadata: MetadataSource,
}

/// Reads the records of `input` (a file, or an output folder that contains `patients.ndjson` or
/// `patients.json`, optionally gzip-compressed) and its metadata.
///
/// The metadata is the first of these that exists: `options.metadata`, the `metadata` member
/// of a JSON file, `<input>.meta.json` (or `.meta.json.gz`), and `metadata.json` (or
/// `metadata.json.gz`) in the input's folder. Missing metadata is not an error.
///
/// # Errors
/// Returns a [`ReportError`] when a file cannot be opened or read, is encrypted, or contains an
/// invalid record or invalid metadata.
///
/// # Example
/// ```no_run
/// let run = casualty_report::read_run(std::path::Path::new("patients.ndjson"), &Default::default())?;
/// println!("{} casualties", run.statistics.total());
/// # Ok::<(), casualty_report::ReportError>(())
/// ```
pub fn read_run(input: &Path, options: &ReadOptions) -> Result<Run, ReportError> {
    let input = resolve_folder(input)?;
    let path = input.display().to_string();
    let (mut reader, compressed) = open(&input)?;
    let format = match options.format {
        Some(format) => format,
        None => match format_from_name(&input) {
            Some(format) => format,
            None => sniff_format(&mut reader, &path)?,
        },
    };

    let mut statistics = Statistics::default();
    let embedded = match format {
        InputFormat::Ndjson => {
            read_ndjson(reader, &path, &mut statistics)?;
            None
        }
        InputFormat::Json => read_json(reader, &path, &mut statistics)?,
    };

    let input_name = file_name(&input);
    let metadata = match (&options.metadata, embedded) {
        (Some(explicit), _) => MetadataSource::Found { origin: file_name(explicit), metadata: Box::new(read_metadata(explicit)?) },
        (None, Some(metadata)) => MetadataSource::Found { origin: format!("the metadata member of {input_name}"), metadata: Box::new(metadata) },
        (None, None) => find_metadata(&input)?,
    };
    Ok(Run { input_name, format, compressed, statistics, metadata })
}

/// Counts the NDJSON records of `reader`, one line at a time. Blank lines are skipped.
///
/// # Errors
/// Returns the line and field of the first invalid record, a line longer than
/// [`MAX_LINE_BYTES`], or a read error. The error names the file as `path`.
pub fn read_ndjson(mut reader: impl BufRead, path: &str, statistics: &mut Statistics) -> Result<(), ReportError> {
    let mut buffer = Vec::with_capacity(8 * 1024);
    let mut line: u64 = 0;
    loop {
        buffer.clear();
        // One byte more than the limit is read, so that a line of exactly the limit differs from a longer one.
        let read = reader.by_ref().take(MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut buffer).map_err(|source| ReportError::Read { path: path.to_string(), source })?;
        if read == 0 {
            return Ok(());
        }
        line += 1;
        if buffer.len() > MAX_LINE_BYTES {
            return Err(ReportError::LineTooLong { path: path.to_string(), line, max_bytes: MAX_LINE_BYTES });
        }
        if buffer.iter().all(u8::is_ascii_whitespace) {
            continue;
        }

        let raw: RawRecord<'_> = serde_json::from_slice(&buffer).map_err(|error| ReportError::InvalidRecord {
            path: path.to_string(),
            location: Location::LineColumn { line, column: error.column() as u64 },
            problem: Problem::Json(json_message(&error)),
        })?;
        let casualty = raw.check().map_err(|problem| ReportError::InvalidRecord { path: path.to_string(), location: Location::Line(line), problem })?;
        statistics.add(&casualty);
    }
}

/// Counts the records of a JSON document, `{"metadata": {...}, "patients": [...]}` as the
/// generator writes it or a bare array of records, with serde_json's streaming deserializer:
/// one record is held at a time. Returns the `metadata` member when there is one.
///
/// # Errors
/// Returns the position, record index and field of the first invalid record, invalid JSON,
/// invalid metadata, or a read error. The error names the file as `path`.
pub fn read_json(reader: impl Read, path: &str, statistics: &mut Statistics) -> Result<Option<RunMetadata>, ReportError> {
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let state = DocumentState::default();
    let mut failure = None;
    let mut metadata = None;
    let result = Document { statistics, state: &state, failure: &mut failure, metadata: &mut metadata }.deserialize(&mut deserializer).and_then(|()| deserializer.end());

    match result {
        Ok(()) => Ok(metadata),
        Err(error) if error.is_io() => Err(ReportError::Read { path: path.to_string(), source: error.into() }),
        Err(error) => {
            let (line, column) = (error.line() as u64, error.column() as u64);
            if let Some((index, problem)) = failure {
                return Err(ReportError::InvalidRecord { path: path.to_string(), location: Location::Element { index, line, column }, problem });
            }
            match state.part.get() {
                Part::Metadata => Err(ReportError::InvalidMetadata { path: path.to_string(), message: format!("line {line}, column {column}: {}", json_message(&error)) }),
                Part::Patients => {
                    let index = state.index.get();
                    Err(ReportError::InvalidRecord { path: path.to_string(), location: Location::Element { index, line, column }, problem: Problem::Json(json_message(&error)) })
                }
                Part::Outside => Err(ReportError::InvalidRecord { path: path.to_string(), location: Location::Document { line, column }, problem: Problem::Json(json_message(&error)) }),
            }
        }
    }
}

/// Reads a metadata file, plain or gzip-compressed.
///
/// # Errors
/// Returns [`ReportError::InvalidMetadata`] with the position of the problem, or an open or read
/// error.
pub fn read_metadata(path: &Path) -> Result<RunMetadata, ReportError> {
    let name = path.display().to_string();
    let (reader, _) = open(path)?;
    let mut deserializer = serde_json::Deserializer::from_reader(reader);
    let result = RunMetadata::deserialize(&mut deserializer).and_then(|metadata| deserializer.end().map(|()| metadata));
    result.map_err(|error| {
        if error.is_io() {
            ReportError::Read { path: name.clone(), source: error.into() }
        } else {
            ReportError::InvalidMetadata { path: name.clone(), message: format!("line {}, column {}: {}", error.line(), error.column(), json_message(&error)) }
        }
    })
}

/// Looks for the metadata beside `input`: the NDJSON sidecar, then a folder's `metadata.json`.
fn find_metadata(input: &Path) -> Result<MetadataSource, ReportError> {
    let folder = input.parent().unwrap_or(Path::new(""));
    let name = file_name(input);
    let candidates = [format!("{name}.meta.json"), format!("{name}.meta.json.gz"), "metadata.json".to_string(), "metadata.json.gz".to_string()];
    for candidate in &candidates {
        let path = folder.join(candidate);
        if path.is_file() {
            return Ok(MetadataSource::Found { origin: candidate.clone(), metadata: Box::new(read_metadata(&path)?) });
        }
    }
    Ok(MetadataSource::Missing { searched: candidates.to_vec() })
}

/// Returns the records file of an output folder, or `input` itself when it is not a folder.
fn resolve_folder(input: &Path) -> Result<PathBuf, ReportError> {
    if !input.is_dir() {
        return Ok(input.to_path_buf());
    }
    FOLDER_RECORD_FILES
        .iter()
        .map(|name| input.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| ReportError::NoRecordsInFolder { path: input.display().to_string(), expected: FOLDER_RECORD_FILES.join(", ") })
}

/// Opens a file and puts a gzip decoder in front of it when its first bytes are gzip's.
/// Returns the reader and whether it decompresses.
fn open(path: &Path) -> Result<(Box<dyn BufRead>, bool), ReportError> {
    let name = path.display().to_string();
    let file = File::open(path).map_err(|source| ReportError::Open { path: name.clone(), source })?;
    let mut reader = BufReader::with_capacity(BUFFER_BYTES, file);
    let start = starting_bytes(&mut reader, &name)?;
    if start.starts_with(&GZIP_MAGIC) {
        // MultiGzDecoder reads every member, as gzip(1) does with concatenated files.
        let mut decoded = BufReader::with_capacity(BUFFER_BYTES, flate2::bufread::MultiGzDecoder::new(reader));
        if starting_bytes(&mut decoded, &name)?.starts_with(ENCRYPTED_MAGIC) {
            return Err(ReportError::Encrypted { path: name });
        }
        return Ok((Box::new(decoded), true));
    }
    if start.starts_with(ENCRYPTED_MAGIC) {
        return Err(ReportError::Encrypted { path: name });
    }
    Ok((Box::new(reader), false))
}

/// Returns the first bytes of `reader` without consuming them, at least 12 unless the input is
/// shorter.
fn starting_bytes(reader: &mut impl BufRead, name: &str) -> Result<Vec<u8>, ReportError> {
    let buffer = reader.fill_buf().map_err(|source| ReportError::Read { path: name.to_string(), source })?;
    Ok(buffer[..buffer.len().min(ENCRYPTED_MAGIC.len())].to_vec())
}

/// Tells the format from the file name, ignoring a `.gz` suffix.
fn format_from_name(path: &Path) -> Option<InputFormat> {
    let name = file_name(path).to_ascii_lowercase();
    let name = name.strip_suffix(".gz").unwrap_or(&name);
    if name.ends_with(".ndjson") || name.ends_with(".jsonl") {
        Some(InputFormat::Ndjson)
    } else if name.ends_with(".json") {
        Some(InputFormat::Json)
    } else {
        None
    }
}

/// Tells the format from the first bytes: a JSON document starts with `[` or `{"metadata"`,
/// anything else is read as NDJSON.
fn sniff_format(reader: &mut Box<dyn BufRead>, name: &str) -> Result<InputFormat, ReportError> {
    let buffer = reader.fill_buf().map_err(|source| ReportError::Read { path: name.to_string(), source })?;
    let text: Vec<u8> = buffer.iter().copied().filter(|b| !b.is_ascii_whitespace()).take(12).collect();
    if text.starts_with(b"[") || text.starts_with(b"{\"metadata\"") {
        Ok(InputFormat::Json)
    } else {
        Ok(InputFormat::Ndjson)
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |name| name.to_string_lossy().into_owned())
}

/// The part of a JSON document that the deserializer is in, for error messages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Part {
    #[default]
    Outside,
    Metadata,
    Patients,
}

/// Progress through a JSON document, shared with the visitors so that an error can be placed.
#[derive(Debug, Default)]
struct DocumentState {
    part: Cell<Part>,
    /// Index of the record being read.
    index: Cell<u64>,
}

/// The top-level JSON value: the generator's object, or a bare array of records.
struct Document<'s> {
    statistics: &'s mut Statistics,
    state: &'s DocumentState,
    /// The record index and problem of a record that failed its checks.
    failure: &'s mut Option<(u64, Problem)>,
    metadata: &'s mut Option<RunMetadata>,
}

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object {\"metadata\": {...}, \"patients\": [...]} as written by `casualty generate --format json`, or an array of records")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut patients_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "metadata" => {
                    self.state.part.set(Part::Metadata);
                    *self.metadata = Some(map.next_value()?);
                }
                "patients" => {
                    self.state.part.set(Part::Patients);
                    map.next_value_seed(Patients { statistics: &mut *self.statistics, state: self.state, failure: &mut *self.failure })?;
                    patients_seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
            self.state.part.set(Part::Outside);
        }
        if !patients_seen {
            return Err(de::Error::missing_field("patients"));
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.state.part.set(Part::Patients);
        let result = Patients { statistics: self.statistics, state: self.state, failure: self.failure }.visit_seq(seq);
        self.state.part.set(Part::Outside);
        result
    }
}

/// The array of records, counted one element at a time.
struct Patients<'s> {
    statistics: &'s mut Statistics,
    state: &'s DocumentState,
    failure: &'s mut Option<(u64, Problem)>,
}

impl<'de> DeserializeSeed<'de> for Patients<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Patients<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of casualty records")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut index: u64 = 0;
        loop {
            self.state.index.set(index);
            let Some(raw) = seq.next_element::<RawRecord<'_>>()? else {
                return Ok(());
            };
            match raw.check() {
                Ok(casualty) => self.statistics.add(&casualty),
                Err(problem) => {
                    *self.failure = Some((index, problem));
                    // serde_json adds the position to this error; the problem itself is kept in
                    // `failure`, typed.
                    return Err(de::Error::custom("invalid record"));
                }
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;
    use crate::record::SAMPLE_RECORD;

    /// Returns the sample record on one line, with its triage category replaced.
    fn record(triage: &str) -> String {
        SAMPLE_RECORD.replace('\n', "").replace("\"triage_category\":\"T1\"", &format!("\"triage_category\":\"{triage}\""))
    }

    #[test]
    fn read_ndjson_counts_and_skips_blank_lines() {
        let text = format!("{}\n\n{}\r\n{}", record("T1"), record("T3"), record("T3"));
        let mut statistics = Statistics::default();
        read_ndjson(text.as_bytes(), "test.ndjson", &mut statistics).expect("valid NDJSON");
        assert_eq!(statistics.total(), 3);
        assert_eq!(statistics.by_triage(), [1, 0, 2, 0]);
    }

    #[test]
    fn read_ndjson_places_errors() {
        let text = format!("{}\n{}\n", record("T1"), record("T9"));
        let error = read_ndjson(text.as_bytes(), "test.ndjson", &mut Statistics::default()).expect_err("T9 is invalid");
        assert!(matches!(&error, ReportError::InvalidRecord { location: Location::Line(2), .. }), "{error:?}");
        assert_eq!(error.to_string(), "test.ndjson: line 2: field `triage_category`: invalid value \"T9\"; expected one of T1, T2, T3, T4");

        let text = format!("{}\n{{\"id\": tru}}\n", record("T1"));
        let error = read_ndjson(text.as_bytes(), "test.ndjson", &mut Statistics::default()).expect_err("invalid JSON");
        assert!(matches!(&error, ReportError::InvalidRecord { location: Location::LineColumn { line: 2, .. }, problem: Problem::Json(_), .. }), "{error:?}");

        let long = "x".repeat(MAX_LINE_BYTES + 10);
        let error = read_ndjson(long.as_bytes(), "test.ndjson", &mut Statistics::default()).expect_err("the line is too long");
        assert!(matches!(error, ReportError::LineTooLong { line: 1, .. }), "{error:?}");
    }

    #[test]
    fn read_json_accepts_both_layouts() {
        let object = format!("{{\"other\": [1, 2], \"patients\": [{}, {}]}}", record("T1"), record("T2"));
        let mut statistics = Statistics::default();
        let metadata = read_json(object.as_bytes(), "test.json", &mut statistics).expect("valid JSON");
        assert_eq!((statistics.total(), metadata), (2, None));

        let array = format!("[{}, {}, {}]", record("T1"), record("T2"), record("T4"));
        let mut statistics = Statistics::default();
        read_json(array.as_bytes(), "test.json", &mut statistics).expect("a bare array");
        assert_eq!(statistics.by_triage(), [1, 1, 0, 1]);
    }

    #[test]
    fn read_json_places_errors() {
        let text = format!("{{\"patients\": [\n{},\n{}\n]}}", record("T1"), record("T7"));
        let error = read_json(text.as_bytes(), "test.json", &mut Statistics::default()).expect_err("T7 is invalid");
        // serde_json reports its position when the check fails, which is after the element, at the `]`.
        assert!(matches!(&error, ReportError::InvalidRecord { location: Location::Element { index: 1, line: 4, column: 1 }, problem: Problem::Field { .. }, .. }), "{error:?}");

        let cases = [
            ("{\"metadata\": {\"seed\": 1}, \"patients\": []}", "invalid run metadata"),
            ("{\"records\": []}", "missing field `patients`"),
            ("{\"patients\": []} trailing", "trailing characters"),
            ("{\"patients\": [{\"id\": 1}]}", "patients[0]"),
            ("42", "an object {\"metadata\""),
        ];
        for (text, expected) in cases {
            let error = read_json(text.as_bytes(), "test.json", &mut Statistics::default()).expect_err(text);
            assert!(error.to_string().contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn read_run_detects_gzip_and_format() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let path = dir.path().join("records.data");
        let mut encoder = flate2::write::GzEncoder::new(std::fs::File::create(&path).unwrap(), flate2::Compression::default());
        writeln!(encoder, "{}\n{}", record("T2"), record("T2")).unwrap();
        encoder.finish().unwrap();

        let run = read_run(&path, &ReadOptions::default()).expect("gzip NDJSON is read");
        assert!(run.compressed);
        assert_eq!(run.format, InputFormat::Ndjson, "a file that does not start like a JSON document is NDJSON");
        assert_eq!(run.statistics.by_triage(), [0, 2, 0, 0]);
        assert!(matches!(&run.metadata, MetadataSource::Missing { searched } if searched[0] == "records.data.meta.json"), "{:?}", run.metadata);

        let encrypted = dir.path().join("records.ndjson");
        std::fs::write(&encrypted, b"CASUALTY-ENC\x01rest").unwrap();
        let error = read_run(&encrypted, &ReadOptions::default()).expect_err("encrypted input");
        assert!(matches!(error, ReportError::Encrypted { .. }), "{error:?}");

        let error = read_run(dir.path(), &ReadOptions::default()).expect_err("a folder without records");
        assert!(error.to_string().contains("patients.ndjson, patients.ndjson.gz"), "{error}");
    }
}
