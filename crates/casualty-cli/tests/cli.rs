//! End-to-end tests of the `casualty` binary: determinism across runs, threads and shards,
//! output structure and metadata, exit codes, and what is left on disk after a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use casualty_core::scenario::{parse_request, CommandLineOverrides, InputFormat};
use serde_json::Value;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn seed_case(name: &str) -> PathBuf {
    workspace_root().join("tests/cases").join(name)
}

/// Runs the binary with `args` and returns its output.
fn casualty(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty")).args(args).output().expect("the casualty binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Writes `text` to `name` in `dir` and returns the path as a string.
fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("a scenario file can be written");
    path.to_string_lossy().into_owned()
}

fn path_str(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Generates into `dir/name` and returns the bytes written; panics with stderr on failure.
fn generate(config: &str, dir: &Path, name: &str, extra: &[&str]) -> Vec<u8> {
    let output_path = dir.join(name);
    let output_arg = path_str(&output_path);
    let mut args = vec!["generate", "--config", config, "--output", &output_arg, "--quiet"];
    args.extend_from_slice(extra);
    let output = casualty(&args);
    assert!(output.status.success(), "casualty {args:?} failed: {}", stderr(&output));
    std::fs::read(&output_path).expect("the output file exists")
}

fn lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8(bytes.to_vec())
        .expect("NDJSON is UTF-8")
        .lines()
        .map(|line| serde_json::from_str(line).expect("each NDJSON line is a JSON object"))
        .collect()
}

const SCENARIO: &str = r#"{
  "name": "CLI test",
  "count": 3000,
  "seed": 5,
  "days_of_fighting": 4,
  "special_events": [{"type": "mass_casualty", "day": 2, "hour": 9, "size": 60}],
  "environmental_conditions": ["rain"]
}"#;

/// A scenario without special events, for runs that replace the count with a small one.
const PLAIN: &str = r#"{"name": "CLI plain", "seed": 5, "tempo": "escalating", "warfare_types": ["artillery", "urban"]}"#;

// --- Determinism -----------------------------------------------------------------------------

#[test]
fn same_seed_identical_bytes() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    for format in ["json", "ndjson"] {
        let first = generate(&config, dir.path(), &format!("a.{format}"), &["--format", format]);
        let second = generate(&config, dir.path(), &format!("b.{format}"), &["--format", format]);
        assert!(!first.is_empty(), "{format} output is empty");
        assert!(first == second, "two {format} runs with one seed differ");
    }
    let meta_a = std::fs::read(dir.path().join("a.ndjson.meta.json")).expect("sidecar of the first run");
    let meta_b = std::fs::read(dir.path().join("b.ndjson.meta.json")).expect("sidecar of the second run");
    assert!(meta_a == meta_b, "the metadata sidecars of two runs differ");
}

#[test]
fn thread_count_invariant() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    for format in ["ndjson", "json"] {
        let single_thread = generate(&config, dir.path(), &format!("t1.{format}"), &["--format", format, "--threads", "1"]);
        for threads in ["2", "3"] {
            let many = generate(&config, dir.path(), &format!("t{threads}.{format}"), &["--format", format, "--threads", threads]);
            assert!(single_thread == many, "{format} output with {threads} threads differs from 1 thread");
        }
    }
}

#[test]
fn shards_concatenate_to_whole() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    let whole = generate(&config, dir.path(), "whole.ndjson", &["--format", "ndjson"]);
    let mut joined = Vec::new();
    for k in 0..3 {
        let shard = format!("{k}/3");
        joined.extend(generate(&config, dir.path(), &format!("part{k}.ndjson"), &["--format", "ndjson", "--shard", &shard, "--threads", "2"]));
    }
    assert!(joined == whole, "shards 0/3, 1/3 and 2/3 concatenated differ from the unsharded run");
}

#[test]
fn uneven_shards_concatenate() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", PLAIN);
    for (count, shards) in [(10, 3), (1001, 4), (2, 3), (7, 7)] {
        let count_arg = count.to_string();
        let whole = generate(&config, dir.path(), "whole.ndjson", &["--format", "ndjson", "--count", &count_arg]);
        let mut joined = Vec::new();
        let mut sizes = Vec::new();
        for k in 0..shards {
            let shard = format!("{k}/{shards}");
            let part = generate(&config, dir.path(), &format!("part{k}.ndjson"), &["--format", "ndjson", "--count", &count_arg, "--shard", &shard]);
            sizes.push(lines(&part).len());
            joined.extend(part);
        }
        assert_eq!(sizes.iter().sum::<usize>(), count, "{count} patients in {shards} shards gave {sizes:?}");
        assert!(joined == whole, "{count} patients in {shards} shards concatenated differ from the unsharded run");
    }
}

