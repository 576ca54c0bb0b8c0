//! Facility queues: how long a casualty arriving at Role 1, Role 2 or Role 3 waits for a bed.
//!
//! Waits depend on every other casualty, yet each record must stay a pure function of its
//! index. So the queues are computed once, before any patient, from what the schedule expects:
//!
//! 1. A pilot sample (a few thousand casualties on streams that no patient uses, generated
//!    without queues) gives, for each category, when after the injury casualties reach each
//!    role, in which precedence class, and how long they stay.
//! 2. The schedule's casualties per time step, spread over those delays, give the expected
//!    arrivals at each facility in each step and class.
//! 3. Each facility is then run as a fluid queue over the steps. Beds free up as occupants
//!    leave, at the rate of the mean stay, and waiting casualties are admitted urgent first. A
//!    casualty arriving in a step waits until the casualties ahead of it are admitted.
//!
//! The result is a table of waits by facility, class and step, so memory grows with the length
//! of the operation and the number of fronts, not with the number of casualties. Role 1 and
//! Role 2 are per front; Role 3 is shared by the theatre. Arrivals at each role are those of a
//! run without queues: a wait upstream delays a casualty's own later arrivals, but the queue
//! computation does not shift the arrival curves downstream.

use super::Generator;
use crate::random::Stream;
use crate::record::{EventType, Triage};
use crate::scenario::{Category, Role};

/// First stream index of the pilot sample. Patient indexes stay below `MAX_COUNT`, far under it.
const PILOT_STREAM_BASE: u64 = 1 << 62;

/// Roles with queues, in order. Their position is the index used in the tables here.
const QUEUED: [Role; 3] = [Role::Role1, Role::Role2, Role::Role3];

/// Precedence classes: urgent (T1), priority (T2) and routine (T3 and T4), served in that order.
const CLASSES: usize = 3;

fn class_of(triage: Triage) -> usize {
    match triage {
        Triage::T1 => 0,
        Triage::T2 => 1,
        Triage::T3 | Triage::T4 => 2,
    }
}

/// Arrival delays and stays of one category on one front, learned from the pilot sample.
#[derive(Default)]
struct Kernel {
    /// For each queued role: (delay in steps, class, share of the category's casualties).
    arrivals: [Vec<(usize, usize, f64)>; 3],
    /// For each queued role: total hours stayed and number of stays.
    stays: [(f64, f64); 3],
}

/// Arrivals per queued role, class and step, and the (hours, count) of the stays they make.
type Spread = (Vec<f64>, [(f64, f64); 3]);

/// The waits of one run.
pub(crate) struct Queues {
    step_seconds: f64,
    steps: usize,
    /// Waits in hours: `[facility][class][step]` flattened, where facility `2 × front` is the
    /// front's Role 1, `2 × front + 1` its Role 2, and the last one the shared Role 3.
    waits: Vec<f32>,
    /// Beds of each facility in the same order.
    beds: Vec<f64>,
}

