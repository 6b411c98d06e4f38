//! Delivery status notifications (RFC 3464) and complaint reports (ARF, RFC 5965) read from
//! the bytes of one message: what happened to which recipient of which message we sent.
//!
//! ```
//! let dsn = b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n\
//! --b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.org\r\n\r\n\
//! Final-Recipient: rfc822; ana@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
//! --b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <C1.issued@example.com>\r\n\r\n--b--\r\n";
//! let notice = conferral::bounce::parse(dsn)?;
//! assert_eq!(notice.message_ids, ["<C1.issued@example.com>"]);
//! assert_eq!(notice.recipients[0].verdict(notice.kind), conferral::bounce::Verdict::HardBounce);
//! # Ok::<(), conferral::Error>(())
//! ```
//!
//! Reports come from anyone who can send us an email, so the reader takes nothing on trust:
//! it never panics, refuses a message over [`MAX_REPORT_BYTES`], reads at most
//! [`MAX_REPORT_PARTS`] parts nested at most [`MAX_REPORT_DEPTH`] deep and
//! [`MAX_REPORT_RECIPIENTS`] recipients, and cuts every value it keeps to
//! [`MAX_REPORT_VALUE_CHARS`]. Line ends may be CRLF or LF, headers may be folded, parts may
//! be base64 or quoted-printable. The reader only reads; what a report changes is decided by
//! the issuer (`Issuer::process_bounces`).

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};

/// Largest report read, in bytes: a notice returns at most the original message, and ours
/// are small.
pub const MAX_REPORT_BYTES: usize = 10 * 1024 * 1024;
/// Most MIME parts read in one report, nested ones included.
pub const MAX_REPORT_PARTS: usize = 64;
/// Deepest nesting of multiparts and attached messages followed.
pub const MAX_REPORT_DEPTH: usize = 4;
/// Most recipients read from one notice; the rest are left out.
pub const MAX_REPORT_RECIPIENTS: usize = 1_000;
/// Longest value kept (a diagnostic, an address), in characters; longer ones are cut.
pub const MAX_REPORT_VALUE_CHARS: usize = 1_000;
/// Most header lines read from one header block.
const MAX_HEADER_LINES: usize = 1_000;

/// What kind of report a message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// A delivery status notification (`report-type=delivery-status`).
    DeliveryStatus,
    /// A complaint (`report-type=feedback-report`): the recipient marked the message unwanted.
    Complaint,
}

/// What a mail server did with the message for one recipient (RFC 3464 `Action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// It could not be delivered and will not be tried again.
    Failed,
    /// It is not delivered yet and will be tried again.
    Delayed,
    /// It was delivered.
    Delivered,
    /// It was passed on to a system that sends no notices.
    Relayed,
    /// It was delivered and forwarded to further addresses.
    Expanded,
}

impl Action {
    fn parse(value: &str) -> Option<Action> {
        let word = value
            .split(|c: char| c.is_whitespace() || c == '(')
            .next()?;
        match word.to_ascii_lowercase().as_str() {
            "failed" => Some(Action::Failed),
            "delayed" => Some(Action::Delayed),
            "delivered" => Some(Action::Delivered),
            "relayed" => Some(Action::Relayed),
            "expanded" => Some(Action::Expanded),
            _ => None,
        }
    }
}

/// What a report means for the recipient it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Failed with a permanent (5.x.x) status: the message is bounced and the address is
    /// suppressed.
    HardBounce,
    /// Failed with a temporary (4.x.x) status or none: recorded on the message only.
    SoftBounce,
    /// A complaint: the message is bounced and the address is suppressed.
    Complaint,
    /// Not delivered yet, still being tried: nothing changes.
    Delayed,
    /// Delivered, relayed or expanded: nothing changes.
    Delivered,
    /// No action the reader knows: nothing changes.
    Unclear,
}

impl Verdict {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::HardBounce => "hard_bounce",
            Verdict::SoftBounce => "soft_bounce",
            Verdict::Complaint => "complaint",
            Verdict::Delayed => "delayed",
            Verdict::Delivered => "delivered",
            Verdict::Unclear => "unclear",
        }
    }
}

