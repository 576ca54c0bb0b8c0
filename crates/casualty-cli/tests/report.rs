//! End-to-end tests of `casualty report`. The figures in the page are compared with counts that
//! this test takes from the NDJSON records itself (with serde_json, not with the report crate).
//! Further tests cover JSON, gzip and folder input, determinism, escaping, metadata handling,
//! errors and exit codes, and the page as real headless Chromium renders it.
//!
//! The Chromium test runs validators/render-report.js, which needs Node.js, the npm package
//! playwright-core (`npm ci --prefix validators`) and Chromium (Debian package chromium, or the
//! executable named by CASUALTY_CHROMIUM). A missing tool fails the test with the command that
//! installs it; it never skips.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::{json, Value};

const SCENARIO: &str = r#"{
  "name": "Report test",
  "count": 4000,
  "seed": 11,
  "days_of_fighting": 5,
  "base_date": "2025-03-01",
  "special_events": [{"type": "mass_casualty", "day": 3, "hour": 14, "size": 80}]
}"#;

/// Charts that every report of a run with casualties has.
const CHARTS: [&str; 9] = ["per-day", "per-hour", "category", "triage", "mechanism", "body-region", "outcome-by-triage", "deaths-by-location", "time-to-role"];

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run(args: &[&str]) -> Output {
    support::casualty().args(args).output().expect("the casualty binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn text(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Writes the test scenario into `dir` and generates `--format FORMAT` into `dir/name`.
fn generate(dir: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let config = dir.join("scenario.json");
    std::fs::write(&config, SCENARIO).expect("the scenario is written");
    let output = dir.join(name);
    let mut args = vec!["generate".to_string(), "--config".into(), text(&config), "--output".into(), text(&output), "--quiet".into()];
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let result = run(&args);
    assert!(result.status.success(), "casualty {args:?} failed: {}", stderr(&result));
    output
}

/// Runs `casualty report INPUT --output report.html EXTRA` in `dir` and returns the page.
fn report(input: &Path, dir: &Path, extra: &[&str]) -> String {
    let html = dir.join("report.html");
    let mut args = vec!["report", "--output"];
    let html_arg = text(&html);
    let input_arg = text(input);
    args.push(&html_arg);
    args.push(&input_arg);
    args.extend_from_slice(extra);
    let result = run(&args);
    assert!(result.status.success(), "casualty {args:?} failed: {}", stderr(&result));
    std::fs::read_to_string(&html).expect("the report is written")
}

/// Parses the `<script type="application/json" id="report-data">` element of a page.
fn report_data(html: &str) -> Value {
    let start_tag = "<script type=\"application/json\" id=\"report-data\">";
    let start = html.find(start_tag).expect("the page has a report-data element") + start_tag.len();
    let end = html[start..].find("</script>").expect("the element is closed") + start;
    serde_json::from_str(&html[start..end]).expect("report-data is JSON")
}

/// Days since 1970-01-01 of a civil date, for the test's own reading of timestamps.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    era * 146_097 + year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year - 719_468
}

fn seconds(timestamp: &str) -> i64 {
    let number = |range: std::ops::Range<usize>| timestamp[range].parse::<i64>().expect("a number in the timestamp");
    days_from_civil(number(0..4), number(5..7), number(8..10)) * 86_400 + number(11..13) * 3600 + number(14..16) * 60 + number(17..19)
}

/// Nearest-rank percentile: the value at rank ceil(p × n) of the sorted values.
fn nearest_rank(sorted: &[u64], percent: u64) -> Value {
    if sorted.is_empty() {
        return Value::Null;
    }
    let rank = ((percent * sorted.len() as u64).div_ceil(100)).max(1) as usize;
    json!(sorted[rank - 1])
}

/// Counts the NDJSON records the way the report describes its figures, independently of it.
fn expected_figures(ndjson: &Path) -> Value {
    let records: Vec<Value> = std::fs::read_to_string(ndjson)
        .expect("the NDJSON file is read")
        .lines()
        .map(|line| serde_json::from_str(line).expect("a record"))
        .collect();
    let mut by_category: BTreeMap<String, u64> = ["Disease", "Non-Battle Injury", "Battle Injury"].iter().map(|k| (k.to_string(), 0)).collect();
    let statuses = ["KIA", "DOW", "DNBI_death", "RTD", "Remains_Role4"];
    let roles = ["POI", "Role1", "Role2", "Role3", "Role4"];
    let mut by_triage: BTreeMap<String, u64> = ["T1", "T2", "T3", "T4"].iter().map(|k| (k.to_string(), 0)).collect();
    let mut by_status: BTreeMap<String, u64> = statuses.iter().map(|k| (k.to_string(), 0)).collect();
    let mut outcome_by_triage: BTreeMap<String, BTreeMap<String, u64>> = by_triage.keys().map(|t| (t.clone(), by_status.clone())).collect();
    let mut deaths: BTreeMap<String, BTreeMap<String, u64>> = statuses[..3].iter().map(|s| (s.to_string(), roles.iter().map(|r| (r.to_string(), 0)).collect())).collect();
    let mut by_day: BTreeMap<String, u64> = BTreeMap::new();
    let mut by_hour = [0u64; 24];
    let mut minutes: BTreeMap<&str, Vec<u64>> = roles[1..].iter().map(|r| (*r, Vec::new())).collect();

    for record in &records {
        let triage = record["triage_category"].as_str().unwrap();
        let status = record["final_status"].as_str().unwrap();
        let injury = record["injury_timestamp"].as_str().unwrap();
        *by_category.get_mut(record["injury_type"].as_str().unwrap()).unwrap() += 1;
        *by_triage.get_mut(triage).unwrap() += 1;
        *by_status.get_mut(status).unwrap() += 1;
        *outcome_by_triage.get_mut(triage).unwrap().get_mut(status).unwrap() += 1;
        *by_day.entry(injury[..10].to_string()).or_default() += 1;
        by_hour[injury[11..13].parse::<usize>().unwrap()] += 1;

        let timeline = record["movement_timeline"].as_array().unwrap();
        let mut arrived = std::collections::BTreeSet::new();
        for event in timeline {
            let facility = event["facility"].as_str().unwrap();
            let kind = event["event_type"].as_str().unwrap();
            if kind == "arrival" && arrived.insert(facility) {
                let elapsed = seconds(event["timestamp"].as_str().unwrap()) - seconds(injury);
                minutes.get_mut(facility).unwrap().push(((elapsed + 30) / 60) as u64);
            }
            if ["kia", "dow", "dnbi_death"].contains(&kind) {
                *deaths.get_mut(status).unwrap().get_mut(facility).unwrap() += 1;
            }
        }
    }

    let mut minutes_to_role = serde_json::Map::new();
    for (role, mut values) in minutes {
        values.sort_unstable();
        minutes_to_role.insert(
            role.to_string(),
            json!({
                "count": values.len(),
                "p50": nearest_rank(&values, 50),
                "p90": nearest_rank(&values, 90),
                "p95": nearest_rank(&values, 95),
                "p99": nearest_rank(&values, 99),
                "max": values.last(),
            }),
        );
    }
    json!({
        "count": records.len(),
        "by_category": by_category,
        "by_triage": by_triage,
        "by_final_status": by_status,
        "outcome_by_triage": outcome_by_triage,
        "deaths_by_location": deaths,
        "by_day": by_day.into_iter().map(|(date, count)| json!({"date": date, "count": count})).collect::<Vec<_>>(),
        "by_hour": by_hour.to_vec(),
        "minutes_to_role": minutes_to_role,
    })
}

/// Removes what depends on where the records came from, so reports of one run in different
/// formats can be compared.
fn without_source(mut data: Value) -> Value {
    let object = data.as_object_mut().expect("report-data is an object");
    object.remove("input");
    object.remove("format");
    if let Some(metadata) = object.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("origin");
    }
    data
}

