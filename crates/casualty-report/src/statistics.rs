//! Counts and time distributions of a run, accumulated one record at a time.
//!
//! Memory does not grow with the number of records. Counts live in fixed arrays, and days and
//! kinds in ordered maps bounded by the timestamp range and by [`MAX_KINDS`]. The times to each
//! role are histograms of whole minutes, with at most one entry per distinct minute.

use std::collections::BTreeMap;

use casualty_core::record::FinalStatus;
use casualty_core::scenario::Role;

use crate::record::Casualty;

/// Maximum number of distinct mechanisms or body regions kept by name. Records of the generator
/// have about 25 mechanisms and 14 regions. Further names are counted together as other kinds,
/// so a hostile input cannot grow the tables without bound.
pub const MAX_KINDS: usize = 200;

/// The statuses that are deaths, in [`FinalStatus::ALL`] order.
pub const DEATHS: [FinalStatus; 3] = [FinalStatus::Kia, FinalStatus::Dow, FinalStatus::DnbiDeath];

/// The roles with an arrival time, Role 1 to Role 4.
pub const ARRIVAL_ROLES: [Role; 4] = [Role::Role1, Role::Role2, Role::Role3, Role::Role4];

/// The percentiles reported for times, in per mille (p50, p90, p95, p99).
pub const PERCENTILES_PER_MILLE: [u32; 4] = [500, 900, 950, 990];

/// Everything the report shows about the records, filled by [`Statistics::add`].
#[derive(Debug, Clone, Default)]
pub struct Statistics {
    total: u64,
    by_category: [u64; 3],
    by_triage: [u64; 4],
    by_status: [u64; 5],
    /// `[triage][status]`.
    outcome_by_triage: [[u64; 5]; 4],
    /// `[death status in DEATHS order][role]`.
    deaths_by_location: [[u64; 5]; 3],
    /// Days since the Unix epoch (UTC date of injury) to counts by category.
    by_day: BTreeMap<i64, [u64; 3]>,
    /// `[UTC hour of injury][category]`.
    by_hour: [[u64; 3]; 24],
    mechanisms: Tally,
    body_regions: Tally,
    time_to_role: [MinuteHistogram; 4],
    first_injury: Option<i64>,
    last_injury: Option<i64>,
}

impl Statistics {
    /// Counts one checked record.
    pub(crate) fn add(&mut self, casualty: &Casualty<'_>) {
        let category = casualty.category.index();
        let triage = casualty.triage.index();
        let status = casualty.status.index();

        self.total += 1;
        self.by_category[category] += 1;
        self.by_triage[triage] += 1;
        self.by_status[status] += 1;
        self.outcome_by_triage[triage][status] += 1;
        if let (Some(death), Some(location)) = (DEATHS.iter().position(|s| *s == casualty.status), casualty.death_location) {
            self.deaths_by_location[death][location.index()] += 1;
        }

        let day = casualty.injury_time.div_euclid(casualty_core::time::DAY);
        let hour = (casualty.injury_time.rem_euclid(casualty_core::time::DAY) / 3600) as usize;
        self.by_day.entry(day).or_default()[category] += 1;
        self.by_hour[hour][category] += 1;
        self.first_injury = Some(self.first_injury.map_or(casualty.injury_time, |t| t.min(casualty.injury_time)));
        self.last_injury = Some(self.last_injury.map_or(casualty.injury_time, |t| t.max(casualty.injury_time)));

        self.mechanisms.add(casualty.mechanism_id, casualty.mechanism_display, category);
        for region in &casualty.body_regions {
            self.body_regions.add(region, &region.replace('_', " "), category);
        }
        for (histogram, seconds) in self.time_to_role.iter_mut().zip(casualty.seconds_to_role) {
            if let Some(seconds) = seconds {
                histogram.add(seconds_to_minutes(seconds));
            }
        }
    }

    /// Records counted.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Counts by category, in [`Category::ALL`](casualty_core::scenario::Category::ALL) order.
    pub fn by_category(&self) -> [u64; 3] {
        self.by_category
    }

    /// Counts by triage category, in [`Triage::ALL`](casualty_core::record::Triage::ALL) order.
    pub fn by_triage(&self) -> [u64; 4] {
        self.by_triage
    }

    /// Counts by final status, in [`FinalStatus::ALL`] order.
    pub fn by_status(&self) -> [u64; 5] {
        self.by_status
    }

    /// Counts by triage (rows, [`Triage::ALL`](casualty_core::record::Triage::ALL) order) and final status (columns).
    pub fn outcome_by_triage(&self) -> [[u64; 5]; 4] {
        self.outcome_by_triage
    }

    /// Deaths by status (rows, [`DEATHS`] order) and the role where they happened (columns,
    /// [`Role::ALL`] order).
    pub fn deaths_by_location(&self) -> [[u64; 5]; 3] {
        self.deaths_by_location
    }

    /// Counts by UTC date of injury (days since 1970-01-01) and category, in date order.
    pub fn by_day(&self) -> &BTreeMap<i64, [u64; 3]> {
        &self.by_day
    }