/// One recipient's part of a report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecipientReport {
    /// The address the reporting server tried (`Final-Recipient`), or for a complaint the
    /// address that complained (`Original-Rcpt-To`, else the returned message's `To`).
    pub final_recipient: Option<String>,
    /// The address as the sender gave it (`Original-Recipient`), when reported.
    pub original_recipient: Option<String>,
    /// What was done (`Action`); none for a complaint or an action not in RFC 3464.
    pub action: Option<Action>,
    /// The status code (`Status`), such as `5.1.1`.
    pub status: Option<String>,
    /// The remote server's words (`Diagnostic-Code`), on one line.
    pub diagnostic: Option<String>,
}

impl RecipientReport {
    /// The class of [`RecipientReport::status`]: 2, 4 or 5.
    pub fn status_class(&self) -> Option<u8> {
        let first = self.status.as_deref()?.chars().next()?;
        match first {
            '2' => Some(2),
            '4' => Some(4),
            '5' => Some(5),
            _ => None,
        }
    }

    /// What this part of a report of `kind` means.
    pub fn verdict(&self, kind: ReportKind) -> Verdict {
        if kind == ReportKind::Complaint {
            return Verdict::Complaint;
        }
        match (self.action, self.status_class()) {
            (Some(Action::Failed), Some(5)) => Verdict::HardBounce,
            (Some(Action::Failed), _) => Verdict::SoftBounce,
            (Some(Action::Delayed), _) => Verdict::Delayed,
            (Some(Action::Delivered | Action::Relayed | Action::Expanded), _) => Verdict::Delivered,
            (None, _) => Verdict::Unclear,
        }
    }

    /// The address the report is about: the final recipient, else the original one.
    pub fn address(&self) -> Option<&str> {
        self.final_recipient
            .as_deref()
            .or(self.original_recipient.as_deref())
    }

    /// The status and the diagnostic, as a message's result records them.
    pub fn summary(&self) -> String {
        let parts: Vec<&str> = [self.status.as_deref(), self.diagnostic.as_deref()]
            .into_iter()
            .flatten()
            .collect();
        if parts.is_empty() {
            "no status given".to_owned()
        } else {
            parts.join(" ")
        }
    }
}

/// One report as read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// A delivery status notification or a complaint.
    pub kind: ReportKind,
    /// The Message-IDs the report is about, best first: the returned message's own, then the
    /// report's `In-Reply-To` and `References`. Each with its angle brackets.
    pub message_ids: Vec<String>,
    /// One entry per recipient reported (one for a complaint).
    pub recipients: Vec<RecipientReport>,
    /// A complaint's `Feedback-Type` (`abuse`, `fraud`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feedback_type: Option<String>,
    /// The server that made the report (`Reporting-MTA`, or a complaint's `User-Agent`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// Recipients left out past [`MAX_REPORT_RECIPIENTS`].
    #[serde(default, skip_serializing_if = "is_zero")]
    pub recipients_omitted: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Reads one report from the bytes of one message (as an `.eml` file holds it, or one
/// message of an mbox).
///
/// # Errors
/// - [`ErrorKind::LimitExceeded`] for a message over [`MAX_REPORT_BYTES`].
/// - [`ErrorKind::UnsupportedFormat`] for a message that is not a `multipart/report` of
///   type `delivery-status` or `feedback-report` (an ordinary reply, an auto-responder, a
///   bounce written as plain text).
/// - [`ErrorKind::MalformedFile`] for a report without its status part.
pub fn parse(bytes: &[u8]) -> Result<Notice> {
    if bytes.len() > MAX_REPORT_BYTES {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the message is {} bytes, over the {MAX_REPORT_BYTES} a report may have",
                bytes.len()
            ),
        ));
    }
    let top = Entity::read(bytes);
    let mut budget = MAX_REPORT_PARTS;
    let Some((report, kind)) = find_report(&top, 0, &mut budget) else {
        return Err(Error::new(
            ErrorKind::UnsupportedFormat,
            "the message is not a delivery status notification or a complaint report (multipart/report)",
        ));
    };
    let parts = children(&report, &mut budget);
    let mut notice = Notice {
        kind,
        message_ids: Vec::new(),
        recipients: Vec::new(),
        feedback_type: None,
        reporter: None,
        recipients_omitted: 0,
    };
    let mut returned: Option<Vec<Header>> = None;
    let mut found_status = false;
    for part in &parts {
        let (media, _) = part.content_type();
        match media.as_str() {
            "message/delivery-status" | "message/global-delivery-status"
                if kind == ReportKind::DeliveryStatus =>
            {
                found_status = true;
                read_delivery_status(&part.decoded_body(), &mut notice);
            }
            "message/feedback-report" if kind == ReportKind::Complaint => {
                found_status = true;
                read_feedback(&part.decoded_body(), &mut notice);
            }
            "text/rfc822-headers" | "message/global-headers" if returned.is_none() => {
                returned = Some(read_headers(&part.decoded_body()).0);
            }
            "message/rfc822" | "message/global" if returned.is_none() => {
                returned = Some(read_headers(&part.decoded_body()).0);
            }
            _ => {}
        }
    }
    if !found_status {
        return Err(Error::new(
            ErrorKind::MalformedFile,
            "the report has no status part (message/delivery-status or message/feedback-report)",
        ));
    }
    if let Some(headers) = &returned {
        push_ids(&mut notice.message_ids, header(headers, "message-id"));
        if kind == ReportKind::Complaint
            && let Some(r) = notice.recipients.first_mut()
            && r.final_recipient.is_none()
        {
            r.final_recipient = header(headers, "to").and_then(address_in);
        }
    }
    push_ids(&mut notice.message_ids, header(&top.headers, "in-reply-to"));
    push_ids(&mut notice.message_ids, header(&top.headers, "references"));
    Ok(notice)
}

