//! Publishing drafts: every email is rendered first, then the credentials and their queued
//! emails are stored in one atomic step.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::events::EventKind;
use crate::lifecycle::{Credential, CredentialState};
use crate::outbox::{MessageKind, OutboxMessage};
use crate::render::Renderer;
use crate::storage::{CredentialQuery, Storage};

use super::{Issuer, Step, StepProgress, now_and_then};

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

impl Selection {
    /// The selection a caller asked for with three optional parts: every draft, the drafts
    /// of a batch, or these ids (an empty list selects nothing). Exactly one must be given.
    ///
    /// ```
    /// use conferral::issuer::Selection;
    /// assert_eq!(Selection::one_of(true, None, None)?, Selection::All);
    /// assert!(Selection::one_of(true, Some("b1".into()), None).is_err());
    /// # Ok::<(), conferral::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] when none or several are given.
    pub fn one_of(all: bool, batch: Option<String>, ids: Option<Vec<String>>) -> Result<Selection> {
        match (all, batch, ids) {
            (true, None, None) => Ok(Selection::All),
            (false, Some(batch), None) => Ok(Selection::Batch(batch)),
            (false, None, Some(ids)) => Ok(Selection::Ids(ids)),
            _ => Err(Error::new(
                ErrorKind::InvalidValue,
                "give exactly one of all drafts, a batch or credential ids",
            )),
        }
    }
}

/// What a publish did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishOutcome {
    /// Credentials published now, each with one email queued.
    pub published: Vec<String>,
    /// Selected credentials that were published before (nothing done again).
    pub already_published: Vec<String>,
    /// Selected drafts left as drafts because their email could not be rendered, each with
    /// the reason; the rest of the selection is published.
    #[serde(default)]
    pub refused: Vec<Refused>,
}

/// A draft a publish left alone, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    /// The credential.
    pub id: String,
    /// The error kind's code (`invalid_template`, `invalid_value`, ...).
    pub code: String,
    /// What went wrong, and how to fix it.
    pub message: String,
}

/// Drafts rendered and stored per atomic step: memory stays flat however large the batch.
pub const PUBLISH_CHUNK: usize = 5000;

/// How often a chunk is read again and rendered anew when a draft in it changed meanwhile.
const CHUNK_ATTEMPTS: usize = 4;

/// Only the drafts among what `query` finds.
fn drafts_of(query: CredentialQuery) -> CredentialQuery {
    CredentialQuery {
        state: Some(CredentialState::Draft),
        ..query
    }
}

/// The drafts one publish works through, a chunk at a time.
enum Pending {
    /// Drafts named by id, in the order given.
    Ids(std::vec::IntoIter<String>),
    /// The drafts a query finds, after the last one read.
    Query {
        query: CredentialQuery,
        after: Option<String>,
    },
}

/// The refusal of a revoked or expired credential named in a publish.
fn not_a_draft(c: Credential) -> Refused {
    Refused {
        message: format!(
            "credential `{}` is {} and cannot be published again; issue a new one",
            c.id,
            c.state.as_str()
        ),
        code: ErrorKind::IllegalTransition.as_str().to_owned(),
        id: c.id,
    }
}

/// The version of a group drafts are published under: its email renderer, its number and
/// its validity period.
struct IssuedUnder {
    renderer: Renderer,
    version: u32,
    validity: Option<crate::group::Validity>,
}

