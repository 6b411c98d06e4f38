//! [`SmtpMailer`]: one SMTP transaction per recipient, every reply classified.

use std::time::Duration;

use conferral::error::{Error, ErrorKind, Result};
use conferral::mail::{Mailer, OutgoingMessage};
use conferral::outbox::SendOutcome;
use lettre::transport::smtp::Error as SmtpError;
use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::commands::{Data, Mail, Rcpt, Rset};
use lettre::transport::smtp::extension::{ClientId, MailBodyParameter, MailParameter};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (`smtps://`, port 465).
    Tls,
    /// Plain, then `STARTTLS`, which must succeed (`?tls=starttls`, port 587).
    StartTls,
    /// No encryption (`smtp://`): only for a relay on loopback or a trusted network.
    Plain,
}

/// Where and how to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    /// Server host name.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Encryption.
    pub security: Security,
    /// User name and password, if the server needs them.
    pub credentials: Option<(String, String)>,
    /// Limit for connecting and for each reply. The reply to the message data may take
    /// long (RFC 5321 suggests waiting 10 minutes); a timeout there makes the outcome
    /// unknown, so this should not be short.
    pub timeout: Duration,
    /// Name given in `EHLO`.
    pub hello_name: String,
    /// PEM certificates trusted as roots besides the bundled public ones (a company's own
    /// certificate authority, or a test server's).
    pub extra_roots_pem: Option<Vec<u8>>,
}

impl SmtpConfig {
    /// Reads `smtp://[user:pass@]host[:port][?tls=starttls&timeout=SECONDS&hello=NAME&ca=PEM]`
    /// or `smtps://...` (implicit TLS). Ports default to 25, 587 with STARTTLS and 465.
    /// `ca` names a PEM file (percent-encoded) of certificates to trust as roots besides the
    /// bundled public ones; it is read here, once.
    ///
    /// # Errors
    /// [`ErrorKind::Mail`] for a malformed URL, an unknown option, or a `ca` file that cannot
    /// be read or holds no certificate.
    pub fn from_url(text: &str) -> Result<SmtpConfig> {
        let bad = |why: String| {
            Error::new(
                ErrorKind::Mail,
                format!(
                    "the SMTP address `{text}` is not usable: {why}; write it as smtp://host:25 or smtps://user:password@host:465"
                ),
            )
        };
        let url = url::Url::parse(text).map_err(|e| bad(e.to_string()))?;
        let mut security = match url.scheme() {
            "smtp" => Security::Plain,
            "smtps" => Security::Tls,
            other => return Err(bad(format!("the scheme `{other}` is not smtp or smtps"))),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("it has no host".into()))?
            .trim_matches(['[', ']'])
            .to_owned();
        let mut timeout = Duration::from_secs(600);
        let mut hello_name = "localhost".to_owned();
        let mut extra_roots_pem = None;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls" | "required") if security == Security::Plain => {
                    security = Security::StartTls;
                }
                ("tls", "none") if security == Security::Plain => {}
                ("timeout", secs) => {
                    let secs: u64 = secs
                        .parse()
                        .map_err(|_| bad(format!("timeout `{secs}` is not a number of seconds")))?;
                    timeout = Duration::from_secs(secs.max(1));
                }
                ("hello", name) => {
                    // The name goes into the EHLO line as it is: anything but a host name
                    // (a line break above all) would write SMTP commands of its own.
                    let host_name = !name.is_empty()
                        && name.len() <= 255
                        && name
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
                    if !host_name {
                        return Err(bad(format!(
                            "hello `{}` is not a host name (letters, digits, `-` and `.`)",
                            name.escape_debug()
                        )));
                    }
                    name.clone_into(&mut hello_name);
                }
                ("ca", path) => {
                    let pem = std::fs::read(path).map_err(|e| {
                        bad(format!("the certificate file `{path}` cannot be read: {e}"))
                    })?;
                    let holds_one = Certificate::from_pem(&pem).is_ok()
                        && pem.windows(27).any(|w| w == b"-----BEGIN CERTIFICATE-----");
                    if !holds_one {
                        return Err(bad(format!(
                            "the file `{path}` holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
                        )));
                    }
                    extra_roots_pem = Some(pem);
                }
                (k, v) => return Err(bad(format!("the option `{k}={v}` is not known"))),
            }
        }
        let port = url.port().unwrap_or(match security {
            Security::Plain => 25,
            Security::StartTls => 587,
            Security::Tls => 465,
        });
        let credentials = (!url.username().is_empty()).then(|| {
            let decode = |s: &str| {
                url::form_urlencoded::parse(s.as_bytes())
                    .map(|(k, v)| {
                        if v.is_empty() {
                            k.into_owned()
                        } else {
                            format!("{k}={v}")
                        }
                    })
                    .collect::<String>()
            };
            (
                decode(url.username()),
                decode(url.password().unwrap_or_default()),
            )
        });
        Ok(SmtpConfig {
            host,
            port,
            security,
            credentials,
            timeout,
            hello_name,
            extra_roots_pem,
        })
    }
}

