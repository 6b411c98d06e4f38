//! The credential commands: `key new`, `export`, `revoke`, `status-list` and `verify`.

use std::io::{IsTerminal, Write};
use std::path::Path;

use chrono::Utc;
use conferral::credential::{IssuerKey, Outcome, VerifyOptions, verify_bytes};

use conferral::issuer::{RevokeRosterRequest, Selection};
use conferral::lifecycle::CredentialState;

use crate::CliError;
use crate::issuing::{StoreArgs, print_json};

/// The issuer key in a key file.
fn load_key(path: &Path) -> Result<IssuerKey, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.display().to_string(),
        source,
    })?;
    IssuerKey::from_file(&bytes).map_err(|e| {
        CliError::Core(conferral::Error::new(
            e.kind(),
            format!("the key file `{}`: {e}", path.display()),
        ))
    })
}

/// Writes `bytes` to `path` through a temporary file in the same folder, so that a reader
/// (a web server publishing the folder) never sees half a file.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let error = |source| CliError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut partial = path.as_os_str().to_owned();
    partial.push(".partial");
    let partial = std::path::PathBuf::from(partial);
    std::fs::write(&partial, bytes).map_err(error)?;
    std::fs::rename(&partial, path).map_err(error)
}

fn pretty(value: &serde_json::Value) -> Result<Vec<u8>, CliError> {
    Ok(conferral::credential::document_text(value).into_bytes())
}

/// `conferral export (ID... | --batch B | --all) --key KEY.json --out DIR`: one signed
/// `<id>.json` per credential. Returns whether a named credential was refused (a draft).
pub fn export(
    store: &StoreArgs,
    all: bool,
    batch: Option<String>,
    ids: Vec<String>,
    key: &Path,
    out: &Path,
    json: bool,
) -> Result<bool, CliError> {
    let ids = (!ids.is_empty()).then_some(ids);
    let selection = Selection::one_of(all, batch, ids).map_err(|_| {
        CliError::Usage("give exactly one of --all, --batch B or credential ids".into())
    })?;
    let key = load_key(key)?;
    let issuer = store.open()?;
    std::fs::create_dir_all(out).map_err(|source| CliError::Write {
        path: out.display().to_string(),
        source,
    })?;
    let mut failed = None;
    let outcome = issuer.export_credentials(&selection, &key, &mut |id, document| {
        // Ids are letters, digits, `-` and `_`: safe as file names.
        let written =
            pretty(document).and_then(|bytes| write_whole(&out.join(format!("{id}.json")), &bytes));
        written.map_err(|e| {
            let message = e.to_string();
            failed = Some(e);
            conferral::Error::new(conferral::ErrorKind::Storage, message)
        })
    });
    let outcome = match (outcome, failed) {
        (_, Some(e)) => return Err(e),
        (outcome, None) => outcome?,
    };
    let refused = !outcome.refused.is_empty();
    if json {
        print_json(&outcome)?;
        return Ok(refused);
    }
    say!(
        "exported {} signed credential(s) to {} as {}",
        outcome.exported.len(),
        out.display(),
        key.did()
    );
    for r in &outcome.refused {
        say!("  not exported {}: {}", r.id, r.message);
    }
    Ok(refused)
}

/// `conferral revoke (ID... | --batch B) --reason TEXT`. Returns whether one was refused.
pub fn revoke(
    store: &StoreArgs,
    batch: Option<String>,
    ids: Vec<String>,
    reason: &str,
    notify: bool,
    yes: bool,
    json: bool,
) -> Result<bool, CliError> {
    let ids = (!ids.is_empty()).then_some(ids);
    let selection = Selection::one_of(false, batch, ids)
        .map_err(|_| CliError::Usage("give exactly one of --batch B or credential ids".into()))?;
    let mut issuer = store.open()?;
    if !yes && std::io::stdin().is_terminal() {
        let n = issuer.count_selected(&selection, CredentialState::Published)?
            + issuer.count_selected(&selection, CredentialState::Expired)?;
        let question = format!("Revoke {n} credentials (\"{reason}\")?");
        if n > 0 && !crate::issuing::ask(&question)? {
            say!("nothing was revoked");
            return Ok(false);
        }
    }
    let now = Utc::now();
    let mut outcome = issuer.revoke_selection(&selection, reason, &store.actor, now)?;
    if notify {
        issuer.notify_revocations(&mut outcome, now)?;
    }
    let refused = !outcome.refused.is_empty()
        || outcome
            .notices
            .as_ref()
            .is_some_and(|n| !n.refused.is_empty());
    if json {
        print_json(&outcome)?;
        return Ok(refused);
    }
    say!(
        "revoked {}, {} were revoked before; publish the status list again (`conferral status-list`) for verifiers to see it",
        outcome.revoked.len(),
        outcome.already_revoked.len()
    );
    for r in &outcome.refused {
        say!("  not revoked {}: {}", r.id, r.message);
    }
    if let Some(notices) = &outcome.notices {
        say!(
            "queued {} revocation notices ({} were queued before); `conferral deliver` sends them",
            notices.queued.len(),
            notices.already_queued.len()
        );
        for r in &notices.refused {
            say!("  no notice for {}: {}", r.id, r.message);
        }
    }
    Ok(refused)
}

