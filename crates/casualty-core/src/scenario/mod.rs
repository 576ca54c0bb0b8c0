//! The scenario: what a planner requests, after parsing, defaulting and validation.
//!
//! [`parse_request`] accepts JSON or YAML, either a bare scenario or a request body that wraps
//! one in `configuration`. Every key is checked: unknown keys, legacy keys and bad values are
//! rejected with the field path, the value and what is accepted, so nothing is silently ignored.

mod parse;
mod walker;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use parse::{parse_request, parse_scenario_value, CommandLineOverrides, InputFormat};

use crate::model::ModelParameters;

/// Largest number of patients one scenario may ask for.
pub const MAX_COUNT: u64 = 100_000_000;
/// Largest `days_of_fighting`.
pub const MAX_DAYS: u32 = 365;
/// Seed used when a scenario gives none.
pub const DEFAULT_SEED: u64 = 1;
/// Patients generated when neither the scenario nor the command line gives a count.
pub const DEFAULT_COUNT: u64 = 1_000;
/// Most fronts a scenario may have. Each front has its own Role 1 and Role 2 queues.
pub const MAX_FRONTS: usize = 50;
/// Largest troop strength of one front.
pub const MAX_STRENGTH: u64 = 10_000_000;
/// Length of the operation when `days_of_fighting` is absent.
pub const DEFAULT_DAYS: u32 = 8;
/// Start of the operation when `base_date` is absent (UTC).
pub const DEFAULT_BASE_DATE: &str = "2026-01-05T00:00:00Z";
/// How far the injury distribution may sum from 1 (fractions) or 100 (percentages), relative
/// to that total: 0.5%, so 33.3/33.3/33.4 and 0.333/0.333/0.333 (sum 0.999) are accepted.
pub const DISTRIBUTION_TOLERANCE: f64 = 0.005;

/// One error found in a scenario: where, what was there and what is accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Path of the field, such as `front_configs[1].nationality_distribution[0].percentage`.
    pub path: String,
    /// The rejected value, rendered as JSON (or `missing`).
    pub value: String,
    /// Description of the accepted values.
    pub expected: String,
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: invalid value {}: {}", self.path, self.value, self.expected)
    }
}

/// Every problem found in a scenario, in document order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ScenarioError {
    /// The individual field errors; never empty.
    pub errors: Vec<FieldError>,
}

impl std::fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.errors.len();
        write!(f, "invalid scenario ({n} error{})", if n == 1 { "" } else { "s" })?;
        for error in &self.errors {
            write!(f, "\n  - {error}")?;
        }
        Ok(())
    }
}

/// The three casualty categories of the injury distribution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Category {
    /// Disease (the "D" of DNBI).
    #[serde(rename = "Disease")]
    Disease,
    /// Non-battle injury (the "NBI" of DNBI).
    #[serde(rename = "Non-Battle Injury")]
    NonBattleInjury,
    /// Battle injury, including killed in action.
    #[serde(rename = "Battle Injury")]
    BattleInjury,
}

impl Category {
    /// All categories in their canonical order.
    pub const ALL: [Category; 3] = [Category::Disease, Category::NonBattleInjury, Category::BattleInjury];

    /// The canonical name, as written in records.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Disease => "Disease",
            Category::NonBattleInjury => "Non-Battle Injury",
            Category::BattleInjury => "Battle Injury",
        }
    }

    /// Position in [`Category::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Roles of the evacuation chain, from the point of injury to definitive care at home.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Role {
    /// Point of injury: buddy aid and combat medics.
    #[serde(rename = "POI")]
    Poi,
    /// Role 1: primary care and resuscitation at unit level.
    #[serde(rename = "Role1")]
    Role1,
    /// Role 2: damage-control surgery.
    #[serde(rename = "Role2")]
    Role2,
    /// Role 3: deployed hospital with specialist care.
    #[serde(rename = "Role3")]
    Role3,
    /// Role 4: definitive care in the home nation.
    #[serde(rename = "Role4")]
    Role4,
}

impl Role {
    /// All roles in evacuation order.
    pub const ALL: [Role; 5] = [Role::Poi, Role::Role1, Role::Role2, Role::Role3, Role::Role4];

