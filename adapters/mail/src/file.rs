//! [`FileMailer`]: one `.eml` file per message in a folder.

use std::io::Write;
use std::path::{Path, PathBuf};

use conferral::error::{Error, ErrorKind, Result};
use conferral::mail::{Mailer, OutgoingMessage};
use conferral::outbox::SendOutcome;

/// Writes each message as an RFC 5322 file, `<credential>.<kind>.eml` (a resend adds `.2`,
/// `.3`, ...). A file is written beside its final name, synced, then renamed, so a crash
/// leaves either the whole file or none; only then is the message reported sent.
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
        let mut n = 1;
        let path = loop {
            let name = if n == 1 {
                format!("{stem}.eml")
            } else {
                format!("{stem}.{n}.eml")
            };
            let path = self.dir.join(name);
            if !path.exists() {
                break path;
            }
            n += 1;
        };
        let partial = self.dir.join(format!(".{stem}.eml.partial"));
        let mut file = std::fs::File::create(&partial)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&partial, &path)?;
        // The rename is durable once the folder is synced too.
        if let Ok(dir) = std::fs::File::open(&self.dir) {
            let _ = dir.sync_all();
        }
        Ok(path)
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
}
