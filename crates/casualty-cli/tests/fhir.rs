//! The FHIR R4 format: a sample with every injury category, outcome and facility, checked by two
//! independent validators and by structure checks against the NDJSON records.
//!
//! - fhir.resources 6.4.0 (Python, FHIR R4 models) runs through tests/scripts/validate_fhir_resources.py,
//!   which also checks that references resolve, that nothing is null or empty, and that every
//!   time has a zone. The interpreter is `CASUALTY_PYTHON` (default `python3`) and needs the
//!   packages of validators/requirements.txt.
//! - FHIR.js (npm package `fhir` 4.12.0, which checks codes against the R4 value sets) runs
//!   through validators/validate-fhir.js and needs `npm ci --prefix validators`.
//!
//! A missing validator fails the tests with the command that installs it; they never skip.
//!
//! The sample scenario, tests/cases/fhir-sample.json, is the small case of the repository's
//! tests/cases with a Role 1 `kia_rate` of 2% and recorded religions. With the model's own
//! death rates, disease and non-battle deaths are about 1 in 1,000, so a sample would need
//! several thousand patients, which the Python models take minutes to parse. With the Role 1
//! rate, 1,500 patients include at least 4 of every outcome for each of the seeds 1 to 8.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

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

fn sample_config() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/fhir-sample.json").to_string_lossy().into_owned()
}

/// Generates `formats` into `folder`; `extra` adds options such as `--count`.
fn generate(folder: &Path, formats: &str, threads: &str, extra: &[&str]) {
    let config = sample_config();
    let output_arg = folder.to_string_lossy();
    let mut args = vec!["generate", "--config", &config, "--format", formats, "--threads", threads, "--output", &output_arg, "--quiet"];
    args.extend_from_slice(extra);
    let result = casualty(&args);
    assert!(result.status.success(), "generate --format {formats} failed: {}", stderr(&result));
}

fn ndjson(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{} cannot be read: {error}", path.display()));
    text.lines().map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("a line of {} is not JSON: {error}", path.display()))).collect()
}

/// Lists the Bulk Data files of an output folder, sorted by name.
fn bulk_files(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder.join("fhir")).expect("the fhir folder exists").map(|entry| entry.expect("a folder entry").path()).collect();
    files.sort();
    files
}

/// Returns the Python interpreter of the validators. Fails, naming the install command, when
/// fhir.resources is missing, so a machine without it never passes silently.
fn python_with_fhir_resources() -> String {
    let python = std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".into());
    let check = Command::new(&python).args(["-c", "import fhir.resources"]).output();
    match check {
        Ok(output) if output.status.success() => python,
        _ => panic!(
            "{python} cannot import fhir.resources, which validates the FHIR output; install it with \
             `python3 -m pip install -r validators/requirements.txt` or set CASUALTY_PYTHON to an interpreter that has it"
        ),
    }
}

/// Returns a command that runs validators/validate-fhir.js. Fails, naming the install command, when
/// Node.js or the npm package is missing.
fn fhir_js() -> Command {
    let root = workspace_root();
    assert!(
        root.join("validators/node_modules/fhir/package.json").is_file(),
        "validators/node_modules has no fhir package, which validates the FHIR output; install it with `npm ci --prefix validators`"
    );
    let node = Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|output| output.status.success()), "node is not installed; FHIR.js needs Node.js (Debian: `apt-get install -y nodejs npm`)");
    let mut command = Command::new("node");
    command.arg(root.join("validators/validate-fhir.js"));
    command
}

fn python_validator(python: &str) -> Command {
    let mut command = Command::new(python);
    command.arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/validate_fhir_resources.py"));
    command
}

/// Starts a validator on `files`, so that several run at the same time.
fn start(mut command: Command, files: &[PathBuf]) -> Child {
    command.args(files).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the validator starts")
}

