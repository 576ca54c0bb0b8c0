//! Record invariants over a range of scenarios and seeds: every generated patient must pass the
//! checks in `common::check_patient`, and a few scenario settings must show their effect.

mod common;

use std::collections::HashSet;

use casualty_core::engine::Generator;
use casualty_core::record::{EventType, FinalStatus, Patient};
use casualty_core::scenario::{Category, Role, Scenario};
use common::{check_patient, scenario, scenario_file};
use serde_json::{json, Value};

/// Generates every patient of `scenario`, checks each one and returns how many there were.
fn check_all(scenario: &Scenario) -> u64 {
    let generator = Generator::new(scenario);
    assert_eq!(generator.schedule().total(), scenario.count, "schedule total differs from the count for {}", scenario.name);
    for index in 0..scenario.count {
        let patient = generator.patient(index);
        assert_eq!(patient.sequence, index, "patient {index} has sequence {}", patient.sequence);
        check_patient(&patient, scenario);
    }
    scenario.count
}

/// Runs `check_all` on a scenario document under each seed.
fn check_seeds(document: Value, seeds: &[u64]) {
    for &seed in seeds {
        let mut document = document.clone();
        document["seed"] = json!(seed);
        check_all(&scenario(document));
    }
}

/// Generates every patient of a scenario as (sequence, final status, timeline events).
fn outcomes(scenario: &Scenario) -> Vec<(u64, FinalStatus, Vec<(EventType, Role)>)> {
    let generator = Generator::new(scenario);
    (0..scenario.count)
        .map(|i| {
            let p: Patient<'_> = generator.patient(i);
            (i, p.final_status, p.movement_timeline.iter().map(|e| (e.event_type, e.facility)).collect())
        })
        .collect()
}

#[test]
fn default_scenario_records_valid() {
    check_seeds(json!({"count": 3000}), &[1, 2, 20_260_105]);
}

#[test]
fn seed_cases_records_valid() {
    for file in ["tests/cases/seed-small.json", "tests/cases/seed-large.json"] {
        let scenario = scenario_file(file);
        let checked = check_all(&scenario);
        assert!(checked > 0, "{file} generated no patients");
    }
}

#[test]
fn special_events_records_valid() {
    let document = json!({
        "count": 2500,
        "days_of_fighting": 5,
        "special_events": [
            {"type": "ambush", "day": 1, "hour": 6, "size": 40},
            {"type": "mass_casualty", "day": 2, "hour": 10, "size": 150},
            {"type": "major_offensive", "day": 4, "hour": 5, "size": 300},
            {"type": "mass_casualty", "day": 5, "hour": 23, "size": 5}
        ]
    });
    check_seeds(document, &[3, 4]);
}

#[test]
fn special_events_bool_form_valid() {
    let document = json!({
        "count": 1200,
        "days_of_fighting": 9,
        "special_events": {"mass_casualty": true, "major_offensive": true, "ambush": true}
    });
    check_seeds(document, &[5]);
}

#[test]
fn cbrn_warfare_records_valid() {
    let document = json!({
        "count": 2000,
        "injury_distribution": {"Disease": 0.2, "Non-Battle Injury": 0.2, "Battle Injury": 0.6},
        "warfare_types": {"cbrn": 0.7, "conventional": 0.3},
        "intensity": "extreme"
    });
    check_seeds(document.clone(), &[6, 7]);

    let scenario = scenario(document);
    let generator = Generator::new(&scenario);
    let chemical = (0..scenario.count).filter(|&i| generator.patient(i).mechanism.id == "chemical").count();
    assert!(chemical > 0, "CBRN warfare produced no chemical casualties among {} patients", scenario.count);
}

#[test]
fn extreme_heat_records_valid() {
    let document = json!({
        "count": 2000,
        "environmental_conditions": ["extreme_heat", "dust_storm", "urban_debris"],
        "warfare_types": ["urban", "guerrilla"]
    });
    check_seeds(document.clone(), &[8]);

    let scenario = scenario(document);
    let generator = Generator::new(&scenario);
    let heat = (0..scenario.count).filter(|&i| generator.patient(i).mechanism.id == "heat").count();
    assert!(heat > 0, "extreme_heat produced no heat casualties among {} patients", scenario.count);
}

