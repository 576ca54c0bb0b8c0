//! Golden files: a small run kept under `tests/golden/` at the workspace root and compared byte
//! for byte with what the binary writes now.
//!
//! Any change to the model, the reference data, the record layout or the metadata changes these
//! files on purpose. Review the difference, then regenerate the files with
//!
//! ```text
//! UPDATE_GOLDEN=1 cargo test --release -p casualty-cli --test golden
//! ```
//!
//! and commit them together with the change that caused them. The scenario is
//! `tests/golden/scenario.json` (20 patients, seed 42).

use std::path::{Path, PathBuf};
use std::process::Command;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden")
}

fn updating() -> bool {
    std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1")
}

/// Runs the binary on the golden scenario and returns the bytes of `name` in a scratch directory.
fn generate(format: &str, name: &str) -> (Vec<u8>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let scenario = golden_dir().join("scenario.json");
    let output_path = dir.path().join(name);
    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["generate", "--config"])
        .arg(&scenario)
        .args(["--format", format, "--threads", "2", "--quiet", "--output"])
        .arg(&output_path)
        .output()
        .expect("the casualty binary runs");
    assert!(output.status.success(), "generating {name} failed: {}", String::from_utf8_lossy(&output.stderr));
    let bytes = std::fs::read(&output_path).expect("the output file exists");
    (bytes, dir)
}

/// Compares `actual` with the golden file `name`, or rewrites the file when UPDATE_GOLDEN=1.
fn compare(name: &str, actual: &[u8]) {
    let path = golden_dir().join(name);
    if updating() {
        std::fs::write(&path, actual).unwrap_or_else(|e| panic!("failed to write {}: {e}", path.display()));
        eprintln!("updated {}", path.display());
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|e| panic!("failed to read {} ({e}); create it with UPDATE_GOLDEN=1", path.display()));
    if expected == actual {
        return;
    }
    let expected_text = String::from_utf8_lossy(&expected);
    let actual_text = String::from_utf8_lossy(actual);
    let first_difference = expected_text.lines().zip(actual_text.lines()).position(|(a, b)| a != b);
    let detail = match first_difference {
        Some(i) => format!(
            "first difference on line {}:\n  golden: {}\n  actual: {}",
            i + 1,
            expected_text.lines().nth(i).unwrap_or(""),
            actual_text.lines().nth(i).unwrap_or("")
        ),
        None => format!("golden has {} lines, actual {}", expected_text.lines().count(), actual_text.lines().count()),
    };
    panic!("{} differs from the current output; {detail}\nIf the change is intended, rerun with UPDATE_GOLDEN=1", path.display());
}

#[test]
fn ndjson_matches_golden() {
    let (bytes, dir) = generate("ndjson", "seed42-20.ndjson");
    let sidecar = std::fs::read(dir.path().join("seed42-20.ndjson.meta.json")).expect("the NDJSON run has a sidecar");
    compare("seed42-20.ndjson", &bytes);
    compare("seed42-20.ndjson.meta.json", &sidecar);
}

#[test]
fn json_matches_golden() {
    let (bytes, _dir) = generate("json", "seed42-20.json");
    compare("seed42-20.json", &bytes);
}

#[test]
fn golden_files_agree() {
    // The two formats must hold the same records; this also guards against regenerating one
    // golden file without the other. While UPDATE_GOLDEN=1 rewrites them, the files are checked
    // on the next ordinary run instead.
    if updating() {
        return;
    }
    let read = |name: &str| std::fs::read(golden_dir().join(name)).unwrap_or_else(|e| panic!("failed to read tests/golden/{name}: {e}"));
    let json: serde_json::Value = serde_json::from_slice(&read("seed42-20.json")).expect("the JSON golden file parses");
    let ndjson = read("seed42-20.ndjson");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&ndjson).lines().map(|l| serde_json::from_str(l).expect("each golden line parses")).collect();
    assert_eq!(lines.len(), 20, "golden NDJSON holds 20 patients");
    assert_eq!(json["patients"].as_array(), Some(&lines), "golden JSON and NDJSON hold different records");
}