/// Waits for a validator and returns its exit code, standard output and standard error.
fn finish(child: Child) -> (Option<i32>, String, String) {
    let output = child.wait_with_output().expect("the validator runs to the end");
    (output.status.code(), String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

fn assert_valid(name: &str, child: Child) {
    let (code, stdout, stderr) = finish(child);
    let first_lines: Vec<&str> = stderr.lines().take(40).collect();
    assert_eq!(code, Some(0), "{name} rejects the output:\n{}", first_lines.join("\n"));
    assert!(stdout.contains("valid"), "{name} printed no summary: {stdout}");
}

/// Groups the resources of a bundle by type, in entry order.
fn resources_by_type(bundle: &Value) -> BTreeMap<String, Vec<&Value>> {
    let mut by_type: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for entry in bundle["entry"].as_array().expect("a bundle has entries") {
        let resource = &entry["resource"];
        by_type.entry(resource["resourceType"].as_str().expect("a resource type").to_string()).or_default().push(resource);
    }
    by_type
}

fn count(by_type: &BTreeMap<String, Vec<&Value>>, resource_type: &str) -> usize {
    by_type.get(resource_type).map_or(0, Vec::len)
}

/// Names the optional shapes a bundle contains, so the test can show the validators saw each.
fn shapes(by_type: &BTreeMap<String, Vec<&Value>>, found: &mut BTreeSet<String>) {
    for (resource_type, resources) in by_type {
        found.insert(resource_type.clone());
        for resource in resources {
            if resource.get("deceasedDateTime").is_some() {
                found.insert("Patient.deceasedDateTime".into());
            }
            if resource["name"].as_array().is_some_and(|names| names.len() > 1) {
                found.insert("Patient.name transliterated".into());
            }
            for extension in resource["extension"].as_array().into_iter().flatten() {
                found.insert(format!("extension {}", extension["url"].as_str().unwrap_or("")));
            }
            if resource_type == "Encounter" {
                found.insert(format!("Encounter {}", resource["status"].as_str().unwrap_or("")));
                found.insert(format!("Encounter class {}", resource["class"]["code"].as_str().unwrap_or("")));
                if let Some(code) = resource["hospitalization"]["dischargeDisposition"]["coding"][0]["code"].as_str() {
                    found.insert(format!("dischargeDisposition {code}"));
                }
            }
            if resource_type == "Location" {
                found.insert(format!("Location {}", resource["name"].as_str().unwrap_or("")));
            }
            if resource["bodySite"][0].get("text").is_some() {
                found.insert("Condition.bodySite with laterality".into());
            }
        }
    }
}

/// Covers every category, outcome and facility, and checks the bundles and Bulk Data files
/// against the NDJSON records of the same run.
#[test]
fn fhir_sample_covers_every_case() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&out, "fhir,ndjson", "2", &[]);
    let records = ndjson(&out.join("patients.ndjson"));
    let bundles = ndjson(&out.join("patients.fhir.ndjson"));
    let metadata: Value = serde_json::from_slice(&std::fs::read(out.join("metadata.json")).unwrap()).unwrap();

    let categories: BTreeSet<&str> = records.iter().map(|r| r["injury_type"].as_str().unwrap()).collect();
    let outcomes: BTreeSet<&str> = records.iter().map(|r| r["final_status"].as_str().unwrap()).collect();
    let facilities: BTreeSet<&str> = records.iter().flat_map(|r| r["movement_timeline"].as_array().unwrap().iter().map(|e| e["facility"].as_str().unwrap())).collect();
    assert_eq!(categories, BTreeSet::from(["Battle Injury", "Disease", "Non-Battle Injury"]), "the sample covers every injury category");
    assert_eq!(outcomes, BTreeSet::from(["DNBI_death", "DOW", "KIA", "RTD", "Remains_Role4"]), "the sample covers every outcome");
    assert_eq!(facilities, BTreeSet::from(["POI", "Role1", "Role2", "Role3", "Role4"]), "the sample covers every facility");

    assert_eq!(bundles.len(), records.len(), "one bundle per patient");
    assert_eq!(Some(bundles.len() as u64), metadata["total_patients"].as_u64(), "bundles of every patient in the run");
    let bulk: BTreeMap<String, Vec<Value>> =
        bulk_files(&out).iter().map(|path| (path.file_stem().unwrap().to_string_lossy().into_owned(), ndjson(path))).collect();
    let patient_lines = &bulk["Patient"];
    assert_eq!(patient_lines.len(), records.len(), "one Bulk Data Patient line per patient");

    let mut totals: BTreeMap<String, usize> = BTreeMap::new();
    let mut found = BTreeSet::new();
    for ((bundle, record), patient_line) in bundles.iter().zip(&records).zip(patient_lines) {
        let id = record["id"].as_str().unwrap();
        let by_type = resources_by_type(bundle);
        let patient = by_type["Patient"][0];
        assert_eq!(patient["id"], id, "the bundle's Patient is the record's patient");
        assert_eq!(patient_line["id"], id, "the Bulk Data Patient line of the same position is the same patient");
        assert_eq!(bundle["type"], "collection", "bundle type of {id}");
        assert_eq!(bundle["identifier"]["value"], format!("urn:uuid:{}", bundle["id"].as_str().unwrap()), "bundle identifier of {id}");
        assert_eq!(bundle["timestamp"], record["outcome_timestamp"], "bundle timestamp of {id} is the outcome time");
        let tags: Vec<&str> = bundle["meta"]["tag"].as_array().unwrap().iter().map(|tag| tag["code"].as_str().unwrap()).collect();
        assert!(tags.contains(&format!("scenario-sha256={}", metadata["scenario_sha256"].as_str().unwrap()).as_str()), "scenario tag of {id}: {tags:?}");
        assert!(tags.contains(&format!("seed={}", metadata["seed"]).as_str()), "seed tag of {id}: {tags:?}");

        let died = ["KIA", "DOW", "DNBI_death"].contains(&record["final_status"].as_str().unwrap());
        assert_eq!(patient.get("deceasedDateTime"), died.then_some(&record["outcome_timestamp"]), "death time of {id}");

        let record_count = |field: &str| record[field].as_array().unwrap().len();
        let stays: BTreeSet<&str> = record["movement_timeline"].as_array().unwrap().iter().map(|e| e["facility"].as_str().unwrap()).collect();
        assert_eq!(count(&by_type, "Encounter"), stays.len(), "one Encounter per facility reached by {id}");
        assert_eq!(count(&by_type, "Location"), stays.len(), "one Location per facility reached by {id}");
        assert_eq!(count(&by_type, "Condition"), record_count("injuries"), "one Condition per diagnosis of {id}");
        assert_eq!(count(&by_type, "Procedure"), record_count("treatments"), "one Procedure per treatment of {id}");
        assert_eq!(count(&by_type, "MedicationAdministration"), record_count("medications"), "one MedicationAdministration per medication of {id}");
        assert_eq!(count(&by_type, "AllergyIntolerance"), record_count("allergies"), "one AllergyIntolerance per allergy of {id}");
        assert_eq!(count(&by_type, "Observation"), 1 + 6 * record_count("vital_signs"), "blood group and six vital signs per set of {id}");

        for (resource_type, resources) in &by_type {
            *totals.entry(resource_type.clone()).or_default() += resources.len();
        }
        shapes(&by_type, &mut found);
    }

    for (resource_type, lines) in &bulk {
        assert_eq!(totals.get(resource_type).copied().unwrap_or(0), lines.len(), "Bulk Data lines of {resource_type} equal its resources in all bundles");
    }
    assert_eq!(bulk.keys().cloned().collect::<BTreeSet<_>>(), totals.keys().cloned().collect(), "one Bulk Data file per resource type of the bundles");

    let expected = [
        "AllergyIntolerance",
        "MedicationAdministration",
        "Procedure",
        "Patient.deceasedDateTime",
        "Patient.name transliterated",
        "extension http://hl7.org/fhir/StructureDefinition/patient-nationality",
        "extension http://hl7.org/fhir/StructureDefinition/patient-religion",
        "Encounter finished",
        "Encounter in-progress",
        "Encounter class FLD",
        "Encounter class EMER",
        "Encounter class IMP",
        "dischargeDisposition other-hcf",
        "dischargeDisposition exp",
        "dischargeDisposition oth",
        "Location Point of injury",
        "Location Role 4 medical treatment facility",
        "Condition.bodySite with laterality",
    ];
    for shape in expected {
        assert!(found.contains(shape), "the sample has no {shape}, so the validators do not check it");
    }
}

