//! Unit tests of the FHIR format: file layout, our own URIs, stays read from timelines, and
//! bundles of generated patients checked against their Bulk Data lines.

use std::collections::{BTreeMap, BTreeSet};

use casualty_core::engine::Generator;
use casualty_core::record::{EventType, TimelineEvent};
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides, Role, Scenario};
use casualty_core::time::Timestamp;
use serde_json::{json, Value};
use uuid::Uuid;

use super::encounter::{stays, Disposition, Stay};
use super::ids::{ResourceId, ResourceKind};
use super::terminology::{RUN_TAG_SYSTEM, SERVICE_NUMBER_SYSTEM};
use super::{FhirEncoder, FILE_NAMES};
use crate::{Encoder, Format, Metadata};

fn scenario(count: u64) -> Scenario {
    let document = json!({"name": "fhir unit test", "count": count, "seed": 5, "injury_distribution": {"Disease": 0.3, "Non-Battle Injury": 0.3, "Battle Injury": 0.4}});
    parse_scenario_value(&document, CommandLineOverrides::default()).expect("a valid scenario").scenario
}

/// Encodes every patient of `scenario` and returns the buffers of the FHIR files.
fn encode_all(scenario: &Scenario) -> Vec<Vec<u8>> {
    let generator = Generator::new(scenario);
    let metadata = Metadata::new(scenario, Format::Fhir, 0..scenario.count, None);
    let encoder = FhirEncoder::new(&metadata);
    let mut outs = vec![Vec::new(); FILE_NAMES.len()];
    for index in 0..scenario.count {
        encoder.encode(&mut outs, &generator.patient(index), index == 0).expect("encoding succeeds");
    }
    outs
}

fn lines(buffer: &[u8]) -> Vec<Value> {
    std::str::from_utf8(buffer).expect("UTF-8").lines().map(|line| serde_json::from_str(line).expect("each line is JSON")).collect()
}

/// Collects the `reference` strings below `value`, and fails on nulls and empty values.
fn references(value: &Value, at: &str, found: &mut Vec<String>) {
    match value {
        Value::Null => panic!("{at} is null"),
        Value::String(text) => assert!(!text.is_empty(), "{at} is an empty string"),
        Value::Array(items) => {
            assert!(!items.is_empty(), "{at} is an empty array");
            for (index, item) in items.iter().enumerate() {
                references(item, &format!("{at}[{index}]"), found);
            }
        }
        Value::Object(members) => {
            assert!(!members.is_empty(), "{at} is an empty object");
            for (key, item) in members {
                if key == "reference" {
                    found.push(item.as_str().expect("a reference is a string").to_string());
                }
                references(item, &format!("{at}.{key}"), found);
            }
        }
        Value::Bool(_) | Value::Number(_) => {}
    }
}

#[test]
fn file_names_follow_resource_kinds() {
    assert_eq!(FILE_NAMES[0], "patients.fhir.ndjson", "the bundles come first");
    assert_eq!(FILE_NAMES.len(), ResourceKind::ALL.len() + 1, "one Bulk Data file per resource kind");
    for kind in ResourceKind::ALL {
        assert_eq!(FILE_NAMES[1 + kind.bulk_index()], format!("fhir/{}.ndjson", kind.name()), "file of {}", kind.name());
    }
}

#[test]
fn own_systems_derive_from_generator_namespace() {
    let generator = Uuid::new_v5(&Uuid::NAMESPACE_DNS, b"casualty.generator");
    let expected = |name: &str| format!("urn:uuid:{}", Uuid::new_v5(&generator, name.as_bytes()));
    assert_eq!(SERVICE_NUMBER_SYSTEM, expected("fhir/service-number"), "service number system");
    assert_eq!(RUN_TAG_SYSTEM, expected("fhir/run-tag"), "run tag system");
}