#[test]
fn extreme_cold_records_valid() {
    let document = json!({
        "count": 2000,
        "environmental_conditions": {"extreme_cold": true, "storm": true, "night_operations": true, "mountainous_terrain": true, "fog": false},
        "warfare_types": {"artillery": true, "drone": true, "naval": false}
    });
    check_seeds(document.clone(), &[9]);

    let scenario = scenario(document);
    let generator = Generator::new(&scenario);
    let cold = (0..scenario.count).filter(|&i| generator.patient(i).mechanism.id == "cold").count();
    assert!(cold > 0, "extreme_cold produced no cold casualties among {} patients", scenario.count);
}

#[test]
fn every_tempo_records_valid() {
    let intensities = ["low", "medium", "high", "extreme", "medium"];
    for (tempo, intensity) in ["sustained", "escalating", "surge", "declining", "intermittent"].into_iter().zip(intensities) {
        let document = json!({"count": 1000, "days_of_fighting": 12, "tempo": tempo, "intensity": intensity, "seed": 10});
        check_all(&scenario(document));
    }
}

#[test]
fn facility_rate_overrides_valid() {
    let document = json!({
        "count": 2000,
        "facility_configs": [
            {"id": "POI", "kia_rate": 0.05},
            {"id": "R1", "rtd_rate": 0.5, "kia_rate": 0.02},
            {"id": "Role2", "kia_rate": 0.1, "rtd_rate": 0.2},
            {"id": "R3", "rtd_rate": 0.9},
            {"id": "R4", "kia_rate": 0.3}
        ]
    });
    check_seeds(document, &[11, 12]);
}

#[test]
fn single_category_scenarios_valid() {
    for distribution in [json!({"Battle Injury": 1.0}), json!({"Disease": 100}), json!({"NON_BATTLE": 1})] {
        let document = json!({"count": 800, "injury_distribution": distribution.clone(), "seed": 13});
        check_all(&scenario(document));
    }
}

#[test]
fn battle_only_with_events_valid() {
    let document = json!({
        "count": 600,
        "injury_distribution": {"Battle Injury": 1.0},
        "special_events": [{"type": "mass_casualty", "day": 1, "hour": 0, "size": 600}]
    });
    check_seeds(document, &[14]);
}

#[test]
fn hour_decimals_override_valid() {
    for decimals in [0, 4] {
        let document = json!({"count": 500, "overrides": {"output.hour_decimals": decimals}, "seed": 15});
        check_all(&scenario(document));
    }
}

#[test]
fn custom_fronts_records_valid() {
    let document = json!({
        "count": 1500,
        "front_configs": [
            {"id": "east", "casualty_rate": 3, "nationality_distribution": [
                {"nationality_code": "GRC", "percentage": 40}, {"nationality_code": "BGR", "percentage": 30}, {"nationality_code": "MKD", "percentage": 30}
            ]},
            {"id": "west", "casualty_rate": 1, "nationality_distribution": {"isl": 50, "LUX": 25, "MNE": 25}}
        ],
        "overrides": {"demographics.female_share": 0.5}
    });
    check_seeds(document, &[16]);
}

#[test]
fn role1_kia_rate_one_kills_there() {
    let document = json!({"count": 1500, "seed": 17, "facility_configs": [{"id": "R1", "kia_rate": 1.0}]});
    let scenario = scenario(document);
    for (index, status, timeline) in outcomes(&scenario) {
        let reached_role1 = timeline.iter().any(|&(event, role)| event == EventType::Arrival && role == Role::Role1);
        if reached_role1 {
            let died_at_role1 = matches!(status, FinalStatus::Dow | FinalStatus::DnbiDeath) && timeline.last().map(|e| e.1) == Some(Role::Role1);
            assert!(died_at_role1, "patient {index} reached Role1 with kia_rate 1.0 and ended {status:?}");
        }
    }
}

#[test]
fn role1_rtd_rate_one_returns_survivors() {
    let document = json!({"count": 1500, "seed": 18, "facility_configs": [{"id": "R1", "rtd_rate": 1.0}]});
    let scenario = scenario(document);
    for (index, status, timeline) in outcomes(&scenario) {
        let reached_role2 = timeline.iter().any(|&(event, role)| event == EventType::Arrival && role == Role::Role2);
        if reached_role2 {
            assert!(status.is_death(), "patient {index} went past Role1 with rtd_rate 1.0 and ended {status:?}");
        }
    }
}

