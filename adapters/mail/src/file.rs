//! [`FileMailer`]: one `.eml` file per message in a folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use conferral::error::{Error, ErrorKind, Result};
use conferral::mail::{Mailer, OutgoingMessage};
use conferral::outbox::SendOutcome;

/// Writes each message as an RFC 5322 file, `<credential>.<kind>.eml` (a resend adds `.2`,
/// `.3`, ...). A file is written beside its final name under a name nobody can guess,
/// synced, then linked to the first free final name (an existing `.eml`, or a link planted in
/// the folder, is never replaced or followed), so a crash leaves either the whole file or
/// none; only then is the message reported sent.
#[derive(Debug, Clone)]
pub struct FileMailer {
    dir: PathBuf,
}

fn file_stem(outbox_id: &str) -> String {
    outbox_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '.'
            }
        })
        .collect()
}

impl FileMailer {
    /// A mailer writing into `dir`, created if missing.
    ///
    /// # Errors
    /// [`ErrorKind::Mail`] when the folder cannot be created.
    pub fn new(dir: impl AsRef<Path>) -> Result<FileMailer> {
        let dir = dir.as_ref().to_path_buf();
        std::fs::create_dir_all(&dir).map_err(|e| {
            Error::new(
                ErrorKind::Mail,
                format!("the outbox folder `{}` cannot be created", dir.display()),
            )
            .with_source(e)
        })?;
        Ok(FileMailer { dir })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn write(&self, message: &OutgoingMessage, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let stem = file_stem(&message.outbox_id);
        // The partial file has a name nobody can guess and is created only if nothing has that
        // name, so a link planted in the folder is never followed or overwritten.
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
        let nonce: String = nonce.iter().map(|b| format!("{b:02x}")).collect();
        let partial = self.dir.join(format!(".{stem}.{nonce}.partial"));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&partial)?;
        let written = file
            .write_all(bytes)
            .and_then(|()| file.sync_all())
            .and_then(|()| self.publish(&partial, &stem));
        drop(file);
        let _ = std::fs::remove_file(&partial);
        let path = written?;
        // The new name is durable once the folder is synced too.
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(path)
    }

    /// Gives the written file its final name, `<stem>.eml` or the first free `<stem>.N.eml`:
    /// a hard link fails when the name exists (a file, or a link planted there), so an
    /// existing `.eml` is never replaced.
    fn publish(&self, partial: &Path, stem: &str) -> std::io::Result<PathBuf> {
        for n in 1u32.. {
            let name = if n == 1 {
                format!("{stem}.eml")
            } else {
                format!("{stem}.{n}.eml")
            };
            let path = self.dir.join(name);
            match std::fs::hard_link(partial, &path) {
                Ok(()) => return Ok(path),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        Err(std::io::Error::other("no free file name"))
    }
}

impl Mailer for FileMailer {
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome {
        let built = match crate::built_now(message) {
            Ok(built) => built,
            Err(refused) => return refused,
        };
        match self.write(message, &built.formatted()) {
            Ok(path) => SendOutcome::Sent {
                reply: format!("written to {}", path.display()),
            },
            // Nothing reached the final name: a later attempt may work (a full disk).
            Err(e) => SendOutcome::Deferred {
                code: None,
                reply: format!("the message file could not be written: {e}"),
            },
        }
    }

    /// Writing and syncing one file.
    fn max_send_time(&self) -> std::time::Duration {
        std::time::Duration::from_secs(60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message() -> OutgoingMessage {
        OutgoingMessage {
            outbox_id: "c1:issued".into(),
            message_id: "<c1.issued@example.org>".into(),
            from: conferral::mail::Mailbox::parse("Academy <academy@example.org>"),
            to: conferral::mail::Mailbox::parse("Ana <ana@example.org>"),
            subject: "Your credential".into(),
            html: "<p>Hello</p>".into(),
            text: "Hello".into(),
        }
    }

    #[cfg(unix)]
    #[test]
    fn planted_links_are_never_followed_and_no_email_is_replaced() {
        let dir =
            std::env::temp_dir().join(format!("conferral-file-mailer-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let victim = dir.join("victim.txt");
        std::fs::write(&victim, "keep me").unwrap_or_else(|e| panic!("{e}"));
        // Links where the old predictable partial name and the final name would be.
        for name in [".c1.issued.eml.partial", "c1.issued.eml"] {
            std::os::unix::fs::symlink(&victim, dir.join(name)).unwrap_or_else(|e| panic!("{e}"));
        }
        let mut mailer = FileMailer::new(&dir).unwrap_or_else(|e| panic!("{e}"));
        let outcome = mailer.send(&message());
        let written = dir.join("c1.issued.2.eml");
        assert_eq!(
            outcome,
            SendOutcome::Sent {
                reply: format!("written to {}", written.display())
            }
        );
        assert_eq!(
            std::fs::read_to_string(&victim).unwrap_or_default(),
            "keep me"
        );
        let eml = std::fs::read_to_string(&written).unwrap_or_default();
        assert!(eml.contains("Subject: Your credential"), "{eml}");
        // No partial file is left behind.
        let partials = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".partial"))
                    .filter(|e| e.path().symlink_metadata().is_ok_and(|m| !m.is_symlink()))
                    .count()
            })
            .unwrap_or(usize::MAX);
        assert_eq!(partials, 0);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
