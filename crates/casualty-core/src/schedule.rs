//! The schedule: when casualties happen, computed before any patient detail.
//!
//! The operation is cut into hourly slots plus one segment per special event. Each segment gets
//! an exact whole number of patients (largest-remainder allocation of the expected counts, so the
//! total is exactly the scenario's count) and the category mix expected in it. Patient `i` then
//! finds its segment by binary search and its moment within it from its own stream, so patients
//! come out in time order within each segment and any range of indexes can be generated alone.
//! Memory is one small entry per hour of the operation, whatever the count. The schedule itself
//! draws no random numbers: it is a pure function of the scenario.

use crate::model::ModelParameters;
use crate::scenario::{Scenario, Tempo};
use crate::time::DAY;

/// A stretch of time with a fixed number of patients.
#[derive(Debug, Clone, PartialEq)]
pub struct Segment {
    /// Start, in seconds after the scenario's base time.
    pub start: i64,
    /// Length in seconds.
    pub duration: i64,
    /// Index of the first patient of the segment.
    pub first: u64,
    /// Number of patients.
    pub count: u64,
    /// Probability of each category, in [`Category::ALL`] order, summing to 1.
    pub category_shares: [f64; 3],
    /// The special event this segment is, by position in the scenario's list.
    pub event: Option<usize>,
}

/// The whole schedule.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Segments with patients, in index order.
    pub segments: Vec<Segment>,
}

impl Schedule {
    /// Computes the schedule of a scenario.
    pub fn new(scenario: &Scenario) -> Schedule {
        let model = &scenario.model;
        let n = scenario.count as f64;
        let event_total: u64 = scenario.special_events.iter().map(|e| e.size).sum();
        let background = (scenario.count - event_total) as f64;

        // Expected background counts per category. Events take their casualties from the battle
        // share first, and any excess over it comes out of the other two in proportion.
        let [p_disease, p_non_battle, p_battle] = scenario.injury_distribution;
        let battle = (n * p_battle - event_total as f64).max(0.0).min(background);
        let rest = background - battle;
        let dnbi_share = p_disease + p_non_battle;
        let (disease, non_battle) = if dnbi_share > 0.0 {
            (rest * p_disease / dnbi_share, rest * p_non_battle / dnbi_share)
        } else {
            (0.0, 0.0)
        };
        let battle = if dnbi_share > 0.0 { battle } else { background };

        let hours = scenario.days_of_fighting as usize * 24;
        let pattern = battle_pattern(scenario);
        let battle_weights: Vec<f64> = (0..hours).map(|h| day_weight(model, scenario.tempo, h / 24, scenario.days_of_fighting) * pattern[h % 24]).collect();
        let dnbi_weights: Vec<f64> = (0..hours).map(|h| model.daily_pattern.non_battle[h % 24]).collect();
        let battle_sum: f64 = battle_weights.iter().sum();
        let dnbi_sum: f64 = dnbi_weights.iter().sum();

        let mut expected = Vec::with_capacity(hours);
        let mut shares = Vec::with_capacity(hours);
        for h in 0..hours {
            let b = if battle_sum > 0.0 { battle * battle_weights[h] / battle_sum } else { 0.0 };
            let d = if dnbi_sum > 0.0 { disease * dnbi_weights[h] / dnbi_sum } else { 0.0 };
            let nb = if dnbi_sum > 0.0 { non_battle * dnbi_weights[h] / dnbi_sum } else { 0.0 };
            let total = b + d + nb;
            expected.push(total);
            shares.push(if total > 0.0 { [d / total, nb / total, b / total] } else { [0.0, 0.0, 1.0] });
        }
        let counts = allocate(scenario.count - event_total, &expected);

        let mut segments: Vec<Segment> = (0..hours)
            .map(|h| Segment {
                start: h as i64 * 3600,
                duration: 3600,
                first: 0,
                count: counts[h],
                category_shares: shares[h],
                event: None,
            })
            .collect();
        for (i, event) in scenario.special_events.iter().enumerate() {
            let minutes = model.events.duration_minutes.get(event.kind.as_str()).copied().unwrap_or(60.0);
            segments.push(Segment {
                start: (event.day as i64 - 1) * DAY + event.hour as i64 * 3600,
                duration: ((minutes * 60.0).round() as i64).max(1),
                first: 0,
                count: event.size,
                category_shares: [0.0, 0.0, 1.0],
                event: Some(i),
            });
        }
        // Stable sort: an event starting on the hour follows that hour's slot.
        segments.sort_by_key(|s| s.start);
        segments.retain(|s| s.count > 0);
        let mut first = 0;
        for segment in &mut segments {
            segment.first = first;
            first += segment.count;
        }
        debug_assert_eq!(first, scenario.count);
        Schedule { segments }
    }

