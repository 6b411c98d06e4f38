//! Importing a roster: analyse it, turn its valid rows into drafts under the group's
//! duplicate policy, and store them as one batch.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::AnalyzeOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding};
use crate::group::{DuplicatePolicy, Group, standard};
use crate::lifecycle::{
    Credential, CredentialState, DuplicateDecision, IdSource, decide_duplicate,
};
use crate::matching::{ColumnMatch, SavedMappings, Tier, normalize};
use crate::report::{Record, Records, Report};
use crate::storage::{Batch, CredentialQuery, Storage};
use crate::values::email::duplicate_key;

use crate::events::EventKind;

use super::{Issuer, PublishOutcome, Selection, Step, StepProgress, now_and_then};

/// One roster upload.
#[derive(Debug, Clone)]
pub struct ImportRequest<'a> {
    /// The group it is for (saved with the import, so its templates are checked first).
    pub group: &'a Group,
    /// The file's bytes.
    pub bytes: &'a [u8],
    /// Sheet, header row, confirmed mapping, limits; `records` is always on.
    pub options: AnalyzeOptions,
    /// Publish the created drafts at once.
    pub publish: bool,
    /// Who imports.
    pub actor: &'a str,
    /// Work out what the import would do and change nothing: the group is checked but not
    /// saved, no mapping is learned, no draft is stored, nothing is published.
    pub dry_run: bool,
}

