//! Steps 5 and 6: the course through the evacuation chain, the outcome, and the treatments,
//! medications and vital signs along the way.
//!
//! Times are hours since injury until the record is built. A casualty destined to die has a
//! time of death drawn from the cause that kills first. Where that time falls on the course
//! decides between killed in action (before the first treatment facility) and died of wounds.
//! Nothing is recorded after death, and the final status always matches the last event.

use super::injury::{clamp, Injuries, Physiology};
use super::Generator;
use crate::random::Stream;
use crate::record::{CareItem, EventType, FinalStatus, TimelineEvent, Triage, VitalSigns};
use super::person::Allergies;
use crate::reference::Hemorrhage;
use crate::scenario::{Category, Role};

/// What the course decides.
pub(crate) struct Course<'g> {
    pub(crate) timeline: Vec<TimelineEvent>,
    pub(crate) treatments: Vec<CareItem<'g>>,
    pub(crate) medications: Vec<CareItem<'g>>,
    pub(crate) vital_signs: Vec<VitalSigns>,
    pub(crate) final_status: FinalStatus,
    pub(crate) last_facility: Role,
    pub(crate) outcome_time: i64,
}

/// A stay at one place: arrival, admission and departure in hours since injury.
#[derive(Debug, Clone, Copy)]
struct Stay {
    role: Role,
    arrival: f64,
    /// When a bed was free: the arrival plus the wait in the facility's queue.
    admitted: f64,
    /// End of the stay: departure, death, return to duty or the Role 4 arrival itself.
    end: f64,
}

