//! The storage contract, run against the in-memory store.

#![allow(clippy::panic, reason = "a test fails by panicking")]

#[test]
fn memory_storage_conforms() {
    if let Err(failure) =
        conferral::storage::conformance::run(conferral::storage::MemoryStorage::new)
    {
        panic!("{failure}");
    }
}

use chrono::{DateTime, Utc};
use conferral::Result;
use conferral::group::Group;
use conferral::lifecycle::Credential;
use conferral::outbox::{DeliveryState, Lease, OutboxMessage};
use conferral::storage::{
    Batch, CredentialQuery, MemoryStorage, MessageQuery, StatusCounts, Storage,
};

/// A store with one rule broken, to show that the suite notices.
struct Broken {
    inner: MemoryStorage,
    /// A refused publish still writes its credentials.
    partial_publish: bool,
    /// Claims hand out a message without recording it as sending.
    forgetful_claims: bool,
    /// Settles check the state but not the attempt (no fence).
    unfenced: bool,
    /// Status list reservations hand out the next index without reserving it.
    reused_indexes: bool,
}

impl Storage for Broken {
    fn put_group(&mut self, group: &Group) -> Result<u32> {
        self.inner.put_group(group)
    }
    fn stored_group(
        &self,
        key: &str,
        version: Option<u32>,
    ) -> Result<Option<conferral::storage::StoredGroup>> {
        self.inner.stored_group(key, version)
    }
    fn groups(&self) -> Result<Vec<conferral::storage::StoredGroup>> {
        self.inner.groups()
    }
    fn visitor_secret(&mut self, day: chrono::NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]> {
        self.inner.visitor_secret(day, fresh)
    }
    fn group(&self, key: &str) -> Result<Option<Group>> {
        self.inner.group(key)
    }
    fn mappings(&self, group: &str) -> Result<conferral::matching::SavedMappings> {
        self.inner.mappings(group)
    }
    fn put_mappings(
        &mut self,
        group: &str,
        mappings: &conferral::matching::SavedMappings,
    ) -> Result<()> {
        self.inner.put_mappings(group, mappings)
    }
    fn commit_import(&mut self, b: &Batch, c: &[Credential], r: &[Credential]) -> Result<()> {
        self.inner.commit_import(b, c, r)
    }
    fn batch_by_fingerprint(&self, g: &str, f: &str) -> Result<Option<Batch>> {
        self.inner.batch_by_fingerprint(g, f)
    }
    fn batch(&self, id: &str) -> Result<Option<Batch>> {
        self.inner.batch(id)
    }
    fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>> {
        self.inner.batches(group)
    }
    fn credential(&self, id: &str) -> Result<Option<Credential>> {
        self.inner.credential(id)
    }
    fn credentials(&self, q: &CredentialQuery) -> Result<Vec<Credential>> {
        self.inner.credentials(q)
    }
    fn count_credentials(&self, q: &CredentialQuery) -> Result<u64> {
        self.inner.count_credentials(q)
    }
    fn update_credential(&mut self, c: &Credential) -> Result<()> {
        self.inner.update_credential(c)
    }
    fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>> {
        self.inner.delete_drafts(ids)
    }
    fn commit_publish(&mut self, c: &[Credential], m: &[OutboxMessage]) -> Result<()> {
        let done = self.inner.commit_publish(c, m);
        if done.is_err() && self.partial_publish {
            // Not atomic: the credentials are written though the messages were refused.
            for one in c {
                let _ = self.inner.update_credential(one);
            }
        }
        done
    }
    fn claim_next(&mut self, now: DateTime<Utc>, lease: &Lease) -> Result<Option<OutboxMessage>> {
        if self.forgetful_claims {
            let due = self
                .inner
                .messages(&MessageQuery::default())?
                .into_iter()
                .find(|m| m.is_due(now));
            return due.map(|m| m.claim(now, lease)).transpose();
        }
        self.inner.claim_next(now, lease)
    }
    fn update_message(&mut self, m: &OutboxMessage, expected: DeliveryState) -> Result<()> {
        if self.unfenced {
            // Writes over whatever attempt is stored, as long as the state matches.
            let stored = self.inner.message(&m.id)?;
            if let Some(stored) = stored.filter(|s| s.state == expected) {
                let forged = OutboxMessage {
                    attempts: stored.attempts,
                    ..m.clone()
                };
                return self.inner.update_message(&forged, expected);
            }
        }
        self.inner.update_message(m, expected)
    }
    fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()> {
        self.inner.update_messages(changes)
    }
    fn message(&self, id: &str) -> Result<Option<OutboxMessage>> {
        self.inner.message(id)
    }
    fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>> {
        self.inner.queue_messages(messages)
    }
    fn credentials_with_event(
        &self,
        kind: conferral::events::EventKind,
        credentials: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        self.inner.credentials_with_event(kind, credentials)
    }
    fn messages(&self, q: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        self.inner.messages(q)
    }
    fn allocate_status_indexes(&mut self, count: u64) -> Result<u64> {
        if self.reused_indexes {
            return self.inner.status_indexes();
        }
        self.inner.allocate_status_indexes(count)
    }
    fn status_indexes(&self) -> Result<u64> {
        self.inner.status_indexes()
    }
    fn record_events(&mut self, events: &[conferral::events::Event]) -> Result<u64> {
        self.inner.record_events(events)
    }
    fn event_counts(
        &self,
        query: &conferral::events::EventQuery,
        daily: bool,
    ) -> Result<Vec<conferral::events::EventCount>> {
        self.inner.event_counts(query, daily)
    }
    fn status(&self) -> Result<StatusCounts> {
        self.inner.status()
    }
    fn suppress(&mut self, entry: &conferral::storage::Suppression) -> Result<bool> {
        self.inner.suppress(entry)
    }
    fn unsuppress(&mut self, email: &str) -> Result<bool> {
        self.inner.unsuppress(email)
    }
    fn suppression(&self, email: &str) -> Result<Option<conferral::storage::Suppression>> {
        self.inner.suppression(email)
    }
    fn suppressions(&self) -> Result<Vec<conferral::storage::Suppression>> {
        self.inner.suppressions()
    }
}

