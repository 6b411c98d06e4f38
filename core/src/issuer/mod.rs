//! The issuing flow over any [`Storage`]: import a roster as drafts, review and amend them,
//! publish, and deliver the emails through any [`Mailer`](crate::mail::Mailer).
//!
//! Each operation has its own file: `import` (roster to drafts), `amend` (amend, revoke,
//! expire), `correct` (a re-uploaded roster's corrections), `discard` (drafts removed),
//! `publish` (drafts to published credentials with queued emails), `deliver` (recover,
//! deliver, resend; a suppressed recipient is never sent to), `bounces` (bounce and
//! complaint reports applied, the suppression list), `notices` (revocation and expiry
//! notices, warnings, reminders), `renew`, `query` (what is stored, read back), `certificates` (each
//! credential's certificate as SVG) and `credentials` (signed documents, status lists).
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

mod amend;
mod bounces;
mod certificates;
mod correct;
#[cfg(feature = "credentials")]
mod credentials;
mod deliver;
mod discard;
mod import;
mod import_groups;
mod notices;
mod publish;
mod query;
mod renew;
mod revoke_roster;

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::error::{Error, ErrorKind, Result};
use crate::events::{Event, EventKind};
use crate::group::Group;
use crate::lifecycle::Credential;
use crate::mail::Mailbox;
use crate::outbox::RetryPolicy;
use crate::render::Renderer;
use crate::storage::{Storage, StoredGroup};

pub use crate::render::DEFAULT_BASE_URL;
pub use amend::RevokeOutcome;
pub use bounces::{BounceEffect, BounceOutcome, BounceRun, ReportBytes};
pub use certificates::CertificatesOutcome;
pub use correct::{CLEAR_MARKER, CorrectOutcome, CorrectRequest, Correction};
#[cfg(feature = "credentials")]
pub use credentials::{ExportOutcome, STATUS_LIST_CAPACITY, salt_of, status_list_url};
pub use deliver::{
    Claimed, DeliveryReport, DeliveryRun, Settlement, Worker, Workers, deliver_with_workers,
};
pub use discard::DiscardOutcome;
pub use import::{CREATED_FILE_NAME, CreateRequest, ImportOutcome, ImportRequest};
pub use import_groups::{GroupImport, GroupsImportOutcome, GroupsImportRequest};
pub use notices::{ExpireOutcome, NoticeOutcome};
pub use publish::{PUBLISH_CHUNK, PublishOutcome, Refused, Selection};
pub use query::CredentialDetail;
pub use revoke_roster::{RevokeRosterOutcome, RevokeRosterRequest};

/// The sender an issuer uses when none is given, as [`Mailbox::parse`] reads it.
pub const DEFAULT_SENDER: &str = "Conferral <credentials@example.org>";

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

impl Step {
    /// The snake_case name progress callbacks are given.
    pub fn as_str(self) -> &'static str {
        match self {
            Step::Analyzing => "analyzing",
            Step::Creating => "creating",
            Step::Rendering => "rendering",
            Step::Storing => "storing",
            Step::Delivering => "delivering",
        }
    }
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

/// The issuing flow over a store.
#[derive(Debug)]
pub struct Issuer<S: Storage> {
    store: S,
    config: IssuerConfig,
    sender_domain: String,
}