    /// Counts by UTC hour of injury (0 to 23) and category.
    pub fn by_hour(&self) -> [[u64; 3]; 24] {
        self.by_hour
    }

    /// Casualties by mechanism.
    pub fn mechanisms(&self) -> &Tally {
        &self.mechanisms
    }

    /// Diagnoses (every entry of `injuries`, not only the primary one) by body region.
    pub fn body_regions(&self) -> &Tally {
        &self.body_regions
    }

    /// Minutes from injury to the first arrival at each role of [`ARRIVAL_ROLES`].
    pub fn time_to_role(&self) -> &[MinuteHistogram; 4] {
        &self.time_to_role
    }

    /// Returns the earliest and latest injury times, in seconds since the Unix epoch.
    pub fn injury_span(&self) -> Option<(i64, i64)> {
        self.first_injury.zip(self.last_injury)
    }
}

/// Rounds seconds to the nearest whole minute, half a minute up, within `u32`.
fn seconds_to_minutes(seconds: i64) -> u32 {
    let minutes = (seconds.max(0) + 30) / 60;
    u32::try_from(minutes).unwrap_or(u32::MAX)
}

/// Counts by a kind's identifier, split by category, with the display name first seen.
#[derive(Debug, Clone, Default)]
pub struct Tally {
    entries: BTreeMap<String, TallyEntry>,
    /// Counts of kinds beyond [`MAX_KINDS`], by category.
    other: [u64; 3],
}

/// One kind of a [`Tally`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TallyEntry {
    /// Display name, from the first record with this identifier.
    pub display: String,
    /// Counts by category, in [`Category::ALL`](casualty_core::scenario::Category::ALL) order.
    pub by_category: [u64; 3],
}

impl TallyEntry {
    /// Returns the count over all categories.
    pub fn total(&self) -> u64 {
        self.by_category.iter().sum()
    }
}

impl Tally {
    fn add(&mut self, id: &str, display: &str, category: usize) {
        if let Some(entry) = self.entries.get_mut(id) {
            entry.by_category[category] += 1;
        } else if self.entries.len() < MAX_KINDS {
            let mut by_category = [0; 3];
            by_category[category] = 1;
            let display = if display.trim().is_empty() { id } else { display };
            self.entries.insert(id.to_string(), TallyEntry { display: display.to_string(), by_category });
        } else {
            self.other[category] += 1;
        }
    }

    /// Returns the kinds sorted by total count, largest first, then by identifier.
    pub fn by_count(&self) -> Vec<(&str, &TallyEntry)> {
        let mut entries: Vec<(&str, &TallyEntry)> = self.entries.iter().map(|(id, entry)| (id.as_str(), entry)).collect();
        entries.sort_by(|a, b| b.1.total().cmp(&a.1.total()).then_with(|| a.0.cmp(b.0)));
        entries
    }

    /// Counts by category of the kinds beyond [`MAX_KINDS`]; zero for generated output.
    pub fn other(&self) -> [u64; 3] {
        self.other
    }

    /// Returns the count over all kinds.
    pub fn total(&self) -> u64 {
        self.entries.values().map(TallyEntry::total).sum::<u64>() + self.other.iter().sum::<u64>()
    }
}

/// Counts of whole minutes, for exact percentiles of minute-rounded times.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MinuteHistogram {
    counts: BTreeMap<u32, u64>,
    total: u64,
}

impl MinuteHistogram {
    /// Counts one time.
    pub fn add(&mut self, minutes: u32) {
        *self.counts.entry(minutes).or_default() += 1;
        self.total += 1;
    }

    /// Times counted.
    pub fn count(&self) -> u64 {
        self.total
    }

    /// Returns the largest time, or `None` when nothing was counted.
    pub fn max(&self) -> Option<u32> {
        self.counts.keys().next_back().copied()
    }

