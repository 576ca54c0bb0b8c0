//! End-to-end tests of encrypted output files.
//!
//! A generated NDJSON file is encrypted with the library (cheap Argon2 parameters, so the tests
//! run fast), then decrypted by `casualty decrypt` and by the independent Python implementation
//! `tests/scripts/decrypt_container.py`, which uses only the `cryptography` package. Both must
//! return the original bytes, and both must reject the same tampered files without creating an
//! output file. The interpreter is `CASUALTY_PYTHON`, or `python3` when it is not set.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use casualty_output::encryption::{Argon2Params, EncryptWriterBuilder, DEFAULT_CHUNK_SIZE, HEADER_LEN, TAG_LEN};
use casualty_output::Sink;

const PASSWORD: &str = "exercise password 2026";
const CHUNK: usize = DEFAULT_CHUNK_SIZE as usize;
/// Length of a record that is not the last: marker byte, ciphertext, tag.
const RECORD: usize = 1 + CHUNK + TAG_LEN;

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn python() -> String {
    std::env::var("CASUALTY_PYTHON").unwrap_or_else(|_| "python3".to_owned())
}

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scripts/decrypt_container.py")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails the test, with the install command, when the interpreter lacks `cryptography` 44.0.0 or
/// later (the first version with Argon2id).
fn require_cryptography() {
    let check = "from cryptography.hazmat.primitives.kdf.argon2 import Argon2id\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM";
    let output = Command::new(python()).args(["-c", check]).output();
    let ready = matches!(&output, Ok(output) if output.status.success());
    assert!(
        ready,
        "the Python package cryptography 44.0.0 or later is missing for {} (set CASUALTY_PYTHON to choose another interpreter); \
         install it with: python3 -m pip install -r validators/requirements.txt\n{}",
        python(),
        output.map(|o| stderr(&o)).unwrap_or_else(|e| e.to_string())
    );
}

/// Cheap Argon2 parameters: 256 KiB and one pass take about a millisecond.
fn cheap_builder() -> EncryptWriterBuilder {
    EncryptWriterBuilder::new().argon2_params(Argon2Params::new(256, 1, 1).expect("valid Argon2 parameters"))
}

/// Encrypts `plaintext` into the file `path` through the [`Sink`] interface, as `generate` does.
fn encrypt_to(path: &Path, plaintext: &[u8]) {
    let file = std::fs::File::create(path).expect("the encrypted file is created");
    let writer = cheap_builder().build(std::io::BufWriter::new(file), PASSWORD.as_bytes()).expect("the encryptor is built");
    let mut sink: Box<dyn Sink> = Box::new(writer);
    sink.write_all(plaintext).expect("the plaintext is written");
    sink.finish().expect("the final chunk is written");
}

/// A temporary folder with a generated NDJSON file of about 230 kB (four chunks) and a password
/// file.
struct Fixture {
    directory: tempfile::TempDir,
    plaintext: Vec<u8>,
    password_file: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let plain_path = directory.path().join("generated.ndjson");
        let config = workspace_root().join("examples/seed-small.json");
        let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
            .args(["generate", "--config"])
            .arg(&config)
            .args(["--count", "100", "--format", "ndjson", "--quiet", "--output"])
            .arg(&plain_path)
            .output()
            .expect("the casualty binary runs");
        assert!(output.status.success(), "generate failed: {}", stderr(&output));
        let plaintext = std::fs::read(&plain_path).expect("the generated file exists");
        assert!(plaintext.len() > 3 * CHUNK, "the plaintext spans at least four chunks ({} bytes)", plaintext.len());

        let password_file = directory.path().join("password.txt");
        std::fs::write(&password_file, format!("{PASSWORD}\n")).expect("the password file is written");
        Fixture { directory, plaintext, password_file }
    }

    /// A new empty folder inside the fixture.
    fn folder(&self, name: &str) -> PathBuf {
        let path = self.directory.path().join(name);
        std::fs::create_dir(&path).expect("the folder is created");
        path
    }

    fn write_password_file(&self, name: &str, password: &str) -> PathBuf {
        let path = self.directory.path().join(name);
        std::fs::write(&path, format!("{password}\n")).expect("the password file is written");
        path
    }
}