/// Whether these bytes are an mbox (they start with a `From ` line) rather than one message.
pub fn is_mbox(bytes: &[u8]) -> bool {
    bytes.starts_with(b"From ")
}

/// The messages of an mbox, each without its `From ` separator line. A `From ` line starts
/// a message at the start of the file or after an empty line; a `From ` inside a message
/// must be quoted (`>From `) by whoever wrote the mbox, as mail programs do.
pub fn split_mbox(bytes: &[u8]) -> Vec<&[u8]> {
    let mut starts = Vec::new();
    let mut at = 0;
    let mut previous_blank = true;
    while at < bytes.len() {
        let end = memchr::memchr(b'\n', bytes.get(at..).unwrap_or_default())
            .map_or(bytes.len(), |i| at + i + 1);
        let line = bytes.get(at..end).unwrap_or_default();
        if previous_blank && line.starts_with(b"From ") {
            starts.push((at, end));
        }
        previous_blank = trim_eol(line).is_empty();
        at = end;
    }
    let mut messages = Vec::with_capacity(starts.len());
    for (i, &(_, body_start)) in starts.iter().enumerate() {
        let end = starts.get(i + 1).map_or(bytes.len(), |&(next, _)| next);
        if let Some(message) = bytes.get(body_start..end) {
            messages.push(message);
        }
    }
    messages
}

/// One header field, unfolded, its name in lower case.
#[derive(Debug, Clone)]
struct Header {
    name: String,
    value: String,
}

/// One MIME entity: its headers and its body as sent (still transfer-encoded).
struct Entity<'a> {
    headers: Vec<Header>,
    body: &'a [u8],
}