    /// The segment of patient `index` and the patient's position within it.
    pub fn locate(&self, index: u64) -> (&Segment, u64) {
        let i = self.segments.partition_point(|s| s.first + s.count <= index);
        let segment = &self.segments[i.min(self.segments.len() - 1)];
        (segment, index - segment.first)
    }

    /// Total patients scheduled.
    pub fn total(&self) -> u64 {
        self.segments.last().map_or(0, |s| s.first + s.count)
    }
}

/// Mixes the hourly battle patterns of the scenario's warfare types: each type's pattern (or
/// `daily_pattern.battle` for a type without one) is scaled to a mean of 1, then weighted.
pub(crate) fn battle_pattern(scenario: &Scenario) -> [f64; 24] {
    let model = &scenario.model;
    let mut mixed = [0.0; 24];
    for (kind, weight) in &scenario.warfare_types {
        let pattern = model.warfare.daily_pattern.get(kind.as_str()).unwrap_or(&model.daily_pattern.battle);
        let total: f64 = pattern.iter().sum();
        for (hour, value) in pattern.iter().enumerate().take(24) {
            mixed[hour] += weight * value * 24.0 / total;
        }
    }
    mixed
}

/// Relative battle weight of a day under a tempo.
pub(crate) fn day_weight(model: &ModelParameters, tempo: Tempo, day: usize, days: u32) -> f64 {
    let t = &model.tempo;
    let x = if days <= 1 { 0.5 } else { day as f64 / (days - 1) as f64 };
    match tempo {
        Tempo::Sustained => 1.0,
        Tempo::Escalating => t.escalating_start + (t.escalating_end - t.escalating_start) * x,
        Tempo::Declining => t.declining_start + (t.declining_end - t.declining_start) * x,
        Tempo::Surge => {
            let z = (x - 0.5) / t.surge_width;
            1.0 + t.surge_peak * libm::exp(-z * z)
        }
        Tempo::Intermittent => {
            if day as u32 % t.intermittent_period_days == 0 {
                t.intermittent_high
            } else {
                t.intermittent_low
            }
        }
    }
}

/// Splits `total` into whole numbers proportional to `expected`, summing exactly to `total`.
///
/// Largest-remainder method; ties go to the earlier slot, so the result is deterministic.
fn allocate(total: u64, expected: &[f64]) -> Vec<u64> {
    let sum: f64 = expected.iter().sum();
    if expected.is_empty() {
        return Vec::new();
    }
    if sum <= 0.0 {
        // Nothing to go on: spread evenly.
        let n = expected.len() as u64;
        return (0..n).map(|i| total / n + u64::from(i < total % n)).collect();
    }
    let quotas: Vec<f64> = expected.iter().map(|e| e / sum * total as f64).collect();
    let mut counts: Vec<u64> = quotas.iter().map(|q| q.floor() as u64).collect();
    let assigned: u64 = counts.iter().sum();
    let mut order: Vec<usize> = (0..quotas.len()).collect();
    order.sort_by(|&a, &b| {
        let fa = quotas[a] - quotas[a].floor();
        let fb = quotas[b] - quotas[b].floor();
        fb.total_cmp(&fa).then(a.cmp(&b))
    });
    for &i in order.iter().cycle().take(total.saturating_sub(assigned) as usize) {
        counts[i] += 1;
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocate_sums_exactly() {
        for total in [0, 1, 7, 100, 12_345] {
            let counts = allocate(total, &[0.3, 0.0, 1.7, 2.2, 0.01]);
            assert_eq!(counts.iter().sum::<u64>(), total);
            assert_eq!(counts[1], 0, "a slot of weight zero gets nobody");
        }
    }

    #[test]
    fn allocate_is_proportional() {
        let counts = allocate(1000, &[1.0, 3.0]);
        assert_eq!(counts, vec![250, 750]);
    }
}
