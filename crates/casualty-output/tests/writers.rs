//! Tests of the writers and the parallel driver: byte-identical output whatever the chunk size
//! and thread count, the JSON document shape, summaries, cancellation and atomic file writes.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides, Scenario};
use casualty_output::metadata::Shard;
use casualty_output::destination::sidecar_path;
use casualty_output::{write_file, write_patients, Format, Metadata, OutputError, Packaging, RunOptions};
use serde_json::{json, Value};

fn scenario(count: u64) -> Scenario {
    let document = json!({"name": "writer test", "count": count, "seed": 31, "special_events": [{"type": "ambush", "day": 2, "hour": 4, "size": 12}]});
    parse_scenario_value(&document, CommandLineOverrides::default()).expect("a valid scenario").scenario
}

/// Writes `range` of `scenario` in `format` to memory with the given threads and chunk size.
fn render(scenario: &Scenario, format: Format, range: std::ops::Range<u64>, threads: usize, chunk_size: u64) -> Vec<u8> {
    let generator = Generator::new(scenario);
    let metadata = Metadata::new(scenario, format, range.clone(), None);
    let options = RunOptions { chunk_size, ..RunOptions::new(threads, range) };
    let mut out = Vec::new();
    let cancel = AtomicBool::new(false);
    write_patients(&generator, format, &metadata, &mut out, "memory", &options, &mut |_| {}, &cancel).expect("writing to memory succeeds");
    out
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir).expect("listable").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn format_names_parse() {
    assert_eq!(Format::parse("json"), Ok(Format::Json), "json");
    assert_eq!(Format::parse(" NDJSON "), Ok(Format::Ndjson), "NDJSON with spaces");
    assert_eq!(Format::parse("jsonl"), Ok(Format::Ndjson), "jsonl is NDJSON");
    assert_eq!(Format::parse("XML"), Ok(Format::Xml), "XML in capitals");
    assert_eq!(Format::parse("parquet"), Ok(Format::Parquet), "parquet");
    let error = Format::parse("avro").err().unwrap_or_default();
    assert!(error.contains("avro"), "the error for avro names the value: {error}");
    assert!(error.contains("json, ndjson, csv, xml"), "the error for avro names the accepted formats: {error}");
    assert_eq!(Format::Json.as_str(), "json", "JSON name");
    assert_eq!(Format::Ndjson.as_str(), "ndjson", "NDJSON name");
    assert_eq!(Format::Xml.as_str(), "xml", "XML name");
    assert_eq!(Format::Xml.file_names(), ["patients.xml"], "XML file name");
}

#[test]
fn chunking_leaves_bytes_unchanged() {
    let scenario = scenario(1300);
    for format in [Format::Ndjson, Format::Json, Format::Xml] {
        let reference = render(&scenario, format, 0..scenario.count, 1, 512);
        for (threads, chunk_size) in [(1, 1), (2, 7), (3, 100), (2, 5000)] {
            let other = render(&scenario, format, 0..scenario.count, threads, chunk_size);
            assert!(reference == other, "{} with {threads} threads and chunks of {chunk_size} differs", format.as_str());
        }
    }
}

#[test]
fn json_document_shape() {
    let scenario = scenario(150);
    let bytes = render(&scenario, Format::Json, 0..scenario.count, 2, 16);
    let document: Value = serde_json::from_slice(&bytes).expect("the JSON document parses");
    assert_eq!(document["patients"].as_array().map(Vec::len), Some(150), "patients in the document");
    assert_eq!(document["metadata"]["seed"], 31, "metadata seed");
    assert_eq!(document["metadata"]["scenario_sha256"].as_str(), Some(scenario.sha256().as_str()), "metadata hash");
    assert_eq!(document["metadata"]["vital_sign_codes"]["heart_rate"], "8867-4", "LOINC code of heart rate");
    assert!(bytes.ends_with(b"\n]}\n"), "the document ends with a newline after the closing brace");
}

#[test]
fn ndjson_range_matches_slice() {
    let scenario = scenario(400);
    let whole = render(&scenario, Format::Ndjson, 0..400, 2, 64);
    let part = render(&scenario, Format::Ndjson, 100..250, 2, 64);
    let whole_lines: Vec<&[u8]> = whole.split_inclusive(|b| *b == b'\n').collect();
    let expected: Vec<u8> = whole_lines[100..250].concat();
    assert!(part == expected, "patients 100 to 249 written alone differ from the same lines of the whole run");
}

#[test]
fn json_shard_starts_cleanly() {
    // The first patient of a shard must not be preceded by a comma.
    let scenario = scenario(100);
    let bytes = render(&scenario, Format::Json, 40..60, 2, 8);
    let document: Value = serde_json::from_slice(&bytes).expect("a JSON shard parses");
    let sequences: Vec<u64> = document["patients"].as_array().map(|p| p.iter().filter_map(|x| x["sequence"].as_u64()).collect()).unwrap_or_default();
    assert_eq!(sequences, (40..60).collect::<Vec<u64>>(), "sequences of the shard");
}

