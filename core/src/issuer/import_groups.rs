//! One roster for several groups: a column names each row's group (a stored group's key
//! or name), and each group's rows are imported into it as their own batch.
//!
//! Each group's import sees the roster's own rows at their own places: the rows of other
//! groups are left blank (an import skips blank rows), so every finding names the cell of
//! the file that was given. The group column itself is skipped by each import.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::AnalyzeOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding};
use crate::group::Group;
use crate::lifecycle::IdSource;
use crate::matching::{Mapping, MappingEntry, normalize};
use crate::storage::Storage;

use super::{ImportOutcome, ImportRequest, Issuer};

/// A roster whose rows name their group.
#[derive(Debug, Clone)]
pub struct GroupsImportRequest<'a> {
    /// The roster's bytes.
    pub bytes: &'a [u8],
    /// The header of the column naming each row's group (compared as headers are matched:
    /// case, accents and punctuation aside).
    pub group_column: &'a str,
    /// File name, sheet, header row, confirmed mapping, limits (applied to every group).
    pub options: AnalyzeOptions,
    /// Publish each group's drafts at once.
    pub publish: bool,
    /// Work out what each import would do and change nothing.
    pub dry_run: bool,
    /// Who imports.
    pub actor: &'a str,
}

/// One group's share of the roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupImport {
    /// The group's key.
    pub group: String,
    /// The import of its rows.
    pub outcome: ImportOutcome,
}

/// What a roster for several groups did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GroupsImportOutcome {
    /// The group column's letter.
    pub column: String,
    /// Data rows of the roster.
    pub rows: u64,
    /// Each group's import, by key.
    pub imports: Vec<GroupImport>,
    /// Rows whose group is empty or not a stored group (`unknown_group`): not imported.
    pub findings: Vec<Finding>,
    /// Whether this was a dry run.
    pub dry_run: bool,
}

