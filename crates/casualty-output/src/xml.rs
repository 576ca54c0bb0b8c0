//! XML: one UTF-8 XML 1.0 document, `patients.xml`, described by `docs/casualties.xsd`.
//!
//! The root element `<casualties>` carries the run metadata as attributes. Each patient is one
//! `<patient>` element on its own line. Its child elements follow the fields of the JSON record
//! (`docs/record.schema.json`) in the same order and with the same names, and an optional field
//! that the JSON leaves out is left out here too. A list becomes a wrapper element with one child
//! per item: `allergies/allergy`, `injuries/injury`, `movement_timeline/event`,
//! `treatments/treatment`, `medications/medication` and `vital_signs/reading`.
//!
//! Text and attribute values are escaped with `quick_xml::escape::escape`, which writes `&`, `<`,
//! `>`, `"` and `'` as entity references. XML 1.0 does not allow the control characters U+0000 to
//! U+001F other than tab, LF and CR, nor U+FFFE and U+FFFF. Each of them is replaced with U+FFFD
//! (the replacement character), so a value that contains one does not read back as written. CR in
//! text, and tab, LF and CR in attribute values, are written as character references (`&#13;`
//! and so on), because a parser would otherwise normalize them to LF or spaces (XML 1.0, sections
//! 2.11 and 3.3.3).
//!
//! The document is written by hand, with `quick-xml` only for escaping. Each patient is encoded
//! on its own into a shared chunk buffer, where a `quick_xml::Writer` would add nothing.

use std::borrow::Cow;
use std::io::Write;

use casualty_core::record::{CareItem, Coded, Patient};
use casualty_core::reference::Hemorrhage;
use casualty_core::time::Timestamp;

use crate::{Encoder, Metadata};

/// Encoder of the XML format.
pub struct XmlEncoder;

impl Encoder for XmlEncoder {
    fn begin(&self, _file: usize, out: &mut Vec<u8>, metadata: &Metadata) -> Result<(), serde_json::Error> {
        out.extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<casualties");
        attribute(out, "generator", metadata.generator);
        attribute(out, "generator_version", metadata.generator_version);
        attribute(out, "seed", itoa::Buffer::new().format(metadata.seed));
        attribute(out, "scenario_name", &metadata.scenario_name);
        attribute(out, "scenario_sha256", &metadata.scenario_sha256);
        attribute(out, "total_patients", itoa::Buffer::new().format(metadata.total_patients));
        attribute(out, "first_patient", itoa::Buffer::new().format(metadata.first_patient));
        attribute(out, "patients_in_file", itoa::Buffer::new().format(metadata.patients_in_file));
        if let Some(shard) = metadata.shard {
            attribute(out, "shard_index", itoa::Buffer::new().format(shard.index));
            attribute(out, "shard_total", itoa::Buffer::new().format(shard.total));
        }
        attribute(out, "base_date", &metadata.base_date.to_string());
        attribute(out, "days_of_fighting", itoa::Buffer::new().format(metadata.days_of_fighting));
        out.push(b'>');
        Ok(())
    }

    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, _first: bool) -> Result<(), serde_json::Error> {
        let out = &mut outs[0];
        out.push(b'\n');
        write_patient(out, patient);
        Ok(())
    }

    fn end(&self, _file: usize, out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        out.extend_from_slice(b"\n</casualties>\n");
        Ok(())
    }
}