#[test]
fn the_suite_catches_a_broken_store() {
    let partial = conferral::storage::conformance::run(|| Broken {
        inner: MemoryStorage::new(),
        partial_publish: true,
        forgetful_claims: false,
        unfenced: false,
        reused_indexes: false,
    });
    assert_eq!(
        partial.map_err(|f| f.check),
        Err("publishing is atomic with one message per credential")
    );
    let forgetful = conferral::storage::conformance::run(|| Broken {
        inner: MemoryStorage::new(),
        partial_publish: false,
        forgetful_claims: true,
        unfenced: false,
        reused_indexes: false,
    });
    assert_eq!(
        forgetful.map_err(|f| f.check),
        Err("due messages are claimed once, in order")
    );
    let unfenced = conferral::storage::conformance::run(|| Broken {
        inner: MemoryStorage::new(),
        partial_publish: false,
        forgetful_claims: false,
        unfenced: true,
        reused_indexes: false,
    });
    assert_eq!(
        unfenced.map_err(|f| f.check),
        Err("a write made under an earlier claim is refused")
    );
    let reused = conferral::storage::conformance::run(|| Broken {
        inner: MemoryStorage::new(),
        partial_publish: false,
        forgetful_claims: false,
        unfenced: false,
        reused_indexes: true,
    });
    assert_eq!(
        reused.map_err(|f| f.check),
        Err("status list indexes are reserved once, in order")
    );
}

#[test]
fn a_boxed_store_conforms() {
    let boxed =
        conferral::storage::conformance::run(|| Box::new(MemoryStorage::new()) as Box<dyn Storage>);
    assert_eq!(boxed.map_err(|f| f.to_string()), Ok(()));
}
