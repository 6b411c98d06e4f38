//! Reading back what is stored: a credential, its email, its deliveries, the counts.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::events::{EventQuery, Stats};
use crate::lifecycle::Credential;
use crate::outbox::OutboxMessage;
use crate::render::RenderedEmail;
use crate::storage::{CredentialQuery, MessageQuery, StatusCounts, Storage};

use super::{Issuer, Selection};

/// What a selection names once checked: the credentials named by id (each once, in the order
/// given), or a query to page through.
pub(super) enum Selected {
    /// Credentials named by id, read when the selection was checked.
    Named(Vec<Credential>),
    /// The credentials a query finds, a page at a time ([`Pager`]).
    Found(Pager),
}

/// Pages through what a query finds, in the store's order; the issuer may be changed between
/// two pages.
pub(super) struct Pager {
    query: CredentialQuery,
    after: Option<String>,
    size: u64,
}

impl Pager {
    /// Pages of `size` credentials of `query`.
    pub(super) fn new(query: CredentialQuery, size: u64) -> Pager {
        Pager {
            query,
            after: None,
            size,
        }
    }

    /// The next page; empty when there is no more.
    pub(super) fn next<S: Storage>(&mut self, store: &S) -> Result<Vec<Credential>> {
        let page = store.credentials(&CredentialQuery {
            after: self.after.take(),
            limit: Some(self.size),
            ..self.query.clone()
        })?;
        self.after = page.last().map(|c| c.id.clone());
        Ok(page)
    }
}

/// A credential and the emails it has had, as `show` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CredentialDetail {
    /// The credential, with its history.
    pub credential: Credential,
    /// Its outbox messages with their delivery state.
    pub deliveries: Vec<OutboxMessage>,
}

impl<S: Storage> Issuer<S> {
    /// One credential.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is none with this id.
    pub fn credential(&self, id: &str) -> Result<Credential> {
        self.get(id)
    }

    /// One credential with the delivery state of its emails.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] when there is none with this id.
    pub fn show(&self, id: &str) -> Result<CredentialDetail> {
        let credential = self.get(id)?;
        let deliveries = self.deliveries(&MessageQuery {
            credentials: Some(vec![id.to_owned()]),
            ..MessageQuery::default()
        })?;
        Ok(CredentialDetail {
            credential,
            deliveries,
        })
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

    /// The delivery state of each credential's email.
    ///
    /// # Errors
    /// A store failure.
    pub fn deliveries(&self, query: &MessageQuery) -> Result<Vec<OutboxMessage>> {
        self.store.messages(query)
    }

    /// Checks what a selection names before anything changes: every id exists (read once
    /// each, in the order given), the batch exists. Queries page `page` credentials at a time.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or batch; a store failure.
    pub(super) fn select(&self, selection: &Selection, page: u64) -> Result<Selected> {
        let query = match selection {
            Selection::Ids(ids) => {
                let mut named = Vec::with_capacity(ids.len());
                let mut seen = std::collections::BTreeSet::new();
                for id in ids {
                    if seen.insert(id.as_str()) {
                        named.push(self.get(id)?);
                    }
                }
                return Ok(Selected::Named(named));
            }
            Selection::Batch(batch) => {
                if self.store.batch(batch)?.is_none() {
                    return Err(Error::new(
                        ErrorKind::NotFound,
                        format!("there is no batch `{batch}`"),
                    ));
                }
                CredentialQuery {
                    batch: Some(batch.clone()),
                    ..CredentialQuery::default()
                }
            }
            Selection::Group(group) => CredentialQuery {
                group: Some(group.clone()),
                ..CredentialQuery::default()
            },
            Selection::All => CredentialQuery::default(),
        };
        Ok(Selected::Found(Pager::new(query, page)))
    }

    /// The figures per group and batch (issued, delivered, viewed, downloaded, shared, ...)
    /// and by day, from the event log.
    ///
    /// # Errors
    /// A store failure.
    pub fn stats(&self, query: &EventQuery) -> Result<Stats> {
        Ok(crate::events::stats(
            &self.store.event_counts(query, false)?,
            &self.store.event_counts(query, true)?,
        ))
    }

    /// Calls `each` with every credential a selection names, one at a time ([`Self::select`]):
    /// those named by id whatever their state, and the rest of a query but its drafts.
    pub(super) fn each_selected(
        &self,
        selection: &Selection,
        page: u64,
        each: &mut dyn FnMut(&Credential) -> Result<()>,
    ) -> Result<()> {
        match self.select(selection, page)? {
            Selected::Named(named) => named.iter().try_for_each(&mut *each),
            Selected::Found(mut pager) => loop {
                let found = pager.next(&self.store)?;
                if found.is_empty() {
                    return Ok(());
                }
                found
                    .iter()
                    .filter(|c| c.state != crate::lifecycle::CredentialState::Draft)
                    .try_for_each(&mut *each)?;
            },
        }
    }

    /// How many credentials of a selection are in `state`: what a publish (drafts) or a
    /// revocation (published) of it would change, to show before asking for confirmation.
    /// Checks the selection as the operation would.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`] for an unknown id or batch; a store failure.
    pub fn count_selected(
        &self,
        selection: &Selection,
        state: crate::lifecycle::CredentialState,
    ) -> Result<u64> {
        match self.select(selection, 1)? {
            Selected::Named(named) => Ok(named.iter().filter(|c| c.state == state).count() as u64),
            Selected::Found(pager) => self.store.count_credentials(&CredentialQuery {
                state: Some(state),
                ..pager.query
            }),
        }
    }

    /// Counts per credential state and per delivery state.
    ///
    /// # Errors
    /// A store failure.
    pub fn status(&self) -> Result<StatusCounts> {
        self.store.status()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "a test fails by panicking")]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::*;
    use crate::Group;
    use crate::events::{Event, EventKind};
    use crate::issuer::{ImportRequest, IssuerConfig};
    use crate::lifecycle::FromRandomBytes;
    use crate::mail::{Mailbox, MemoryMailer};
    use crate::storage::MemoryStorage;

