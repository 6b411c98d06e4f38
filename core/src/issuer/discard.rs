//! Discarding drafts: a batch imported by mistake, or drafts named by id, removed from the
//! store. Published credentials are never removed (revoke them instead).

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::lifecycle::{Credential, CredentialState};
use crate::storage::Storage;

use super::query::Selected;
use super::{Issuer, PUBLISH_CHUNK, Refused, Selection};

/// What a discard did, or in a dry run would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiscardOutcome {
    /// Drafts removed (in a dry run: that would be).
    pub discarded: Vec<String>,
    /// Selected credentials left as they are, each with the reason (published, revoked or
    /// expired; or published while the discard ran).
    pub refused: Vec<Refused>,
    /// Whether this was a dry run: nothing was removed.
    pub dry_run: bool,
}

/// The refusal of a credential that is not a draft.
fn not_a_draft(c: &Credential) -> Refused {
    let instead = match c.state {
        CredentialState::Published | CredentialState::Expired => "; revoke it instead",
        _ => "",
    };
    Refused {
        id: c.id.clone(),
        code: ErrorKind::IllegalTransition.as_str().to_owned(),
        message: format!(
            "credential `{}` is {} and cannot be discarded{instead}",
            c.id,
            c.state.as_str()
        ),
    }
}

impl<S: Storage> Issuer<S> {
    /// Removes the drafts a selection names from the store, [`PUBLISH_CHUNK`] per atomic
    /// step ([`Storage::delete_drafts`]); a batch left without credentials is removed too,
    /// so its file can be imported again. Credentials that are not drafts are refused with
    /// the reason and left as they are, and so is a draft published while the discard ran.
    /// The event log keeps what it recorded (it is append-only).
    ///
    /// # Errors
    /// [`ErrorKind::InvalidValue`] for [`Selection::All`] (too easy to give by mistake: name
    /// a batch, a group or ids); [`ErrorKind::NotFound`] for an unknown id or batch, before
    /// anything changes; a store failure (steps done before it stay done).
    pub fn discard(&mut self, selection: &Selection, dry_run: bool) -> Result<DiscardOutcome> {
        if *selection == Selection::All {
            return Err(Error::new(
                ErrorKind::InvalidValue,
                "discarding every draft at once is not offered: name a batch, a group or ids",
            ));
        }
        let mut outcome = DiscardOutcome {
            dry_run,
            ..DiscardOutcome::default()
        };
        let mut drafts = Vec::new();
        let mut take = |c: Credential| {
            if c.state == CredentialState::Draft {
                drafts.push(c.id);
            } else {
                outcome.refused.push(not_a_draft(&c));
            }
        };
        // Everything is listed before anything is removed: a page is found after the last
        // id of the one before, which a removal would take away.
        match self.select(selection, PUBLISH_CHUNK as u64)? {
            Selected::Named(named) => named.into_iter().for_each(&mut take),
            Selected::Found(mut pager) => loop {
                let page = pager.next(&self.store)?;
                if page.is_empty() {
                    break;
                }
                page.into_iter().for_each(&mut take);
            },
        }
        if dry_run {
            outcome.discarded = drafts;
            return Ok(outcome);
        }
        for chunk in drafts.chunks(PUBLISH_CHUNK) {
            let deleted = self.store.delete_drafts(chunk)?;
            if deleted.len() < chunk.len() {
                let gone: std::collections::HashSet<&str> =
                    deleted.iter().map(String::as_str).collect();
                for id in chunk.iter().filter(|id| !gone.contains(id.as_str())) {
                    // Published (or removed) since it was listed.
                    if let Some(c) = self.store.credential(id)? {
                        outcome.refused.push(not_a_draft(&c));
                    }
                }
            }
            outcome.discarded.extend(deleted);
        }
        Ok(outcome)
    }
}
