//! The casualty record: the public output shape, published as `docs/record.schema.json`.
//!
//! These types exist only to be serialized; deriving `Serialize` here is a compatibility promise.
//! Field names that existing timeline viewers read (`id`, `nationality`, `gender`, `injury_type`,
//! `triage_category`, `front`, `final_status`, `last_facility`, `injury_timestamp`,
//! `movement_timeline` with `event_type`, `facility`, `timestamp`, `hours_since_injury`) must not
//! change.

use serde::Serialize;

use crate::scenario::{Category, Role};
use crate::time::Timestamp;

/// Triage category, from severity and physiology.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Triage {
    /// Immediate: life-saving intervention needed now.
    T1,
    /// Delayed: serious but stable.
    T2,
    /// Minimal: walking wounded.
    T3,
    /// Expectant: unsurvivable with the care available.
    T4,
}

impl Triage {
    /// All categories in order.
    pub const ALL: [Triage; 4] = [Triage::T1, Triage::T2, Triage::T3, Triage::T4];

    /// The name, such as `T1`.
    pub fn as_str(self) -> &'static str {
        match self {
            Triage::T1 => "T1",
            Triage::T2 => "T2",
            Triage::T3 => "T3",
            Triage::T4 => "T4",
        }
    }

    /// Position in [`Triage::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Outcome of a casualty, or the status at the end of the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum FinalStatus {
    /// Killed in action: died of battle injury before reaching a medical treatment facility.
    #[serde(rename = "KIA")]
    Kia,
    /// Died of wounds: died of battle injury after reaching a medical treatment facility.
    #[serde(rename = "DOW")]
    Dow,
    /// Died of disease or non-battle injury, anywhere.
    #[serde(rename = "DNBI_death")]
    DnbiDeath,
    /// Returned to duty.
    #[serde(rename = "RTD")]
    Rtd,
    /// Evacuated to and remaining at Role 4 (definitive care in the home nation).
    #[serde(rename = "Remains_Role4")]
    RemainsRole4,
}

impl FinalStatus {
    /// All statuses in order.
    pub const ALL: [FinalStatus; 5] = [FinalStatus::Kia, FinalStatus::Dow, FinalStatus::DnbiDeath, FinalStatus::Rtd, FinalStatus::RemainsRole4];

    /// The record spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FinalStatus::Kia => "KIA",
            FinalStatus::Dow => "DOW",
            FinalStatus::DnbiDeath => "DNBI_death",
            FinalStatus::Rtd => "RTD",
            FinalStatus::RemainsRole4 => "Remains_Role4",
        }
    }

    /// Position in [`FinalStatus::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Whether the casualty died.
    pub fn is_death(self) -> bool {
        matches!(self, FinalStatus::Kia | FinalStatus::Dow | FinalStatus::DnbiDeath)
    }
}

/// Kinds of timeline event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventType {
    /// The injury or onset of illness, at the point of injury.
    Injury,
    /// The evacuation asset picks the casualty up at the point of injury.
    EvacuationStart,
    /// Arrival at a facility.
    Arrival,
    /// Departure from a facility towards the next one.
    TransitStart,
    /// Killed in action.
    Kia,
    /// Died of wounds.
    Dow,
    /// Death from disease or non-battle injury.
    DnbiDeath,
    /// Returned to duty.
    Rtd,
    /// Remains at Role 4.
    RemainsRole4,
}

/// A coded concept as written in records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Coded<'a> {
    /// SNOMED CT or LOINC code.
    pub code: &'a str,
    /// Display term.
    pub display: &'a str,
}

/// A person's name.
#[derive(Debug, Clone, Serialize)]
pub struct PersonName<'a> {
    /// Given name in the nation's spelling.
    pub given: &'a str,
    /// Family name in the nation's spelling.
    pub family: &'a str,
    /// Latin transliteration of the given name, for Greek and Cyrillic names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_latin: Option<&'a str>,
    /// Latin transliteration of the family name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_latin: Option<&'a str>,
}

/// Service details.
#[derive(Debug, Clone, Serialize)]
pub struct Service<'a> {
    /// Branch: army, navy, air_force, marines or medical.
    pub branch: &'a str,
    /// NATO rank code (STANAG 2116), such as `OR-4`.
    pub rank: &'a str,
    /// Generic English rank title for the branch.
    pub rank_title: &'a str,
    /// Synthetic unit name.
    pub unit: String,
    /// Synthetic service number.
    pub service_number: String,
}

/// ABO and RhD blood group.
#[derive(Debug, Clone, Serialize)]
pub struct BloodGroup<'a> {
    /// ABO group: O, A, B or AB.
    pub abo: &'a str,
    /// RhD: positive or negative.
    pub rh: &'a str,
    /// SNOMED CT code of the combined group.
    pub code: &'a str,
    /// Display term.
    pub display: &'a str,
}

