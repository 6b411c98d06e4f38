//! Publishing drafts: every email is rendered first, then the credentials and their queued
//! emails are stored in one atomic step.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
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
}

/// Only the drafts among what `query` finds.
fn drafts_of(query: CredentialQuery) -> CredentialQuery {
    CredentialQuery {
        state: Some(CredentialState::Draft),
        ..query
    }
}

impl<S: Storage> Issuer<S> {
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
        let mut outcome = PublishOutcome::default();
        let chosen = self.drafts_selected(selection, actor, now, &mut outcome)?;
        let mut renderers: BTreeMap<String, Renderer> = BTreeMap::new();
        let mut published = Vec::with_capacity(chosen.len());
        let mut messages = Vec::with_capacity(chosen.len());
        let total = chosen.len() as u64;
        for (done, credential) in chosen.iter().enumerate() {
            now_and_then(progress, Step::Rendering, done, total);
            let message = self.issued_message(&mut renderers, credential, now)?;
            published.push(credential.publish(actor, now)?.credential);
            messages.push(message);
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

    /// The drafts a selection names. Selected ids already published go to `outcome`; a
    /// selected id that is revoked or expired stops the publish with the reason.
    fn drafts_selected(
        &self,
        selection: &Selection,
        actor: &str,
        now: DateTime<Utc>,
        outcome: &mut PublishOutcome,
    ) -> Result<Vec<Credential>> {
        match selection {
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
                Ok(chosen)
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
                }))
            }
            Selection::Group(group) => self.store.credentials(&drafts_of(CredentialQuery {
                group: Some(group.clone()),
                ..CredentialQuery::default()
            })),
            Selection::All => self
                .store
                .credentials(&drafts_of(CredentialQuery::default())),
        }
    }

    /// The email announcing `credential`, rendered with its group's renderer (compiled once
    /// per group and kept in `renderers`) and queued as an outbox message.
    fn issued_message(
        &self,
        renderers: &mut BTreeMap<String, Renderer>,
        credential: &Credential,
        now: DateTime<Utc>,
    ) -> Result<OutboxMessage> {
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
                    format!(
                        "nothing was published: the email of credential `{}` cannot be rendered: {e}",
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
