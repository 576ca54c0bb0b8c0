//! Model parameters: every tunable number of the generator, loaded from `data/model.toml`.
//!
//! A scenario's `overrides` replace values by dotted path. Replacement happens on the JSON form of
//! the parameters, so any parameter is reachable without a hand-kept list of keys, and the result
//! is checked by [`ModelParameters::validate`] like every other input.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The embedded default parameters.
pub const DEFAULT_MODEL_TOML: &str = include_str!("../data/model.toml");

/// A value for each triage category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[allow(non_snake_case, missing_docs)]
#[serde(deny_unknown_fields)]
pub struct ByTriage {
    pub T1: f64,
    pub T2: f64,
    pub T3: f64,
    pub T4: f64,
}

impl ByTriage {
    /// The value for a triage category.
    pub fn get(&self, triage: crate::record::Triage) -> f64 {
        use crate::record::Triage;
        match triage {
            Triage::T1 => self.T1,
            Triage::T2 => self.T2,
            Triage::T3 => self.T3,
            Triage::T4 => self.T4,
        }
    }

    fn values(&self) -> [(&'static str, f64); 4] {
        [("T1", self.T1), ("T2", self.T2), ("T3", self.T3), ("T4", self.T4)]
    }
}

/// A value for each sex.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct BySex {
    pub male: f64,
    pub female: f64,
}

/// The median of the strategic leg to Role 4.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, non_snake_case)]
pub struct ToRole4 {
    pub Role4: f64,
}

/// A value for each tactical leg, by the role it leads to.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, non_snake_case)]
pub struct ByTacticalLeg {
    pub Role2: f64,
    pub Role3: f64,
}

/// Ground and air transport on the tactical legs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Transport {
    pub distance_km: ByTacticalLeg,
    pub ground_speed_kmh: f64,
    pub air_speed_kmh: f64,
    pub ground_dispatch_minutes: f64,
    pub air_dispatch_minutes: f64,
    pub air_share: ByTriage,
    pub air_share_multiplier: BTreeMap<String, f64>,
}

/// Settings of the facility queues.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Queues {
    pub step_minutes: f64,
    pub pilot_patients: u32,
    pub auto_capacity_headroom: f64,
    pub minimum_auto_beds: ByQueuedRole,
    pub tail_hours: u32,
}

/// A value for each role with a queue.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, non_snake_case)]
pub struct ByQueuedRole {
    pub Role1: f64,
    pub Role2: f64,
    pub Role3: f64,
}

impl ByQueuedRole {
    /// Returns the value for `role`, or 0 for the point of injury and Role 4, which have no queue.
    pub fn get(&self, role: crate::scenario::Role) -> f64 {
        use crate::scenario::Role;
        match role {
            Role::Role1 => self.Role1,
            Role::Role2 => self.Role2,
            Role::Role3 => self.Role3,
            _ => 0.0,
        }
    }
}

/// Relative weights of mechanisms by category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MechanismWeights {
    pub battle: BTreeMap<String, f64>,
    pub non_battle: BTreeMap<String, f64>,
    pub disease: BTreeMap<String, f64>,
}

/// Wound-count parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Wounds {
    pub max_wounds: u32,
    pub extra_wound_probability_explosive: f64,
    pub extra_wound_probability_gunshot: f64,
    pub extra_wound_probability_other_battle: f64,
    pub extra_wound_probability_non_battle: f64,
    pub extra_wound_probability_disease: f64,
}

/// Severity parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Severity {
    pub ais_step_probability: f64,
    pub unsurvivable_probability_explosive: f64,
    pub unsurvivable_probability_gunshot: f64,
    pub unsurvivable_head_share: f64,
}

/// Multipliers by intensity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct IntensityMultipliers {
    pub low: f64,
    pub medium: f64,
    pub high: f64,
    pub extreme: f64,
}

/// Triage thresholds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TriageThresholds {
    pub expectant_niss: u32,
    pub mass_casualty_expectant_niss: u32,
    pub immediate_min_ais: u32,
    pub immediate_max_systolic_mmhg: f64,
    pub immediate_min_respiratory_rate: f64,
    pub immediate_max_respiratory_rate: f64,
    pub immediate_max_gcs: u32,
    pub immediate_min_spo2_percent: f64,
    pub delayed_min_niss: u32,
}