impl<S: Storage> Issuer<S> {
    /// Publishes drafts in chunks of [`PUBLISH_CHUNK`]: each chunk's emails are rendered,
    /// then its credentials are marked published with one email queued each in one atomic
    /// step, so memory does not grow with the batch. A publish that stops part way leaves
    /// every chunk before it published and the rest as drafts: running it again publishes
    /// the rest, never a credential twice.
    ///
    /// A draft changed while its chunk rendered (an edit) is read again and rendered anew,
    /// never overwritten. A draft whose email cannot be rendered stays a draft and is listed
    /// in [`PublishOutcome::refused`] with the reason. Selected credentials published before
    /// are reported, not queued again; one named by id that is revoked or expired is listed
    /// in `refused` with the reason, and the rest are published.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or batch, before anything changes;
    /// [`ErrorKind::Conflict`] when a chunk keeps
    /// changing under the publish; a group, template or store error.
    pub fn publish(
        &mut self,
        selection: &Selection,
        actor: &str,
        now: DateTime<Utc>,
        progress: &mut dyn FnMut(StepProgress),
    ) -> Result<PublishOutcome> {
        let mut outcome = PublishOutcome::default();
        let (mut pending, total) = self.pending(selection, &mut outcome)?;
        let mut renderers: BTreeMap<String, IssuedUnder> = BTreeMap::new();
        let mut done = 0usize;
        loop {
            let chunk = self.next_chunk(&mut pending, &mut outcome)?;
            if chunk.is_empty() {
                break;
            }
            now_and_then(progress, Step::Rendering, done, total);
            done += chunk.len();
            let storing = StepProgress {
                step: Step::Storing,
                done: done as u64,
                total,
            };
            self.publish_chunk(chunk, &mut renderers, actor, now, &mut outcome, &mut || {
                progress(storing);
            })?;
        }
        Ok(outcome)
    }