/// Appends one `<patient>` element, every field of the record in record order.
fn write_patient(out: &mut Vec<u8>, patient: &Patient<'_>) {
    open(out, "patient");
    text(out, "id", &patient.id.hyphenated().to_string());
    integer(out, "sequence", patient.sequence);

    open(out, "name");
    text(out, "given", patient.name.given);
    text(out, "family", patient.name.family);
    if let Some(given_latin) = patient.name.given_latin {
        text(out, "given_latin", given_latin);
    }
    if let Some(family_latin) = patient.name.family_latin {
        text(out, "family_latin", family_latin);
    }
    close(out, "name");

    text(out, "nationality", patient.nationality);
    text(out, "gender", patient.gender);
    integer(out, "age", patient.age);
    text(out, "date_of_birth", &patient.date_of_birth);

    open(out, "service");
    text(out, "branch", patient.service.branch);
    text(out, "rank", patient.service.rank);
    text(out, "rank_title", patient.service.rank_title);
    text(out, "unit", &patient.service.unit);
    text(out, "service_number", &patient.service.service_number);
    close(out, "service");

    open(out, "blood_group");
    text(out, "abo", patient.blood_group.abo);
    text(out, "rh", patient.blood_group.rh);
    text(out, "code", patient.blood_group.code);
    text(out, "display", patient.blood_group.display);
    close(out, "blood_group");

    decimal(out, "height_cm", patient.height_cm);
    decimal(out, "weight_kg", patient.weight_kg);

    open(out, "allergies");
    for allergy in &patient.allergies {
        coded(out, "allergy", allergy);
    }
    close(out, "allergies");
    if let Some(religion) = &patient.religion {
        coded(out, "religion", religion);
    }

    text(out, "front", patient.front);
    text(out, "injury_type", patient.injury_type.as_str());
    open(out, "mechanism");
    text(out, "id", patient.mechanism.id);
    text(out, "display", patient.mechanism.display);
    if let Some(code) = patient.mechanism.code {
        text(out, "code", code);
    }
    close(out, "mechanism");
    if let Some(event_id) = &patient.event_id {
        text(out, "event_id", event_id);
    }
    text(out, "mass_casualty", if patient.mass_casualty { "true" } else { "false" });

    write_injuries(out, patient);
    integer(out, "iss", patient.iss);
    integer(out, "niss", patient.niss);
    text(out, "triage_category", patient.triage_category.as_str());
    timestamp(out, "injury_timestamp", patient.injury_timestamp);

    open(out, "movement_timeline");
    for event in &patient.movement_timeline {
        open(out, "event");
        text(out, "event_type", crate::table::event_type_name(event));
        text(out, "facility", event.facility.as_str());
        timestamp(out, "timestamp", event.timestamp);
        decimal(out, "hours_since_injury", event.hours_since_injury);
        close(out, "event");
    }
    close(out, "movement_timeline");

    given_list(out, "treatments", "treatment", &patient.treatments);
    given_list(out, "medications", "medication", &patient.medications);
    write_vital_signs(out, patient);

    text(out, "final_status", patient.final_status.as_str());
    text(out, "last_facility", patient.last_facility.as_str());
    timestamp(out, "outcome_timestamp", patient.outcome_timestamp);
    close(out, "patient");
}

/// Appends `<injuries>`, one `<injury>` per diagnosis, the primary first.
fn write_injuries(out: &mut Vec<u8>, patient: &Patient<'_>) {
    open(out, "injuries");
    for injury in &patient.injuries {
        open(out, "injury");
        text(out, "code", injury.code);
        text(out, "display", injury.display);
        text(out, "body_region", injury.body_region);
        if let Some(body_site) = &injury.body_site {
            coded(out, "body_site", body_site);
        }
        if let Some(laterality) = &injury.laterality {
            coded(out, "laterality", laterality);
        }
        integer(out, "ais", injury.ais);
        text(out, "hemorrhage", hemorrhage_name(injury.hemorrhage));
        close(out, "injury");
    }
    close(out, "injuries");
}

/// Appends `<vital_signs>`, one `<reading>` per set of vital signs.
fn write_vital_signs(out: &mut Vec<u8>, patient: &Patient<'_>) {
    open(out, "vital_signs");
    for reading in &patient.vital_signs {
        open(out, "reading");
        timestamp(out, "timestamp", reading.timestamp);
        text(out, "facility", reading.facility.as_str());
        integer(out, "heart_rate", reading.heart_rate);
        integer(out, "systolic_bp", reading.systolic_bp);
        integer(out, "respiratory_rate", reading.respiratory_rate);
        integer(out, "spo2", reading.spo2);
        integer(out, "gcs", reading.gcs);
        decimal(out, "temperature", reading.temperature);
        close(out, "reading");
    }
    close(out, "vital_signs");
}

/// Appends a list of procedures or medications under the wrapper element `list`.
fn given_list(out: &mut Vec<u8>, list: &str, item: &str, entries: &[CareItem<'_>]) {
    open(out, list);
    for entry in entries {
        open(out, item);
        text(out, "code", entry.code);
        text(out, "display", entry.display);
        text(out, "facility", entry.facility.as_str());
        timestamp(out, "timestamp", entry.timestamp);
        close(out, item);
    }
    close(out, list);
}

/// Returns the record spelling of a bleeding class.
fn hemorrhage_name(hemorrhage: Hemorrhage) -> &'static str {
    match hemorrhage {
        Hemorrhage::None => "none",
        Hemorrhage::Minor => "minor",
        Hemorrhage::Major => "major",
        Hemorrhage::Massive => "massive",
    }
}