#[test]
fn report_figures_match_records() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson"]);
    let html = report(&ndjson, dir.path(), &[]);
    let data = report_data(&html);
    let expected = expected_figures(&ndjson);

    for key in ["count", "by_category", "by_triage", "by_final_status", "outcome_by_triage", "deaths_by_location", "by_day", "by_hour", "minutes_to_role"] {
        assert_eq!(data[key], expected[key], "report-data `{key}` differs from the records");
    }
    assert_eq!(data["count"], json!(4000));
    assert!(data["by_final_status"]["DOW"].as_u64().unwrap() > 0, "the run has DOW deaths to place");
    assert!(data["by_final_status"]["KIA"].as_u64().unwrap() > 0, "the run has KIA deaths to place");
    assert!(data["minutes_to_role"]["Role4"]["count"].as_u64().unwrap() > 0, "some casualties reach Role 4");

    let metadata = &data["metadata"];
    assert_eq!(metadata["found"], json!(true));
    assert_eq!(metadata["origin"], json!("patients.ndjson.meta.json"));
    assert_eq!(metadata["scenario_name"], json!("Report test"));
    assert_eq!(metadata["seed"], json!(11));
    assert_eq!(metadata["count_requested"], json!(4000));
    assert_eq!(metadata["days_of_fighting"], json!(5));
    assert!(html.contains("Report test"), "the page names the scenario");
    for chart in CHARTS {
        assert!(html.contains(&format!("id=\"chart-{chart}\"")), "the page has the chart {chart}");
    }
}