impl<'a> Entity<'a> {
    fn read(bytes: &'a [u8]) -> Entity<'a> {
        let (headers, body_at) = read_headers(bytes);
        Entity {
            headers,
            body: bytes.get(body_at..).unwrap_or_default(),
        }
    }

    /// The media type in lower case and its parameters (names in lower case).
    fn content_type(&self) -> (String, Vec<(String, String)>) {
        match header(&self.headers, "content-type") {
            Some(value) => parse_content_type(value),
            None => ("text/plain".to_owned(), Vec::new()),
        }
    }

    fn decoded_body(&self) -> Vec<u8> {
        let encoding = header(&self.headers, "content-transfer-encoding")
            .map(|e| e.trim().to_ascii_lowercase())
            .unwrap_or_default();
        match encoding.as_str() {
            "base64" => decode_base64(self.body),
            "quoted-printable" => decode_quoted_printable(self.body),
            _ => self.body.to_vec(),
        }
    }
}

/// The first value of the header `name` (lower case).
fn header<'h>(headers: &'h [Header], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|h| h.name == name)
        .map(|h| h.value.as_str())
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Reads a header block up to its empty line; returns the fields and where the body starts.
/// Continuation lines (starting with a space or tab) are joined to their field; lines that
/// are not fields are skipped.
fn read_headers(bytes: &[u8]) -> (Vec<Header>, usize) {
    let mut headers: Vec<Header> = Vec::new();
    let mut at = 0;
    let mut lines = 0;
    while at < bytes.len() {
        let end = memchr::memchr(b'\n', bytes.get(at..).unwrap_or_default())
            .map_or(bytes.len(), |i| at + i + 1);
        let line = trim_eol(bytes.get(at..end).unwrap_or_default());
        at = end;
        if line.is_empty() {
            break;
        }
        lines += 1;
        if lines > MAX_HEADER_LINES {
            continue;
        }
        let text = String::from_utf8_lossy(line);
        if text.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut()
                && last.value.len() < MAX_REPORT_VALUE_CHARS * 4
            {
                last.value.push(' ');
                last.value.push_str(text.trim());
            }
            continue;
        }
        if let Some((name, value)) = text.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') {
                headers.push(Header {
                    name: name.to_ascii_lowercase(),
                    value: value.trim().to_owned(),
                });
            }
        }
    }
    (headers, at)
}

/// `type/subtype; name=value; name="quoted value"`.
fn parse_content_type(value: &str) -> (String, Vec<(String, String)>) {
    let mut pieces = split_params(value).into_iter();
    let media = pieces
        .next()
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let params = pieces
        .filter_map(|p| {
            let (name, value) = p.split_once('=')?;
            Some((name.trim().to_ascii_lowercase(), unquote(value.trim())))
        })
        .collect();
    (media, params)
}

/// Splits at the semicolons outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        match c {
            _ if escaped => {
                current.push(c);
                escaped = false;
            }
            '\\' if quoted => {
                current.push(c);
                escaped = true;
            }
            '"' => {
                current.push(c);
                quoted = !quoted;
            }
            ';' if !quoted => pieces.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    pieces.push(current);
    pieces
}

fn unquote(value: &str) -> String {
    let Some(inner) = value.strip_prefix('"') else {
        return value.to_owned();
    };
    let inner = inner.strip_suffix('"').unwrap_or(inner);
    let mut out = String::with_capacity(inner.len());
    let mut escaped = false;
    for c in inner.chars() {
        if c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        escaped = false;
        out.push(c);
    }
    out
}

fn param<'p>(params: &'p [(String, String)], name: &str) -> Option<&'p str> {
    params
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// The `multipart/report` in this entity or nested in its multiparts, with its kind.
fn find_report<'a>(
    entity: &Entity<'a>,
    depth: usize,
    budget: &mut usize,
) -> Option<(Entity<'a>, ReportKind)> {
    let (media, params) = entity.content_type();
    if media == "multipart/report" {
        let kind = match param(&params, "report-type").map(str::to_ascii_lowercase) {
            Some(t) if t == "delivery-status" || t == "global-delivery-status" => {
                ReportKind::DeliveryStatus
            }
            Some(t) if t == "feedback-report" => ReportKind::Complaint,
            _ => return None,
        };
        return Some((
            Entity {
                headers: entity.headers.clone(),
                body: entity.body,
            },
            kind,
        ));
    }
    if !media.starts_with("multipart/") || depth >= MAX_REPORT_DEPTH {
        return None;
    }
    children(entity, budget)
        .into_iter()
        .find_map(|part| find_report(&part, depth + 1, budget))
}