fn open(out: &mut Vec<u8>, name: &str) {
    out.push(b'<');
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

fn close(out: &mut Vec<u8>, name: &str) {
    out.extend_from_slice(b"</");
    out.extend_from_slice(name.as_bytes());
    out.push(b'>');
}

/// Appends `<name>value</name>` with `value` escaped as text content.
fn text(out: &mut Vec<u8>, name: &str, value: &str) {
    open(out, name);
    escape_into(out, value, Context::Text);
    close(out, name);
}

fn integer(out: &mut Vec<u8>, name: &str, value: impl itoa::Integer) {
    open(out, name);
    out.extend_from_slice(itoa::Buffer::new().format(value).as_bytes());
    close(out, name);
}

/// Appends a number in the same shortest round-trip form as the JSON output. That form is valid
/// `xs:double`. It is valid `xs:decimal` too for values from 0.00001 to below 10^16, because
/// values outside that range get an exponent (`1e-6`, `1e+16`).
fn decimal(out: &mut Vec<u8>, name: &str, value: f64) {
    open(out, name);
    let _ = write!(out, "{}", serde_json::Number::from_f64(value).map_or_else(|| "0".to_string(), |n| n.to_string()));
    close(out, name);
}

fn timestamp(out: &mut Vec<u8>, name: &str, value: Timestamp) {
    open(out, name);
    out.extend_from_slice(&value.format());
    close(out, name);
}

/// Appends `<name><code>…</code><display>…</display></name>`.
fn coded(out: &mut Vec<u8>, name: &str, value: &Coded<'_>) {
    open(out, name);
    text(out, "code", value.code);
    text(out, "display", value.display);
    close(out, name);
}

/// Appends ` name="value"` with `value` escaped as an attribute value.
fn attribute(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"=\"");
    escape_into(out, value, Context::Attribute);
    out.push(b'"');
}

/// Where an escaped value goes, which decides the whitespace that must become a character
/// reference to survive parsing.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Context {
    Text,
    Attribute,
}

/// Checks whether XML 1.0 allows `c` in a document (production `Char`). Rust strings contain no
/// surrogates, so only the C0 controls and U+FFFE, U+FFFF remain to exclude.
fn allowed_in_xml(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}')
}

/// Appends `value` escaped for `context`: characters XML 1.0 forbids become U+FFFD, markup
/// characters become entity references, and whitespace the parser would normalize becomes a
/// character reference.
fn escape_into(out: &mut Vec<u8>, value: &str, context: Context) {
    let allowed: Cow<'_, str> = if value.chars().all(allowed_in_xml) {
        Cow::Borrowed(value)
    } else {
        Cow::Owned(value.chars().map(|c| if allowed_in_xml(c) { c } else { char::REPLACEMENT_CHARACTER }).collect())
    };
    let escaped = quick_xml::escape::escape(allowed);
    let needs_reference = |byte: u8| match context {
        Context::Text => byte == b'\r',
        Context::Attribute => matches!(byte, b'\t' | b'\n' | b'\r'),
    };
    if !escaped.bytes().any(needs_reference) {
        out.extend_from_slice(escaped.as_bytes());
        return;
    }
    for &byte in escaped.as_bytes() {
        match byte {
            b'\t' if needs_reference(byte) => out.extend_from_slice(b"&#9;"),
            b'\n' if needs_reference(byte) => out.extend_from_slice(b"&#10;"),
            b'\r' => out.extend_from_slice(b"&#13;"),
            _ => out.push(byte),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(value: &str, context: Context) -> String {
        let mut out = Vec::new();
        escape_into(&mut out, value, context);
        String::from_utf8(out).expect("escaped output is UTF-8")
    }

    #[test]
    fn escape_markup_characters() {
        assert_eq!(escaped("a & b <c> \"d\" 'e'", Context::Text), "a &amp; b &lt;c&gt; &quot;d&quot; &apos;e&apos;");
        assert_eq!(escaped("Ærø Żółć", Context::Attribute), "Ærø Żółć");
    }

    #[test]
    fn escape_replaces_forbidden_characters() {
        assert_eq!(escaped("a\u{1}b\u{1F}c\u{0}", Context::Text), "a\u{FFFD}b\u{FFFD}c\u{FFFD}");
        assert_eq!(escaped("x\u{FFFE}\u{FFFF}", Context::Attribute), "x\u{FFFD}\u{FFFD}");
        assert_eq!(escaped("\u{7F}\u{85}\u{10000}", Context::Text), "\u{7F}\u{85}\u{10000}", "DEL, C1 controls and astral characters are allowed");
    }

    #[test]
    fn decimal_number_forms() {
        let cases = [(0.0, "0.0"), (0.01, "0.01"), (36.7, "36.7"), (175.3, "175.3"), (1e-5, "0.00001"), (1e-6, "1e-6"), (1e15, "1000000000000000.0"), (1e16, "1e+16")];
        for (value, expected) in cases {
            let mut out = Vec::new();
            decimal(&mut out, "n", value);
            assert_eq!(String::from_utf8(out).unwrap(), format!("<n>{expected}</n>"), "{value}");
        }
    }

    #[test]
    fn escape_whitespace_by_context() {
        assert_eq!(escaped("a\tb\nc\rd", Context::Text), "a\tb\nc&#13;d");
        assert_eq!(escaped("a\tb\nc\rd", Context::Attribute), "a&#9;b&#10;c&#13;d");
    }
}