    /// The record name (`POI`, `Role1`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Poi => "POI",
            Role::Role1 => "Role1",
            Role::Role2 => "Role2",
            Role::Role3 => "Role3",
            Role::Role4 => "Role4",
        }
    }

    /// Position in [`Role::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// One nation's share of a front's casualties.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NationShare {
    /// ISO 3166-1 alpha-3 code of a NATO member.
    pub nationality_code: String,
    /// Share in percent; the shares of a front sum to 100.
    pub percentage: f64,
}

/// A front: a sector of the operation with its own weight and nations.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Front {
    /// Identifier written into each record's `front`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Relative weight of this front among all fronts; its troop strength when it has one.
    pub casualty_rate: f64,
    /// Troops on this front, when the scenario gives strengths instead of rates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub strength: Option<u64>,
    /// Distances of the tactical evacuation legs on this front, where the scenario gives them.
    pub distance_km: FrontDistances,
    /// Nations serving on this front.
    pub nationality_distribution: Vec<NationShare>,
}

/// Distances of a front's tactical evacuation legs; a missing one takes `transport.distance_km`.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct FrontDistances {
    /// Kilometres from Role 1 to Role 2.
    #[serde(rename = "Role2", skip_serializing_if = "Option::is_none")]
    pub role2: Option<f64>,
    /// Kilometres from Role 2 to Role 3.
    #[serde(rename = "Role3", skip_serializing_if = "Option::is_none")]
    pub role3: Option<f64>,
}

/// The casualties that troop strengths and daily rates per 1,000 troops predict, as planning
/// tools compute them. Recorded in the canonical scenario.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ForceEstimate {
    /// Troops on all fronts.
    pub troops: u64,
    /// Expected battle casualties over the operation.
    pub battle: f64,
    /// Expected disease and non-battle injuries over the operation.
    pub dnbi: f64,
    /// The expected casualties of each day.
    pub daily: Vec<DailyEstimate>,
}

/// Expected casualties of one day of the operation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DailyEstimate {
    /// Day of the operation, from 1.
    pub day: u32,
    /// Expected battle casualties, following the tempo.
    pub battle: f64,
    /// Expected disease and non-battle injuries.
    pub dnbi: f64,
}

/// One facility of the evacuation chain and its per-facility settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Facility {
    /// Role this facility plays.
    pub role: Role,
    /// Human-readable name.
    pub name: String,
    /// Beds of each facility of this role (Role 1 to Role 3); `None` sizes them to the expected
    /// load. Casualties wait for a bed when the facility is full.
    pub capacity: Option<u32>,
    /// Probability that a casualty reaching this facility alive dies there, replacing the
    /// severity model for this facility; `None` keeps the model.
    pub kia_rate: Option<f64>,
    /// Probability that a surviving casualty treated here is returned to duty from here,
    /// replacing the model; `None` keeps the model.
    pub rtd_rate: Option<f64>,
}

/// Kinds of warfare a scenario can weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum WarfareType {
    Conventional,
    Artillery,
    Urban,
    Guerrilla,
    Drone,
    Naval,
    Cbrn,
    Peacekeeping,
}

impl WarfareType {
    /// Every warfare type, in canonical order.
    pub const ALL: [WarfareType; 8] = [
        WarfareType::Conventional,
        WarfareType::Artillery,
        WarfareType::Urban,
        WarfareType::Guerrilla,
        WarfareType::Drone,
        WarfareType::Naval,
        WarfareType::Cbrn,
        WarfareType::Peacekeeping,
    ];

    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            WarfareType::Conventional => "conventional",
            WarfareType::Artillery => "artillery",
            WarfareType::Urban => "urban",
            WarfareType::Guerrilla => "guerrilla",
            WarfareType::Drone => "drone",
            WarfareType::Naval => "naval",
            WarfareType::Cbrn => "cbrn",
            WarfareType::Peacekeeping => "peacekeeping",
        }
    }
}

/// Intensity of the fighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Intensity {
    Low,
    Medium,
    High,
    Extreme,
}

/// Development of the casualty rate over the operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Tempo {
    Sustained,
    Escalating,
    Surge,
    Declining,
    Intermittent,
}

/// Kinds of special event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum EventKind {
    MassCasualty,
    MajorOffensive,
    Ambush,
}

impl EventKind {
    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::MassCasualty => "mass_casualty",
            EventKind::MajorOffensive => "major_offensive",
            EventKind::Ambush => "ambush",
        }
    }
}