impl Queues {
    /// Computes the queues of `generator`'s scenario. The generator must not have queues yet.
    pub(crate) fn new(generator: &Generator<'_>) -> Queues {
        let scenario = generator.scenario;
        let settings = &generator.model.queues;
        let step_seconds = (settings.step_minutes * 60.0).round().max(60.0);
        let operation_seconds = f64::from(scenario.days_of_fighting) * 86_400.0;
        let steps = ((operation_seconds + f64::from(settings.tail_hours) * 3600.0) / step_seconds).ceil() as usize;

        // Injuries per step and category, from the schedule's exact counts: the background,
        // shared by the fronts, and each event's, on its own front.
        let mut injuries = vec![[0.0f64; 3]; steps];
        let mut event_injuries: Vec<(usize, Vec<[f64; 3]>)> = Vec::new();
        for segment in &generator.schedule.segments {
            let injuries = match segment.event {
                Some(e) => {
                    event_injuries.push((generator.event_fronts[e], vec![[0.0f64; 3]; steps]));
                    &mut event_injuries.last_mut().expect("just pushed").1
                }
                None => &mut injuries,
            };
            let start = segment.start as f64;
            let end = start + segment.duration as f64;
            let first = (start / step_seconds) as usize;
            let mut step = first;
            while step < steps && (step as f64) * step_seconds < end {
                let from = start.max(step as f64 * step_seconds);
                let to = end.min((step + 1) as f64 * step_seconds);
                let share = (to - from) / (end - start);
                for (c, p) in segment.category_shares.iter().enumerate() {
                    injuries[step][c] += segment.count as f64 * p * share;
                }
                step += 1;
            }
        }

        // One pilot per distinct pair of front distances; most scenarios need one.
        let fronts = scenario.fronts.len();
        let mut pilots: Vec<((f64, f64), [Kernel; 3])> = Vec::new();
        let mut pilot_of = Vec::with_capacity(fronts);
        for front in 0..fronts {
            let key = generator.distances[front];
            let position = match pilots.iter().position(|(k, _)| *k == key) {
                Some(p) => p,
                None => {
                    pilots.push((key, pilot(generator, front, pilots.len() as u64, step_seconds)));
                    pilots.len() - 1
                }
            };
            pilot_of.push(position);
        }

        // Expected arrivals per queued role, class and step of each pilot, for a front with
        // every casualty, and the stays they make.
        let mut pilot_arrivals = Vec::with_capacity(pilots.len());
        let mut pilot_stays = Vec::with_capacity(pilots.len());
        for (_, kernels) in &pilots {
            let mut arrivals = vec![0.0f64; QUEUED.len() * CLASSES * steps];
            let mut stays = [(0.0f64, 0.0f64); 3];
            spread(kernels, &injuries, &mut arrivals, &mut stays);
            pilot_arrivals.push(arrivals);
            pilot_stays.push(stays);
        }
        // Each front's own event arrivals, added to its share of the background.
        let mut front_events: Vec<Option<Spread>> = (0..fronts).map(|_| None).collect();
        for (front, injuries) in &event_injuries {
            let (arrivals, stays) = front_events[*front].get_or_insert_with(|| (vec![0.0f64; QUEUED.len() * CLASSES * steps], [(0.0, 0.0); 3]));
            spread(&pilots[pilot_of[*front]].1, injuries, arrivals, stays);
        }
        let total_weight: f64 = scenario.fronts.iter().map(|f| f.casualty_rate).sum();
        let shares: Vec<f64> = scenario.fronts.iter().map(|f| f.casualty_rate / total_weight).collect();
        // The theatre's Role 3 takes every front's casualties.
        let mut role3 = vec![0.0f64; CLASSES * steps];
        let mut role3_stays = (0.0f64, 0.0f64);
        for (front, &p) in pilot_of.iter().enumerate() {
            let from = &pilot_arrivals[p][2 * CLASSES * steps..];
            for (sum, a) in role3.iter_mut().zip(from) {
                *sum += a * shares[front];
            }
            role3_stays.0 += pilot_stays[p][2].0 * shares[front];
            role3_stays.1 += pilot_stays[p][2].1 * shares[front];
            if let Some((events, stays)) = &front_events[front] {
                for (sum, a) in role3.iter_mut().zip(&events[2 * CLASSES * steps..]) {
                    *sum += a;
                }
                role3_stays.0 += stays[2].0;
                role3_stays.1 += stays[2].1;
            }
        }

        // Beds, then the fluid queue of each facility.
        let facilities = 2 * fronts + 1;
        let mut waits = vec![0.0f32; facilities * CLASSES * steps];
        let mut beds = Vec::with_capacity(facilities);
        for facility in 0..facilities {
            let none: &[f64] = &[];
            let (q, arrivals, scale, events, stays) = if facility == facilities - 1 {
                (2, &role3[..], 1.0, none, role3_stays)
            } else {
                let front = facility / 2;
                let q = facility % 2;
                let p = pilot_of[front];
                let (mut hours, mut count) = pilot_stays[p][q];
                hours *= shares[front];
                count *= shares[front];
                let events = match &front_events[front] {
                    Some((events, stays)) => {
                        hours += stays[q].0;
                        count += stays[q].1;
                        &events[q * CLASSES * steps..(q + 1) * CLASSES * steps]
                    }
                    None => none,
                };
                (q, &pilot_arrivals[p][q * CLASSES * steps..(q + 1) * CLASSES * steps], shares[front], events, (hours, count))
            };
            let role = QUEUED[q];
            let bed_count = simulate(
                &mut waits[facility * CLASSES * steps..(facility + 1) * CLASSES * steps],
                |k, t| arrivals[k * steps + t] * scale + events.get(k * steps + t).copied().unwrap_or(0.0),
                stays,
                scenario.facility(role).capacity,
                settings.minimum_auto_beds.get(role),
                settings.auto_capacity_headroom,
                operation_seconds / 3600.0,
                step_seconds / 3600.0,
            );
            beds.push(bed_count);
        }
        Queues { step_seconds, steps, waits, beds }
    }

