//! End-to-end tests of `--format parquet` and of sharded runs as a Kubernetes Indexed Job runs
//! them: shard numbers from `JOB_COMPLETION_INDEX`, parts that concatenate to the unsharded run,
//! re-runs that give the same bytes, and Parquet parts that DuckDB reads as one table.
//!
//! DuckDB runs in `validators/parquet_summary.py` under the Python interpreter `CASUALTY_PYTHON`
//! (default `python3`) with the packages of validators/requirements.txt.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use casualty_core::time::parse_base_date;
use serde::Deserialize;
use serde_json::{json, Value};

/// Patients of the test scenario: more than one Parquet record batch (8,192 rows) of patients.
const COUNT: u64 = 9_000;

/// Shards of the sharded runs.
const SHARDS: u64 = 3;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Writes a scenario with every category and special events, so that optional columns get both
/// values and nulls, and returns its path.
fn write_scenario(dir: &Path) -> String {
    let scenario = json!({
        "name": "Parquet check",
        "count": COUNT,
        "seed": 21,
        "injury_distribution": {"Disease": 0.3, "Non-Battle Injury": 0.2, "Battle Injury": 0.5},
        "special_events": {"mass_casualty": true, "ambush": true}
    });
    let path = dir.join("scenario.json");
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

/// Runs `casualty generate` with `args` and the environment variable `JOB_COMPLETION_INDEX` set to
/// `index`, or removed when `index` is `None`.
fn generate(args: &[&str], index: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_casualty"));
    command.arg("generate").args(args).arg("--quiet");
    match index {
        Some(value) => command.env("JOB_COMPLETION_INDEX", value),
        None => command.env_remove("JOB_COMPLETION_INDEX"),
    };
    command.output().expect("the casualty binary runs")
}

fn expect_success(output: &Output, what: &str) {
    assert!(output.status.success(), "{what} failed: {}", String::from_utf8_lossy(&output.stderr));
}

/// Runs shard `index` of [`SHARDS`] as an Indexed Job pod would, into `folder`.
fn run_shard(config: &str, folder: &Path, index: u64) {
    let shards = SHARDS.to_string();
    let output_path = folder.to_string_lossy();
    let output = generate(
        &["--config", config, "--shard-from-env", "--shards", &shards, "--format", "ndjson,parquet", "--threads", "2", "--output", &output_path],
        Some(&index.to_string()),
    );
    expect_success(&output, &format!("shard {index} of {SHARDS}"));
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()))
}

#[test]
fn parquet_same_for_thread_counts() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let folder = dir.path().join(format!("threads-{threads}"));
        let output = generate(&["--config", &config, "--format", "parquet", "--threads", threads, "--output", &folder.to_string_lossy()], None);
        expect_success(&output, &format!("--threads {threads}"));
        files.push((read(&folder.join("patients.parquet")), read(&folder.join("events.parquet"))));
    }
    assert!(files[0].0.starts_with(b"PAR1"), "patients.parquet starts with the Parquet magic bytes");
    assert!(files[0].0.ends_with(b"PAR1"), "patients.parquet ends with the Parquet magic bytes");
    assert!(files[0].0 == files[1].0, "patients.parquet differs between --threads 1 and --threads 2");
    assert!(files[0].1 == files[1].1, "events.parquet differs between --threads 1 and --threads 2");
}

#[test]
fn job_index_shards_concatenate() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let whole_path = dir.path().join("whole.ndjson");
    let output = generate(&["--config", &config, "--format", "ndjson", "--threads", "2", "--output", &whole_path.to_string_lossy()], None);
    expect_success(&output, "the unsharded run");
    let whole = read(&whole_path);

    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let mut joined = Vec::new();
    for index in 0..SHARDS {
        let part = run.join(format!("part-{index}"));
        run_shard(&config, &part, index);
        joined.extend(read(&part.join("patients.ndjson")));
        let metadata: Value = serde_json::from_slice(&read(&part.join("metadata.json"))).unwrap();
        assert_eq!(metadata["shard"]["index"], index, "shard index in the metadata of part {index}: {metadata}");
    }
    assert!(joined == whole, "the NDJSON of shards 0..{SHARDS} from JOB_COMPLETION_INDEX, concatenated, differs from the unsharded run");
}

#[test]
fn shard_rerun_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let first = dir.path().join("first");
    let again = dir.path().join("again");
    run_shard(&config, &first, 1);
    // A pod that failed leaves no output folder, so its retry writes a new one from scratch.
    run_shard(&config, &again, 1);
    for name in ["patients.ndjson", "patients.parquet", "events.parquet", "metadata.json"] {
        assert!(read(&first.join(name)) == read(&again.join(name)), "{name} of shard 1 differs between two runs");
    }
}