impl<S: Storage> Issuer<S> {
    /// An issuer over `store`.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidConfig`] for a base that is not an http(s) URL or a sender
    /// address that is not valid.
    pub fn new(store: S, config: IssuerConfig) -> Result<Issuer<S>> {
        crate::render::credential_url(&config.base_url, "check")?;
        // "A <a@x.org> <b@y.org>" reads as the name `A <a@x.org>` and the second address:
        // a sender is one address, with a name that holds no address of its own.
        if config.sender.name.contains(['<', '>', '@', '\r', '\n']) {
            return Err(Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "the sender name `{}` is not a name: give one address, as `Name <address>` or `address`",
                    config.sender.name.escape_debug()
                ),
            ));
        }
        let sender = crate::values::email::parse(&config.sender.email).map_err(|p| {
            Error::new(
                ErrorKind::InvalidConfig,
                format!(
                    "the sender address `{}` is not valid: {}",
                    config.sender.email, p.message
                ),
            )
        })?;
        // The Message-ID takes the domain in ASCII (`xn--` for an internationalised one).
        let sender_domain = sender
            .ascii()
            .unwrap_or_else(|| sender.normalized())
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

    /// Checks a group (attributes, email templates and certificate design) and saves it as
    /// its next version; returns the version now latest (unchanged when the group is the
    /// same as the latest). Credentials published later are issued under it; those
    /// published before keep theirs ([`Credential::group_version`]).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidGroup`] or [`ErrorKind::InvalidTemplate`] with what to fix.
    pub fn save_group(&mut self, group: &Group) -> Result<u32> {
        self.check_group(group)?;
        self.store.put_group(group)
    }

    /// Checks a group as [`Issuer::save_group`] does, without saving it.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidGroup`] or [`ErrorKind::InvalidTemplate`] with what to fix.
    pub fn check_group(&self, group: &Group) -> Result<()> {
        self.renderer(group)?;
        crate::render::CertificateRenderer::for_group(group, &self.config.base_url)?;
        Ok(())
    }

    fn get(&self, id: &str) -> Result<Credential> {
        self.store.credential(id)?.ok_or_else(|| {
            Error::new(
                ErrorKind::NotFound,
                format!("there is no credential `{id}`"),
            )
        })
    }

    /// Appends events of changes already committed. A store failure here loses the events
    /// (the figures undercount), never the change, so it is not the caller's error: the
    /// change it would be reported on has happened (see [`crate::events`]).
    fn record(&mut self, credentials: &[Credential], kind: EventKind, at: DateTime<Utc>) {
        if credentials.is_empty() {
            return;
        }
        let events: Vec<Event> = credentials.iter().map(|c| Event::of(c, kind, at)).collect();
        let _ = self.store.record_events(&events);
    }

    /// The group a credential was issued under: the version it was published under, or
    /// the latest for a draft (and for one published before groups had versions).
    fn group_of(&self, credential: &Credential) -> Result<Group> {
        Ok(self.stored_group_of(credential)?.group)
    }

    fn stored_group_of(&self, credential: &Credential) -> Result<StoredGroup> {
        let version = credential.group_version;
        self.store
            .stored_group(&credential.group, version)?
            .ok_or_else(|| {
                let which = version.map_or_else(String::new, |v| format!(" (version {v})"));
                Error::new(
                    ErrorKind::NotFound,
                    format!(
                        "the group `{}`{which} of credential `{}` is not stored",
                        credential.group, credential.id
                    ),
                )
            })
    }

    /// The group a credential was issued under (the version it was published under; the
    /// latest for a draft), or `None` when the store does not have it.
    ///
    /// # Errors
    /// A store failure.
    pub fn issued_group(&self, credential: &Credential) -> Result<Option<Group>> {
        Ok(self
            .store
            .stored_group(&credential.group, credential.group_version)?
            .map(|s| s.group))
    }

    /// The latest version of every group kept in the store, by key.
    ///
    /// # Errors
    /// A store failure.
    pub fn groups(&self) -> Result<Vec<StoredGroup>> {
        self.store.groups()
    }

    /// A group kept in the store: its latest version, or `version`.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such group or version.
    pub fn group(&self, key: &str, version: Option<u32>) -> Result<StoredGroup> {
        self.store.stored_group(key, version)?.ok_or_else(|| {
            let what = match version {
                Some(v) => format!("version {v} of the group `{key}`"),
                None => format!("the group `{key}`"),
            };
            Error::new(
                ErrorKind::NotFound,
                format!("there is no {what} in the store"),
            )
        })
    }

    /// Every version of a group, oldest first.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is no such group.
    pub fn group_history(&self, key: &str) -> Result<Vec<StoredGroup>> {
        let latest = self.group(key, None)?;
        let mut history = Vec::with_capacity(latest.version as usize);
        for version in 1..latest.version {
            history.push(self.group(key, Some(version))?);
        }
        history.push(latest);
        Ok(history)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_are_their_serialized_names() {
        for step in [
            Step::Analyzing,
            Step::Creating,
            Step::Rendering,
            Step::Storing,
            Step::Delivering,
        ] {
            let serialized = serde_json::to_value(step).unwrap();
            assert_eq!(serialized.as_str(), Some(step.as_str()));
        }
    }

    #[test]
    fn the_defaults_make_a_valid_issuer() {
        let config = IssuerConfig::new(DEFAULT_BASE_URL, Mailbox::parse(DEFAULT_SENDER));
        assert_eq!(config.sender.name, "Conferral");
        let issuer = Issuer::new(crate::storage::MemoryStorage::new(), config);
        assert!(issuer.is_ok());
    }

    #[test]
    fn message_ids_take_the_sender_domain_in_ascii() {
        let config = IssuerConfig::new(
            DEFAULT_BASE_URL,
            Mailbox::parse("Akademie <info@bücher.de>"),
        );
        let issuer = Issuer::new(crate::storage::MemoryStorage::new(), config).unwrap();
        assert_eq!(issuer.sender_domain, "xn--bcher-kva.de");
    }

    #[test]
    fn a_sender_is_one_address() {
        let make = |from: &str| {
            let config = IssuerConfig::new(DEFAULT_BASE_URL, Mailbox::parse(from));
            Issuer::new(crate::storage::MemoryStorage::new(), config)
                .map(|i| i.config.sender.clone())
                .map_err(|e| e.kind())
        };
        assert_eq!(
            make("Academy <a@x.org> <b@y.org>"),
            Err(ErrorKind::InvalidConfig)
        );
        assert_eq!(make("a@x.org <b@y.org>"), Err(ErrorKind::InvalidConfig));
        assert_eq!(
            make("<a@x.org> "),
            Ok(Mailbox {
                name: String::new(),
                email: "a@x.org".into()
            })
        );
        assert_eq!(
            make("\"Academy\" <a@x.org>").map(|m| m.name),
            Ok("Academy".to_owned())
        );
    }
}