impl<S: Storage> Issuer<S> {
    /// Imports a roster whose `group_column` names each row's group, by a stored group's
    /// key or name: each group's rows become a batch of that group, read, matched and
    /// validated exactly as an import of those rows alone would be, with findings at the
    /// cells of the roster given. A row naming no stored group is a finding and is left
    /// out; the others are imported.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] when the roster has no such column (the message lists
    /// its headers); the errors of reading the roster; anything [`Issuer::import`] returns
    /// (the groups imported before it stay imported).
    pub fn import_groups(
        &mut self,
        request: &GroupsImportRequest<'_>,
        ids: &mut dyn IdSource,
        now: DateTime<Utc>,
    ) -> Result<GroupsImportOutcome> {
        // Any group reads the roster's cells; the standard attributes find its header.
        let reader = Group {
            name: "roster".to_owned(),
            ..Group::default()
        };
        let read = crate::analysis::fix(request.bytes, &reader, &request.options, &[])?;
        let wanted = normalize(request.group_column);
        let index = read
            .roster
            .header
            .iter()
            .position(|h| normalize(h) == wanted)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidValue,
                    format!(
                        "the roster has no column `{}`; its headers are {}",
                        request.group_column,
                        read.roster
                            .header
                            .iter()
                            .map(|h| format!("`{h}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?;
        let letter = crate::sheet::column_letter(index);
        let header_row = read.report.source.header_row;
        let known = self.groups()?;
        let find = |name: &str| {
            let name = normalize(name);
            known
                .iter()
                .find(|g| normalize(&g.key) == name)
                .or_else(|| known.iter().find(|g| normalize(&g.group.name) == name))
        };
        let mut outcome = GroupsImportOutcome {
            column: letter.clone(),
            rows: read.roster.rows.len() as u64,
            imports: Vec::new(),
            findings: Vec::new(),
            dry_run: request.dry_run,
        };
        // Each group's rows, by key, in the roster's order.
        let mut rows_of: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, row) in read.roster.rows.iter().enumerate() {
            let named = row.cells.get(index).map_or("", |c| c.trim());
            match find(named) {
                Some(g) => rows_of.entry(g.key.clone()).or_default().push(i),
                None => {
                    let message = if named.is_empty() {
                        "the row names no group".to_owned()
                    } else {
                        format!("there is no group `{named}` in the store")
                    };
                    let mut finding = Finding::error(Code::UnknownGroup, message)
                        .at_cell(&letter, row.row)
                        .help(format!(
                            "give the key or name of a stored group ({}), or add the group first (`group add`)",
                            known
                                .iter()
                                .map(|g| g.key.as_str())
                                .collect::<Vec<_>>()
                                .join(", ")
                        ));
                    if !named.is_empty() {
                        finding = finding.value(named);
                    }
                    outcome.findings.push(finding);
                }
            }
        }
        let mut mapping = request.options.mapping.clone().unwrap_or_default();
        mapping.columns.retain(|c| c.column != letter);
        mapping.columns.push(MappingEntry {
            column: letter.clone(),
            attribute: None,
        });
        for (key, rows) in rows_of {
            let Some(stored) = known.iter().find(|g| g.key == key) else {
                continue;
            };
            let bytes = share(&read.roster, &rows, header_row)?;
            let options = AnalyzeOptions {
                file_name: Some(format!(
                    "{} ({key})",
                    request.options.file_name.as_deref().unwrap_or("roster")
                )),
                sheet: None,
                header_row: Some(header_row),
                mapping: Some(Mapping {
                    columns: mapping.columns.clone(),
                }),
                ..request.options.clone()
            };
            let import = ImportRequest {
                group: &stored.group,
                bytes: &bytes,
                options,
                publish: request.publish,
                actor: request.actor,
                dry_run: request.dry_run,
            };
            let done = self.import(&import, ids, now, &mut |_| {})?;
            outcome.imports.push(GroupImport {
                group: key,
                outcome: done,
            });
        }
        Ok(outcome)
    }
}

/// The roster as CSV with only `rows` filled in, each at its own row: the header at
/// `header_row` and blank rows everywhere else.
fn share(roster: &crate::fixes::Roster, rows: &[usize], header_row: u64) -> Result<Vec<u8>> {
    let width = roster.header.len().max(1);
    let blank = vec![""; width];
    let mut out = Vec::new();
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(&mut out);
    let failed = |e: csv::Error| {
        Error::new(ErrorKind::Output, "a group's rows could not be written").with_source(e)
    };
    let mut at = 1u64;
    while at < header_row {
        writer.write_record(&blank).map_err(failed)?;
        at += 1;
    }
    writer.write_record(&roster.header).map_err(failed)?;
    at += 1;
    for i in rows {
        let Some(row) = roster.rows.get(*i) else {
            continue;
        };
        while at < row.row {
            writer.write_record(&blank).map_err(failed)?;
            at += 1;
        }
        writer.write_record(&row.cells).map_err(failed)?;
        at += 1;
    }
    writer.flush().map_err(|e| {
        Error::new(ErrorKind::Output, "a group's rows could not be written").with_source(e)
    })?;
    drop(writer);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::issuer::IssuerConfig;
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::Mailbox;
    use crate::storage::{CredentialQuery, MemoryStorage};

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn issuer() -> Issuer<MemoryStorage> {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
        for g in [
            r#"{"name": "First Aid", "key": "first-aid"}"#,
            r#"{"name": "Fire Safety", "key": "fire",
                "attributes": [{"key": "hours", "type": "number", "required": true}]}"#,
        ] {
            issuer
                .save_group(&serde_json::from_str(g).unwrap())
                .unwrap();
        }
        issuer
    }

    fn ids() -> FromRandomBytes<impl FnMut() -> [u8; 16]> {
        let mut n = 0u8;
        FromRandomBytes(move || {
            n += 1;
            [n; 16]
        })
    }

    const ROSTER: &[u8] = b"Course,Name,Email,Hours\n\
        first-aid,Ana,ana@example.org,\n\
        Fire Safety,Bo,bo@example.org,4\n\
        Fire Safety,Cy,cy@,\n\
        Knitting,Di,di@example.org,2\n\
        ,Ed,ed@example.org,1\n\
        FIRST AID,Fy,fy@example.org,\n";

    fn request(dry_run: bool) -> GroupsImportRequest<'static> {
        GroupsImportRequest {
            bytes: ROSTER,
            group_column: "course",
            options: AnalyzeOptions {
                file_name: Some("mixed.csv".to_owned()),
                ..AnalyzeOptions::default()
            },
            publish: false,
            dry_run,
            actor: "t",
        }
    }

