//! The report's pretty JSON, written without going through serde for the records.
//!
//! A million records make a third of a gigabyte of pretty JSON, and serde spends most of its
//! time there on the same few keys and indentation over and over. Here the records are written
//! directly (each key's line rendered once), in pieces rendered on worker threads and written
//! in order, and the rest of the report goes through `serde_json` as before. The bytes are
//! exactly those of `serde_json::to_writer_pretty(report)`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, mpsc};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter};

use super::records::date_bytes;
use super::{
    ColumnMatch, Finding, Fix, Mapping, PreviewRow, RecordValue, Records, Report, Source, Summary,
};
use crate::values::date::format_date;

/// Records rendered in one piece: a few hundred kilobytes of JSON, written while they are
/// still in the cache (pieces of megabytes cost the kernel several times more to copy).
const PIECE_RECORDS: usize = 1024;

/// Pieces rendered but not yet written, per worker: bounds the memory the output takes
/// (about 3 MB per worker). With more threads than cores, the writer and the workers take
/// turns: with only two pieces each, a worker waited for the writer to free a buffer, and the
/// writer for a worker's piece, more often (a million records written 20 ms sooner with eight).
const PIECES_AHEAD: usize = 8;

impl Report {
    /// Writes the report as `serde_json::to_writer_pretty` does, byte for byte, faster when
    /// it has records: those are rendered on up to `threads` threads (0: one per core) in
    /// pieces written in order, holding a few pieces of output at a time.
    ///
    /// Where threads cannot start (WebAssembly), the calling thread does all the work.
    pub fn write_json_pretty<W: Write + ?Sized>(
        &self,
        out: &mut W,
        threads: usize,
    ) -> io::Result<()> {
        let Some(records) = &self.records else {
            return serde_json::to_writer_pretty(out, self).map_err(io::Error::from);
        };
        // Every field before the records, as the whole report writes them, but for the
        // closing `\n}`.
        let head = Head {
            source: &self.source,
            columns: &self.columns,
            mapping: &self.mapping,
            summary: &self.summary,
            findings: &self.findings,
            fixes: &self.fixes,
        };
        let mut trimmed = Trimmed {
            out: &mut *out,
            held: [0; 2],
            held_len: 0,
        };
        serde_json::to_writer_pretty(&mut trimmed, &head)?;
        if trimmed.held() != b"\n}" {
            return Err(io::Error::other(
                "the report's JSON does not end as an object",
            ));
        }
        out.write_all(b",\n  \"records\": ")?;
        write_records(records, out, threads)?;
        if let Some(preview) = &self.preview {
            // `{"preview": ...}` without its braces is the field as the report writes it.
            let tail = serde_json::to_vec_pretty(&Tail { preview })?;
            let field = tail
                .get(1..tail.len().saturating_sub(2))
                .unwrap_or_default();
            out.write_all(b",")?;
            out.write_all(field)?;
        }
        out.write_all(b"\n}")
    }
}

/// The fields of a [`Report`] before its records, serialised as the report serialises them.
#[derive(Serialize)]
struct Head<'a> {
    source: &'a Source,
    columns: &'a [ColumnMatch],
    mapping: &'a Mapping,
    summary: &'a Summary,
    findings: &'a [Finding],
    #[serde(skip_serializing_if = "no_fixes")]
    fixes: &'a [Fix],
}

fn no_fixes(fixes: &&[Fix]) -> bool {
    fixes.is_empty()
}

/// The field after the records.
#[derive(Serialize)]
struct Tail<'a> {
    preview: &'a [PreviewRow],
}

/// Passes bytes on but for the last two, held back.
struct Trimmed<'a, W: ?Sized> {
    out: &'a mut W,
    held: [u8; 2],
    held_len: usize,
}

impl<W: Write + ?Sized> Trimmed<'_, W> {
    fn held(&self) -> &[u8] {
        self.held.get(..self.held_len).unwrap_or_default()
    }
}