#[test]
fn fhir_resources_accepts_sample() {
    let python = python_with_fhir_resources();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&out, "fhir", "2", &[]);
    let bundles = start(python_validator(&python), &[out.join("patients.fhir.ndjson")]);
    let bulk = start(python_validator(&python), &bulk_files(&out));
    assert_valid("fhir.resources on patients.fhir.ndjson", bundles);
    assert_valid("fhir.resources on the Bulk Data files", bulk);
}

#[test]
fn fhir_js_accepts_sample() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&out, "fhir", "2", &[]);
    let bundles = start(fhir_js(), &[out.join("patients.fhir.ndjson")]);
    let bulk = start(fhir_js(), &bulk_files(&out));
    assert_valid("FHIR.js on patients.fhir.ndjson", bundles);
    assert_valid("FHIR.js on the Bulk Data files", bulk);
}

/// Returns the first resource of `resource_type` in a bundle.
fn resource_mut<'b>(bundle: &'b mut Value, resource_type: &str) -> &'b mut Value {
    let entries = bundle["entry"].as_array_mut().expect("a bundle has entries");
    let entry = entries.iter_mut().find(|entry| entry["resource"]["resourceType"] == resource_type).unwrap_or_else(|| panic!("the bundle has no {resource_type}"));
    &mut entry["resource"]
}