#[test]
fn bad_job_completion_index_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let output_path = dir.path().join("out");
    let output_arg = output_path.to_string_lossy();
    let args = ["--config", &config, "--shard-from-env", "--shards", "3", "--format", "parquet", "--output", &output_arg];
    for value in ["3", "-1", "abc", "", "1.0", "99999999999999999999999"] {
        let output = generate(&args, Some(value));
        let text = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "exit code for JOB_COMPLETION_INDEX={value:?}: {text}");
        assert!(text.contains("JOB_COMPLETION_INDEX"), "the error names the variable for {value:?}: {text}");
        assert!(text.contains(&format!("`{value}`")), "the error shows the value {value:?}: {text}");
        assert!(text.contains("from 0 to 2"), "the error names the accepted range for {value:?}: {text}");
    }
    let missing = generate(&args, None);
    let text = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(missing.status.code(), Some(2), "exit code without JOB_COMPLETION_INDEX: {text}");
    assert!(text.contains("JOB_COMPLETION_INDEX is missing"), "the error names the missing variable: {text}");
    assert!(!output_path.exists(), "an output folder was created for a bad shard index");
}

/// Counts and aggregates of NDJSON records, with the same names as `parquet_summary.py` prints.
fn summarize_ndjson(bytes: &[u8]) -> BTreeMap<&'static str, Value> {
    let mut ids = std::collections::BTreeSet::new();
    let (mut sequence_sum, mut iss_sum, mut diagnoses, mut ais_sum, mut mass_casualty) = (0u64, 0u64, 0u64, 0u64, 0u64);
    let (mut events, mut hours_centi_sum) = (0u64, 0i64);
    let (mut first_injury, mut last_outcome) = (i64::MAX, i64::MIN);
    let mut by_triage: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_final_status: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_event_type: BTreeMap<String, u64> = BTreeMap::new();
    let time = |value: &Value| parse_base_date(value.as_str().expect("a timestamp")).expect("a UTC timestamp");

    let text = std::str::from_utf8(bytes).expect("NDJSON is UTF-8");
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).expect("each NDJSON line is a JSON object");
        ids.insert(record["id"].as_str().expect("an id").to_string());
        sequence_sum += record["sequence"].as_u64().unwrap();
        iss_sum += record["iss"].as_u64().unwrap();
        mass_casualty += u64::from(record["mass_casualty"].as_bool().unwrap());
        for injury in record["injuries"].as_array().unwrap() {
            diagnoses += 1;
            ais_sum += injury["ais"].as_u64().unwrap();
        }
        first_injury = first_injury.min(time(&record["injury_timestamp"]));
        last_outcome = last_outcome.max(time(&record["outcome_timestamp"]));
        *by_triage.entry(record["triage_category"].as_str().unwrap().to_string()).or_default() += 1;
        *by_final_status.entry(record["final_status"].as_str().unwrap().to_string()).or_default() += 1;
        for event in record["movement_timeline"].as_array().unwrap() {
            events += 1;
            hours_centi_sum += (event["hours_since_injury"].as_f64().unwrap() * 100.0).round() as i64;
            *by_event_type.entry(event["event_type"].as_str().unwrap().to_string()).or_default() += 1;
        }
    }
    let patients = text.lines().count() as u64;
    BTreeMap::from([
        ("patients", json!(patients)),
        ("distinct_ids", json!(ids.len())),
        ("sequence_sum", json!(sequence_sum)),
        ("iss_sum", json!(iss_sum)),
        ("diagnoses", json!(diagnoses)),
        ("ais_sum", json!(ais_sum)),
        ("first_injury_epoch", json!(first_injury)),
        ("last_outcome_epoch", json!(last_outcome)),
        ("by_triage", json!(by_triage)),
        ("by_final_status", json!(by_final_status)),
        ("mass_casualty", json!(mass_casualty)),
        ("events", json!(events)),
        ("hours_since_injury_centi_sum", json!(hours_centi_sum)),
        ("by_event_type", json!(by_event_type)),
        ("orphan_events", json!(0)),
    ])
}