/// The parts of a multipart entity, at most `budget` of them in all.
fn children<'a>(entity: &Entity<'a>, budget: &mut usize) -> Vec<Entity<'a>> {
    let (_, params) = entity.content_type();
    let Some(boundary) = param(&params, "boundary").filter(|b| !b.is_empty() && b.len() <= 200)
    else {
        return Vec::new();
    };
    let delimiter = format!("--{boundary}");
    let body = entity.body;
    let mut parts = Vec::new();
    let mut part_start: Option<usize> = None;
    let mut at = 0;
    while at < body.len() {
        let end = memchr::memchr(b'\n', body.get(at..).unwrap_or_default())
            .map_or(body.len(), |i| at + i + 1);
        let line = trim_eol(body.get(at..end).unwrap_or_default());
        if let Some(rest) = line.strip_prefix(delimiter.as_bytes()) {
            let closing = rest.starts_with(b"--");
            if closing || rest.iter().all(u8::is_ascii_whitespace) {
                if let Some(start) = part_start.take() {
                    // The line break before a delimiter belongs to the delimiter.
                    let content = body.get(start..at).unwrap_or_default();
                    let content = content.strip_suffix(b"\n").unwrap_or(content);
                    let content = content.strip_suffix(b"\r").unwrap_or(content);
                    if *budget == 0 {
                        return parts;
                    }
                    *budget -= 1;
                    parts.push(Entity::read(content));
                }
                if closing {
                    return parts;
                }
                part_start = Some(end);
            }
        }
        at = end;
    }
    // An unclosed last part is read as far as it goes.
    if let Some(start) = part_start
        && *budget > 0
    {
        *budget -= 1;
        parts.push(Entity::read(body.get(start..).unwrap_or_default()));
    }
    parts
}

/// Calls `each` with every header block of a status part, in order (blocks are split at
/// empty lines). Blocks are read one at a time, so a flood of them takes no more memory
/// than one.
fn for_each_block(bytes: &[u8], mut each: impl FnMut(Vec<Header>)) {
    let mut at = 0;
    while at < bytes.len() {
        // Skip the empty lines between blocks.
        let rest = bytes.get(at..).unwrap_or_default();
        let blank = rest
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n' | b' ' | b'\t'))
            .count();
        at += blank;
        if at >= bytes.len() {
            break;
        }
        let (headers, used) = read_headers(bytes.get(at..).unwrap_or_default());
        if used == 0 {
            break;
        }
        at += used;
        if !headers.is_empty() {
            each(headers);
        }
    }
}

fn read_delivery_status(bytes: &[u8], notice: &mut Notice) {
    for_each_block(bytes, |block| {
        let per_recipient = header(&block, "final-recipient").is_some()
            || header(&block, "action").is_some()
            || header(&block, "original-recipient").is_some();
        if !per_recipient {
            if notice.reporter.is_none() {
                notice.reporter = header(&block, "reporting-mta").map(value_of_typed);
            }
            return;
        }
        if notice.recipients.len() >= MAX_REPORT_RECIPIENTS {
            notice.recipients_omitted += 1;
            return;
        }
        notice.recipients.push(RecipientReport {
            final_recipient: header(&block, "final-recipient").and_then(address_of_typed),
            original_recipient: header(&block, "original-recipient").and_then(address_of_typed),
            action: header(&block, "action").and_then(Action::parse),
            status: header(&block, "status").and_then(status_code),
            diagnostic: header(&block, "diagnostic-code")
                .map(value_of_typed)
                .filter(|d| !d.is_empty()),
        });
    });
}

fn read_feedback(bytes: &[u8], notice: &mut Notice) {
    let mut fields: Vec<Header> = Vec::new();
    for_each_block(bytes, |block| {
        if fields.len() < MAX_HEADER_LINES {
            fields.extend(block);
        }
    });
    notice.feedback_type = header(&fields, "feedback-type").map(|t| bounded(t.trim()));
    notice.reporter = header(&fields, "user-agent").map(|t| bounded(t.trim()));
    notice.recipients.push(RecipientReport {
        final_recipient: header(&fields, "original-rcpt-to").and_then(address_in),
        ..RecipientReport::default()
    });
}

