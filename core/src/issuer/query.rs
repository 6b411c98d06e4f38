//! Reading back what is stored: a credential, its email, its deliveries, the counts.

use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::lifecycle::Credential;
use crate::outbox::OutboxMessage;
use crate::render::RenderedEmail;
use crate::storage::{MessageQuery, StatusCounts, Storage};

use super::Issuer;

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
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when there is none with this id.
    pub fn credential(&self, id: &str) -> Result<Credential> {
        self.get(id)
    }

    /// One credential with the delivery state of its emails.
    ///
    /// # Errors
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) when there is none with this id.
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
    /// [`ErrorKind::NotFound`](crate::ErrorKind::NotFound) or a template error.
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

    /// Counts per credential state and per delivery state.
    ///
    /// # Errors
    /// A store failure.
    pub fn status(&self) -> Result<StatusCounts> {
        self.store.status()
    }
}
