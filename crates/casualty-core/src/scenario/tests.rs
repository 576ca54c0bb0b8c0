//! Tests of scenario parsing and validation: accepted forms, defaults, precedence, and the
//! path, value and expectation of every rejection.

use serde_json::json;

use super::*;

const SEED_SMALL: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/cases/seed-small.json"));
const SEED_LARGE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/cases/seed-large.json"));

fn parse(document: &Value) -> Result<Request, ScenarioError> {
    parse_scenario_value(document, CommandLineOverrides::default())
}

fn accepted(document: Value) -> Scenario {
    match parse(&document) {
        Ok(request) => request.scenario,
        Err(error) => panic!("{document} was rejected: {error}"),
    }
}

fn rejected(document: Value) -> Vec<FieldError> {
    match parse(&document) {
        Ok(_) => panic!("{document} was accepted, expected a rejection"),
        Err(error) => error.errors,
    }
}

/// Finds the error at `path`, and panics with the full list of errors when there is none.
fn error_at(document: Value, path: &str) -> FieldError {
    let errors = rejected(document.clone());
    match errors.iter().find(|e| e.path == path) {
        Some(error) => error.clone(),
        None => panic!("{document}: no error at `{path}`; errors: {errors:?}"),
    }
}

fn with_cli(document: Value, count: Option<u64>, seed: Option<u64>) -> Result<Request, ScenarioError> {
    parse_scenario_value(&document, CommandLineOverrides { count, seed })
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// Asserts that `text` contains each of `words`, one assert per word.
fn assert_mentions(text: &str, words: &[&str], context: &str) {
    for word in words {
        assert!(text.contains(word), "{context}: {word:?} missing from {text:?}");
    }
}

// --- Seed cases, wrapping and defaults -------------------------------------------------------

#[test]
fn seed_cases_parse() {
    let small = parse_request(SEED_SMALL, InputFormat::Json, CommandLineOverrides::default()).map(|r| r.scenario);
    let large = parse_request(SEED_LARGE, InputFormat::Json, CommandLineOverrides::default()).map(|r| r.scenario);
    assert_eq!(small.as_ref().map(|s| s.count), Ok(500), "seed-small.json count");
    assert_eq!(large.as_ref().map(|s| s.count), Ok(5000), "seed-large.json count");
    assert_eq!(small.as_ref().map(|s| s.name.as_str()), Ok("Small Test"), "seed-small.json name");
    let shares = small.map(|s| s.injury_distribution).unwrap_or_default();
    for (share, expected) in shares.iter().zip([0.52, 0.33, 0.15]) {
        assert!(close(*share, expected), "seed-small.json shares {shares:?}, expected {expected} in place of {share}");
    }
}

#[test]
fn bare_and_wrapped_agree() {
    let bare = accepted(json!({"name": "Drill", "count": 40, "seed": 3, "tempo": "surge"}));
    let wrapped = accepted(json!({"configuration": {"name": "Drill", "count": 40, "seed": 3, "tempo": "surge"}}));
    assert_eq!(bare, wrapped, "a wrapped body must give the same scenario as the bare one");
    assert_eq!(bare.sha256(), wrapped.sha256(), "same scenario, same hash");
}

#[test]
fn wrapped_service_keys_recorded() {
    let request = parse(&json!({"configuration": {"count": 5}, "output_formats": ["json"], "priority": "high", "use_compression": true}));
    let keys = request.map(|r| r.options.service_keys).unwrap_or_default();
    for key in ["output_formats", "priority", "use_compression"] {
        assert!(keys.iter().any(|k| k == key), "service key {key} missing from {keys:?}");
    }
}

#[test]
fn service_keys_rejected_when_bare() {
    let error = error_at(json!({"count": 5, "priority": "high"}), "priority");
    assert!(error.expected.contains("unknown key"), "expected text: {}", error.expected);
}

#[test]
fn count_precedence_order() {
    let full = json!({"total_patients": 11, "configuration": {"count": 13}});
    assert_eq!(with_cli(full.clone(), Some(7), None).map(|r| r.scenario.count), Ok(7), "--count beats every count in the file");
    assert_eq!(parse(&full).map(|r| r.scenario.count), Ok(11), "top-level total_patients beats the inner count");
    let inner_total = json!({"configuration": {"total_patients": 17}});
    assert_eq!(parse(&inner_total).map(|r| r.scenario.count), Ok(17), "inner total_patients alone is the count");
}

#[test]
fn inner_count_beats_total_patients() {
    let both_inner = json!({"configuration": {"count": 13, "total_patients": 17}});
    assert_eq!(parse(&both_inner).map(|r| r.scenario.count), Ok(13), "inner count beats inner total_patients");
}

#[test]
fn defaults_fill_missing_fields() {
    let scenario = accepted(json!({}));
    assert_eq!(scenario.seed, DEFAULT_SEED, "default seed");
    assert_eq!(DEFAULT_SEED, 1, "the documented default seed is 1");
    assert_eq!(scenario.count, DEFAULT_COUNT, "default count");
    assert_eq!(scenario.days_of_fighting, DEFAULT_DAYS, "default days");
    assert_eq!(scenario.base_time, 1_767_571_200, "default base date 2026-01-05T00:00:00Z");
    assert_eq!(scenario.injury_distribution, [0.52, 0.33, 0.15], "default injury distribution");
    assert_eq!(scenario.fronts.len(), 3, "default fronts");
    assert_eq!(scenario.facilities.iter().map(|f| f.role).collect::<Vec<_>>(), Role::ALL.to_vec(), "one default facility per role");
    assert_eq!(scenario.warfare_types, vec![(WarfareType::Conventional, 1.0)], "default warfare");
    assert_eq!(scenario.intensity, Intensity::Medium, "default intensity");
    assert_eq!(scenario.tempo, Tempo::Sustained, "default tempo");
    assert!(scenario.special_events.is_empty(), "no default events");
    assert!(scenario.environmental_conditions.is_empty(), "no default conditions");
    assert_eq!(scenario.model, crate::model::ModelParameters::defaults(), "default model");
}

#[test]
fn cli_seed_overrides_file() {
    assert_eq!(with_cli(json!({"seed": 4}), None, Some(9)).map(|r| r.scenario.seed), Ok(9), "--seed beats the file");
    assert_eq!(with_cli(json!({"seed": 4}), None, None).map(|r| r.scenario.seed), Ok(4), "the file's seed without --seed");
}

#[test]
fn yaml_matches_json() {
    let yaml = "name: Drill\ncount: 40\nseed: 3\ninjury_distribution:\n  Disease: 0.5\n  Non-Battle Injury: 0.3\n  Battle Injury: 0.2\n";
    let from_yaml = parse_request(yaml, InputFormat::Yaml, CommandLineOverrides::default()).map(|r| r.scenario);
    let from_json = accepted(json!({"name": "Drill", "count": 40, "seed": 3, "injury_distribution": {"Disease": 0.5, "Non-Battle Injury": 0.3, "Battle Injury": 0.2}}));
    assert_eq!(from_yaml, Ok(from_json), "YAML and JSON of one scenario must agree");
}

#[test]
fn unparsable_document_rejected() {
    for (text, format) in [("{\"count\": 5,", InputFormat::Json), ("count: [5", InputFormat::Yaml)] {
        let errors = parse_request(text, format, CommandLineOverrides::default()).err().map(|e| e.errors).unwrap_or_default();
        assert_eq!(errors.first().map(|e| e.path.as_str()), Some("(document)"), "{text:?} must be rejected as a whole document");
    }
    let error = error_at(json!([1, 2]), "(document)");
    assert_eq!(error.expected, "an object", "a non-object document");
}

#[test]
fn input_format_from_extension() {
    assert_eq!(InputFormat::from_path(std::path::Path::new("a/b.YML")), InputFormat::Yaml, ".YML");
    assert_eq!(InputFormat::from_path(std::path::Path::new("b.yaml")), InputFormat::Yaml, ".yaml");
    assert_eq!(InputFormat::from_path(std::path::Path::new("b.json")), InputFormat::Json, ".json");
    assert_eq!(InputFormat::from_path(std::path::Path::new("scenario")), InputFormat::Json, "no extension");
}

// --- Injury distribution ---------------------------------------------------------------------

#[test]
fn distribution_tolerance_both_sides() {
    let cases = [
        (json!({"Disease": 0.3, "Non-Battle Injury": 0.6, "Battle Injury": 0.1}), true),
        (json!({"Disease": 33.3, "Non-Battle Injury": 33.3, "Battle Injury": 33.4}), true),
        (json!({"Disease": 0.333, "Non-Battle Injury": 0.333, "Battle Injury": 0.333}), true),
        (json!({"Disease": 0.33, "Non-Battle Injury": 0.33, "Battle Injury": 0.33}), false),
        (json!({"Disease": 99, "Non-Battle Injury": 0, "Battle Injury": 0}), false),
        (json!({"Disease": 50.6, "Non-Battle Injury": 30, "Battle Injury": 20}), false),
        (json!({"Disease": 50.4, "Non-Battle Injury": 30, "Battle Injury": 20}), true),
        (json!({"Disease": 49.6, "Non-Battle Injury": 30, "Battle Injury": 20}), true),
        (json!({"Disease": 49.4, "Non-Battle Injury": 30, "Battle Injury": 20}), false),
        (json!({"Disease": 0.504, "Non-Battle Injury": 0.3, "Battle Injury": 0.2}), true),
        (json!({"Disease": 0.506, "Non-Battle Injury": 0.3, "Battle Injury": 0.2}), false),
    ];
    for (distribution, valid) in cases {
        let result = parse(&json!({"injury_distribution": distribution.clone()}));
        match result {
            Ok(request) => {
                assert!(valid, "{distribution} was accepted, expected a rejection");
                let total: f64 = request.scenario.injury_distribution.iter().sum();
                assert!(close(total, 1.0), "{distribution} rescaled to a total of {total}");
            }
            Err(error) => {
                assert!(!valid, "{distribution} was rejected: {error}");
                let error = error.errors.iter().find(|e| e.path == "injury_distribution");
                let expected = error.map(|e| e.expected.as_str()).unwrap_or("");
                assert_mentions(expected, &["summing to 1", "summing to 100"], &distribution.to_string());
            }
        }
    }
}

#[test]
fn distribution_keeps_category_order() {
    let scenario = accepted(json!({"injury_distribution": {"Battle Injury": 0.1, "Disease": 0.3, "Non-Battle Injury": 0.6}}));
    let [disease, non_battle, battle] = scenario.injury_distribution;
    assert!(close(disease, 0.3), "Disease share {disease}");
    assert!(close(non_battle, 0.6), "Non-Battle Injury share {non_battle}");
    assert!(close(battle, 0.1), "Battle Injury share {battle}");
}

#[test]
fn distribution_spellings_and_alias() {
    let upper = accepted(json!({"injury_distribution": {"DISEASE": 0.5, "NON_BATTLE": 0.3, "BATTLE_TRAUMA": 0.2}}));
    assert_eq!(upper.injury_distribution, [0.5, 0.3, 0.2], "DISEASE, NON_BATTLE and BATTLE_TRAUMA spellings");
    let alias = accepted(json!({"injury_mix": {"DISEASE": 0.5, "NON_BATTLE": 0.3, "BATTLE_TRAUMA": 0.2}}));
    assert_eq!(alias.injury_distribution, [0.5, 0.3, 0.2], "injury_mix is an alias of injury_distribution");
    let error = error_at(json!({"injury_distribution": {"Disease": 1}, "injury_mix": {"Disease": 1}}), "injury_mix");
    assert!(error.expected.contains("aliases"), "both spellings at once: {}", error.expected);
}

#[test]
fn distribution_bad_entries_rejected() {
    let unknown = error_at(json!({"injury_distribution": {"Disease": 0.5, "Civilian": 0.5}}), "injury_distribution.Civilian");
    assert!(unknown.expected.contains("BATTLE_TRAUMA"), "unknown category names the accepted spellings: {}", unknown.expected);
    let twice = error_at(json!({"injury_distribution": {"Disease": 0.5, "DISEASE": 0.5}}), "injury_distribution.Disease");
    assert!(twice.expected.contains("twice"), "a category given twice: {}", twice.expected);
    let negative = error_at(json!({"injury_distribution": {"Disease": -0.5, "Battle Injury": 1.5}}), "injury_distribution.Disease");
    assert_eq!(negative.value, "-0.5", "negative share value");
    let list = error_at(json!({"injury_distribution": [0.5, 0.5]}), "injury_distribution");
    assert!(list.expected.contains("an object"), "a list instead of an object: {}", list.expected);
}

// --- Unknown and legacy keys -----------------------------------------------------------------

#[test]
fn unknown_key_rejected_with_list() {
    let error = error_at(json!({"count": 5, "colour": "red"}), "colour");
    assert_eq!(error.value, "\"red\"", "value of the unknown key");
    assert!(error.expected.contains("unknown key"), "expected text: {}", error.expected);
    assert_mentions(&error.expected, &["front_configs", "special_events"], "accepted keys listed");

    let nested = error_at(json!({"front_configs": [{"id": "a", "nationality_distribution": {"USA": 100}, "sector": 2}]}), "front_configs[0].sector");
    assert!(nested.expected.contains("casualty_rate"), "front keys listed: {}", nested.expected);
    let facility = error_at(json!({"facility_configs": [{"id": "R2", "beds": 4}]}), "facility_configs[0].beds");
    assert!(facility.expected.contains("capacity"), "facility keys listed: {}", facility.expected);
    let outer = error_at(json!({"configuration": {}, "callback_url": "x"}), "callback_url");
    assert!(outer.expected.contains("configuration"), "request keys listed: {}", outer.expected);
}

#[test]
fn legacy_keys_rejected_with_hint() {
    let cases = [
        ("advanced_overrides", json!({"death": 1}), "overrides"),
        ("preset_id", json!("nato-standard"), "inline"),
        ("triage_override", json!({"T1": 0.2}), "triage."),
        ("medical_simulation", json!(true), "overrides"),
        ("evacuation_times", json!({"R1": 1}), "evacuation."),
    ];
    for (key, value, hint) in cases {
        let error = error_at(json!({key: value.clone()}), key);
        assert!(error.expected.contains("not supported"), "{key}: expected text {:?}", error.expected);
        assert!(error.expected.contains(hint), "{key}: hint {hint:?} missing from {:?}", error.expected);
        let wrapped = error_at(json!({"configuration": {}, key: value}), key);
        assert!(wrapped.expected.contains(hint), "{key} beside configuration: {:?}", wrapped.expected);
    }
    let null = error_at(json!({"triage_override": null}), "triage_override");
    assert_eq!(null.value, "null", "a legacy key set to null is still rejected");
}

// --- Fronts and nations ----------------------------------------------------------------------

#[test]
fn unknown_nation_rejected_with_path() {
    let document = json!({"front_configs": [{"id": "f", "nationality_distribution": [{"nationality_code": "XXX", "percentage": 100}]}]});
    let error = error_at(document, "front_configs[0].nationality_distribution[0].nationality_code");
    assert!(error.value.contains("XXX"), "value: {}", error.value);
    assert_mentions(&error.expected, &["NATO", "USA", "MKD"], "accepted codes listed");
}

#[test]
fn nation_code_case_insensitive() {
    let scenario = accepted(json!({"front_configs": [{"id": "f", "nationality_distribution": [{"nationality_code": "usa", "percentage": 100}]}]}));
    assert_eq!(scenario.fronts[0].nationality_distribution[0].nationality_code, "USA", "codes are upper-cased");
}

#[test]
fn nation_percentages_must_sum() {
    let document = json!({"front_configs": [{"id": "f", "nationality_distribution": [
        {"nationality_code": "USA", "percentage": 60}, {"nationality_code": "GBR", "percentage": 30}
    ]}]});
    let error = error_at(document, "front_configs[0].nationality_distribution");
    assert!(error.value.contains("90"), "value names the sum: {}", error.value);
    assert!(error.expected.contains("100"), "expected text: {}", error.expected);
}

#[test]
fn nation_map_form_accepted() {
    let scenario = accepted(json!({"front_configs": [{"id": "f", "nationality_distribution": {"POL": 70, "LTU": 30}}]}));
    let mut shares: Vec<(&str, f64)> = scenario.fronts[0].nationality_distribution.iter().map(|n| (n.nationality_code.as_str(), n.percentage)).collect();
    shares.sort_by(|a, b| a.0.cmp(b.0));
    assert_eq!(shares, vec![("LTU", 30.0), ("POL", 70.0)], "map form keeps every nation and share");
}

#[test]
fn nation_repeated_rejected() {
    let document = json!({"front_configs": [{"id": "f", "nationality_distribution": [
        {"nationality_code": "USA", "percentage": 50}, {"nationality_code": "usa", "percentage": 50}
    ]}]});
    let error = error_at(document, "front_configs[0].nationality_distribution[1].nationality_code");
    assert!(error.expected.contains("once"), "expected text: {}", error.expected);
}

#[test]
fn front_problems_rejected() {
    let nations = json!({"USA": 100});
    let missing = error_at(json!({"front_configs": [{"id": "f"}]}), "front_configs[0].nationality_distribution");
    assert_eq!(missing.value, "missing", "a front without nations");
    let empty = error_at(json!({"front_configs": []}), "front_configs");
    assert!(empty.expected.contains("from 1 to 50 fronts"), "empty list: {}", empty.expected);
    let duplicate = error_at(json!({"front_configs": [{"id": "a", "nationality_distribution": nations}, {"id": "a", "nationality_distribution": nations}]}), "front_configs[1].id");
    assert!(duplicate.expected.contains("not used by another front"), "duplicate id: {}", duplicate.expected);
    let idle = error_at(json!({"front_configs": [{"id": "a", "casualty_rate": 0, "nationality_distribution": nations}]}), "front_configs");
    assert!(idle.expected.contains("above 0"), "all rates zero: {}", idle.expected);
    let unnamed = accepted(json!({"front_configs": [{"nationality_distribution": nations}]}));
    assert_eq!(unnamed.fronts[0].id, "front-1", "a front without an id is numbered");
}

// --- Counts, seeds, types and dates ----------------------------------------------------------

#[test]
fn count_out_of_range_rejected() {
    for count in [json!(0), json!(MAX_COUNT + 1), json!(-3), json!(2.5)] {
        let error = error_at(json!({"count": count.clone()}), "count");
        assert_eq!(error.value, count.to_string(), "value of count {count}");
        assert!(error.expected.contains(&format!("1 to {MAX_COUNT}")), "count {count}: expected text {}", error.expected);
    }
    assert_eq!(parse(&json!({"count": MAX_COUNT})).map(|r| r.scenario.count), Ok(MAX_COUNT), "MAX_COUNT itself is accepted");
    assert_eq!(parse(&json!({"count": 25.0})).map(|r| r.scenario.count), Ok(25), "a whole number written as 25.0 is accepted");
}

#[test]
fn cli_count_out_of_range_rejected() {
    for count in [0, MAX_COUNT + 1] {
        let errors = with_cli(json!({}), Some(count), None).err().map(|e| e.errors).unwrap_or_default();
        let error = errors.iter().find(|e| e.path == "--count");
        assert_eq!(error.map(|e| e.value.clone()), Some(count.to_string()), "--count {count} must be rejected under the path --count");
    }
}

#[test]
fn wrong_types_rejected() {
    let cases = [
        (json!({"count": "500"}), "count", "\"500\"", "whole number"),
        (json!({"seed": -1}), "seed", "-1", "whole number"),
        (json!({"seed": "abc"}), "seed", "\"abc\"", "whole number"),
        (json!({"days_of_fighting": true}), "days_of_fighting", "true", "whole number"),
        (json!({"days_of_fighting": 366}), "days_of_fighting", "366", "1 to 365"),
        (json!({"name": 5}), "name", "5", "a string"),
        (json!({"front_configs": {"id": "a"}}), "front_configs", "{\"id\":\"a\"}", "an array"),
        (json!({"facility_configs": "R1"}), "facility_configs", "\"R1\"", "an array"),
        (json!({"intensity": 3}), "intensity", "3", "low, medium, high, extreme"),
        (json!({"configuration": "x"}), "configuration", "\"x\"", "an object"),
    ];
    for (document, path, value, expected) in cases {
        let error = error_at(document, path);
        assert_eq!(error.value, value, "value at {path}");
        assert!(error.expected.contains(expected), "{path}: {expected:?} missing from {:?}", error.expected);
    }
}

#[test]
fn base_date_forms() {
    assert_eq!(accepted(json!({"base_date": "2026-03-01"})).base_time, 1_772_323_200, "date only is midnight UTC");
    assert_eq!(accepted(json!({"base_date": "2026-03-01T06:00:00Z"})).base_time, 1_772_323_200 + 6 * 3600, "UTC time");
    for bad in [json!("2026-02-30"), json!("yesterday"), json!("2026-03-01T06:00:00+01:00"), json!(20_260_301)] {
        let error = error_at(json!({"base_date": bad.clone()}), "base_date");
        assert_eq!(error.value, bad.to_string(), "value of base_date {bad}");
        assert!(error.expected.contains("YYYY-MM-DD"), "base_date {bad}: expected text {}", error.expected);
    }
}

// --- Facilities ------------------------------------------------------------------------------

#[test]
fn facility_role_spellings() {
    let scenario = accepted(json!({"facility_configs": [
        {"id": "R1", "kia_rate": 0.1},
        {"id": "Role2", "rtd_rate": 0.3, "name": "Forward surgical team"},
        {"role": "role3", "capacity": 12},
        {"id": "poi", "kia_rate": 0.05},
        {"id": "Role 4", "kia_rate": 0.01}
    ]}));
    assert_eq!(scenario.facility(Role::Role1).kia_rate, Some(0.1), "R1 kia_rate");
    assert_eq!(scenario.facility(Role::Role2).rtd_rate, Some(0.3), "Role2 rtd_rate");
    assert_eq!(scenario.facility(Role::Role2).name, "Forward surgical team", "Role2 name");
    assert_eq!(scenario.facility(Role::Role3).capacity, Some(12), "role3 capacity");
    assert_eq!(scenario.facility(Role::Poi).kia_rate, Some(0.05), "poi kia_rate");
    assert_eq!(scenario.facility(Role::Role4).kia_rate, Some(0.01), "Role 4 kia_rate");
    assert_eq!(scenario.facility(Role::Role3).kia_rate, None, "unset kia_rate keeps the model");
}

#[test]
fn facility_duplicate_role_rejected() {
    let error = error_at(json!({"facility_configs": [{"id": "R1"}, {"id": "Role1"}]}), "facility_configs[1]");
    assert!(error.expected.contains("Role1 appears twice"), "expected text: {}", error.expected);
}

#[test]
fn facility_role4_rtd_rejected() {
    let error = error_at(json!({"facility_configs": [{"id": "R4", "rtd_rate": 0.2}]}), "facility_configs[0].rtd_rate");
    assert_eq!(error.value, "0.2", "value of the Role 4 rtd_rate");
    assert!(error.expected.contains("Remains_Role4"), "expected text: {}", error.expected);
}

#[test]
fn facility_bad_values_rejected() {
    let role = error_at(json!({"facility_configs": [{"id": "R5"}]}), "facility_configs[0].id");
    assert!(role.expected.contains("POI, R1, R2, R3 or R4"), "unknown role: {}", role.expected);
    let missing = error_at(json!({"facility_configs": [{"kia_rate": 0.1}]}), "facility_configs[0].id");
    assert_eq!(missing.value, "missing", "a facility without a role");
    let rate = error_at(json!({"facility_configs": [{"id": "R2", "kia_rate": 1.5}]}), "facility_configs[0].kia_rate");
    assert!(rate.expected.contains("0 to 1"), "kia_rate above 1: {}", rate.expected);
    let capacity = error_at(json!({"facility_configs": [{"id": "R2", "capacity": 0}]}), "facility_configs[0].capacity");
    assert_eq!(capacity.value, "0", "capacity 0");
}

// --- Warfare, intensity, tempo and conditions ------------------------------------------------

#[test]
fn warfare_forms_normalised() {
    let bools = accepted(json!({"warfare_types": {"conventional": true, "artillery": true, "urban": false}}));
    assert_eq!(bools.warfare_types, vec![(WarfareType::Conventional, 0.5), (WarfareType::Artillery, 0.5)], "boolean map");
    let weights = accepted(json!({"warfare_types": {"drone": 1, "artillery": 3}}));
    assert_eq!(weights.warfare_types, vec![(WarfareType::Artillery, 0.75), (WarfareType::Drone, 0.25)], "weight map");
    let list = accepted(json!({"warfare_types": ["cbrn", "Urban"]}));
    assert_eq!(list.warfare_types, vec![(WarfareType::Urban, 0.5), (WarfareType::Cbrn, 0.5)], "list");
    let none = accepted(json!({"warfare_types": {"naval": false}}));
    assert_eq!(none.warfare_types, vec![(WarfareType::Conventional, 1.0)], "nothing switched on falls back to conventional");
}

#[test]
fn warfare_unknown_rejected() {
    let map = error_at(json!({"warfare_types": {"laser": true}}), "warfare_types.laser");
    assert_mentions(&map.expected, &["conventional", "cbrn"], "warfare names listed");
    let list = error_at(json!({"warfare_types": ["urban", "laser"]}), "warfare_types[1]");
    assert_eq!(list.value, "\"laser\"", "value of the unknown list entry");
    let string = error_at(json!({"warfare_types": "urban"}), "warfare_types");
    assert!(string.expected.contains("list of names"), "a bare string: {}", string.expected);
    let negative = error_at(json!({"warfare_types": {"urban": -1}}), "warfare_types.urban");
    assert_eq!(negative.value, "-1", "negative weight");
}

#[test]
fn intensity_and_tempo_strings() {
    for (name, intensity) in [("low", Intensity::Low), ("medium", Intensity::Medium), ("HIGH", Intensity::High), ("extreme", Intensity::Extreme)] {
        assert_eq!(accepted(json!({"intensity": name})).intensity, intensity, "intensity {name}");
    }
    let tempos = [("sustained", Tempo::Sustained), ("escalating", Tempo::Escalating), ("surge", Tempo::Surge), ("declining", Tempo::Declining), ("Intermittent", Tempo::Intermittent)];
    for (name, tempo) in tempos {
        assert_eq!(accepted(json!({"tempo": name})).tempo, tempo, "tempo {name}");
    }
    assert_eq!(accepted(json!({"intensity": {"low": false, "high": true}})).intensity, Intensity::High, "boolean map with one true entry");
    let two = error_at(json!({"intensity": {"low": true, "high": true}}), "intensity");
    assert!(two.expected.contains("exactly one true entry"), "two true entries: {}", two.expected);
    let unknown = error_at(json!({"tempo": "fast"}), "tempo");
    assert!(unknown.expected.contains("sustained, escalating, surge, declining, intermittent"), "tempos listed: {}", unknown.expected);
}

#[test]
fn conditions_forms_sorted() {
    let list = accepted(json!({"environmental_conditions": ["fog", "rain", "fog", "extreme_cold"]}));
    assert_eq!(list.environmental_conditions, vec![Condition::Rain, Condition::Fog, Condition::ExtremeCold], "list, sorted without repeats");
    let map = accepted(json!({"environmental_conditions": {"extreme_heat": true, "dust_storm": true, "storm": false}}));
    assert_eq!(map.environmental_conditions, vec![Condition::ExtremeHeat, Condition::DustStorm], "boolean map");
    let unknown = error_at(json!({"environmental_conditions": ["snow"]}), "environmental_conditions[0]");
    assert!(unknown.expected.contains("extreme_heat"), "conditions listed: {}", unknown.expected);
}

// --- Special events --------------------------------------------------------------------------

#[test]
fn events_bool_map_defaults() {
    let scenario = accepted(json!({"count": 1000, "days_of_fighting": 9, "special_events": {"mass_casualty": true, "ambush": true, "major_offensive": false}}));
    let kinds: Vec<EventKind> = scenario.special_events.iter().map(|e| e.kind).collect();
    assert_eq!(kinds, vec![EventKind::Ambush, EventKind::MassCasualty], "switched-on events in time order");
    let size = (1000.0 * scenario.model.events.default_size_share).round() as u64;
    assert!(scenario.special_events.iter().all(|e| e.size == size), "default sizes are {size}: {:?}", scenario.special_events);
    assert!(scenario.special_events.iter().all(|e| (1..=9).contains(&e.day)), "default days within the operation: {:?}", scenario.special_events);
}

#[test]
fn events_list_explicit_values() {
    let scenario = accepted(json!({"count": 500, "days_of_fighting": 6, "special_events": [
        {"type": "major_offensive", "day": 5, "hour": 4, "size": 120},
        {"kind": "Mass Casualty", "day": 2, "size": 30, "front": "south"}
    ]}));
    let expected = vec![
        SpecialEvent { kind: EventKind::MajorOffensive, day: 5, hour: 4, size: 120, front: "north".into() },
        SpecialEvent { kind: EventKind::MassCasualty, day: 2, hour: 12, size: 30, front: "south".into() },
    ];
    assert_eq!(scenario.special_events, expected, "events keep their order; hour defaults to 12; the busiest front by default");
}

#[test]
fn event_front_must_exist() {
    let error = error_at(json!({"special_events": [{"type": "ambush", "front": "west"}]}), "special_events[0].front");
    assert_eq!(error.value, "\"west\"", "the unknown front");
    assert!(error.expected.contains("north, central, south"), "front ids listed: {}", error.expected);
}

#[test]
fn front_distances_checked_and_kept() {
    let scenario = accepted(json!({"front_configs": [{"id": "a", "distance_km": {"Role2": 25}, "nationality_distribution": {"USA": 100}}]}));
    assert_eq!(scenario.fronts[0].distance_km, FrontDistances { role2: Some(25.0), role3: None }, "given distance kept");
    let error = error_at(json!({"front_configs": [{"id": "a", "distance_km": {"Role2": 0}, "nationality_distribution": {"USA": 100}}]}), "front_configs[0].distance_km.Role2");
    assert!(error.expected.contains("0.1 to 10000"), "range named: {}", error.expected);
    let error = error_at(json!({"front_configs": [{"id": "a", "distance_km": {"Role4": 5}, "nationality_distribution": {"USA": 100}}]}), "front_configs[0].distance_km.Role4");
    assert!(error.expected.contains("Role2, Role3"), "accepted keys named: {}", error.expected);
}

#[test]
fn capacity_only_for_roles_with_queues() {
    let error = error_at(json!({"facility_configs": [{"id": "POI", "capacity": 5}]}), "facility_configs[0].capacity");
    assert!(error.expected.contains("Role 1 to Role 3"), "reason given: {}", error.expected);
    let error = error_at(json!({"facility_configs": [{"id": "R4", "capacity": 5}]}), "facility_configs[0].capacity");
    assert!(error.expected.contains("Role 4"), "reason given: {}", error.expected);
}

#[test]
fn event_day_beyond_operation_rejected() {
    let error = error_at(json!({"count": 500, "days_of_fighting": 5, "special_events": [{"type": "ambush", "day": 6, "size": 10}]}), "special_events[0].day");
    assert_eq!(error.value, "6", "value of the late day");
    assert!(error.expected.contains("days_of_fighting (5)"), "expected text: {}", error.expected);
}

#[test]
fn event_sizes_above_count_rejected() {
    let document = json!({"count": 100, "special_events": [{"type": "ambush", "day": 1, "size": 60}, {"type": "mass_casualty", "day": 2, "size": 50}]});
    let error = error_at(document, "special_events");
    assert!(error.value.contains("110"), "value names the total: {}", error.value);
    assert!(error.expected.contains("100"), "expected text names the count: {}", error.expected);
}

#[test]
fn event_bad_entries_rejected() {
    let kind = error_at(json!({"special_events": [{"type": "riot", "day": 1}]}), "special_events[0].type");
    assert!(kind.expected.contains("mass_casualty, major_offensive, ambush"), "kinds listed: {}", kind.expected);
    let missing = error_at(json!({"special_events": [{"day": 1}]}), "special_events[0].type");
    assert_eq!(missing.value, "missing", "an event without a type");
    let hour = error_at(json!({"special_events": [{"type": "ambush", "hour": 24}]}), "special_events[0].hour");
    assert!(hour.expected.contains("0 to 23"), "hour 24: {}", hour.expected);
    let extra = error_at(json!({"special_events": [{"type": "ambush", "where": "bridge"}]}), "special_events[0].where");
    assert!(extra.expected.contains("unknown key"), "unknown event key: {}", extra.expected);
}

// --- Model overrides -------------------------------------------------------------------------

#[test]
fn override_known_key_applied() {
    let scenario = accepted(json!({"overrides": {"death.logistic_slope": 0.12, "evacuation.poi_median_minutes.T1": 7.5}}));
    assert_eq!(scenario.model.death.logistic_slope, 0.12, "death.logistic_slope applied");
    assert_eq!(scenario.model.evacuation.poi_median_minutes.T1, 7.5, "evacuation.poi_median_minutes.T1 applied");
    assert_eq!(scenario.overrides.get("death.logistic_slope"), Some(&json!(0.12)), "overrides kept for the record");
    let defaults = crate::model::ModelParameters::defaults();
    assert_eq!(scenario.model.death.logistic_intercept, defaults.death.logistic_intercept, "other parameters keep their defaults");
}

#[test]
fn override_list_and_new_weight() {
    let pattern: Vec<f64> = (0..24).map(|h| 1.0 + f64::from(h)).collect();
    let scenario = accepted(json!({"overrides": {"daily_pattern.battle": pattern.clone(), "mechanism_weights.battle.radiation": 2.0}}));
    assert_eq!(scenario.model.daily_pattern.battle, pattern, "list parameter replaced");
    assert_eq!(scenario.model.mechanism_weights.battle.get("radiation"), Some(&2.0), "new entry in a weight table");
}

#[test]
fn override_unknown_key_names_known() {
    let error = error_at(json!({"overrides": {"death.bogus": 1}}), "overrides.death.bogus");
    assert_eq!(error.value, "1", "value of the unknown parameter");
    assert_mentions(&error.expected, &["logistic_slope", "surgical_salvage_probability"], "known keys listed");
}

#[test]
fn override_unknown_triage_key_named() {
    let error = error_at(json!({"overrides": {"evacuation.poi_median_minutes.T5": 3}}), "overrides.evacuation.poi_median_minutes.T5");
    assert_mentions(&error.expected, &["T1", "T4"], "triage keys listed");
}

#[test]
fn override_unknown_group_names_known() {
    let error = error_at(json!({"overrides": {"weather.rain": 1}}), "overrides.weather.rain");
    assert_mentions(&error.expected, &["death", "evacuation"], "top-level keys listed");
}

#[test]
fn override_unknown_mechanism_rejected() {
    let error = error_at(json!({"overrides": {"mechanism_weights.battle.laser": 1}}), "overrides.mechanism_weights.battle.laser");
    assert!(error.expected.contains("explosive"), "known mechanisms listed: {}", error.expected);
}

#[test]
fn override_wrong_shape_rejected() {
    let cases = [
        ("death.logistic_slope", json!("steep"), "a number"),
        ("daily_pattern.battle", json!([1, 2]), "a list of 24 numbers"),
        ("death", json!(1), "not a group"),
    ];
    for (key, value, expected) in cases {
        let error = error_at(json!({"overrides": {key: value.clone()}}), &format!("overrides.{key}"));
        assert_eq!(error.value, value.to_string(), "value of override {key}");
        assert!(error.expected.contains(expected), "override {key}: {expected:?} missing from {:?}", error.expected);
    }
    let not_object = error_at(json!({"overrides": [1]}), "overrides");
    assert!(not_object.expected.contains("dotted parameter names"), "overrides as a list: {}", not_object.expected);
}

#[test]
fn override_out_of_range_rejected() {
    let error = error_at(json!({"overrides": {"death.surgical_salvage_probability": 1.5}}), "overrides.death.surgical_salvage_probability");
    assert_eq!(error.value, "1.5", "value of the probability");
    assert!(error.expected.contains("probability from 0 to 1"), "expected text: {}", error.expected);
}

#[test]
fn override_fraction_for_whole_rejected() {
    let error = error_at(json!({"overrides": {"wounds.max_wounds": 2.5}}), "overrides.wounds.max_wounds");
    assert_eq!(error.value, "2.5", "value of a fraction given for a whole number");
    assert!(error.expected.contains("whole number"), "expected text: {}", error.expected);
}

// --- Error reporting -------------------------------------------------------------------------

#[test]
fn several_errors_reported_together() {
    let document = json!({
        "count": "x",
        "tempo": "fast",
        "colour": 1,
        "base_date": "soon",
        "front_configs": [{"id": "f", "nationality_distribution": [{"nationality_code": "XXX", "percentage": 100}]}]
    });
    let errors = rejected(document);
    let paths: Vec<&str> = errors.iter().map(|e| e.path.as_str()).collect();
    for path in ["count", "tempo", "colour", "base_date", "front_configs[0].nationality_distribution[0].nationality_code"] {
        assert!(paths.contains(&path), "no error at {path}; errors at {paths:?}");
    }
}

#[test]
fn error_messages_name_path_value_expectation() {
    let documents = [
        json!({"count": 0}),
        json!({"colour": "red"}),
        json!({"preset_id": "x"}),
        json!({"injury_distribution": {"Disease": 0.33, "Non-Battle Injury": 0.33, "Battle Injury": 0.33}}),
        json!({"front_configs": [{"id": "f", "nationality_distribution": [{"nationality_code": "XXX", "percentage": 100}]}]}),
        json!({"facility_configs": [{"id": "R4", "rtd_rate": 0.5}]}),
        json!({"special_events": [{"type": "ambush", "day": 400}]}),
        json!({"overrides": {"death.bogus": 1}}),
        json!({"base_date": "2026-13-01"}),
        json!({"warfare_types": ["laser"]}),
    ];
    for document in documents {
        let Err(error) = parse(&document) else { panic!("{document} was accepted") };
        let n = error.errors.len();
        let summary = error.to_string();
        assert!(summary.starts_with(&format!("invalid scenario ({n} error")), "{document}: summary line of {summary:?}");
        for field in &error.errors {
            let message = field.to_string();
            assert!(!field.path.is_empty(), "{document}: empty path in {message:?}");
            assert!(!field.value.is_empty(), "{document}: empty value in {message:?}");
            assert!(!field.expected.is_empty(), "{document}: empty expectation in {message:?}");
            assert!(message.contains(&field.path), "{document}: {message:?} lacks the path");
            assert!(message.contains(&field.value), "{document}: {message:?} lacks the value");
            assert!(message.contains(&field.expected), "{document}: {message:?} lacks the expectation");
            assert!(summary.contains(&message), "{document}: summary {summary:?} lacks {message:?}");
        }
    }
}

#[test]
fn long_values_shortened() {
    let long = "x".repeat(500);
    let error = error_at(json!({"name": 1, "colour": long}), "colour");
    assert!(error.value.chars().count() <= 80, "a 500-character value is rendered as {} characters", error.value.chars().count());
    assert!(error.value.ends_with("..."), "a shortened value ends with an ellipsis: {}", error.value);
}

#[test]
fn scenario_hash_tracks_content() {
    let a = accepted(json!({"count": 10, "seed": 1}));
    let b = accepted(json!({"count": 10, "seed": 2}));
    assert_eq!(a.sha256().len(), 64, "SHA-256 as 64 hex digits");
    assert!(a.sha256().bytes().all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()), "lowercase hex: {}", a.sha256());
    assert_eq!(a.sha256(), accepted(json!({"seed": 1, "count": 10})).sha256(), "key order does not change the hash");
    assert_ne!(a.sha256(), b.sha256(), "a different seed changes the hash");
}