/// A flaw made in one resource of a bundle: the member at a JSON pointer is set (a top-level
/// member is added if missing), or removed when the value is `None`.
struct Flaw {
    name: &'static str,
    resource_type: &'static str,
    pointer: &'static str,
    value: Option<Value>,
    /// Text fhir.resources must report, or `None` where it is not meant to catch the flaw.
    python_reports: Option<&'static str>,
    /// Text FHIR.js must report, or `None` where it is not meant to catch the flaw.
    node_reports: Option<&'static str>,
}

impl Flaw {
    fn apply(&self, bundle: &mut Value) {
        let resource = resource_mut(bundle, self.resource_type);
        let top_level = self.pointer.strip_prefix('/').filter(|key| !key.contains('/'));
        match (&self.value, top_level) {
            (Some(value), Some(key)) => {
                resource.as_object_mut().unwrap().insert(key.to_string(), value.clone());
            }
            (Some(value), None) => *resource.pointer_mut(self.pointer).unwrap_or_else(|| panic!("{} has no {}", self.resource_type, self.pointer)) = value.clone(),
            (None, Some(key)) => {
                resource.as_object_mut().unwrap().remove(key).unwrap_or_else(|| panic!("{} has no {key}", self.resource_type));
            }
            (None, None) => panic!("only top-level members are removed, not {}", self.pointer),
        }
    }
}

