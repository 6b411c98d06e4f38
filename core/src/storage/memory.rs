//! [`MemoryStorage`]: the `Storage` contract in memory, for tests, previews and the browser.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{
    Batch, CredentialQuery, MessageQuery, StatusCounts, Storage, StoredGroup, Suppression,
    email_key,
};
use crate::error::{Error, ErrorKind, Result};
use crate::events::{Event, EventCount, EventKind, EventQuery, count_events};
use crate::group::Group;
use crate::lifecycle::{Credential, CredentialState};
use crate::matching::SavedMappings;
use crate::outbox::{DeliveryState, Lease, OutboxMessage};

/// Everything in memory; lost when dropped.
#[derive(Debug, Clone, Default)]
pub struct MemoryStorage {
    /// Visitors' secrets by day (the latest day's only).
    secrets: BTreeMap<chrono::NaiveDate, [u8; 32]>,
    /// Every version of each group, oldest first.
    groups: BTreeMap<String, Vec<Group>>,
    mappings: BTreeMap<String, SavedMappings>,
    batches: Vec<Batch>,
    /// Credentials in insertion order, with an index by id.
    credentials: Vec<Credential>,
    by_id: BTreeMap<String, usize>,
    messages: BTreeMap<String, OutboxMessage>,
    /// Status list indexes reserved so far.
    status_indexes: u64,
    /// The event log.
    events: Vec<Event>,
    /// The kind, credential, visitor and day of every event kept with a visitor.
    visits: std::collections::BTreeSet<(EventKind, String, String, chrono::NaiveDate)>,
    /// The suppression list by [`email_key`].
    suppressed: BTreeMap<String, Suppression>,
}

fn conflict(message: String) -> Error {
    Error::new(ErrorKind::Conflict, message)
}

/// Refuses a new version made from another version than the stored one (see
/// [`Storage::update_credential`]).
pub(crate) fn check_version(stored: &Credential, next: &Credential) -> Result<()> {
    if stored.history.len() + 1 == next.history.len() {
        return Ok(());
    }
    Err(conflict(format!(
        "credential `{}` changed since it was read (it has {} history entries; the new version was made from one with {}); read it again and redo the change",
        next.id,
        stored.history.len(),
        next.history.len().saturating_sub(1)
    )))
}

fn not_found(what: &str, id: &str) -> Error {
    Error::new(ErrorKind::NotFound, format!("there is no {what} `{id}`"))
}

impl MemoryStorage {
    /// An empty store.
    pub fn new() -> MemoryStorage {
        MemoryStorage::default()
    }

    /// Checks that each new version was made from the stored one, before anything is
    /// written (see [`Storage::update_credential`]).
    fn check_versions(&self, next: &[Credential]) -> Result<()> {
        for c in next {
            let stored = self
                .by_id
                .get(&c.id)
                .and_then(|&i| self.credentials.get(i))
                .ok_or_else(|| not_found("credential", &c.id))?;
            check_version(stored, c)?;
        }
        Ok(())
    }
}

impl MemoryStorage {
    /// The credentials `query` lists, in order, with its page applied.
    fn listed<'a>(&'a self, query: &'a CredentialQuery) -> impl Iterator<Item = &'a Credential> {
        let start = match &query.after {
            None => 0,
            // An unknown id lists nothing.
            Some(id) => self
                .by_id
                .get(id)
                .map_or(self.credentials.len(), |&i| i + 1),
        };
        let limit = query
            .limit
            .map_or(usize::MAX, |n| usize::try_from(n).unwrap_or(usize::MAX));
        self.credentials
            .iter()
            .skip(start)
            .filter(move |c| query.matches(c))
            .take(limit)
    }
}