    /// Returns the nearest-rank percentile: the smallest counted time such that at least `per_mille`
    /// thousandths of all times are at or below it. `None` when nothing was counted.
    ///
    /// # Panics
    /// Panics if `per_mille` is 0 or above 1000, which no caller passes.
    pub fn percentile(&self, per_mille: u32) -> Option<u32> {
        assert!((1..=1000).contains(&per_mille), "a percentile is from 0.1 to 100");
        if self.total == 0 {
            return None;
        }

        // The rank is ceil(p × n / 1000), computed in integers so that it is exact.
        let rank = (u128::from(per_mille) * u128::from(self.total)).div_ceil(1000).max(1);
        let mut seen: u128 = 0;
        for (minutes, count) in &self.counts {
            seen += u128::from(*count);
            if seen >= rank {
                return Some(*minutes);
            }
        }
        self.max()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn histogram(values: &[u32]) -> MinuteHistogram {
        let mut histogram = MinuteHistogram::default();
        for value in values {
            histogram.add(*value);
        }
        histogram
    }

    /// Computes the definition itself: sort, then take the element at rank ceil(p × n), from 1.
    fn nearest_rank(values: &[u32], per_mille: u32) -> u32 {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let rank = (per_mille as usize * sorted.len()).div_ceil(1000).max(1);
        sorted[rank - 1]
    }

    #[test]
    fn percentile_of_one_to_hundred() {
        let values: Vec<u32> = (1..=100).collect();
        let histogram = histogram(&values);
        assert_eq!(histogram.percentile(500), Some(50));
        assert_eq!(histogram.percentile(900), Some(90));
        assert_eq!(histogram.percentile(950), Some(95));
        assert_eq!(histogram.percentile(990), Some(99));
        assert_eq!(histogram.percentile(1000), Some(100));
        assert_eq!(histogram.max(), Some(100));
    }

    #[test]
    fn percentile_small_samples() {
        assert_eq!(histogram(&[]).percentile(500), None);
        assert_eq!(histogram(&[7]).percentile(500), Some(7));
        assert_eq!(histogram(&[7]).percentile(1), Some(7));
        assert_eq!(histogram(&[3, 1]).percentile(500), Some(1));
        assert_eq!(histogram(&[3, 1]).percentile(501), Some(3));
    }

    #[test]
    fn percentile_matches_sorting() {
        // A fixed pseudo-random sequence with many repeats.
        let mut state: u64 = 12345;
        let values: Vec<u32> = (0..2001)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((state >> 33) % 500) as u32
            })
            .collect();
        let histogram = histogram(&values);
        for per_mille in [1, 100, 250, 500, 900, 950, 990, 999, 1000] {
            assert_eq!(histogram.percentile(per_mille), Some(nearest_rank(&values, per_mille)), "p{per_mille}‰");
        }
        assert_eq!(histogram.count(), 2001);
    }

    #[test]
    fn seconds_round_to_nearest_minute() {
        assert_eq!(seconds_to_minutes(0), 0);
        assert_eq!(seconds_to_minutes(29), 0);
        assert_eq!(seconds_to_minutes(30), 1);
        assert_eq!(seconds_to_minutes(89), 1);
        assert_eq!(seconds_to_minutes(-5), 0);
        assert_eq!(seconds_to_minutes(i64::MAX), u32::MAX);
    }

    #[test]
    fn add_counts_every_view() {
        use crate::record::{RawRecord, SAMPLE_RECORD};

        let mut statistics = Statistics::default();
        let survivor = SAMPLE_RECORD.replace("\"final_status\":\"DOW\"", "\"final_status\":\"RTD\"").replace("\"event_type\":\"dow\"", "\"event_type\":\"rtd\"");
        let next_day = SAMPLE_RECORD.replace("2025-03-01T10:00:00Z", "2025-03-02T23:00:00Z").replace("2025-03-01T", "2025-03-03T");
        for text in [SAMPLE_RECORD, survivor.as_str(), next_day.as_str()] {
            let raw: RawRecord<'_> = serde_json::from_str(text).expect("a sample parses");
            statistics.add(&raw.check().expect("a sample is valid"));
        }

        assert_eq!(statistics.total(), 3);
        assert_eq!(statistics.by_category(), [0, 0, 3]);
        assert_eq!(statistics.by_status(), [0, 2, 0, 1, 0]);
        assert_eq!(statistics.outcome_by_triage()[0], [0, 2, 0, 1, 0]);
        assert_eq!(statistics.deaths_by_location()[1], [0, 0, 2, 0, 0], "both DOW at Role 2");
        let days: Vec<(i64, u64)> = statistics.by_day().iter().map(|(day, counts)| (*day, counts.iter().sum())).collect();
        assert_eq!(days, vec![(20148, 2), (20149, 1)], "2025-03-01 is day 20148 since 1970");
        assert_eq!(statistics.by_hour()[10], [0, 0, 2]);
        assert_eq!(statistics.by_hour()[23], [0, 0, 1]);
        assert_eq!(statistics.time_to_role()[0].count(), 3);
        assert_eq!(statistics.time_to_role()[0].percentile(500), Some(45), "45 min 29 s rounds to 45 min");
        assert_eq!(statistics.time_to_role()[2].count(), 0, "nobody reached Role 3");
        assert_eq!(statistics.mechanisms().by_count()[0].1.total(), 3);
        assert_eq!(statistics.body_regions().total(), 6, "two wounds each");
    }

    #[test]
    fn tally_sorts_and_caps_kinds() {
        let mut tally = Tally::default();
        tally.add("b", "B", 0);
        tally.add("a", "A", 2);
        tally.add("b", "ignored", 1);
        tally.add("c", "", 0);
        let sorted: Vec<(&str, u64)> = tally.by_count().into_iter().map(|(id, entry)| (id, entry.total())).collect();
        assert_eq!(sorted, vec![("b", 2), ("a", 1), ("c", 1)]);
        assert_eq!(tally.by_count()[0].1.display, "B");
        assert_eq!(tally.by_count()[2].1.display, "c", "an empty display falls back to the id");

        for index in 0..MAX_KINDS + 5 {
            tally.add(&format!("kind-{index:04}"), "", 1);
        }
        assert_eq!(tally.by_count().len(), MAX_KINDS);
        assert_eq!(tally.other(), [0, 8, 0]);
        assert_eq!(tally.total(), 4 + MAX_KINDS as u64 + 5);
    }
}