    /// What a selection names, checked before anything changes, and how many drafts that
    /// is. Selected ids already published go to `outcome`, and so does the refusal of a
    /// selected id that is revoked or expired: the rest are published.
    fn pending(
        &self,
        selection: &Selection,
        outcome: &mut PublishOutcome,
    ) -> Result<(Pending, u64)> {
        let query = match selection {
            Selection::Ids(ids) => {
                let mut drafts = Vec::new();
                for id in ids {
                    let c = self.get(id)?;
                    match c.state {
                        CredentialState::Draft => drafts.push(c.id),
                        CredentialState::Published => outcome.already_published.push(c.id),
                        // Revoked or expired: refused with the reason, and the rest are
                        // published.
                        CredentialState::Revoked | CredentialState::Expired => {
                            outcome.refused.push(not_a_draft(c));
                        }
                    }
                }
                let total = drafts.len() as u64;
                return Ok((Pending::Ids(drafts.into_iter()), total));
            }
            Selection::Batch(batch) => {
                if self.store.batch(batch)?.is_none() {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!("there is no batch `{batch}`"),
                    ));
                }
                drafts_of(CredentialQuery {
                    batch: Some(batch.clone()),
                    ..CredentialQuery::default()
                })
            }
            Selection::Group(group) => drafts_of(CredentialQuery {
                group: Some(group.clone()),
                ..CredentialQuery::default()
            }),
            Selection::All => drafts_of(CredentialQuery::default()),
        };
        let total = self.store.count_credentials(&query)?;
        Ok((Pending::Query { query, after: None }, total))
    }

    /// The next drafts to publish, at most [`PUBLISH_CHUNK`]; empty when none are left.
    fn next_chunk(
        &self,
        pending: &mut Pending,
        outcome: &mut PublishOutcome,
    ) -> Result<Vec<Credential>> {
        match pending {
            Pending::Ids(ids) => {
                let mut chunk = Vec::new();
                for id in ids.by_ref() {
                    let c = self.get(&id)?;
                    match c.state {
                        CredentialState::Draft => chunk.push(c),
                        CredentialState::Published => outcome.already_published.push(c.id),
                        // Revoked or expired since the selection was checked.
                        CredentialState::Revoked | CredentialState::Expired => {
                            outcome.refused.push(not_a_draft(c));
                        }
                    }
                    if chunk.len() == PUBLISH_CHUNK {
                        break;
                    }
                }
                Ok(chunk)
            }
            Pending::Query { query, after } => {
                let chunk = self.store.credentials(&CredentialQuery {
                    after: after.clone(),
                    limit: Some(PUBLISH_CHUNK as u64),
                    ..query.clone()
                })?;
                if let Some(last) = chunk.last() {
                    *after = Some(last.id.clone());
                }
                Ok(chunk)
            }
        }
    }

    /// Renders and stores one chunk in one atomic step (`storing` is told just before).
    /// When a draft in it changed since it was read, the chunk is read again: drafts are rendered anew, credentials published
    /// meanwhile are reported as published before.
    fn publish_chunk(
        &mut self,
        mut chunk: Vec<Credential>,
        renderers: &mut BTreeMap<String, IssuedUnder>,
        actor: &str,
        now: DateTime<Utc>,
        outcome: &mut PublishOutcome,
        storing: &mut dyn FnMut(),
    ) -> Result<()> {
        for attempt in 1..=CHUNK_ATTEMPTS {
            let mut published = Vec::with_capacity(chunk.len());
            let mut messages = Vec::with_capacity(chunk.len());
            let mut refused = Vec::new();
            for credential in &chunk {
                let under = self.renderer_of(renderers, credential)?;
                // A group's validity period gives an expiry date to a credential without
                // one, before its email is rendered (the email may show it).
                let mut credential = credential.clone();
                if credential.expires_on.is_none()
                    && let Some(validity) = under.validity
                {
                    let issued = credential.issued_on.unwrap_or_else(|| now.date_naive());
                    credential.expires_on = validity.expires(issued);
                }
                match self.issued_message(&under.renderer, &credential, now) {
                    Ok(message) => {
                        let mut issued = credential.publish(actor, now)?.credential;
                        issued.group_version = Some(under.version);
                        published.push(issued);
                        messages.push(message);
                    }
                    // The group's templates compiled: what fails is this recipient's email.
                    Err(e) => {
                        refused.push(Refused {
                            id: credential.id.clone(),
                            code: e.kind().as_str().to_owned(),
                            message: e.to_string(),
                        });
                    }
                }
            }
            let stored = if published.is_empty() {
                Ok(())
            } else {
                storing();
                self.give_status_indexes(&mut published)?;
                self.store.commit_publish(&published, &messages)
            };
            match stored {
                Ok(()) => {
                    self.record(&published, EventKind::Published, now);
                    outcome
                        .published
                        .extend(published.into_iter().map(|c| c.id));
                    outcome.refused.extend(refused);
                    return Ok(());
                }
                Err(e) if e.kind() == ErrorKind::Conflict && attempt < CHUNK_ATTEMPTS => {
                    chunk = self.reread(&chunk, outcome)?;
                }
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// Gives each credential being published its place in the issuer's revocation status
    /// list, reserved from the store.
    fn give_status_indexes(&mut self, published: &mut [Credential]) -> Result<()> {
        let first = self.store.allocate_status_indexes(published.len() as u64)?;
        for (index, credential) in (first..).zip(published.iter_mut()) {
            credential.status_index = Some(index);
        }
        Ok(())
    }

    /// The drafts of `chunk` as stored now; those no longer drafts go to `outcome`.
    fn reread(
        &self,
        chunk: &[Credential],
        outcome: &mut PublishOutcome,
    ) -> Result<Vec<Credential>> {
        let mut drafts = Vec::with_capacity(chunk.len());
        for old in chunk {
            let now = self.get(&old.id)?;
            match now.state {
                CredentialState::Draft => drafts.push(now),
                CredentialState::Published => outcome.already_published.push(now.id),
                // Revoked or expired meanwhile: nothing to publish.
                _ => {}
            }
        }
        Ok(drafts)
    }

    /// What a draft is published under: the latest version of its group, compiled once per
    /// group and kept in `renderers`. A group whose templates do not compile stops the
    /// publish.
    fn renderer_of<'r>(
        &self,
        renderers: &'r mut BTreeMap<String, IssuedUnder>,
        credential: &Credential,
    ) -> Result<&'r IssuedUnder> {
        if !renderers.contains_key(&credential.group) {
            let stored = self.stored_group_of(credential)?;
            let under = IssuedUnder {
                renderer: self.renderer(&stored.group)?,
                version: stored.version,
                validity: stored.group.validity,
            };
            renderers.insert(credential.group.clone(), under);
        }
        renderers
            .get(&credential.group)
            .ok_or_else(|| Error::new(ErrorKind::InvalidTemplate, "no renderer for the group"))
    }

    /// The email announcing `credential`, queued as an outbox message.
    fn issued_message(
        &self,
        renderer: &Renderer,
        credential: &Credential,
        now: DateTime<Utc>,
    ) -> Result<OutboxMessage> {
        let email = renderer.render(&credential.merge_fields()).map_err(|e| {
            Error::new(
                e.kind(),
                format!(
                    "the email of credential `{}` cannot be rendered: {e}",
                    credential.id
                ),
            )
        })?;
        Ok(OutboxMessage::queue(
            &credential.id,
            MessageKind::Issued,
            email,
            &self.sender_domain,
            now,
        ))
    }
}
