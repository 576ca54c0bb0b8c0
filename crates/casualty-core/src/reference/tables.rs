//! The table types and their loading from the embedded CSV files.

use std::collections::BTreeMap;

use serde::Serialize;

use super::names::NameLists;
use super::{parse_role_name, ReferenceData};
use crate::scenario::{Category, Role};

/// A coded concept: SNOMED CT or LOINC code with its one display term.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Term {
    /// Code system URI.
    #[serde(skip)]
    pub system: String,
    /// The code.
    pub code: String,
    /// The display term.
    pub display: String,
}

/// Injury Severity Score body regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[allow(missing_docs)]
pub enum IssRegion {
    HeadNeck,
    Face,
    Chest,
    Abdomen,
    Extremities,
    External,
}

/// A body region.
#[derive(Debug, Clone)]
pub struct Region {
    /// Identifier, such as `lower_limb`.
    pub id: String,
    /// SNOMED CT body structure, if the region has one.
    pub body_site: Option<String>,
    /// ISS region for scoring.
    pub iss_region: IssRegion,
    /// Whether a side is recorded.
    pub lateral: bool,
}

/// A mechanism of injury or group of disease.
#[derive(Debug, Clone)]
pub struct Mechanism {
    /// Identifier, such as `explosive`.
    pub id: String,
    /// Category it belongs to.
    pub category: Category,
    /// Display name.
    pub display: String,
    /// SNOMED CT event code, if any.
    pub event_code: Option<String>,
    /// Whether the wound region is drawn from the battle region weights first.
    pub region_first: bool,
}

/// Bleeding at the highest AIS of a diagnosis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Hemorrhage {
    None,
    Minor,
    Major,
    Massive,
}

/// A set of clinical feature tags as a bit set.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tags(pub u64);

impl Tags {
    /// Whether every bit of `other` is set.
    pub fn contains(self, other: Tags) -> bool {
        other.0 != 0 && self.0 & other.0 == other.0
    }

    /// Adds `other`.
    pub fn insert(&mut self, other: Tags) {
        self.0 |= other.0;
    }
}

/// A diagnosis a mechanism can cause.
#[derive(Debug, Clone)]
pub struct ConditionRow {
    /// Indexes into [`ReferenceData::mechanisms`].
    pub mechanisms: Vec<usize>,
    /// Index into [`ReferenceData::regions`].
    pub region: usize,
    /// SNOMED CT code.
    pub code: String,
    /// Relative weight.
    pub weight: f64,
    /// Lowest AIS.
    pub ais_min: u8,
    /// Highest AIS.
    pub ais_max: u8,
    /// Bleeding at the highest AIS.
    pub hemorrhage: Hemorrhage,
    /// Clinical features.
    pub tags: Tags,
}

/// A procedure and when it is given.
#[derive(Debug, Clone)]
pub struct TreatmentRow {
    /// SNOMED CT code.
    pub code: String,
    /// First role that performs it.
    pub first_role: Role,
    /// Last role that performs it.
    pub last_role: Role,
    /// Feature that calls for it.
    pub tag: Tags,
    /// Probability of being given.
    pub probability: f64,
}

/// A medication and when it is given.
#[derive(Debug, Clone)]
pub struct MedicationRow {
    /// SNOMED CT substance code.
    pub code: String,
    /// First role that gives it.
    pub first_role: Role,
    /// Last role that gives it.
    pub last_role: Role,
    /// Feature that calls for it.
    pub tag: Tags,
    /// Substance given instead to a casualty allergic to `code`.
    pub alternative: Option<String>,
    /// Probability of being given.
    pub probability: f64,
}

/// A NATO rank.
#[derive(Debug, Clone)]
pub struct Rank {
    /// STANAG 2116 code, such as `OR-4`.
    pub code: String,
    /// Titles for army (and marines and medical), navy and air force.
    pub titles: [String; 3],
    /// Share of casualties, percent.
    pub share: f64,
    /// Youngest typical age.
    pub min_age: u32,
    /// Oldest typical age.
    pub max_age: u32,
}