impl Storage for MemoryStorage {
    fn suppress(&mut self, entry: &Suppression) -> Result<bool> {
        match self.suppressed.entry(email_key(&entry.email)) {
            std::collections::btree_map::Entry::Occupied(_) => Ok(false),
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(entry.clone());
                Ok(true)
            }
        }
    }

    fn unsuppress(&mut self, email: &str) -> Result<bool> {
        Ok(self.suppressed.remove(&email_key(email)).is_some())
    }

    fn suppression(&self, email: &str) -> Result<Option<Suppression>> {
        Ok(self.suppressed.get(&email_key(email)).cloned())
    }

    fn suppressions(&self) -> Result<Vec<Suppression>> {
        Ok(self.suppressed.values().cloned().collect())
    }

    fn put_group(&mut self, group: &Group) -> Result<u32> {
        let versions = self.groups.entry(group.key()).or_default();
        let same = match versions.last() {
            Some(latest) => serde_json::to_value(latest).ok() == serde_json::to_value(group).ok(),
            None => false,
        };
        if !same {
            versions.push(group.clone());
        }
        Ok(u32::try_from(versions.len()).unwrap_or(u32::MAX))
    }

    fn stored_group(&self, key: &str, version: Option<u32>) -> Result<Option<StoredGroup>> {
        let Some(versions) = self.groups.get(key) else {
            return Ok(None);
        };
        let number = version.unwrap_or(u32::try_from(versions.len()).unwrap_or(u32::MAX));
        let found = (number as usize)
            .checked_sub(1)
            .and_then(|i| versions.get(i))
            .map(|group| StoredGroup {
                key: key.to_owned(),
                version: number,
                group: group.clone(),
            });
        Ok(found)
    }

    fn visitor_secret(&mut self, day: chrono::NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]> {
        self.secrets.retain(|kept, _| *kept >= day);
        Ok(*self.secrets.entry(day).or_insert(*fresh))
    }

    fn groups(&self) -> Result<Vec<StoredGroup>> {
        self.groups
            .keys()
            .filter_map(|key| self.stored_group(key, None).transpose())
            .collect()
    }

    fn mappings(&self, group: &str) -> Result<SavedMappings> {
        Ok(self.mappings.get(group).cloned().unwrap_or_default())
    }

    fn put_mappings(&mut self, group: &str, mappings: &SavedMappings) -> Result<()> {
        if mappings.0.is_empty() {
            self.mappings.remove(group);
        } else {
            self.mappings.insert(group.to_owned(), mappings.clone());
        }
        Ok(())
    }

    fn commit_import(
        &mut self,
        batch: &Batch,
        created: &[Credential],
        replaced: &[Credential],
    ) -> Result<()> {
        if self.batches.iter().any(|b| b.id == batch.id) {
            return Err(conflict(format!("batch `{}` exists already", batch.id)));
        }
        if self
            .batches
            .iter()
            .any(|b| b.group == batch.group && b.fingerprint == batch.fingerprint)
        {
            return Err(conflict(format!(
                "this file was imported into group `{}` already",
                batch.group
            )));
        }
        let mut new_ids = std::collections::BTreeSet::new();
        for c in created {
            if self.by_id.contains_key(&c.id) || !new_ids.insert(c.id.as_str()) {
                return Err(conflict(format!("credential `{}` exists already", c.id)));
            }
        }
        self.check_versions(replaced)?;
        self.batches.push(batch.clone());
        for c in created {
            self.by_id.insert(c.id.clone(), self.credentials.len());
            self.credentials.push(c.clone());
        }
        for c in replaced {
            self.update_credential(c)?;
        }
        Ok(())
    }

    fn batch_by_fingerprint(&self, group: &str, fingerprint: &str) -> Result<Option<Batch>> {
        Ok(self
            .batches
            .iter()
            .find(|b| b.group == group && b.fingerprint == fingerprint)
            .cloned())
    }

    fn batch(&self, id: &str) -> Result<Option<Batch>> {
        Ok(self.batches.iter().find(|b| b.id == id).cloned())
    }

    fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>> {
        Ok(self
            .batches
            .iter()
            .filter(|b| group.is_none_or(|g| g == b.group))
            .cloned()
            .collect())
    }

    fn credential(&self, id: &str) -> Result<Option<Credential>> {
        Ok(self
            .by_id
            .get(id)
            .and_then(|&i| self.credentials.get(i))
            .cloned())
    }

    fn credentials(&self, query: &CredentialQuery) -> Result<Vec<Credential>> {
        Ok(self.listed(query).cloned().collect())
    }

    fn count_credentials(&self, query: &CredentialQuery) -> Result<u64> {
        Ok(self.listed(query).count() as u64)
    }

    fn update_credential(&mut self, credential: &Credential) -> Result<()> {
        let slot = self
            .by_id
            .get(&credential.id)
            .and_then(|&i| self.credentials.get_mut(i))
            .ok_or_else(|| not_found("credential", &credential.id))?;
        check_version(slot, credential)?;
        *slot = credential.clone();
        Ok(())
    }

    fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>> {
        let queued: std::collections::BTreeSet<&str> = self
            .messages
            .values()
            .map(|m| m.credential.as_str())
            .collect();
        let mut deleted = Vec::new();
        let mut gone = std::collections::BTreeSet::new();
        let mut batches = std::collections::BTreeSet::new();
        for id in ids {
            let Some(c) = self.by_id.get(id).and_then(|&i| self.credentials.get(i)) else {
                continue;
            };
            if c.state == CredentialState::Draft
                && !queued.contains(id.as_str())
                && gone.insert(id.clone())
            {
                batches.insert(c.batch.clone());
                deleted.push(id.clone());
            }
        }
        if deleted.is_empty() {
            return Ok(deleted);
        }
        self.credentials.retain(|c| !gone.contains(&c.id));
        self.by_id = self
            .credentials
            .iter()
            .enumerate()
            .map(|(i, c)| (c.id.clone(), i))
            .collect();
        let kept: std::collections::BTreeSet<&str> =
            self.credentials.iter().map(|c| c.batch.as_str()).collect();
        self.batches
            .retain(|b| !batches.contains(&b.id) || kept.contains(b.id.as_str()));
        Ok(deleted)
    }

    fn commit_publish(
        &mut self,
        credentials: &[Credential],
        messages: &[OutboxMessage],
    ) -> Result<()> {
        self.check_versions(credentials)?;
        let mut new_ids = std::collections::BTreeSet::new();
        for m in messages {
            if self.messages.contains_key(&m.id) || !new_ids.insert(m.id.as_str()) {
                return Err(conflict(format!("message `{}` is queued already", m.id)));
            }
        }
        for c in credentials {
            self.update_credential(c)?;
        }
        for m in messages {
            self.messages.insert(m.id.clone(), m.clone());
        }
        Ok(())
    }

    fn allocate_status_indexes(&mut self, count: u64) -> Result<u64> {
        let first = self.status_indexes;
        self.status_indexes = first.checked_add(count).ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidValue,
                format!("{count} more status list indexes would overflow"),
            )
        })?;
        Ok(first)
    }

    fn status_indexes(&self) -> Result<u64> {
        Ok(self.status_indexes)
    }

    fn record_events(&mut self, events: &[Event]) -> Result<u64> {
        let mut kept = 0;
        for e in events {
            if let Some(visitor) = &e.visitor {
                let key = (e.kind, e.credential.clone(), visitor.clone(), e.day());
                if !self.visits.insert(key) {
                    continue;
                }
            }
            self.events.push(e.clone());
            kept += 1;
        }
        Ok(kept)
    }

    fn event_counts(&self, query: &EventQuery, daily: bool) -> Result<Vec<EventCount>> {
        Ok(count_events(&self.events, query, daily))
    }

    fn credentials_with_event(
        &self,
        kind: EventKind,
        credentials: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        let wanted: std::collections::BTreeSet<&str> =
            credentials.iter().map(String::as_str).collect();
        Ok(self
            .events
            .iter()
            .filter(|e| e.kind == kind && wanted.contains(e.credential.as_str()))
            .map(|e| e.credential.clone())
            .collect())
    }

    fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>> {
        let mut added = Vec::new();
        for m in messages {
            if self.messages.contains_key(&m.id) {
                continue;
            }
            self.messages.insert(m.id.clone(), m.clone());
            added.push(m.id.clone());
        }
        Ok(added)
    }

    fn claim_next(&mut self, now: DateTime<Utc>, lease: &Lease) -> Result<Option<OutboxMessage>> {
        let next = self
            .messages
            .values()
            .filter(|m| m.is_due(now))
            .min_by(|a, b| (a.next_attempt_at, &a.id).cmp(&(b.next_attempt_at, &b.id)))
            .map(|m| m.id.clone());
        let Some(id) = next else {
            return Ok(None);
        };
        let Some(message) = self.messages.get_mut(&id) else {
            return Ok(None);
        };
        let claimed = message.claim(now, lease)?;
        *message = claimed.clone();
        Ok(Some(claimed))
    }

    fn update_message(&mut self, message: &OutboxMessage, expected: DeliveryState) -> Result<()> {
        self.update_messages(&[(message.clone(), expected)])
    }

    fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()> {
        // Every change is checked before any is written: all or nothing.
        for (message, expected) in changes {
            let stored = self
                .messages
                .get(&message.id)
                .ok_or_else(|| not_found("message", &message.id))?;
            if stored.state != *expected {
                return Err(conflict(format!(
                    "message `{}` is {}, not {}",
                    message.id,
                    stored.state.as_str(),
                    expected.as_str()
                )));
            }
            if stored.attempts != message.attempts {
                return Err(conflict(format!(
                    "message `{}` was claimed again since (attempt {}, not {})",
                    message.id, stored.attempts, message.attempts
                )));
            }
        }
        for (message, _) in changes {
            self.messages.insert(message.id.clone(), message.clone());
        }
        Ok(())
    }

    fn message(&self, id: &str) -> Result<Option<OutboxMessage>> {
        Ok(self.messages.get(id).cloned())
    }

    fn messages(&self, query: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        let mut out: Vec<OutboxMessage> = self
            .messages
            .values()
            .filter(|m| query.matches(m))
            .cloned()
            .collect();
        out.sort_by(|a, b| (a.queued_at, &a.id).cmp(&(b.queued_at, &b.id)));
        Ok(out)
    }

    fn status(&self) -> Result<StatusCounts> {
        let mut counts = StatusCounts::zeroed();
        for c in &self.credentials {
            *counts
                .credentials
                .entry(c.state.as_str().to_owned())
                .or_default() += 1;
        }
        for m in self.messages.values() {
            counts.count_message(m);
        }
        Ok(counts)
    }
}
