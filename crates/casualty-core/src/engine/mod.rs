//! The generation engine: turns a scenario and a patient index into one coherent record.
//!
//! [`Generator::new`] does all the work that does not depend on the patient (the schedule,
//! weight tables with the scenario's warfare types and conditions applied), so
//! [`Generator::patient`] is a pure function of the index that any thread can call. Each patient
//! is built in causal order: category and time, mechanism, diagnoses, severity and triage, the
//! course through the evacuation chain with its outcome, then treatments and vital signs along
//! that course, and the person who was hurt.

mod course;
mod injury;
mod person;
mod queue;

use std::collections::BTreeMap;

use crate::model::{ModelParameters, ParameterError};
use crate::random::{Cumulative, Stream};
use crate::record::Patient;
use crate::reference::ReferenceData;
use crate::scenario::{Category, Role, Scenario};
use crate::schedule::Schedule;
use crate::time::Timestamp;

/// Name of the generator, recorded in output metadata.
pub const GENERATOR_NAME: &str = "casualty";
/// Version of the generator; output is a pure function of scenario, seed and this version.
pub const GENERATOR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Namespace of patient ids (UUID version 5 of the DNS name `casualty.generator`).
fn id_namespace() -> uuid::Uuid {
    uuid::Uuid::new_v5(&uuid::Uuid::NAMESPACE_DNS, b"casualty.generator")
}

/// Precomputed tables for one scenario.
pub struct Generator<'a> {
    pub(crate) scenario: &'a Scenario,
    pub(crate) model: &'a ModelParameters,
    pub(crate) reference: &'static ReferenceData,
    pub(crate) schedule: Schedule,
    run_namespace: uuid::Uuid,
    pub(crate) fronts: Cumulative,
    pub(crate) front_nations: Vec<(Cumulative, Vec<&'static crate::reference::Nation>)>,
    pub(crate) tables: injury::Tables,
    pub(crate) people: person::Tables,
    pub(crate) evacuation_multiplier: f64,
    pub(crate) intensity: f64,
    /// Multiplier of the AIS step probability of battle wounds from the warfare types.
    pub(crate) warfare_severity: f64,
    /// Multiplier of the further-wound probabilities of battle casualties from the warfare types.
    pub(crate) warfare_extra_wounds: f64,
    /// Share of casualties flown on the tactical legs, by triage, after the conditions.
    pub(crate) air_share: crate::model::ByTriage,
    /// Kilometres from Role 1 to Role 2 and from Role 2 to Role 3, by front.
    pub(crate) distances: Vec<(f64, f64)>,
    /// Waits for a bed; `None` only while the queues themselves are being computed.
    queues: Option<queue::Queues>,
    /// The front of each special event, by position.
    event_fronts: Vec<usize>,
}