    #[test]
    fn the_issuers_changes_and_the_recipients_actions_make_the_figures() {
        let config = IssuerConfig::new(
            "https://credentials.example.org/c",
            Mailbox::parse("Academy <academy@example.org>"),
        );
        let mut issuer = Issuer::new(MemoryStorage::new(), config).unwrap();
        let group = Group {
            name: "Bootcamp".into(),
            ..Group::default()
        };
        let at = |day| Utc.with_ymd_and_hms(2026, 3, day, 9, 0, 0).unwrap();
        let mut n = 0u8;
        let mut ids = FromRandomBytes(|| {
            n += 1;
            [n; 16]
        });
        let roster = b"Name,Email\nAna,ana@example.org\nBo,bo@example.org\nCy,cy@example.org\n";
        let request = ImportRequest {
            publish: true,
            ..ImportRequest::new(&group, roster, "t")
        };
        let imported = issuer
            .import(&request, &mut ids, at(2), &mut |_| {})
            .unwrap();
        let mut mailer = MemoryMailer::default();
        issuer
            .deliver(&mut mailer, &mut || at(3), None, &mut |_| {})
            .unwrap();
        let ana = issuer.credential(&imported.created[0]).unwrap();
        issuer
            .revoke(&imported.created[2], "error", "t", at(4))
            .unwrap();
        // A page host records what visitors do.
        let visit = |visitor: &str, kind| Event {
            visitor: Some(visitor.into()),
            ..Event::of(&ana, kind, at(4))
        };
        issuer
            .store_mut()
            .record_events(&[
                visit("v1", EventKind::Viewed),
                visit("v1", EventKind::Viewed),
                visit("v2", EventKind::Viewed),
                Event::of(&ana, EventKind::Downloaded, at(4)),
                Event::of(&ana, EventKind::Shared, at(5)),
            ])
            .unwrap();

        let stats = issuer.stats(&EventQuery::default()).unwrap();
        let b = &stats.batches[0];
        assert_eq!((b.issued, b.delivered, b.failed, b.revoked), (3, 3, 0, 1));
        assert_eq!((b.views, b.viewed, b.downloads, b.shares), (2, 1, 1, 1));
        assert_eq!(b.delivery_rate, Some(1.0));
        assert_eq!(b.view_rate, Some(1.0 / 3.0));
        let days: Vec<_> = stats.daily.iter().map(|d| d.day.to_string()).collect();
        assert_eq!(
            days,
            ["2026-03-02", "2026-03-03", "2026-03-04", "2026-03-05"]
        );
        assert_eq!(stats.daily[0].events[&EventKind::Imported], 3);
        assert_eq!(stats.daily[0].events[&EventKind::Published], 3);
        assert_eq!(stats.daily[1].events[&EventKind::Delivered], 3);
    }
}