/// Sends over one connection, reconnecting when it breaks.
pub struct SmtpMailer {
    config: SmtpConfig,
    connection: Option<SmtpConnection>,
    /// Why no session could be opened: the run stops rather than try every message.
    stopped: Option<String>,
}

impl std::fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .field("connected", &self.connection.is_some())
            .finish()
    }
}

/// The message data as SMTP sends it: CRLF line ends, a dot doubled at the start of a line,
/// and the final `CRLF . CRLF`.
struct DataBlock<'a>(&'a str);

impl std::fmt::Display for DataBlock<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for line in self.0.split_inclusive('\n') {
            let body = line.strip_suffix('\n').unwrap_or(line);
            let body = body.strip_suffix('\r').unwrap_or(body);
            if body.starts_with('.') {
                f.write_str(".")?;
            }
            f.write_str(body)?;
            if line.ends_with('\n') {
                f.write_str("\r\n")?;
            }
        }
        f.write_str("\r\n.\r\n")
    }
}

/// A session that could not be opened (no connection, a failed TLS handshake or `AUTH`): not
/// this message's fault, and every other message would meet it too.
fn no_session(config: &SmtpConfig, e: &SmtpError) -> (SendOutcome, String) {
    let why = format!(
        "no SMTP session with {}:{}: {e}; check the server address, its certificate and the credentials",
        config.host, config.port
    );
    let outcome = SendOutcome::Deferred {
        code: e.status().map(u16::from),
        reply: why.clone(),
    };
    (outcome, why)
}

/// An error before the message data was sent: surely not delivered.
fn before_data(e: &SmtpError) -> SendOutcome {
    let code = e.status().map(u16::from);
    if e.is_permanent() {
        SendOutcome::Rejected {
            code,
            reply: e.to_string(),
        }
    } else {
        SendOutcome::Deferred {
            code,
            reply: e.to_string(),
        }
    }
}

impl SmtpMailer {
    /// A mailer for `config`; it connects on the first message.
    pub fn new(config: SmtpConfig) -> SmtpMailer {
        SmtpMailer {
            config,
            connection: None,
            stopped: None,
        }
    }

    fn connect(&self) -> std::result::Result<SmtpConnection, SmtpError> {
        let hello = ClientId::Domain(self.config.hello_name.clone());
        let tls = || {
            let mut builder = TlsParameters::builder(self.config.host.clone());
            if let Some(pem) = &self.config.extra_roots_pem {
                builder = builder.add_root_certificate(Certificate::from_pem(pem)?);
            }
            builder.build()
        };
        let implicit = match self.config.security {
            Security::Tls => Some(tls()?),
            _ => None,
        };
        let mut conn = SmtpConnection::connect(
            (self.config.host.as_str(), self.config.port),
            Some(self.config.timeout),
            &hello,
            implicit.as_ref(),
            None,
        )?;
        if self.config.security == Security::StartTls {
            conn.starttls(&tls()?, &hello)?;
        }
        if let Some((user, password)) = &self.config.credentials {
            conn.auth(
                &[Mechanism::Plain, Mechanism::Login],
                &Credentials::new(user.clone(), password.clone()),
            )?;
        }
        Ok(conn)
    }

    /// The message is deferred (it was surely not sent) and the run stops.
    fn stop(&mut self, e: &SmtpError) -> SendOutcome {
        let (outcome, why) = no_session(&self.config, e);
        self.stopped = Some(why);
        outcome
    }

    /// Ends the session politely.
    pub fn close(&mut self) {
        if let Some(mut conn) = self.connection.take() {
            let _ = conn.quit();
        }
    }
}

impl Drop for SmtpMailer {
    fn drop(&mut self) {
        self.close();
    }
}

