//! CSV (RFC 4180): `patients.csv` with one row per patient and `events.csv` with one row per
//! timeline event, keyed by patient id.
//!
//! UTF-8 without a byte-order mark, CRLF line ends, a header row, and a field quoted only when it
//! contains a comma, a double quote, CR or LF (quotes doubled inside). Text cells that begin with
//! `=`, `+`, `-`, `@`, a tab or CR are prefixed with a single quote `'`, so that spreadsheets show
//! them as text instead of running them as formulas. Only free-text columns get this, because
//! codes, numbers and timestamps never start that way.
//!
//! Quoting is written by hand rather than through the `csv` crate's writer, because that writer
//! owns an 8 KiB buffer and is built per output. Encoding here happens per patient into shared
//! chunk buffers on many threads. The `csv` crate reads the files back in the tests.

use std::io::Write;

use casualty_core::record::Patient;

use crate::{Encoder, Metadata};

/// Columns of `patients.csv`.
pub const PATIENT_COLUMNS: [&str; 33] = [
    "id",
    "sequence",
    "given_name",
    "family_name",
    "given_name_latin",
    "family_name_latin",
    "nationality",
    "gender",
    "age",
    "date_of_birth",
    "branch",
    "rank",
    "rank_title",
    "unit",
    "service_number",
    "blood_group",
    "front",
    "injury_type",
    "mechanism",
    "event_id",
    "mass_casualty",
    "primary_diagnosis_code",
    "primary_diagnosis",
    "body_region",
    "ais",
    "iss",
    "niss",
    "triage_category",
    "injury_timestamp",
    "last_facility",
    "final_status",
    "outcome_timestamp",
    "diagnosis_count",
];

/// Columns of `events.csv`.
pub const EVENT_COLUMNS: [&str; 6] = ["patient_id", "sequence", "event_type", "facility", "timestamp", "hours_since_injury"];

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
        let row = &mut patients[0];
        let id = patient.id.hyphenated().to_string();
        let primary = patient.injuries.first();
        let blood = format!("{}{}", patient.blood_group.abo, if patient.blood_group.rh == "positive" { "+" } else { "-" });
        let mut cells = Row::new(row);
        cells.plain(&id);
        cells.number(patient.sequence);
        cells.text(patient.name.given);
        cells.text(patient.name.family);
        cells.text(patient.name.given_latin.unwrap_or(""));
        cells.text(patient.name.family_latin.unwrap_or(""));
        cells.plain(patient.nationality);
        cells.plain(patient.gender);
        cells.number(patient.age);
        cells.plain(&patient.date_of_birth);
        cells.plain(patient.service.branch);
        cells.plain(patient.service.rank);
        cells.text(patient.service.rank_title);
        cells.text(&patient.service.unit);
        cells.text(&patient.service.service_number);
        cells.plain(&blood);
        cells.text(patient.front);
        cells.plain(patient.injury_type.as_str());
        cells.plain(patient.mechanism.id);
        cells.text(patient.event_id.as_deref().unwrap_or(""));
        cells.plain(if patient.mass_casualty { "true" } else { "false" });
        cells.plain(primary.map_or("", |i| i.code));
        cells.text(primary.map_or("", |i| i.display));
        cells.plain(primary.map_or("", |i| i.body_region));
        cells.number(primary.map_or(0, |i| i.ais));
        cells.number(patient.iss);
        cells.number(patient.niss);
        cells.plain(patient.triage_category.as_str());
        cells.plain(&patient.injury_timestamp.to_string());
        cells.plain(patient.last_facility.as_str());
        cells.plain(patient.final_status.as_str());
        cells.plain(&patient.outcome_timestamp.to_string());
        cells.number(patient.injuries.len());
        cells.end();

        let out = &mut events[0];
        for event in &patient.movement_timeline {
            let mut cells = Row::new(out);
            cells.plain(&id);
            cells.number(patient.sequence);
            cells.plain(event_type_name(event));
            cells.plain(event.facility.as_str());
            cells.plain(&event.timestamp.to_string());
            cells.float(event.hours_since_injury);
            cells.end();
        }
        Ok(())
    }

    fn end(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

/// Returns the record spelling of an event type.
pub(crate) fn event_type_name(event: &casualty_core::record::TimelineEvent) -> &'static str {
    use casualty_core::record::EventType;
    match event.event_type {
        EventType::Injury => "injury",
        EventType::EvacuationStart => "evacuation_start",
        EventType::Arrival => "arrival",
        EventType::TransitStart => "transit_start",
        EventType::Kia => "kia",
        EventType::Dow => "dow",
        EventType::DnbiDeath => "dnbi_death",
        EventType::Rtd => "rtd",
        EventType::RemainsRole4 => "remains_role4",
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

    /// A value that is never free text (a code, id, enum or timestamp): quoted if needed.
    fn plain(&mut self, value: &str) {
        self.separate();
        quote(self.out, value);
    }

    /// Free text: neutralised against formula injection, then quoted if needed.
    fn text(&mut self, value: &str) {
        self.separate();
        if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
            let mut guarded = String::with_capacity(value.len() + 1);
            guarded.push('\'');
            guarded.push_str(value);
            quote(self.out, &guarded);
        } else {
            quote(self.out, value);
        }
    }

    fn number(&mut self, value: impl itoa::Integer) {
        self.separate();
        let mut buffer = itoa::Buffer::new();
        self.out.extend_from_slice(buffer.format(value).as_bytes());
    }

    fn float(&mut self, value: f64) {
        self.separate();
        // The same shortest round-trip form as the JSON output.
        let _ = write!(self.out, "{}", serde_json::Number::from_f64(value).map_or_else(|| "0".to_string(), |n| n.to_string()));
    }

    fn end(self) {
        self.out.extend_from_slice(b"\r\n");
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