#[test]
fn empty_shard_json_valid() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", PLAIN);
    let bytes = generate(&config, dir.path(), "empty.json", &["--format", "json", "--count", "2", "--shard", "0/3"]);
    let document: Value = serde_json::from_slice(&bytes).expect("an empty shard is valid JSON");
    assert_eq!(document["patients"].as_array().map(Vec::len), Some(0), "shard 0/3 of 2 patients holds none");
    assert_eq!(document["metadata"]["patients_in_file"], 0, "metadata of an empty shard");
}

#[test]
fn shard_metadata_names_range() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", PLAIN);
    generate(&config, dir.path(), "part.ndjson", &["--format", "ndjson", "--count", "10", "--shard", "2/3"]);
    let text = std::fs::read_to_string(dir.path().join("part.ndjson.meta.json")).expect("the shard has a sidecar");
    let meta: Value = serde_json::from_str(&text).expect("the sidecar is JSON");
    assert_eq!(meta["shard"]["index"], 2, "shard index in {meta}");
    assert_eq!(meta["shard"]["total"], 3, "shard total in {meta}");
    assert_eq!(meta["first_patient"], 6, "first patient of shard 2/3 of 10");
    assert_eq!(meta["patients_in_file"], 4, "patients in shard 2/3 of 10");
    assert_eq!(meta["total_patients"], 10, "patients in the whole run");
}

#[test]
fn shard_from_environment_matches() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    let explicit = generate(&config, dir.path(), "explicit.ndjson", &["--format", "ndjson", "--count", "100", "--shard", "1/3"]);
    let from_env_path = path_str(&dir.path().join("env.ndjson"));
    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["generate", "--config", &config, "--format", "ndjson", "--count", "100", "--shard-from-env", "--shards", "3", "--output", &from_env_path, "--quiet"])
        .env("JOB_COMPLETION_INDEX", "1")
        .output()
        .expect("the casualty binary runs");
    assert!(output.status.success(), "--shard-from-env failed: {}", stderr(&output));
    let from_env = std::fs::read(&from_env_path).expect("the output file exists");
    assert!(explicit == from_env, "JOB_COMPLETION_INDEX=1 with --shards 3 differs from --shard 1/3");

    let missing = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["generate", "--config", &config, "--shard-from-env", "--shards", "3", "--output", &from_env_path])
        .env_remove("JOB_COMPLETION_INDEX")
        .output()
        .expect("the casualty binary runs");
    assert_eq!(missing.status.code(), Some(2), "--shard-from-env without JOB_COMPLETION_INDEX: {}", stderr(&missing));
}

#[test]
fn different_seeds_differ() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", PLAIN);
    let first = generate(&config, dir.path(), "s1.ndjson", &["--format", "ndjson", "--seed", "1", "--count", "50"]);
    let second = generate(&config, dir.path(), "s2.ndjson", &["--format", "ndjson", "--seed", "2", "--count", "50"]);
    let (first, second) = (lines(&first), lines(&second));
    assert_eq!(first.len(), second.len(), "both seeds give 50 patients");
    let same = first.iter().zip(&second).filter(|(a, b)| a == b).count();
    assert_eq!(same, 0, "{same} of 50 records are identical under seeds 1 and 2");
}

// --- Output structure and metadata -----------------------------------------------------------

#[test]
fn ndjson_sidecar_holds_provenance() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    let bytes = generate(&config, dir.path(), "out.ndjson", &["--format", "ndjson", "--seed", "77"]);
    let sidecar = dir.path().join("out.ndjson.meta.json");
    assert!(sidecar.is_file(), "no sidecar at {}", sidecar.display());
    let meta: Value = serde_json::from_str(&std::fs::read_to_string(&sidecar).expect("readable sidecar")).expect("the sidecar is JSON");

    let text = std::fs::read_to_string(&config).expect("readable scenario");
    let scenario = parse_request(&text, InputFormat::Json, CommandLineOverrides { count: None, seed: Some(77) }).expect("valid scenario").scenario;
    assert_eq!(meta["seed"], 77, "seed in {meta}");
    assert_eq!(meta["scenario_sha256"].as_str(), Some(scenario.sha256().as_str()), "scenario_sha256 is the hash of the scenario run");
    assert_eq!(meta["generator_version"].as_str(), Some(casualty_core::engine::GENERATOR_VERSION), "generator_version");
    assert_eq!(meta["generator"], "casualty", "generator name");
    assert_eq!(meta["format"], "ndjson", "format");
    assert_eq!(meta["total_patients"], 3000, "total_patients");
    assert_eq!(lines(&bytes).len(), 3000, "one line per patient");
}

