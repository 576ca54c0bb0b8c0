//! Counts of a run by category, triage and final status.

use serde::Serialize;

use crate::record::{FinalStatus, Patient, Triage};
use crate::scenario::Category;

/// Counts of generated patients; summaries of parts of a run add up.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Patients counted.
    pub total: u64,
    /// By category, in [`Category::ALL`] order.
    pub by_category: [u64; 3],
    /// By triage, in [`Triage::ALL`] order.
    pub by_triage: [u64; 4],
    /// By final status, in [`FinalStatus::ALL`] order.
    pub by_status: [u64; 5],
}

impl Summary {
    /// Counts one patient.
    pub fn add(&mut self, patient: &Patient<'_>) {
        self.total += 1;
        self.by_category[patient.injury_type.index()] += 1;
        self.by_triage[patient.triage_category.index()] += 1;
        self.by_status[patient.final_status.index()] += 1;
    }

    /// Adds another summary.
    pub fn merge(&mut self, other: &Summary) {
        self.total += other.total;
        for (a, b) in self.by_category.iter_mut().zip(other.by_category) {
            *a += b;
        }
        for (a, b) in self.by_triage.iter_mut().zip(other.by_triage) {
            *a += b;
        }
        for (a, b) in self.by_status.iter_mut().zip(other.by_status) {
            *a += b;
        }
    }

    /// The serializable form with named keys.
    pub fn report(&self) -> SummaryReport {
        SummaryReport {
            total: self.total,
            by_category: Category::ALL.iter().map(|c| (c.as_str(), self.by_category[c.index()])).collect(),
            by_triage: Triage::ALL.iter().map(|t| (t.as_str(), self.by_triage[t.index()])).collect(),
            by_final_status: FinalStatus::ALL.iter().map(|s| (s.as_str(), self.by_status[s.index()])).collect(),
        }
    }
}

/// Summary with named keys, in a fixed order.
#[derive(Debug, Clone, Serialize)]
pub struct SummaryReport {
    /// Patients counted.
    pub total: u64,
    /// Counts by category name.
    pub by_category: indexmap_free::Ordered,
    /// Counts by triage category.
    pub by_triage: indexmap_free::Ordered,
    /// Counts by final status.
    pub by_final_status: indexmap_free::Ordered,
}

/// An ordered map serialized as a JSON object, without pulling in a map crate.
pub mod indexmap_free {
    use serde::ser::{Serialize, SerializeMap, Serializer};

    /// Keys and counts in insertion order.
    #[derive(Debug, Clone, Default)]
    pub struct Ordered(pub Vec<(&'static str, u64)>);

    impl FromIterator<(&'static str, u64)> for Ordered {
        fn from_iter<I: IntoIterator<Item = (&'static str, u64)>>(iter: I) -> Self {
            Ordered(iter.into_iter().collect())
        }
    }

    impl Serialize for Ordered {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            let mut map = serializer.serialize_map(Some(self.0.len()))?;
            for (k, v) in &self.0 {
                map.serialize_entry(k, v)?;
            }
            map.end()
        }
    }
}