/// Runs `casualty decrypt INPUT --password-file FILE` with `extra` arguments, standard input
/// closed.
fn casualty_decrypt(input: &Path, password_file: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_casualty"))
        .arg("decrypt")
        .arg(input)
        .arg("--password-file")
        .arg(password_file)
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("the casualty binary runs")
}

fn python_decrypt(input: &Path, output: &Path, password_file: &Path) -> Output {
    let python = python();
    Command::new(&python)
        .arg(script())
        .arg(input)
        .arg(output)
        .arg("--password-file")
        .arg(password_file)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|error| panic!("failed to run the Python interpreter {python}: {error}; set CASUALTY_PYTHON to the absolute path of a Python with validators/requirements.txt installed"))
}

/// Names of the entries of `folder`, sorted.
fn entries(folder: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(folder).expect("the folder is listable").map(|e| e.expect("an entry").file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn cli_and_python_decrypt_same_bytes() {
    require_cryptography();
    let fixture = Fixture::new();
    let folder = fixture.folder("round-trip");
    let encrypted = folder.join("patients.ndjson.enc");
    encrypt_to(&encrypted, &fixture.plaintext);

    // Without --output, the destination is the input without `.enc`.
    let output = casualty_decrypt(&encrypted, &fixture.password_file, &[]);
    assert!(output.status.success(), "casualty decrypt failed: {}", stderr(&output));
    assert!(stderr(&output).contains("casualty: decrypted"), "stderr: {}", stderr(&output));
    let by_cli = std::fs::read(folder.join("patients.ndjson")).expect("casualty decrypt wrote the default output");
    assert!(by_cli == fixture.plaintext, "casualty decrypt returned other bytes");

    let python_path = folder.join("by-python.ndjson");
    let output = python_decrypt(&encrypted, &python_path, &fixture.password_file);
    assert!(output.status.success(), "the Python decryptor failed: {}", stderr(&output));
    let by_python = std::fs::read(&python_path).expect("the Python decryptor wrote its output");
    assert!(by_python == fixture.plaintext, "the Python decryptor returned other bytes");
}

#[test]
fn password_from_environment() {
    let fixture = Fixture::new();
    let folder = fixture.folder("environment");
    let encrypted = folder.join("patients.ndjson.enc");
    encrypt_to(&encrypted, &fixture.plaintext);
    let output_path = folder.join("out.ndjson");

    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .arg("decrypt")
        .arg(&encrypted)
        .args(["--password-env", "CASUALTY_TEST_DECRYPT_PASSWORD", "--output"])
        .arg(&output_path)
        .env("CASUALTY_TEST_DECRYPT_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .expect("the casualty binary runs");
    assert!(output.status.success(), "casualty decrypt failed: {}", stderr(&output));
    assert!(std::fs::read(&output_path).expect("the output exists") == fixture.plaintext);
}

#[test]
fn two_encryptions_differ_and_decrypt() {
    require_cryptography();
    let fixture = Fixture::new();
    let folder = fixture.folder("twice");
    let first = folder.join("first.enc");
    let second = folder.join("second.enc");
    encrypt_to(&first, &fixture.plaintext);
    encrypt_to(&second, &fixture.plaintext);
    let first_bytes = std::fs::read(&first).expect("the first file exists");
    let second_bytes = std::fs::read(&second).expect("the second file exists");
    assert_eq!(first_bytes.len(), second_bytes.len(), "equal plaintexts give equal sizes");
    assert!(first_bytes != second_bytes, "two encryptions of the same data are identical");
    assert!(first_bytes[29..52] != second_bytes[29..52], "salt and nonce prefix repeat");

    for (name, encrypted) in [("first", &first), ("second", &second)] {
        let cli_path = folder.join(format!("{name}.cli"));
        let output = casualty_decrypt(encrypted, &fixture.password_file, &["--output", cli_path.to_str().expect("UTF-8 path")]);
        assert!(output.status.success(), "casualty decrypt of the {name} file failed: {}", stderr(&output));
        assert!(std::fs::read(&cli_path).expect("output") == fixture.plaintext, "casualty decrypt: {name} file");

        let python_path = folder.join(format!("{name}.python"));
        let output = python_decrypt(encrypted, &python_path, &fixture.password_file);
        assert!(output.status.success(), "the Python decryptor failed on the {name} file: {}", stderr(&output));
        assert!(std::fs::read(&python_path).expect("output") == fixture.plaintext, "Python: {name} file");
    }
}

/// One rejected input: its bytes, the password, and a phrase both decryptors must print.
struct Tampered {
    name: &'static str,
    bytes: Vec<u8>,
    password: &'static str,
    message: &'static str,
}

fn tampered_variants(valid: &[u8]) -> Vec<Tampered> {
    let record = |index: usize| HEADER_LEN + index * RECORD..HEADER_LEN + (index + 1) * RECORD;
    let mut variants = Vec::new();

    let truncated = valid[..record(1).end].to_vec();
    variants.push(Tampered { name: "truncated at a chunk boundary", bytes: truncated, password: PASSWORD, message: "the file is truncated" });

    let mut swapped = valid[..HEADER_LEN].to_vec();
    swapped.extend_from_slice(&valid[record(1)]);
    swapped.extend_from_slice(&valid[record(0)]);
    swapped.extend_from_slice(&valid[record(1).end..]);
    variants.push(Tampered { name: "chunks 0 and 1 swapped", bytes: swapped, password: PASSWORD, message: "chunk 0 failed authentication" });

    let mut dropped = valid[..record(1).start].to_vec();
    dropped.extend_from_slice(&valid[record(1).end..]);
    variants.push(Tampered { name: "chunk 1 dropped", bytes: dropped, password: PASSWORD, message: "chunk 1 failed authentication" });

    // Byte 30 is inside the salt, so the derived key changes and the header tag fails.
    let mut header_flip = valid.to_vec();
    header_flip[30] ^= 0x10;
    variants.push(Tampered {
        name: "bit flipped in the header",
        bytes: header_flip,
        password: PASSWORD,
        message: "wrong password, or the header is corrupted",
    });

    let mut chunk_flip = valid.to_vec();
    chunk_flip[record(1).start + 100] ^= 0x01;
    variants.push(Tampered { name: "bit flipped in chunk 1", bytes: chunk_flip, password: PASSWORD, message: "chunk 1 failed authentication" });

    let mut appended = valid.to_vec();
    appended.extend_from_slice(b"appended");
    variants.push(Tampered { name: "data after the final chunk", bytes: appended, password: PASSWORD, message: "data after the final chunk" });

    variants.push(Tampered { name: "wrong password", bytes: valid.to_vec(), password: "another password", message: "wrong password" });
    variants
}

#[test]
fn tampered_files_rejected_by_both() {
    require_cryptography();
    let fixture = Fixture::new();
    let folder = fixture.folder("valid");
    let encrypted = folder.join("patients.ndjson.enc");
    encrypt_to(&encrypted, &fixture.plaintext);
    let valid = std::fs::read(&encrypted).expect("the encrypted file exists");
    assert!(valid.len() > HEADER_LEN + 3 * RECORD, "the container has three intermediate chunks");

    for (number, case) in tampered_variants(&valid).into_iter().enumerate() {
        let case_folder = fixture.folder(&format!("case-{number}"));
        let input = case_folder.join("tampered.enc");
        std::fs::write(&input, &case.bytes).expect("the tampered file is written");
        let password_file = fixture.write_password_file(&format!("password-{number}.txt"), case.password);

        let cli_output_path = case_folder.join("by-cli");
        let output = casualty_decrypt(&input, &password_file, &["--output", cli_output_path.to_str().expect("UTF-8 path")]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "casualty decrypt, {}: exit code; stderr: {message}", case.name);
        assert!(message.contains(case.message), "casualty decrypt, {}: stderr lacks `{}`: {message}", case.name, case.message);
        assert!(message.contains("was not created"), "casualty decrypt, {}: stderr: {message}", case.name);
        assert_eq!(entries(&case_folder), vec!["tampered.enc"], "casualty decrypt, {}: a file was left behind", case.name);

        let python_output_path = case_folder.join("by-python");
        let output = python_decrypt(&input, &python_output_path, &password_file);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "Python, {}: exit code; stderr: {message}", case.name);
        assert!(message.contains(case.message), "Python, {}: stderr lacks `{}`: {message}", case.name, case.message);
        assert_eq!(entries(&case_folder), vec!["tampered.enc"], "Python, {}: a file was left behind", case.name);
    }
}

#[test]
fn decrypt_rejects_bad_arguments() {
    let fixture = Fixture::new();
    let folder = fixture.folder("arguments");
    let encrypted = folder.join("patients.ndjson.enc");
    encrypt_to(&encrypted, &fixture.plaintext);

    let output = casualty_decrypt(&encrypted, &fixture.password_file, &["--output", "-"]);
    assert_eq!(output.status.code(), Some(2), "--output -: {}", stderr(&output));
    assert!(stderr(&output).contains("--output: invalid value -"), "stderr: {}", stderr(&output));

    let existing = folder.join("existing.ndjson");
    std::fs::write(&existing, "keep me").expect("written");
    let output = casualty_decrypt(&encrypted, &fixture.password_file, &["--output", existing.to_str().expect("UTF-8 path")]);
    assert_eq!(output.status.code(), Some(2), "existing output: {}", stderr(&output));
    assert!(stderr(&output).contains("already exists"), "stderr: {}", stderr(&output));
    assert_eq!(std::fs::read_to_string(&existing).expect("still there"), "keep me", "an existing file was overwritten");

    let plain_name = folder.join("patients.ndjson.bin");
    std::fs::copy(&encrypted, &plain_name).expect("copied");
    let output = casualty_decrypt(&plain_name, &fixture.password_file, &[]);
    assert_eq!(output.status.code(), Some(2), "no .enc suffix: {}", stderr(&output));
    assert!(stderr(&output).contains("give --output FILE"), "stderr: {}", stderr(&output));

    let output = casualty_decrypt(&folder.join("missing.enc"), &fixture.password_file, &[]);
    assert_eq!(output.status.code(), Some(2), "missing input: {}", stderr(&output));
    assert!(stderr(&output).contains("input file not found"), "stderr: {}", stderr(&output));

    let not_encrypted = folder.join("plain.json.enc");
    std::fs::write(&not_encrypted, "{\"patients\": []}").expect("written");
    let output = casualty_decrypt(&not_encrypted, &fixture.password_file, &[]);
    assert_eq!(output.status.code(), Some(2), "plain input: {}", stderr(&output));
    assert!(stderr(&output).contains("not a casualty encrypted file"), "stderr: {}", stderr(&output));

    // No password option and standard input closed: there is no terminal to prompt on.
    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .arg("decrypt")
        .arg(&encrypted)
        .stdin(Stdio::null())
        .output()
        .expect("the casualty binary runs");
    assert_eq!(output.status.code(), Some(2), "no password: {}", stderr(&output));
    assert!(stderr(&output).contains("--password-file FILE or --password-env VAR"), "stderr: {}", stderr(&output));

    let output = Command::new(env!("CARGO_BIN_EXE_casualty"))
        .args(["decrypt", "--password", PASSWORD])
        .arg(&encrypted)
        .stdin(Stdio::null())
        .output()
        .expect("the casualty binary runs");
    assert_eq!(output.status.code(), Some(2), "a password value on the command line is not an option: {}", stderr(&output));

    assert_eq!(entries(&folder), vec!["existing.ndjson", "patients.ndjson.bin", "patients.ndjson.enc", "plain.json.enc"], "no output was created");
}
