//! The `Storage` trait: where groups, batches, credentials and the outbox are kept.
//!
//! The trait is small and its writes are atomic units: an import (a batch with its
//! credentials), a publish (credentials with their outbox messages), one message's state
//! change. An implementation must make each of them all-or-nothing and durable once it
//! returns `Ok`, and must reject what would break the invariants below with
//! [`ErrorKind::Conflict`](crate::ErrorKind::Conflict) instead of writing part of it:
//!
//! - a credential id is unique; a batch id is unique; `(group, fingerprint)` of a batch is
//!   unique (the same file imported twice into a group makes no second batch);
//! - an outbox message id (`<credential>:<kind>`) is unique: one message per credential and
//!   kind, whatever happens;
//! - a message's state changes only from the state the caller read (compare and set), so two
//!   workers never both send it;
//! - an address is on the suppression list at most once, keyed by [`email_key`].
//!
//! A store keeps a message's [`DeliveryState`] as data and never decides a transition: the
//! issuer does ([`crate::outbox`] draws them). Two of them concern bounces: a hard bounce or a
//! complaint moves a `sent` or `unknown` message to `bounced` (never one `pending` or
//! `sending`, so a report never races a claim), and a claimed message whose recipient is on
//! the suppression list goes from `sending` to `failed_permanent` unsent. Both are written
//! with [`Storage::update_message`], fenced like every other change, and `bounced` is counted
//! by [`Storage::status`] like every other state. The suppression list
//! ([`Storage::suppress`], [`Storage::suppression`]) is read after each claim and before the
//! send; adding to it is idempotent, so processing a report twice changes nothing more.
//!
//! [`MemoryStorage`] is the in-memory implementation; `conferral-sqlite` is the embedded
//! default. `conformance::run` (feature `conformance`) checks any implementation against
//! this contract.

#[cfg(feature = "conformance")]
pub mod conformance;
mod memory;

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::events::{Event, EventCount, EventKind, EventQuery};
use crate::group::Group;
use crate::lifecycle::{Credential, CredentialState};
use crate::matching::SavedMappings;
use crate::outbox::{DeliveryState, Lease, OutboxMessage};
use crate::values::email::duplicate_key;

pub use memory::MemoryStorage;

/// One upload of a roster into a group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    /// Batch id.
    pub id: String,
    /// The group's key.
    pub group: String,
    /// A hash of the group key, the file's bytes and how they were read (sheet, header row,
    /// mapping): the same file read the same way into the same group has the same fingerprint.
    pub fingerprint: String,
    /// The uploaded file's name, if known.
    pub file_name: Option<String>,
    /// When it was imported.
    pub created_at: DateTime<Utc>,
    /// Who imported it.
    pub actor: String,
    /// Data rows in the file.
    pub rows: u64,
    /// Credentials created from it.
    pub created: u64,
    /// Existing drafts it replaced (duplicate policy `replace`).
    pub replaced: u64,
    /// Rows not created, each with at least one error finding.
    pub rejected: u64,
}

/// Which credentials to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CredentialQuery {
    /// Only this group.
    pub group: Option<String>,
    /// Only this batch.
    pub batch: Option<String>,
    /// Only this state.
    pub state: Option<CredentialState>,
    /// Only this recipient address, compared without case.
    pub email: Option<String>,
    /// Only credentials listed after this one (by id), for reading a long list in pages:
    /// pass the last id of the page before. The credential need not match the query; when
    /// no credential has this id, the list is empty.
    pub after: Option<String>,
    /// At most this many.
    pub limit: Option<u64>,
}

impl CredentialQuery {
    /// Whether a credential matches the filters (`after` and `limit` are about the list,
    /// not one credential, and are applied by the store).
    pub fn matches(&self, c: &Credential) -> bool {
        self.group.as_ref().is_none_or(|g| *g == c.group)
            && self.batch.as_ref().is_none_or(|b| *b == c.batch)
            && self.state.is_none_or(|s| s == c.state)
            && self
                .email
                .as_ref()
                .is_none_or(|e| duplicate_key(e) == duplicate_key(&c.recipient.email))
    }
}

/// The form addresses are compared and indexed in (kept under this name for stores).
pub use crate::values::email::duplicate_key as email_key;

/// Which outbox messages to list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct MessageQuery {
    /// Only messages of these credentials.
    pub credentials: Option<Vec<String>>,
    /// Only this state.
    pub state: Option<DeliveryState>,
}