#[test]
fn summary_and_bytes_reported() {
    let scenario = scenario(300);
    let generator = Generator::new(&scenario);
    let metadata = Metadata::new(&scenario, Format::Ndjson, 0..300, None);
    let options = RunOptions { chunk_size: 50, ..RunOptions::new(2, 0..300) };
    let mut out = Vec::new();
    let mut reported = Vec::new();
    let cancel = AtomicBool::new(false);
    let (summary, bytes) = write_patients(&generator, Format::Ndjson, &metadata, &mut out, "memory", &options, &mut |n| reported.push(n), &cancel).expect("writing succeeds");
    assert_eq!(summary.total, 300, "summary total");
    assert_eq!(summary.by_category.iter().sum::<u64>(), 300, "categories add up");
    assert_eq!(summary.by_status.iter().sum::<u64>(), 300, "final statuses add up");
    assert_eq!(bytes, out.len() as u64, "bytes reported equal bytes written");
    assert_eq!(reported.last(), Some(&300), "progress reaches the total: {reported:?}");
    assert!(reported.windows(2).all(|w| w[0] <= w[1]), "progress never goes back: {reported:?}");
}

#[test]
fn metadata_describes_range() {
    let scenario = scenario(90);
    let metadata = Metadata::new(&scenario, Format::Json, 30..60, Some(Shard { index: 1, total: 3 }));
    let value = serde_json::to_value(&metadata).expect("metadata serializes");
    assert_eq!(value["first_patient"], 30, "first patient");
    assert_eq!(value["patients_in_file"], 30, "patients in the file");
    assert_eq!(value["total_patients"], 90, "patients in the run");
    assert_eq!(value["shard"], json!({"index": 1, "total": 3}), "shard");
    assert_eq!(value["base_date"], "2026-01-05T00:00:00Z", "base date");
    let unsharded = serde_json::to_value(Metadata::new(&scenario, Format::Json, 0..90, None)).expect("metadata serializes");
    assert!(unsharded.get("shard").is_none(), "no shard key in an unsharded run");
}

#[test]
fn cancelled_run_leaves_nothing() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let scenario = scenario(200);
    let generator = Generator::new(&scenario);
    let path = dir.path().join("out.ndjson");
    let metadata = Metadata::new(&scenario, Format::Ndjson, 0..200, None);
    let options = RunOptions { chunk_size: 10, ..RunOptions::new(1, 0..200) };
    let cancel = AtomicBool::new(true);
    let result = write_file(&generator, Format::Ndjson, &metadata, &path, &options, &Packaging::default(), &mut |_| {}, &cancel);
    assert!(matches!(result, Err(OutputError::Interrupted { total: 200, .. })), "a cancelled run returns Interrupted: {result:?}");
    assert!(file_names(dir.path()).is_empty(), "files left after a cancelled run: {:?}", file_names(dir.path()));
}

#[test]
fn write_file_replaces_atomically() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let scenario = scenario(60);
    let generator = Generator::new(&scenario);
    let path = dir.path().join("run.ndjson");
    std::fs::write(&path, b"old").expect("a file can be written");
    let metadata = Metadata::new(&scenario, Format::Ndjson, 0..60, None);
    let options = RunOptions { chunk_size: 16, ..RunOptions::new(2, 0..60) };
    let cancel = AtomicBool::new(false);
    let (summary, bytes) = write_file(&generator, Format::Ndjson, &metadata, &path, &options, &Packaging::default(), &mut |_| {}, &cancel).expect("writing succeeds");
    let written = std::fs::read(&path).expect("the output exists");
    assert_eq!(summary.total, 60, "patients written");
    assert_eq!(bytes, written.len() as u64, "bytes reported equal the file size");
    assert_eq!(written, render(&scenario, Format::Ndjson, 0..60, 1, 512), "the file holds the run");
    assert_eq!(file_names(dir.path()), vec!["run.ndjson".to_string(), "run.ndjson.meta.json".to_string()], "files after the run");
    let meta: Value = serde_json::from_slice(&std::fs::read(sidecar_path(&path, &Packaging::default())).expect("sidecar")).expect("the sidecar is JSON");
    assert_eq!(meta["format"], "ndjson", "sidecar format");
}

#[test]
fn sidecar_path_appends_suffix() {
    assert_eq!(sidecar_path(Path::new("out/run.ndjson"), &Packaging::default()), Path::new("out/run.ndjson.meta.json"), "relative path");
    assert_eq!(sidecar_path(Path::new("run"), &Packaging::default()), Path::new("run.meta.json"), "path without extension");
}