    /// Hours that a casualty of `triage` waits for a bed at `role` on `front`, arriving
    /// `seconds` after the start of the operation. Zero at roles without queues and after the
    /// computed time.
    pub(crate) fn wait_hours(&self, front: usize, role: Role, triage: Triage, seconds: f64) -> f64 {
        let facility = match role {
            Role::Role1 => 2 * front,
            Role::Role2 => 2 * front + 1,
            Role::Role3 => self.beds.len() - 1,
            _ => return 0.0,
        };
        let step = (seconds / self.step_seconds).floor();
        if !(0.0..self.steps as f64).contains(&step) {
            return 0.0;
        }
        f64::from(self.waits[(facility * CLASSES + class_of(triage)) * self.steps + step as usize])
    }

    /// Beds of each facility of `role` (Role 1 to Role 3), by front; Role 3 has one entry.
    pub(crate) fn beds(&self, role: Role) -> Vec<u32> {
        let fronts = (self.beds.len() - 1) / 2;
        match role {
            Role::Role1 => (0..fronts).map(|f| self.beds[2 * f] as u32).collect(),
            Role::Role2 => (0..fronts).map(|f| self.beds[2 * f + 1] as u32).collect(),
            Role::Role3 => vec![self.beds[self.beds.len() - 1] as u32],
            _ => Vec::new(),
        }
    }
}

/// Spreads injuries per step and category over the pilot's delays into arrivals per queued
/// role, class and step (`arrivals`), and adds the stays they make to `stays`.
fn spread(kernels: &[Kernel; 3], injuries: &[[f64; 3]], arrivals: &mut [f64], stays: &mut [(f64, f64); 3]) {
    let steps = injuries.len();
    for (c, kernel) in kernels.iter().enumerate() {
        let expected_total: f64 = injuries.iter().map(|i| i[c]).sum();
        for q in 0..QUEUED.len() {
            let (hours, count) = kernel.stays[q];
            if count > 0.0 {
                let reaching: f64 = kernel.arrivals[q].iter().map(|a| a.2).sum();
                stays[q].0 += hours / count * expected_total * reaching;
                stays[q].1 += expected_total * reaching;
            }
            for &(delay, class, weight) in &kernel.arrivals[q] {
                let row = &mut arrivals[(q * CLASSES + class) * steps..(q * CLASSES + class + 1) * steps];
                for t in 0..steps.saturating_sub(delay) {
                    row[t + delay] += injuries[t][c] * weight;
                }
            }
        }
    }
}