/// Mechanism of injury or disease group.
#[derive(Debug, Clone, Serialize)]
pub struct MechanismRecord<'a> {
    /// Identifier, such as `explosive`.
    pub id: &'a str,
    /// Display name.
    pub display: &'a str,
    /// SNOMED CT event code, where one exists.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<&'a str>,
}

/// One diagnosis with where it sits and how severe it is.
#[derive(Debug, Clone, Serialize)]
pub struct Injury<'a> {
    /// SNOMED CT code of the diagnosis.
    pub code: &'a str,
    /// Display term.
    pub display: &'a str,
    /// Body region, such as `lower_limb`.
    pub body_region: &'a str,
    /// SNOMED CT body structure, if the region has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_site: Option<Coded<'a>>,
    /// Side, for limbs and eyes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub laterality: Option<Coded<'a>>,
    /// Abbreviated Injury Scale, 1 (minor) to 6 (unsurvivable); for diseases, the same scale of severity.
    pub ais: u8,
    /// Bleeding.
    pub hemorrhage: crate::reference::Hemorrhage,
}

/// One event of the movement timeline.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEvent {
    /// What happened.
    pub event_type: EventType,
    /// Facility where it happened.
    pub facility: Role,
    /// When.
    pub timestamp: Timestamp,
    /// Hours since injury, rounded to the model's `output.hour_decimals`.
    pub hours_since_injury: f64,
}

/// A procedure or medication given.
#[derive(Debug, Clone, Serialize)]
pub struct CareItem<'a> {
    /// SNOMED CT code.
    pub code: &'a str,
    /// Display term.
    pub display: &'a str,
    /// Facility where it was given.
    pub facility: Role,
    /// When.
    pub timestamp: Timestamp,
}

/// One set of vital signs. LOINC codes: heart rate 8867-4, systolic pressure 8480-6, respiratory
/// rate 9279-1, SpO2 2708-6, GCS total 9269-2, body temperature 8310-5.
#[derive(Debug, Clone, Serialize)]
pub struct VitalSigns {
    /// When they were taken.
    pub timestamp: Timestamp,
    /// Where.
    pub facility: Role,
    /// Beats per minute.
    pub heart_rate: u16,
    /// Systolic blood pressure, mmHg.
    pub systolic_bp: u16,
    /// Breaths per minute.
    pub respiratory_rate: u16,
    /// Oxygen saturation, percent.
    pub spo2: u8,
    /// Glasgow Coma Scale total, 3 to 15.
    pub gcs: u8,
    /// Body temperature, degrees Celsius, one decimal.
    pub temperature: f64,
}

/// One generated casualty.
#[derive(Debug, Clone, Serialize)]
pub struct Patient<'a> {
    /// Deterministic UUID (version 5) from the scenario hash, seed and sequence.
    pub id: uuid::Uuid,
    /// Position in the run, from 0.
    pub sequence: u64,
    /// Name.
    pub name: PersonName<'a>,
    /// ISO 3166-1 alpha-3 code.
    pub nationality: &'a str,
    /// `male` or `female`.
    pub gender: &'a str,
    /// Age in whole years at injury.
    pub age: u32,
    /// Date of birth, `YYYY-MM-DD`.
    pub date_of_birth: String,
    /// Service details.
    pub service: Service<'a>,
    /// Blood group.
    pub blood_group: BloodGroup<'a>,
    /// Height in centimetres.
    pub height_cm: f64,
    /// Weight in kilograms.
    pub weight_kg: f64,
    /// Known allergies, as SNOMED CT substances.
    pub allergies: Vec<Coded<'a>>,
    /// Religious affiliation (HL7 v3 ReligiousAffiliation code), when recorded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub religion: Option<Coded<'a>>,
    /// Front id.
    pub front: &'a str,
    /// Disease, Non-Battle Injury or Battle Injury.
    pub injury_type: Category,
    /// Mechanism of injury or disease group.
    pub mechanism: MechanismRecord<'a>,
    /// Special event this casualty belongs to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<String>,
    /// Whether the casualty is part of a mass-casualty incident.
    pub mass_casualty: bool,
    /// Diagnoses, the primary first.
    pub injuries: Vec<Injury<'a>>,
    /// Injury Severity Score.
    pub iss: u16,
    /// New Injury Severity Score.
    pub niss: u16,
    /// Triage category at the point of injury.
    pub triage_category: Triage,
    /// Time of injury or onset.
    pub injury_timestamp: Timestamp,
    /// Movement through the evacuation chain, in time order.
    pub movement_timeline: Vec<TimelineEvent>,
    /// Procedures, in time order.
    pub treatments: Vec<CareItem<'a>>,
    /// Medications, in time order.
    pub medications: Vec<CareItem<'a>>,
    /// Vital signs, in time order.
    pub vital_signs: Vec<VitalSigns>,
    /// Outcome.
    pub final_status: FinalStatus,
    /// Last facility reached (`POI` if none).
    pub last_facility: Role,
    /// Time of the outcome: death, return to duty or arrival at Role 4.
    pub outcome_timestamp: Timestamp,
}