    #[test]
    fn each_groups_rows_become_its_batch_with_findings_at_the_rosters_cells() {
        let mut issuer = issuer();
        let out = issuer
            .import_groups(&request(false), &mut ids(), now())
            .unwrap();
        assert_eq!((out.column.as_str(), out.rows), ("A", 6));
        let unknown: Vec<(Option<&str>, Option<&str>)> = out
            .findings
            .iter()
            .map(|f| (f.cell.as_deref(), f.value.as_deref()))
            .collect();
        assert_eq!(
            unknown,
            vec![(Some("A5"), Some("Knitting")), (Some("A6"), None)]
        );
        assert!(out.findings.iter().all(|f| f.code == Code::UnknownGroup));
        let by_group: BTreeMap<&str, &ImportOutcome> = out
            .imports
            .iter()
            .map(|i| (i.group.as_str(), &i.outcome))
            .collect();
        assert_eq!(by_group.len(), 2);
        let fire = by_group["fire"];
        assert_eq!((fire.batch.created, fire.batch.rejected), (1, 1));
        // Cy's row is the roster's row 4: its findings name the roster's cells.
        let cells: Vec<&str> = fire
            .report
            .findings
            .iter()
            .filter_map(|f| f.cell.as_deref())
            .collect();
        assert!(cells.contains(&"C4") && cells.contains(&"D4"), "{cells:?}");
        assert!(
            !fire
                .report
                .findings
                .iter()
                .any(|f| f.code == Code::UnmappedColumn),
            "the group column is skipped: {:?}",
            fire.report.findings
        );
        let aid = by_group["first-aid"];
        assert_eq!(aid.batch.created, 2);
        assert_eq!(
            aid.batch.file_name.as_deref(),
            Some("mixed.csv (first-aid)")
        );
        let stored = issuer
            .store()
            .credentials(&CredentialQuery {
                group: Some("first-aid".into()),
                ..CredentialQuery::default()
            })
            .unwrap();
        let mut names: Vec<&str> = stored.iter().map(|c| c.recipient.name.as_str()).collect();
        names.sort_unstable();
        assert_eq!(names, ["Ana", "Fy"]);
        // The same roster again is the same imports.
        let again = issuer
            .import_groups(&request(false), &mut ids(), now())
            .unwrap();
        assert!(again.imports.iter().all(|i| i.outcome.already_imported));
    }

    #[test]
    fn a_dry_run_stores_nothing_and_a_missing_column_is_named() {
        let mut issuer = issuer();
        let out = issuer
            .import_groups(&request(true), &mut ids(), now())
            .unwrap();
        assert!(out.dry_run && out.imports.iter().all(|i| i.outcome.dry_run));
        assert!(
            issuer
                .store()
                .credentials(&CredentialQuery::default())
                .unwrap()
                .is_empty()
        );
        let e = issuer
            .import_groups(
                &GroupsImportRequest {
                    group_column: "Programme",
                    ..request(false)
                },
                &mut ids(),
                now(),
            )
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidValue);
        assert!(e.to_string().contains("`Course`"), "{e}");
    }
}
