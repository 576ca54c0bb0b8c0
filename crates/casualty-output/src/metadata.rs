//! Run metadata: what produced a file, so it can be reproduced.

use casualty_core::engine::{GENERATOR_NAME, GENERATOR_VERSION};
use casualty_core::scenario::Scenario;
use casualty_core::time::Timestamp;
use serde::Serialize;

/// Part of a sharded run that a file contains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Shard {
    /// Shard number, from 0.
    pub index: u64,
    /// Number of shards.
    pub total: u64,
}

/// LOINC codes of the vital-sign fields of a record.
#[derive(Debug, Clone, Serialize)]
pub struct VitalSignCodes {
    /// Heart rate.
    pub heart_rate: &'static str,
    /// Systolic blood pressure.
    pub systolic_bp: &'static str,
    /// Respiratory rate.
    pub respiratory_rate: &'static str,
    /// Oxygen saturation.
    pub spo2: &'static str,
    /// Glasgow Coma Scale total.
    pub gcs: &'static str,
    /// Body temperature.
    pub temperature: &'static str,
}

/// LOINC codes of the vital signs, from the terminology table.
pub const VITAL_SIGN_CODES: VitalSignCodes = VitalSignCodes {
    heart_rate: "8867-4",
    systolic_bp: "8480-6",
    respiratory_rate: "9279-1",
    spo2: "2708-6",
    gcs: "9269-2",
    temperature: "8310-5",
};

/// Metadata of one output file. Contains no wall-clock time, so it is reproducible too.
#[derive(Debug, Clone, Serialize)]
pub struct Metadata {
    /// Always `casualty`.
    pub generator: &'static str,
    /// Generator version.
    pub generator_version: &'static str,
    /// Output format.
    pub format: &'static str,
    /// Scenario name.
    pub scenario_name: String,
    /// SHA-256 of the canonical scenario (with defaults filled in).
    pub scenario_sha256: String,
    /// Seed.
    pub seed: u64,
    /// Patients in the whole run.
    pub total_patients: u64,
    /// Index of the first patient in this file.
    pub first_patient: u64,
    /// Patients in this file.
    pub patients_in_file: u64,
    /// Shard of a sharded run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// Start of the operation.
    pub base_date: Timestamp,
    /// Length of the operation, days.
    pub days_of_fighting: u32,
    /// LOINC codes of the vital-sign fields.
    pub vital_sign_codes: VitalSignCodes,
    /// The canonical scenario.
    pub scenario: serde_json::Value,
}

impl Metadata {
    /// Metadata of the patients `range` of a scenario's run.
    pub fn new(scenario: &Scenario, format: crate::Format, range: std::ops::Range<u64>, shard: Option<Shard>) -> Metadata {
        Metadata {
            generator: GENERATOR_NAME,
            generator_version: GENERATOR_VERSION,
            format: format.as_str(),
            scenario_name: scenario.name.clone(),
            scenario_sha256: scenario.sha256(),
            seed: scenario.seed,
            total_patients: scenario.count,
            first_patient: range.start,
            patients_in_file: range.end - range.start,
            shard,
            base_date: Timestamp(scenario.base_time),
            days_of_fighting: scenario.days_of_fighting,
            vital_sign_codes: VITAL_SIGN_CODES,
            scenario: scenario.canonical_json(),
        }
    }
}
