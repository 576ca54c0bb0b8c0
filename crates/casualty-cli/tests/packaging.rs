//! Packaging of outputs: gzip per file and the ZIP archive, read back by Python's standard
//! `gzip` and `zipfile` modules, compared byte for byte with an unpackaged run, and reproducible.

use std::path::Path;
use std::process::{Command, Output};

fn casualty(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty")).args(args).output().expect("the casualty binary runs")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn python() -> String {
    std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".into())
}

fn config() -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/seed-small.json").to_string_lossy().into_owned()
}

/// Runs `generate` on 700 patients of the small example with extra arguments.
fn generate(args: &[&str]) {
    let mut all = vec!["generate", "--config"];
    let config = config();
    all.push(&config);
    all.extend_from_slice(&["--count", "700", "--quiet"]);
    all.extend_from_slice(args);
    let output = casualty(&all);
    assert!(output.status.success(), "generate {args:?} failed: {}", stderr(&output));
}

/// Runs a Python script with arguments and returns its standard output, failing on a nonzero exit.
fn run_python(script: &str, args: &[&Path]) -> String {
    let python = python();
    let output = Command::new(&python).arg("-c").arg(script).args(args).output().unwrap_or_else(|error| panic!("failed to run the Python interpreter {python}: {error}; set CASUALTY_PYTHON to the absolute path of a Python with validators/requirements.txt installed"));
    assert!(output.status.success(), "the Python check failed: {}", stderr(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

const GUNZIP_COMPARE: &str = r#"
import gzip, sys
packed, plain = sys.argv[1], sys.argv[2]
with gzip.open(packed, "rb") as handle:
    data = handle.read()
expected = open(plain, "rb").read()
assert data == expected, f"{packed} does not decompress to {plain}"
print(len(data))
"#;

#[test]
fn gzip_file_decompresses_to_plain_run() {
    let dir = tempfile::tempdir().unwrap();
    let (packed, plain) = (dir.path().join("run.ndjson.gz"), dir.path().join("run.ndjson"));
    generate(&["--format", "ndjson", "--compress", "gzip", "--output", &packed.to_string_lossy()]);
    generate(&["--format", "ndjson", "--output", &plain.to_string_lossy()]);
    let bytes = run_python(GUNZIP_COMPARE, &[&packed, &plain]);
    assert!(bytes.trim().parse::<u64>().unwrap() > 0, "the file has content");

    let packed_meta = dir.path().join("run.ndjson.gz.meta.json.gz");
    let plain_meta = dir.path().join("run.ndjson.meta.json");
    run_python(GUNZIP_COMPARE, &[&packed_meta, &plain_meta]);
}

#[test]
fn gzip_folder_compresses_every_file() {
    let dir = tempfile::tempdir().unwrap();
    let (packed, plain) = (dir.path().join("packed"), dir.path().join("plain"));
    let formats = "json,ndjson,csv,xml,xlsx";
    generate(&["--format", formats, "--compress", "gzip", "--output", &packed.to_string_lossy()]);
    generate(&["--format", formats, "--output", &plain.to_string_lossy()]);
    let mut names: Vec<String> = std::fs::read_dir(&plain).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut packed_names: Vec<String> = std::fs::read_dir(&packed).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    packed_names.sort();
    let expected: Vec<String> = names.iter().map(|n| format!("{n}.gz")).collect();
    assert_eq!(packed_names, expected, "every file is compressed and named with .gz");
    for name in &names {
        run_python(GUNZIP_COMPARE, &[&packed.join(format!("{name}.gz")), &plain.join(name)]);
    }
}

const READ_ZIP: &str = r#"
import os, sys, zipfile
archive, plain = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(archive) as z:
    assert z.testzip() is None, "a CRC check failed"
    for info in z.infolist():
        assert info.date_time == (2026, 1, 5, 0, 0, 0), (info.filename, info.date_time)
        assert info.compress_type == zipfile.ZIP_DEFLATED, (info.filename, info.compress_type)
        assert not info.filename.startswith("/") and ".." not in info.filename.split("/"), info.filename
        expected = open(os.path.join(plain, info.filename), "rb").read()
        assert z.read(info) == expected, f"{info.filename} differs from the folder run"
    print(",".join(sorted(z.namelist())))
"#;

#[test]
fn zip_holds_folder_files() {
    let dir = tempfile::tempdir().unwrap();
    let (archive, plain) = (dir.path().join("run.zip"), dir.path().join("plain"));
    let formats = "json,csv,xml";
    generate(&["--format", formats, "--zip", "--output", &archive.to_string_lossy()]);
    generate(&["--format", formats, "--output", &plain.to_string_lossy()]);
    let names = run_python(READ_ZIP, &[&archive, &plain]);
    assert_eq!(names.trim(), "events.csv,metadata.json,patients.csv,patients.json,patients.xml", "the archive lists every file");
}

#[test]
fn zip_same_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one.zip"), dir.path().join("two.zip"));
    generate(&["--format", "ndjson,xlsx", "--zip", "--threads", "1", "--output", &one.to_string_lossy()]);
    generate(&["--format", "ndjson,xlsx", "--zip", "--threads", "2", "--output", &two.to_string_lossy()]);
    assert!(std::fs::read(&one).unwrap() == std::fs::read(&two).unwrap(), "the archives differ between 1 and 2 threads");
}

#[test]
fn zip_rejects_standard_output() {
    let config = config();
    let output = casualty(&["generate", "--config", &config, "--format", "json", "--zip", "--output", "-"]);
    assert_eq!(output.status.code(), Some(2), "an archive cannot go to standard output");
    assert!(stderr(&output).contains("--zip"), "the error names the option: {}", stderr(&output));
}

#[test]
fn zip_with_gzip_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = config();
    let archive = dir.path().join("run.zip");
    let output = casualty(&["generate", "--config", &config, "--format", "json", "--zip", "--compress", "gzip", "--output", &archive.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(2), "the archive compresses its entries already");
    assert!(!archive.exists(), "nothing is written");
}

#[test]
fn unknown_compression_rejected() {
    let config = config();
    let output = casualty(&["generate", "--config", &config, "--compress", "brotli", "--output", "-"]);
    assert_eq!(output.status.code(), Some(2), "an unknown method is bad input");
    assert!(stderr(&output).contains("brotli") && stderr(&output).contains("gzip"), "the error names the value and what is accepted: {}", stderr(&output));
}

/// Decrypts `input` into `output` with the password in the environment variable `CASUALTY_TEST_PASSWORD`.
fn decrypt(input: &Path, output: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["decrypt", &input.to_string_lossy(), "--output", &output.to_string_lossy(), "--password-env", "CASUALTY_TEST_PASSWORD"])
        .env("CASUALTY_TEST_PASSWORD", "exercise-password")
        .output()
        .expect("the casualty binary runs")
}

#[test]
fn encrypted_gzip_folder_decrypts_to_plain_run() {
    let dir = tempfile::tempdir().unwrap();
    let (packed, plain) = (dir.path().join("packed"), dir.path().join("plain"));
    let config = config();
    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["generate", "--config", &config, "--count", "700", "--quiet", "--format", "ndjson,csv", "--compress", "gzip", "--encrypt"])
        .args(["--password-env", "CASUALTY_TEST_PASSWORD", "--output", &packed.to_string_lossy()])
        .env("CASUALTY_TEST_PASSWORD", "exercise-password")
        .output()
        .expect("the casualty binary runs");
    assert!(output.status.success(), "encrypted generate failed: {}", stderr(&output));
    generate(&["--format", "ndjson,csv", "--output", &plain.to_string_lossy()]);

    for name in ["patients.ndjson", "patients.csv", "events.csv", "metadata.json"] {
        let encrypted = packed.join(format!("{name}.gz.enc"));
        assert!(encrypted.exists(), "{name} is compressed, then encrypted");
        let compressed = dir.path().join(format!("{name}.gz"));
        let result = decrypt(&encrypted, &compressed);
        assert!(result.status.success(), "decrypting {name} failed: {}", stderr(&result));
        run_python(GUNZIP_COMPARE, &[&compressed, &plain.join(name)]);
    }
}