impl MessageQuery {
    /// Whether a message matches.
    pub fn matches(&self, m: &OutboxMessage) -> bool {
        self.credentials
            .as_ref()
            .is_none_or(|ids| ids.contains(&m.credential))
            && self.state.is_none_or(|s| s == m.state)
    }
}

/// Counts per credential state and per delivery state.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    /// Credentials by state (`draft`, `published`, ...).
    pub credentials: BTreeMap<String, u64>,
    /// Outbox messages by state (`pending`, `sent`, ...).
    pub deliveries: BTreeMap<String, u64>,
    /// When the oldest message of each delivery state was queued (states with messages only).
    #[serde(default)]
    pub oldest: BTreeMap<String, DateTime<Utc>>,
    /// The workers holding `sending` messages, by worker id.
    #[serde(default)]
    pub leases: Vec<LeaseHolder>,
    /// Damaged messages set aside by [`Storage::claim_next`].
    #[serde(default)]
    pub set_aside: u64,
}

/// A worker holding leases.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeaseHolder {
    /// The worker's id.
    pub worker: String,
    /// How many `sending` messages it holds.
    pub messages: u64,
    /// When the last of its leases runs out.
    pub until: DateTime<Utc>,
}

impl StatusCounts {
    /// Counts one stored message into `deliveries`, `oldest` and `leases` (for stores that
    /// read their messages whole).
    pub fn count_message(&mut self, m: &OutboxMessage) {
        let state = m.state.as_str().to_owned();
        let oldest = self.oldest.entry(state.clone()).or_insert(m.queued_at);
        *oldest = (*oldest).min(m.queued_at);
        *self.deliveries.entry(state).or_default() += 1;
        if let (DeliveryState::Sending, Some(lease)) = (m.state, &m.lease) {
            self.hold(&lease.worker, 1, lease.until);
        }
    }

    /// Adds `messages` leases of `worker` running out at `until` to [`StatusCounts::leases`],
    /// kept in worker order.
    pub fn hold(&mut self, worker: &str, messages: u64, until: DateTime<Utc>) {
        match self
            .leases
            .binary_search_by(|h| h.worker.as_str().cmp(worker))
        {
            Ok(i) => {
                if let Some(h) = self.leases.get_mut(i) {
                    h.messages += messages;
                    h.until = h.until.max(until);
                }
            }
            Err(i) => self.leases.insert(
                i,
                LeaseHolder {
                    worker: worker.to_owned(),
                    messages,
                    until,
                },
            ),
        }
    }
}

impl StatusCounts {
    /// Counts with every state present, at zero where nothing is in it, and nothing else.
    pub fn zeroed() -> StatusCounts {
        StatusCounts {
            credentials: [
                CredentialState::Draft,
                CredentialState::Published,
                CredentialState::Revoked,
                CredentialState::Expired,
            ]
            .iter()
            .map(|s| (s.as_str().to_owned(), 0))
            .collect(),
            deliveries: DeliveryState::ALL
                .iter()
                .map(|s| (s.as_str().to_owned(), 0))
                .collect(),
            ..StatusCounts::default()
        }
    }
}

/// Why an address is on the suppression list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SuppressionReason {
    /// A delivery status notification said the address cannot be delivered to (a 5.x.x
    /// status with the action `failed`).
    HardBounce,
    /// The recipient reported a message as unwanted (an ARF feedback report).
    Complaint,
    /// A person put it there.
    Manual,
}

impl SuppressionReason {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            SuppressionReason::HardBounce => "hard_bounce",
            SuppressionReason::Complaint => "complaint",
            SuppressionReason::Manual => "manual",
        }
    }

    /// The reason named `name` (its snake_case name), if there is one.
    pub fn parse(name: &str) -> Option<SuppressionReason> {
        [
            SuppressionReason::HardBounce,
            SuppressionReason::Complaint,
            SuppressionReason::Manual,
        ]
        .into_iter()
        .find(|r| r.as_str() == name)
    }
}

/// An address no email is sent to: checked before every send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// The address as it was suppressed; stores key it by [`email_key`].
    pub email: String,
    /// Why.
    pub reason: SuppressionReason,
    /// When it was put on the list.
    pub at: DateTime<Utc>,
    /// What said so: the bounce's status and diagnostic, the complaint's feedback type, or
    /// the person's note.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl Suppression {
    /// What a message not sent because of this entry records as its result.
    pub fn why(&self) -> String {
        let mut why = format!(
            "{} is on the suppression list ({} since {})",
            self.email,
            self.reason.as_str(),
            self.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        if let Some(detail) = &self.detail {
            why.push_str(": ");
            why.push_str(detail);
        }
        why
    }
}

