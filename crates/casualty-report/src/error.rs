//! Errors of reading a run: which file, where in it, which field and what is accepted.

use std::fmt;

/// A failure to read a run's records or metadata. Every variant is caused by the input (a
/// missing, unreadable or invalid file), so a command line reports them all as bad input. The
/// messages of `Open` and `Read` leave the operating system's error to [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The input or metadata file could not be opened.
    #[error("{path}: failed to open")]
    Open {
        /// The file, as the caller named it.
        path: String,
        /// The error of the operating system.
        source: std::io::Error,
    },
    /// Reading or decompressing the file failed part way.
    #[error("{path}: failed to read")]
    Read {
        /// The file, as the caller named it.
        path: String,
        /// The error of the operating system or of the gzip decoder.
        source: std::io::Error,
    },
    /// The file is an encrypted container, which must be decrypted before it can be read.
    #[error("{path}: the file is encrypted (it starts with CASUALTY-ENC); decrypt it first with `casualty decrypt`")]
    Encrypted {
        /// The file, as the caller named it.
        path: String,
    },
    /// The input is a folder that contains no records file.
    #[error("{path}: the folder contains none of {expected}; give the records file itself")]
    NoRecordsInFolder {
        /// The folder, as the caller named it.
        path: String,
        /// The file names that were looked for, separated by commas.
        expected: String,
    },
    /// An NDJSON line is longer than any record the generator writes.
    #[error("{path}: line {line} is longer than {max_bytes} bytes; each line must contain one casualty record")]
    LineTooLong {
        /// The file, as the caller named it.
        path: String,
        /// The line number, from 1.
        line: u64,
        /// The maximum line length, in bytes.
        max_bytes: usize,
    },
    /// A record, or the document around the records, is invalid.
    #[error("{path}: {location}: {problem}")]
    InvalidRecord {
        /// The file, as the caller named it.
        path: String,
        /// The position of the problem in the file.
        location: Location,
        /// The problem.
        problem: Problem,
    },
    /// The metadata file or member is invalid.
    #[error("{path}: invalid run metadata: {message}; expected the metadata that `casualty generate` writes (docs/metadata.schema.json)")]
    InvalidMetadata {
        /// The file, as the caller named it.
        path: String,
        /// The problem, with its position.
        message: String,
    },
}

/// A position in an input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A line of an NDJSON file, from 1.
    Line(u64),
    /// A line and column of an NDJSON file, from 1.
    LineColumn {
        /// Line, from 1.
        line: u64,
        /// Column in bytes, from 1.
        column: u64,
    },
    /// An element of the `patients` array of a JSON file. The line and column are where
    /// serde_json stood when the problem was found: inside the element for invalid JSON, and
    /// just after the element (before the next `,` or `]`) for a field check.
    Element {
        /// Position in the array, from 0.
        index: u64,
        /// Line, from 1.
        line: u64,
        /// Column in bytes, from 1.
        column: u64,
    },
    /// A position in a JSON file outside the records.
    Document {
        /// Line, from 1.
        line: u64,
        /// Column in bytes, from 1.
        column: u64,
    },
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(line) => write!(f, "line {line}"),
            Location::LineColumn { line, column } => write!(f, "line {line}, column {column}"),
            Location::Element { index, line, column } => write!(f, "patients[{index}] (line {line}, column {column})"),
            Location::Document { line, column } => write!(f, "line {line}, column {column}"),
        }
    }
}

/// The problem with a record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The JSON syntax or shape is invalid, as serde_json describes it (without its position,
    /// which is in the [`Location`]).
    Json(String),
    /// A field has a value the report cannot use.
    Field {
        /// The field path, such as `movement_timeline[2].facility`.
        field: String,
        /// The value found, shortened to 80 characters.
        value: String,
        /// The accepted values.
        expected: &'static str,
    },
}

impl Problem {
    /// Builds a [`Problem::Field`] for `value` of `field`, shortening the value for the message.
    pub(crate) fn field(field: impl Into<String>, value: &str, expected: &'static str) -> Problem {
        const MAX_CHARS: usize = 80;
        let value = if value.chars().count() > MAX_CHARS { format!("{}…", value.chars().take(MAX_CHARS).collect::<String>()) } else { value.to_string() };
        Problem::Field { field: field.into(), value, expected }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Json(message) => write!(f, "invalid record: {message}"),
            Problem::Field { field, value, expected } => write!(f, "field `{field}`: invalid value {value:?}; expected {expected}"),
        }
    }
}

/// Returns serde_json's message without the " at line L column C" that it appends, because the
/// caller states the position in its own terms.
pub(crate) fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match text.strip_suffix(&suffix) {
        Some(message) => message.to_string(),
        None => text,
    }
}
