//! CSV (RFC 4180): `patients.csv` with one row per patient and `events.csv` with one row per
//! timeline event, keyed by patient id.
//!
//! UTF-8 without a byte-order mark, CRLF line ends, a header row, and a field quoted only when it
//! contains a comma, a double quote, CR or LF (quotes doubled inside). Text cells that begin with
//! `=`, `+`, `-`, `@`, a tab or CR are prefixed with a single quote `'`, so that spreadsheets show
//! them as text instead of running them as formulas. Text that begins with `'` gets one more, so a
//! reader removes exactly one leading `'` from every free-text cell that begins with one. Only
//! free-text columns get this, because codes, numbers and timestamps never start that way.
//!
//! Quoting is written by hand rather than through the `csv` crate's writer, because that writer
//! owns an 8 KiB buffer and is built per output. Encoding here happens per patient into shared
//! chunk buffers on many threads. The `csv` crate reads the files back in the tests.

use std::io::Write;

use casualty_core::record::Patient;
use casualty_core::time::Timestamp;

use crate::table::{self, Cells};
use crate::{Encoder, Metadata};

pub use crate::table::{EVENT_COLUMNS, PATIENT_COLUMNS};

/// Encoder of the CSV format.
pub struct CsvEncoder;

impl Encoder for CsvEncoder {
    fn begin(&self, file: usize, out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        let columns: &[&str] = if file == 0 { &PATIENT_COLUMNS } else { &EVENT_COLUMNS };
        out.extend_from_slice(columns.join(",").as_bytes());
        out.extend_from_slice(b"\r\n");
        Ok(())
    }

    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, _first: bool) -> Result<(), serde_json::Error> {
        let (patients, events) = outs.split_at_mut(1);
        let id = patient.id.hyphenated().to_string();
        table::patient_row(&mut Row::new(&mut patients[0]), patient, &id);
        table::event_rows(&mut Row::new(&mut events[0]), patient, &id);
        Ok(())
    }

    fn end(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

/// One CSV row being written.
struct Row<'a> {
    out: &'a mut Vec<u8>,
    first: bool,
}

impl<'a> Row<'a> {
    fn new(out: &'a mut Vec<u8>) -> Row<'a> {
        Row { out, first: true }
    }

    fn separate(&mut self) {
        if !self.first {
            self.out.push(b',');
        }
        self.first = false;
    }
}

impl Cells for Row<'_> {
    /// Quoted if needed, never neutralised: codes, ids and timestamps never start with a
    /// formula character.
    fn plain(&mut self, value: &str) {
        self.separate();
        quote(self.out, value);
    }

    /// Neutralised against formula injection, then quoted if needed.
    fn text(&mut self, value: &str) {
        self.separate();
        // A value that already starts with `'` is guarded too, so a reader can always remove
        // exactly one leading `'` from a guarded cell.
        if value.starts_with(['=', '+', '-', '@', '\t', '\r', '\'']) {
            let mut guarded = String::with_capacity(value.len() + 1);
            guarded.push('\'');
            guarded.push_str(value);
            quote(self.out, &guarded);
        } else {
            quote(self.out, value);
        }
    }

    fn integer(&mut self, value: u64) {
        self.separate();
        let mut buffer = itoa::Buffer::new();
        self.out.extend_from_slice(buffer.format(value).as_bytes());
    }

    fn float(&mut self, value: f64) {
        self.separate();
        // The same shortest round-trip form as the JSON output.
        let _ = write!(self.out, "{}", serde_json::Number::from_f64(value).map_or_else(|| "0".to_string(), |n| n.to_string()));
    }

    fn time(&mut self, value: Timestamp) {
        self.plain(&value.to_string());
    }

    fn boolean(&mut self, value: bool) {
        self.plain(if value { "true" } else { "false" });
    }

    /// Ends the row with CRLF and starts the next one.
    fn end(&mut self) {
        self.out.extend_from_slice(b"\r\n");
        self.first = true;
    }
}

/// Appends a field, quoted when it contains a comma, a quote, CR or LF.
fn quote(out: &mut Vec<u8>, value: &str) {
    if value.bytes().any(|b| matches!(b, b',' | b'"' | b'\r' | b'\n')) {
        out.push(b'"');
        for byte in value.bytes() {
            if byte == b'"' {
                out.push(b'"');
            }
            out.push(byte);
        }
        out.push(b'"');
    } else {
        out.extend_from_slice(value.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_special_characters() {
        let cases = [("plain", "plain"), ("a,b", "\"a,b\""), ("say \"hi\"", "\"say \"\"hi\"\"\""), ("line\r\nbreak", "\"line\r\nbreak\""), ("Ærø", "Ærø")];
        for (input, expected) in cases {
            let mut out = Vec::new();
            quote(&mut out, input);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "{input:?}");
        }
    }

    #[test]
    fn text_neutralises_formulas() {
        for input in ["=1+1", "+1", "-2", "@SUM(A1)", "\tx"] {
            let mut out = Vec::new();
            let mut row = Row::new(&mut out);
            row.text(input);
            let written = String::from_utf8(out).unwrap();
            assert!(written.starts_with('\'') || written.starts_with("\"'"), "{input:?} written as {written:?}");
        }
    }
}
