//! The XML format: the same patients as NDJSON, the same bytes for any thread count, escaping of
//! awkward text, and validation against docs/casualties.xsd by xmllint (libxml2).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn casualty(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty")).args(args).output().expect("the casualty binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Writes `scenario` as `name` in `dir` and returns its path.
fn write_scenario(dir: &Path, name: &str, scenario: &Value) -> String {
    let path = dir.join(name);
    std::fs::write(&path, serde_json::to_vec(scenario).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

/// A front id with every character XML must escape, CR, LF, a tab and diacritics. It contains
/// nothing that XML 1.0 forbids, so it must read back unchanged.
const ESCAPED_FRONT: &str = "F&<1> \"Nord\" 'Süd'\r\n\tŻółć-Œ";

/// Writes a battle-heavy scenario of `count` patients and returns its path. Its special events,
/// recorded religions and Greek share (names with Latin transliterations) make every optional
/// element occur.
fn battle_scenario(dir: &Path, count: u64, front: &str) -> String {
    let scenario = serde_json::json!({
        "name": "XML & <battle> \"check\"",
        "count": count,
        "seed": 1,
        "injury_distribution": {"Disease": 0.35, "Non-Battle Injury": 0.35, "Battle Injury": 0.3},
        "special_events": {"mass_casualty": true, "ambush": true},
        "overrides": {"demographics.religion_recorded_share": 0.5},
        "front_configs": [{
            "id": front,
            "name": "Front",
            "casualty_rate": 1,
            "nationality_distribution": [
                {"nationality_code": "GRC", "percentage": 30},
                {"nationality_code": "POL", "percentage": 40},
                {"nationality_code": "FRA", "percentage": 30}
            ]
        }]
    });
    write_scenario(dir, "battle.json", &scenario)
}

fn generate(config: &str, output: &Path, formats: &str, threads: &str) {
    let output_arg = output.to_string_lossy();
    let result = casualty(&["generate", "--config", config, "--format", formats, "--threads", threads, "--output", &output_arg, "--quiet"]);
    assert!(result.status.success(), "generate --format {formats} failed: {}", stderr(&result));
}

fn ndjson_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn read_text(path: &Path) -> String {
    String::from_utf8(std::fs::read(path).unwrap()).expect("the XML file is UTF-8")
}

/// Parses `text` as XML 1.0, with the failure message naming the position of the error.
fn parse(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|error| panic!("patients.xml is not well-formed XML: {error}"))
}

fn patients<'a, 'input>(document: &'a roxmltree::Document<'input>) -> Vec<roxmltree::Node<'a, 'input>> {
    document.root_element().children().filter(|n| n.has_tag_name("patient")).collect()
}

fn child<'a, 'input>(node: roxmltree::Node<'a, 'input>, name: &str) -> roxmltree::Node<'a, 'input> {
    node.children().find(|n| n.has_tag_name(name)).unwrap_or_else(|| panic!("<{}> has no <{name}>", node.tag_name().name()))
}

/// Returns the text content of the child `name`, empty when the element is empty.
fn child_text(node: roxmltree::Node<'_, '_>, name: &str) -> String {
    child(node, name).text().unwrap_or("").to_string()
}

fn element_count(node: roxmltree::Node<'_, '_>, name: &str) -> usize {
    node.children().filter(|n| n.has_tag_name(name)).count()
}

#[test]
fn xml_matches_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    let config = battle_scenario(dir.path(), 600, ESCAPED_FRONT);
    let out = dir.path().join("out");
    generate(&config, &out, "ndjson,xml", "2");
    let records = ndjson_records(&out.join("patients.ndjson"));
    let text = read_text(&out.join("patients.xml"));
    let document = parse(&text);
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "casualties", "root element");

    let metadata: Value = serde_json::from_slice(&std::fs::read(out.join("metadata.json")).unwrap()).unwrap();
    for name in ["generator", "generator_version", "scenario_name", "scenario_sha256", "base_date"] {
        assert_eq!(root.attribute(name), metadata[name].as_str(), "root attribute {name}");
    }
    for name in ["seed", "total_patients", "first_patient", "patients_in_file", "days_of_fighting"] {
        assert_eq!(root.attribute(name), Some(metadata[name].to_string().as_str()), "root attribute {name}");
    }
    assert_eq!(root.attribute("shard_index"), None, "an unsharded run has no shard attributes");

    let patients = patients(&document);
    assert_eq!(patients.len(), records.len(), "one <patient> per NDJSON record");
    for (patient, record) in patients.iter().zip(&records) {
        let sequence = &record["sequence"];
        assert_eq!(child_text(*patient, "id"), record["id"].as_str().unwrap(), "id of patient {sequence}");
        assert_eq!(child_text(*patient, "sequence"), sequence.to_string(), "sequence of patient {sequence}");
        assert_eq!(child_text(*patient, "nationality"), record["nationality"].as_str().unwrap(), "nationality of patient {sequence}");
        assert_eq!(child_text(*patient, "triage_category"), record["triage_category"].as_str().unwrap(), "triage of patient {sequence}");
        assert_eq!(child_text(*patient, "final_status"), record["final_status"].as_str().unwrap(), "final_status of patient {sequence}");
        assert_eq!(child_text(*patient, "front"), record["front"].as_str().unwrap(), "front of patient {sequence}");
        assert_eq!(child_text(child(*patient, "name"), "family"), record["name"]["family"].as_str().unwrap(), "family name of patient {sequence}");

        let timeline = child(*patient, "movement_timeline");
        let expected_events = record["movement_timeline"].as_array().unwrap();
        assert_eq!(element_count(timeline, "event"), expected_events.len(), "timeline events of patient {sequence}");
        let last_event = timeline.children().rfind(|n| n.has_tag_name("event")).unwrap();
        assert_eq!(child_text(last_event, "event_type"), expected_events.last().unwrap()["event_type"].as_str().unwrap(), "last event of patient {sequence}");

        let injuries = child(*patient, "injuries");
        let primary = injuries.children().find(|n| n.has_tag_name("injury")).expect("every patient has a diagnosis");
        assert_eq!(child_text(primary, "code"), record["injuries"][0]["code"].as_str().unwrap(), "primary diagnosis of patient {sequence}");
        assert_eq!(element_count(injuries, "injury"), record["injuries"].as_array().unwrap().len(), "diagnoses of patient {sequence}");

        let optional = [("religion", record.get("religion")), ("event_id", record.get("event_id"))];
        for (name, value) in optional {
            assert_eq!(element_count(*patient, name), usize::from(value.is_some()), "<{name}> of patient {sequence} present exactly when the NDJSON has it");
        }
    }
}

