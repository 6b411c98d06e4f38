//! Mailers for conferral: [`FileMailer`] writes one `.eml` file per message into a folder
//! (the embedded default, and what tests read); [`SmtpMailer`] sends one SMTP transaction per
//! recipient over a reused connection and classifies every reply. [`open`] gives the one a
//! [`MailTarget`] names, for the command line and the bindings alike.
//!
//! Both build the message the same way ([`build_message`]): `multipart/alternative` with the
//! plain text and the HTML, the outbox's stable `Message-ID`, and display names that have
//! lost their control characters (lettre panics on a CR or LF in a name).

mod file;
mod smtp;

pub use file::FileMailer;
pub use smtp::{Security, SmtpConfig, SmtpMailer};

use std::path::Path;

use conferral::mail::{Mailbox, Mailer, OutgoingMessage};
use lettre::message::{Mailbox as LettreMailbox, MultiPart};

/// Where a delivery run sends its emails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailTarget<'a> {
    /// One `.eml` file per message in this folder.
    Folder(&'a Path),
    /// The SMTP server of this URL (see [`SmtpConfig::from_url`]).
    Smtp(&'a str),
}

/// The mailer of `target`, ready to send.
///
/// # Errors
/// [`ErrorKind::Mail`](conferral::ErrorKind::Mail) when the folder cannot be created or the
/// SMTP URL is malformed.
pub fn open(target: MailTarget<'_>) -> conferral::Result<Box<dyn Mailer + Send>> {
    Ok(match target {
        MailTarget::Folder(dir) => Box::new(FileMailer::new(dir)?),
        MailTarget::Smtp(url) => Box::new(SmtpMailer::new(SmtpConfig::from_url(url)?)),
    })
}

/// Why a message could not be built: the address or a header value is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildError(pub String);

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn mailbox(m: &Mailbox) -> Result<LettreMailbox, BuildError> {
    // An internationalised domain goes in its ASCII form when the local part allows it, so
    // the message needs SMTPUTF8 only when the address truly is not ASCII.
    let ascii = conferral::values::email::parse(&m.email)
        .ok()
        .and_then(|a| a.ascii())
        .unwrap_or_else(|| m.email.clone());
    let address = ascii
        .parse()
        .map_err(|e| BuildError(format!("the address `{}` cannot be used: {e}", m.email)))?;
    let name = conferral::render::header_safe(&m.name);
    Ok(LettreMailbox::new(
        (!name.is_empty()).then_some(name),
        address,
    ))
}

/// The message as it goes on the wire; `date` is the `Date` header.
///
/// # Errors
/// A [`BuildError`] when an address cannot be used by the mail library.
pub fn build_message(
    message: &OutgoingMessage,
    date: std::time::SystemTime,
) -> Result<lettre::Message, BuildError> {
    lettre::Message::builder()
        .message_id(Some(message.message_id.clone()))
        .date(date)
        .from(mailbox(&message.from)?)
        .to(mailbox(&message.to)?)
        .subject(conferral::render::header_safe(&message.subject))
        .multipart(MultiPart::alternative_plain_html(
            message.text.clone(),
            message.html.clone(),
        ))
        .map_err(|e| BuildError(format!("the message cannot be built: {e}")))
}

/// The message to send now, or the outcome of a message that cannot be built: it will not
/// become sendable by waiting, so it is refused for good.
fn built_now(message: &OutgoingMessage) -> Result<lettre::Message, conferral::outbox::SendOutcome> {
    build_message(message, std::time::SystemTime::now()).map_err(|e| {
        conferral::outbox::SendOutcome::Rejected {
            code: None,
            reply: e.0,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(name: &str) -> OutgoingMessage {
        OutgoingMessage {
            outbox_id: "Ab1:issued".into(),
            message_id: "<Ab1.issued@example.org>".into(),
            from: Mailbox {
                name: "Academy".into(),
                email: "academy@example.org".into(),
            },
            to: Mailbox {
                name: name.into(),
                email: "eve@example.org".into(),
            },
            subject: "Hello\r\nBcc: all@example.org".into(),
            html: "<p>Hi</p>".into(),
            text: "Hi".into(),
        }
    }

    #[test]
    fn names_and_subjects_cannot_add_headers() {
        let built = build_message(
            &message("Eve\r\nBcc: all@example.org\u{0}"),
            std::time::UNIX_EPOCH,
        )
        .map(|m| String::from_utf8_lossy(&m.formatted()).into_owned());
        let text = built.unwrap_or_default();
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert!(
            text.contains("Message-ID: <Ab1.issued@example.org>\r\n"),
            "{text}"
        );
        assert!(text.contains("multipart/alternative"), "{text}");
    }

    #[test]
    fn a_target_opens_its_mailer_or_says_why_not() {
        let dir = std::env::temp_dir().join(format!("conferral-open-{}", std::process::id()));
        assert!(open(MailTarget::Folder(&dir)).is_ok());
        assert!(dir.is_dir());
        let _ = std::fs::remove_dir_all(&dir);
        assert!(open(MailTarget::Smtp("smtp://localhost:2525")).is_ok());
        let refused = open(MailTarget::Smtp("ftp://nope")).err();
        assert_eq!(refused.map(|e| e.kind()), Some(conferral::ErrorKind::Mail));
    }

    #[test]
    fn an_internationalised_domain_goes_in_ascii_when_it_can() {
        let mut m = message("Jürgen");
        m.to.email = "jurgen@bücher.de".into();
        let text = build_message(&m, std::time::UNIX_EPOCH)
            .map(|m| String::from_utf8_lossy(&m.formatted()).into_owned())
            .unwrap_or_default();
        assert!(text.contains("<jurgen@xn--bcher-kva.de>"), "{text}");
        let envelope = build_message(&m, std::time::UNIX_EPOCH)
            .map(|m| {
                m.envelope()
                    .to()
                    .iter()
                    .all(|a| AsRef::<str>::as_ref(a).is_ascii())
            })
            .unwrap_or(false);
        assert!(envelope);
    }

    #[test]
    fn unusable_addresses_are_errors_not_panics() {
        let mut m = message("Eve");
        m.to.email = "not an address".into();
        assert!(build_message(&m, std::time::UNIX_EPOCH).is_err());
    }
}