/// Mortality parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Death {
    pub logistic_intercept: f64,
    pub logistic_slope: f64,
    pub minimum_niss: u32,
    pub major_hemorrhage_logit: f64,
    pub massive_hemorrhage_logit: f64,
    pub disease_multiplier: f64,
    pub unsurvivable_mean_minutes: f64,
    pub massive_hemorrhage_mean_minutes: f64,
    pub major_hemorrhage_mean_minutes: f64,
    pub head_injury_mean_hours: f64,
    pub other_mean_hours: f64,
    pub surgical_salvage_probability: f64,
    pub waiting_hazard_per_hour: ByTriage,
}

/// Evacuation timing.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Evacuation {
    pub poi_median_minutes: ByTriage,
    pub poi_sigma: f64,
    pub to_role1_median_minutes: ByTriage,
    pub to_role1_sigma: f64,
    pub transit_median_hours: ToRole4,
    pub transit_sigma: f64,
    pub precedence_multiplier: ByTriage,
}

/// Length of stay per facility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Stay {
    pub role1_median_hours: ByTriage,
    pub role2_median_hours: ByTriage,
    pub role3_median_hours: ByTriage,
    pub role4_median_hours: ByTriage,
    pub sigma: f64,
}

/// Return-to-duty probabilities per facility.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ReturnToDuty {
    pub role1: ByTriage,
    pub role2: ByTriage,
    pub role3: ByTriage,
    pub max_ais_role1: u32,
    pub max_ais_role2: u32,
    pub max_ais_role3: u32,
}

/// Effects of environmental conditions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ConditionEffects {
    pub evacuation_multiplier: BTreeMap<String, f64>,
    pub mechanism_multiplier: BTreeMap<String, BTreeMap<String, f64>>,
}

/// Effects of warfare types: each type's profile, keyed by type name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct WarfareEffects {
    pub mechanism_multiplier: BTreeMap<String, BTreeMap<String, f64>>,
    pub region_multiplier: BTreeMap<String, BTreeMap<String, f64>>,
    pub severity_multiplier: BTreeMap<String, f64>,
    pub extra_wound_multiplier: BTreeMap<String, f64>,
    pub mass_casualty_per_week: BTreeMap<String, f64>,
    pub injury_distribution: BTreeMap<String, CategoryPercentages>,
    pub daily_pattern: BTreeMap<String, Vec<f64>>,
}

/// A casualty mix in percent, by category.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct CategoryPercentages {
    pub disease: f64,
    pub non_battle: f64,
    pub battle: f64,
}

/// Hourly weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct DailyPattern {
    pub battle: Vec<f64>,
    pub non_battle: Vec<f64>,
}

/// Special-event parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Events {
    pub duration_minutes: BTreeMap<String, f64>,
    pub evacuation_multiplier: BTreeMap<String, f64>,
    pub default_size_share: f64,
    pub mass_casualty_min_size: u64,
}

/// Shapes of the daily battle-casualty rate by tempo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct TempoShapes {
    pub escalating_start: f64,
    pub escalating_end: f64,
    pub declining_start: f64,
    pub declining_end: f64,
    pub surge_peak: f64,
    pub surge_width: f64,
    pub intermittent_high: f64,
    pub intermittent_low: f64,
    pub intermittent_period_days: u32,
}

/// A mean and standard deviation.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct MeanSd {
    pub mean: f64,
    pub sd: f64,
}

/// A value for each class of bleeding.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ByHemorrhage {
    pub none: f64,
    pub minor: f64,
    pub major: f64,
    pub massive: f64,
}

impl ByHemorrhage {
    /// The value for a class of bleeding.
    pub fn get(&self, hemorrhage: crate::reference::Hemorrhage) -> f64 {
        use crate::reference::Hemorrhage;
        match hemorrhage {
            Hemorrhage::None => self.none,
            Hemorrhage::Minor => self.minor,
            Hemorrhage::Major => self.major,
            Hemorrhage::Massive => self.massive,
        }
    }
}

