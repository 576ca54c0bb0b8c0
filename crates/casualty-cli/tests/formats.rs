//! Several formats in one run: the output folder, CSV against NDJSON, CSV quoting read back by
//! Python's `csv` module, formula neutralisation and the rules for `--output`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn casualty(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty")).args(args).output().expect("the casualty binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A scenario whose front id contains every character CSV must quote, diacritics, and a leading
/// `=` that a spreadsheet would run as a formula.
const AWKWARD_FRONT: &str = "=HYPERLINK(\"x\"), Ærø \"Nord\"\r\nŻółć-Œ";

fn awkward_scenario(dir: &Path) -> String {
    let scenario = serde_json::json!({
        "name": "Quotes \"and\", commas\r\nand Ünïcödé",
        "count": 120,
        "seed": 9,
        "front_configs": [{"id": AWKWARD_FRONT, "name": "Front", "casualty_rate": 1, "nationality_distribution": [{"nationality_code": "POL", "percentage": 50}, {"nationality_code": "GRC", "percentage": 50}]}]
    });
    let path = dir.join("awkward.json");
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

fn generate_folder(config: &str, folder: &Path, formats: &str, threads: &str) {
    let output = casualty(&["generate", "--config", config, "--format", formats, "--threads", threads, "--output", &folder.to_string_lossy(), "--quiet"]);
    assert!(output.status.success(), "generate --format {formats} failed: {}", stderr(&output));
}

fn ndjson_records(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn read_csv(path: &Path) -> Vec<csv::StringRecord> {
    let mut reader = csv::Reader::from_path(path).expect("the CSV file opens");
    reader.records().map(|r| r.expect("every CSV row parses")).collect()
}

fn column(path: &Path, name: &str) -> usize {
    let mut reader = csv::Reader::from_path(path).unwrap();
    reader.headers().unwrap().iter().position(|h| h == name).unwrap_or_else(|| panic!("{} has no column {name}", path.display()))
}

fn folder(dir: &tempfile::TempDir, name: &str) -> PathBuf {
    dir.path().join(name)
}

#[test]
fn folder_holds_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let out = folder(&dir, "out");
    generate_folder(&config, &out, "csv,json,ndjson", "2");
    for name in ["patients.json", "patients.ndjson", "patients.csv", "events.csv", "metadata.json"] {
        assert!(out.join(name).is_file(), "{name} is missing from the output folder");
    }
    let metadata: Value = serde_json::from_slice(&std::fs::read(out.join("metadata.json")).unwrap()).unwrap();
    assert_eq!(metadata["format"], "json,ndjson,csv", "metadata.json lists the formats");
    assert_eq!(metadata["seed"], 9, "metadata.json records the seed");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).filter(|n| n.to_string_lossy().ends_with(".partial")).collect();
    assert!(leftovers.is_empty(), "temporary folders left behind: {leftovers:?}");
}

#[test]
fn csv_matches_ndjson() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let out = folder(&dir, "out");
    generate_folder(&config, &out, "ndjson,csv", "2");
    let records = ndjson_records(&out.join("patients.ndjson"));
    let patients = out.join("patients.csv");
    let rows = read_csv(&patients);
    assert_eq!(rows.len(), records.len(), "one CSV row per patient");

    let checks: [(&str, fn(&Value) -> String); 10] = [
        ("id", |r| r["id"].as_str().unwrap().to_string()),
        ("nationality", |r| r["nationality"].as_str().unwrap().to_string()),
        ("gender", |r| r["gender"].as_str().unwrap().to_string()),
        ("age", |r| r["age"].to_string()),
        ("injury_type", |r| r["injury_type"].as_str().unwrap().to_string()),
        ("triage_category", |r| r["triage_category"].as_str().unwrap().to_string()),
        ("final_status", |r| r["final_status"].as_str().unwrap().to_string()),
        ("outcome_timestamp", |r| r["outcome_timestamp"].as_str().unwrap().to_string()),
        ("primary_diagnosis_code", |r| r["injuries"][0]["code"].as_str().unwrap().to_string()),
        ("family_name", |r| r["name"]["family"].as_str().unwrap().to_string()),
    ];
    for (name, expected) in checks {
        let at = column(&patients, name);
        for (row, record) in rows.iter().zip(&records) {
            assert_eq!(&row[at], expected(record), "column {name} of patient {}", record["sequence"]);
        }
    }

    let events = out.join("events.csv");
    let event_rows = read_csv(&events);
    let expected_events: usize = records.iter().map(|r| r["movement_timeline"].as_array().unwrap().len()).sum();
    assert_eq!(event_rows.len(), expected_events, "one events.csv row per timeline event");
    let timeline: Vec<(String, String, String)> = records
        .iter()
        .flat_map(|r| {
            let id = r["id"].as_str().unwrap().to_string();
            r["movement_timeline"].as_array().unwrap().iter().map(move |e| (id.clone(), e["event_type"].as_str().unwrap().to_string(), e["timestamp"].as_str().unwrap().to_string())).collect::<Vec<_>>()
        })
        .collect();
    let (id, kind, time) = (column(&events, "patient_id"), column(&events, "event_type"), column(&events, "timestamp"));
    for (row, (expected_id, expected_kind, expected_time)) in event_rows.iter().zip(&timeline) {
        assert_eq!((&row[id], &row[kind], &row[time]), (expected_id.as_str(), expected_kind.as_str(), expected_time.as_str()), "events.csv row");
    }
}