impl<'a> ImportRequest<'a> {
    /// An import of `bytes` into `group` as drafts, with default options.
    pub fn new(group: &'a Group, bytes: &'a [u8], actor: &'a str) -> ImportRequest<'a> {
        ImportRequest {
            group,
            bytes,
            options: AnalyzeOptions::default(),
            publish: false,
            actor,
            dry_run: false,
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportOutcome {
    /// The batch (the existing one when the file was imported before).
    pub batch: Batch,
    /// Whether this exact file had been imported into the group before; nothing was created.
    pub already_imported: bool,
    /// The analysis of the file.
    pub report: Report,
    /// Findings against credentials already stored (the duplicate policy), by row.
    pub findings: Vec<Finding>,
    /// Ids of the drafts created.
    pub created: Vec<String>,
    /// Ids of the existing drafts replaced.
    pub replaced: Vec<String>,
    /// The publish, when the import was asked to publish.
    pub published: Option<PublishOutcome>,
    /// Whether this was a dry run: nothing was stored, `created` is empty (the drafts that
    /// would be created are counted in `batch.created`), and `replaced` names the drafts that
    /// would be replaced.
    #[serde(default)]
    pub dry_run: bool,
}

/// The same file read the same way into the same group gives the same fingerprint. How it
/// was read (the sheet, the header row, which column became which attribute) is part of it:
/// importing a file again with a corrected mapping is a new import, never "imported before"
/// with the drafts the wrong mapping made.
fn fingerprint(group: &str, bytes: &[u8], report: &Report) -> String {
    let group = xxhash_rust::xxh3::xxh3_128(group.as_bytes());
    let mut reading = xxhash_rust::xxh3::xxh3_128(bytes).to_le_bytes().to_vec();
    reading.extend_from_slice(
        report
            .source
            .sheet
            .as_deref()
            .unwrap_or_default()
            .as_bytes(),
    );
    reading.push(0);
    reading.extend_from_slice(&report.source.header_row.to_le_bytes());
    for c in &report.mapping.columns {
        reading.extend_from_slice(c.column.as_bytes());
        reading.push(0);
        reading.extend_from_slice(c.attribute.as_deref().unwrap_or("\u{1}").as_bytes());
        reading.push(0);
    }
    let body = xxhash_rust::xxh3::xxh3_128(&reading);
    format!("{group:032x}{body:032x}")
}

/// The analysis of the roster, always with its records: they become the drafts. The
/// mappings learned for the group apply, under any the request gives itself.
fn analyze(
    request: &ImportRequest<'_>,
    learned: &SavedMappings,
    progress: &mut dyn FnMut(StepProgress),
) -> Result<Report> {
    let mut saved = learned.clone();
    saved.0.extend(request.options.saved.0.clone());
    let options = AnalyzeOptions {
        records: true,
        saved,
        ..request.options.clone()
    };
    crate::analyze_with_progress(request.bytes, request.group, &options, &mut |p| {
        progress(StepProgress {
            step: Step::Analyzing,
            done: p.rows,
            total: 0,
        });
    })
}

/// The drafts of one import as its rows are taken in turn, under the group's duplicate
/// policy.
struct Drafting<'a> {
    request: &'a ImportRequest<'a>,
    group_key: &'a str,
    batch_id: &'a str,
    now: DateTime<Utc>,
    /// The roster's email column, where a refused row's finding points.
    email_letter: Option<String>,
    /// Live credentials of the group by recipient; the drafts created join them, so a later
    /// row of the same file meets them too.
    existing: HashMap<String, Credential>,
    created: Vec<Credential>,
    replaced: Vec<Credential>,
    findings: Vec<Finding>,
}

impl Drafting<'_> {
    /// Takes one valid row: a new draft, a replacement, or a refusal with a finding.
    fn take(&mut self, record: &Record, ids: &mut dyn IdSource) -> Result<()> {
        let address = record
            .values
            .get(standard::EMAIL)
            .and_then(serde_json::Value::as_str)
            .map(duplicate_key)
            .unwrap_or_default();
        let held = self.existing.get(&address);
        match decide_duplicate(self.request.group.duplicates, &address, held) {
            DuplicateDecision::Create => self.create(record, address, ids)?,
            DuplicateDecision::Replace => {
                // Only a credential the decision was given is ever replaced.
                if let Some(prior) = held {
                    let next = prior.replace(
                        self.batch_id,
                        record.row,
                        &record.values,
                        self.request.actor,
                        self.now,
                    )?;
                    self.replaced.push(next.credential);
                }
            }
            DuplicateDecision::Reject { message, help } => self.refuse(record, message, help),
        }
        Ok(())
    }

    /// A new draft with a fresh id from `ids`.
    fn create(&mut self, record: &Record, address: String, ids: &mut dyn IdSource) -> Result<()> {
        let credential = Credential::draft(
            ids.next_id(),
            self.group_key,
            self.batch_id,
            &record.values,
            self.request.actor,
            self.now,
        )?;
        if !crate::ids::is_valid_id(&credential.id) {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "the id source gave `{}`, which is not a URL-safe id",
                    credential.id
                ),
            ));
        }
        if self.request.group.duplicates != DuplicatePolicy::Allow {
            self.existing.insert(address, credential.clone());
        }
        self.created.push(credential);
        Ok(())
    }

    /// Refuses a row: an error finding on its email cell.
    fn refuse(&mut self, record: &Record, message: String, help: &str) {
        self.findings.push(
            Finding::error(Code::DuplicateRecipient, message)
                .at(self.email_letter.as_deref(), Some(record.row))
                .attribute(standard::EMAIL)
                .help(help),
        );
    }
}

