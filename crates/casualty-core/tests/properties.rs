//! Property tests: random valid scenarios, built as JSON and read through the scenario parser,
//! must generate every patient without panicking, every record must meet the invariants of
//! `common::check_patient`, and every record must validate against `docs/record.schema.json`.

mod common;

use std::collections::HashSet;

use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

/// The 32 NATO members, by ISO 3166-1 alpha-3 code.
const NATIONS: [&str; 32] = [
    "ALB", "BEL", "BGR", "CAN", "HRV", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC", "HUN", "ISL", "ITA", "LVA", "LTU", "LUX", "MNE", "MKD",
    "NLD", "NOR", "POL", "PRT", "ROU", "SVK", "SVN", "ESP", "SWE", "TUR", "GBR", "USA",
];
const WARFARE: [&str; 8] = ["conventional", "artillery", "urban", "guerrilla", "drone", "naval", "cbrn", "peacekeeping"];
const INTENSITIES: [&str; 4] = ["low", "medium", "high", "extreme"];
const TEMPOS: [&str; 5] = ["sustained", "escalating", "surge", "declining", "intermittent"];
const CONDITIONS: [&str; 9] = ["rain", "fog", "storm", "extreme_heat", "extreme_cold", "dust_storm", "night_operations", "mountainous_terrain", "urban_debris"];
const EVENTS: [&str; 3] = ["mass_casualty", "major_offensive", "ambush"];
const ROLES: [&str; 5] = ["POI", "R1", "Role2", "R3", "Role4"];
/// Spellings of the three categories, in the order Disease, Non-Battle Injury, Battle Injury.
const SPELLINGS: [[&str; 3]; 2] = [["Disease", "Non-Battle Injury", "Battle Injury"], ["DISEASE", "NON_BATTLE", "BATTLE_TRAUMA"]];
/// Model parameters a scenario may override, with the range of values drawn for each.
const OVERRIDES: [(&str, f64, f64); 7] = [
    ("death.logistic_slope", 0.05, 0.15),
    ("death.surgical_salvage_probability", 0.0, 1.0),
    ("evacuation.poi_median_minutes.T1", 3.0, 40.0),
    ("stay.role2_median_hours.T2", 1.0, 24.0),
    ("severity.ais_step_probability", 0.1, 0.6),
    ("output.hour_decimals", 0.0, 4.0),
    ("demographics.religion_recorded_share", 0.0, 1.0),
];

/// A facility override: role index, then kia_rate and rtd_rate in thousandths, and capacity.
type FacilityDraw = (usize, Option<u32>, Option<u32>, Option<u32>);

/// Random choices from which a valid scenario document is built.
#[derive(Debug, Clone)]
struct Draw {
    count: u64,
    seed: u64,
    days: u32,
    shares: [u32; 3],
    percent_form: bool,
    spelling: usize,
    fronts: Vec<(u32, Vec<(usize, u32)>)>,
    warfare: Vec<(usize, u32)>,
    warfare_form: usize,
    intensity: usize,
    tempo: usize,
    conditions: Vec<usize>,
    conditions_as_map: bool,
    events: Vec<(usize, u32, u32, u32)>,
    facilities: Vec<FacilityDraw>,
    overrides: Vec<(usize, u32)>,
}

fn front() -> impl Strategy<Value = (u32, Vec<(usize, u32)>)> {
    (1u32..=100, prop::collection::vec((0usize..NATIONS.len(), 1u32..=100), 1..=4))
}

fn draw() -> impl Strategy<Value = Draw> {
    let basics = (1u64..=300, any::<u64>(), 1u32..=30, [0u32..=100, 0u32..=100, 1u32..=100], any::<bool>(), 0usize..2);
    let setting = (
        prop::collection::vec(front(), 1..=3),
        prop::collection::vec((0usize..WARFARE.len(), 0u32..=10), 0..=4),
        0usize..3,
        0usize..INTENSITIES.len(),
        0usize..TEMPOS.len(),
        prop::collection::vec(0usize..CONDITIONS.len(), 0..=4),
        any::<bool>(),
    );
    let extras = (
        prop::collection::vec((0usize..EVENTS.len(), 1u32..=30, 0u32..=23, 1u32..=400), 0..=3),
        prop::collection::vec((0usize..ROLES.len(), prop::option::of(0u32..=300), prop::option::of(0u32..=1000), prop::option::of(1u32..=500)), 0..=5),
        prop::collection::vec((0usize..OVERRIDES.len(), 0u32..=1000), 0..=3),
    );
    (basics, setting, extras).prop_map(|(basics, setting, extras)| {
        let (count, seed, days, shares, percent_form, spelling) = basics;
        let (fronts, warfare, warfare_form, intensity, tempo, conditions, conditions_as_map) = setting;
        let (events, facilities, overrides) = extras;
        Draw { count, seed, days, shares, percent_form, spelling, fronts, warfare, warfare_form, intensity, tempo, conditions, conditions_as_map, events, facilities, overrides }
    })
}