/// Runs the course of one casualty. `waits(role, hours)` is the wait for a bed at `role` for a
/// casualty arriving `hours` after the injury.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run<'g>(
    generator: &'g Generator<'_>,
    category: Category,
    injuries: &Injuries<'g>,
    allergies: &Allergies,
    injury_time: i64,
    event_evacuation: f64,
    front: usize,
    waits: &dyn Fn(Role, f64) -> f64,
    rng: &mut Stream,
) -> Course<'g> {
    let model = generator.model;
    let evac = generator.evacuation_multiplier;
    // A special event slows the tactical legs, from the point of injury to Role 2.
    let tactical = evac * event_evacuation;
    let scenario = generator.scenario;
    let triage = injuries.triage;

    // Will this casualty die of the injury or illness without surgery, and when?
    let d = &model.death;
    let mut death_at: Option<f64> = {
        let probability = if injuries.unsurvivable {
            1.0
        } else if u32::from(injuries.niss) < d.minimum_niss {
            0.0
        } else {
            let bleeding = match injuries.hemorrhage {
                Hemorrhage::Massive => d.massive_hemorrhage_logit,
                Hemorrhage::Major => d.major_hemorrhage_logit,
                _ => 0.0,
            };
            let z = d.logistic_intercept + d.logistic_slope * f64::from(injuries.niss) + bleeding;
            let p = 1.0 / (1.0 + libm::exp(-z));
            if category == Category::Disease {
                p * d.disease_multiplier
            } else {
                p
            }
        };
        let dies = rng.uniform() < probability;
        let mean_hours = if injuries.unsurvivable {
            d.unsurvivable_mean_minutes / 60.0
        } else if injuries.hemorrhage == Hemorrhage::Massive {
            d.massive_hemorrhage_mean_minutes / 60.0
        } else if injuries.hemorrhage == Hemorrhage::Major {
            d.major_hemorrhage_mean_minutes / 60.0
        } else if injuries.head_ais >= 4 {
            d.head_injury_mean_hours
        } else {
            d.other_mean_hours
        };
        let time = rng.exponential(mean_hours).max(1.0 / 60.0);
        dies.then_some(time)
    };
    let salvage_draw = rng.uniform();
    // Waiting for a bed adds a hazard of death; the casualty dies once the hazard accumulated
    // over all waits reaches this draw's threshold.
    let waiting_threshold = -libm::log(1.0 - rng.uniform());
    let waiting_hazard = d.waiting_hazard_per_hour.get(triage);
    let mut accumulated_hazard = 0.0;
    let mut salvage_checked = false;

    let mut stays: Vec<Stay> = Vec::with_capacity(5);
    let mut events: Vec<(EventType, Role, f64)> = Vec::with_capacity(10);
    events.push((EventType::Injury, Role::Poi, 0.0));

    // Point of injury and the move to Role 1.
    let poi_end = rng.lognormal(model.evacuation.poi_median_minutes.get(triage), model.evacuation.poi_sigma) * tactical / 60.0;
    let to_role1 = rng.lognormal(model.evacuation.to_role1_median_minutes.get(triage), model.evacuation.to_role1_sigma) * tactical / 60.0;
    let role1_arrival = poi_end + to_role1;

    // A facility's kia_rate replaces the model's death within its stay. The draws are taken up
    // front so that the rest of the stream does not depend on which facilities have one.
    let override_draws: [f64; 5] = [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()];
    let override_times: [f64; 5] = [rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform(), rng.uniform()];
    if let Some(rate) = scenario.facility(Role::Poi).kia_rate {
        death_at = override_death(death_at, rate, override_draws[0], 0.0, role1_arrival, override_times[0]);
    }

    let death_status = if category == Category::BattleInjury { (FinalStatus::Kia, EventType::Kia) } else { (FinalStatus::DnbiDeath, EventType::DnbiDeath) };
    if let Some(t) = death_at.filter(|t| *t < role1_arrival) {
        if t >= poi_end {
            events.push((EventType::EvacuationStart, Role::Poi, poi_end));
        }
        stays.push(Stay { role: Role::Poi, arrival: 0.0, admitted: 0.0, end: t });
        events.push((death_status.1, Role::Poi, t));
        return finish(generator, injuries, allergies, injury_time, stays, events, death_status.0, t, rng);
    }
    stays.push(Stay { role: Role::Poi, arrival: 0.0, admitted: 0.0, end: poi_end });
    events.push((EventType::EvacuationStart, Role::Poi, poi_end));

    let (dead_status, dead_event) = if category == Category::BattleInjury { (FinalStatus::Dow, EventType::Dow) } else { (FinalStatus::DnbiDeath, EventType::DnbiDeath) };
    let mut arrival = role1_arrival;
    for role in [Role::Role1, Role::Role2, Role::Role3, Role::Role4] {
        let facility = scenario.facility(role);
        events.push((EventType::Arrival, role, arrival));
        // A full facility keeps the casualty waiting for a bed, and for surgery.
        let wait = waits(role, arrival);
        let admitted = arrival + wait;
        if wait > 0.0 && waiting_hazard > 0.0 && !injuries.unsurvivable {
            let before = accumulated_hazard;
            accumulated_hazard += waiting_hazard * wait;
            if accumulated_hazard >= waiting_threshold {
                let t = arrival + (waiting_threshold - before) / waiting_hazard;
                death_at = Some(death_at.map_or(t, |d| d.min(t)));
            }
        }

        // Surgery from Role 2 on can save a casualty who would otherwise die, if the casualty
        // lives until admitted.
        if role >= Role::Role2 && !salvage_checked {
            salvage_checked = true;
            if !injuries.unsurvivable && death_at.is_some_and(|t| t >= admitted) && salvage_draw < d.surgical_salvage_probability {
                death_at = None;
            }
        }
        let stay_hours = stay_length(generator, role, triage, rng);
        if let Some(rate) = facility.kia_rate {
            let i = role.index();
            death_at = override_death(death_at, rate, override_draws[i], arrival, admitted + stay_hours, override_times[i]);
        }

        if let Some(t) = death_at {
            // Death during the stay here; at Role 4 any later death is recorded here too.
            if t < admitted + stay_hours || role == Role::Role4 {
                let t = t.max(arrival);
                stays.push(Stay { role, arrival, admitted: admitted.min(t), end: t });
                events.push((dead_event, role, t));
                return finish(generator, injuries, allergies, injury_time, stays, events, dead_status, t, rng);
            }
        }
        if role == Role::Role4 {
            stays.push(Stay { role, arrival, admitted: arrival, end: arrival });
            events.push((EventType::RemainsRole4, role, arrival));
            return finish(generator, injuries, allergies, injury_time, stays, events, FinalStatus::RemainsRole4, arrival, rng);
        }

        let departure = admitted + stay_hours;
        stays.push(Stay { role, arrival, admitted, end: departure });
        let rtd_probability = facility.rtd_rate.unwrap_or_else(|| {
            let table = match role {
                Role::Role1 => &model.return_to_duty.role1,
                Role::Role2 => &model.return_to_duty.role2,
                _ => &model.return_to_duty.role3,
            };
            table.get(triage)
        });
        // A casualty who is going to die, or whose injuries are too grave for this role, is never
        // sent back to duty. The draw is taken anyway, so later draws do not shift.
        let rtd = &model.return_to_duty;
        let max_ais = match role {
            Role::Role1 => rtd.max_ais_role1,
            Role::Role2 => rtd.max_ais_role2,
            _ => rtd.max_ais_role3,
        };
        // A facility's rtd_rate replaces the model here, including this fitness rule.
        let fit_for_duty = facility.rtd_rate.is_some()
            || (u32::from(injuries.max_ais) <= max_ais && !injuries.tags.contains(generator.tables.tags.no_return_to_duty));
        let draw = rng.chance(rtd_probability);
        if death_at.is_none() && fit_for_duty && draw {
            events.push((EventType::Rtd, role, departure));
            return finish(generator, injuries, allergies, injury_time, stays, events, FinalStatus::Rtd, departure, rng);
        }
        events.push((EventType::TransitStart, role, departure));
        let next = Role::ALL[role.index() + 1];
        let precedence = model.evacuation.precedence_multiplier.get(triage);
        let hours = match next {
            Role::Role2 | Role::Role3 => {
                // A tactical leg by helicopter or by road. The draw is taken whatever the share.
                let transport = &model.transport;
                let by_air = rng.uniform() < generator.air_share.get(triage);
                let (dispatch, speed) = if by_air {
                    (transport.air_dispatch_minutes, transport.air_speed_kmh)
                } else {
                    (transport.ground_dispatch_minutes, transport.ground_speed_kmh)
                };
                let (to_role2, to_role3) = generator.distances[front];
                let km = if next == Role::Role2 { to_role2 } else { to_role3 };
                let minutes = dispatch * precedence + km / speed * 60.0;
                let leg = if next == Role::Role2 { tactical } else { evac };
                minutes / 60.0 * rng.lognormal(1.0, model.evacuation.transit_sigma) * leg
            }
            _ => rng.lognormal(model.evacuation.transit_median_hours.Role4 * precedence, model.evacuation.transit_sigma) * evac,
        };
        arrival = departure + hours;
        if let Some(t) = death_at.filter(|t| *t < arrival) {
            // Died in transit: the death is recorded against the facility left, the last one reached.
            let t = t.max(departure);
            events.push((dead_event, role, t));
            return finish(generator, injuries, allergies, injury_time, stays, events, dead_status, t, rng);
        }
    }
    unreachable!("the loop returns at Role 4")
}