#[test]
fn csv_neutralises_formula_cells() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let out = folder(&dir, "out");
    generate_folder(&config, &out, "csv", "1");
    let patients = out.join("patients.csv");
    let at = column(&patients, "front");
    for row in read_csv(&patients) {
        assert_eq!(&row[at], format!("'{AWKWARD_FRONT}"), "the front cell is kept whole and starts with a quote mark");
    }
}

#[test]
fn csv_read_by_python_csv_module() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let out = folder(&dir, "out");
    generate_folder(&config, &out, "ndjson,csv", "2");
    let script = r#"
import csv, json, sys
folder = sys.argv[1]
records = [json.loads(line) for line in open(folder + "/patients.ndjson", encoding="utf-8")]
with open(folder + "/patients.csv", newline="", encoding="utf-8") as handle:
    rows = list(csv.DictReader(handle))
assert len(rows) == len(records), (len(rows), len(records))
for row, record in zip(rows, records):
    assert row["front"] == "'" + record["front"], (row["front"], record["front"])
    assert row["given_name"] == record["name"]["given"], (row["given_name"], record["name"]["given"])
    assert row["id"] == record["id"]
print(len(rows))
"#;
    let output = Command::new("python3").arg("-c").arg(script).arg(&out).output().expect("python3 is installed (Debian package python3); .ci/run requires it");
    assert!(output.status.success(), "Python's csv module disagrees with the NDJSON: {}", stderr(&output));
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "120", "Python read every row");
}

#[test]
fn csv_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let (one, two) = (folder(&dir, "one"), folder(&dir, "two"));
    generate_folder(&config, &one, "csv", "1");
    generate_folder(&config, &two, "csv", "2");
    for name in ["patients.csv", "events.csv", "metadata.json"] {
        assert_eq!(std::fs::read(one.join(name)).unwrap(), std::fs::read(two.join(name)).unwrap(), "{name} differs between 1 and 2 threads");
    }
}

#[test]
fn folder_not_empty_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let out = folder(&dir, "out");
    std::fs::create_dir(&out).unwrap();
    std::fs::write(out.join("keep.txt"), "planner's notes").unwrap();
    let output = casualty(&["generate", "--config", &config, "--format", "csv", "--output", &out.to_string_lossy(), "--quiet"]);
    assert_eq!(output.status.code(), Some(2), "a non-empty output folder is bad input");
    assert!(stderr(&output).contains("not empty"), "the error says why: {}", stderr(&output));
    assert_eq!(std::fs::read_to_string(out.join("keep.txt")).unwrap(), "planner's notes", "existing files are untouched");
}

#[test]
fn several_formats_reject_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let output = casualty(&["generate", "--config", &config, "--format", "json,csv", "--output", "-"]);
    assert_eq!(output.status.code(), Some(2), "several files cannot go to standard output");
    assert!(stderr(&output).contains("--output"), "the error names the option: {}", stderr(&output));
}

#[test]
fn unknown_format_rejected() {
    let output = casualty(&["generate", "--config", "x.json", "--format", "json,pdf", "--output", "-"]);
    assert_eq!(output.status.code(), Some(2), "an unknown format is bad input");
    assert!(stderr(&output).contains("pdf"), "the error names the format: {}", stderr(&output));
}

#[test]
fn file_as_output_folder_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "planner's notes").unwrap();
    let output = casualty(&["generate", "--config", &config, "--format", "csv,json", "--output", &file.to_string_lossy(), "--quiet"]);
    assert_eq!(output.status.code(), Some(2), "a file where a folder is needed is bad input");
    assert!(stderr(&output).contains("not a folder"), "the error says why: {}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "planner's notes", "the file is untouched");
}

#[test]
fn shards_without_shard_from_env_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = awkward_scenario(dir.path());
    let out = dir.path().join("run.json");
    let output = casualty(&["generate", "--config", &config, "--shards", "3", "--output", &out.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(2), "--shards alone would be silently ignored");
    assert!(stderr(&output).contains("--shard-from-env"), "the error names the missing option: {}", stderr(&output));
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn csv_guards_leading_quote() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = serde_json::json!({
        "name": "quote",
        "count": 5,
        "front_configs": [{"id": "'=x", "name": "Front", "casualty_rate": 1, "nationality_distribution": [{"nationality_code": "POL", "percentage": 100}]}]
    });
    let config = dir.path().join("quote.json");
    std::fs::write(&config, serde_json::to_vec(&scenario).unwrap()).unwrap();
    let out = folder(&dir, "out");
    generate_folder(&config.to_string_lossy(), &out, "csv", "1");
    let patients = out.join("patients.csv");
    let at = column(&patients, "front");
    for row in read_csv(&patients) {
        assert_eq!(&row[at], "''=x", "a value that starts with ' gets one more, so removing one restores it");
    }
}