#[test]
fn xml_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    // More than two chunks of 512 patients, so that two threads encode different chunks.
    let config = battle_scenario(dir.path(), 1500, ESCAPED_FRONT);
    let (one, two) = (dir.path().join("one.xml"), dir.path().join("two.xml"));
    generate(&config, &one, "xml", "1");
    generate(&config, &two, "xml", "2");
    assert!(std::fs::read(&one).unwrap() == std::fs::read(&two).unwrap(), "patients.xml differs between 1 and 2 threads");
}

#[test]
fn xml_to_standard_output() {
    let dir = tempfile::tempdir().unwrap();
    let config = battle_scenario(dir.path(), 40, "east");
    let output = casualty(&["generate", "--config", &config, "--format", "xml", "--output", "-", "--quiet"]);
    assert!(output.status.success(), "generate --format xml --output - failed: {}", stderr(&output));
    let text = String::from_utf8(output.stdout).expect("standard output is UTF-8");
    let document = parse(&text);
    assert_eq!(patients(&document).len(), 40, "every patient is written");
}

#[test]
fn xml_escapes_awkward_text() {
    let dir = tempfile::tempdir().unwrap();
    let name = "Q & A <x> \"q\" 'a' Ærø \u{1} end";
    let front = "F&<1> \"x\" 'y' Żółć \u{1}\u{1F}\r\n\t";
    let scenario = serde_json::json!({
        "name": name,
        "count": 60,
        "seed": 3,
        "front_configs": [{"id": front, "name": "N & <b>", "casualty_rate": 1, "nationality_distribution": [{"nationality_code": "POL", "percentage": 100}]}]
    });
    let config = write_scenario(dir.path(), "awkward.json", &scenario);
    let path = dir.path().join("patients.xml");
    generate(&config, &path, "xml", "2");
    let bytes = std::fs::read(&path).unwrap();
    assert!(!bytes.iter().any(|&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')), "the file contains a control character XML 1.0 forbids");

    let text = String::from_utf8(bytes).expect("the XML file is UTF-8");
    let document = parse(&text);
    let replaced = |value: &str| value.replace(['\u{1}', '\u{1F}'], "\u{FFFD}");
    assert_eq!(document.root_element().attribute("scenario_name"), Some(replaced(name).as_str()), "scenario_name keeps everything but the control character");
    let patients = patients(&document);
    assert_eq!(patients.len(), 60, "every patient is written");
    for patient in patients {
        assert_eq!(child_text(patient, "front"), replaced(front), "front keeps everything but the control characters");
    }
}

/// Runs `xmllint --noout --schema docs/casualties.xsd` on a sample with every final status.
#[test]
fn xml_valid_against_schema() {
    let xmllint = Command::new("xmllint").arg("--version").output();
    assert!(
        xmllint.is_ok(),
        "xmllint is not installed; it validates patients.xml against docs/casualties.xsd. Install it with `apt-get install -y libxml2-utils` (Debian)"
    );

    let dir = tempfile::tempdir().unwrap();
    let config = battle_scenario(dir.path(), 5000, ESCAPED_FRONT);
    let xml = dir.path().join("patients.xml");
    generate(&config, &xml, "xml", "2");

    let text = read_text(&xml);
    let document = parse(&text);
    let statuses: BTreeSet<String> = patients(&document).into_iter().map(|p| child_text(p, "final_status")).collect();
    for status in ["KIA", "DOW", "DNBI_death", "RTD", "Remains_Role4"] {
        assert!(statuses.contains(status), "the sample has no {status} patient, so the schema check does not cover it");
    }
    for name in ["religion", "event_id", "given_latin", "laterality", "allergy", "treatment", "medication"] {
        assert!(text.contains(&format!("<{name}>")), "the sample has no <{name}>, so the schema check does not cover it");
    }

    let schema = workspace_root().join("docs/casualties.xsd");
    let output = Command::new("xmllint").arg("--noout").arg("--schema").arg(&schema).arg(&xml).output().expect("xmllint runs");
    let messages = String::from_utf8_lossy(&output.stderr);
    let first_lines: Vec<&str> = messages.lines().take(20).collect();
    assert!(output.status.success(), "xmllint rejects patients.xml (exit code {:?}):\n{}", output.status.code(), first_lines.join("\n"));
}