impl<'a> Generator<'a> {
    /// Prepares generation for a validated scenario.
    pub fn new(scenario: &'a Scenario) -> Generator<'a> {
        let reference = ReferenceData::get();
        let model = &scenario.model;
        let schedule = Schedule::new(scenario);
        let run_namespace = uuid::Uuid::new_v5(&id_namespace(), format!("{}:{}", scenario.sha256(), scenario.seed).as_bytes());
        let fronts = Cumulative::new(scenario.fronts.iter().map(|f| f.casualty_rate));
        let front_nations = scenario
            .fronts
            .iter()
            .map(|front| {
                let nations = front
                    .nationality_distribution
                    .iter()
                    .map(|share| reference.nation(&share.nationality_code).expect("validated nation"))
                    .collect();
                (Cumulative::new(front.nationality_distribution.iter().map(|n| n.percentage)), nations)
            })
            .collect();
        let evacuation_multiplier = scenario
            .environmental_conditions
            .iter()
            .map(|c| model.conditions.evacuation_multiplier.get(c.as_str()).copied().unwrap_or(1.0))
            .product();
        let intensity = match scenario.intensity {
            crate::scenario::Intensity::Low => model.intensity.low,
            crate::scenario::Intensity::Medium => model.intensity.medium,
            crate::scenario::Intensity::High => model.intensity.high,
            crate::scenario::Intensity::Extreme => model.intensity.extreme,
        };
        let air_multiplier: f64 = scenario
            .environmental_conditions
            .iter()
            .map(|c| model.transport.air_share_multiplier.get(c.as_str()).copied().unwrap_or(1.0))
            .product();
        let share = |p: f64| (p * air_multiplier).clamp(0.0, 1.0);
        let a = &model.transport.air_share;
        let air_share = crate::model::ByTriage { T1: share(a.T1), T2: share(a.T2), T3: share(a.T3), T4: share(a.T4) };
        let default_km = model.transport.distance_km;
        let distances = scenario.fronts.iter().map(|f| (f.distance_km.role2.unwrap_or(default_km.Role2), f.distance_km.role3.unwrap_or(default_km.Role3))).collect();
        let mut generator = Generator {
            scenario,
            model,
            reference,
            schedule,
            run_namespace,
            fronts,
            front_nations,
            tables: injury::Tables::new(scenario, reference),
            people: person::Tables::new(model, reference),
            evacuation_multiplier,
            intensity,
            warfare_severity: scenario.warfare_mean(|kind| model.warfare.severity_multiplier.get(kind).copied()),
            warfare_extra_wounds: scenario.warfare_mean(|kind| model.warfare.extra_wound_multiplier.get(kind).copied()),
            air_share,
            distances,
            queues: None,
            event_fronts: scenario.special_events.iter().map(|e| scenario.fronts.iter().position(|f| f.id == e.front).expect("validated event front")).collect(),
        };
        generator.queues = Some(queue::Queues::new(&generator));
        generator
    }

    /// Beds of each facility of `role` (Role 1 to Role 3): one entry per front for Role 1 and
    /// Role 2, one for the theatre's Role 3. The scenario's capacity, or the size the generator
    /// chose for the expected load.
    pub fn beds(&self, role: Role) -> Vec<u32> {
        self.queues.as_ref().map(|q| q.beds(role)).unwrap_or_default()
    }

    /// The scenario being generated.
    pub fn scenario(&self) -> &Scenario {
        self.scenario
    }

    /// The schedule of the run.
    pub fn schedule(&self) -> &Schedule {
        &self.schedule
    }

    /// Returns the id of the patient at `index` without generating the record: the UUID v5 of the
    /// index in the run's namespace.
    pub fn patient_id(&self, index: u64) -> uuid::Uuid {
        uuid::Uuid::new_v5(&self.run_namespace, &index.to_be_bytes())
    }

    /// Generates patient `index` (0 to count - 1).
    pub fn patient(&self, index: u64) -> Patient<'_> {
        let mut rng = Stream::new(self.scenario.seed, index);

        // 1. Category and time, from the schedule.
        let (segment, position) = self.schedule.locate(index);
        let offset = (position as f64 + rng.uniform()) / segment.count as f64 * segment.duration as f64;
        let injury_time = self.scenario.base_time + segment.start + offset as i64;
        let category_table = Cumulative::new(segment.category_shares);
        let category = Category::ALL[rng.pick(&category_table)];
        let event = segment.event.map(|i| (i, &self.scenario.special_events[i]));

        // The draw is taken for event casualties too, so that the later draws do not shift.
        let drawn_front = rng.pick(&self.fronts);
        let front_index = match event {
            Some((i, _)) => self.event_fronts[i],
            None => drawn_front,
        };
        let front = &self.scenario.fronts[front_index];
        let (nation_table, nations) = &self.front_nations[front_index];
        let nation = nations[rng.pick(nation_table)];

        // 2-4. Mechanism, diagnoses, severity, physiology and triage.
        let mass_casualty = event.is_some_and(|(_, e)| e.size >= self.model.events.mass_casualty_min_size);
        let injuries = self.tables.injure(self, category, mass_casualty, &mut rng);

        // 5-6. Course through the evacuation chain, outcome, treatments and vital signs. Known
        // allergies are drawn first because they decide which medications can be given.
        let allergies = self.people.allergies(&mut rng);
        // A special event saturates the evacuation assets, so its casualties wait and travel
        // longer.
        let event_evacuation = event.and_then(|(_, e)| self.model.events.evacuation_multiplier.get(e.kind.as_str()).copied()).unwrap_or(1.0);
        let offset = (injury_time - self.scenario.base_time) as f64;
        let queues = self.queues.as_ref();
        let triage = injuries.triage;
        let waits = |role: Role, hours: f64| queues.map_or(0.0, |q| q.wait_hours(front_index, role, triage, offset + hours * 3600.0));
        let course = course::run(self, category, &injuries, &allergies, injury_time, event_evacuation, front_index, &waits, &mut rng);

        // 7. The person.
        let person = self.people.person(self, nation, allergies, injury_time, &mut rng);

        let id = self.patient_id(index);
        let mechanism = &self.reference.mechanisms[injuries.mechanism];
        Patient {
            id,
            sequence: index,
            name: person.name,
            nationality: &nation.iso3,
            gender: person.gender,
            age: person.age,
            date_of_birth: person.date_of_birth,
            service: person.service,
            blood_group: person.blood_group,
            height_cm: person.height_cm,
            weight_kg: person.weight_kg,
            allergies: person.allergies,
            religion: person.religion,
            front: &front.id,
            injury_type: category,
            mechanism: crate::record::MechanismRecord {
                id: &mechanism.id,
                display: &mechanism.display,
                code: mechanism.event_code.as_deref(),
            },
            event_id: event.map(|(i, e)| format!("EVT-{:03}-{}", i + 1, e.kind.as_str())),
            mass_casualty,
            injuries: injuries.records,
            iss: injuries.iss,
            niss: injuries.niss,
            triage_category: injuries.triage,
            injury_timestamp: Timestamp(injury_time),
            movement_timeline: course.timeline,
            treatments: course.treatments,
            medications: course.medications,
            vital_signs: course.vital_signs,
            final_status: course.final_status,
            last_facility: course.last_facility,
            outcome_timestamp: Timestamp(course.outcome_time),
        }
    }
}