impl<W: Write + ?Sized> Write for Trimmed<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if buf.len() >= self.held.len() {
            let (now, last) = buf.split_at(buf.len() - self.held.len());
            self.out
                .write_all(self.held.get(..self.held_len).unwrap_or_default())?;
            self.out.write_all(now)?;
            self.held.copy_from_slice(last);
            self.held_len = self.held.len();
        } else {
            for &b in buf {
                if self.held_len == self.held.len() {
                    self.out.write_all(self.held.get(..1).unwrap_or_default())?;
                    self.held.rotate_left(1);
                    self.held_len -= 1;
                }
                if let Some(slot) = self.held.get_mut(self.held_len) {
                    *slot = b;
                }
                self.held_len += 1;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes the records as the value of a field of the report (the list opening at indent 1).
fn write_records<W: Write + ?Sized>(
    records: &Records,
    out: &mut W,
    threads: usize,
) -> io::Result<()> {
    let keys = KeyLines::new(records.keys());
    let pieces = records.len().div_ceil(PIECE_RECORDS);
    out.write_all(b"[")?;
    let workers = crate::limits::threads(threads).min(pieces);
    let rendered = if workers > 1 {
        write_pieces_in_parallel(records, &keys, pieces, workers, out)?
    } else {
        false
    };
    if !rendered {
        let mut buf = Vec::new();
        for piece in 0..pieces {
            buf.clear();
            render(records, &keys, piece_range(records, piece), &mut buf);
            out.write_all(&buf)?;
        }
    }
    out.write_all(if records.is_empty() { b"]" } else { b"\n  ]" })
}

/// The records of piece `piece`.
fn piece_range(records: &Records, piece: usize) -> Range<usize> {
    let start = piece.saturating_mul(PIECE_RECORDS).min(records.len());
    start..start.saturating_add(PIECE_RECORDS).min(records.len())
}

/// What a worker hands the writer.
enum Rendered {
    Piece(usize, Vec<u8>),
    /// The worker panicked: its piece never comes.
    Failed,
}

/// Tells the writer when a worker panics, so that it stops waiting for its piece.
struct FailureNotice(mpsc::Sender<Rendered>);

impl Drop for FailureNotice {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.send(Rendered::Failed);
        }
    }
}

/// Renders the pieces on `workers` threads while this thread writes them in order; returns
/// `false`, having written nothing, when no thread could start.
///
/// Workers take the next piece only with an empty buffer in hand, and there are
/// [`PIECES_AHEAD`] buffers per worker, so the output held at any time stays a few pieces
/// however slow the writer. A worker that panics makes this call panic once the others are
/// done, as the same work on one thread would.
fn write_pieces_in_parallel<W: Write + ?Sized>(
    records: &Records,
    keys: &KeyLines,
    pieces: usize,
    workers: usize,
    out: &mut W,
) -> io::Result<bool> {
    let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
    let free_rx = Mutex::new(free_rx);
    let next = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        // Owned here, so that returning early wakes the workers waiting for a buffer.
        let free_tx = free_tx;
        let (done_tx, done_rx) = mpsc::channel::<Rendered>();
        for _ in 0..workers * PIECES_AHEAD {
            let _ = free_tx.send(Vec::new());
        }
        let mut started = 0;
        for _ in 0..workers {
            let notice = FailureNotice(done_tx.clone());
            let (free_rx, next) = (&free_rx, &next);
            let worker = move || {
                loop {
                    let buffer = match free_rx.lock() {
                        Ok(free) => free.recv(),
                        Err(_) => break,
                    };
                    let Ok(mut buf) = buffer else { break };
                    let piece = next.fetch_add(1, Ordering::Relaxed);
                    if piece >= pieces {
                        break;
                    }
                    buf.clear();
                    render(records, keys, piece_range(records, piece), &mut buf);
                    if notice.0.send(Rendered::Piece(piece, buf)).is_err() {
                        break;
                    }
                }
            };
            if std::thread::Builder::new()
                .spawn_scoped(scope, worker)
                .is_ok()
            {
                started += 1;
            }
        }
        drop(done_tx);
        if started == 0 {
            return Ok(false);
        }
        let mut waiting = BTreeMap::new();
        let mut wanted = 0;
        while wanted < pieces {
            match done_rx.recv() {
                Ok(Rendered::Piece(piece, buf)) => {
                    waiting.insert(piece, buf);
                }
                // The scope re-raises the worker's panic once every thread has stopped:
                // dropping the channels below makes the others stop.
                Ok(Rendered::Failed) | Err(_) => return Ok(true),
            }
            while let Some(buf) = waiting.remove(&wanted) {
                out.write_all(&buf)?;
                wanted += 1;
                let _ = free_tx.send(buf);
            }
        }
        Ok(true)
    })
}

