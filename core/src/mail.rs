//! The `Mailer` trait and an in-memory mailer.
//!
//! A mailer sends one message to one recipient per call and says what happened as a
//! [`SendOutcome`]; it never retries on its own (the outbox decides). Implementations with
//! I/O live in their own crates: a file mailer (one `.eml` per message) and an SMTP mailer.

use serde::{Deserialize, Serialize};

use crate::outbox::{OutboxMessage, SendOutcome};

/// An address with an optional display name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mailbox {
    /// Display name, free of control characters (possibly empty).
    pub name: String,
    /// The address.
    pub email: String,
}

impl Mailbox {
    /// A mailbox as people write one: `Name <address>`, `"Name" <address>` or a bare
    /// `address`. The address is taken as written; whoever sends from it checks it.
    ///
    /// ```
    /// use conferral::mail::Mailbox;
    /// let m = Mailbox::parse("\"Academy\" <academy@example.org>");
    /// assert_eq!((m.name.as_str(), m.email.as_str()), ("Academy", "academy@example.org"));
    /// ```
    pub fn parse(text: &str) -> Mailbox {
        match text.rsplit_once('<') {
            Some((name, rest)) => Mailbox {
                name: name.trim().trim_matches('"').to_owned(),
                email: rest.trim().trim_end_matches('>').trim().to_owned(),
            },
            None => Mailbox {
                name: String::new(),
                email: text.trim().to_owned(),
            },
        }
    }
}

/// One message to one recipient, as a mailer receives it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutgoingMessage {
    /// The outbox id (`<credential>:<kind>`), for logs and file names.
    pub outbox_id: String,
    /// The Message-ID header, angle brackets included; the same on every resend.
    pub message_id: String,
    /// Sender.
    pub from: Mailbox,
    /// Recipient.
    pub to: Mailbox,
    /// Subject, on one line.
    pub subject: String,
    /// HTML body.
    pub html: String,
    /// Plain-text body.
    pub text: String,
}

impl OutgoingMessage {
    /// The message of an outbox entry, from `from`.
    pub fn of(message: &OutboxMessage, from: &Mailbox) -> OutgoingMessage {
        OutgoingMessage {
            outbox_id: message.id.clone(),
            message_id: message.message_id.clone(),
            from: from.clone(),
            to: Mailbox {
                name: crate::render::header_safe(&message.email.to_name),
                email: message.email.to_email.clone(),
            },
            subject: crate::render::header_safe(&message.email.subject),
            html: message.email.html.clone(),
            text: message.email.text.clone(),
        }
    }
}

/// Sends messages.
pub trait Mailer {
    /// Sends one message to its one recipient.
    ///
    /// # Behavior
    /// - Returns [`SendOutcome::Sent`] only when the receiving side took responsibility for
    ///   the message (an SMTP 2xx after the data, a file written and synced).
    /// - Returns [`SendOutcome::Rejected`] for a refusal that will not change on retry (5xx).
    /// - Returns [`SendOutcome::Deferred`] when the message surely was not delivered and a
    ///   later attempt may work (4xx, no connection, a failure before the data).
    /// - Returns [`SendOutcome::Ambiguous`] when it cannot tell (a timeout or a dropped
    ///   connection after the data was sent). Never retries by itself.
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome;

    /// Asked after each send: why the run must stop before the next message, if it must.
    /// An SMTP mailer that cannot open a session (no connection, a refused certificate or
    /// login) answers with the reason after reporting that message `Deferred`, since every
    /// other message would meet the same failure; a mailer provided by a host (a Python
    /// object) whose code raised answers so that the host's error can be raised once the run
    /// returns. The next send starts afresh.
    fn halted(&self) -> Option<String> {
        None
    }

    /// The longest one send may take, from the first byte to the outcome (an SMTP mailer:
    /// its command timeout for each step of a transaction). A worker's lease is longer, so a
    /// send in flight is never recovered as a crashed one. Ten minutes unless a mailer knows
    /// better.
    fn max_send_time(&self) -> std::time::Duration {
        std::time::Duration::from_secs(600)
    }
}

impl<M: Mailer + ?Sized> Mailer for Box<M> {
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome {
        (**self).send(message)
    }

    fn halted(&self) -> Option<String> {
        (**self).halted()
    }

    fn max_send_time(&self) -> std::time::Duration {
        (**self).max_send_time()
    }
}

/// A mailer that keeps what it is given, and answers with scripted outcomes when told to.
#[derive(Debug, Default, Clone)]
pub struct MemoryMailer {
    /// Every message given to [`Mailer::send`], in order, with the outcome returned.
    pub sent: Vec<(OutgoingMessage, SendOutcome)>,
    /// Outcomes to return, first to last, for the next calls; `Sent` once it runs out.
    pub script: std::collections::VecDeque<SendOutcome>,
}

impl MemoryMailer {
    /// Messages accepted, by recipient address: what a recipient's inbox would hold.
    pub fn delivered_to(&self, email: &str) -> usize {
        self.sent
            .iter()
            .filter(|(m, o)| {
                m.to.email == email
                    && matches!(o, SendOutcome::Sent { .. } | SendOutcome::Ambiguous { .. })
            })
            .count()
    }
}

impl Mailer for MemoryMailer {
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome {
        let outcome = self
            .script
            .pop_front()
            .unwrap_or_else(|| SendOutcome::Sent {
                reply: format!("250 kept in memory as {}", message.outbox_id),
            });
        self.sent.push((message.clone(), outcome.clone()));
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> (String, String) {
        let m = Mailbox::parse(text);
        (m.name, m.email)
    }

    #[test]
    fn mailboxes_parse_with_or_without_a_name() {
        let pair = |n: &str, e: &str| (n.to_owned(), e.to_owned());
        assert_eq!(
            parsed("Conferral <credentials@example.org>"),
            pair("Conferral", "credentials@example.org")
        );
        assert_eq!(
            parsed("  \"Ana, Academy\"   < ana@example.org >"),
            pair("Ana, Academy", "ana@example.org")
        );
        assert_eq!(parsed(" ana@example.org "), pair("", "ana@example.org"));
        assert_eq!(parsed("<ana@example.org>"), pair("", "ana@example.org"));
        // The last `<` opens the address, as mail clients read it.
        assert_eq!(
            parsed("A <b> <ana@example.org>"),
            pair("A <b>", "ana@example.org")
        );
        assert_eq!(parsed(""), pair("", ""));
    }
}