/// How `revoke --roster` revokes.
pub struct Revoking<'a> {
    /// Why.
    pub reason: &'a str,
    /// Queue revocation notices.
    pub notify: bool,
    /// Change nothing.
    pub dry_run: bool,
    /// Do not ask.
    pub yes: bool,
}

/// `conferral revoke --roster FILE --group G --reason R [--notify] [--dry-run] [--yes]`.
/// Returns whether a row or a credential was refused.
pub fn revoke_roster(
    store: &StoreArgs,
    roster: &crate::RosterArgs,
    how: &Revoking<'_>,
    json: bool,
) -> Result<bool, CliError> {
    let (bytes, options) = roster.read()?;
    let mut issuer = store.open()?;
    let group = crate::issuing::resolve_group(&roster.group, &issuer)?;
    let request = RevokeRosterRequest {
        group: &group,
        bytes: &bytes,
        options,
        reason: how.reason,
        notify: how.notify,
        dry_run: true,
        actor: &store.actor,
    };
    let now = Utc::now();
    if !how.dry_run && !how.yes && std::io::stdin().is_terminal() {
        let n = issuer.revoke_roster(&request, now)?.revoked.len();
        let question = format!("Revoke {n} credentials (\"{}\")?", how.reason);
        if n > 0 && !crate::issuing::ask(&question)? {
            say!("nothing was revoked");
            return Ok(false);
        }
    }
    let request = RevokeRosterRequest {
        dry_run: how.dry_run,
        ..request
    };
    let out = issuer.revoke_roster(&request, now)?;
    let refused = !out.findings.is_empty()
        || !out.refused.is_empty()
        || out.notices.as_ref().is_some_and(|n| !n.refused.is_empty());
    if json {
        print_json(&out)?;
        return Ok(refused);
    }
    say!(
        "{}{} of the roster's {} rows named by {}: {} revoked, {} were revoked before{}",
        if out.dry_run {
            "dry run, nothing changed: "
        } else {
            ""
        },
        out.rows as usize - out.findings.len(),
        out.rows,
        out.matched_by,
        out.revoked.len(),
        out.already_revoked.len(),
        if out.dry_run || out.revoked.is_empty() {
            ""
        } else {
            "; publish the status list again (`conferral status-list`) for verifiers to see it"
        }
    );
    for f in &out.findings {
        crate::issuing::say_finding(f);
    }
    for r in &out.refused {
        say!("  not revoked {}: {}", r.id, r.message);
    }
    if let Some(notices) = &out.notices {
        say!(
            "queued {} revocation notices ({} were queued before); `conferral deliver` sends them",
            notices.queued.len(),
            notices.already_queued.len()
        );
    }
    Ok(refused)
}

/// `conferral status-list --key KEY.json --out FILE [--list N]`.
pub fn status_list(
    store: &StoreArgs,
    key: &Path,
    out: &Path,
    list: u64,
    json: bool,
) -> Result<(), CliError> {
    let key = load_key(key)?;
    let issuer = store.open()?;
    let signed = issuer.signed_status_list(list, &key, Utc::now())?;
    write_whole(out, &pretty(&signed)?)?;
    let url = signed
        .get("id")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if json {
        return print_json(&serde_json::json!({
            "file": out.display().to_string(),
            "url": url,
            "issuer": key.did(),
            "lists": issuer.status_lists()?,
        }));
    }
    say!(
        "wrote status list {list} to {}: publish it at {url}",
        out.display()
    );
    Ok(())
}

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

/// `conferral serve`: the credentials' pages and documents over HTTP until interrupted.
pub fn serve(
    store: &StoreArgs,
    listen: std::net::SocketAddr,
    key: Option<&Path>,
    connections: usize,
    rate: f64,
    burst: f64,
) -> Result<(), CliError> {
    let key = key.map(load_key).transpose()?;
    let did = key.as_ref().map(IssuerKey::did);
    let analytics_token = std::env::var("CONFERRAL_ANALYTICS_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let options = conferral_server::Options {
        key,
        analytics_token,
        connections,
        rate,
        burst,
        ..conferral_server::Options::default()
    };
    let config = store.config();
    let server = conferral_server::Server::open(&store.db, &config, options)?;
    let base = config.base_url.clone();
    server
        .serve_until_stopped(listen, |bound| {
            say!("serving on http://{bound}/ (credential links: {base}/ID)");
            match &did {
                Some(did) => say!("signing as {did}"),
                None => say!("no --key: pages show the issuer's record unverified"),
            }
        })
        .map_err(|source| CliError::Write {
            path: listen.to_string(),
            source,
        })
}