#[test]
fn parquet_parts_match_ndjson() {
    let python = std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    let mut ndjson = Vec::new();
    for index in 0..SHARDS {
        let part = run.join(format!("part-{index}"));
        run_shard(&config, &part, index);
        ndjson.extend(read(&part.join("patients.ndjson")));
    }
    let expected = summarize_ndjson(&ndjson);
    assert_eq!(expected["patients"], json!(COUNT), "the NDJSON parts hold every patient");

    let script = workspace_root().join("validators/parquet_summary.py");
    let output = Command::new(&python).arg(&script).arg(&run).output().unwrap_or_else(|error| {
        panic!("failed to run the Python interpreter {python}: {error}; set CASUALTY_PYTHON to the absolute path of a Python with validators/requirements.txt installed")
    });
    assert!(
        output.status.success(),
        "DuckDB failed to read the Parquet parts: {}\n(the reader needs `{python} -m pip install -r validators/requirements.txt`)",
        String::from_utf8_lossy(&output.stderr)
    );
    let actual: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| panic!("the summary is not JSON ({error}): {}", String::from_utf8_lossy(&output.stdout)));
    for (name, value) in &expected {
        assert_eq!(&actual[*name], value, "{name}: DuckDB over the Parquet parts (left) and the NDJSON records (right) differ");
    }
}

/// Reads the documents of the Kubernetes manifest, by kind.
fn manifest_documents() -> BTreeMap<String, serde_yaml::Value> {
    let path = workspace_root().join("deploy/kubernetes/indexed-job.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("failed to read {}: {error}", path.display()));
    let mut documents = BTreeMap::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let value = serde_yaml::Value::deserialize(document).unwrap_or_else(|error| panic!("{} is not valid YAML: {error}", path.display()));
        let kind = value["kind"].as_str().expect("every document has a kind").to_string();
        documents.insert(kind, value);
    }
    documents
}

#[test]
fn kubernetes_job_command_runs() {
    let documents = manifest_documents();
    let job = &documents["Job"];
    assert_eq!(job["apiVersion"].as_str(), Some("batch/v1"), "the Job's API version");
    assert_eq!(job["spec"]["completionMode"].as_str(), Some("Indexed"), "the Job is an Indexed Job");
    let completions = job["spec"]["completions"].as_u64().expect("completions");
    assert!(job["spec"]["parallelism"].as_u64().is_some_and(|parallelism| parallelism >= 1), "parallelism is set");

    let pod = &job["spec"]["template"]["spec"];
    assert_eq!(pod["securityContext"]["runAsNonRoot"].as_bool(), Some(true), "the pod runs as a non-root user");
    let container = &pod["containers"][0];
    let args: Vec<String> = container["args"].as_sequence().expect("the container has args").iter().map(|arg| arg.as_str().expect("each argument is a string").to_string()).collect();
    let shards = args.iter().position(|arg| arg == "--shards").and_then(|at| args.get(at + 1)).expect("the args give --shards");
    assert_eq!(shards, &completions.to_string(), "--shards equals the Job's completions");
    let index_variable = container["env"].as_sequence().expect("the container has env").iter().find(|variable| variable["name"].as_str() == Some("JOB_COMPLETION_INDEX")).expect("JOB_COMPLETION_INDEX is declared");
    assert_eq!(
        index_variable["valueFrom"]["fieldRef"]["fieldPath"].as_str(),
        Some("metadata.annotations['batch.kubernetes.io/job-completion-index']"),
        "JOB_COMPLETION_INDEX comes from the completion index annotation"
    );

    // The container's command line runs with the mounted paths moved into a temporary folder,
    // `$(JOB_COMPLETION_INDEX)` expanded as Kubernetes does, and a small count.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let data = dir.path().join("data");
    std::fs::create_dir_all(&config).unwrap();
    std::fs::create_dir_all(&data).unwrap();
    let scenario = documents["ConfigMap"]["data"]["scenario.json"].as_str().expect("the ConfigMap holds scenario.json");
    std::fs::write(config.join("scenario.json"), scenario).unwrap();
    for index in [0, completions - 1] {
        let local: Vec<String> = args
            .iter()
            .map(|arg| {
                let arg = arg.replace("$(JOB_COMPLETION_INDEX)", &index.to_string());
                match (arg.strip_prefix("/config/"), arg.strip_prefix("/data/")) {
                    (Some(rest), _) => config.join(rest).to_string_lossy().into_owned(),
                    (_, Some(rest)) => data.join(rest).to_string_lossy().into_owned(),
                    _ => arg,
                }
            })
            .collect();
        assert_eq!(local.first().map(String::as_str), Some("generate"), "the container runs casualty generate");
        let output = Command::new(env!("CARGO_BIN_EXE_casualty")).args(&local).args(["--count", "400"]).env("JOB_COMPLETION_INDEX", index.to_string()).output().expect("the casualty binary runs");
        expect_success(&output, &format!("the manifest's command line for index {index}"));
        let part = data.join(format!("part-{index}"));
        for name in ["patients.ndjson", "patients.parquet", "events.parquet", "metadata.json"] {
            assert!(part.join(name).is_file(), "{name} is written into {}", part.display());
        }
    }
}