/// A value for each role of the evacuation chain.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs, non_snake_case)]
pub struct ByRole {
    pub POI: f64,
    pub Role1: f64,
    pub Role2: f64,
    pub Role3: f64,
    pub Role4: f64,
}

impl ByRole {
    /// The value for a role.
    pub fn get(&self, role: crate::scenario::Role) -> f64 {
        use crate::scenario::Role;
        match role {
            Role::Poi => self.POI,
            Role::Role1 => self.Role1,
            Role::Role2 => self.Role2,
            Role::Role3 => self.Role3,
            Role::Role4 => self.Role4,
        }
    }
}

/// Vital-sign parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct PhysiologyParameters {
    pub heart_rate: MeanSd,
    pub systolic_bp: MeanSd,
    pub respiratory_rate: MeanSd,
    pub spo2: MeanSd,
    pub temperature: MeanSd,
    pub hemorrhage_heart_rate: ByHemorrhage,
    pub hemorrhage_systolic_bp: ByHemorrhage,
    pub recovery: ByRole,
}

/// Demographic parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct Demographics {
    pub female_share: f64,
    pub branch_weights: BTreeMap<String, f64>,
    pub height_mean_cm: BySex,
    pub height_sd_cm: BySex,
    pub bmi_mean: f64,
    pub bmi_sd: f64,
    pub age_skew_exponent: f64,
    pub religion_recorded_share: f64,
}

/// Output formatting parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct OutputParameters {
    pub hour_decimals: u32,
}

/// Every parameter of the model; see `docs/model.md` for meanings and sources.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ModelParameters {
    pub mechanism_weights: MechanismWeights,
    pub battle_region_weights: BTreeMap<String, f64>,
    pub wounds: Wounds,
    pub severity: Severity,
    pub intensity: IntensityMultipliers,
    pub triage: TriageThresholds,
    pub death: Death,
    pub evacuation: Evacuation,
    pub stay: Stay,
    pub return_to_duty: ReturnToDuty,
    pub conditions: ConditionEffects,
    pub warfare: WarfareEffects,
    pub daily_pattern: DailyPattern,
    pub events: Events,
    pub demographics: Demographics,
    pub allergies: BTreeMap<String, f64>,
    pub output: OutputParameters,
    pub tempo: TempoShapes,
    pub physiology: PhysiologyParameters,
    pub forecas: ForceRates,
    pub transport: Transport,
    pub queues: Queues,
}

/// Daily casualty rates per 1,000 troops, for fronts that give their troop strength.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(missing_docs)]
pub struct ForceRates {
    pub battle_per_1000_per_day: f64,
    pub dnbi_per_1000_per_day: f64,
}

/// A problem with one parameter: its dotted key and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterError {
    /// Dotted key of the parameter.
    pub key: String,
    /// The rejected value.
    pub value: String,
    /// Description of the accepted values.
    pub expected: String,
}

impl ModelParameters {
    /// The built-in defaults.
    pub fn defaults() -> ModelParameters {
        toml::from_str(DEFAULT_MODEL_TOML).expect("the embedded model.toml is valid (checked by a test)")
    }

    /// Returns the parameters with `overrides` applied, or every problem found.
    ///
    /// A key must name an existing value (a number, whole number or list of numbers) and the new
    /// value must have the same shape. Keys of weight tables may also add an entry that exists in
    /// the reference data, such as a mechanism.
    pub fn with_overrides(&self, overrides: &BTreeMap<String, Value>) -> Result<ModelParameters, Vec<ParameterError>> {
        let mut tree = serde_json::to_value(self).expect("parameters always serialize");
        let mut errors = Vec::new();
        for (key, value) in overrides {
            if let Err(expected) = replace(&mut tree, key, value) {
                errors.push(ParameterError { key: key.clone(), value: value.to_string(), expected });
            }
        }
        // The keys that failed were not applied; the rest are checked too, so that every problem
        // is reported at once.
        let parameters: ModelParameters = match serde_json::from_value(tree) {
            Ok(parameters) => parameters,
            Err(error) => {
                // Only a whole number too large for its parameter gets here.
                return Err(vec![ParameterError {
                    key: String::new(),
                    value: format!("{} overrides", overrides.len()),
                    expected: format!("values that fit each parameter's type: {error}"),
                }])
            }
        };
        errors.extend(parameters.validate());
        if let Err(unknown) = crate::engine::check_model_against_reference(&parameters) {
            errors.extend(unknown);
        }
        if errors.is_empty() {
            Ok(parameters)
        } else {
            Err(errors)
        }
    }

