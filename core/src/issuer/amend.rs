//! Changes to stored credentials after their import: amend a draft, revoke, expire.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::events::EventKind;
use crate::lifecycle::{Amendment, Credential, CredentialState};
use crate::storage::{CredentialQuery, Storage};
use crate::values::email::duplicate_key;

use super::query::Selected;
use super::{Issuer, Refused, Selection};

/// What a revocation of several credentials did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevokeOutcome {
    /// Credentials revoked now.
    pub revoked: Vec<String>,
    /// Credentials that were revoked before (nothing done again).
    pub already_revoked: Vec<String>,
    /// Credentials left as they were, each with the reason (a draft, or one that changed
    /// while it was being revoked).
    pub refused: Vec<Refused>,
}

impl<S: Storage> Issuer<S> {
    /// Amends a draft; the values are validated with the rules of an import.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`],
    /// [`ErrorKind::IllegalTransition`] (not a draft) or
    /// [`ErrorKind::InvalidValue`] (with every problem in the
    /// message); [`ErrorKind::Conflict`] when the credential changed meanwhile (a publish
    /// committed between the read and the write): nothing is written.
    pub fn amend(
        &mut self,
        id: &str,
        amendment: &Amendment,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Credential> {
        let credential = self.get(id)?;
        let group = self.group_of(&credential)?;
        let schema = group.schema()?;
        let next = credential.amend(&schema, amendment, actor, now)?.credential;
        // A new address meets the group's duplicate policy as an imported row would.
        let address = duplicate_key(&next.recipient.email);
        if address != duplicate_key(&credential.recipient.email)
            && let Some(other) = self
                .live_by_recipient(&group, &credential.group)?
                .get(&address)
                .filter(|other| other.id != credential.id)
        {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                format!(
                    "the amendment of credential `{}` was not applied: credential `{}` of the group is already for {}, and the group's duplicate policy allows one per recipient",
                    credential.id, other.id, next.recipient.email
                ),
            ));
        }
        // An amendment that changes nothing writes nothing (it adds no history entry).
        if next.history.len() == credential.history.len() {
            return Ok(next);
        }
        self.store.update_credential(&next)?;
        Ok(next)
    }

    /// Revokes a published or expired credential.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] or
    /// [`ErrorKind::IllegalTransition`] (a draft, or
    /// revoked).
    pub fn revoke(
        &mut self,
        id: &str,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Credential> {
        let next = self.get(id)?.revoke(reason, actor, now)?.credential;
        self.store.update_credential(&next)?;
        self.record(std::slice::from_ref(&next), EventKind::Revoked, now);
        Ok(next)
    }

    /// Revokes every credential a selection names, each in its own step, so that one that
    /// cannot be revoked leaves the rest revoked. [`Selection::Batch`] and
    /// [`Selection::Group`] revoke their published and expired credentials (their drafts
    /// are left alone: delete those instead); [`Selection::All`] is refused, as too easy to
    /// give by mistake.
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for an empty reason or [`Selection::All`];
    /// [`ErrorKind::NotFound`] for an unknown id or batch, before anything changes; a store
    /// failure (what was revoked before it stays revoked).
    pub fn revoke_selection(
        &mut self,
        selection: &Selection,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<RevokeOutcome> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "give the reason for the revocation: recipients and verifiers are told it",
            ));
        }
        if *selection == Selection::All {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "revoking every credential at once is not offered: name ids, a batch or a group",
            ));
        }
        let mut outcome = RevokeOutcome::default();
        match self.select(selection, super::PUBLISH_CHUNK as u64)? {
            Selected::Named(named) => {
                for credential in named {
                    self.revoke_one(credential, reason, actor, now, &mut outcome)?;
                }
            }
            Selected::Found(mut pager) => loop {
                let page = pager.next(&self.store)?;
                if page.is_empty() {
                    break;
                }
                for credential in page {
                    if credential.state != CredentialState::Draft {
                        self.revoke_one(credential, reason, actor, now, &mut outcome)?;
                    }
                }
            },
        }
        Ok(outcome)
    }

    /// Revokes one credential into `outcome`: a revoked one is reported as such, one that
    /// cannot be revoked (a draft, or changed meanwhile) is refused with the reason.
    fn revoke_one(
        &mut self,
        credential: Credential,
        reason: &str,
        actor: &str,
        now: DateTime<Utc>,
        outcome: &mut RevokeOutcome,
    ) -> Result<()> {
        if credential.state == CredentialState::Revoked {
            outcome.already_revoked.push(credential.id);
            return Ok(());
        }
        let done = credential.revoke(reason, actor, now).and_then(|t| {
            self.store.update_credential(&t.credential)?;
            Ok(t.credential)
        });
        match done {
            Ok(revoked) => {
                self.record(std::slice::from_ref(&revoked), EventKind::Revoked, now);
                outcome.revoked.push(credential.id);
            }
            Err(e) if matches!(e.kind(), ErrorKind::IllegalTransition | ErrorKind::Conflict) => {
                outcome.refused.push(Refused {
                    id: credential.id,
                    code: e.kind().as_str().to_owned(),
                    message: e.to_string(),
                });
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Marks every published credential whose expiry date is before `now`'s date (UTC) as
    /// expired; returns their ids. See [`Issuer::expire_before`].
    ///
    /// # Errors
    /// A store failure.
    pub fn expire_due(&mut self, actor: &str, now: DateTime<Utc>) -> Result<Vec<String>> {
        self.expire_before(now.date_naive(), actor, now)
    }

    /// Marks every published credential whose expiry date is before `today` as expired, a
    /// page at a time; returns their ids. An expiry date is a date, not an instant: a
    /// credential that expires on 2 March is valid all that day and expires on the 3rd, in
    /// whatever time zone the caller's `today` is (a scheduler passes its own date). A
    /// credential changed by someone else meanwhile is left for the next run.
    ///
    /// # Errors
    /// A store failure.
    pub fn expire_before(
        &mut self,
        today: chrono::NaiveDate,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let mut pager = super::query::Pager::new(
            CredentialQuery {
                state: Some(CredentialState::Published),
                ..CredentialQuery::default()
            },
            1_000,
        );
        let mut expired = Vec::new();
        loop {
            let page = pager.next(&self.store)?;
            if page.is_empty() {
                return Ok(expired);
            }
            for c in page {
                if c.expires_on.is_none_or(|d| d >= today) {
                    continue;
                }
                let next = c.expire(actor, now)?.credential;
                match self.store.update_credential(&next) {
                    Ok(()) => {}
                    Err(e) if e.kind() == ErrorKind::Conflict => continue,
                    Err(e) => return Err(e),
                }
                self.record(std::slice::from_ref(&next), EventKind::Expired, now);
                expired.push(next.id);
            }
        }
    }
}