/// Runs one facility's fluid queue over the steps and fills `waits` (`[class][step]`, hours).
/// Returns the beds: `capacity` when given, else sized to the mean occupancy with `headroom`.
#[allow(clippy::too_many_arguments)]
fn simulate(
    waits: &mut [f32],
    arrivals: impl Fn(usize, usize) -> f64,
    (stay_hours, stay_count): (f64, f64),
    capacity: Option<u32>,
    minimum_beds: f64,
    headroom: f64,
    operation_hours: f64,
    step_hours: f64,
) -> f64 {
    let steps = waits.len() / CLASSES;
    let mean_stay = if stay_count > 0.0 { (stay_hours / stay_count).max(step_hours / 4.0) } else { 1.0 };
    let beds = match capacity {
        Some(c) => f64::from(c),
        None => {
            let arrived: f64 = (0..CLASSES).flat_map(|k| (0..steps).map(move |t| (k, t))).map(|(k, t)| arrivals(k, t)).sum();
            let occupancy = arrived * mean_stay / operation_hours;
            (occupancy * headroom).ceil().max(minimum_beds)
        }
    };
    // Occupants leave at the rate of the mean stay; a full facility admits as many as leave.
    let admission_rate = beds / mean_stay;
    let leaving = (step_hours / mean_stay).min(1.0);
    let mut occupied = 0.0f64;
    let mut waiting = [0.0f64; CLASSES];
    for t in 0..steps {
        for (k, w) in waiting.iter_mut().enumerate() {
            *w += arrivals(k, t);
        }
        occupied -= occupied * leaving;
        let mut free = (beds - occupied).max(0.0);
        for w in waiting.iter_mut() {
            let admitted = w.min(free);
            *w -= admitted;
            free -= admitted;
            occupied += admitted;
        }
        let mut ahead = 0.0;
        for (k, w) in waiting.iter().enumerate() {
            ahead += w;
            // Fluid remainders below a hundredth of a casualty are no queue.
            let wait = if ahead > 0.01 { ahead / admission_rate } else { 0.0 };
            waits[k * steps + t] = wait as f32;
        }
    }
    beds
}

/// Generates the pilot sample of one front without queues and records, per category, when
/// casualties reach each queued role and how long they stay there.
fn pilot(generator: &Generator<'_>, front: usize, pilot_index: u64, step_seconds: f64) -> [Kernel; 3] {
    let n = u64::from(generator.model.queues.pilot_patients);
    let no_waits = |_: Role, _: f64| 0.0;
    let mut kernels: [Kernel; 3] = Default::default();
    for (c, category) in Category::ALL.iter().enumerate() {
        let kernel = &mut kernels[c];
        let mut counts: std::collections::BTreeMap<(usize, usize, usize), u64> = std::collections::BTreeMap::new();
        for j in 0..n {
            let index = PILOT_STREAM_BASE + (pilot_index * 3 + c as u64) * n + j;
            let mut rng = Stream::new(generator.scenario.seed, index);
            let injuries = generator.tables.injure(generator, *category, false, &mut rng);
            let allergies = generator.people.allergies(&mut rng);
            let course = super::course::run(generator, *category, &injuries, &allergies, 0, 1.0, front, &no_waits, &mut rng);
            let class = class_of(injuries.triage);
            let timeline = &course.timeline;
            for (i, event) in timeline.iter().enumerate() {
                let Some(q) = QUEUED.iter().position(|r| *r == event.facility) else { continue };
                if event.event_type != EventType::Arrival {
                    continue;
                }
                let arrival = event.timestamp.0 as f64;
                let delay = (arrival / step_seconds) as usize;
                *counts.entry((q, delay, class)).or_insert(0) += 1;
                let end = timeline.get(i + 1).map_or(arrival, |next| next.timestamp.0 as f64);
                kernel.stays[q].0 += (end - arrival) / 3600.0;
                kernel.stays[q].1 += 1.0;
            }
        }
        for ((q, delay, class), count) in counts {
            kernel.arrivals[q].push((delay, class, count as f64 / n as f64));
        }
    }
    kernels
}
