//! The tabular view of a patient, shared by the CSV and XLSX formats: one row per patient and one
//! row per timeline event, in the column order of [`PATIENT_COLUMNS`] and [`EVENT_COLUMNS`].
//!
//! A format supplies a [`Cells`] implementation that decides how each kind of value is written,
//! so both formats list the same fields in the same order.

use casualty_core::record::{EventType, Patient, TimelineEvent};
use casualty_core::time::Timestamp;

/// Columns of the patient table.
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

/// Columns of the event table.
pub const EVENT_COLUMNS: [&str; 6] = ["patient_id", "sequence", "event_type", "facility", "timestamp", "hours_since_injury"];

/// Receives the cells of one row, in column order.
pub(crate) trait Cells {
    /// Writes a value that is never free text: an id, code, enumeration value or date.
    fn plain(&mut self, value: &str);
    /// Writes free text that a user or a name list supplied.
    fn text(&mut self, value: &str);
    /// Writes a whole number.
    fn integer(&mut self, value: u64);
    /// Writes a decimal number.
    fn float(&mut self, value: f64);
    /// Writes a point in time.
    fn time(&mut self, value: Timestamp);
    /// Writes a yes or no value.
    fn boolean(&mut self, value: bool);
    /// Ends the row.
    fn end(&mut self);
}

/// Writes the patient row of `patient`; `id` is its hyphenated id.
pub(crate) fn patient_row(cells: &mut impl Cells, patient: &Patient<'_>, id: &str) {
    let primary = patient.injuries.first();
    let blood = format!("{}{}", patient.blood_group.abo, if patient.blood_group.rh == "positive" { "+" } else { "-" });
    cells.plain(id);
    cells.integer(patient.sequence);
    cells.text(patient.name.given);
    cells.text(patient.name.family);
    cells.text(patient.name.given_latin.unwrap_or(""));
    cells.text(patient.name.family_latin.unwrap_or(""));
    cells.plain(patient.nationality);
    cells.plain(patient.gender);
    cells.integer(u64::from(patient.age));
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
    cells.boolean(patient.mass_casualty);
    cells.plain(primary.map_or("", |i| i.code));
    cells.text(primary.map_or("", |i| i.display));
    cells.plain(primary.map_or("", |i| i.body_region));
    cells.integer(primary.map_or(0, |i| u64::from(i.ais)));
    cells.integer(u64::from(patient.iss));
    cells.integer(u64::from(patient.niss));
    cells.plain(patient.triage_category.as_str());
    cells.time(patient.injury_timestamp);
    cells.plain(patient.last_facility.as_str());
    cells.plain(patient.final_status.as_str());
    cells.time(patient.outcome_timestamp);
    cells.integer(patient.injuries.len() as u64);
    cells.end();
}

/// Writes one event row per timeline event of `patient`; `id` is its hyphenated id.
pub(crate) fn event_rows(cells: &mut impl Cells, patient: &Patient<'_>, id: &str) {
    for event in &patient.movement_timeline {
        cells.plain(id);
        cells.integer(patient.sequence);
        cells.plain(event_type_name(event));
        cells.plain(event.facility.as_str());
        cells.time(event.timestamp);
        cells.float(event.hours_since_injury);
        cells.end();
    }
}

/// Returns the record spelling of an event type.
pub(crate) fn event_type_name(event: &TimelineEvent) -> &'static str {
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