#[test]
fn poi_kia_rate_one_kills_everyone() {
    let document = json!({"count": 800, "seed": 19, "facility_configs": [{"id": "POI", "kia_rate": 1.0}]});
    let scenario = scenario(document);
    let generator = Generator::new(&scenario);
    for index in 0..scenario.count {
        let patient = generator.patient(index);
        let expected = if patient.injury_type == Category::BattleInjury { FinalStatus::Kia } else { FinalStatus::DnbiDeath };
        assert_eq!(patient.final_status, expected, "patient {index} ({:?}) with POI kia_rate 1.0", patient.injury_type);
    }
}

#[test]
fn patient_ids_unique_and_deterministic() {
    let first = scenario(json!({"count": 4000, "seed": 21}));
    let again = scenario(json!({"count": 4000, "seed": 21}));
    let other_seed = scenario(json!({"count": 4000, "seed": 22}));
    let (a, b, c) = (Generator::new(&first), Generator::new(&again), Generator::new(&other_seed));

    let mut ids = HashSet::new();
    for index in 0..first.count {
        let patient = a.patient(index);
        assert!(ids.insert(patient.id), "id {} repeats at patient {index}", patient.id);
        let repeat = b.patient(index);
        assert_eq!(patient.id, repeat.id, "id of patient {index} differs between two generators");
        let left = serde_json::to_string(&patient).expect("a record serializes");
        let right = serde_json::to_string(&repeat).expect("a record serializes");
        assert_eq!(left, right, "record {index} differs between two generators of one scenario");
        assert_ne!(patient.id, c.patient(index).id, "patient {index} has the same id under seeds 21 and 22");
    }
}

#[test]
fn patient_independent_of_order() {
    let scenario = scenario(json!({"count": 300, "seed": 23}));
    let generator = Generator::new(&scenario);
    let forward: Vec<String> = (0..scenario.count).map(|i| serde_json::to_string(&generator.patient(i)).expect("serializes")).collect();
    for index in (0..scenario.count).rev() {
        let alone = serde_json::to_string(&generator.patient(index)).expect("serializes");
        assert_eq!(alone, forward[index as usize], "patient {index} differs when generated in reverse order");
    }
}

#[test]
fn role1_capacity_delays_mass_casualty() {
    // Facility.capacity is documented as beds whose overflow waits; a single Role 1 bed facing a
    // 300-casualty event must lengthen the time from injury to leaving Role 1.
    let base = json!({
        "count": 400,
        "seed": 24,
        "injury_distribution": {"Battle Injury": 1.0},
        "special_events": [{"type": "mass_casualty", "day": 1, "hour": 10, "size": 300}]
    });
    let mut crowded = base.clone();
    crowded["facility_configs"] = json!([{"id": "R1", "capacity": 1}]);

    let hours_through_role1 = |scenario: &Scenario| -> f64 {
        let generator = Generator::new(scenario);
        let mut total = 0.0;
        for index in 0..scenario.count {
            let patient = generator.patient(index);
            let left_role1 = patient.movement_timeline.iter().filter(|e| e.facility == Role::Role1).map(|e| e.hours_since_injury).fold(None, |a: Option<f64>, h| Some(a.map_or(h, |a| a.max(h))));
            total += left_role1.unwrap_or(0.0);
        }
        total
    };
    let roomy = hours_through_role1(&scenario(base));
    let single_bed = hours_through_role1(&scenario(crowded));
    assert!(single_bed > roomy, "Role1 capacity 1 gives {single_bed:.1} casualty-hours to leave Role1, the default capacity {roomy:.1}: capacity has no effect");
}

#[test]
fn poi_rtd_rate_not_ignored() {
    // The scenario reader promises that nothing is silently ignored. An rtd_rate on the point of
    // injury must either be rejected, as it is on Role 4, or return casualties to duty there.
    let document = json!({"count": 500, "seed": 25, "facility_configs": [{"id": "POI", "rtd_rate": 1.0}]});
    match casualty_core::scenario::parse_scenario_value(&document, Default::default()) {
        Err(error) => {
            let named = error.errors.iter().any(|e| e.path == "facility_configs[0].rtd_rate");
            assert!(named, "POI rtd_rate rejected without naming facility_configs[0].rtd_rate: {error}");
        }
        Ok(request) => {
            let scenario = request.scenario;
            let generator = Generator::new(&scenario);
            let returned_at_poi = (0..scenario.count)
                .map(|i| generator.patient(i))
                .filter(|p| p.final_status == FinalStatus::Rtd && p.last_facility == Role::Poi)
                .count();
            assert!(returned_at_poi > 0, "POI rtd_rate 1.0 was accepted but no casualty returned to duty at POI");
        }
    }
}