impl Mailer for SmtpMailer {
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome {
        self.stopped = None;
        let built = match crate::built_now(message) {
            Ok(built) => built,
            Err(refused) => return refused,
        };
        let envelope = built.envelope().clone();
        let bytes = built.formatted();
        // Everything up to the `354` reply to DATA happens before the message is sent: any
        // failure there means it was not delivered.
        let mut options = Vec::new();
        let non_ascii = envelope
            .from()
            .into_iter()
            .chain(envelope.to())
            .any(|a| !AsRef::<str>::as_ref(a).is_ascii());
        if non_ascii {
            options.push(MailParameter::SmtpUtfEight);
        }
        if !bytes.is_ascii() {
            options.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        let start = |conn: &mut SmtpConnection| -> std::result::Result<(), SmtpError> {
            conn.command(Mail::new(envelope.from().cloned(), options.clone()))?;
            for to in envelope.to() {
                conn.command(Rcpt::new(to.clone(), vec![]))?;
            }
            conn.command(Data)?;
            Ok(())
        };
        let reused = self.connection.is_some();
        let mut conn = match self.connection.take() {
            Some(conn) if !conn.has_broken() => conn,
            _ => match self.connect() {
                Ok(conn) => conn,
                Err(e) => return self.stop(&e),
            },
        };
        let mut started = start(&mut conn);
        // A kept connection the server has since closed fails at once: start afresh, once.
        if reused
            && started
                .as_ref()
                .is_err_and(|e| !e.is_response() && e.status().is_none())
        {
            conn.abort();
            conn = match self.connect() {
                Ok(conn) => conn,
                Err(e) => return self.stop(&e),
            };
            started = start(&mut conn);
        }
        if let Err(e) = started {
            let outcome = before_data(&e);
            // A refused transaction leaves the session usable after RSET.
            if e.status().is_some() && conn.command(Rset).is_ok() {
                self.connection = Some(conn);
            } else {
                conn.abort();
            }
            return outcome;
        }
        // The data and its terminating `.` go out in one write: written apart, the small
        // terminator waits for the ACK of the data (Nagle), which the server delays, and every
        // message costs 40 ms.
        let sent = match String::from_utf8(bytes) {
            Ok(text) => conn.command(DataBlock(&text)),
            Err(e) => conn.message(e.as_bytes()),
        };
        match sent {
            Ok(reply) => {
                let text = reply.message().collect::<Vec<_>>().join(" ");
                self.connection = Some(conn);
                SendOutcome::Sent {
                    reply: format!("{} {text}", reply.code()),
                }
            }
            // The server answered the data: its word is final.
            Err(e) if e.is_permanent() || e.is_transient() => {
                self.connection = Some(conn);
                before_data(&e)
            }
            // No (readable) answer after the data: it may have been delivered.
            Err(e) => {
                conn.abort();
                SendOutcome::Ambiguous {
                    reason: format!("no reply after the message data was sent: {e}"),
                }
            }
        }
    }

    /// Every step of a transaction may wait the command timeout: the connection, the
    /// greeting, EHLO, STARTTLS and EHLO again, AUTH, MAIL, RCPT, DATA and the end of data.
    fn max_send_time(&self) -> std::time::Duration {
        self.config.timeout.saturating_mul(10)
    }

    fn halted(&self) -> Option<String> {
        self.stopped.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_is_dot_stuffed_and_terminated() {
        let block = DataBlock("Subject: x\r\n\r\n.hidden\nline\r\n..two").to_string();
        assert_eq!(
            block,
            "Subject: x\r\n\r\n..hidden\r\nline\r\n...two\r\n.\r\n"
        );
    }

    #[test]
    fn urls_choose_security_ports_and_options() {
        let c = SmtpConfig::from_url("smtp://127.0.0.1:2525?timeout=5")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (c.host.as_str(), c.port, c.security),
            ("127.0.0.1", 2525, Security::Plain)
        );
        assert_eq!(c.timeout, Duration::from_secs(5));
        let c = SmtpConfig::from_url("smtps://ana%40x.org:p%26ss@mail.example.org")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.port, c.security), (465, Security::Tls));
        assert_eq!(c.credentials, Some(("ana@x.org".into(), "p&ss".into())));
        let c = SmtpConfig::from_url("smtp://mail.example.org?tls=starttls")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((c.port, c.security), (587, Security::StartTls));
        for bad in [
            "http://x",
            "smtp://",
            "smtp://x?colour=red",
            "smtp://x?timeout=soon",
            "smtp://x?hello=a%0D%0AMAIL%20FROM:%3Cx@y%3E",
            "smtp://x?hello=",
            "smtp://x?hello=a%20b",
        ] {
            assert_eq!(
                SmtpConfig::from_url(bad).map(|_| ()).map_err(|e| e.kind()),
                Err(ErrorKind::Mail),
                "{bad}"
            );
        }
    }
}
