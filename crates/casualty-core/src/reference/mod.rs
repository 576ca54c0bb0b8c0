//! Reference data embedded in the binary: terminology, diagnoses, treatments, nations and names.
//!
//! Every table is a CSV file under `data/` with its sources in its header comments. The tables
//! are parsed once, on first use, and checked against each other: every code must be in the
//! terminology table. A broken table is a build defect that the tests catch, so loading panics
//! with the file and row rather than returning an error to the user.

mod names;
mod tables;

use std::collections::BTreeMap;
use std::sync::OnceLock;

pub use names::{Name, NameLists};
pub use tables::*;

use crate::scenario::{Category, Role};

/// All reference tables, parsed and cross-checked.
#[derive(Debug)]
pub struct ReferenceData {
    /// Terminology by code.
    pub terms: BTreeMap<String, Term>,
    /// Body regions in file order.
    pub regions: Vec<Region>,
    /// Mechanisms in file order.
    pub mechanisms: Vec<Mechanism>,
    /// Diagnoses in file order.
    pub conditions: Vec<ConditionRow>,
    /// Procedures in file order.
    pub treatments: Vec<TreatmentRow>,
    /// Medications in file order.
    pub medications: Vec<MedicationRow>,
    /// Ranks from OR-1 upward.
    pub ranks: Vec<Rank>,
    /// Unit types in file order.
    pub units: Vec<UnitType>,
    /// Nations sorted by ISO code.
    pub nations: Vec<Nation>,
    /// Names of the clinical feature tags, indexed by bit.
    pub tag_names: Vec<String>,
}

static REFERENCE: OnceLock<ReferenceData> = OnceLock::new();

impl ReferenceData {
    /// The embedded reference data, parsed on first call.
    pub fn get() -> &'static ReferenceData {
        REFERENCE.get_or_init(tables::load)
    }

    /// The term for a code.
    ///
    /// # Panics
    /// If the code is not in the terminology table; callers pass codes from checked tables.
    pub fn term(&self, code: &str) -> &Term {
        self.terms.get(code).unwrap_or_else(|| panic!("code {code} is not in terminology.csv"))
    }

    /// A nation by ISO 3166-1 alpha-3 code.
    pub fn nation(&self, iso3: &str) -> Option<&Nation> {
        self.nations.binary_search_by(|n| n.iso3.as_str().cmp(iso3)).ok().map(|i| &self.nations[i])
    }

    /// Every nation code, sorted.
    pub fn nation_codes(&self) -> Vec<&str> {
        self.nations.iter().map(|n| n.iso3.as_str()).collect()
    }

    /// A mechanism's index by id.
    pub fn mechanism_index(&self, id: &str) -> Option<usize> {
        self.mechanisms.iter().position(|m| m.id == id)
    }

    /// A region's index by id.
    pub fn region_index(&self, id: &str) -> Option<usize> {
        self.regions.iter().position(|r| r.id == id)
    }

    /// The bit of a tag.
    pub fn tag(&self, name: &str) -> Option<Tags> {
        self.tag_names.iter().position(|t| t == name).map(|i| Tags(1 << i))
    }

    /// Mechanisms of one category.
    pub fn mechanisms_of(&self, category: Category) -> impl Iterator<Item = (usize, &Mechanism)> {
        self.mechanisms.iter().enumerate().filter(move |(_, m)| m.category == category)
    }
}

/// Parses a role name as written in the data files.
pub(crate) fn parse_role_name(name: &str) -> Option<Role> {
    Role::ALL.into_iter().find(|r| r.as_str() == name)
}