#[test]
fn report_same_for_json_gzip_and_folder() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson"]);
    let reference = without_source(report_data(&report(&ndjson, dir.path(), &[])));

    let json_gz = generate(dir.path(), "run.json.gz", &["--format", "json", "--compress", "gzip"]);
    let data = report_data(&report(&json_gz, dir.path(), &[]));
    assert_eq!(data["format"], json!("json"));
    assert_eq!(data["metadata"]["origin"], json!("the metadata member of run.json.gz"));
    assert_eq!(without_source(data), reference, "gzip JSON and NDJSON reports differ");

    let ndjson_gz = generate(dir.path(), "run.ndjson.gz", &["--format", "ndjson", "--compress", "gzip"]);
    let data = report_data(&report(&ndjson_gz, dir.path(), &[]));
    assert_eq!(data["metadata"]["origin"], json!("run.ndjson.gz.meta.json.gz"));
    assert_eq!(without_source(data), reference, "gzip NDJSON and NDJSON reports differ");

    let folder = dir.path().join("folder");
    generate(dir.path(), "folder", &["--format", "ndjson,csv"]);
    let data = report_data(&report(&folder, dir.path(), &[]));
    assert_eq!(data["input"], json!("patients.ndjson"));
    assert_eq!(data["metadata"]["origin"], json!("metadata.json"));
    assert_eq!(without_source(data), reference, "the folder's report differs");
}

#[test]
fn report_is_byte_identical() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson"]);
    let first = report(&ndjson, dir.path(), &[]);
    let second = report(&ndjson, dir.path(), &[]);
    assert!(first == second, "two reports of one file differ");

    let other = tempfile::tempdir().expect("another temporary folder");
    std::fs::copy(&ndjson, other.path().join("patients.ndjson")).unwrap();
    std::fs::copy(dir.path().join("patients.ndjson.meta.json"), other.path().join("patients.ndjson.meta.json")).unwrap();
    let moved = report(&other.path().join("patients.ndjson"), other.path(), &[]);
    assert!(first == moved, "the report depends on the folder of the input");
}

#[test]
fn report_without_metadata_says_so() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson"]);
    let alone = tempfile::tempdir().expect("a folder without metadata");
    let copy = alone.path().join("patients.ndjson");
    std::fs::copy(&ndjson, &copy).unwrap();

    let html = report(&copy, alone.path(), &[]);
    assert!(html.contains("id=\"no-metadata\""), "the page says that metadata is missing");
    let data = report_data(&html);
    assert_eq!(data["metadata"]["found"], json!(false));
    assert_eq!(data["count"], json!(4000));

    let with_flag = report(&copy, alone.path(), &["--metadata", &text(&dir.path().join("patients.ndjson.meta.json"))]);
    let data = report_data(&with_flag);
    assert_eq!(data["metadata"]["found"], json!(true), "--metadata is used");
    assert_eq!(data["metadata"]["origin"], json!("patients.ndjson.meta.json"));
}

