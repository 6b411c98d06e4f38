//! `conferral group add|update|list|show`: groups kept in the store, each change a new
//! version.

use std::io::Write;
use std::path::Path;

use clap::Subcommand;
use conferral::storage::StoredGroup;

use crate::CliError;
use crate::issuing::{StoreArgs, print_json};

#[derive(Subcommand)]
pub enum GroupAction {
    /// Check a group definition (JSON) and keep it in the store as version 1. Refused when
    /// the store has a group with its key (use `update`).
    Add {
        /// The group definition (JSON): attributes, email templates, design, issuer,
        /// achievement, duplicate policy.
        file: std::path::PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a changed definition of a stored group and keep it as its next version.
    /// Credentials published before keep the version they were issued under; drafts and
    /// later publishes follow the new one.
    Update {
        /// The group definition (JSON), with the key of a stored group.
        file: std::path::PathBuf,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// The groups in the store: key, latest version and name.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// A stored group's definition (the latest version, or `--version N`).
    Show {
        /// The group's key.
        key: String,
        /// This version instead of the latest.
        #[arg(long)]
        version: Option<u32>,
        /// Every version's number and name, oldest first, instead of one definition.
        #[arg(long)]
        history: bool,
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

impl GroupAction {
    /// Whether JSON was asked for (errors are then printed as JSON too).
    pub fn json(&self) -> bool {
        match self {
            GroupAction::Add { json, .. }
            | GroupAction::Update { json, .. }
            | GroupAction::List { json, .. }
            | GroupAction::Show { json, .. } => *json,
        }
    }
}

/// Runs a `group` command.
pub fn run(action: GroupAction) -> Result<bool, CliError> {
    match action {
        GroupAction::Add { file, store, json } => save(&store, &file, false, json),
        GroupAction::Update { file, store, json } => save(&store, &file, true, json),
        GroupAction::List { store, json } => {
            let groups = store.open()?.groups()?;
            if json {
                print_json(&summaries(&groups))?;
            } else if groups.is_empty() {
                say!("no group is kept in this store (`conferral group add GROUP.json`)");
            } else {
                for g in &groups {
                    say!(
                        "{:<30} version {:<4} {}",
                        g.key,
                        g.version,
                        crate::terminal::value(&g.group.name)
                    );
                }
            }
            Ok(false)
        }
        GroupAction::Show {
            key,
            version,
            history,
            store,
            json,
        } => {
            let issuer = store.open()?;
            if history {
                let versions = issuer.group_history(&key)?;
                if json {
                    print_json(&versions)?;
                } else {
                    for g in &versions {
                        say!(
                            "version {:<4} {}",
                            g.version,
                            crate::terminal::value(&g.group.name)
                        );
                    }
                }
                return Ok(false);
            }
            let found = issuer.group(&key, version)?;
            if json {
                print_json(&found)?;
            } else {
                let text = serde_json::to_string_pretty(&found.group).unwrap_or_default();
                say!("# {} version {}\n{text}", found.key, found.version);
            }
            Ok(false)
        }
    }
}

/// `add` (a new key) or `update` (a stored key): the group is checked and saved.
fn save(store: &StoreArgs, file: &Path, update: bool, json: bool) -> Result<bool, CliError> {
    let group = crate::load_group(file)?;
    let key = group.key();
    let mut issuer = store.open()?;
    let before = issuer.store().stored_group(&key, None)?;
    match (&before, update) {
        (Some(b), false) => {
            return Err(CliError::Usage(format!(
                "the store has a group `{key}` already (version {}); change it with `conferral group update`",
                b.version
            )));
        }
        (None, true) => {
            return Err(CliError::Usage(format!(
                "the store has no group `{key}`; keep a new one with `conferral group add`"
            )));
        }
        _ => {}
    }
    let version = issuer.save_group(&group)?;
    let changed = before.as_ref().is_none_or(|b| b.version != version);
    if json {
        print_json(&serde_json::json!({
            "key": key,
            "version": version,
            "changed": changed,
        }))?;
    } else if changed {
        say!("group {key}: version {version}");
    } else {
        say!("group {key}: unchanged (version {version})");
    }
    Ok(false)
}

/// What `list --json` gives of each group.
fn summaries(groups: &[StoredGroup]) -> Vec<serde_json::Value> {
    groups
        .iter()
        .map(|g| {
            serde_json::json!({
                "key": g.key,
                "version": g.version,
                "name": g.group.name,
            })
        })
        .collect()
}