/// Feeds each validator broken copies of a valid bundle, one per line after the valid original,
/// and checks that each flaw is reported on its line by the validator that is meant to catch it.
#[test]
fn validators_reject_broken_resources() {
    let python = python_with_fhir_resources();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&out, "fhir", "1", &["--count", "20"]);
    let original = ndjson(&out.join("patients.fhir.ndjson")).remove(0);

    let flaw = |name, resource_type, pointer, value: Option<Value>, python_reports, node_reports| Flaw { name, resource_type, pointer, value, python_reports, node_reports };
    let flaws = [
        flaw("invalid gender code", "Patient", "/gender", Some("mal".into()), None, Some("Patient.gender")),
        flaw("missing Encounter.status", "Encounter", "/status", None, Some("field required"), Some("Missing property")),
        flaw("property R4 does not define", "Patient", "/nickname", Some("Doc".into()), Some("extra fields not permitted"), Some("Unexpected property")),
        flaw("dateTime without a time zone", "Encounter", "/period/start", Some("2026-01-05T06:03:24".into()), Some("no time zone"), None),
        flaw("reference outside the bundle", "Condition", "/subject/reference", Some("urn:uuid:00000000-0000-0000-0000-000000000000".into()), Some("does not resolve"), None),
        flaw("null value", "Patient", "/birthDate", Some(Value::Null), Some("is null"), Some("Patient.birthDate")),
        flaw("empty array", "Patient", "/name", Some(Value::Array(Vec::new())), Some("is empty"), None),
        flaw("invalid condition clinical status", "Condition", "/clinicalStatus/coding/0/code", Some("alive".into()), None, Some("Condition.clinicalStatus")),
    ];
    let mut text = format!("{original}\n");
    for flaw in &flaws {
        let mut broken = original.clone();
        flaw.apply(&mut broken);
        text.push_str(&format!("{broken}\n"));
    }
    let path = dir.path().join("broken.ndjson");
    std::fs::write(&path, text).unwrap();

    let python_run = start(python_validator(&python), std::slice::from_ref(&path));
    let node_run = start(fhir_js(), std::slice::from_ref(&path));
    for (name, run) in [("fhir.resources", python_run), ("FHIR.js", node_run)] {
        let (code, _, stderr) = finish(run);
        assert_eq!(code, Some(1), "{name} exits with 1 on broken resources:\n{stderr}");
        let reported = |line: usize| -> Vec<&str> { stderr.lines().filter(|l| l.contains(&format!("broken.ndjson:{line}:"))).collect() };
        assert!(reported(1).is_empty(), "{name} accepts the valid original on line 1: {:?}", reported(1));
        for (index, flaw) in flaws.iter().enumerate() {
            let line = index + 2;
            let expected = if name == "FHIR.js" { flaw.node_reports } else { flaw.python_reports };
            if let Some(expected) = expected {
                assert!(reported(line).iter().any(|l| l.contains(expected)), "{name} does not report the {} on line {line} with `{expected}`:\n{stderr}", flaw.name);
            }
        }
    }
}

/// Bulk Data files must use relative references that resolve among the files given.
#[test]
fn python_rejects_broken_bulk_references() {
    let python = python_with_fhir_resources();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    generate(&out, "fhir", "1", &["--count", "5"]);
    let mut conditions = ndjson(&out.join("fhir/Condition.ndjson"));
    let patient_id = conditions[0]["subject"]["reference"].as_str().unwrap().trim_start_matches("Patient/").to_string();
    conditions[0]["subject"]["reference"] = format!("urn:uuid:{patient_id}").into();
    conditions[1]["subject"]["reference"] = "Patient/00000000-0000-0000-0000-000000000000".into();
    let broken = dir.path().join("Condition.ndjson");
    std::fs::write(&broken, conditions.iter().map(|c| format!("{c}\n")).collect::<String>()).unwrap();

    let (code, _, stderr) = finish(start(python_validator(&python), &[out.join("fhir/Patient.ndjson"), out.join("fhir/Encounter.ndjson"), broken]));
    assert_eq!(code, Some(1), "fhir.resources exits with 1 on broken Bulk Data references:\n{stderr}");
    assert!(stderr.lines().any(|l| l.contains("Condition.ndjson:1:") && l.contains("<ResourceType>/<id>")), "a bundle-style reference is reported:\n{stderr}");
    assert!(stderr.lines().any(|l| l.contains("Condition.ndjson:2:") && l.contains("does not resolve")), "a reference to no patient is reported:\n{stderr}");
}

#[test]
fn fhir_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    generate(&one, "fhir", "1", &["--count", "300"]);
    generate(&two, "fhir", "2", &["--count", "300"]);
    let mut files = vec![PathBuf::from("patients.fhir.ndjson"), PathBuf::from("metadata.json")];
    files.extend(bulk_files(&one).iter().map(|path| Path::new("fhir").join(path.file_name().unwrap())));
    for name in files {
        assert_eq!(std::fs::read(one.join(&name)).unwrap(), std::fs::read(two.join(&name)).unwrap(), "{} differs between 1 and 2 threads", name.display());
    }
}