#[test]
fn json_output_structure() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    let bytes = generate(&config, dir.path(), "out.json", &["--format", "json", "--count", "250"]);
    let document: Value = serde_json::from_slice(&bytes).expect("JSON output parses");
    let keys: Vec<&str> = document.as_object().map(|o| o.keys().map(String::as_str).collect()).unwrap_or_default();
    assert_eq!(keys, vec!["metadata", "patients"], "top-level keys");
    let patients = document["patients"].as_array().cloned().unwrap_or_default();
    assert_eq!(patients.len(), 250, "patients in the JSON document");
    for (i, patient) in patients.iter().enumerate() {
        assert_eq!(patient["sequence"], i, "patient {i} sequence");
    }
    assert_eq!(document["metadata"]["total_patients"], 250, "metadata total_patients");
    assert_eq!(document["metadata"]["seed"], 5, "metadata seed");
    assert_eq!(document["metadata"]["format"], "json", "metadata format");
    assert!(!dir.path().join("out.json.meta.json").exists(), "JSON output has no sidecar");
}

#[test]
fn json_and_ndjson_same_records() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    let json = generate(&config, dir.path(), "out.json", &["--format", "json", "--count", "300"]);
    let ndjson = generate(&config, dir.path(), "out.ndjson", &["--format", "ndjson", "--count", "300"]);
    let document: Value = serde_json::from_slice(&json).expect("JSON output parses");
    let from_json = document["patients"].as_array().cloned().unwrap_or_default();
    assert!(from_json == lines(&ndjson), "JSON and NDJSON hold different records");
}

#[test]
fn seed_cases_exact_count() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    for (file, count) in [("seed-small.json", 500), ("seed-large.json", 5000)] {
        let config = path_str(&seed_case(file));
        let records = lines(&generate(&config, dir.path(), "out.ndjson", &["--format", "ndjson"]));
        assert_eq!(records.len(), count, "{file} gave {} patients", records.len());
        let deaths = records.iter().filter(|r| matches!(r["final_status"].as_str(), Some("KIA" | "DOW" | "DNBI_death"))).count();
        assert!(deaths > 0, "{file}: no deaths among {count} patients");
        let sequences: Vec<u64> = records.iter().filter_map(|r| r["sequence"].as_u64()).collect();
        assert!(sequences.iter().copied().eq(0..count as u64), "{file}: sequences are not 0 to {}", count - 1);
    }
}

#[test]
fn cli_count_and_seed_apply() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = path_str(&seed_case("seed-small.json"));
    generate(&config, dir.path(), "out.ndjson", &["--format", "ndjson", "--count", "7", "--seed", "3"]);
    let records = lines(&std::fs::read(dir.path().join("out.ndjson")).expect("output"));
    let meta: Value = serde_json::from_slice(&std::fs::read(dir.path().join("out.ndjson.meta.json")).expect("sidecar")).expect("JSON");
    assert_eq!(records.len(), 7, "--count 7");
    assert_eq!(meta["seed"], 3, "--seed 3 in the metadata");
}

#[test]
fn yaml_config_matches_json() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let json_config = write(dir.path(), "scenario.json", r#"{"count": 40, "seed": 8, "tempo": "surge"}"#);
    let yaml_config = write(dir.path(), "scenario.yaml", "count: 40\nseed: 8\ntempo: surge\n");
    let from_json = generate(&json_config, dir.path(), "a.ndjson", &["--format", "ndjson"]);
    let from_yaml = generate(&yaml_config, dir.path(), "b.ndjson", &["--format", "ndjson"]);
    assert!(from_json == from_yaml, "one scenario as YAML and as JSON gives different output");
}

#[test]
fn stdout_output_matches_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    for format in ["ndjson", "json"] {
        let file = generate(&config, dir.path(), &format!("out.{format}"), &["--format", format, "--count", "120"]);
        let output = casualty(&["generate", "--config", &config, "--format", format, "--count", "120", "--output", "-", "--quiet"]);
        assert!(output.status.success(), "--output - failed: {}", stderr(&output));
        assert!(output.stdout == file, "{format} on standard output differs from the file output");
    }
}