/// A unit type of a branch.
#[derive(Debug, Clone)]
pub struct UnitType {
    /// Branch id, as in the model's branch weights.
    pub branch: String,
    /// Type, such as `Infantry`.
    pub unit_type: String,
    /// Formation, such as `Battalion`.
    pub formation: String,
    /// Relative weight within the branch.
    pub weight: f64,
}

/// Blood groups in the column order of nations.csv.
pub const BLOOD_GROUPS: [(&str, &str, &str); 8] = [
    ("O", "positive", "278147001"),
    ("O", "negative", "278148006"),
    ("A", "positive", "278149003"),
    ("A", "negative", "278152006"),
    ("B", "positive", "278150003"),
    ("B", "negative", "278153001"),
    ("AB", "positive", "278151004"),
    ("AB", "negative", "278154007"),
];

/// A NATO nation.
#[derive(Debug, Clone)]
pub struct Nation {
    /// ISO 3166-1 alpha-3 code.
    pub iso3: String,
    /// English short name.
    pub name: String,
    /// Share of women in its armed forces.
    pub female_share: f64,
    /// Blood group percentages in [`BLOOD_GROUPS`] order.
    pub blood: [f64; 8],
    /// Pattern of service numbers: `#` a digit, `A` a letter, anything else literal.
    pub service_number_pattern: String,
    /// Given and family names.
    pub names: NameLists,
    /// HL7 v3 religious affiliation codes with relative weights.
    pub religions: Vec<(String, f64)>,
}

/// Reads a CSV table that starts with `#` comment lines.
pub(crate) fn read_table(file: &str, text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::ReaderBuilder::new().comment(Some(b'#')).from_reader(text.as_bytes());
    let headers = reader.headers().unwrap_or_else(|e| panic!("{file}: bad header: {e}")).clone();
    reader
        .records()
        .enumerate()
        .map(|(i, record)| {
            let record = record.unwrap_or_else(|e| panic!("{file}: row {}: {e}", i + 1));
            headers.iter().zip(record.iter()).map(|(h, v)| (h.to_string(), v.trim().to_string())).collect()
        })
        .collect()
}

fn field<'a>(file: &str, row: &'a BTreeMap<String, String>, name: &str) -> &'a str {
    row.get(name).map(String::as_str).unwrap_or_else(|| panic!("{file}: missing column {name}"))
}

fn number<T: std::str::FromStr>(file: &str, row: &BTreeMap<String, String>, name: &str) -> T {
    let text = field(file, row, name);
    text.parse().unwrap_or_else(|_| panic!("{file}: column {name}: `{text}` is not a number"))
}

fn role(file: &str, row: &BTreeMap<String, String>, name: &str) -> Role {
    let text = field(file, row, name);
    parse_role_name(text).unwrap_or_else(|| panic!("{file}: column {name}: unknown role `{text}`"))
}

struct TagInterner {
    names: Vec<String>,
}

impl TagInterner {
    fn tags(&mut self, file: &str, list: &str) -> Tags {
        let mut tags = Tags::default();
        for name in list.split('|').map(str::trim).filter(|s| !s.is_empty()) {
            let bit = match self.names.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    self.names.push(name.to_string());
                    self.names.len() - 1
                }
            };
            assert!(bit < 64, "{file}: more than 64 distinct tags");
            tags.insert(Tags(1 << bit));
        }
        tags
    }
}

/// Tags the engine derives from physiology rather than from diagnoses.
pub const DERIVED_TAGS: [&str; 6] = ["shock", "airway_compromise", "hypoxia", "bleeding", "tourniquet", "pain"];