/// Each key's line in a record's values, `,\n        "key": `, rendered once.
struct KeyLines {
    lines: Vec<Vec<u8>>,
}

impl KeyLines {
    fn new(keys: &[String]) -> KeyLines {
        let lines = keys
            .iter()
            .map(|key| {
                let mut line = b",\n        ".to_vec();
                push_str(&mut line, key);
                line.extend_from_slice(b": ");
                line
            })
            .collect();
        KeyLines { lines }
    }

    /// The line of key `index`, with its leading comma when it is not the first.
    fn line(&self, index: usize, first: bool) -> &[u8] {
        let line = self.lines.get(index).map_or(&[][..], Vec::as_slice);
        if first {
            line.get(1..).unwrap_or_default()
        } else {
            line
        }
    }
}

/// Appends the records in `range` as elements of the records list.
fn render(records: &Records, keys: &KeyLines, range: Range<usize>, out: &mut Vec<u8>) {
    let rows = records.rows().get(range.clone()).unwrap_or_default();
    for (index, &row) in range.zip(rows) {
        out.extend_from_slice(if index == 0 {
            b"\n    {\n      \"row\": "
        } else {
            b",\n    {\n      \"row\": "
        });
        push_u64(out, row);
        out.extend_from_slice(b",\n      \"values\": {");
        let mut first = true;
        for (key, value) in records.values_at(index) {
            out.extend_from_slice(keys.line(key, first));
            push_value(out, value);
            first = false;
        }
        out.extend_from_slice(if first {
            b"}\n    }"
        } else {
            b"\n      }\n    }"
        });
    }
}

fn push_value(out: &mut Vec<u8>, value: RecordValue<'_>) {
    match value {
        RecordValue::Text(text) => push_str(out, text),
        RecordValue::Integer(n) => {
            let _ = CompactFormatter.write_i64(out, n);
        }
        RecordValue::Float(n) if n.is_finite() => {
            let _ = CompactFormatter.write_f64(out, n);
        }
        RecordValue::Float(_) => out.extend_from_slice(b"null"),
        RecordValue::Bool(b) => out.extend_from_slice(if b { b"true" } else { b"false" }),
        RecordValue::Date(d) => match date_bytes(d) {
            Some([y0, y1, y2, y3, h0, m0, m1, h1, d0, d1]) => {
                out.extend_from_slice(&[b'"', y0, y1, y2, y3, h0, m0, m1, h1, d0, d1, b'"']);
            }
            None => push_str(out, &format_date(d)),
        },
        RecordValue::Other(v) => push_other(out, v),
    }
}

fn push_u64(out: &mut Vec<u8>, n: u64) {
    let _ = CompactFormatter.write_u64(out, n);
}

/// A value of any JSON shape, at a record value's depth (indent 4).
fn push_other(out: &mut Vec<u8>, value: &serde_json::Value) {
    let Ok(text) = serde_json::to_vec_pretty(value) else {
        out.extend_from_slice(b"null");
        return;
    };
    // Newlines only separate the parts of arrays and objects (a string's are escaped).
    for part in text.split_inclusive(|&b| b == b'\n') {
        out.extend_from_slice(part);
        if part.ends_with(b"\n") {
            out.extend_from_slice(b"        ");
        }
    }
}

/// The escape after `\` that JSON writes for byte `b`, as serde_json does: `u` for the
/// `\u00XX` form, 0 for a byte written as it is.
fn escape_of(b: u8) -> u8 {
    match b {
        b'"' => b'"',
        b'\\' => b'\\',
        0x08 => b'b',
        0x09 => b't',
        0x0A => b'n',
        0x0C => b'f',
        0x0D => b'r',
        0x00..=0x1F => b'u',
        _ => 0,
    }
}