#[test]
fn stats_line_reports_run() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    let output_path = path_str(&dir.path().join("out.ndjson"));
    let output = casualty(&["generate", "--config", &config, "--format", "ndjson", "--count", "64", "--output", &output_path, "--quiet", "--stats"]);
    assert!(output.status.success(), "--stats failed: {}", stderr(&output));
    let text = stderr(&output);
    let line = text.lines().find(|l| l.starts_with('{')).unwrap_or("");
    let stats: Value = serde_json::from_str(line).unwrap_or(Value::Null);
    assert_eq!(stats["patients"], 64, "patients in the --stats line {line:?}");
    assert!(stats["bytes"].as_u64().is_some_and(|b| b > 0), "bytes in the --stats line {line:?}");
}

// --- Errors and exit codes -------------------------------------------------------------------

#[test]
fn invalid_scenario_exits_two() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "bad.json", r#"{"front_configs": [{"id": "f", "nationality_distribution": [{"nationality_code": "XXX", "percentage": 100}]}]}"#);
    let output_path = dir.path().join("out.json");
    let output = casualty(&["generate", "--config", &config, "--output", &path_str(&output_path)]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "exit code for an invalid scenario; stderr: {text}");
    assert!(text.contains("casualty: error"), "stderr lacks `casualty: error`: {text}");
    assert!(text.contains("front_configs[0].nationality_distribution[0].nationality_code"), "stderr lacks the field path: {text}");
    assert!(text.contains("\"XXX\""), "stderr lacks the value: {text}");
    assert!(!output_path.exists(), "an output file was created for an invalid scenario");
}

#[test]
fn bad_shard_exits_two() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = path_str(&seed_case("seed-small.json"));
    let output_path = path_str(&dir.path().join("out.ndjson"));
    for shard in ["3/3", "a/b", "1", "2/0", "-1/3"] {
        let output = casualty(&["generate", "--config", &config, "--format", "ndjson", "--shard", shard, "--output", &output_path]);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "exit code for --shard {shard}; stderr: {text}");
        assert!(text.contains("casualty: error") || text.contains("error:"), "no error message for --shard {shard}: {text}");
    }
    assert!(!Path::new(&output_path).exists(), "an output file was created for a bad shard");
}

#[test]
fn bad_arguments_exit_two() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = path_str(&seed_case("seed-small.json"));
    let output_path = path_str(&dir.path().join("out.json"));
    let cases: [&[&str]; 3] = [&["--threads", "0"], &["--count", "0"], &["--format", "avro"]];
    for extra in cases {
        let mut args = vec!["generate", "--config", &config, "--output", &output_path];
        args.extend_from_slice(extra);
        let output = casualty(&args);
        assert_eq!(output.status.code(), Some(2), "exit code for {extra:?}; stderr: {}", stderr(&output));
    }
}

#[test]
fn missing_config_exits_two() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = path_str(&dir.path().join("nowhere.json"));
    let output = casualty(&["generate", "--config", &missing, "--output", &path_str(&dir.path().join("out.json"))]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "exit code for a missing config; stderr: {text}");
    assert!(text.contains("nowhere.json"), "stderr does not name the missing file: {text}");
}

#[test]
fn unwritable_output_exits_one() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = path_str(&seed_case("seed-small.json"));
    // A path below a regular file cannot be created, even by root.
    let blocker = dir.path().join("plain-file");
    std::fs::write(&blocker, b"not a directory").expect("a file can be written");
    for output_path in [blocker.join("out.ndjson"), dir.path().join("no-such-dir").join("out.ndjson")] {
        let output = casualty(&["generate", "--config", &config, "--format", "ndjson", "--output", &path_str(&output_path)]);
        let text = stderr(&output);
        assert_eq!(output.status.code(), Some(1), "exit code for {}; stderr: {text}", output_path.display());
        assert!(text.contains("casualty: error"), "stderr lacks `casualty: error`: {text}");
        assert!(!output_path.exists(), "a file was left at {}", output_path.display());
    }
    let left: Vec<String> = std::fs::read_dir(dir.path()).expect("listable").map(|e| e.expect("entry").file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(left, vec!["plain-file".to_string()], "files left in the output directory");
}