#[test]
fn report_warns_on_count_mismatch() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson"]);
    let text_all = std::fs::read_to_string(&ndjson).unwrap();
    let first_half: String = text_all.lines().take(1000).map(|line| format!("{line}\n")).collect();
    std::fs::write(&ndjson, first_half).unwrap();
    let html = report(&ndjson, dir.path(), &[]);
    assert!(html.contains("states 4,000 patients in this file, but 1,000 records were read"), "the page warns that the file is short");
}

#[test]
fn report_empty_input_says_no_casualties() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    for (name, content) in [("empty.ndjson", ""), ("empty.json", "{\"patients\": []}")] {
        let input = dir.path().join(name);
        std::fs::write(&input, content).unwrap();
        let html = report(&input, dir.path(), &[]);
        assert!(html.contains("id=\"no-casualties\""), "{name}: the page says there are no casualties");
        assert!(!html.contains("id=\"chart-per-day\""), "{name}: no charts are drawn");
        assert_eq!(report_data(&html)["count"], json!(0), "{name}");
    }
}

#[test]
fn report_escapes_scenario_name() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson", "--count", "100"]);
    let sidecar = dir.path().join("patients.ndjson.meta.json");
    let mut metadata: Value = serde_json::from_str(&std::fs::read_to_string(&sidecar).unwrap()).unwrap();
    let hostile = "<script>alert(\"x\")</script> & 'Ω' </script><!--";
    metadata["scenario_name"] = json!(hostile);
        std::fs::write(&sidecar, metadata.to_string()).unwrap();

    let html = report(&ndjson, dir.path(), &[]);
    assert!(!html.contains("<script>alert"), "the name is not markup");
    assert!(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;Ω&#39;"), "the name is shown escaped");
    assert_eq!(html.matches("</script>").count(), 1, "only the data element closes a script");
    assert_eq!(report_data(&html)["metadata"]["scenario_name"], json!(hostile), "the data element keeps the name");
}

#[test]
fn report_bad_input_exit_code() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson", "--count", "100"]);
    let lines: Vec<String> = std::fs::read_to_string(&ndjson).unwrap().lines().map(str::to_string).collect();
    let with_third = |line: &str| -> String {
        let mut changed = lines.clone();
        changed[2] = line.to_string();
        changed.join("\n") + "\n"
    };
    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        ("bad-triage.ndjson", with_third(&lines[2].replacen("\"triage_category\":\"T", "\"triage_category\":\"X", 1)), vec!["line 3", "triage_category", "T1, T2, T3, T4"]),
        ("bad-json.ndjson", with_third("{\"id\": "), vec!["line 3", "column"]),
        ("missing-field.ndjson", with_third(&lines[2].replacen("\"final_status\"", "\"status\"", 1)), vec!["line 3", "missing field `final_status`"]),
        ("bad-time.ndjson", with_third(&lines[2].replacen("\"injury_timestamp\":\"", "\"injury_timestamp\":\"x", 1)), vec!["line 3", "injury_timestamp", "YYYY-MM-DDTHH:MM:SSZ"]),
        ("bad.json", "{\"patients\": [{\"id\": 1}]}".to_string(), vec!["patients[0]", "line 1", "missing field"]),
        ("bad-record.json", format!("{{\"patients\": [{}, {}]}}", lines[0], lines[1].replacen("\"last_facility\":\"", "\"last_facility\":\"Role9", 1)), vec!["patients[1]", "last_facility", "POI, Role1"]),
        ("encrypted.ndjson", "CASUALTY-ENC and more".to_string(), vec!["encrypted", "casualty decrypt"]),
    ];
    for (name, content, expected) in cases {
        let input = dir.path().join(name);
        std::fs::write(&input, content).unwrap();
        let output = run(&["report", &text(&input), "--output", &text(&dir.path().join("bad.html"))]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{name}: {message}");
        assert!(message.contains(name), "{name}: the message names the file: {message}");
        for part in expected {
            assert!(message.contains(part), "{name}: the message lacks {part:?}: {message}");
        }
        assert!(!message.contains("panicked"), "{name}: {message}");
    }
    assert!(!dir.path().join("bad.html").exists(), "no report is written for bad input");

    let missing = run(&["report", &text(&dir.path().join("missing.ndjson")), "--output", &text(&dir.path().join("bad.html"))]);
    assert_eq!(missing.status.code(), Some(2), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("missing.ndjson: failed to open"), "{}", stderr(&missing));

    let gzip_cut = dir.path().join("cut.ndjson.gz");
    generate(dir.path(), "whole.ndjson.gz", &["--format", "ndjson", "--compress", "gzip", "--count", "200"]);
    let bytes = std::fs::read(dir.path().join("whole.ndjson.gz")).unwrap();
    std::fs::write(&gzip_cut, &bytes[..bytes.len() / 2]).unwrap();
    let cut = run(&["report", &text(&gzip_cut), "--output", &text(&dir.path().join("bad.html"))]);
    assert_eq!(cut.status.code(), Some(2), "a cut gzip file is bad input: {}", stderr(&cut));
    assert!(stderr(&cut).contains("cut.ndjson.gz"), "{}", stderr(&cut));

    let bad_metadata = dir.path().join("bad.meta.json");
    std::fs::write(&bad_metadata, "{\"generator\": \"casualty\"}").unwrap();
    let result = run(&["report", &text(&ndjson), "--metadata", &text(&bad_metadata), "--output", &text(&dir.path().join("bad.html"))]);
    assert_eq!(result.status.code(), Some(2), "{}", stderr(&result));
    assert!(stderr(&result).contains("bad.meta.json: invalid run metadata"), "{}", stderr(&result));
}

