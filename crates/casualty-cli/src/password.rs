//! Reads the password of an encrypted file from a file, an environment variable or the terminal.
//!
//! There is deliberately no option that takes the password itself, because a command-line value
//! is visible to other users in the process list and is kept in shell history.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use zeroize::Zeroizing;

/// Minimum password length in characters (Unicode scalar values) for encryption.
pub(crate) const MIN_ENCRYPTION_PASSWORD_CHARS: usize = 8;

/// Password source options. Without either option, casualty prompts on the terminal.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct PasswordArgs {
    /// Read the password from the first line of FILE, without its line break.
    #[arg(long, value_name = "FILE", conflicts_with = "password_env")]
    pub(crate) password_file: Option<PathBuf>,
    /// Read the password from the environment variable VAR.
    #[arg(long, value_name = "VAR")]
    pub(crate) password_env: Option<String>,
}

/// Use of the password, which decides the checks and the prompt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// A new encrypted file: at least [`MIN_ENCRYPTION_PASSWORD_CHARS`] characters, and typed
    /// twice at a prompt.
    Encrypt,
    /// An existing encrypted file: any non-empty password.
    Decrypt,
}

/// Reads the password from `--password-file`, `--password-env` or, when neither is given and
/// standard input is a terminal, from a prompt without echo.
///
/// # Errors
/// Every error concerns the user's input, so callers exit with code 2. The causes are an
/// unreadable or empty source, a missing environment variable, text that is not UTF-8, a password
/// too short for encryption, two different entries at the prompt, or no source when standard
/// input is not a terminal.
pub(crate) fn read_password(args: &PasswordArgs, purpose: Purpose) -> anyhow::Result<Zeroizing<String>> {
    let (password, source) = if let Some(path) = &args.password_file {
        (read_password_file(path)?, format!("--password-file {}", path.display()))
    } else if let Some(variable) = &args.password_env {
        (read_password_env(variable)?, format!("--password-env {variable}"))
    } else if std::io::stdin().is_terminal() {
        (prompt_password(purpose)?, "the prompt".to_owned())
    } else {
        bail!(
            "no password given: use --password-file FILE or --password-env VAR \
             (standard input is not a terminal, so casualty cannot prompt for the password)"
        );
    };
    check_password(&password, purpose, &source)?;
    Ok(password)
}

/// Returns the first line of the file, without its line break (`\n` or `\r\n`).
fn read_password_file(path: &Path) -> anyhow::Result<Zeroizing<String>> {
    let bytes = Zeroizing::new(std::fs::read(path).with_context(|| format!("--password-file: failed to read {}", path.display()))?);
    first_line(&bytes).with_context(|| format!("--password-file: {} is not valid UTF-8 text", path.display()))
}

fn first_line(bytes: &[u8]) -> Result<Zeroizing<String>, std::str::Utf8Error> {
    let line = bytes.split(|&byte| byte == b'\n').next().unwrap_or_default();
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    Ok(Zeroizing::new(std::str::from_utf8(line)?.to_owned()))
}

fn read_password_env(variable: &str) -> anyhow::Result<Zeroizing<String>> {
    match std::env::var(variable) {
        Ok(value) => Ok(Zeroizing::new(value)),
        Err(std::env::VarError::NotPresent) => bail!("--password-env: the environment variable {variable} is not set"),
        Err(std::env::VarError::NotUnicode(_)) => bail!("--password-env: the environment variable {variable} is not valid Unicode"),
    }
}

/// Prompts on the terminal without echo. For encryption it prompts twice, so a typing error
/// cannot lock the data away.
fn prompt_password(purpose: Purpose) -> anyhow::Result<Zeroizing<String>> {
    let prompt_error = "failed to read the password from the terminal";
    match purpose {
        Purpose::Decrypt => Ok(Zeroizing::new(rpassword::prompt_password("Password: ").context(prompt_error)?)),
        Purpose::Encrypt => {
            let first = Zeroizing::new(
                rpassword::prompt_password(format!("Password (at least {MIN_ENCRYPTION_PASSWORD_CHARS} characters): ")).context(prompt_error)?,
            );
            check_password(&first, purpose, "the prompt")?;
            let second = Zeroizing::new(rpassword::prompt_password("Repeat the password: ").context(prompt_error)?);
            if *first != *second {
                bail!("the two passwords typed at the prompt differ; run the command again and type the same password twice");
            }
            Ok(first)
        }
    }
}

fn check_password(password: &str, purpose: Purpose, source: &str) -> anyhow::Result<()> {
    if password.is_empty() {
        bail!("the password from {source} is empty");
    }
    let length = password.chars().count();
    if purpose == Purpose::Encrypt && length < MIN_ENCRYPTION_PASSWORD_CHARS {
        bail!("the password from {source} has {length} characters; encryption requires at least {MIN_ENCRYPTION_PASSWORD_CHARS}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_line_strips_line_break() {
        assert_eq!(first_line(b"secret passphrase\n").expect("UTF-8").as_str(), "secret passphrase");
        assert_eq!(first_line(b"secret passphrase\r\nsecond line\n").expect("UTF-8").as_str(), "secret passphrase");
        assert_eq!(first_line(b"no line break").expect("UTF-8").as_str(), "no line break");
        assert_eq!(first_line(b" spaces kept \n").expect("UTF-8").as_str(), " spaces kept ");
        assert_eq!(first_line(b"").expect("UTF-8").as_str(), "");
        assert!(first_line(b"\xff\xfe\n").is_err(), "invalid UTF-8 is rejected");
    }

    #[test]
    fn encryption_needs_eight_characters() {
        let error = check_password("seven77", Purpose::Encrypt, "--password-env P").expect_err("7 characters are too few");
        assert_eq!(error.to_string(), "the password from --password-env P has 7 characters; encryption requires at least 8");
        assert!(check_password("ééééééé", Purpose::Encrypt, "x").is_err(), "characters, not bytes, are counted");
        assert!(check_password("eight888", Purpose::Encrypt, "x").is_ok());
        assert!(check_password("short", Purpose::Decrypt, "x").is_ok(), "decryption takes any length");
        assert!(check_password("", Purpose::Decrypt, "x").is_err(), "an empty password is rejected");
    }

    #[test]
    fn password_file_read() {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let path = directory.path().join("password.txt");
        std::fs::write(&path, "from a file\nignored\n").expect("written");
        let args = PasswordArgs { password_file: Some(path), password_env: None };
        assert_eq!(read_password(&args, Purpose::Encrypt).expect("read").as_str(), "from a file");

        let missing = PasswordArgs { password_file: Some(directory.path().join("missing")), password_env: None };
        let error = read_password(&missing, Purpose::Decrypt).expect_err("a missing file is an error");
        assert!(error.to_string().starts_with("--password-file: failed to read"), "{error}");
    }

    #[test]
    fn password_env_read() {
        let variable = "CASUALTY_PASSWORD_TEST_UNIT";
        std::env::set_var(variable, "from the environment");
        let args = PasswordArgs { password_file: None, password_env: Some(variable.to_owned()) };
        assert_eq!(read_password(&args, Purpose::Decrypt).expect("read").as_str(), "from the environment");

        let unset = PasswordArgs { password_file: None, password_env: Some("CASUALTY_PASSWORD_TEST_UNSET".to_owned()) };
        let error = read_password(&unset, Purpose::Decrypt).expect_err("an unset variable is an error");
        assert_eq!(error.to_string(), "--password-env: the environment variable CASUALTY_PASSWORD_TEST_UNSET is not set");
    }
}