/// Builds the troop strength example of docs/scenario.md.
fn strength_document() -> Value {
    json!({
        "days_of_fighting": 10,
        "front_configs": [
            {"id": "north", "strength": 12000, "nationality_distribution": {"POL": 60, "LTU": 40}},
            {"id": "south", "strength": 8000, "nationality_distribution": {"ROU": 100}}
        ]
    })
}

#[test]
fn strength_predicts_count_and_mix() {
    let scenario = accepted(strength_document());
    let estimate = scenario.force_estimate.as_ref().expect("strengths give a force estimate");
    assert_eq!(estimate.troops, 20_000);
    assert!(close(estimate.battle, 490.0), "battle {}", estimate.battle);
    assert!(close(estimate.dnbi, 408.0), "dnbi {}", estimate.dnbi);
    assert_eq!(estimate.daily.len(), 10);
    assert_eq!(scenario.count, 898, "the count is the predicted total");
    assert!(close(scenario.injury_distribution[2], 490.0 / 898.0), "battle share {:?}", scenario.injury_distribution);
    let disease_share_of_dnbi = scenario.injury_distribution[0] / (scenario.injury_distribution[0] + scenario.injury_distribution[1]);
    assert!(close(disease_share_of_dnbi, 52.0 / 85.0), "conventional warfare splits the rest 52 to 33: {:?}", scenario.injury_distribution);
    assert_eq!(scenario.fronts[0].casualty_rate, 12_000.0, "a front's weight is its strength");
    assert_eq!(scenario.fronts[1].strength, Some(8000));
}

