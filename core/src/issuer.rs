//! The issuing flow over any [`Storage`]: import a roster as drafts, review and amend them,
//! publish, and deliver the emails through any [`Mailer`].
//!
//! ```
//! use chrono::{TimeZone, Utc};
//! use conferral::issuer::{ImportRequest, Issuer, IssuerConfig, Selection};
//! use conferral::lifecycle::FromRandomBytes;
//! use conferral::mail::{Mailbox, MemoryMailer};
//! use conferral::storage::MemoryStorage;
//! use conferral::Group;
//!
//! let config = IssuerConfig::new(
//!     "https://credentials.example.org/c",
//!     Mailbox { name: "Academy".into(), email: "academy@example.org".into() },
//! );
//! let mut issuer = Issuer::new(MemoryStorage::new(), config)?;
//! let group = Group { name: "Bootcamp 2026".into(), ..Group::default() };
//! let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
//! let mut seed = 0u8;
//! let mut ids = FromRandomBytes(|| { seed += 1; [seed; 16] });
//!
//! let roster = b"Name,Email\nAna Lopez,ana@example.org\nBo,bo@\n";
//! let imported = issuer.import(&ImportRequest::new(&group, roster, "cli"), &mut ids, now, &mut |_| {})?;
//! assert_eq!((imported.batch.created, imported.batch.rejected), (1, 1));
//!
//! let published = issuer.publish(&Selection::Batch(imported.batch.id.clone()), "cli", now, &mut |_| {})?;
//! assert_eq!(published.published.len(), 1);
//! let mut mailer = MemoryMailer::default();
//! let report = issuer.deliver(&mut mailer, &mut || now, None, &mut |_| {})?;
//! assert_eq!(report.sent, 1);
//! assert_eq!(mailer.delivered_to("ana@example.org"), 1);
//! # Ok::<(), conferral::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::analysis::AnalyzeOptions;
use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding, Severity};
use crate::group::{DuplicatePolicy, Group, standard};
use crate::lifecycle::{Amendment, Credential, CredentialState, EventKind, HistoryEntry, IdSource};
use crate::mail::{Mailbox, Mailer, OutgoingMessage};
use crate::outbox::{DeliveryState, MessageKind, OutboxMessage, RetryPolicy, SendOutcome};
use crate::render::{RenderedEmail, Renderer};
use crate::report::Report;
use crate::storage::{Batch, CredentialQuery, MessageQuery, StatusCounts, Storage, email_key};

/// Settings of an issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuerConfig {
    /// Where credentials live: a credential's link is this base, `/` and its id.
    pub base_url: String,
    /// Who the emails are from.
    pub sender: Mailbox,
    /// How temporary delivery failures are retried.
    #[serde(default)]
    pub retry: RetryPolicy,
}

impl IssuerConfig {
    /// Settings with the default retry policy.
    pub fn new(base_url: &str, sender: Mailbox) -> IssuerConfig {
        IssuerConfig {
            base_url: base_url.to_owned(),
            sender,
            retry: RetryPolicy::default(),
        }
    }
}

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
}

/// Which credentials to publish.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Selection {
    /// These credentials.
    Ids(Vec<String>),
    /// The drafts of this batch.
    Batch(String),
    /// Every draft of this group (by key).
    Group(String),
    /// Every draft.
    All,
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishOutcome {
    /// Credentials published now, each with one email queued.
    pub published: Vec<String>,
    /// Selected credentials that were published before (nothing done again).
    pub already_published: Vec<String>,
}

/// A step of a long operation, reported to a progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Step {
    /// Reading and validating the roster (`done` and `total` are rows, `total` 0 until known).
    Analyzing,
    /// Turning valid rows into drafts.
    Creating,
    /// Rendering the emails of a publish.
    Rendering,
    /// Writing to the store.
    Storing,
    /// Sending queued emails.
    Delivering,
}

/// Progress of an import, a publish or a delivery run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct StepProgress {
    /// What is being done.
    pub step: Step,
    /// Items done so far.
    pub done: u64,
    /// Items in all (0 while unknown).
    pub total: u64,
}

/// Items between two progress reports of a step.
const REPORT_EVERY: u64 = 1_000;