/// Builds the scenario document; every choice is mapped into its valid range.
fn build(d: &Draw) -> Value {
    let total: u32 = d.shares.iter().sum();
    let scale = if d.percent_form { 100.0 } else { 1.0 };
    let mut distribution = Map::new();
    for (name, share) in SPELLINGS[d.spelling].iter().zip(d.shares) {
        distribution.insert((*name).to_string(), json!(f64::from(share) / f64::from(total) * scale));
    }

    let fronts: Vec<Value> = d
        .fronts
        .iter()
        .enumerate()
        .map(|(i, (rate, nations))| {
            let mut seen = HashSet::new();
            let nations: Vec<(usize, u32)> = nations.iter().copied().filter(|(n, _)| seen.insert(*n)).collect();
            let weight: u32 = nations.iter().map(|(_, w)| w).sum();
            let shares: Vec<Value> = nations
                .iter()
                .map(|(n, w)| json!({"nationality_code": NATIONS[*n], "percentage": f64::from(*w) / f64::from(weight) * 100.0}))
                .collect();
            json!({"id": format!("front-{i}"), "casualty_rate": f64::from(*rate) / 10.0, "nationality_distribution": shares})
        })
        .collect();

    let warfare = match d.warfare_form {
        0 => Value::Array(d.warfare.iter().map(|(w, _)| json!(WARFARE[*w])).collect()),
        1 => Value::Object(d.warfare.iter().map(|(w, weight)| (WARFARE[*w].to_string(), json!(*weight > 3))).collect()),
        _ => Value::Object(d.warfare.iter().map(|(w, weight)| (WARFARE[*w].to_string(), json!(weight))).collect()),
    };
    let conditions = if d.conditions_as_map {
        Value::Object(d.conditions.iter().map(|c| (CONDITIONS[*c].to_string(), json!(true))).collect())
    } else {
        Value::Array(d.conditions.iter().map(|c| json!(CONDITIONS[*c])).collect())
    };

    // Event sizes take their share of the count and stop before the total would exceed it.
    let mut events = Vec::new();
    let mut event_total = 0;
    for (kind, day, hour, permille) in &d.events {
        let size = (d.count * u64::from(*permille) / 1000).max(1);
        if event_total + size > d.count {
            break;
        }
        event_total += size;
        events.push(json!({"type": EVENTS[*kind], "day": 1 + (day - 1) % d.days, "hour": hour, "size": size}));
    }

    let mut facilities = Vec::new();
    let mut roles = HashSet::new();
    for (role, kia, rtd, capacity) in &d.facilities {
        if !roles.insert(*role) {
            continue;
        }
        let mut facility = Map::new();
        facility.insert("id".into(), json!(ROLES[*role]));
        if let Some(kia) = kia {
            facility.insert("kia_rate".into(), json!(f64::from(*kia) / 1000.0));
        }
        // Role 4 takes no rtd_rate, and POI has no return to duty to adjust.
        if let Some(rtd) = rtd.filter(|_| (1..=3).contains(role)) {
            facility.insert("rtd_rate".into(), json!(f64::from(rtd) / 1000.0));
        }
        // Beds are set for the roles with queues only.
        if let Some(capacity) = capacity.filter(|_| (1..=3).contains(role)) {
            facility.insert("capacity".into(), json!(capacity));
        }
        facilities.push(Value::Object(facility));
    }

    let mut overrides = Map::new();
    for (which, position) in &d.overrides {
        let (key, low, high) = OVERRIDES[*which];
        let value = low + (high - low) * f64::from(*position) / 1000.0;
        let value = if key == "output.hour_decimals" { json!(value.round() as u32) } else { json!(value) };
        overrides.insert(key.to_string(), value);
    }

    json!({
        "name": "property",
        "count": d.count,
        "seed": d.seed,
        "days_of_fighting": d.days,
        "injury_distribution": distribution,
        "front_configs": fronts,
        "warfare_types": warfare,
        "intensity": INTENSITIES[d.intensity],
        "tempo": TEMPOS[d.tempo],
        "environmental_conditions": conditions,
        "special_events": events,
        "facility_configs": facilities,
        "overrides": overrides
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn random_scenarios_meet_invariants(draw in draw()) {
        let document = build(&draw);
        let parsed = parse_scenario_value(&document, CommandLineOverrides::default());
        prop_assert!(parsed.is_ok(), "a valid scenario was rejected: {document}\n{:?}", parsed.as_ref().err());
        let scenario = parsed.expect("checked above").scenario;

        let generator = Generator::new(&scenario);
        prop_assert_eq!(generator.schedule().total(), scenario.count, "schedule total for {}", document);
        let mut ids = HashSet::new();
        for index in 0..scenario.count {
            let patient = generator.patient(index);
            common::check_patient(&patient, &scenario);
            common::check_schema(&patient);
            prop_assert!(ids.insert(patient.id), "id {} repeats at patient {}", patient.id, index);
        }
    }
}