#[test]
fn reference_forms() {
    let id = Uuid::parse_str("0060a06a-29c2-5671-b0af-a2ff4c7b7dea").unwrap();
    let target = ResourceId { kind: ResourceKind::MedicationAdministration, id };
    let mut buffer = [0u8; 64];
    assert_eq!(target.urn(&mut buffer), "urn:uuid:0060a06a-29c2-5671-b0af-a2ff4c7b7dea", "bundle form");
    assert_eq!(target.relative(&mut buffer), "MedicationAdministration/0060a06a-29c2-5671-b0af-a2ff4c7b7dea", "Bulk Data form");
}

#[test]
fn resource_ids_depend_on_patient_and_name() {
    let first = Uuid::from_u128(1);
    let second = Uuid::from_u128(2);
    let encounter = ResourceId::derive(first, ResourceKind::Encounter, &["Role2"]);
    assert_eq!(encounter, ResourceId::derive(first, ResourceKind::Encounter, &["Role2"]), "the same name gives the same id");
    assert_eq!(encounter.id, Uuid::new_v5(&first, b"Encounter/Role2"), "the id is the UUID v5 of the name");
    assert_ne!(encounter.id, ResourceId::derive(second, ResourceKind::Encounter, &["Role2"]).id, "another patient gets another id");
    assert_eq!(ResourceId::indexed(first, ResourceKind::Condition, "diagnosis", 12).id, Uuid::new_v5(&first, b"Condition/diagnosis/12"), "indexed name");
}

/// Builds a timeline from (event, role, hour) triples.
fn timeline(events: &[(EventType, Role, i64)]) -> Vec<TimelineEvent> {
    events
        .iter()
        .map(|&(event_type, facility, hour)| TimelineEvent { event_type, facility, timestamp: Timestamp(hour * 3600), hours_since_injury: hour as f64 })
        .collect()
}

fn stay(role: Role, start: i64, end: Option<(i64, Disposition)>) -> Option<Stay> {
    Some(Stay { role, start: Timestamp(start * 3600), end: end.map(|(hour, disposition)| (Timestamp(hour * 3600), disposition)) })
}

#[test]
fn stays_of_each_outcome() {
    use Disposition::{Died, ReturnedToDuty, Transferred};
    use EventType::*;
    use Role::{Poi, Role1, Role2, Role3, Role4};
    let cases = [
        ("KIA at the point of injury", timeline(&[(Injury, Poi, 0), (Kia, Poi, 1)]), [stay(Poi, 0, Some((1, Died))), None, None, None, None]),
        (
            "KIA after the evacuation started",
            timeline(&[(Injury, Poi, 0), (EvacuationStart, Poi, 1), (Kia, Poi, 2)]),
            [stay(Poi, 0, Some((1, Transferred))), None, None, None, None],
        ),
        (
            "RTD from Role 1",
            timeline(&[(Injury, Poi, 0), (EvacuationStart, Poi, 1), (Arrival, Role1, 2), (Rtd, Role1, 5)]),
            [stay(Poi, 0, Some((1, Transferred))), stay(Role1, 2, Some((5, ReturnedToDuty))), None, None, None],
        ),
        (
            "DOW at Role 2",
            timeline(&[(Injury, Poi, 0), (EvacuationStart, Poi, 1), (Arrival, Role1, 2), (TransitStart, Role1, 3), (Arrival, Role2, 4), (Dow, Role2, 6)]),
            [stay(Poi, 0, Some((1, Transferred))), stay(Role1, 2, Some((3, Transferred))), stay(Role2, 4, Some((6, Died))), None, None],
        ),
        (
            "DNBI death in transit from Role 1",
            timeline(&[(Injury, Poi, 0), (EvacuationStart, Poi, 1), (Arrival, Role1, 2), (TransitStart, Role1, 3), (DnbiDeath, Role1, 4)]),
            [stay(Poi, 0, Some((1, Transferred))), stay(Role1, 2, Some((3, Transferred))), None, None, None],
        ),
        (
            "remains at Role 4",
            timeline(&[
                (Injury, Poi, 0),
                (EvacuationStart, Poi, 1),
                (Arrival, Role1, 2),
                (TransitStart, Role1, 3),
                (Arrival, Role2, 4),
                (TransitStart, Role2, 5),
                (Arrival, Role3, 6),
                (TransitStart, Role3, 7),
                (Arrival, Role4, 8),
                (RemainsRole4, Role4, 8),
            ]),
            [
                stay(Poi, 0, Some((1, Transferred))),
                stay(Role1, 2, Some((3, Transferred))),
                stay(Role2, 4, Some((5, Transferred))),
                stay(Role3, 6, Some((7, Transferred))),
                stay(Role4, 8, None),
            ],
        ),
    ];
    for (name, events, expected) in cases {
        assert_eq!(stays(&events), expected, "stays when {name}");
    }
}

