//! Helpers for conferral's cross-crate tests: writers that produce rosters in every format
//! conferral reads, and paths to the committed fixtures.

use std::io::Write;
use std::path::PathBuf;

use chrono::NaiveDate;

/// Runs each named test function (generic over the store, taking a `fn() -> S` that makes a
/// fresh one) on every store: the memory store and SQLite in memory.
#[macro_export]
macro_rules! on_every_store {
    ($($name:ident),* $(,)?) => {
        mod memory {
            $(#[test] fn $name() { super::$name(conferral::storage::MemoryStorage::new); })*
        }
        mod sqlite {
            $(#[test] fn $name() { super::$name(|| conferral_sqlite::SqliteStorage::open_in_memory().unwrap()); })*
        }
    };
}

/// Folder of committed fixtures.
pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A typed cell to write.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Nothing.
    Empty,
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A date (a date cell in workbooks; text in CSV).
    Date(NaiveDate),
}

/// Text encodings a CSV can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a byte order mark.
    Utf8,
    /// UTF-8 with a byte order mark.
    Utf8Bom,
    /// UTF-16 little endian with a byte order mark.
    Utf16Le,
    /// UTF-16 big endian with a byte order mark.
    Utf16Be,
    /// Windows-1252 (only when every character fits).
    Windows1252,
}

/// How a CSV is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvStyle {
    /// Text encoding.
    pub encoding: Encoding,
    /// Field delimiter.
    pub delimiter: u8,
    /// `\r\n` when true, `\n` otherwise.
    pub crlf: bool,
}

/// Writes rows as CSV; dates are written with `date_text` (given the column index).
/// Returns `None` when the text cannot be encoded (Windows-1252 lacks a character).
pub fn csv(
    rows: &[Vec<Cell>],
    style: CsvStyle,
    date_text: &dyn Fn(usize, NaiveDate) -> String,
) -> Option<Vec<u8>> {
    let mut writer = csv::WriterBuilder::new()
        .delimiter(style.delimiter)
        .terminator(if style.crlf {
            csv::Terminator::CRLF
        } else {
            csv::Terminator::Any(b'\n')
        })
        .from_writer(Vec::new());
    for row in rows {
        let fields: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(i, c)| match c {
                Cell::Empty => String::new(),
                Cell::Text(t) => t.clone(),
                Cell::Number(n) => format!("{n}"),
                Cell::Date(d) => date_text(i, *d),
            })
            .collect();
        writer.write_record(&fields).ok()?;
    }
    let utf8 = String::from_utf8(writer.into_inner().ok()?).ok()?;
    Some(match style.encoding {
        Encoding::Utf8 => utf8.into_bytes(),
        Encoding::Utf8Bom => [b"\xEF\xBB\xBF".as_slice(), utf8.as_bytes()].concat(),
        Encoding::Utf16Le => [
            vec![0xFF, 0xFE],
            utf8.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        ]
        .concat(),
        Encoding::Utf16Be => [
            vec![0xFE, 0xFF],
            utf8.encode_utf16().flat_map(u16::to_be_bytes).collect(),
        ]
        .concat(),
        Encoding::Windows1252 => {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&utf8);
            if unmappable {
                return None;
            }
            bytes.into_owned()
        }
    })
}

/// Writes rows as XLSX with rust_xlsxwriter: dates as date cells, numbers as numbers.
pub fn xlsx_rust_xlsxwriter(rows: &[Vec<Cell>]) -> Option<Vec<u8>> {
    use chrono::Datelike;
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut workbook = Workbook::new();
    let date_format = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (u32::try_from(r).ok()?, u16::try_from(c).ok()?);
            match cell {
                Cell::Empty => {}
                Cell::Text(t) => {
                    sheet.write_string(r, c, t).ok()?;
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n).ok()?;
                }
                Cell::Date(d) => {
                    let dt = ExcelDateTime::from_ymd(
                        u16::try_from(d.year()).ok()?,
                        u8::try_from(d.month()).ok()?,
                        u8::try_from(d.day()).ok()?,
                    )
                    .ok()?;
                    sheet
                        .write_datetime_with_format(r, c, &dt, &date_format)
                        .ok()?;
                }
            }
        }
    }
    workbook.save_to_buffer().ok()
}