#[test]
fn strength_follows_tempo_per_day() {
    let mut document = strength_document();
    document["tempo"] = json!("escalating");
    let scenario = accepted(document);
    let estimate = scenario.force_estimate.expect("a force estimate");
    assert!(estimate.daily[9].battle > 2.0 * estimate.daily[0].battle, "battle rises under escalating tempo: {:?}", estimate.daily);
    assert!(close(estimate.daily[0].dnbi, estimate.daily[9].dnbi), "DNBI stays level");
    assert!((estimate.battle - 490.0).abs() < 0.5, "the tempo moves casualties between days, not the total: {}", estimate.battle);
}

#[test]
fn given_count_and_mix_win_over_strength() {
    let mut document = strength_document();
    document["count"] = json!(5000);
    document["injury_distribution"] = json!({"Disease": 50, "Non-Battle Injury": 30, "Battle Injury": 20});
    let scenario = accepted(document);
    assert_eq!(scenario.count, 5000);
    assert!(close(scenario.injury_distribution[2], 0.2));
    assert!(scenario.force_estimate.is_some(), "the prediction is still recorded");
    assert!(scenario.canonical_json()["force_estimate"]["daily"].is_array());
}

#[test]
fn strength_errors_name_the_field() {
    let mut both = strength_document();
    both["front_configs"][0]["casualty_rate"] = json!(2);
    let error = error_at(both, "front_configs[0].strength");
    assert_mentions(&error.expected, &["casualty_rate", "strength", "not both"], "both given");

    let mut mixed = strength_document();
    mixed["front_configs"][1].as_object_mut().unwrap().remove("strength");
    let error = error_at(mixed, "front_configs");
    assert_mentions(&error.expected, &["strength", "every front"], "mixed fronts");

    let mut zero = strength_document();
    zero["front_configs"][0]["strength"] = json!(0);
    error_at(zero, "front_configs[0].strength");

    let mut huge = strength_document();
    huge["days_of_fighting"] = json!(365);
    huge["front_configs"][0]["strength"] = json!(10_000_000);
    huge["front_configs"][1]["strength"] = json!(10_000_000);
    huge["overrides"] = json!({"forecas.battle_per_1000_per_day": 1000});
    let error = error_at(huge, "front_configs");
    assert_mentions(&error.expected, &["at most 100000000", "count"], "too many casualties");
}

#[test]
fn scenario_without_strength_has_no_estimate() {
    let scenario = accepted(json!({}));
    assert!(scenario.force_estimate.is_none());
    assert!(scenario.canonical_json().get("force_estimate").is_none(), "absent from the canonical form");
    assert!(scenario.canonical_json()["fronts"][0].get("strength").is_none());
}