    /// Checks ranges: probabilities in [0, 1], positive times and weights, known keys.
    pub fn validate(&self) -> Vec<ParameterError> {
        let mut errors = Vec::new();
        let mut check = |key: String, value: f64, ok: bool, expected: &str| {
            if !ok || !value.is_finite() {
                errors.push(ParameterError { key, value: value.to_string(), expected: expected.into() });
            }
        };
        let probability = "a probability from 0 to 1";
        let positive = "a number greater than 0";
        let weight = "a weight of 0 or more";

        for (group, table) in [
            ("battle", &self.mechanism_weights.battle),
            ("non_battle", &self.mechanism_weights.non_battle),
            ("disease", &self.mechanism_weights.disease),
        ] {
            for (name, &w) in table {
                check(format!("mechanism_weights.{group}.{name}"), w, w >= 0.0, weight);
            }
            let total: f64 = table.values().sum();
            check(format!("mechanism_weights.{group}"), total, total > 0.0, "weights with a positive sum");
        }
        for (name, &w) in &self.battle_region_weights {
            check(format!("battle_region_weights.{name}"), w, w >= 0.0, weight);
        }
        let w = &self.wounds;
        check("wounds.max_wounds".into(), w.max_wounds as f64, (1..=10).contains(&w.max_wounds), "a whole number from 1 to 10");
        for (name, p) in [
            ("extra_wound_probability_explosive", w.extra_wound_probability_explosive),
            ("extra_wound_probability_gunshot", w.extra_wound_probability_gunshot),
            ("extra_wound_probability_other_battle", w.extra_wound_probability_other_battle),
            ("extra_wound_probability_non_battle", w.extra_wound_probability_non_battle),
            ("extra_wound_probability_disease", w.extra_wound_probability_disease),
        ] {
            check(format!("wounds.{name}"), p, (0.0..=0.95).contains(&p), "a probability from 0 to 0.95");
        }
        let s = &self.severity;
        for (name, p) in [
            ("ais_step_probability", s.ais_step_probability),
            ("unsurvivable_probability_explosive", s.unsurvivable_probability_explosive),
            ("unsurvivable_probability_gunshot", s.unsurvivable_probability_gunshot),
            ("unsurvivable_head_share", s.unsurvivable_head_share),
        ] {
            check(format!("severity.{name}"), p, (0.0..=1.0).contains(&p), probability);
        }
        let i = &self.intensity;
        for (name, m) in [("low", i.low), ("medium", i.medium), ("high", i.high), ("extreme", i.extreme)] {
            check(format!("intensity.{name}"), m, m > 0.0 && m <= 2.0, "a multiplier greater than 0 and at most 2");
        }
        let d = &self.death;
        check("death.logistic_slope".into(), d.logistic_slope, d.logistic_slope >= 0.0, "a slope of 0 or more");
        check("death.logistic_intercept".into(), d.logistic_intercept, (-50.0..=50.0).contains(&d.logistic_intercept), "a number from -50 to 50");
        for (name, v) in [("major_hemorrhage_logit", d.major_hemorrhage_logit), ("massive_hemorrhage_logit", d.massive_hemorrhage_logit)] {
            check(format!("death.{name}"), v, (-20.0..=20.0).contains(&v), "a number from -20 to 20");
        }
        check("death.disease_multiplier".into(), d.disease_multiplier, (0.0..=1.0).contains(&d.disease_multiplier), probability);
        for (t, v) in d.waiting_hazard_per_hour.values() {
            check(format!("death.waiting_hazard_per_hour.{t}"), v, (0.0..=10.0).contains(&v), "a hazard per hour from 0 to 10");
        }
        check("death.surgical_salvage_probability".into(), d.surgical_salvage_probability, (0.0..=1.0).contains(&d.surgical_salvage_probability), probability);
        for (name, t) in [
            ("unsurvivable_mean_minutes", d.unsurvivable_mean_minutes),
            ("massive_hemorrhage_mean_minutes", d.massive_hemorrhage_mean_minutes),
            ("major_hemorrhage_mean_minutes", d.major_hemorrhage_mean_minutes),
            ("head_injury_mean_hours", d.head_injury_mean_hours),
            ("other_mean_hours", d.other_mean_hours),
        ] {
            check(format!("death.{name}"), t, t > 0.0, positive);
        }
        let e = &self.evacuation;
        for (name, table) in [
            ("poi_median_minutes", &e.poi_median_minutes),
            ("to_role1_median_minutes", &e.to_role1_median_minutes),
            ("precedence_multiplier", &e.precedence_multiplier),
            ("stay.role1_median_hours", &self.stay.role1_median_hours),
            ("stay.role2_median_hours", &self.stay.role2_median_hours),
            ("stay.role3_median_hours", &self.stay.role3_median_hours),
            ("stay.role4_median_hours", &self.stay.role4_median_hours),
        ] {
            let prefix = if name.starts_with("stay.") { String::new() } else { "evacuation.".into() };
            for (t, v) in table.values() {
                check(format!("{prefix}{name}.{t}"), v, v > 0.0, positive);
            }
        }
        check("evacuation.transit_median_hours.Role4".into(), e.transit_median_hours.Role4, e.transit_median_hours.Role4 > 0.0, positive);
        let t = &self.transport;
        for (name, v) in [("Role2", t.distance_km.Role2), ("Role3", t.distance_km.Role3)] {
            check(format!("transport.distance_km.{name}"), v, v > 0.0 && v <= 10_000.0, "kilometres greater than 0 and at most 10000");
        }
        for (name, v) in [("ground_speed_kmh", t.ground_speed_kmh), ("air_speed_kmh", t.air_speed_kmh)] {
            check(format!("transport.{name}"), v, v > 0.0 && v <= 1_000.0, "a speed greater than 0 and at most 1000 km/h");
        }
        for (name, v) in [("ground_dispatch_minutes", t.ground_dispatch_minutes), ("air_dispatch_minutes", t.air_dispatch_minutes)] {
            check(format!("transport.{name}"), v, (0.0..=1_440.0).contains(&v), "minutes from 0 to 1440");
        }
        for (name, v) in t.air_share.values() {
            check(format!("transport.air_share.{name}"), v, (0.0..=1.0).contains(&v), probability);
        }
        for (name, &m) in &t.air_share_multiplier {
            check(format!("transport.air_share_multiplier.{name}"), m, (0.0..=10.0).contains(&m), "a multiplier from 0 to 10");
        }
        let q = &self.queues;
        check("queues.step_minutes".into(), q.step_minutes, (1.0..=60.0).contains(&q.step_minutes), "minutes from 1 to 60");
        check("queues.pilot_patients".into(), f64::from(q.pilot_patients), (100..=100_000).contains(&q.pilot_patients), "a whole number from 100 to 100000");
        check("queues.auto_capacity_headroom".into(), q.auto_capacity_headroom, (1.0..=100.0).contains(&q.auto_capacity_headroom), "a multiplier from 1 to 100");
        for (name, v) in [("Role1", q.minimum_auto_beds.Role1), ("Role2", q.minimum_auto_beds.Role2), ("Role3", q.minimum_auto_beds.Role3)] {
            check(format!("queues.minimum_auto_beds.{name}"), v, (1.0..=1e9).contains(&v) && v.fract() == 0.0, "a whole number of beds from 1 to 1000000000");
        }
        check("queues.tail_hours".into(), f64::from(q.tail_hours), q.tail_hours <= 2_160, "hours from 0 to 2160 (90 days)");
        for (name, v) in [("evacuation.poi_sigma", e.poi_sigma), ("evacuation.to_role1_sigma", e.to_role1_sigma), ("evacuation.transit_sigma", e.transit_sigma), ("stay.sigma", self.stay.sigma)] {
            check(name.into(), v, (0.0..=2.0).contains(&v), "a sigma from 0 to 2");
        }
        for (name, v) in [("max_ais_role1", self.return_to_duty.max_ais_role1), ("max_ais_role2", self.return_to_duty.max_ais_role2), ("max_ais_role3", self.return_to_duty.max_ais_role3)] {
            check(format!("return_to_duty.{name}"), v as f64, (1..=6).contains(&v), "an AIS from 1 to 6");
        }
        for (name, table) in [("role1", &self.return_to_duty.role1), ("role2", &self.return_to_duty.role2), ("role3", &self.return_to_duty.role3)] {
            for (t, v) in table.values() {
                check(format!("return_to_duty.{name}.{t}"), v, (0.0..=1.0).contains(&v), probability);
            }
        }
        for (name, &m) in &self.conditions.evacuation_multiplier {
            check(format!("conditions.evacuation_multiplier.{name}"), m, m > 0.0 && m <= 10.0, "a multiplier greater than 0 and at most 10");
        }
        for (group, tables) in [("conditions", &self.conditions.mechanism_multiplier), ("warfare", &self.warfare.mechanism_multiplier)] {
            for (name, table) in tables {
                for (mechanism, &m) in table {
                    check(format!("{group}.mechanism_multiplier.{name}.{mechanism}"), m, (0.0..=1000.0).contains(&m), "a multiplier from 0 to 1000");
                }
            }
        }
        for (name, table) in &self.warfare.region_multiplier {
            for (region, &m) in table {
                check(format!("warfare.region_multiplier.{name}.{region}"), m, (0.0..=1000.0).contains(&m), "a multiplier from 0 to 1000");
            }
        }
        for (group, table) in [("severity_multiplier", &self.warfare.severity_multiplier), ("extra_wound_multiplier", &self.warfare.extra_wound_multiplier)] {
            for (name, &m) in table {
                check(format!("warfare.{group}.{name}"), m, (0.0..=10.0).contains(&m), "a multiplier from 0 to 10");
            }
        }
        for (name, &rate) in &self.warfare.mass_casualty_per_week {
            check(format!("warfare.mass_casualty_per_week.{name}"), rate, (0.0..=7.0).contains(&rate), "events per week from 0 to 7");
        }
        for (name, mix) in &self.warfare.injury_distribution {
            for (category, v) in [("disease", mix.disease), ("non_battle", mix.non_battle), ("battle", mix.battle)] {
                check(format!("warfare.injury_distribution.{name}.{category}"), v, (0.0..=100.0).contains(&v), "a percentage from 0 to 100");
            }
            let total = mix.disease + mix.non_battle + mix.battle;
            check(format!("warfare.injury_distribution.{name}"), total, (99.5..=100.5).contains(&total), "percentages summing to 100, within 0.5");
        }
        let patterns = [("daily_pattern.battle".to_string(), &self.daily_pattern.battle), ("daily_pattern.non_battle".to_string(), &self.daily_pattern.non_battle)]
            .into_iter()
            .chain(self.warfare.daily_pattern.iter().map(|(name, pattern)| (format!("warfare.daily_pattern.{name}"), pattern)));
        for (key, pattern) in patterns {
            let ok = pattern.len() == 24 && pattern.iter().all(|w| w.is_finite() && *w >= 0.0) && pattern.iter().sum::<f64>() > 0.0;
            if !ok {
                errors.push(ParameterError {
                    key,
                    value: format!("{pattern:?}"),
                    expected: "24 weights of 0 or more with a positive sum".into(),
                });
            }
        }
        let mut check = |key: String, value: f64, ok: bool, expected: &str| {
            if !ok || !value.is_finite() {
                errors.push(ParameterError { key, value: value.to_string(), expected: expected.into() });
            }
        };
        for (name, &m) in &self.events.evacuation_multiplier {
            check(format!("events.evacuation_multiplier.{name}"), m, m > 0.0 && m <= 10.0, "a multiplier greater than 0 and at most 10");
        }
        for (name, &m) in &self.events.duration_minutes {
            check(format!("events.duration_minutes.{name}"), m, m > 0.0 && m <= 10_080.0, "minutes greater than 0 and at most 10080 (a week)");
        }
        check("events.default_size_share".into(), self.events.default_size_share, (0.0..=1.0).contains(&self.events.default_size_share), probability);
        let dm = &self.demographics;
        check("demographics.female_share".into(), dm.female_share, dm.female_share <= 1.0, "a share from 0 to 1, or a negative number to keep each nation's share");
        for (name, &w) in &dm.branch_weights {
            check(format!("demographics.branch_weights.{name}"), w, w >= 0.0, weight);
        }
        let total: f64 = dm.branch_weights.values().sum();
        check("demographics.branch_weights".into(), total, total > 0.0, "weights with a positive sum");
        for (name, v) in [("height_mean_cm.male", dm.height_mean_cm.male), ("height_mean_cm.female", dm.height_mean_cm.female)] {
            check(format!("demographics.{name}"), v, (120.0..=220.0).contains(&v), "centimetres from 120 to 220");
        }
        for (name, v) in [("height_sd_cm.male", dm.height_sd_cm.male), ("height_sd_cm.female", dm.height_sd_cm.female), ("bmi_sd", dm.bmi_sd)] {
            check(format!("demographics.{name}"), v, (0.0..=30.0).contains(&v), "a standard deviation from 0 to 30");
        }
        check("demographics.bmi_mean".into(), dm.bmi_mean, (15.0..=40.0).contains(&dm.bmi_mean), "a body-mass index from 15 to 40");
        for (code, &p) in &self.allergies {
            check(format!("allergies.{code}"), p, (0.0..=1.0).contains(&p), probability);
        }
        check("demographics.age_skew_exponent".into(), dm.age_skew_exponent, (0.1..=10.0).contains(&dm.age_skew_exponent), "an exponent from 0.1 to 10");
        check("demographics.religion_recorded_share".into(), dm.religion_recorded_share, (0.0..=1.0).contains(&dm.religion_recorded_share), probability);
        let ph = &self.physiology;
        for (name, v) in [
            ("heart_rate", ph.heart_rate),
            ("systolic_bp", ph.systolic_bp),
            ("respiratory_rate", ph.respiratory_rate),
            ("spo2", ph.spo2),
            ("temperature", ph.temperature),
        ] {
            check(format!("physiology.{name}.mean"), v.mean, v.mean > 0.0 && v.mean <= 250.0, "a mean greater than 0 and at most 250");
            check(format!("physiology.{name}.sd"), v.sd, (0.0..=50.0).contains(&v.sd), "a standard deviation from 0 to 50");
        }
        for (name, table) in [("hemorrhage_heart_rate", ph.hemorrhage_heart_rate), ("hemorrhage_systolic_bp", ph.hemorrhage_systolic_bp)] {
            for (class, v) in [("none", table.none), ("minor", table.minor), ("major", table.major), ("massive", table.massive)] {
                check(format!("physiology.{name}.{class}"), v, (-200.0..=200.0).contains(&v), "a change from -200 to 200");
            }
        }
        let r = &ph.recovery;
        for (role, v) in [("POI", r.POI), ("Role1", r.Role1), ("Role2", r.Role2), ("Role3", r.Role3), ("Role4", r.Role4)] {
            check(format!("physiology.recovery.{role}"), v, (0.0..=1.0).contains(&v), "a share from 0 to 1");
        }
        let t = &self.tempo;
        for (name, v) in [
            ("escalating_start", t.escalating_start),
            ("escalating_end", t.escalating_end),
            ("declining_start", t.declining_start),
            ("declining_end", t.declining_end),
            ("intermittent_high", t.intermittent_high),
            ("intermittent_low", t.intermittent_low),
        ] {
            check(format!("tempo.{name}"), v, (0.0..=100.0).contains(&v), "a multiplier from 0 to 100");
        }
        check("tempo.surge_peak".into(), t.surge_peak, (0.0..=100.0).contains(&t.surge_peak), "a multiplier from 0 to 100");
        check("tempo.surge_width".into(), t.surge_width, t.surge_width > 0.0 && t.surge_width <= 10.0, "a width greater than 0 and at most 10");
        check("tempo.intermittent_period_days".into(), t.intermittent_period_days as f64, (1..=365).contains(&t.intermittent_period_days), "a whole number of days from 1 to 365");
        for (name, v) in [("battle_per_1000_per_day", self.forecas.battle_per_1000_per_day), ("dnbi_per_1000_per_day", self.forecas.dnbi_per_1000_per_day)] {
            check(format!("forecas.{name}"), v, (0.0..=1000.0).contains(&v), "casualties per 1,000 troops per day, from 0 to 1000");
        }
        check("output.hour_decimals".into(), self.output.hour_decimals as f64, self.output.hour_decimals <= 6, "a whole number from 0 to 6");
        errors
    }

