//! XLSX continuation sheets: a table longer than a sheet's row limit continues in `<name>_2`,
//! `<name>_3` and so on, each with a header row, and openpyxl reads every row back in order.
//!
//! The row limit is lowered through the sink builder, so a few hundred patients exercise what
//! Excel's limit of 1,048,576 rows would need millions for. The Python interpreter is
//! `CASUALTY_PYTHON` (default `python3`) with the packages of validators/requirements.txt.

use std::process::Command;
use std::sync::atomic::AtomicBool;

use casualty_core::engine::Generator;
use casualty_core::scenario::{parse_scenario_value, CommandLineOverrides};
use casualty_output::xlsx::XlsxSinkBuilder;
use casualty_output::{write_patients, Format, Metadata, RunOptions};

const CHECK_SHEETS: &str = r#"
import json, sys
import openpyxl

workbook = openpyxl.load_workbook(sys.argv[1], read_only=True)
limit = int(sys.argv[2])
result = {}
for table in ("patients", "events"):
    names = [n for n in workbook.sheetnames if n == table or n.startswith(table + "_")]
    ids = []
    for index, name in enumerate(names):
        assert name == (table if index == 0 else f"{table}_{index + 1}"), names
        rows = list(workbook[name].iter_rows(values_only=True))
        assert rows[0][0] in ("id", "patient_id"), (name, rows[0])
        assert len(rows) <= limit, (name, len(rows))
        if index < len(names) - 1:
            assert len(rows) == limit, f"{name} is not full but a later sheet exists"
        ids.extend(row[0] for row in rows[1:])
    result[table] = {"sheets": names, "ids": ids}
assert workbook.sheetnames[-1] == "metadata", workbook.sheetnames
print(json.dumps(result))
"#;

#[test]
fn long_tables_continue_on_new_sheets() {
    let python = std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".into());
    let document = serde_json::json!({"name": "sheet limit", "count": 250, "seed": 4});
    let scenario = parse_scenario_value(&document, CommandLineOverrides::default()).expect("a valid scenario").scenario;
    let generator = Generator::new(&scenario);
    let metadata = Metadata::new(&scenario, Format::Xlsx, 0..250, None);
    let limit = 100;
    let options = RunOptions { xlsx: XlsxSinkBuilder::default().max_rows_per_sheet(limit), ..RunOptions::new(2, 0..250) };
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("limit.xlsx");
    let file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let cancel = AtomicBool::new(false);
    write_patients(&generator, Format::Xlsx, &metadata, file, "limit.xlsx", &options, &mut |_| {}, &cancel).expect("the workbook is written");

    let output = Command::new(&python).arg("-c").arg(CHECK_SHEETS).arg(&path).arg(limit.to_string()).output().unwrap_or_else(|error| panic!("failed to run the Python interpreter {python}: {error}; set CASUALTY_PYTHON to the absolute path of a Python with validators/requirements.txt installed"));
    assert!(
        output.status.success(),
        "openpyxl check failed (install its packages with `{python} -m pip install -r validators/requirements.txt`): {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();

    let patient_ids: Vec<String> = (0..250).map(|index| generator.patient(index).id.hyphenated().to_string()).collect();
    let read: Vec<&str> = result["patients"]["ids"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(read, patient_ids, "every patient row, in order, across the sheets");
    assert_eq!(result["patients"]["sheets"], serde_json::json!(["patients", "patients_2", "patients_3"]), "250 rows at 99 per sheet");

    let events: usize = (0..250).map(|index| generator.patient(index).movement_timeline.len()).sum();
    let event_sheets = result["events"]["sheets"].as_array().unwrap().len();
    assert_eq!(result["events"]["ids"].as_array().unwrap().len(), events, "every event row");
    assert_eq!(event_sheets, events.div_ceil(99), "events fill sheets of 99 rows");
}