/// Returns a command that runs validators/render-report.js. Fails, naming the install command,
/// when Node.js, playwright-core or Chromium is missing.
fn render_report_command() -> std::process::Command {
    let root = workspace_root();
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(node.is_ok_and(|output| output.status.success()), "node is not installed; the rendering test needs Node.js (Debian: `apt-get install -y nodejs npm`)");
    assert!(
        root.join("validators/node_modules/playwright-core/package.json").is_file(),
        "validators/node_modules has no playwright-core package, which drives Chromium; install it with `npm ci --prefix validators`"
    );
    let chromium = std::env::var("CASUALTY_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    assert!(Path::new(&chromium).is_file(), "{chromium} not found; the rendering test needs Chromium (Debian: `apt-get install -y chromium`) or CASUALTY_CHROMIUM set to its path");
    let mut command = std::process::Command::new("node");
    command.arg(root.join("validators/render-report.js")).env("CASUALTY_CHROMIUM", chromium);
    command
}

#[test]
fn report_renders_in_chromium() {
    let mut command = render_report_command();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let ndjson = generate(dir.path(), "patients.ndjson", &["--format", "ndjson"]);
    report(&ndjson, dir.path(), &[]);
    let screenshot = dir.path().join("report.png");

    let output = command.arg(dir.path().join("report.html")).arg(&screenshot).output().expect("node runs");
    let printed = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "render-report.js failed: {}\n{printed}", stderr(&output));
    let rendered: Value = serde_json::from_str(printed.trim()).unwrap_or_else(|error| panic!("render-report.js printed no JSON ({error}): {printed}"));

    assert_eq!(rendered["consoleErrors"], json!([]), "the page logs no errors");
    assert_eq!(rendered["otherRequests"], json!([]), "the page requests nothing but itself");
    assert!(rendered["pageWidth"].as_f64().unwrap() <= 1280.0, "the page fits 1280 px: {}", rendered["pageWidth"]);
    let charts = rendered["charts"].as_array().expect("a list of charts");
    for chart in CHARTS.iter().chain(["targets"].iter()) {
        let found = charts.iter().find(|c| c["chart"] == json!(chart)).unwrap_or_else(|| panic!("chart {chart} is not in the rendered page: {charts:?}"));
        assert!(found["width"].as_f64().unwrap() > 100.0, "chart {chart} has a width: {found}");
        assert!(found["height"].as_f64().unwrap() > 50.0, "chart {chart} has a height: {found}");
        assert!(found["marks"].as_u64().unwrap() > 0, "chart {chart} draws marks: {found}");
    }
    assert_eq!(rendered["reportData"]["count"], json!(4000), "the browser reads the embedded data");

    let png = std::fs::read(&screenshot).expect("a screenshot is written");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "the screenshot is a PNG");
}