    /// Every dotted key of a leaf value, for documentation checks.
    pub fn keys(&self) -> Vec<String> {
        let tree = serde_json::to_value(self).expect("parameters always serialize");
        let mut keys = Vec::new();
        collect_keys(&tree, String::new(), &mut keys);
        keys
    }
}

fn collect_keys(value: &Value, prefix: String, keys: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
                collect_keys(child, path, keys);
            }
        }
        _ => keys.push(prefix),
    }
}

/// Tables whose entries a scenario may add to, not only change: `*` stands for any one key.
const OPEN_TABLES: &[&str] = &[
    "mechanism_weights.battle",
    "mechanism_weights.non_battle",
    "mechanism_weights.disease",
    "battle_region_weights",
    "conditions.evacuation_multiplier",
    "conditions.mechanism_multiplier.*",
    "transport.air_share_multiplier",
    "warfare.mechanism_multiplier.*",
    "warfare.region_multiplier.*",
    "demographics.branch_weights",
    "allergies",
];

/// Replaces the value at a dotted key, or returns what is accepted there.
fn replace(tree: &mut Value, key: &str, value: &Value) -> Result<(), String> {
    let parts: Vec<&str> = key.split('.').collect();
    let mut node = tree;
    for (depth, part) in parts.iter().enumerate() {
        let last = depth + 1 == parts.len();
        let Value::Object(map) = node else {
            return Err("a dotted key of a model parameter listed in docs/model.md".into());
        };
        if !map.contains_key(*part) {
            // Weight and multiplier tables accept new entries; their names are checked against
            // the reference data when the scenario is validated.
            let parent = parts[..depth].join(".");
            let table_of_weights = last && OPEN_TABLES.iter().any(|t| *t == parent || (t.ends_with(".*") && parent.starts_with(&t[..t.len() - 1]) && parent.matches('.').count() == t.matches('.').count()));
            if table_of_weights && value.is_number() {
                map.insert((*part).to_string(), value.clone());
                return Ok(());
            }
            let known: Vec<&str> = map.keys().map(String::as_str).collect();
            return Err(format!("a model parameter listed in docs/model.md; `{part}` is unknown here, known: {}", known.join(", ")));
        }
        node = map.get_mut(*part).expect("checked above");
        if last {
            let same_shape = match (&*node, value) {
                // A whole-number parameter (a count or a threshold) takes only whole numbers.
                (Value::Number(old), Value::Number(new)) if old.is_u64() => new.is_u64(),
                (Value::Number(_), Value::Number(_)) => true,
                (Value::Array(old), Value::Array(new)) => old.len() == new.len() && new.iter().all(Value::is_number),
                _ => false,
            };
            if !same_shape {
                return Err(match &*node {
                    Value::Number(n) if n.is_u64() => "a whole number of 0 or more".into(),
                    Value::Number(_) => "a number".into(),
                    Value::Array(old) => format!("a list of {} numbers", old.len()),
                    _ => "a single parameter, not a group; name one of its keys".into(),
                });
            }
            *node = value.clone();
        }
    }
    Ok(())
}