/// Checks that the model's named entries (mechanisms, regions, substances, branches) exist in the
/// reference data.
///
/// # Errors
/// Every parameter that names something unknown, each with the unknown name as its value.
pub fn check_model_against_reference(model: &ModelParameters) -> Result<(), Vec<ParameterError>> {
    let reference = ReferenceData::get();
    let mut errors = Vec::new();
    let mut unknown = |key: String, name: &str, expected: String| errors.push(ParameterError { key, value: format!("\"{name}\""), expected });
    for (group, category, table) in [
        ("battle", Category::BattleInjury, &model.mechanism_weights.battle),
        ("non_battle", Category::NonBattleInjury, &model.mechanism_weights.non_battle),
        ("disease", Category::Disease, &model.mechanism_weights.disease),
    ] {
        let known: Vec<&str> = reference.mechanisms_of(category).map(|(_, m)| m.id.as_str()).collect();
        for name in table.keys() {
            if !known.contains(&name.as_str()) {
                unknown(format!("mechanism_weights.{group}.{name}"), name, format!("a {group} mechanism: {}", known.join(", ")));
            }
        }
    }
    let regions: Vec<&str> = ["head", "face", "eye", "neck", "thorax", "abdomen", "pelvis", "spine", "upper_limb", "lower_limb"].to_vec();
    for name in model.battle_region_weights.keys() {
        if !regions.contains(&name.as_str()) {
            unknown(format!("battle_region_weights.{name}"), name, format!("a wound region: {}", regions.join(", ")));
        }
    }
    for (name, table) in &model.warfare.region_multiplier {
        for region in table.keys() {
            if !regions.contains(&region.as_str()) {
                unknown(format!("warfare.region_multiplier.{name}.{region}"), region, format!("a wound region: {}", regions.join(", ")));
            }
        }
    }
    let mechanism_names: Vec<&str> = reference.mechanisms.iter().map(|m| m.id.as_str()).collect();
    for (group, tables) in [("conditions", &model.conditions.mechanism_multiplier), ("warfare", &model.warfare.mechanism_multiplier)] {
        for (name, table) in tables {
            for mechanism in table.keys() {
                if !mechanism_names.contains(&mechanism.as_str()) {
                    unknown(format!("{group}.mechanism_multiplier.{name}.{mechanism}"), mechanism, format!("a mechanism: {}", mechanism_names.join(", ")));
                }
            }
        }
    }
    for code in model.allergies.keys() {
        if !reference.terms.contains_key(code) {
            unknown(format!("allergies.{code}"), code, "a SNOMED CT substance code from the terminology table".into());
        }
    }
    let branches: Vec<&str> = reference.units.iter().map(|u| u.branch.as_str()).collect();
    for branch in model.demographics.branch_weights.keys() {
        if !branches.contains(&branch.as_str()) {
            unknown(format!("demographics.branch_weights.{branch}"), branch, "a branch: army, navy, air_force, marines, medical".into());
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// Weights of a named table in reference order, with missing names as zero.
pub(crate) fn weights_in_order<'n>(names: impl Iterator<Item = &'n str>, table: &BTreeMap<String, f64>) -> Vec<f64> {
    names.map(|n| table.get(n).copied().unwrap_or(0.0)).collect()
}