/// A value cut to [`MAX_REPORT_VALUE_CHARS`], control characters made spaces.
fn bounded(value: &str) -> String {
    value
        .chars()
        .take(MAX_REPORT_VALUE_CHARS)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// `type; value` (RFC 3464's typed fields): the value, bounded.
fn value_of_typed(field: &str) -> String {
    let value = field.split_once(';').map_or(field, |(_, v)| v);
    bounded(value.trim())
}

/// The address of a typed address field (`rfc822; <ana@example.org>`).
fn address_of_typed(field: &str) -> Option<String> {
    address_in(&value_of_typed(field))
}

/// An address written bare or in angle brackets, possibly after a display name.
fn address_in(value: &str) -> Option<String> {
    let inner = match (value.rfind('<'), value.rfind('>')) {
        (Some(open), Some(close)) if open < close => value.get(open + 1..close)?,
        _ => value,
    };
    let address = inner.trim().trim_start_matches("mailto:");
    (address.contains('@') && !address.contains(char::is_whitespace)).then(|| bounded(address))
}

/// The first `d.ddd.ddd` in a status field (it may carry a comment).
fn status_code(field: &str) -> Option<String> {
    field
        .split(|c: char| c.is_whitespace() || c == '(' || c == ';')
        .find(|word| {
            let mut pieces = word.split('.');
            let class_ok = pieces.next().is_some_and(|c| matches!(c, "2" | "4" | "5"));
            let rest: Vec<&str> = pieces.collect();
            class_ok
                && rest.len() == 2
                && rest
                    .iter()
                    .all(|p| !p.is_empty() && p.len() <= 3 && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_owned)
}

/// Adds each `<...>` id in `value` not already listed.
fn push_ids(ids: &mut Vec<String>, value: Option<&str>) {
    let Some(mut rest) = value else {
        return;
    };
    while let Some(open) = rest.find('<') {
        let after = rest.get(open..).unwrap_or_default();
        let Some(close) = after.find('>') else {
            return;
        };
        let id = after.get(..=close).unwrap_or_default();
        if id.len() > 2
            && id.len() <= MAX_REPORT_VALUE_CHARS
            && !id.contains(char::is_whitespace)
            && !ids.iter().any(|known| known == id)
            && ids.len() < 32
        {
            ids.push(id.to_owned());
        }
        rest = after.get(close + 1..).unwrap_or_default();
    }
}

fn decode_base64(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for &b in bytes {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            _ => continue,
        };
        acc = ((acc << 6) | u32::from(v)) & 0x00ff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((acc >> bits) & 0xff) as u8);
        }
    }
    out
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    }
}

fn decode_quoted_printable(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        if b != b'=' {
            out.push(b);
            i += 1;
            continue;
        }
        let next = bytes.get(i + 1).copied();
        let after = bytes.get(i + 2).copied();
        match (next, after) {
            // A soft line break.
            (Some(b'\n'), _) => i += 2,
            (Some(b'\r'), Some(b'\n')) => i += 3,
            (Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h).unwrap_or(0) << 4) | hex(l).unwrap_or(0));
                i += 3;
            }
            // Not an escape: kept as written.
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoders_keep_what_they_cannot_read() {
        assert_eq!(decode_base64(b"aGVs\r\nbG8=\r\n"), b"hello");
        assert_eq!(decode_base64(b"!!"), b"");
        assert_eq!(
            decode_quoted_printable(b"a=3Db=\r\nc=\nd=ZZ="),
            b"a=bcd=ZZ="
        );
    }

    #[test]
    fn typed_fields_give_their_values() {
        assert_eq!(
            address_of_typed("rfc822; <Ana@Example.org>").as_deref(),
            Some("Ana@Example.org")
        );
        assert_eq!(address_of_typed("rfc822;"), None);
        assert_eq!(status_code("5.1.1 (bad mailbox)").as_deref(), Some("5.1.1"));
        assert_eq!(status_code("(comment) 4.4.7").as_deref(), Some("4.4.7"));
        assert_eq!(status_code("9.9.9"), None);
        assert_eq!(status_code("5.1"), None);
        let mut ids = Vec::new();
        push_ids(&mut ids, Some("<a@b> <c@d>\t<a@b> <broken"));
        assert_eq!(ids, ["<a@b>", "<c@d>"]);
    }

    #[test]
    fn mbox_messages_start_after_an_empty_line() {
        let mbox = b"From a@b Mon\nSubject: 1\n\nbody\nFrom inside\n\nFrom c@d Tue\r\nSubject: 2\r\n\r\nx\n";
        let messages = split_mbox(mbox);
        assert_eq!(messages.len(), 2);
        assert!(messages[0].starts_with(b"Subject: 1"));
        assert!(messages[1].starts_with(b"Subject: 2"));
        assert!(is_mbox(mbox));
        assert!(split_mbox(b"").is_empty());
    }
}
