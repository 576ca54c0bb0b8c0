//! The run metadata that the report shows beside the records: the scenario's targets and the
//! identity of the run (docs/metadata.schema.json).
//!
//! Only the members the report shows are read; others are skipped, so metadata of a later
//! version that adds members is still accepted.

use serde::de::IgnoredAny;
use serde::Deserialize;

/// The members of the run metadata that the report shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunMetadata {
    /// Generator name, `casualty`.
    pub generator: String,
    /// Generator version.
    pub generator_version: String,
    /// Format of the file, or the formats of a folder separated by commas.
    pub format: String,
    /// Scenario name.
    pub scenario_name: String,
    /// SHA-256 of the canonical scenario, lowercase hex.
    pub scenario_sha256: String,
    /// Seed of every random stream.
    pub seed: u64,
    /// Patients in the whole run, across all shards.
    pub total_patients: u64,
    /// `sequence` of the first patient in the file.
    pub first_patient: u64,
    /// Patients in the file.
    pub patients_in_file: u64,
    /// The part of a sharded run the file holds.
    #[serde(default)]
    pub shard: Option<ShardInfo>,
    /// Start of the operation, `YYYY-MM-DDTHH:MM:SSZ`.
    pub base_date: String,
    /// Length of the operation in days.
    pub days_of_fighting: u32,
    /// The parts of the canonical scenario that the report shows.
    pub scenario: ScenarioTargets,
}

/// Shard K of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ShardInfo {
    /// Shard number K, from 0.
    pub index: u64,
    /// Number of shards N.
    pub total: u64,
}

/// The scenario settings that the report compares with the records.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScenarioTargets {
    /// Patients requested for the run.
    pub count: u64,
    /// Shares of Disease, Non-Battle Injury and Battle Injury, summing to 1.
    pub injury_distribution: [f64; 3],
    /// Intensity of the fighting.
    pub intensity: String,
    /// Tempo of the operation.
    pub tempo: String,
    /// Warfare types as name and weight.
    pub warfare_types: Vec<(String, f64)>,
    /// Active environmental conditions.
    pub environmental_conditions: Vec<String>,
    /// Special events; the report shows how many there are.
    pub special_events: Vec<IgnoredAny>,
    /// Fronts of the operation.
    pub fronts: Vec<FrontTargets>,
}

/// A front's name and weight.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FrontTargets {
    /// Front name.
    pub name: String,
    /// Relative weight of the front among all fronts.
    pub casualty_rate: f64,
}