#[test]
fn bundle_meta_tags_carry_run() {
    let scenario = scenario(3);
    let outs = encode_all(&scenario);
    let bundle = &lines(&outs[0])[0];
    let tags: Vec<&str> = bundle["meta"]["tag"].as_array().expect("tags").iter().map(|tag| tag["code"].as_str().expect("a code")).collect();
    assert!(tags.contains(&"generator=casualty"), "generator tag in {tags:?}");
    assert!(tags.contains(&"seed=5"), "seed tag in {tags:?}");
    assert!(tags.contains(&format!("scenario-sha256={}", scenario.sha256()).as_str()), "scenario hash tag in {tags:?}");
    assert!(bundle["meta"]["tag"].as_array().unwrap().iter().all(|tag| tag["system"] == RUN_TAG_SYSTEM), "every tag has our system");
}

#[test]
fn bundles_match_bulk_lines() {
    let scenario = scenario(300);
    let outs = encode_all(&scenario);
    let bundles = lines(&outs[0]);
    assert_eq!(bundles.len(), 300, "one bundle per patient");
    let bulk: BTreeMap<&str, Vec<Value>> = ResourceKind::ALL.iter().map(|kind| (kind.name(), lines(&outs[1 + kind.bulk_index()]))).collect();
    let mut next: BTreeMap<&str, usize> = BTreeMap::new();

    for (number, bundle) in bundles.iter().enumerate() {
        assert_eq!(bundle["type"], "collection", "type of bundle {number}");
        let entries = bundle["entry"].as_array().expect("entries");
        let full_urls: BTreeSet<&str> = entries.iter().map(|entry| entry["fullUrl"].as_str().expect("a fullUrl")).collect();
        assert_eq!(full_urls.len(), entries.len(), "fullUrls of bundle {number} are unique");

        // Map each bundle URN to its Bulk Data form, to compare the two copies of each resource.
        let relative: BTreeMap<String, String> = entries
            .iter()
            .map(|entry| {
                let resource = &entry["resource"];
                (format!("urn:uuid:{}", resource["id"].as_str().unwrap()), format!("{}/{}", resource["resourceType"].as_str().unwrap(), resource["id"].as_str().unwrap()))
            })
            .collect();

        for entry in entries {
            let resource = &entry["resource"];
            let kind = resource["resourceType"].as_str().expect("a resource type");
            assert_eq!(entry["fullUrl"].as_str().unwrap(), format!("urn:uuid:{}", resource["id"].as_str().unwrap()), "fullUrl matches the id of a {kind}");
            let mut found = Vec::new();
            references(resource, kind, &mut found);
            for reference in &found {
                assert!(full_urls.contains(reference.as_str()), "reference {reference} of a {kind} in bundle {number} resolves in the bundle");
            }

            let position = next.entry(kind).or_default();
            let line = bulk.get(kind).and_then(|lines| lines.get(*position)).unwrap_or_else(|| panic!("no Bulk Data line {position} for {kind}"));
            *position += 1;
            let mut expected = resource.to_string();
            for (urn, relative) in &relative {
                expected = expected.replace(&format!("\"reference\":\"{urn}\""), &format!("\"reference\":\"{relative}\""));
            }
            assert_eq!(line, &serde_json::from_str::<Value>(&expected).unwrap(), "Bulk Data copy of a {kind} in bundle {number}");
        }
    }
    for (kind, lines) in &bulk {
        assert_eq!(next.get(kind).copied().unwrap_or(0), lines.len(), "every {kind} line belongs to a bundle");
    }
}