/// Whether any byte of `bytes` is one JSON escapes: a control character, `"` or `\\`.
fn needs_escape(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::MAX / 255;
    const HIGH: u64 = ONES * 0x80;
    // Eight bytes at a time: a byte below 0x20, or equal to `"` or `\\` (zero after the
    // XOR), sets its high bit in `(x - n) & !x & HIGH`, and no other byte makes it set.
    let any_below = |x: u64, n: u64| x.wrapping_sub(ONES * n) & !x & HIGH != 0;
    let mut words = bytes.chunks_exact(8);
    for word in &mut words {
        let mut le = [0u8; 8];
        le.copy_from_slice(word);
        let x = u64::from_le_bytes(le);
        if any_below(x, 0x20) || any_below(x ^ (ONES * 0x22), 1) || any_below(x ^ (ONES * 0x5C), 1)
        {
            return true;
        }
    }
    words.remainder().iter().any(|&b| escape_of(b) != 0)
}

/// Appends `text` as a JSON string.
fn push_str(out: &mut Vec<u8>, text: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = text.as_bytes();
    if !needs_escape(bytes) {
        out.reserve(bytes.len() + 2);
        out.push(b'"');
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = escape_of(b);
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        if escape == b'u' {
            let hex = |n: u8| HEX.get(usize::from(n & 0xF)).copied().unwrap_or(b'0');
            out.extend_from_slice(&[b'\\', b'u', b'0', b'0', hex(b >> 4), hex(b)]);
        } else {
            out.extend_from_slice(&[b'\\', escape]);
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::{AnalyzeOptions, FixCode, Group, Record};

    /// A report of a small roster, with a finding, a fix and a preview.
    fn report() -> Report {
        let group = Group {
            name: "g".into(),
            ..Group::default()
        };
        let options = AnalyzeOptions {
            records: true,
            preview: 3,
            ..AnalyzeOptions::default()
        };
        let roster = "Name,Email\nAna \"A\" Q,ana@example.org\nBo,bo@gmial.com\nCy,nope\n";
        let mut report = crate::analyze(roster.as_bytes(), &group, &options).unwrap();
        report.fixes.push(Fix {
            code: FixCode::CollapseBlanks,
            attribute: Some("name".into()),
            column: None,
            message: "a \"fix\"\n".into(),
            count: 0,
            changes: Vec::new(),
        });
        report
    }

    const TEXTS: &[&str] = &[
        "plain",
        "",
        "quote \" and backslash \\ and slash /",
        "controls \u{0}\u{1}\u{8}\t\n\u{b}\u{c}\r\u{1f}\u{7f}",
        "non-ASCII: Émile Zoë 東京 😀",
        "line separator \u{2028} and \u{2029}",
        "ends with an escape\n",
    ];

    const NUMBERS: &[(f64, bool)] = &[
        (0.0, false),
        (-0.0, false),
        (1.0, true),
        (-42.0, false),
        (8.9e15, false),
        (9.1e15, false),
        (1.0e300, false),
        (-2.5e-8, false),
        (0.1, false),
        (37.5, false),
        (1.0 / 3.0, false),
        (5e-324, false),
        (f64::MAX, false),
        (f64::NAN, false),
        (f64::NEG_INFINITY, false),
        (123.75, true),
    ];

    /// `count` records cycling through every kind of value, some absent.
    fn records(count: usize) -> Records {
        let keys = ["text", "n", "yes", "on", "Key \"é\"\n", "absent", "x"];
        let mut records = Records::with_keys(keys.map(String::from).to_vec());
        for i in 0..count {
            let (index, _) = records.push_row(i as u64 * 3 + 2);
            let text = TEXTS[i % TEXTS.len()];
            records.set_text(index, records.slot_of("text").unwrap(), text);
            if i % 5 != 4 {
                let (n, whole) = NUMBERS[i % NUMBERS.len()];
                records.set_number(index, records.slot_of("n").unwrap(), n, whole);
            }
            records.set_bool(index, records.slot_of("yes").unwrap(), i % 2 == 0);
            let date = NaiveDate::from_ymd_opt(1990 + (i % 40) as i32, 1 + (i % 12) as u32, 28);
            records.set_date(index, records.slot_of("on").unwrap(), date.unwrap());
            records.set_text_of(index, records.slot_of("Key \"é\"\n").unwrap(), &["a@", "b"]);
            if i % 7 == 0 {
                // A row with no values at all.
                let (_, _) = records.push_row(i as u64 * 3 + 3);
            }
        }
        records
    }

    /// Records with values only JSON read back gives: nulls, lists, objects, huge integers.
    fn read_back() -> Records {
        let values = [
            serde_json::json!(null),
            serde_json::json!([1, "two", [], {}, {"a": [null, 2.5, {"b": "c\u{2028}"}]}]),
            serde_json::json!({"z": 1, "a": {"nested": [true, false]}}),
            serde_json::json!(u64::MAX),
            serde_json::json!(-1.5e-300),
            serde_json::json!("text"),
            serde_json::json!(false),
            serde_json::json!(i64::MIN),
        ];
        values
            .iter()
            .enumerate()
            .map(|(i, v)| Record {
                row: i as u64 + 2,
                values: [("v".to_owned(), v.clone()), ("w".to_owned(), v.clone())]
                    .into_iter()
                    .collect(),
            })
            .collect()
    }

    fn assert_same(report: &Report, threads: usize) {
        let mut out = Vec::new();
        report.write_json_pretty(&mut out, threads).unwrap();
        let expected = serde_json::to_string_pretty(report).unwrap();
        let written = String::from_utf8(out).unwrap();
        assert!(written == expected, "threads {threads}: the JSON differs");
    }

    #[test]
    fn writes_exactly_what_serde_json_writes() {
        let mut report = report();
        assert!(!report.findings.is_empty());
        for count in [0, 1, 2, 15, PIECE_RECORDS, PIECE_RECORDS * 3 + 7] {
            report.records = Some(records(count));
            for threads in [1, 2, 3, 0] {
                assert_same(&report, threads);
            }
        }
        report.records = Some(read_back());
        assert_same(&report, 1);
        // More keys in some records than others, appended: the records JSON read back gives.
        let mut mixed = records(40);
        mixed.append(read_back());
        report.records = Some(mixed);
        assert_same(&report, 2);
    }

    #[test]
    fn every_optional_part_is_written_as_serde_json_writes_it() {
        let mut report = report();
        report.records = Some(records(20));
        for (fixes, preview) in [(true, true), (false, true), (true, false), (false, false)] {
            let mut report = report.clone();
            if !fixes {
                report.fixes.clear();
            }
            if !preview {
                report.preview = None;
            }
            assert_same(&report, 2);
        }
        report.preview = Some(Vec::new());
        assert_same(&report, 1);
        report.records = None;
        assert_same(&report, 1);
    }

    #[test]
    fn every_byte_that_needs_an_escape_is_seen_anywhere_in_a_word() {
        for b in 0..=255u8 {
            for at in 0..17 {
                let mut bytes = vec![b'a'; 17];
                bytes[at] = b;
                assert_eq!(needs_escape(&bytes), escape_of(b) != 0, "byte {b} at {at}");
            }
        }
        // Bytes next to one another (a borrow from one into the next) are judged alone.
        for pair in [
            [0x21u8, 0x20],
            [0x20, 0x21],
            [0x23, 0x22],
            [0x5D, 0x5C],
            [0x80, 0x1F],
        ] {
            let bytes = [
                pair[0], pair[1], pair[0], pair[1], pair[0], pair[1], pair[0], pair[1],
            ];
            let expected = pair.iter().any(|&b| escape_of(b) != 0);
            assert_eq!(needs_escape(&bytes), expected, "{pair:?}");
        }
    }

    #[test]
    fn a_failing_writer_stops_the_workers() {
        struct Fails(usize);
        impl Write for Fails {
            fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
                if self.0 < buf.len() {
                    return Err(io::Error::other("full"));
                }
                self.0 -= buf.len();
                Ok(buf.len())
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut report = report();
        report.records = Some(records(PIECE_RECORDS * 6));
        let mut whole = Vec::new();
        report.write_json_pretty(&mut whole, 1).unwrap();
        for room in [0, 100, 4000, whole.len() / 2, whole.len() - 1] {
            let failed = report.write_json_pretty(&mut Fails(room), 2).unwrap_err();
            assert_eq!(failed.to_string(), "full");
        }
    }
}