/// A special event: a cluster of battle casualties at one moment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SpecialEvent {
    /// What happened.
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// Day of the operation, from 1.
    pub day: u32,
    /// Hour of that day (0–23, UTC).
    pub hour: u32,
    /// Number of casualties the event produces.
    pub size: u64,
    /// Id of the front where it happens; all its casualties belong to that front.
    pub front: String,
}

/// Weather and terrain that shape casualties and evacuation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Condition {
    Rain,
    Fog,
    Storm,
    ExtremeHeat,
    ExtremeCold,
    DustStorm,
    NightOperations,
    MountainousTerrain,
    UrbanDebris,
}

impl Condition {
    /// Every condition, in canonical order.
    pub const ALL: [Condition; 9] = [
        Condition::Rain,
        Condition::Fog,
        Condition::Storm,
        Condition::ExtremeHeat,
        Condition::ExtremeCold,
        Condition::DustStorm,
        Condition::NightOperations,
        Condition::MountainousTerrain,
        Condition::UrbanDebris,
    ];

    /// The scenario spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::Rain => "rain",
            Condition::Fog => "fog",
            Condition::Storm => "storm",
            Condition::ExtremeHeat => "extreme_heat",
            Condition::ExtremeCold => "extreme_cold",
            Condition::DustStorm => "dust_storm",
            Condition::NightOperations => "night_operations",
            Condition::MountainousTerrain => "mountainous_terrain",
            Condition::UrbanDebris => "urban_debris",
        }
    }
}

/// A validated scenario with every default filled in.
///
/// Serializing it gives the canonical form whose SHA-256 is recorded in output metadata.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scenario {
    /// Scenario name.
    pub name: String,
    /// Free-text description.
    pub description: String,
    /// Number of patients to generate.
    pub count: u64,
    /// Seed of every random stream.
    pub seed: u64,
    /// Start of the operation, in seconds since the Unix epoch (UTC).
    pub base_time: i64,
    /// Length of the operation in days.
    pub days_of_fighting: u32,
    /// Shares of disease, non-battle injury and battle injury, summing to 1.
    pub injury_distribution: [f64; 3],
    /// Fronts of the operation.
    pub fronts: Vec<Front>,
    /// The evacuation chain, one facility per role in role order.
    pub facilities: Vec<Facility>,
    /// Active warfare types and their weights (summing to 1).
    pub warfare_types: Vec<(WarfareType, f64)>,
    /// Intensity of the fighting.
    pub intensity: Intensity,
    /// Tempo of the operation.
    pub tempo: Tempo,
    /// Special events in the order given.
    pub special_events: Vec<SpecialEvent>,
    /// Active environmental conditions, sorted and without repeats.
    pub environmental_conditions: Vec<Condition>,
    /// The casualties predicted from troop strengths, when the fronts give them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub force_estimate: Option<ForceEstimate>,
    /// Model parameters after the scenario's overrides.
    pub model: ModelParameters,
    /// The overrides as given, for the record.
    pub overrides: std::collections::BTreeMap<String, serde_json::Value>,
}

impl Scenario {
    /// Mixes a per-type parameter over the active warfare types: the weighted mean of `value`,
    /// with 1 for a type that has no value.
    pub fn warfare_mean(&self, value: impl Fn(&str) -> Option<f64>) -> f64 {
        self.warfare_types.iter().map(|(kind, weight)| weight * value(kind.as_str()).unwrap_or(1.0)).sum()
    }

    /// The canonical JSON form: every default filled in, object keys sorted, no whitespace.
    pub fn canonical_json(&self) -> serde_json::Value {
        // serde_json's map is a BTreeMap (no preserve_order feature), so keys come out sorted.
        serde_json::to_value(self).expect("a scenario always serializes")
    }

    /// SHA-256 of [`Scenario::canonical_json`] written compactly, as lowercase hex. A reader can
    /// recompute it from the `scenario` member of the output metadata.
    pub fn sha256(&self) -> String {
        let canonical = serde_json::to_vec(&self.canonical_json()).expect("a JSON value always serializes");
        let digest = Sha256::digest(&canonical);
        digest.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The facility playing `role`.
    pub fn facility(&self, role: Role) -> &Facility {
        &self.facilities[role.index()]
    }
}

/// Service options that a request body carries beside the scenario itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RequestOptions {
    /// Top-level keys that only the service uses, present in the body.
    pub service_keys: Vec<String>,
}

/// A parsed request: the scenario and the service options beside it.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The validated scenario.
    pub scenario: Scenario,
    /// Options that only the service uses.
    pub options: RequestOptions,
}
