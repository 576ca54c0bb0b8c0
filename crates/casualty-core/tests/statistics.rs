//! Statistical calibration of the default scenario at 100,000 patients, against bands drawn from
//! published military trauma figures.
//!
//! Patients are generated in process on two threads and never serialized, so the whole file runs
//! in a few seconds in release mode. The run is one fixed seed: the bands are wide enough that
//! sampling noise at this size (well under one percentage point) cannot move a share across them.

mod common;

use casualty_core::engine::Generator;
use casualty_core::record::{EventType, FinalStatus, Triage};
use casualty_core::scenario::{Category, Role, Scenario};
use serde_json::json;

const PATIENTS: u64 = 100_000;
const SEED: u64 = 2026;

/// Default injury distribution (Disease, Non-Battle Injury, Battle Injury); the scenario defaults.
const CATEGORY_SHARES: [f64; 3] = [0.52, 0.33, 0.15];
/// Allowed deviation of each category share: one percentage point.
const CATEGORY_TOLERANCE: f64 = 0.01;
/// Explosive share of battle injuries; 74.4% (Owens et al., J Trauma 2008; J Trauma Acute Care Surg 2012).
const EXPLOSIVE_SHARE: (f64, f64) = (0.65, 0.85);
/// Upper- and lower-limb share of battle wounds; 54% extremities (Owens et al., J Trauma 2008).
const EXTREMITY_SHARE: (f64, f64) = (0.45, 0.60);
/// (KIA + DOW) / battle casualties; about 9-10% in Iraq and Afghanistan (Holcomb 2006; Kotwal 2016).
const CASE_FATALITY_RATE: (f64, f64) = (0.07, 0.14);
/// KIA share of battle deaths; 87.3% die before a treatment facility (Eastridge et al. 2012).
const KIA_SHARE_OF_DEATHS: (f64, f64) = (0.70, 0.90);
/// Share of T1 battle casualties reaching Role 1 within one hour; NATO 10-1-2, AJP-4.10(B).
const ROLE1_WITHIN_HOUR_MIN: f64 = 0.90;

/// Counts gathered over the run.
#[derive(Default)]
struct Tally {
    by_category: [u64; 3],
    battle: u64,
    explosive: u64,
    battle_wounds: u64,
    extremity_wounds: u64,
    kia: u64,
    dow: u64,
    t1_at_role1: u64,
    t1_within_hour: u64,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        for (a, b) in self.by_category.iter_mut().zip(other.by_category) {
            *a += b;
        }
        self.battle += other.battle;
        self.explosive += other.explosive;
        self.battle_wounds += other.battle_wounds;
        self.extremity_wounds += other.extremity_wounds;
        self.kia += other.kia;
        self.dow += other.dow;
        self.t1_at_role1 += other.t1_at_role1;
        self.t1_within_hour += other.t1_within_hour;
    }
}

fn count_range(generator: &Generator<'_>, range: std::ops::Range<u64>) -> Tally {
    let mut tally = Tally::default();
    for index in range {
        let p = generator.patient(index);
        tally.by_category[p.injury_type.index()] += 1;
        if p.injury_type != Category::BattleInjury {
            continue;
        }
        tally.battle += 1;
        tally.explosive += u64::from(p.mechanism.id == "explosive");
        tally.battle_wounds += p.injuries.len() as u64;
        tally.extremity_wounds += p.injuries.iter().filter(|i| matches!(i.body_region, "upper_limb" | "lower_limb")).count() as u64;
        tally.kia += u64::from(p.final_status == FinalStatus::Kia);
        tally.dow += u64::from(p.final_status == FinalStatus::Dow);
        if p.triage_category == Triage::T1 {
            let arrival = p.movement_timeline.iter().find(|e| e.event_type == EventType::Arrival && e.facility == Role::Role1);
            if let Some(arrival) = arrival {
                tally.t1_at_role1 += 1;
                tally.t1_within_hour += u64::from(arrival.timestamp.0 - p.injury_timestamp.0 <= 3600);
            }
        }
    }
    tally
}

/// Generates the default scenario once and counts it; later tests reuse the result.
fn tally() -> &'static Tally {
    static TALLY: std::sync::OnceLock<Tally> = std::sync::OnceLock::new();
    TALLY.get_or_init(|| {
        let scenario: Scenario = common::scenario(json!({"count": PATIENTS, "seed": SEED}));
        let generator = Generator::new(&scenario);
        let middle = PATIENTS / 2;
        std::thread::scope(|scope| {
            let first = scope.spawn(|| count_range(&generator, 0..middle));
            let mut total = count_range(&generator, middle..PATIENTS);
            total.merge(first.join().expect("the first half was counted"));
            total
        })
    })
}

fn share(part: u64, whole: u64) -> f64 {
    part as f64 / whole.max(1) as f64
}

fn assert_within(name: &str, value: f64, (low, high): (f64, f64)) {
    assert!(value >= low, "{name} {:.2}% below the band {:.0}-{:.0}%", value * 100.0, low * 100.0, high * 100.0);
    assert!(value <= high, "{name} {:.2}% above the band {:.0}-{:.0}%", value * 100.0, low * 100.0, high * 100.0);
}

#[test]
fn category_shares_match_defaults() {
    let tally = tally();
    let total: u64 = tally.by_category.iter().sum();
    assert_eq!(total, PATIENTS, "patients counted");
    for category in Category::ALL {
        let expected = CATEGORY_SHARES[category.index()];
        let band = (expected - CATEGORY_TOLERANCE, expected + CATEGORY_TOLERANCE);
        assert_within(&format!("{} share", category.as_str()), share(tally.by_category[category.index()], total), band);
    }
}

#[test]
fn explosive_mechanism_share() {
    let tally = tally();
    assert_within("explosive share of battle injuries", share(tally.explosive, tally.battle), EXPLOSIVE_SHARE);
}

#[test]
fn extremity_wound_share() {
    let tally = tally();
    assert_within("limb share of battle wounds", share(tally.extremity_wounds, tally.battle_wounds), EXTREMITY_SHARE);
}

#[test]
fn battle_case_fatality_rate() {
    let tally = tally();
    assert_within("battle case fatality rate", share(tally.kia + tally.dow, tally.battle), CASE_FATALITY_RATE);
}

#[test]
fn kia_share_of_battle_deaths() {
    let tally = tally();
    assert_within("KIA share of battle deaths", share(tally.kia, tally.kia + tally.dow), KIA_SHARE_OF_DEATHS);
}

#[test]
fn t1_reach_role1_within_hour() {
    let tally = tally();
    assert!(tally.t1_at_role1 > 1000, "only {} T1 battle casualties reached Role1", tally.t1_at_role1);
    let within = share(tally.t1_within_hour, tally.t1_at_role1);
    assert!(within >= ROLE1_WITHIN_HOUR_MIN, "{:.1}% of T1 battle casualties reached Role1 within 1 h, expected at least {:.0}%", within * 100.0, ROLE1_WITHIN_HOUR_MIN * 100.0);
}
