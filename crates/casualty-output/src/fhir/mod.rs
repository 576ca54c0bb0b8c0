//! HL7 FHIR R4 (4.0.1): one Bundle per patient, and the same resources in the FHIR Bulk Data
//! layout.
//!
//! # Files
//!
//! - `patients.fhir.ndjson`: one Bundle of type `collection` per patient per line. Each entry has
//!   a `fullUrl` of the form `urn:uuid:<id>`, and references between the resources of a bundle
//!   use those URNs.
//! - `fhir/<ResourceType>.ndjson` (Bulk Data): each resource of every bundle, one per line,
//!   with references of the form `<ResourceType>/<id>`. A type with no resource in the run
//!   leaves an empty file.
//!
//! # Resources
//!
//! The entries of a bundle come in this order:
//!
//! - Patient: names, gender, birth date, death time, the service number, the record id as a
//!   `urn:uuid` identifier, and nationality and religion in the FHIR R4 extensions
//!   `patient-nationality` and `patient-religion`.
//! - Location and Encounter: one each per stay at a role, from the point of injury to Role 4. A
//!   stay ends with the departure, death or return to duty; a casualty who remains at Role 4
//!   has an `in-progress` Encounter there.
//! - Condition: one per diagnosis, with SNOMED CT code, body site and severity from the AIS.
//! - Observation: the blood group (LOINC 882-1 with SNOMED CT values).
//! - AllergyIntolerance: one per known allergy.
//! - Procedure and MedicationAdministration: one per treatment and medication given.
//! - Observation: one per vital sign of each set, with the FHIR R4 profile it conforms to in
//!   `meta.profile`: `heartrate`, `resprate`, `oxygensat` and `bodytemp`, and the base
//!   `vitalsigns` for the systolic pressure, because the `bp` panel requires a diastolic value
//!   that the record does not have. The Glasgow Coma Scale has no profile and the category
//!   `survey`.
//!
//! Every timestamp is the record's UTC time with `Z`. `Bundle.timestamp` is the record's outcome
//! time, not the wall clock, so the output is reproducible. Ids are deterministic: the Patient
//! keeps the record's id, and every other id, `Bundle.id` included, is the UUID v5 of a name
//! such as `Encounter/Role2` in the namespace of the record's id.
//!
//! # URIs of our own
//!
//! The project owns no domain, so its systems are `urn:uuid:` URIs made from UUID v5 names in
//! the generator's namespace:
//!
//! - `urn:uuid:673b3524-8435-56a4-b5d6-9a9bbf411b00`: identifier system of service numbers.
//! - `urn:uuid:d1cdced7-ca48-54bb-873e-6002dad5757d`: tag system of `Bundle.meta.tag`, with the
//!   codes `generator=<name>`, `generator-version=<version>`, `scenario-sha256=<hex>` and
//!   `seed=<seed>`.
//!
//! # Not written
//!
//! Height and weight have no time in the record, and the FHIR vital-signs profiles require one,
//! so they are left out. So are the triage category, ISS and NISS, the mechanism, front, unit,
//! rank, special event and mass-casualty flag, which have no standard element here.

mod allergy;
mod care;
mod condition;
mod datatypes;
mod encounter;
mod ids;
mod observation;
mod patient;
mod terminology;
#[cfg(test)]
mod tests;

use casualty_core::record::Patient;
use casualty_core::scenario::Role;
use serde::Serialize;
use uuid::Uuid;

use crate::{Encoder, Metadata};
use datatypes::{Coding, Style};
use ids::{ResourceId, ResourceKind};

/// Files of the FHIR format: the bundles, then one Bulk Data file per resource type.
pub const FILE_NAMES: &[&str] = &[
    "patients.fhir.ndjson",
    "fhir/Patient.ndjson",
    "fhir/Location.ndjson",
    "fhir/Encounter.ndjson",
    "fhir/Condition.ndjson",
    "fhir/AllergyIntolerance.ndjson",
    "fhir/Observation.ndjson",
    "fhir/Procedure.ndjson",
    "fhir/MedicationAdministration.ndjson",
];

/// Encoder of the FHIR format.
pub struct FhirEncoder {
    /// `"meta":{...}` of every bundle, the same for the whole output.
    bundle_meta: Vec<u8>,
}

impl FhirEncoder {
    /// An encoder for an output described by `metadata`, whose generator, version, scenario hash
    /// and seed become the tags of every bundle.
    pub fn new(metadata: &Metadata) -> FhirEncoder {
        let codes = [
            format!("generator={}", metadata.generator),
            format!("generator-version={}", metadata.generator_version),
            format!("scenario-sha256={}", metadata.scenario_sha256),
            format!("seed={}", metadata.seed),
        ];

        #[derive(Serialize)]
        struct BundleMeta<'a> {
            tag: [Coding<'a>; 4],
        }
        let meta = BundleMeta { tag: codes.each_ref().map(|code| Coding { system: terminology::RUN_TAG_SYSTEM, code, display: None }) };
        let mut bundle_meta = b"\"meta\":".to_vec();
        serde_json::to_writer(&mut bundle_meta, &meta).expect("tags serialize to memory");
        FhirEncoder { bundle_meta }
    }
}

impl Encoder for FhirEncoder {
    /// Measured on the small example scenario: a bundle takes about 24 KB, and the Bulk Data files
    /// about 23 KB together, two thirds of it observations.
    fn bytes_per_patient(&self, file: usize) -> usize {
        match FILE_NAMES.get(file).copied() {
            Some("patients.fhir.ndjson") => 28 * 1024,
            Some("fhir/Observation.ndjson") => 20 * 1024,
            _ => 2 * 1024,
        }
    }

    fn begin(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }

    fn encode(&self, outs: &mut [Vec<u8>], patient: &Patient<'_>, _first: bool) -> Result<(), serde_json::Error> {
        let (bundle, bulk) = outs.split_first_mut().expect("one buffer per FHIR file");
        let bundle_id = Uuid::new_v5(&patient.id, b"Bundle");
        let mut uuid_text = Uuid::encode_buffer();

        bundle.extend_from_slice(b"{\"resourceType\":\"Bundle\",\"id\":\"");
        bundle.extend_from_slice(bundle_id.hyphenated().encode_lower(&mut uuid_text).as_bytes());
        bundle.extend_from_slice(b"\",");
        bundle.extend_from_slice(&self.bundle_meta);
        bundle.extend_from_slice(b",\"identifier\":{\"system\":\"urn:ietf:rfc:3986\",\"value\":\"urn:uuid:");
        bundle.extend_from_slice(bundle_id.hyphenated().encode_lower(&mut uuid_text).as_bytes());
        bundle.extend_from_slice(b"\"},\"type\":\"collection\",\"timestamp\":\"");
        bundle.extend_from_slice(&patient.outcome_timestamp.format());
        bundle.extend_from_slice(b"\",\"entry\":[");
        let mut entries = Entries { bundle, bulk, count: 0 };
        write_entries(&mut entries, patient)?;
        entries.bundle.extend_from_slice(b"]}\n");
        Ok(())
    }

    fn end(&self, _file: usize, _out: &mut Vec<u8>, _metadata: &Metadata) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

/// Writes each resource twice: as a bundle entry and as a line of its Bulk Data file.
struct Entries<'o> {
    bundle: &'o mut Vec<u8>,
    bulk: &'o mut [Vec<u8>],
    count: usize,
}

impl Entries<'_> {
    /// Appends the resource `target` that `build` makes for a reference style.
    fn add<T: Serialize>(&mut self, target: ResourceId, build: impl Fn(Style) -> T) -> Result<(), serde_json::Error> {
        if self.count > 0 {
            self.bundle.push(b',');
        }
        self.count += 1;
        let mut urn = [0u8; 64];
        self.bundle.extend_from_slice(b"{\"fullUrl\":\"");
        self.bundle.extend_from_slice(target.urn(&mut urn).as_bytes());
        self.bundle.extend_from_slice(b"\",\"resource\":");
        serde_json::to_writer(&mut *self.bundle, &build(Style::Bundle))?;
        self.bundle.push(b'}');

        let line = &mut self.bulk[target.kind.bulk_index()];
        serde_json::to_writer(&mut *line, &build(Style::Bulk))?;
        line.push(b'\n');
        Ok(())
    }
}

/// Writes every resource of a patient, in the order listed in the module documentation.
fn write_entries(entries: &mut Entries<'_>, record: &Patient<'_>) -> Result<(), serde_json::Error> {
    let id = record.id;
    let subject = ResourceId { kind: ResourceKind::Patient, id };
    entries.add(subject, |_| patient::patient(record))?;

    let stays = encounter::stays(&record.movement_timeline);
    let mut encounters: [Option<ResourceId>; 5] = [None; 5];
    let mut locations: [Option<ResourceId>; 5] = [None; 5];
    for stay in stays.iter().flatten() {
        let role = stay.role.as_str();
        let location = ResourceId::derive(id, ResourceKind::Location, &[role]);
        entries.add(location, |_| encounter::location(stay.role, location))?;
        locations[stay.role.index()] = Some(location);
    }
    for stay in stays.iter().flatten() {
        let location = locations[stay.role.index()].expect("every stay has a location");
        let target = ResourceId::derive(id, ResourceKind::Encounter, &[stay.role.as_str()]);
        entries.add(target, |style| encounter::encounter(stay, target, subject, location, style))?;
        encounters[stay.role.index()] = Some(target);
    }
    let place = |role: Role| care::Place { encounter: encounters[role.index()], location: locations[role.index()] };

    let onset_encounter = encounters[Role::Poi.index()];
    for (index, injury) in record.injuries.iter().enumerate() {
        let target = ResourceId::indexed(id, ResourceKind::Condition, "diagnosis", index);
        entries.add(target, |style| condition::condition(injury, target, subject, onset_encounter, record.injury_timestamp, style))?;
    }

    let blood_group = ResourceId::derive(id, ResourceKind::Observation, &["blood-group"]);
    entries.add(blood_group, |style| observation::blood_group(&record.blood_group, blood_group, subject, style))?;

    for (index, substance) in record.allergies.iter().enumerate() {
        let target = ResourceId::indexed(id, ResourceKind::AllergyIntolerance, "allergy", index);
        entries.add(target, |style| allergy::allergy(substance, target, subject, style))?;
    }
    for (index, treatment) in record.treatments.iter().enumerate() {
        let target = ResourceId::indexed(id, ResourceKind::Procedure, "treatment", index);
        entries.add(target, |style| care::procedure(treatment, target, subject, place(treatment.facility), style))?;
    }
    for (index, medication) in record.medications.iter().enumerate() {
        let target = ResourceId::indexed(id, ResourceKind::MedicationAdministration, "medication", index);
        entries.add(target, |style| care::medication_administration(medication, target, subject, place(medication.facility), style))?;
    }

    for (index, set) in record.vital_signs.iter().enumerate() {
        let encounter = encounters[set.facility.index()];
        for (sign, value) in observation::vital_sign_values(set) {
            let Some(value) = value else { continue };
            let target = ResourceId::indexed(id, ResourceKind::Observation, sign.name, index);
            entries.add(target, |style| observation::vital_sign(&sign, value, set.timestamp, target, subject, encounter, style))?;
        }
    }
    Ok(())
}