impl<S: Storage> Issuer<S> {
    /// Imports a roster: analyses it, applies the group's duplicate policy against stored
    /// credentials, and stores the valid rows as drafts in one batch (then publishes them if
    /// asked). Invalid rows are not created; each has an error finding in the report or in
    /// `findings`. Importing the same bytes into the same group again creates nothing and
    /// returns the existing batch.
    ///
    /// # Errors
    /// Anything [`crate::analyze`] refuses; a group or template error; a store failure.
    pub fn import(
        &mut self,
        request: &ImportRequest<'_>,
        ids: &mut dyn IdSource,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<ImportOutcome> {
        let key = request.group.key();
        if request.dry_run {
            self.check_group(request.group)?;
        } else {
            self.save_group(request.group)?;
        }
        let mut learned = self.store.mappings(&key)?;
        let report = analyze(request, &learned, progress)?;
        // What the user confirmed or reassigned (and skipped) is learned for the next upload.
        if request.options.mapping.is_some() && !request.dry_run {
            let confirmed: Vec<ColumnMatch> = report
                .columns
                .iter()
                .filter(|c| c.tier == Tier::User)
                .cloned()
                .collect();
            let before = learned.clone();
            learned.learn(&confirmed);
            if learned != before {
                self.store.put_mappings(&key, &learned)?;
            }
        }
        let print = fingerprint(&key, request.bytes, &report);
        if let Some(batch) = self.store.batch_by_fingerprint(&key, &print)? {
            return self.import_again(request, batch, report, now, progress);
        }
        let batch_id = format!("b{:016x}", xxhash_rust::xxh3::xxh3_64(print.as_bytes()));
        let mut drafting = Drafting {
            request,
            group_key: &key,
            batch_id: &batch_id,
            now,
            email_letter: email_letter(&report),
            existing: self.live_by_recipient(request.group, &key)?,
            created: Vec::new(),
            replaced: Vec::new(),
            findings: Vec::new(),
        };
        let records = report.records.as_ref();
        let total = records.map_or(0, Records::len) as u64;
        for (done, record) in records.into_iter().flat_map(Records::iter).enumerate() {
            now_and_then(progress, Step::Creating, done, total);
            drafting.take(&record.to_record(), ids)?;
        }
        let Drafting {
            created,
            replaced,
            findings,
            ..
        } = drafting;
        let batch = Batch {
            id: batch_id,
            group: key,
            fingerprint: print,
            file_name: request.options.file_name.clone(),
            created_at: now,
            actor: request.actor.to_owned(),
            rows: report.summary.rows,
            created: created.len() as u64,
            replaced: replaced.len() as u64,
            rejected: report.summary.invalid + findings.len() as u64,
        };
        if request.dry_run {
            return Ok(ImportOutcome {
                created: Vec::new(),
                replaced: replaced.into_iter().map(|c| c.id).collect(),
                batch,
                already_imported: false,
                report,
                findings,
                published: None,
                dry_run: true,
            });
        }
        progress(StepProgress {
            step: Step::Storing,
            done: 0,
            total: created.len() as u64 + replaced.len() as u64,
        });
        self.store.commit_import(&batch, &created, &replaced)?;
        self.record(&created, EventKind::Imported, now);
        self.record(&replaced, EventKind::Imported, now);
        let published = self.publish_imported(request, &batch, now, progress)?;
        Ok(ImportOutcome {
            created: created.into_iter().map(|c| c.id).collect(),
            replaced: replaced.into_iter().map(|c| c.id).collect(),
            batch,
            already_imported: false,
            report,
            findings,
            published,
            dry_run: false,
        })
    }

    /// The outcome of a file imported into the group before: nothing is created, and a rerun
    /// of an import that stopped before its publish completes it.
    fn import_again(
        &mut self,
        request: &ImportRequest<'_>,
        batch: Batch,
        report: Report,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<ImportOutcome> {
        let published = if request.dry_run {
            None
        } else {
            self.publish_imported(request, &batch, now, progress)?
        };
        Ok(ImportOutcome {
            batch,
            already_imported: true,
            report,
            findings: Vec::new(),
            created: Vec::new(),
            replaced: Vec::new(),
            published,
            dry_run: request.dry_run,
        })
    }

    /// Live credentials of the group by recipient, when its duplicate policy looks at them;
    /// revoked and expired ones do not block a new one (a renewal, or a recipient who
    /// qualifies again).
    pub(super) fn live_by_recipient(
        &self,
        group: &Group,
        key: &str,
    ) -> Result<HashMap<String, Credential>> {
        let mut existing = HashMap::new();
        if group.duplicates == DuplicatePolicy::Allow {
            return Ok(existing);
        }
        for c in self.store.credentials(&CredentialQuery {
            group: Some(key.to_owned()),
            ..CredentialQuery::default()
        })? {
            if !matches!(c.state, CredentialState::Revoked | CredentialState::Expired) {
                existing.insert(duplicate_key(&c.recipient.email), c);
            }
        }
        Ok(existing)
    }

    fn publish_imported(
        &mut self,
        request: &ImportRequest<'_>,
        batch: &Batch,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<Option<PublishOutcome>> {
        if !request.publish {
            return Ok(None);
        }
        let selection = Selection::Batch(batch.id.clone());
        self.publish(&selection, request.actor, now, progress)
            .map(Some)
    }
}

/// One credential made from values instead of a spreadsheet ([`Issuer::create`]).
#[derive(Debug, Clone)]
pub struct CreateRequest<'a> {
    /// The group it is for (saved with it, as an import saves its group).
    pub group: &'a Group,
    /// Its values by attribute key, as a roster's cells would hold them.
    pub values: &'a [(String, String)],
    /// Publish it at once.
    pub publish: bool,
    /// Check the values and change nothing.
    pub dry_run: bool,
    /// Who creates it.
    pub actor: &'a str,
}

/// The file name a credential made from values is imported under (its batch's `file_name`).
pub const CREATED_FILE_NAME: &str = "(created from values)";

impl<S: Storage> Issuer<S> {
    /// Issues one credential from values: they are written as a one-row roster
    /// ([`crate::output::template::one_row`]) and imported, so they are validated exactly as
    /// a roster's row, with the same findings, under the group's duplicate policy. The same
    /// values given again are recognised as that import (`already_imported`).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for a key the group does not have or one given twice;
    /// anything [`Issuer::import`] returns.
    pub fn create(
        &mut self,
        request: &CreateRequest<'_>,
        ids: &mut dyn IdSource,
        now: DateTime<Utc>,
    ) -> Result<ImportOutcome> {
        let bytes = crate::output::template::one_row(request.group, request.values)?;
        let import = ImportRequest {
            options: AnalyzeOptions {
                file_name: Some(CREATED_FILE_NAME.to_owned()),
                ..AnalyzeOptions::default()
            },
            publish: request.publish,
            dry_run: request.dry_run,
            ..ImportRequest::new(request.group, &bytes, request.actor)
        };
        self.import(&import, ids, now, &mut |_| {})
    }
}

/// The letter of the roster's email column, if it has one.
fn email_letter(report: &Report) -> Option<String> {
    report
        .columns
        .iter()
        .find(|c| c.attribute.as_deref() == Some(standard::EMAIL))
        .map(|c| c.letter.clone())
}

impl<S: Storage> Issuer<S> {
    /// The column mappings learned for a group (by [`Group::key`]) from the mappings users
    /// confirmed on its imports: normalised header to attribute key, or `None` for a column
    /// they skipped. Every import into the group applies them (tier `saved`).
    ///
    /// # Errors
    /// A store failure.
    pub fn mappings(&self, group: &str) -> Result<SavedMappings> {
        self.store.mappings(group)
    }

    /// Forgets learned mappings of a group: those of the given headers (as written or
    /// normalised), or all of them. Returns how many were forgotten.
    ///
    /// # Errors
    /// A store failure.
    pub fn forget_mappings(&mut self, group: &str, headers: Option<&[String]>) -> Result<usize> {
        let mut learned = self.store.mappings(group)?;
        let before = learned.0.len();
        match headers {
            Some(headers) => {
                for header in headers {
                    learned.0.remove(&normalize(header));
                }
            }
            None => learned.0.clear(),
        }
        let forgotten = before - learned.0.len();
        if forgotten > 0 {
            self.store.put_mappings(group, &learned)?;
        }
        Ok(forgotten)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::issuer::IssuerConfig;
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::Mailbox;
    use crate::output::template::one_row;
    use crate::storage::MemoryStorage;

    fn issuer() -> Issuer<MemoryStorage> {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        Issuer::new(MemoryStorage::new(), config).unwrap()
    }

    fn ids() -> FromRandomBytes<impl FnMut() -> [u8; 16]> {
        let mut n = 0u8;
        FromRandomBytes(move || {
            n += 1;
            [n; 16]
        })
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap()
    }

    fn group() -> Group {
        serde_json::from_str(
            r#"{"name": "Bootcamp", "duplicates": "replace",
                "attributes": [{"key": "grade", "label": "Grade", "type": "enum",
                                "values": ["A", "B"], "required": true}]}"#,
        )
        .unwrap()
    }

    #[test]
    fn a_dry_run_tells_what_an_import_would_do_and_changes_nothing() {
        let mut issuer = issuer();
        let mut ids = ids();
        let group = group();
        let first = b"Name,Email,Grade\nAna,ana@example.org,A\n";
        issuer
            .import(
                &ImportRequest::new(&group, first, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        let ana = issuer
            .store()
            .credentials(&CredentialQuery::default())
            .unwrap();
        let second = b"Name,Email,Grade\nAna Lopez,ana@example.org,B\nBo,bo@example.org,A\nCy,cy@,A\nDi,di@example.org,C\n";
        let dry = ImportRequest {
            dry_run: true,
            publish: true,
            ..ImportRequest::new(&group, second, "t")
        };
        let out = issuer.import(&dry, &mut ids, now(), &mut |_| {}).unwrap();
        assert!(out.dry_run && !out.already_imported);
        assert_eq!(
            (out.batch.rows, out.batch.created, out.batch.replaced),
            (4, 1, 1)
        );
        assert_eq!(out.batch.rejected, 2);
        assert!(out.created.is_empty());
        assert_eq!(out.replaced, [ana[0].id.clone()]);
        assert!(out.published.is_none());
        let codes: Vec<&str> = out
            .report
            .findings
            .iter()
            .map(|f| f.code.as_str())
            .collect();
        assert!(
            codes.contains(&"invalid_email") && codes.contains(&"invalid_enum"),
            "{codes:?}"
        );
        // Nothing changed: the one credential, as it was; no batch, no event for the file.
        assert_eq!(
            issuer
                .store()
                .credentials(&CredentialQuery::default())
                .unwrap(),
            ana
        );
        let print = fingerprint(&group.key(), second, &out.report);
        assert!(
            issuer
                .store()
                .batch_by_fingerprint(&group.key(), &print)
                .unwrap()
                .is_none()
        );

        // The real import does what the dry run said.
        let real = ImportRequest::new(&group, second, "t");
        let done = issuer.import(&real, &mut ids, now(), &mut |_| {}).unwrap();
        assert_eq!(
            (done.batch.created, done.batch.replaced, done.batch.rejected),
            (1, 1, 2)
        );
        assert_eq!(done.replaced, out.replaced);
        // Dry-running it again reports a file imported before, and publishes nothing.
        let again = issuer.import(&dry, &mut ids, now(), &mut |_| {}).unwrap();
        assert!(again.already_imported && again.dry_run && again.published.is_none());
        assert_eq!(issuer.status().unwrap().credentials.get("draft"), Some(&2));
    }

    #[test]
    fn one_credential_is_validated_as_a_roster_row() {
        let mut issuer = issuer();
        let mut ids = ids();
        let group = group();
        let set = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let bytes = one_row(
            &group,
            &set(&[
                ("name", "Ana, \"the\" Lopez"),
                ("email", "ana@example.org"),
                ("grade", "B"),
            ]),
        )
        .unwrap();
        let out = issuer
            .import(
                &ImportRequest::new(&group, &bytes, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        assert_eq!(out.created.len(), 1, "{:?}", out.report.findings);
        let made = issuer.credential(&out.created[0]).unwrap();
        assert_eq!(made.recipient.name, "Ana, \"the\" Lopez");
        assert_eq!(
            made.attributes.get("grade").and_then(|v| v.as_str()),
            Some("B")
        );

        // A bad value gets the finding a roster's cell would get.
        let bytes = one_row(
            &group,
            &set(&[("name", "Bo"), ("email", "bo@"), ("grade", "Z")]),
        )
        .unwrap();
        let out = issuer
            .import(
                &ImportRequest::new(&group, &bytes, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        assert!(out.created.is_empty());
        let found: Vec<(&str, Option<&str>)> = out
            .report
            .findings
            .iter()
            .map(|f| (f.code.as_str(), f.attribute.as_deref()))
            .collect();
        assert!(
            found.contains(&("invalid_email", Some("email"))),
            "{found:?}"
        );
        assert!(
            found.contains(&("invalid_enum", Some("grade"))),
            "{found:?}"
        );

        // A required attribute left out is reported as a roster missing its column is.
        let bytes = one_row(&group, &set(&[("name", "Cy"), ("email", "cy@example.org")])).unwrap();
        let out = issuer
            .import(
                &ImportRequest::new(&group, &bytes, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        assert!(out.created.is_empty());
        assert!(
            out.report
                .findings
                .iter()
                .any(|f| f.attribute.as_deref() == Some("grade"))
        );

        let unknown = one_row(&group, &set(&[("nmae", "Di")])).unwrap_err();
        assert_eq!(unknown.kind(), ErrorKind::InvalidValue);
        assert!(
            unknown.to_string().contains("no attribute `nmae`"),
            "{unknown}"
        );
        let twice = one_row(&group, &set(&[("name", "Di"), ("name", "Dee")])).unwrap_err();
        assert_eq!(twice.kind(), ErrorKind::InvalidValue);
    }

    #[test]
    fn a_credential_keeps_the_group_version_it_was_published_under() {
        let mut issuer = issuer();
        let mut ids = ids();
        let mut group = group();
        let roster = b"Name,Email,Grade\nAna,ana@example.org,A\nBo,bo@example.org,B\n";
        let out = issuer
            .import(
                &ImportRequest::new(&group, roster, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        let (ana, bo) = (out.created[0].clone(), out.created[1].clone());
        assert_eq!(issuer.credential(&ana).unwrap().group_version, None);
        issuer
            .publish(&Selection::Ids(vec![ana.clone()]), "t", now(), &mut |_| {})
            .unwrap();
        assert_eq!(issuer.credential(&ana).unwrap().group_version, Some(1));

        group.email = Some(crate::group::EmailTemplates {
            subject: "New look for {{ group.name }}".into(),
            html: "<p>{{ recipient.name }}: {{ credential.url }}</p>".into(),
            text: "{{ recipient.name }}: {{ credential.url }}".into(),
        });
        assert_eq!(issuer.save_group(&group).unwrap(), 2);
        assert_eq!(
            issuer.save_group(&group).unwrap(),
            2,
            "the same group again"
        );
        // Ana's credential follows version 1; Bo's draft the latest, and publishing it
        // issues it under version 2.
        assert!(
            issuer
                .preview(&ana)
                .unwrap()
                .subject
                .starts_with("Your credential")
        );
        assert!(issuer.preview(&bo).unwrap().subject.starts_with("New look"));
        issuer
            .publish(&Selection::Ids(vec![bo.clone()]), "t", now(), &mut |_| {})
            .unwrap();
        assert_eq!(issuer.credential(&bo).unwrap().group_version, Some(2));
        let history = issuer.group_history(&group.key()).unwrap();
        let versions: Vec<u32> = history.iter().map(|g| g.version).collect();
        assert_eq!(versions, [1, 2]);
        assert!(history[0].group.email.is_none() && history[1].group.email.is_some());
        let issued = issuer
            .issued_group(&issuer.credential(&ana).unwrap())
            .unwrap();
        assert_eq!(issued.and_then(|g| g.email), None);
        assert_eq!(issuer.groups().unwrap().len(), 1);
        assert_eq!(
            issuer.group("nope", None).unwrap_err().kind(),
            ErrorKind::NotFound
        );
        assert_eq!(
            issuer.group(&group.key(), Some(3)).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }

    #[test]
    fn a_groups_validity_period_dates_credentials_published_without_an_expiry() {
        let mut issuer = issuer();
        let mut ids = ids();
        let mut group = group();
        group.validity = Some(crate::group::Validity {
            years: 2,
            ..Default::default()
        });
        let roster = b"Name,Email,Grade,Issued On,Expires On\n\
            Ana,ana@example.org,A,2028-02-29,\n\
            Bo,bo@example.org,B,,\n\
            Cy,cy@example.org,A,2026-01-10,2026-12-31\n";
        let out = issuer
            .import(
                &ImportRequest {
                    publish: true,
                    ..ImportRequest::new(&group, roster, "t")
                },
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        let expiry = |id: &str| {
            issuer
                .credential(id)
                .unwrap()
                .expires_on
                .map(|d| d.to_string())
        };
        assert_eq!(expiry(&out.created[0]).as_deref(), Some("2030-02-28"));
        // No issue date: two years from the day it was published.
        assert_eq!(expiry(&out.created[1]).as_deref(), Some("2028-03-02"));
        assert_eq!(
            expiry(&out.created[2]).as_deref(),
            Some("2026-12-31"),
            "its own date stays"
        );

        group.validity = Some(crate::group::Validity::default());
        assert_eq!(
            issuer.save_group(&group).unwrap_err().kind(),
            ErrorKind::InvalidGroup
        );
        group.validity = Some(crate::group::Validity {
            years: 101,
            ..Default::default()
        });
        assert_eq!(
            issuer.save_group(&group).unwrap_err().kind(),
            ErrorKind::InvalidGroup
        );
    }

    #[test]
    fn a_publish_naming_revoked_or_expired_credentials_publishes_the_rest() {
        let mut issuer = issuer();
        let mut ids = ids();
        let group = group();
        let roster = b"Name,Email,Grade,Expires On\nAna,ana@example.org,A,2026-03-01\nBo,bo@example.org,B,\nCy,cy@example.org,A,\nDi,di@example.org,A,\n";
        let out = issuer
            .import(
                &ImportRequest::new(&group, roster, "t"),
                &mut ids,
                now(),
                &mut |_| {},
            )
            .unwrap();
        let [ana, bo, cy, di] = [0, 1, 2, 3].map(|i| out.created[i].clone());
        issuer
            .publish(
                &Selection::Ids(vec![ana.clone(), bo.clone()]),
                "t",
                now(),
                &mut |_| {},
            )
            .unwrap();
        issuer.revoke(&bo, "issued in error", "t", now()).unwrap();
        assert_eq!(
            issuer.expire_due("t", now()).unwrap(),
            std::slice::from_ref(&ana)
        );
        let all = vec![ana.clone(), bo.clone(), cy.clone(), di.clone()];
        let again = issuer
            .publish(&Selection::Ids(all), "t", now(), &mut |_| {})
            .unwrap();
        assert_eq!(again.published, [cy, di]);
        let refused: Vec<(&str, &str)> = again
            .refused
            .iter()
            .map(|r| (r.id.as_str(), r.code.as_str()))
            .collect();
        assert_eq!(
            refused,
            [
                (ana.as_str(), "illegal_transition"),
                (bo.as_str(), "illegal_transition")
            ]
        );
        assert!(
            again.refused[1].message.contains("is revoked"),
            "{}",
            again.refused[1].message
        );
    }
}