/// Applies a facility's `kia_rate`: the casualty dies within `[start, end)` with probability
/// `rate`, whatever the model decided for that stretch. A death the model placed after `end` is kept.
fn override_death(model_death: Option<f64>, rate: f64, draw: f64, start: f64, end: f64, position: f64) -> Option<f64> {
    if draw < rate {
        return Some(start + position * (end - start));
    }
    model_death.filter(|t| *t >= end)
}

fn stay_length(generator: &Generator<'_>, role: Role, triage: Triage, rng: &mut Stream) -> f64 {
    let stay = &generator.model.stay;
    let median = match role {
        Role::Role1 => stay.role1_median_hours.get(triage),
        Role::Role2 => stay.role2_median_hours.get(triage),
        Role::Role3 => stay.role3_median_hours.get(triage),
        _ => stay.role4_median_hours.get(triage),
    };
    rng.lognormal(median, stay.sigma)
}

#[allow(clippy::too_many_arguments)]
fn finish<'g>(
    generator: &'g Generator<'_>,
    injuries: &Injuries<'g>,
    allergies: &Allergies,
    injury_time: i64,
    stays: Vec<Stay>,
    events: Vec<(EventType, Role, f64)>,
    final_status: FinalStatus,
    outcome_hours: f64,
    rng: &mut Stream,
) -> Course<'g> {
    let decimals = generator.model.output.hour_decimals as i32;
    let scale = libm::pow(10.0, decimals as f64);
    let seconds = |hours: f64| injury_time + (hours * 3600.0).round() as i64;
    let timeline: Vec<TimelineEvent> = events
        .iter()
        .map(|&(event_type, facility, hours)| TimelineEvent {
            event_type,
            facility,
            timestamp: crate::time::Timestamp(seconds(hours)),
            hours_since_injury: (hours * scale).round() / scale,
        })
        .collect();
    let last_facility = stays.iter().map(|s| s.role).max().unwrap_or(Role::Poi);
    let died = final_status.is_death();

    // Treatments and medications, each at most once, at the first role in range reached.
    let reference = generator.reference;
    let mut treatments: Vec<CareItem<'g>> = Vec::new();
    let mut medications: Vec<CareItem<'g>> = Vec::new();
    for stay in &stays {
        let window = (stay.end - stay.admitted).max(0.0);
        if window <= 0.0 && died {
            continue;
        }
        let start = treatments.len();
        for row in &reference.treatments {
            if stay.role < row.first_role || stay.role > row.last_role || !injuries.tags.contains(row.tag) {
                continue;
            }
            if treatments.iter().any(|t| t.code == row.code) || !rng.chance(row.probability) {
                continue;
            }
            let term = reference.term(&row.code);
            let at = stay.admitted + window.min(1.0) * rng.uniform() * 0.9;
            treatments.push(CareItem { code: &term.code, display: &term.display, facility: stay.role, timestamp: crate::time::Timestamp(seconds(at)) });
        }
        treatments[start..].sort_by_key(|g| g.timestamp);
        let start = medications.len();
        for row in &reference.medications {
            if stay.role < row.first_role || stay.role > row.last_role || !injuries.tags.contains(row.tag) || !rng.chance(row.probability) {
                continue;
            }
            let code = if allergies.allergic_to(&row.code) {
                match &row.alternative {
                    Some(alternative) if !allergies.allergic_to(alternative) => alternative,
                    _ => continue,
                }
            } else {
                &row.code
            };
            if medications.iter().any(|m| m.code == code) {
                continue;
            }
            let term = reference.term(code);
            let at = stay.admitted + window.min(1.0) * rng.uniform() * 0.9;
            medications.push(CareItem { code: &term.code, display: &term.display, facility: stay.role, timestamp: crate::time::Timestamp(seconds(at)) });
        }
        medications[start..].sort_by_key(|g| g.timestamp);
    }

    // Vital signs: at the point of injury, then on arrival at and departure from each facility.
    let mut vital_signs = Vec::with_capacity(stays.len() * 2);
    let death_time = died.then_some(outcome_hours);
    for (i, stay) in stays.iter().enumerate() {
        let first = if i == 0 { (stay.end * 0.5).min(5.0 / 60.0) } else { stay.arrival };
        let mut moments = vec![first];
        if stay.end > first && stay.role != Role::Poi {
            moments.push(stay.end);
        }
        for at in moments {
            if death_time.is_some_and(|d| at >= d) && !(i == 0 && at == first) {
                continue;
            }
            // The first set at the point of injury is the one triage was decided on.
            let triage_set = i == 0 && at == first;
            let p = if triage_set { injuries.initial } else { vitals_at(injuries, &generator.model.physiology.recovery, stay.role, at, death_time, rng) };
            vital_signs.push(VitalSigns {
                timestamp: crate::time::Timestamp(seconds(at)),
                facility: stay.role,
                heart_rate: p.heart_rate.round() as u16,
                systolic_bp: p.systolic.round() as u16,
                respiratory_rate: p.respiratory_rate.round() as u16,
                spo2: p.spo2.round() as u8,
                gcs: p.gcs as u8,
                temperature: (p.temperature * 10.0).round() / 10.0,
            });
        }
    }

    Course { timeline, treatments, medications, vital_signs, final_status, last_facility, outcome_time: seconds(outcome_hours) }
}