#[test]
fn failed_run_keeps_old_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let output_path = dir.path().join("out.ndjson");
    std::fs::write(&output_path, b"previous contents\n").expect("a file can be written");
    let bad = write(dir.path(), "bad.json", r#"{"count": "many"}"#);
    let output = casualty(&["generate", "--config", &bad, "--format", "ndjson", "--output", &path_str(&output_path)]);
    assert_eq!(output.status.code(), Some(2), "exit code for an invalid scenario; stderr: {}", stderr(&output));
    let after_failure = std::fs::read(&output_path).expect("the old file is still there");
    assert_eq!(after_failure, b"previous contents\n", "a failed run changed the existing output file");

    let good = write(dir.path(), "good.json", r#"{"count": 5}"#);
    let output = casualty(&["generate", "--config", &good, "--format", "ndjson", "--output", &path_str(&output_path), "--quiet"]);
    assert!(output.status.success(), "a valid run failed: {}", stderr(&output));
    let replaced = std::fs::read(&output_path).expect("the new file is there");
    assert_eq!(lines(&replaced).len(), 5, "a successful run replaces the old file");
    let partial = std::fs::read_dir(dir.path()).expect("listable").filter(|e| e.as_ref().is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".partial"))).count();
    assert_eq!(partial, 0, "temporary .partial files left behind");
}

#[test]
fn validate_accepts_good_file() {
    let config = seed_case("seed-small.json");
    let output = casualty(&["validate", &path_str(&config)]);
    let text = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "validate on seed-small.json; stderr: {}", stderr(&output));
    assert!(text.contains("valid scenario"), "stdout: {text}");
    assert!(text.contains("500 patients"), "stdout lacks the count: {text}");
}

#[test]
fn validate_rejects_bad_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "bad.json", r#"{"configuration": {"count": 0, "preset_id": "x"}}"#);
    let output = casualty(&["validate", &config]);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "validate on an invalid file; stderr: {text}");
    assert!(text.contains("configuration.count"), "stderr lacks the count path: {text}");
    assert!(text.contains("configuration.preset_id"), "stderr lacks the legacy key path: {text}");
    assert!(text.contains("casualty: error"), "stderr lacks `casualty: error`: {text}");
}

#[test]
fn validate_warns_service_keys() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "body.json", r#"{"configuration": {"count": 5}, "priority": "high"}"#);
    let output = casualty(&["validate", &config]);
    assert_eq!(output.status.code(), Some(0), "validate on a request body; stderr: {}", stderr(&output));
    assert!(stderr(&output).contains("priority"), "no warning naming the service key: {}", stderr(&output));
}

#[test]
fn metadata_matches_schema() {
    let path = workspace_root().join("docs/metadata.schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).expect("docs/metadata.schema.json is readable")).expect("the schema is JSON");
    let validator = jsonschema::options().should_validate_formats(true).build(&schema).expect("a valid JSON Schema");

    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", SCENARIO);
    generate(&config, dir.path(), "out.ndjson", &["--format", "ndjson", "--shard", "1/2"]);
    let json = generate(&config, dir.path(), "out.json", &["--format", "json", "--count", "100"]);
    let sidecar: Value = serde_json::from_slice(&std::fs::read(dir.path().join("out.ndjson.meta.json")).expect("sidecar")).expect("JSON");
    let embedded: Value = serde_json::from_slice::<Value>(&json).expect("JSON output parses")["metadata"].clone();
    for (what, metadata) in [("NDJSON sidecar", &sidecar), ("JSON metadata", &embedded)] {
        let problems: Vec<String> = validator.iter_errors(metadata).map(|e| format!("{e} at {}", e.instance_path)).collect();
        assert!(problems.is_empty(), "{what} does not match docs/metadata.schema.json: {}", problems.join("; "));
    }
    let mut broken = sidecar.clone();
    broken["seed"] = Value::String("one".into());
    assert!(!validator.is_valid(&broken), "the metadata schema accepts a string seed");
}

#[cfg(unix)]
#[test]
fn output_files_readable_by_others() {
    // The output is written to a temporary file first; the published file must not keep the
    // owner-only permissions that temporary files are created with.
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let config = write(dir.path(), "scenario.json", PLAIN);
    generate(&config, dir.path(), "out.ndjson", &["--format", "ndjson", "--count", "5"]);
    for name in ["out.ndjson", "out.ndjson.meta.json"] {
        let mode = std::fs::metadata(dir.path().join(name)).expect("the file exists").permissions().mode();
        assert_ne!(mode & 0o044, 0, "{name} has mode {:o}, readable by its owner only", mode & 0o777);
    }
}
