//! `conferral bounces` (bounce and complaint reports applied to the store) and
//! `conferral suppress` (the suppression list every delivery consults).

use std::io::{Read, Write};
use std::path::Path;

use chrono::Utc;
use clap::Subcommand;
use conferral::bounce::MAX_REPORT_BYTES;
use conferral::issuer::{BounceOutcome, ReportBytes};
use conferral::storage::SuppressionReason;

use crate::CliError;
use crate::issuing::{StoreArgs, print_json};
use crate::terminal::value;

/// Largest mbox read whole.
const MAX_MBOX_BYTES: u64 = 1024 * 1024 * 1024;

/// What `conferral suppress` does.
#[derive(Subcommand)]
pub enum SuppressAction {
    /// Print the suppression list: each address, why, since when.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Put an address on the list: no email is sent to it until it is removed. An address
    /// listed already keeps its entry.
    Add {
        /// The address.
        email: String,
        /// Why: `manual`, `hard_bounce` or `complaint`.
        #[arg(long, default_value = "manual", value_parser = ["manual", "hard_bounce", "complaint"])]
        reason: String,
        /// A note kept with the entry.
        #[arg(long)]
        note: Option<String>,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Take an address off the list (its emails that were not sent stay failed until
    /// `conferral resend`).
    Remove {
        /// The address.
        email: String,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

impl SuppressAction {
    /// Whether JSON is printed (errors too).
    pub fn json(&self) -> bool {
        match self {
            SuppressAction::List { json, .. }
            | SuppressAction::Add { json, .. }
            | SuppressAction::Remove { json, .. } => *json,
        }
    }
}

/// One file read up to `limit` bytes and one more, so that a longer one is refused by the
/// core's limit without being read whole.
fn read_at_most(path: &Path, limit: u64) -> Result<Vec<u8>, CliError> {
    let failed = |source| CliError::Read {
        path: path.display().to_string(),
        source,
    };
    let file = std::fs::File::open(path).map_err(failed)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(failed)?;
    Ok(bytes)
}

/// The reports at `path`: every `.eml` file of a folder, by name, or the one file (an mbox
/// or one message).
fn reports(path: &Path) -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let failed = |source| CliError::Read {
        path: path.display().to_string(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(failed)?;
    if !meta.is_dir() {
        if meta.len() > MAX_MBOX_BYTES {
            return Err(CliError::Usage(format!(
                "`{}` is {} bytes; split it into files of at most {MAX_MBOX_BYTES}",
                path.display(),
                meta.len()
            )));
        }
        let name = path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        return Ok(vec![(name, read_at_most(path, MAX_MBOX_BYTES)?)]);
    }
    let mut names = Vec::new();
    for entry in std::fs::read_dir(path).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.to_ascii_lowercase().ends_with(".eml") && entry.path().is_file() {
            names.push(name);
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let limit = u64::try_from(MAX_REPORT_BYTES).unwrap_or(u64::MAX);
            let bytes = read_at_most(&path.join(&name), limit)?;
            Ok((name, bytes))
        })
        .collect()
}

/// One report's line.
fn describe(r: &BounceOutcome) -> String {
    let mut line = format!("{}: {}", value(&r.source), r.effect.as_str());
    if let Some(credential) = &r.credential {
        line.push_str(&format!(", credential {}", value(credential)));
    }
    if let Some(recipient) = &r.recipient {
        line.push_str(&format!(", {}", value(recipient)));
    }
    if let Some(status) = &r.status {
        line.push_str(&format!(" ({})", value(status)));
    }
    if r.newly_suppressed {
        line.push_str(", address suppressed");
    }
    if r.effect == conferral::issuer::BounceEffect::Unmatched {
        let about = r.message_id.as_deref().unwrap_or("no Message-ID");
        line.push_str(&format!(
            ", about {} which was not sent from here",
            value(about)
        ));
    }
    if let Some(error) = &r.error {
        line.push_str(&format!(": {}", value(error)));
    } else if let Some(diagnostic) = &r.diagnostic {
        line.push_str(&format!(": {}", value(diagnostic)));
    }
    line
}

/// `conferral bounces`: applies every report at `path`. Exits 1 when a report could not be
/// read.
pub fn bounces(
    store: &StoreArgs,
    path: &Path,
    dry_run: bool,
    json: bool,
) -> Result<bool, CliError> {
    let read = reports(path)?;
    let mut issuer = store.open()?;
    let sources: Vec<ReportBytes<'_>> = read
        .iter()
        .map(|(source, bytes)| ReportBytes { source, bytes })
        .collect();
    let run = issuer.process_bounces(&sources, Utc::now(), dry_run)?;
    let unreadable = run.counts.get("unreadable").copied().unwrap_or(0) > 0;
    if json {
        print_json(&run)?;
        return Ok(unreadable);
    }
    for r in &run.reports {
        say!("{}", describe(r));
    }
    let counted: Vec<String> = run
        .counts
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(effect, n)| format!("{n} {effect}"))
        .collect();
    say!(
        "{} report(s){}{}",
        run.reports.len(),
        if counted.is_empty() { "" } else { ": " },
        counted.join(", ")
    );
    if dry_run {
        say!("dry run: nothing was changed");
    }
    Ok(unreadable)
}

/// `conferral suppress`.
pub fn suppress(action: SuppressAction) -> Result<bool, CliError> {
    match action {
        SuppressAction::List { store, json } => {
            let list = store.open()?.suppressions()?;
            if json {
                print_json(&list)?;
                return Ok(false);
            }
            for s in &list {
                say!(
                    "{}  {}  {}{}",
                    value(&s.email),
                    s.reason.as_str(),
                    s.at.format("%Y-%m-%d %H:%M:%S UTC"),
                    s.detail
                        .as_deref()
                        .map_or_else(String::new, |d| format!("  {}", value(d)))
                );
            }
            say!("{} address(es) suppressed", list.len());
            Ok(false)
        }
        SuppressAction::Add {
            email,
            reason,
            note,
            store,
            json,
        } => {
            let reason = SuppressionReason::parse(&reason)
                .ok_or_else(|| CliError::Usage(format!("`{reason}` is no reason")))?;
            let added = store
                .open()?
                .suppress(&email, reason, note.as_deref(), Utc::now())?;
            if json {
                print_json(&serde_json::json!({"email": email, "added": added}))?;
            } else if added {
                say!("{} is suppressed: no email is sent to it", value(&email));
            } else {
                say!(
                    "{} was suppressed already; its entry is kept",
                    value(&email)
                );
            }
            Ok(false)
        }
        SuppressAction::Remove { email, store, json } => {
            let removed = store.open()?.unsuppress(&email)?;
            if json {
                print_json(&serde_json::json!({"email": email, "removed": removed}))?;
            } else if removed {
                say!(
                    "{} is no longer suppressed (resend its failed emails with `conferral resend`)",
                    value(&email)
                );
            } else {
                say!("{} was not suppressed", value(&email));
            }
            Ok(false)
        }
    }
}