/// A version of a group as a store keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredGroup {
    /// The group's key ([`Group::key`]).
    pub key: String,
    /// Its version: 1 for the first saved, one more for each change.
    pub version: u32,
    /// The group as that version saved it.
    pub group: Group,
}

/// Where conferral keeps its state.
///
/// Every method documents its behaviour; `conformance::run` checks it. Lists come back in
/// a stable order: credentials by batch creation then insertion order, messages by queue
/// time then id.
pub trait Storage {
    /// Saves a group under [`Group::key`] as its next version, and returns the version that
    /// is now its latest.
    ///
    /// # Behavior
    /// The first version of a key is 1. A group equal to the latest version (compared as its
    /// JSON) adds no version and returns the latest's number, so saving is idempotent. Every
    /// earlier version is kept ([`Storage::stored_group`]); the group's credentials are
    /// untouched. Two callers saving the same key at once get two consecutive versions (or
    /// one, when they save the same group).
    fn put_group(&mut self, group: &Group) -> Result<u32>;

    /// A group with its version number: the latest (`version` `None`) or that version.
    ///
    /// # Behavior
    /// `Ok(None)` when there is no group with this key or no such version of it.
    fn stored_group(&self, key: &str, version: Option<u32>) -> Result<Option<StoredGroup>>;

    /// The latest version of every group, by key.
    ///
    /// # Behavior
    /// Ordered by key; empty when there is none.
    fn groups(&self) -> Result<Vec<StoredGroup>>;

    /// The latest version of the group with this key.
    ///
    /// # Behavior
    /// `Ok(None)` when there is none.
    fn group(&self, key: &str) -> Result<Option<Group>> {
        Ok(self.stored_group(key, None)?.map(|s| s.group))
    }

    /// The column mappings learned for a group (by [`Group::key`]): normalised header to
    /// attribute key, or `None` for a column the user skipped.
    ///
    /// # Behavior
    /// An empty set for a group with none, or no such group.
    fn mappings(&self, group: &str) -> Result<SavedMappings>;

    /// Replaces the learned column mappings of a group.
    ///
    /// # Behavior
    /// Idempotent; an empty set forgets them all; other groups' are untouched.
    fn put_mappings(&mut self, group: &str, mappings: &SavedMappings) -> Result<()>;

    /// Stores an import in one atomic step: the batch, its new credentials, and the new
    /// versions of the drafts it replaces.
    ///
    /// # Behavior
    /// - [`ErrorKind::Conflict`](crate::ErrorKind::Conflict), writing nothing, when the batch
    ///   id or its `(group, fingerprint)` exists, a new credential's id exists, or a replaced
    ///   credential is not the version its replacement was made from (see
    ///   [`Storage::update_credential`]).
    /// - [`ErrorKind::NotFound`](crate::ErrorKind::NotFound), writing nothing, when a replaced
    ///   credential does not exist.
    fn commit_import(
        &mut self,
        batch: &Batch,
        created: &[Credential],
        replaced: &[Credential],
    ) -> Result<()>;

    /// The batch of `group` with this fingerprint.
    ///
    /// # Behavior
    /// `Ok(None)` when the file was never imported into the group.
    fn batch_by_fingerprint(&self, group: &str, fingerprint: &str) -> Result<Option<Batch>>;

    /// The batch with this id; `Ok(None)` when there is none.
    fn batch(&self, id: &str) -> Result<Option<Batch>>;

    /// The batches, oldest first, of one group or of all.
    fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>>;

    /// The credential with this id; `Ok(None)` when there is none.
    fn credential(&self, id: &str) -> Result<Option<Credential>>;

    /// Credentials matching `query`, in insertion order.
    ///
    /// # Behavior
    /// With [`CredentialQuery::after`], only those listed after that credential; empty when
    /// no credential has that id. With [`CredentialQuery::limit`], the first that many.
    fn credentials(&self, query: &CredentialQuery) -> Result<Vec<Credential>>;