/// Vital signs at `hours` after injury: recovering with care, or failing towards death.
fn vitals_at(injuries: &Injuries<'_>, recovery: &crate::model::ByRole, role: Role, hours: f64, death: Option<f64>, rng: &mut Stream) -> Physiology {
    let start = injuries.initial;
    let goal = injuries.baseline;
    let mut p = match death {
        Some(death) => {
            // Linear decline from the injury towards arrest at the time of death.
            let f = (hours / death).clamp(0.0, 1.0);
            Physiology {
                heart_rate: start.heart_rate + f * (150.0 - start.heart_rate).max(0.0),
                systolic: start.systolic + f * (55.0 - start.systolic).min(0.0),
                respiratory_rate: start.respiratory_rate + f * (32.0 - start.respiratory_rate),
                spo2: start.spo2 + f * (78.0 - start.spo2).min(0.0),
                gcs: start.gcs + f * (3.0 - start.gcs).min(0.0),
                temperature: start.temperature,
            }
        }
        None => {
            // Share of the way back to normal that care at each role achieves.
            let f = recovery.get(role);
            let towards = |a: f64, b: f64| a + f * (b - a);
            Physiology {
                heart_rate: towards(start.heart_rate, goal.heart_rate),
                systolic: towards(start.systolic, goal.systolic),
                respiratory_rate: towards(start.respiratory_rate, goal.respiratory_rate),
                spo2: towards(start.spo2, goal.spo2),
                gcs: towards(start.gcs, goal.gcs),
                temperature: towards(start.temperature, goal.temperature),
            }
        }
    };
    // Measurement noise.
    p.heart_rate += rng.normal(0.0, 2.0);
    p.systolic += rng.normal(0.0, 3.0);
    p.respiratory_rate += rng.normal(0.0, 0.7);
    p.spo2 += rng.normal(0.0, 0.4);
    p.temperature += rng.normal(0.0, 0.1);
    clamp(p)
}