#[test]
fn encrypted_zip_differs_each_run() {
    let dir = tempfile::tempdir().unwrap();
    let config = config();
    let mut archives = Vec::new();
    for run in ["first", "second"] {
        let path = dir.path().join(format!("{run}.zip.enc"));
        let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
            .args(["generate", "--config", &config, "--count", "200", "--quiet", "--format", "json,xml", "--zip", "--encrypt"])
            .args(["--password-env", "CASUALTY_TEST_PASSWORD", "--output", &path.to_string_lossy()])
            .env("CASUALTY_TEST_PASSWORD", "exercise-password")
            .output()
            .expect("the casualty binary runs");
        assert!(output.status.success(), "encrypted generate failed: {}", stderr(&output));
        archives.push(path);
    }
    assert!(std::fs::read(&archives[0]).unwrap() != std::fs::read(&archives[1]).unwrap(), "a fresh salt and nonce make every encryption differ");

    let mut plain = Vec::new();
    for archive in &archives {
        let zip = archive.with_extension("");
        let result = decrypt(archive, &zip);
        assert!(result.status.success(), "decrypting {} failed: {}", archive.display(), stderr(&result));
        plain.push(std::fs::read(&zip).unwrap());
    }
    assert!(plain[0] == plain[1], "both decrypt to the same archive");
    assert!(plain[0].starts_with(b"PK\x03\x04"), "the plaintext is a ZIP archive");
}

#[test]
fn password_without_encrypt_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = config();
    let out = dir.path().join("run.json");
    let output = casualty(&["generate", "--config", &config, "--password-env", "HOME", "--output", &out.to_string_lossy()]);
    assert_eq!(output.status.code(), Some(2), "a password without --encrypt is a mistake, not something to ignore");
    assert!(stderr(&output).contains("--encrypt"), "the error names the missing option: {}", stderr(&output));
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn encrypt_without_password_source_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let config = config();
    let out = dir.path().join("run.json");
    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["generate", "--config", &config, "--encrypt", "--output", &out.to_string_lossy()])
        .stdin(std::process::Stdio::null())
        .output()
        .expect("the casualty binary runs");
    assert_eq!(output.status.code(), Some(2), "with no terminal to prompt on, a password source is required");
    assert!(stderr(&output).contains("--password-file"), "the error names the options: {}", stderr(&output));
    assert!(!out.exists(), "nothing is written");
}