    /// How many credentials [`Storage::credentials`] would list for `query`.
    ///
    /// # Behavior
    /// The same count as listing them, whose length this default takes; a store overrides
    /// it to count without reading each credential.
    fn count_credentials(&self, query: &CredentialQuery) -> Result<u64> {
        Ok(self.credentials(query)?.len() as u64)
    }

    /// Replaces a stored credential with a new version of it (an amendment, a revocation),
    /// only if the stored one is the version the new one was made from: every change of a
    /// credential adds one history entry, so the stored history must be exactly one entry
    /// shorter. A write made from a stale read (an edit racing a publish) is refused, never
    /// applied over the other change.
    ///
    /// # Behavior
    /// - [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when no credential has its id.
    /// - [`ErrorKind::Conflict`](crate::ErrorKind::Conflict), writing nothing, when the
    ///   stored credential is not the version the new one was made from.
    fn update_credential(&mut self, credential: &Credential) -> Result<()>;

    /// Deletes the drafts among the credentials `ids` names, in one atomic step, and
    /// returns the ids deleted, in the order given. A batch left without any credential by
    /// the deletion is deleted with them, so that its file can be imported again.
    ///
    /// # Behavior
    /// - An id that is not stored, or whose credential is not a draft (published meanwhile),
    ///   is left as it is and not returned; it is not an error. An id given twice is
    ///   deleted once.
    /// - A credential with an outbox message is never deleted (a draft has none).
    /// - Atomic: every deletion, or none on an error. Deleted ids are free again; the event
    ///   log keeps what it recorded about them (it is append-only).
    fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>>;

    /// Stores a publish in one atomic step: the credentials' new versions and one new
    /// outbox message each.
    ///
    /// # Behavior
    /// - [`ErrorKind::Conflict`](crate::ErrorKind::Conflict), writing nothing, when a
    ///   message id exists already (the credential was published and queued before).
    /// - [`ErrorKind::NotFound`](crate::ErrorKind::NotFound), writing nothing, when a
    ///   credential does not exist.
    /// - [`ErrorKind::Conflict`](crate::ErrorKind::Conflict), writing nothing, when a
    ///   credential is not the version its published one was made from (a draft amended
    ///   while the publish rendered it).
    fn commit_publish(
        &mut self,
        credentials: &[Credential],
        messages: &[OutboxMessage],
    ) -> Result<()>;

    /// Reserves `count` revocation status list indexes and returns the first: the indexes
    /// `first..first + count` are never returned again by this store, to any caller. A
    /// publish gives them to its credentials ([`Credential::status_index`]).
    ///
    /// # Behavior
    /// - The first call on a new store returns 0, and each call continues after the last
    ///   one: reservations never overlap. Indexes may be skipped (a publish that fails
    ///   after reserving, or a reservation retried after a lost connection, leaves some
    ///   unused), which is harmless: an unused index is never revoked.
    /// - Atomic across every caller of the same data (threads, processes, machines).
    /// - `count` 0 returns the next index and reserves nothing.
    fn allocate_status_indexes(&mut self, count: u64) -> Result<u64>;

    /// How many status list indexes were reserved so far: one more than the highest index
    /// any credential may hold.
    fn status_indexes(&self) -> Result<u64>;

    /// Appends events to the log. An event with a `visitor` is kept once per kind,
    /// credential, visitor and day (UTC): later ones are left out. Returns how many were kept.
    ///
    /// # Behavior
    /// - Atomic: all the events kept, or none on an error.
    /// - Any number of callers may append at once; the once-a-day rule holds across them.
    fn record_events(&mut self, events: &[Event]) -> Result<u64>;

    /// Counts the events `query` matches by group, batch, kind and (when `daily`) day, each
    /// with its distinct credentials, ordered by group, batch, day and kind: exactly what
    /// [`count_events`](crate::events::count_events) gives over the same events.
    fn event_counts(&self, query: &EventQuery, daily: bool) -> Result<Vec<EventCount>>;

    /// Which of `credentials` have at least one event of `kind` in the log (a reminder asks
    /// which were viewed). Ids without such an event, or unknown, are left out.
    fn credentials_with_event(
        &self,
        kind: EventKind,
        credentials: &[String],
    ) -> Result<std::collections::BTreeSet<String>>;

