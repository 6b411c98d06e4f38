//! The credential commands: `key new` and `verify`.

use std::io::Write;
use std::path::Path;

use chrono::Utc;
use conferral::credential::{IssuerKey, Outcome, VerifyOptions, verify_bytes};

use crate::CliError;

/// `conferral key new --out KEY.json`: a new issuer key from the operating system's
/// generator, written to a file that did not exist (readable by its owner alone); prints the
/// issuer's DID.
pub fn key_new(out: &Path, json: bool) -> Result<(), CliError> {
    let seed = conferral_os::random_seed().ok_or_else(|| {
        CliError::Internal("the operating system gave no random bytes".to_owned())
    })?;
    let key = IssuerKey::from_seed(seed);
    let body =
        serde_json::to_vec_pretty(&key.to_file()).map_err(|e| CliError::Internal(e.to_string()))?;
    let write_error = |source| CliError::Write {
        path: out.display().to_string(),
        source,
    };
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(out).map_err(write_error)?;
    file.write_all(&body)
        .and_then(|()| file.write_all(b"\n"))
        .and_then(|()| file.sync_all())
        .map_err(write_error)?;
    if json {
        println!(
            "{}",
            serde_json::json!({"did": key.did(), "file": out.display().to_string()})
        );
    } else {
        say!("{}", key.did());
    }
    Ok(())
}

/// `conferral verify FILE [--status-list FILE]`: every check, and whether the credential is
/// valid. Returns whether it is not (exit 1); a file that is not a credential is an error
/// (exit 2).
pub fn verify(file: &Path, status_list: Option<&Path>, json: bool) -> Result<bool, CliError> {
    let read = |path: &Path| {
        std::fs::read(path).map_err(|source| CliError::Read {
            path: path.display().to_string(),
            source,
        })
    };
    let bytes = read(file)?;
    let list = match status_list {
        Some(path) => Some(
            serde_json::from_slice::<serde_json::Value>(&read(path)?).map_err(|e| {
                CliError::Core(conferral::Error::new(
                    conferral::ErrorKind::MalformedFile,
                    format!("the status list `{}` is not JSON: {e}", path.display()),
                ))
            })?,
        ),
        None => None,
    };
    let report = verify_bytes(
        &bytes,
        &VerifyOptions {
            now: Utc::now(),
            status_list: list.as_ref(),
        },
    )?;
    if json {
        crate::issuing::print_json(&report)?;
        return Ok(!report.valid);
    }
    say!(
        "{}: {}",
        file.display(),
        if report.valid { "valid" } else { "NOT valid" }
    );
    for c in &report.checks {
        let mark = match c.outcome {
            Outcome::Passed => "ok     ",
            Outcome::Failed => "FAILED ",
            Outcome::Skipped => "skipped",
        };
        say!("  {mark} {:<7} {}", c.check.as_str(), c.reason);
    }
    Ok(!report.valid)
}
