//! The `decrypt` command, which turns an encrypted container (docs/encryption.md) back into the
//! output file it was made from.
//!
//! The plaintext is written to a temporary file beside the destination and renamed into place
//! only after the final chunk has been authenticated. A wrong password or a damaged file therefore
//! leaves no plaintext on disk, which is also why standard output is not offered as a destination.

use std::path::{Path, PathBuf};

use casualty_output::encryption::{decrypt_file, EncryptionError};

use crate::password::{read_password, PasswordArgs, Purpose};
use crate::Failure;

/// Arguments of `casualty decrypt`.
#[derive(clap::Args, Debug)]
pub(crate) struct DecryptArgs {
    /// Encrypted file to read.
    input: PathBuf,
    /// Decrypted file to create; it must not exist. Default: INPUT without its .enc suffix.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    #[command(flatten)]
    password: PasswordArgs,
}

/// Decrypts `args.input` into a new file and prints one line on standard error.
pub(crate) fn run(args: DecryptArgs) -> Result<(), Failure> {
    let output = output_path(&args.input, args.output.as_deref()).map_err(Failure::Input)?;
    // Both checks run before the password prompt, so a typo in a path does not cost a password.
    if !args.input.is_file() {
        return Err(Failure::Input(anyhow::anyhow!("{}: input file not found, or not a regular file", args.input.display())));
    }
    if std::fs::symlink_metadata(&output).is_ok() {
        return Err(Failure::Input(anyhow::anyhow!("{} already exists; remove it or choose another --output", output.display())));
    }

    let password = read_password(&args.password, Purpose::Decrypt).map_err(Failure::Input)?;
    match decrypt_file(&args.input, &output, password.as_bytes()) {
        Ok(bytes) => {
            eprintln!("casualty: decrypted {} to {} ({bytes} bytes)", args.input.display(), output.display());
            Ok(())
        }
        Err(error) => {
            let input_error = is_input_error(&error);
            let context = format!("failed to decrypt {}; {} was not created", args.input.display(), output.display());
            let error = anyhow::Error::new(error).context(context);
            Err(if input_error { Failure::Input(error) } else { Failure::Runtime(error) })
        }
    }
}

/// Returns the destination: `--output`, or the input path without its `.enc` suffix.
fn output_path(input: &Path, output: Option<&Path>) -> anyhow::Result<PathBuf> {
    match output {
        Some(path) if path.as_os_str() == "-" => anyhow::bail!(
            "--output: invalid value -: decrypt writes only to a file, because standard output would receive plaintext \
             before the final chunk is authenticated"
        ),
        Some(path) => Ok(path.to_path_buf()),
        None => match input.to_str().and_then(|text| text.strip_suffix(".enc")) {
            Some(stem) if !stem.is_empty() && !stem.ends_with(std::path::MAIN_SEPARATOR) => Ok(PathBuf::from(stem)),
            _ => anyhow::bail!("{}: the name does not end in .enc, so the output name cannot be derived; give --output FILE", input.display()),
        },
    }
}

/// Returns whether the input file, the password or the destination caused the error (exit code
/// 2), rather than a failure to read or write (exit code 1).
fn is_input_error(error: &EncryptionError) -> bool {
    match error {
        EncryptionError::NotEncrypted
        | EncryptionError::UnsupportedVersion { .. }
        | EncryptionError::TruncatedHeader
        | EncryptionError::ParameterOutOfRange { .. }
        | EncryptionError::WrongPassword
        | EncryptionError::ChunkAuthentication { .. }
        | EncryptionError::InvalidChunkMarker { .. }
        | EncryptionError::FinalChunkTooLong { .. }
        | EncryptionError::Truncated { .. }
        | EncryptionError::TrailingData
        | EncryptionError::TooManyChunks
        | EncryptionError::EmptyPassword
        | EncryptionError::OpenInput { .. }
        | EncryptionError::OutputExists { .. } => true,
        EncryptionError::Read(_) | EncryptionError::Write(_) | EncryptionError::KeyDerivation(_) | EncryptionError::Random(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_path_strips_enc() {
        let derived = output_path(Path::new("run/patients.ndjson.enc"), None).expect("derived");
        assert_eq!(derived, PathBuf::from("run/patients.ndjson"));
        assert_eq!(output_path(Path::new("a.enc"), Some(Path::new("b"))).expect("given"), PathBuf::from("b"));
    }

    #[test]
    fn output_path_rejects_stdout_and_other_names() {
        let error = output_path(Path::new("a.enc"), Some(Path::new("-"))).expect_err("- is rejected");
        assert!(error.to_string().starts_with("--output: invalid value -"), "{error}");
        assert!(output_path(Path::new("patients.json"), None).is_err(), "no .enc suffix");
        assert!(output_path(Path::new(".enc"), None).is_err(), "nothing left after removing .enc");
    }
}