    /// The secret that visitors' hashes are made with on `day` (UTC): the one kept for that
    /// day, or else `fresh`, kept now. Secrets of earlier days are forgotten.
    ///
    /// # Behavior
    /// - Every caller (any number of servers on one store, a server restarted) gets the same
    ///   secret for a day, whichever kept it first, so a visitor is counted once a day.
    /// - A day's secret is deleted once a later day's is asked for: no one can recompute an
    ///   earlier day's hashes from addresses.
    fn visitor_secret(&mut self, day: NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]>;

    /// Claims the next due message: the pending one with the earliest `next_attempt_at` not
    /// after `now` (then the lowest id), moved to `sending` with one more attempt and
    /// `lease` ([`OutboxMessage::claim`]), committed before this returns.
    ///
    /// # Behavior
    /// - `Ok(None)` when nothing is due.
    /// - Atomic across every caller of the same data (threads, processes, machines): two
    ///   callers never claim the same message, and a claim never waits on another caller's
    ///   claim for longer than the store's lock timeout.
    /// - A stored message that cannot be read (a damaged row) is set aside, kept out of every
    ///   list and counted in [`StatusCounts::set_aside`], and the next one is claimed: one
    ///   damaged message never stops a delivery.
    fn claim_next(&mut self, now: DateTime<Utc>, lease: &Lease) -> Result<Option<OutboxMessage>>;

    /// Writes a message's new state if its stored state is still `expected` and its stored
    /// `attempts` equal the new version's: every transition but a claim keeps `attempts`
    /// and each claim adds one, so a write made under an earlier claim (a worker whose lease
    /// ran out, settling after the message was recovered, resent and claimed again) is
    /// refused. This compare-and-set is what makes a lease safe.
    ///
    /// # Behavior
    /// - [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when there is no such message.
    /// - [`ErrorKind::Conflict`](crate::ErrorKind::Conflict), writing nothing, when its
    ///   stored state is not `expected` or its stored attempts differ.
    fn update_message(&mut self, message: &OutboxMessage, expected: DeliveryState) -> Result<()>;

    /// Writes several messages' new states as one unit (a resend of several credentials),
    /// each only if its stored state is still the `expected` one given with it and its
    /// attempts are the new version's, as in [`Storage::update_message`].
    ///
    /// # Behavior
    /// All or nothing: when any message is missing
    /// ([`ErrorKind::NotFound`](crate::ErrorKind::NotFound)) or not as expected
    /// ([`ErrorKind::Conflict`](crate::ErrorKind::Conflict)), nothing is written.
    fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()>;

    /// The message with this id; `Ok(None)` when there is none.
    fn message(&self, id: &str) -> Result<Option<OutboxMessage>>;

    /// Messages matching `query`, by queue time then id.
    fn messages(&self, query: &MessageQuery) -> Result<Vec<OutboxMessage>>;

    /// Queues follow-up messages (notices, reminders) of credentials already published.
    /// Each message whose credential has none of its kind yet is added as given; one whose
    /// credential has one of that kind already, in whatever state, is left out and the
    /// stored one left as it is. However often a scheduler runs, and however many run at
    /// once, a credential gets at most one message of each kind. Returns the ids added.
    ///
    /// # Behavior
    /// - Atomic: every message added, or none on an error.
    /// - Any number of callers may queue the same messages at once: each is added by one of
    ///   them. After a lost connection a store may count a message it added before it lost
    ///   the reply as one that was there already.
    fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>>;

    /// Counts per credential state and per delivery state (every state present), when the
    /// oldest message of each delivery state was queued, who holds leases, and how many
    /// damaged messages were set aside.
    fn status(&self) -> Result<StatusCounts>;

    /// Puts an address on the suppression list, unless it is there already. Returns whether
    /// it was added.
    ///
    /// # Behavior
    /// - Addresses are the same when their [`email_key`] is (case and surrounding spaces do
    ///   not count).
    /// - An address already listed keeps its entry unchanged (the first reason, time and
    ///   detail) and `Ok(false)` comes back, so adding is idempotent: a bounce processed
    ///   twice, or by two callers at once, makes one entry.
    /// - Atomic across every caller of the same data.
    fn suppress(&mut self, entry: &Suppression) -> Result<bool>;

    /// Takes an address off the suppression list. Returns whether it was listed.
    ///
    /// # Behavior
    /// Compared as in [`Storage::suppress`]; `Ok(false)` and nothing changed when it was not
    /// listed.
    fn unsuppress(&mut self, email: &str) -> Result<bool>;

