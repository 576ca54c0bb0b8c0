//! The XLSX format, read back by openpyxl: sheet names, the same patients and events as NDJSON,
//! text kept as strings (never formulas), real date-times, the metadata sheet, and the same bytes
//! for any thread count.
//!
//! The Python interpreter is `CASUALTY_PYTHON` (default `python3`) and needs the packages of
//! validators/requirements.txt.

use std::path::Path;
use std::process::{Command, Output};

fn casualty(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty")).args(args).output().expect("the casualty binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The Python interpreter of the validators. Fails, naming the install command, when openpyxl is
/// missing, so a machine without it never passes silently.
fn python_with_openpyxl() -> String {
    let python = std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".into());
    let check = Command::new(&python).args(["-c", "import openpyxl"]).output();
    match check {
        Ok(output) if output.status.success() => python,
        _ => panic!(
            "{python} cannot import openpyxl, which reads the XLSX output back; install it with \
             `{python} -m pip install -r validators/requirements.txt` or set CASUALTY_PYTHON to an interpreter that has it"
        ),
    }
}

/// A front id that a spreadsheet would run as a formula, with quotes, a line break and diacritics.
const FORMULA_FRONT: &str = "=HYPERLINK(\"http://x\",\"y\") Ærø\r\nŻółć";

fn write_scenario(dir: &Path) -> String {
    let scenario = serde_json::json!({
        "name": "=cmd|' /C calc'!A0 Ünïcödé",
        "count": 400,
        "seed": 5,
        "front_configs": [{"id": FORMULA_FRONT, "name": "Front", "casualty_rate": 1, "nationality_distribution": [{"nationality_code": "GRC", "percentage": 60}, {"nationality_code": "NOR", "percentage": 40}]}]
    });
    let path = dir.join("formula.json");
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

const READ_BACK: &str = r#"
import datetime, json, sys
import openpyxl
from openpyxl.utils.escape import unescape

folder, front = sys.argv[1], sys.argv[2]
records = [json.loads(line) for line in open(folder + "/patients.ndjson", encoding="utf-8")]
workbook = openpyxl.load_workbook(folder + "/patients.xlsx", read_only=False)
assert workbook.sheetnames == ["patients", "events", "metadata"], workbook.sheetnames

def rows(name):
    sheet = workbook[name]
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", f"{name}!{cell.coordinate} is a formula: {cell.value!r}"
    values = list(sheet.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row)) for row in values[1:]]

def utc(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")

patients = rows("patients")
assert len(patients) == len(records), (len(patients), len(records))
for row, record in zip(patients, records):
    assert row["id"] == record["id"], (row["id"], record["id"])
    # Control characters such as CR are stored as _xHHHH_ escapes (ECMA-376 ST_Xstring), which
    # Excel decodes on reading; openpyxl leaves inline strings escaped.
    assert unescape(row["front"]) == front, (row["front"], front)
    assert row["given_name"] == record["name"]["given"], (row["given_name"], record["name"]["given"])
    assert row["family_name"] == record["name"]["family"]
    assert row["age"] == record["age"] and isinstance(row["age"], int), row["age"]
    assert row["triage_category"] == record["triage_category"]
    assert row["final_status"] == record["final_status"]
    assert row["mass_casualty"] is record["mass_casualty"], row["mass_casualty"]
    assert row["injury_timestamp"] == utc(record["injury_timestamp"]), (row["injury_timestamp"], record["injury_timestamp"])
    assert row["primary_diagnosis_code"] == record["injuries"][0]["code"]

events = rows("events")
expected = [(r["id"], e) for r in records for e in r["movement_timeline"]]
assert len(events) == len(expected), (len(events), len(expected))
for row, (patient_id, event) in zip(events, expected):
    assert row["patient_id"] == patient_id
    assert row["event_type"] == event["event_type"], (row["event_type"], event["event_type"])
    assert row["facility"] == event["facility"]
    assert row["timestamp"] == utc(event["timestamp"]), (row["timestamp"], event["timestamp"])
    assert abs(row["hours_since_injury"] - event["hours_since_injury"]) < 1e-9

metadata = {row["key"]: row["value"] for row in rows("metadata")}
assert metadata["scenario_name"].startswith("=cmd"), metadata["scenario_name"]
assert metadata["seed"] == "5", metadata["seed"]
assert json.loads(metadata["scenario"])["seed"] == 5
print(len(patients), len(events))
"#;

#[test]
fn xlsx_read_back_by_openpyxl() {
    let python = python_with_openpyxl();
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let out = dir.path().join("out");
    let output = casualty(&["generate", "--config", &config, "--format", "ndjson,xlsx", "--output", &out.to_string_lossy(), "--quiet"]);
    assert!(output.status.success(), "generate failed: {}", stderr(&output));

    let read = Command::new(&python).arg("-c").arg(READ_BACK).arg(&out).arg(FORMULA_FRONT).output().unwrap_or_else(|error| panic!("failed to run the Python interpreter {python}: {error}; set CASUALTY_PYTHON to the absolute path of a Python with validators/requirements.txt installed"));
    assert!(read.status.success(), "openpyxl disagrees with the NDJSON: {}", stderr(&read));
    let counts = String::from_utf8_lossy(&read.stdout);
    assert!(counts.starts_with("400 "), "openpyxl read every patient: {counts}");
}

#[test]
fn xlsx_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let mut files = Vec::new();
    for threads in ["1", "2"] {
        let path = dir.path().join(format!("threads-{threads}.xlsx"));
        let output = casualty(&["generate", "--config", &config, "--format", "xlsx", "--threads", threads, "--output", &path.to_string_lossy(), "--quiet"]);
        assert!(output.status.success(), "generate failed: {}", stderr(&output));
        files.push(std::fs::read(&path).unwrap());
    }
    assert!(files[0] == files[1], "the workbook differs between 1 and 2 threads");
}
