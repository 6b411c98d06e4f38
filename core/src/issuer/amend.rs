//! Changes to stored credentials after their import: amend a draft, revoke, expire.

use chrono::{DateTime, Utc};

use crate::error::{Error, ErrorKind, Result};
use crate::lifecycle::{Amendment, Credential, CredentialState};
use crate::storage::{CredentialQuery, Storage};
use crate::values::email::duplicate_key;

use super::Issuer;

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
}