pub(crate) fn load() -> ReferenceData {
    let mut terms = BTreeMap::new();
    for row in read_table("terminology.csv", include_str!("../../data/terminology.csv")) {
        let code = field("terminology.csv", &row, "code").to_string();
        let term = Term {
            system: field("terminology.csv", &row, "system").to_string(),
            code: code.clone(),
            display: field("terminology.csv", &row, "display").to_string(),
        };
        let previous = terms.insert(code.clone(), term);
        assert!(previous.is_none(), "terminology.csv: code {code} appears twice");
    }
    let check_code = |file: &str, code: &str| {
        assert!(terms.contains_key(code), "{file}: code {code} is not in terminology.csv");
    };

    let regions: Vec<Region> = read_table("regions.csv", include_str!("../../data/regions.csv"))
        .iter()
        .map(|row| {
            let site = field("regions.csv", row, "body_site");
            if !site.is_empty() {
                check_code("regions.csv", site);
            }
            Region {
                id: field("regions.csv", row, "region").to_string(),
                body_site: (!site.is_empty()).then(|| site.to_string()),
                iss_region: match field("regions.csv", row, "iss_region") {
                    "head_neck" => IssRegion::HeadNeck,
                    "face" => IssRegion::Face,
                    "chest" => IssRegion::Chest,
                    "abdomen" => IssRegion::Abdomen,
                    "extremities" => IssRegion::Extremities,
                    "external" => IssRegion::External,
                    other => panic!("regions.csv: unknown iss_region {other}"),
                },
                lateral: field("regions.csv", row, "lateral") == "1",
            }
        })
        .collect();

    let mechanisms: Vec<Mechanism> = read_table("mechanisms.csv", include_str!("../../data/mechanisms.csv"))
        .iter()
        .map(|row| {
            let event = field("mechanisms.csv", row, "event_code");
            if !event.is_empty() {
                check_code("mechanisms.csv", event);
            }
            Mechanism {
                id: field("mechanisms.csv", row, "mechanism").to_string(),
                category: match field("mechanisms.csv", row, "category") {
                    "battle" => Category::BattleInjury,
                    "non_battle" => Category::NonBattleInjury,
                    "disease" => Category::Disease,
                    other => panic!("mechanisms.csv: unknown category {other}"),
                },
                display: field("mechanisms.csv", row, "display").to_string(),
                event_code: (!event.is_empty()).then(|| event.to_string()),
                region_first: match field("mechanisms.csv", row, "region_from") {
                    "battle_region_weights" => true,
                    "conditions" => false,
                    other => panic!("mechanisms.csv: unknown region_from {other}"),
                },
            }
        })
        .collect();

    let mut interner = TagInterner { names: DERIVED_TAGS.iter().map(|s| s.to_string()).collect() };
    let conditions: Vec<ConditionRow> = read_table("conditions.csv", include_str!("../../data/conditions.csv"))
        .iter()
        .map(|row| {
            let file = "conditions.csv";
            let code = field(file, row, "code");
            check_code(file, code);
            let region_id = field(file, row, "region");
            let condition = ConditionRow {
                mechanisms: field(file, row, "mechanisms")
                    .split('|')
                    .map(|m| mechanisms.iter().position(|x| x.id == m).unwrap_or_else(|| panic!("{file}: unknown mechanism {m}")))
                    .collect(),
                region: regions.iter().position(|r| r.id == region_id).unwrap_or_else(|| panic!("{file}: unknown region {region_id}")),
                code: code.to_string(),
                weight: number(file, row, "weight"),
                ais_min: number(file, row, "ais_min"),
                ais_max: number(file, row, "ais_max"),
                hemorrhage: match field(file, row, "hemorrhage") {
                    "none" => Hemorrhage::None,
                    "minor" => Hemorrhage::Minor,
                    "major" => Hemorrhage::Major,
                    "massive" => Hemorrhage::Massive,
                    other => panic!("{file}: unknown hemorrhage {other}"),
                },
                tags: interner.tags(file, field(file, row, "tags")),
            };
            assert!(
                1 <= condition.ais_min && condition.ais_min <= condition.ais_max && condition.ais_max <= 5,
                "{file}: code {code}: AIS range must lie within 1-5 (AIS 6 is added by the engine)"
            );
            condition
        })
        .collect();

    for (m, mechanism) in mechanisms.iter().enumerate() {
        assert!(conditions.iter().any(|c| c.mechanisms.contains(&m)), "conditions.csv: mechanism {} has no diagnosis", mechanism.id);
    }

    let treatments: Vec<TreatmentRow> = read_table("treatments.csv", include_str!("../../data/treatments.csv"))
        .iter()
        .map(|row| {
            let file = "treatments.csv";
            let code = field(file, row, "code");
            check_code(file, code);
            TreatmentRow {
                code: code.to_string(),
                first_role: role(file, row, "first_role"),
                last_role: role(file, row, "last_role"),
                tag: interner.tags(file, field(file, row, "tag")),
                probability: number(file, row, "probability"),
            }
        })
        .collect();

    let medications: Vec<MedicationRow> = read_table("medications.csv", include_str!("../../data/medications.csv"))
        .iter()
        .map(|row| {
            let file = "medications.csv";
            let code = field(file, row, "code");
            check_code(file, code);
            let alternative = field(file, row, "alternative");
            if !alternative.is_empty() {
                check_code(file, alternative);
            }
            MedicationRow {
                code: code.to_string(),
                first_role: role(file, row, "first_role"),
                last_role: role(file, row, "last_role"),
                tag: interner.tags(file, field(file, row, "tag")),
                alternative: (!alternative.is_empty()).then(|| alternative.to_string()),
                probability: number(file, row, "probability"),
            }
        })
        .collect();

    let ranks: Vec<Rank> = read_table("ranks.csv", include_str!("../../data/ranks.csv"))
        .iter()
        .map(|row| {
            let file = "ranks.csv";
            Rank {
                code: field(file, row, "code").to_string(),
                titles: [field(file, row, "army").to_string(), field(file, row, "navy").to_string(), field(file, row, "air_force").to_string()],
                share: number(file, row, "share"),
                min_age: number(file, row, "min_age"),
                max_age: number(file, row, "max_age"),
            }
        })
        .collect();

    let units: Vec<UnitType> = read_table("units.csv", include_str!("../../data/units.csv"))
        .iter()
        .map(|row| {
            let file = "units.csv";
            UnitType {
                branch: field(file, row, "branch").to_string(),
                unit_type: field(file, row, "unit_type").to_string(),
                formation: field(file, row, "formation").to_string(),
                weight: number(file, row, "weight"),
            }
        })
        .collect();

    let mut nations: Vec<Nation> = read_table("nations.csv", include_str!("../../data/nations.csv"))
        .iter()
        .map(|row| {
            let file = "nations.csv";
            let iso3 = field(file, row, "iso3").to_string();
            let blood = ["o_pos", "o_neg", "a_pos", "a_neg", "b_pos", "b_neg", "ab_pos", "ab_neg"].map(|c| number::<f64>(file, row, c));
            Nation {
                names: super::names::load(&iso3),
                name: field(file, row, "name").to_string(),
                female_share: number(file, row, "female_share"),
                blood,
                service_number_pattern: field(file, row, "service_number_pattern").to_string(),
                religions: Vec::new(),
                iso3,
            }
        })
        .collect();
    nations.sort_by(|a, b| a.iso3.cmp(&b.iso3));
    for row in read_table("religions.csv", include_str!("../../data/religions.csv")) {
        let iso3 = field("religions.csv", &row, "iso3");
        let nation = nations.iter_mut().find(|n| n.iso3 == iso3).unwrap_or_else(|| panic!("religions.csv: unknown nation {iso3}"));
        for (code, weight) in row.iter().filter(|(k, _)| k.as_str() != "iso3") {
            check_code("religions.csv", code);
            let weight: f64 = weight.parse().unwrap_or_else(|_| panic!("religions.csv: {iso3}: `{weight}` is not a number"));
            nation.religions.push((code.clone(), weight));
        }
    }
    for nation in &nations {
        assert!(!nation.religions.is_empty(), "religions.csv: no row for {}", nation.iso3);
    }
    for code in BLOOD_GROUPS.map(|(_, _, code)| code) {
        check_code("tables.rs (BLOOD_GROUPS)", code);
    }

    ReferenceData { terms, regions, mechanisms, conditions, treatments, medications, ranks, units, nations, tag_names: interner.names }
}