/// Writes rows as XLSX with conferral's own writer.
pub fn xlsx_conferral(rows: &[Vec<Cell>]) -> Option<Vec<u8>> {
    use conferral::output::xlsx_writer::{XlsxSheet, XlsxValue, write};
    let rows = rows
        .iter()
        .map(|row| {
            row.iter()
                .map(|c| match c {
                    Cell::Empty => XlsxValue::Empty,
                    Cell::Text(t) => XlsxValue::Text(t.clone()),
                    Cell::Number(n) => XlsxValue::Number(*n),
                    Cell::Date(d) => XlsxValue::Date(*d),
                })
                .collect()
        })
        .collect();
    write(&[XlsxSheet {
        name: "Roster".into(),
        rows,
        ..XlsxSheet::default()
    }])
    .ok()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Writes rows as a minimal OpenDocument spreadsheet with one sheet.
pub fn ods(rows: &[Vec<Cell>]) -> Option<Vec<u8>> {
    ods_sheets(&[("Roster", rows.to_vec())])
}

/// Writes named sheets as a minimal OpenDocument spreadsheet.
pub fn ods_sheets(sheets: &[(&str, Vec<Vec<Cell>>)]) -> Option<Vec<u8>> {
    let mut content = String::from(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" "#,
        r#"xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">"#,
        r#"<office:body><office:spreadsheet>"#
    ));
    for (name, rows) in sheets {
        content.push_str(&format!(
            r#"<table:table table:name="{}">"#,
            xml_escape(name)
        ));
        if rows.is_empty() {
            content.push_str("<table:table-row><table:table-cell/></table:table-row>");
        }
        for row in rows {
            content.push_str("<table:table-row>");
            if row.is_empty() {
                content.push_str("<table:table-cell/>");
            }
            for cell in row {
                match cell {
                    Cell::Empty => content.push_str("<table:table-cell/>"),
                    Cell::Text(t) => content.push_str(&format!(r#"<table:table-cell office:value-type="string"><text:p>{}</text:p></table:table-cell>"#, xml_escape(t))),
                    Cell::Number(n) => content.push_str(&format!(r#"<table:table-cell office:value-type="float" office:value="{n}"><text:p>{n}</text:p></table:table-cell>"#)),
                    Cell::Date(d) => content.push_str(&format!(r#"<table:table-cell office:value-type="date" office:date-value="{d}"><text:p>{d}</text:p></table:table-cell>"#)),
                }
            }
            content.push_str("</table:table-row>");
        }
        content.push_str("</table:table>");
    }
    content.push_str("</office:spreadsheet></office:body></office:document-content>");
    let manifest = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">"#,
        r#"<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>"#,
        r#"<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    zip.start_file("mimetype", stored).ok()?;
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .ok()?;
    zip.start_file("META-INF/manifest.xml", deflated).ok()?;
    zip.write_all(manifest.as_bytes()).ok()?;
    zip.start_file("content.xml", deflated).ok()?;
    zip.write_all(content.as_bytes()).ok()?;
    Some(zip.finish().ok()?.into_inner())
}

/// Writes rows as XLS (BIFF8) with one sheet; see [`xls_sheets`].
pub fn xls(rows: &[Vec<Cell>]) -> Result<Vec<u8>, String> {
    xls_sheets(&[("Roster", rows.to_vec())])
}

/// Writes named sheets as XLS (BIFF8) through Python's xlwt, from the venv the test command
/// sets up (`CONFERRAL_TOOLS_PYTHON`). Returns an error message when that is not available.
pub fn xls_sheets(sheets: &[(&str, Vec<Vec<Cell>>)]) -> Result<Vec<u8>, String> {
    let python = std::env::var("CONFERRAL_TOOLS_PYTHON").map_err(|_| {
        "CONFERRAL_TOOLS_PYTHON is not set; run the tests through `make test`".to_owned()
    })?;
    let cell = |c: &Cell| match c {
        Cell::Empty => serde_json::json!(null),
        Cell::Text(t) => serde_json::json!({"s": t}),
        Cell::Number(n) => serde_json::json!({"n": n}),
        Cell::Date(d) => serde_json::json!({"d": d.to_string()}),
    };
    let json: Vec<serde_json::Value> = sheets
        .iter()
        .map(|(name, rows)| {
            let rows: Vec<Vec<serde_json::Value>> =
                rows.iter().map(|r| r.iter().map(cell).collect()).collect();
            serde_json::json!({"name": name, "rows": rows})
        })
        .collect();
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support/write_xls.py");
    let mut child = std::process::Command::new(python)
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start python: {e}"))?;
    let input = serde_json::to_string(&json).map_err(|e| e.to_string())?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(input.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(out.stdout)
}

/// How a [`SmtpServer`] protects its sessions.
#[derive(Debug, Clone, Default)]
pub struct ServerSecurity {
    /// `None` for plain SMTP; `Some((implicit, cert, key))` for TLS from the first byte
    /// (`implicit`) or a required `STARTTLS`, with the server's PEM certificate chain and key.
    pub tls: Option<(bool, PathBuf, PathBuf)>,
    /// A user name and password that `AUTH` must give before any mail (only after TLS).
    pub login: Option<(String, String)>,
    /// How long the server waits before each reply to the message data, in seconds: a slow
    /// server, so that a worker killed at a random moment is often mid-send.
    pub reply_delay_secs: f64,
}

/// A scripted SMTP server (`support/smtp_server.py`, aiosmtpd) running on loopback for as
/// long as this value lives.
pub struct SmtpServer {
    child: std::process::Child,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// The JSON-lines file where it records every message whose data it read.
    pub log: PathBuf,
}

/// One message as the server recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The recipient.
    pub rcpt: String,
    /// The Message-ID header.
    pub message_id: String,
    /// `accepted`, `dropped`, `stalled` or `refused`.
    pub outcome: String,
    /// The connection it came on (the client's port).
    pub connection: u64,
    /// Whether that connection was encrypted.
    pub tls: bool,
    /// The user the session authenticated as.
    pub user: Option<String>,
}

impl SmtpServer {
    /// A plain server (see [`SmtpServer::start_with`]).
    pub fn start(log: PathBuf, stall_secs: f64) -> Result<SmtpServer, String> {
        Self::start_with(log, stall_secs, &ServerSecurity::default())
    }

    /// Starts the server with the venv the test command sets up (`CONFERRAL_TOOLS_PYTHON`);
    /// `stall` is how long `stall-*` recipients wait before the reply. The server binds a
    /// free port itself and reports it, so no other process can take the port in between.
    pub fn start_with(
        log: PathBuf,
        stall_secs: f64,
        security: &ServerSecurity,
    ) -> Result<SmtpServer, String> {
        use std::io::BufRead;
        let python = std::env::var("CONFERRAL_TOOLS_PYTHON").map_err(|_| {
            "CONFERRAL_TOOLS_PYTHON is not set; run the tests through `make test`".to_owned()
        })?;
        let _ = std::fs::remove_file(&log);
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("support/smtp_server.py");
        let mut command = std::process::Command::new(python);
        command
            .arg(script)
            .args(["--stall", &stall_secs.to_string()])
            .arg("--log")
            .arg(&log);
        if let Some((implicit, cert, key)) = &security.tls {
            command
                .args(["--tls", if *implicit { "implicit" } else { "starttls" }])
                .arg("--cert")
                .arg(cert)
                .arg("--key")
                .arg(key);
        }
        if let Some((user, password)) = &security.login {
            command.args(["--user", user, "--password", password]);
        }
        if security.reply_delay_secs > 0.0 {
            command.args(["--delay", &security.reply_delay_secs.to_string()]);
        }
        let mut child = command
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the SMTP server: {e}"))?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        let port = line
            .trim()
            .strip_prefix("ready ")
            .and_then(|p| p.parse::<u16>().ok());
        let Some(port) = port else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("the SMTP server did not start: it said {line:?}"));
        };
        Ok(SmtpServer { child, port, log })
    }

    /// Every message the server read, as `(recipient, message id, outcome)`.
    pub fn received(&self) -> Vec<(String, String, String)> {
        self.records()
            .into_iter()
            .map(|r| (r.rcpt, r.message_id, r.outcome))
            .collect()
    }

    /// Every message the server read, with the session it came on.
    pub fn records(&self) -> Vec<Received> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        // Only a last line the server is still writing may be incomplete; any other line that
        // does not read is a broken log, and skipping it could hide a second delivery.
        let complete = match text.rfind('\n') {
            Some(end) => text.get(..end).unwrap_or_default(),
            None => "",
        };
        complete
            .lines()
            .map(|l| match serde_json::from_str::<serde_json::Value>(l) {
                Ok(v) => {
                    let s = |k: &str| {
                        v.get(k)
                            .and_then(|x| x.as_str())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    Received {
                        rcpt: s("rcpt"),
                        message_id: s("message_id"),
                        outcome: s("outcome"),
                        connection: v
                            .get("connection")
                            .and_then(serde_json::Value::as_u64)
                            .unwrap_or_default(),
                        tls: v.get("tls").and_then(serde_json::Value::as_bool) == Some(true),
                        user: v.get("user").and_then(|u| u.as_str()).map(str::to_owned),
                    }
                }
                Err(e) => unreadable_log_line(l, &e),
            })
            .collect()
    }
}

#[expect(
    clippy::panic,
    reason = "a test helper fails the test that reads a broken log"
)]
fn unreadable_log_line(line: &str, error: &serde_json::Error) -> Received {
    panic!("the SMTP server's log has an unreadable line ({error}): {line}")
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Credential ids `<prefix>0001`, `<prefix>0002`, ...: predictable, for tests to name.
pub struct SequentialIds {
    prefix: &'static str,
    next: u32,
}

impl SequentialIds {
    /// Ids with `prefix`, starting after `start` (`start` 0 gives `<prefix>0001` first).
    pub fn new(prefix: &'static str, start: u32) -> SequentialIds {
        SequentialIds {
            prefix,
            next: start,
        }
    }
}

impl conferral::lifecycle::IdSource for SequentialIds {
    fn next_id(&mut self) -> String {
        self.next += 1;
        format!("{}{:04}", self.prefix, self.next)
    }
}

/// 2026-03-02 09:00 UTC, the time the issuing tests start at.
pub fn t0() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .with_ymd_and_hms(2026, 3, 2, 9, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The issuer settings the issuing tests use: links under `https://credentials.example.org/c`,
/// mail from `Academy <academy@example.org>`.
pub fn issuer_config() -> conferral::issuer::IssuerConfig {
    conferral::issuer::IssuerConfig::new(
        "https://credentials.example.org/c",
        conferral::mail::Mailbox {
            name: "Academy".into(),
            email: "academy@example.org".into(),
        },
    )
}

/// A store that calls `hook` with the method's name before every call and fails that call
/// when the hook returns an error; otherwise the store inside answers. Tests use it to inject
/// faults at any call, or to let something else happen just before one.
pub struct HookedStore<S> {
    /// The store that answers.
    pub inner: S,
    hook: Box<dyn Fn(&'static str) -> conferral::Result<()>>,
}

impl<S> HookedStore<S> {
    /// Wraps `inner`, calling `hook` before each of its calls.
    pub fn new(inner: S, hook: impl Fn(&'static str) -> conferral::Result<()> + 'static) -> Self {
        HookedStore {
            inner,
            hook: Box::new(hook),
        }
    }
}

mod hooked {
    use chrono::{DateTime, Utc};
    use conferral::Result;
    use conferral::group::Group;
    use conferral::lifecycle::Credential;
    use conferral::outbox::{DeliveryState, OutboxMessage};
    use conferral::storage::{
        Batch, CredentialQuery, MessageQuery, StatusCounts, Storage, StoredGroup,
    };

    use super::HookedStore;

    impl<S: Storage> Storage for HookedStore<S> {
        fn put_group(&mut self, group: &Group) -> Result<u32> {
            (self.hook)("put_group")?;
            self.inner.put_group(group)
        }
        fn stored_group(&self, key: &str, version: Option<u32>) -> Result<Option<StoredGroup>> {
            (self.hook)("stored_group")?;
            self.inner.stored_group(key, version)
        }
        fn groups(&self) -> Result<Vec<StoredGroup>> {
            (self.hook)("groups")?;
            self.inner.groups()
        }
        fn visitor_secret(&mut self, day: chrono::NaiveDate, fresh: &[u8; 32]) -> Result<[u8; 32]> {
            (self.hook)("visitor_secret")?;
            self.inner.visitor_secret(day, fresh)
        }
        fn group(&self, key: &str) -> Result<Option<Group>> {
            (self.hook)("group")?;
            self.inner.group(key)
        }
        fn mappings(&self, group: &str) -> Result<conferral::matching::SavedMappings> {
            (self.hook)("mappings")?;
            self.inner.mappings(group)
        }
        fn put_mappings(
            &mut self,
            group: &str,
            mappings: &conferral::matching::SavedMappings,
        ) -> Result<()> {
            (self.hook)("put_mappings")?;
            self.inner.put_mappings(group, mappings)
        }
        fn commit_import(&mut self, b: &Batch, c: &[Credential], r: &[Credential]) -> Result<()> {
            (self.hook)("commit_import")?;
            self.inner.commit_import(b, c, r)
        }
        fn batch_by_fingerprint(&self, g: &str, f: &str) -> Result<Option<Batch>> {
            (self.hook)("batch_by_fingerprint")?;
            self.inner.batch_by_fingerprint(g, f)
        }
        fn batch(&self, id: &str) -> Result<Option<Batch>> {
            (self.hook)("batch")?;
            self.inner.batch(id)
        }
        fn batches(&self, group: Option<&str>) -> Result<Vec<Batch>> {
            (self.hook)("batches")?;
            self.inner.batches(group)
        }
        fn credential(&self, id: &str) -> Result<Option<Credential>> {
            (self.hook)("credential")?;
            self.inner.credential(id)
        }
        fn credentials(&self, q: &CredentialQuery) -> Result<Vec<Credential>> {
            (self.hook)("credentials")?;
            self.inner.credentials(q)
        }
        fn count_credentials(&self, q: &CredentialQuery) -> Result<u64> {
            (self.hook)("count_credentials")?;
            self.inner.count_credentials(q)
        }
        fn update_credential(&mut self, c: &Credential) -> Result<()> {
            (self.hook)("update_credential")?;
            self.inner.update_credential(c)
        }
        fn delete_drafts(&mut self, ids: &[String]) -> Result<Vec<String>> {
            (self.hook)("delete_drafts")?;
            self.inner.delete_drafts(ids)
        }
        fn commit_publish(&mut self, c: &[Credential], m: &[OutboxMessage]) -> Result<()> {
            (self.hook)("commit_publish")?;
            self.inner.commit_publish(c, m)
        }
        fn claim_next(
            &mut self,
            now: DateTime<Utc>,
            lease: &conferral::outbox::Lease,
        ) -> Result<Option<OutboxMessage>> {
            (self.hook)("claim_next")?;
            self.inner.claim_next(now, lease)
        }
        fn update_message(&mut self, m: &OutboxMessage, expected: DeliveryState) -> Result<()> {
            (self.hook)("update_message")?;
            self.inner.update_message(m, expected)
        }
        fn update_messages(&mut self, changes: &[(OutboxMessage, DeliveryState)]) -> Result<()> {
            (self.hook)("update_messages")?;
            self.inner.update_messages(changes)
        }
        fn message(&self, id: &str) -> Result<Option<OutboxMessage>> {
            (self.hook)("message")?;
            self.inner.message(id)
        }
        fn queue_messages(&mut self, messages: &[OutboxMessage]) -> Result<Vec<String>> {
            (self.hook)("queue_messages")?;
            self.inner.queue_messages(messages)
        }
        fn credentials_with_event(
            &self,
            kind: conferral::events::EventKind,
            credentials: &[String],
        ) -> Result<std::collections::BTreeSet<String>> {
            (self.hook)("credentials_with_event")?;
            self.inner.credentials_with_event(kind, credentials)
        }
        fn messages(&self, q: &MessageQuery) -> Result<Vec<OutboxMessage>> {
            (self.hook)("messages")?;
            self.inner.messages(q)
        }
        fn allocate_status_indexes(&mut self, count: u64) -> Result<u64> {
            (self.hook)("allocate_status_indexes")?;
            self.inner.allocate_status_indexes(count)
        }
        fn status_indexes(&self) -> Result<u64> {
            (self.hook)("status_indexes")?;
            self.inner.status_indexes()
        }
        fn record_events(&mut self, events: &[conferral::events::Event]) -> Result<u64> {
            (self.hook)("record_events")?;
            self.inner.record_events(events)
        }
        fn event_counts(
            &self,
            query: &conferral::events::EventQuery,
            daily: bool,
        ) -> Result<Vec<conferral::events::EventCount>> {
            (self.hook)("event_counts")?;
            self.inner.event_counts(query, daily)
        }
        fn status(&self) -> Result<StatusCounts> {
            (self.hook)("status")?;
            self.inner.status()
        }
        fn suppress(&mut self, entry: &conferral::storage::Suppression) -> Result<bool> {
            (self.hook)("suppress")?;
            self.inner.suppress(entry)
        }
        fn unsuppress(&mut self, email: &str) -> Result<bool> {
            (self.hook)("unsuppress")?;
            self.inner.unsuppress(email)
        }
        fn suppression(&self, email: &str) -> Result<Option<conferral::storage::Suppression>> {
            (self.hook)("suppression")?;
            self.inner.suppression(email)
        }
        fn suppressions(&self) -> Result<Vec<conferral::storage::Suppression>> {
            (self.hook)("suppressions")?;
            self.inner.suppressions()
        }
    }
}

/// A `--db` URL for a new, empty schema `{tag}_{pid}` on the test server
/// (`CONFERRAL_TEST_POSTGRES_URL`, set by `make test`): the store makes the schema, and the
/// URL reaches it through `search_path`, as a user's `postgres://` URL would.
///
/// # Errors
/// When the variable is not set or the server cannot be reached.
pub fn postgres_url_in_new_schema(tag: &str) -> Result<String, String> {
    let url = std::env::var("CONFERRAL_TEST_POSTGRES_URL").map_err(|_| {
        "CONFERRAL_TEST_POSTGRES_URL is not set; run the tests through `make test`".to_owned()
    })?;
    let schema = format!("{tag}_{}", std::process::id());
    conferral_postgres::PostgresStorage::connect_with(
        &url,
        &conferral_postgres::Options::default().schema(&schema),
    )
    .map_err(|e| e.to_string())?;
    let joiner = if url.contains('?') { '&' } else { '?' };
    Ok(format!("{url}{joiner}options=-csearch_path%3D{schema}"))
}