    /// The suppression list's entry for an address.
    ///
    /// # Behavior
    /// Compared as in [`Storage::suppress`]; `Ok(None)` when it is not listed.
    fn suppression(&self, email: &str) -> Result<Option<Suppression>>;

    /// The whole suppression list.
    ///
    /// # Behavior
    /// Ordered by [`email_key`]; every entry exactly as it was added; empty when there is
    /// none.
    fn suppressions(&self) -> Result<Vec<Suppression>>;
}

/// A boxed store is a store, so a host can choose the implementation at run time.
impl<S: Storage + ?Sized> Storage for Box<S> {
    fn put_group(&mut self, group: &Group) -> Result<u32> {
        (**self).put_group(group)
    }
    fn stored_group(&self, key: &str, version: Option<u32>) -> Result<Option<StoredGroup>> {
        (**self).stored_group(key, version)
    }
    fn groups(&self) -> Result<Vec<StoredGroup>> {
        (**self).groups()
    }
    fn group(&self, key: &str) -> Result<Option<Group>> {
        (**self).group(key)
    }
    fn mappings(&self, group: &str) -> Result<SavedMappings> {
        (**self).mappings(group)
    }
    fn put_mappings(&mut self, group: &str, mappings: &SavedMappings) -> Result<()> {
        (**self).put_mappings(group, mappings)
    }
    fn commit_import(
        &mut self,
        batch: &Batch,
        created: &[Credential],
        replaced: &[Credential],
    ) -> Result<()> {
        (**self).commit_import(batch, created, replaced)
    }
    fn batch_by_fingerprint(&self, group: &str, fingerprint: &str) -> Result<Option<Batch>> {
        (**self).batch_by_fingerprint(group, fingerprint)
    }
    fn batch(&self, id: &str) -> Result<Option<Batch>> {
        (**self).batch(id)
    }
    fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>> {
        (**self).batches(group)
    }
    fn credential(&self, id: &str) -> Result<Option<Credential>> {
        (**self).credential(id)
    }
    fn credentials(&self, query: &CredentialQuery) -> Result<Vec<Credential>> {
        (**self).credentials(query)
    }
    fn count_credentials(&self, query: &CredentialQuery) -> Result<u64> {
        (**self).count_credentials(query)
    }
    fn update_credential(&mut self, credential: &Credential) -> Result<()> {
        (**self).update_credential(credential)
    }
    fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>> {
        (**self).delete_drafts(ids)
    }
    fn commit_publish(
        &mut self,
        credentials: &[Credential],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        (**self).commit_publish(credentials, messages)
    }
    fn allocate_status_indexes(&mut self, count: u64) -> Result<u64> {
        (**self).allocate_status_indexes(count)
    }
    fn record_events(&mut self, events: &[Event]) -> Result<u64> {
        (**self).record_events(events)
    }
    fn event_counts(&self, query: &EventQuery, daily: bool) -> Result<Vec<EventCount>> {
        (**self).event_counts(query, daily)
    }
    fn credentials_with_event(
        &self,
        kind: EventKind,
        credentials: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        (**self).credentials_with_event(kind, credentials)
    }
    fn visitor_secret(&mut self, day: NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]> {
        (**self).visitor_secret(day, fresh)
    }
    fn status_indexes(&self) -> Result<u64> {
        (**self).status_indexes()
    }
    fn claim_next(&mut self, now: DateTime<Utc>, lease: &Lease) -> Result<Option<OutboxMessage>> {
        (**self).claim_next(now, lease)
    }
    fn update_message(&mut self, message: &OutboxMessage, expected: DeliveryState) -> Result<()> {
        (**self).update_message(message, expected)
    }
    fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()> {
        (**self).update_messages(changes)
    }
    fn message(&self, id: &str) -> Result<Option<OutboxMessage>> {
        (**self).message(id)
    }
    fn messages(&self, query: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        (**self).messages(query)
    }
    fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>> {
        (**self).queue_messages(messages)
    }
    fn status(&self) -> Result<StatusCounts> {
        (**self).status()
    }
    fn suppress(&mut self, entry: &Suppression) -> Result<bool> {
        (**self).suppress(entry)
    }
    fn unsuppress(&mut self, email: &str) -> Result<bool> {
        (**self).unsuppress(email)
    }
    fn suppression(&self, email: &str) -> Result<Option<Suppression>> {
        (**self).suppression(email)
    }
    fn suppressions(&self) -> Result<Vec<Suppression>> {
        (**self).suppressions()
    }
}
