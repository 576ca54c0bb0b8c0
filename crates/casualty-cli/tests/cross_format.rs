//! Every format describes the same patients: one run writes all formats, and an independent
//! reader for each (Python's json, csv and ElementTree modules, openpyxl, plain JSON parsing of
//! the FHIR bundles, and DuckDB for Parquet) compares it with the NDJSON records, field by field.
//!
//! The script is tests/scripts/cross_format.py. The Python interpreter is `CASUALTY_PYTHON`
//! (default `python3`) with the packages of validators/requirements.txt.

use std::path::Path;
use std::process::Command;

/// Every format the generator writes.
const ALL_FORMATS: &str = "json,ndjson,csv,xml,xlsx,fhir,parquet";

/// A scenario with every category, special events, several scripts of names, religions, and a
/// front id with quotes, a comma, a line break, diacritics and a leading `=`.
fn write_scenario(dir: &Path) -> String {
    let scenario = serde_json::json!({
        "name": "Cross-format \"check\", Ærø & <Żółć>",
        "count": 1500,
        "seed": 12,
        "injury_distribution": {"Disease": 0.3, "Non-Battle Injury": 0.3, "Battle Injury": 0.4},
        "special_events": {"mass_casualty": true, "ambush": true},
        "overrides": {"demographics.religion_recorded_share": 0.5},
        "front_configs": [{
            "id": "=Nord, \"Ost\"\r\nŒ",
            "name": "Front",
            "casualty_rate": 1,
            "nationality_distribution": [
                {"nationality_code": "GRC", "percentage": 30},
                {"nationality_code": "BGR", "percentage": 30},
                {"nationality_code": "DEU", "percentage": 40}
            ]
        }]
    });
    let path = dir.join("cross.json");
    std::fs::write(&path, serde_json::to_vec(&scenario).unwrap()).unwrap();
    path.to_string_lossy().into_owned()
}

#[test]
fn every_format_matches_ndjson() {
    let python = std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".into());
    let dir = tempfile::tempdir().unwrap();
    let config = write_scenario(dir.path());
    let out = dir.path().join("out");
    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["generate", "--config", &config, "--format", ALL_FORMATS, "--output", &out.to_string_lossy(), "--quiet"])
        .output()
        .expect("the casualty binary runs");
    assert!(output.status.success(), "generate failed: {}", String::from_utf8_lossy(&output.stderr));

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/cross_format.py");
    let read = Command::new(&python).arg(&script).arg(&out).output().unwrap_or_else(|error| panic!("failed to run the Python interpreter {python}: {error}; set CASUALTY_PYTHON to the absolute path of a Python with validators/requirements.txt installed"));
    let report = String::from_utf8_lossy(&read.stdout);
    assert!(
        read.status.success(),
        "a format disagrees with the NDJSON records: {}{}\n(the readers need `{python} -m pip install -r validators/requirements.txt`)",
        report,
        String::from_utf8_lossy(&read.stderr)
    );
    for format in ALL_FORMATS.split(',').filter(|f| *f != "ndjson") {
        assert!(report.contains(&format!("{format}: 1500 patients agree")), "{format} was checked: {report}");
    }
}