/// Reports item `done` of `total` of a step, once every [`REPORT_EVERY`] items.
fn now_and_then(progress: &mut dyn FnMut(StepProgress), step: Step, done: usize, total: u64) {
    let done = done as u64;
    if done.is_multiple_of(REPORT_EVERY) {
        progress(StepProgress { step, done, total });
    }
}

/// What a delivery run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReport {
    /// Attempts made.
    pub attempted: u64,
    /// Accepted by the server.
    pub sent: u64,
    /// Refused for good.
    pub failed_permanent: u64,
    /// Given up after temporary failures.
    pub failed_exhausted: u64,
    /// Deferred, to be retried later.
    pub deferred: u64,
    /// Outcome unknown: not retried without a resend.
    pub unknown: u64,
}

/// The issuing flow over a store.
#[derive(Debug)]
pub struct Issuer<S: Storage> {
    store: S,
    config: IssuerConfig,
    sender_domain: String,
}

/// The same file into the same group gives the same fingerprint.
fn fingerprint(group: &str, bytes: &[u8]) -> String {
    let group = xxhash_rust::xxh3::xxh3_128(group.as_bytes());
    let body = xxhash_rust::xxh3::xxh3_128(bytes);
    format!("{group:032x}{body:032x}")
}

impl<S: Storage> Issuer<S> {
    /// An issuer over `store`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a base that is not an http(s) URL or a sender
    /// address that is not valid.
    pub fn new(store: S, config: IssuerConfig) -> Result<Issuer<S>> {
        crate::render::credential_url(&config.base_url, "check")?;
        let sender = crate::values::email::parse(&config.sender.email).map_err(|p| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "the sender address `{}` is not valid: {}",
                    config.sender.email, p.message
                ),
            )
        })?;
        let sender_domain = sender
            .normalized()
            .rsplit_once('@')
            .map(|(_, d)| d.to_owned())
            .unwrap_or_default();
        Ok(Issuer {
            store,
            config,
            sender_domain,
        })
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, to change it directly.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Gives the store back.
    pub fn into_store(self) -> S {
        self.store
    }

    /// The settings.
    pub fn config(&self) -> &IssuerConfig {
        &self.config
    }

    fn renderer(&self, group: &Group) -> Result<Renderer> {
        Renderer::for_group(group, &self.config.base_url)
    }

    /// Checks a group (attributes and email templates) and saves it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidGroup`] or [`ErrorKind::InvalidTemplate`] with what to fix.
    pub fn save_group(&mut self, group: &Group) -> Result<()> {
        self.renderer(group)?;
        self.store.put_group(group)
    }

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
        let group = request.group;
        let key = group.key();
        self.save_group(group)?;
        let options = AnalyzeOptions {
            records: true,
            ..request.options.clone()
        };
        let report = crate::analyze_with_progress(request.bytes, group, &options, &mut |p| {
            progress(StepProgress {
                step: Step::Analyzing,
                done: p.rows,
                total: 0,
            });
        })?;
        let print = fingerprint(&key, request.bytes);
        if let Some(batch) = self.store.batch_by_fingerprint(&key, &print)? {
            // A rerun of an import that stopped before its publish completes it.
            let published = self.publish_imported(request, &batch, now, progress)?;
            return Ok(ImportOutcome {
                batch,
                already_imported: true,
                report,
                findings: Vec::new(),
                created: Vec::new(),
                replaced: Vec::new(),
                published,
            });
        }
        let batch_id = format!("b{:016x}", xxhash_rust::xxh3::xxh3_64(print.as_bytes()));
        let email_letter = report
            .columns
            .iter()
            .find(|c| c.attribute.as_deref() == Some(standard::EMAIL))
            .map(|c| c.letter.clone());
        // Live credentials of the group by address; revoked ones do not block a new one.
        let mut existing: HashMap<String, Credential> = HashMap::new();
        if group.duplicates != DuplicatePolicy::Allow {
            for c in self.store.credentials(&CredentialQuery {
                group: Some(key.clone()),
                ..CredentialQuery::default()
            })? {
                if c.state != CredentialState::Revoked {
                    existing.insert(email_key(&c.recipient.email), c);
                }
            }
        }
        let mut created = Vec::new();
        let mut replaced = Vec::new();
        let mut findings = Vec::new();
        let records = report.records.as_deref().unwrap_or_default();
        let total = records.len() as u64;
        for (done, record) in records.iter().enumerate() {
            now_and_then(progress, Step::Creating, done, total);
            let address = record
                .values
                .get(standard::EMAIL)
                .and_then(serde_json::Value::as_str)
                .map(email_key)
                .unwrap_or_default();
            let reject = |message: String, help: &str| Finding {
                code: Code::DuplicateRecipient,
                severity: Severity::Error,
                row: Some(record.row),
                column: email_letter.clone(),
                cell: email_letter.as_ref().map(|l| format!("{l}{}", record.row)),
                attribute: Some(standard::EMAIL.to_owned()),
                value: None,
                message,
                help: help.to_owned(),
            };
            match (existing.get(&address), group.duplicates) {
                (Some(prior), DuplicatePolicy::Deny) => findings.push(reject(
                    format!(
                        "{address} already has credential `{}` ({}) in this group",
                        prior.id,
                        prior.state.as_str()
                    ),
                    "remove the row, or set the group's duplicate policy to `allow` or `replace`",
                )),
                (Some(prior), DuplicatePolicy::Replace)
                    if prior.state != CredentialState::Draft =>
                {
                    findings.push(reject(
                        format!(
                            "{address} already has credential `{}`, which is {} and cannot be replaced",
                            prior.id,
                            prior.state.as_str()
                        ),
                        "revoke that credential first, or remove the row",
                    ));
                }
                (Some(prior), _) => {
                    let fresh = Credential::draft(
                        prior.id.clone(),
                        &key,
                        &batch_id,
                        &record.values,
                        request.actor,
                        now,
                    )?;
                    let changes = prior.changes_to(&fresh);
                    let mut history = prior.history.clone();
                    history.push(HistoryEntry {
                        at: now,
                        actor: request.actor.to_owned(),
                        event: EventKind::Replaced,
                        changes,
                        reason: Some(format!("row {} of batch {batch_id}", record.row)),
                    });
                    replaced.push(Credential { history, ..fresh });
                }
                (None, _) => {
                    let credential = Credential::draft(
                        ids.next_id(),
                        &key,
                        &batch_id,
                        &record.values,
                        request.actor,
                        now,
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
                    if group.duplicates != DuplicatePolicy::Allow {
                        existing.insert(address, credential.clone());
                    }
                    created.push(credential);
                }
            }
        }
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
        progress(StepProgress {
            step: Step::Storing,
            done: 0,
            total: created.len() as u64 + replaced.len() as u64,
        });
        self.store.commit_import(&batch, &created, &replaced)?;
        let published = self.publish_imported(request, &batch, now, progress)?;
        Ok(ImportOutcome {
            created: created.into_iter().map(|c| c.id).collect(),
            replaced: replaced.into_iter().map(|c| c.id).collect(),
            batch,
            already_imported: false,
            report,
            findings,
            published,
        })
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

    fn get(&self, id: &str) -> Result<Credential> {
        self.store.credential(id)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("there is no credential `{id}`"),
            )
        })
    }

    fn group_of(&self, credential: &Credential) -> Result<Group> {
        self.store.group(&credential.group)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!(
                    "the group `{}` of credential `{}` is not stored",
                    credential.group, credential.id
                ),
            )
        })
    }

    /// One credential.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is none with this id.
    pub fn credential(&self, id: &str) -> Result<Credential> {
        self.get(id)
    }

    /// Amends a draft; the values are validated with the rules of an import.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`], [`ErrorKind::IllegalTransition`] (not a draft) or
    /// [`ErrorKind::InvalidValue`] (with every problem in the message).
    pub fn amend(
        &mut self,
        id: &str,
        amendment: &Amendment,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Credential> {
        let credential = self.get(id)?;
        let schema = self.group_of(&credential)?.schema()?;
        let next = credential.amend(&schema, amendment, actor, now)?.credential;
        self.store.update_credential(&next)?;
        Ok(next)
    }

    /// Revokes a published or expired credential.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] or [`ErrorKind::IllegalTransition`] (a draft, or revoked).
    pub fn revoke(
        &mut self,
        id: &str,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Credential> {
        let next = self.get(id)?.revoke(reason, actor, now)?.credential;
        self.store.update_credential(&next)?;
        Ok(next)
    }

    /// Marks every published credential whose expiry date is before `now` as expired;
    /// returns their ids.
    ///
    /// # Errors
    /// A store failure.
    pub fn expire_due(&mut self, actor: &str, now: DateTime<Utc>) -> Result<Vec<String>> {
        let published = self.store.credentials(&CredentialQuery {
            state: Some(CredentialState::Published),
            ..CredentialQuery::default()
        })?;
        let mut expired = Vec::new();
        for c in published {
            if c.expires_on.is_some_and(|d| d < now.date_naive()) {
                let next = c.expire(actor, now)?.credential;
                self.store.update_credential(&next)?;
                expired.push(next.id);
            }
        }
        Ok(expired)
    }

    /// Renders the email a credential's recipient gets, without sending anything.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] or a template error.
    pub fn preview(&self, id: &str) -> Result<RenderedEmail> {
        let credential = self.get(id)?;
        self.renderer(&self.group_of(&credential)?)?
            .render(&credential.merge_fields())
    }

    /// Publishes drafts: renders every email first (a template error stops the publish
    /// before anything changes), then marks them published and queues one email each in one
    /// atomic step. Selected credentials published before are reported, not queued again.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or batch; [`ErrorKind::IllegalTransition`]
    /// for a selected credential that is revoked or expired; a template or store error.
    pub fn publish(
        &mut self,
        selection: &Selection,
        actor: &str,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<PublishOutcome> {
        let drafts_of = |query: CredentialQuery| CredentialQuery {
            state: Some(CredentialState::Draft),
            ..query
        };
        let mut outcome = PublishOutcome::default();
        let chosen: Vec<Credential> = match selection {
            Selection::Ids(ids) => {
                let mut chosen = Vec::new();
                for id in ids {
                    let c = self.get(id)?;
                    match c.state {
                        CredentialState::Draft => chosen.push(c),
                        CredentialState::Published => outcome.already_published.push(c.id),
                        // Revoked or expired: publishing refuses with the reason.
                        _ => {
                            c.publish(actor, now)?;
                        }
                    }
                }
                chosen
            }
            Selection::Batch(batch) => {
                if self.store.batch(batch)?.is_none() {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!("there is no batch `{batch}`"),
                    ));
                }
                self.store.credentials(&drafts_of(CredentialQuery {
                    batch: Some(batch.clone()),
                    ..CredentialQuery::default()
                }))?
            }
            Selection::Group(group) => self.store.credentials(&drafts_of(CredentialQuery {
                group: Some(group.clone()),
                ..CredentialQuery::default()
            }))?,
            Selection::All => self
                .store
                .credentials(&drafts_of(CredentialQuery::default()))?,
        };
        let mut renderers: BTreeMap<String, Renderer> = BTreeMap::new();
        let mut published = Vec::with_capacity(chosen.len());
        let mut messages = Vec::with_capacity(chosen.len());
        let total = chosen.len() as u64;
        for (done, credential) in chosen.iter().enumerate() {
            now_and_then(progress, Step::Rendering, done, total);
            if !renderers.contains_key(&credential.group) {
                let renderer = self.renderer(&self.group_of(credential)?)?;
                renderers.insert(credential.group.clone(), renderer);
            }
            let email = renderers
                .get(&credential.group)
                .ok_or_else(|| Error::new(ErrorKind::InvalidTemplate, "no renderer for the group"))?
                .render(&credential.merge_fields())
                .map_err(|e| {
                    Error::new(
                        e.kind(),
                        format!("nothing was published: the email of credential `{}` cannot be rendered: {e}", credential.id),
                    )
                })?;
            published.push(credential.publish(actor, now)?.credential);
            messages.push(OutboxMessage::queue(
                &credential.id,
                MessageKind::Issued,
                email,
                &self.sender_domain,
                now,
            ));
        }
        if !published.is_empty() {
            progress(StepProgress {
                step: Step::Storing,
                done: 0,
                total,
            });
            self.store.commit_publish(&published, &messages)?;
        }
        outcome.published = published.into_iter().map(|c| c.id).collect();
        Ok(outcome)
    }

    /// Marks every message left in `sending` by an interrupted run as `unknown`: it may have
    /// reached the server, so it is never sent again without [`Issuer::resend`]. Call it when
    /// a delivery process starts, while no other one runs.
    ///
    /// # Errors
    /// A store failure.
    pub fn recover(&mut self) -> Result<u64> {
        let stuck = self.store.messages(&MessageQuery {
            state: Some(DeliveryState::Sending),
            ..MessageQuery::default()
        })?;
        for m in &stuck {
            self.store
                .update_message(&m.interrupted()?, DeliveryState::Sending)?;
        }
        Ok(stuck.len() as u64)
    }

    /// Sends every due message, one at a time: each is marked `sending` and committed before
    /// the mailer sees it, and its outcome is committed before the next one. Messages
    /// deferred to a later time stay pending for a later run.
    ///
    /// `clock` is read before each claim and after each send; `limit` caps the attempts.
    ///
    /// # Errors
    /// A store failure (the message being sent stays `sending` and becomes `unknown` at
    /// the next [`Issuer::recover`]).
    pub fn deliver(
        &mut self,
        mailer: &mut dyn Mailer,
        clock: &mut dyn FnMut() -> DateTime<Utc>,
        limit: Option<u64>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<DeliveryReport> {
        let start = clock();
        let due = self
            .store
            .messages(&MessageQuery {
                state: Some(DeliveryState::Pending),
                ..MessageQuery::default()
            })?
            .iter()
            .filter(|m| m.is_due(start))
            .count() as u64;
        let due = limit.map_or(due, |l| due.min(l));
        let mut report = DeliveryReport::default();
        while limit.is_none_or(|l| report.attempted < l) && !mailer.halted() {
            let Some(claimed) = self.store.claim_next(clock())? else {
                break;
            };
            let outgoing = OutgoingMessage::of(&claimed, &self.config.sender);
            let outcome = mailer.send(&outgoing);
            let settled = claimed.settle(&outcome, clock(), &self.config.retry)?;
            self.store
                .update_message(&settled, DeliveryState::Sending)?;
            report.attempted += 1;
            match (&outcome, settled.state) {
                (SendOutcome::Sent { .. }, _) => report.sent += 1,
                (SendOutcome::Rejected { .. }, _) => report.failed_permanent += 1,
                (SendOutcome::Ambiguous { .. }, _) => report.unknown += 1,
                (SendOutcome::Deferred { .. }, DeliveryState::FailedExhausted) => {
                    report.failed_exhausted += 1;
                }
                (SendOutcome::Deferred { .. }, _) => report.deferred += 1,
            }
            progress(StepProgress {
                step: Step::Delivering,
                done: report.attempted,
                total: due.max(report.attempted),
            });
        }
        Ok(report)
    }

    /// Queues the messages of these credentials again, explicitly (after a failure, or an
    /// `unknown` outcome a person has checked). The Message-ID stays the same.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for a credential without a message;
    /// [`ErrorKind::IllegalTransition`] for one still pending or being sent.
    pub fn resend(
        &mut self,
        credentials: &[String],
        now: DateTime<Utc>,
    ) -> Result<Vec<OutboxMessage>> {
        let mut out = Vec::new();
        for id in credentials {
            let messages = self.store.messages(&MessageQuery {
                credentials: Some(vec![id.clone()]),
                ..MessageQuery::default()
            })?;
            if messages.is_empty() {
                return Err(Error::new(
                    ErrorKind::NotFound,
                    format!("credential `{id}` has no email queued; publish it first"),
                ));
            }
            for m in messages {
                let again = m.resend(now)?;
                self.store.update_message(&again, m.state)?;
                out.push(again);
            }
        }
        Ok(out)
    }

    /// The delivery state of each credential's email.
    ///
    /// # Errors
    /// A store failure.
    pub fn deliveries(&self, query: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        self.store.messages(query)
    }

    /// Counts per credential state and per delivery state.
    ///
    /// # Errors
    /// A store failure.
    pub fn status(&self) -> Result<StatusCounts> {
        self.store.status()
    }
}
