//! Analysing a CSV from a reader a chunk at a time, so that a large file is never held whole.
//!
//! The head of the file (a megabyte) settles everything the whole text would: the format,
//! the encoding's start, the dialect, the header and the columns. The rest is read in chunks
//! cut at line ends; each chunk is checked (UTF-8, no quote character) and validated on
//! whichever thread is free while the next one is read, and the chunks' results are merged in
//! file order. Only the chunks in flight and what the rows leave behind (keys for duplicates,
//! findings, records when asked) are held.
//!
//! The report is the one [`super::analyze`] gives for the same bytes. A file the chunks cannot
//! give exactly that report for is read whole and analysed the usual way: a workbook, UTF-16,
//! a small file, a byte that is not UTF-8 or a quote character anywhere (the reader is then
//! rewound, and the chunks already validated are work lost).

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use super::rows::{self, CsvStart, HEAD_ROWS, Walk, count_line_ends};
use super::{
    AnalyzeOptions, Context, Head, Progress, Stage, csv_source, format_mismatch, in_context,
    refuse_text_posing_as_a_workbook,
};
use crate::error::Result;
use crate::group::Group;
use crate::limits::parallel;
use crate::limits::threads;
use crate::report::Report;
use crate::sheet::decode::{self, TextEncoding};
use crate::sheet::dialect::{self, Dialect};
use crate::sheet::{SourceFormat, format};
use crate::validation::{Acc, FullLists};

/// The sizes of the pieces a reader is taken in.
#[derive(Debug, Clone, Copy)]
pub(super) struct Chunking {
    /// Bytes read before anything is decided (at least [`MIN_HEAD`]).
    pub(super) head: usize,
    /// Bytes read for each chunk after the head, at most: the last chunks are smaller (down to
    /// a sixteenth), so that every thread has work until the end.
    pub(super) chunk: usize,
}

/// The head holds more than the dialect's sample, so that sniffing it sees what sniffing the
/// whole text would (and more than the start that format and encoding are told from).
const MIN_HEAD: usize = dialect::SAMPLE_BYTES + decode::START_BYTES;

/// Rows validated between progress reports.
const PROGRESS_EVERY: u64 = 65_536;

impl Chunking {
    const DEFAULT: Chunking = Chunking {
        head: 1 << 20,
        chunk: 4 << 20,
    };
}

/// Analyses a roster read from `reader`, from its current position to its end, calling
/// `progress` as it goes and stopping soon after it returns `false`.
///
/// The report is the one [`super::analyze_cancellable`] gives for the same bytes; the
/// difference is memory. A large CSV is read a chunk at a time and validated while it is
/// read, so it is never held whole: peak memory is a few megabytes of chunks plus what the
/// rows leave behind. Any other file (a workbook, UTF-16, a file of a megabyte or less) is
/// read whole, and so is a CSV found to hold a quote character or a byte that is not UTF-8
/// (then the reader is rewound to where it stood, and read again).
///
/// ```
/// use conferral::{analyze, analyze_reader, AnalyzeOptions, Group};
/// let group = Group { name: "Demo".into(), attributes: vec![], ..Group::default() };
/// let csv = b"Name,Email\nAna Lopez,ana@example.org\nBo,not-an-address\n";
/// let options = AnalyzeOptions::default();
/// let read = analyze_reader(std::io::Cursor::new(csv), &group, &options, &mut |_| true);
/// let report = read.unwrap().unwrap();
/// assert_eq!(report, analyze(csv, &group, &options).unwrap());
/// ```
///
/// # Errors
/// The outer error is the reader's (reading or seeking failed). The inner one is what
/// [`super::analyze_cancellable`] returns for a file that cannot be analysed at all.
pub fn analyze_reader<R: Read + Seek>(
    reader: R,
    group: &Group,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> std::io::Result<Result<Report>> {
    analyze_chunked(reader, group, options, progress, Chunking::DEFAULT)
}

/// What the chunked walk came to.
enum Streamed {
    Report(Box<Report>),
    /// The file is not for the chunked walk; it was read whole, and here it is.
    Whole(Vec<u8>),
    /// A chunk showed the file is not for the chunked walk: it is to be read again, whole.
    Restart,
    /// The reader failed.
    Io(std::io::Error),
}

/// [`analyze_reader`] with chunks of the given sizes (tests use small ones).
pub(super) fn analyze_chunked<R: Read + Seek>(
    mut reader: R,
    group: &Group,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
    chunking: Chunking,
) -> std::io::Result<Result<Report>> {
    let origin = reader.stream_position()?;
    let end = reader.seek(SeekFrom::End(0))?;
    reader.seek(SeekFrom::Start(origin))?;
    let total = end.saturating_sub(origin);
    let streamed = in_context(group, options, progress, (total, false), |ctx| {
        stream(ctx, &mut reader, chunking)
    });
    let bytes = match streamed {
        Err(e) => return Ok(Err(e)),
        Ok(Streamed::Report(report)) => return Ok(Ok(*report)),
        Ok(Streamed::Io(e)) => return Err(e),
        Ok(Streamed::Whole(bytes)) => bytes,
        Ok(Streamed::Restart) => {
            reader.seek(SeekFrom::Start(origin))?;
            let mut bytes = Vec::new();
            reader.read_to_end(&mut bytes)?;
            bytes
        }
    };
    Ok(super::analyze_cancellable(&bytes, group, options, progress))
}

/// Reads into `buf` until it holds `want` bytes or the reader ends; whether it ended.
fn fill<R: Read + ?Sized>(reader: &mut R, buf: &mut Vec<u8>, want: usize) -> std::io::Result<bool> {
    let missing = want.saturating_sub(buf.len());
    buf.reserve(missing);
    let got = reader.take(missing as u64).read_to_end(buf)?;
    Ok(got < missing)
}

/// Where the last complete line of `bytes` ends, after its line end. A `\r` as the last byte
/// may be the first half of a `\r\n` and does not end a line yet.
fn last_line_end(bytes: &[u8]) -> Option<usize> {
    let mut end = bytes.len();
    loop {
        let i = memchr::memrchr2(b'\n', b'\r', bytes.get(..end)?)?;
        if bytes.get(i) == Some(&b'\r') && i + 1 == bytes.len() {
            end = i;
            continue;
        }
        return Some(i + 1);
    }
}

/// The head of a CSV, as the whole text would show it.
struct Settled {
    /// Where the text starts (after a byte order mark) and the head ends, at a line end.
    text: Range<usize>,
    bom: bool,
    dialect: Dialect,
    /// Where the rows start (after Excel's `sep=` line).
    body_start: usize,
    head: Head,
}

/// What the head of a file says.
enum Verdict {
    /// The chunked walk gives what the whole file would.
    Settled(Settled),
    /// The head says too little: read more of it.
    More,
    /// The file is to be read whole.
    Whole,
}

/// Judges the first bytes of a file (at least [`MIN_HEAD`] of them, and not all of it).
fn judge(start: &[u8], options: &AnalyzeOptions) -> Verdict {
    if !format::csv_start(start) {
        return Verdict::Whole;
    }
    let Some((text, bom)) = decode::utf8_start(start) else {
        return Verdict::Whole;
    };
    let offset = start.len() - text.len();
    let Some(cut) = last_line_end(text) else {
        return Verdict::More;
    };
    let Some(head) = text.get(..cut) else {
        return Verdict::More;
    };
    // Sniffing reads a sample and notes whether the text goes on after it.
    if head.len() <= dialect::SAMPLE_BYTES {
        return Verdict::More;
    }
    let Ok(head) = simdutf8::basic::from_utf8(head) else {
        return Verdict::Whole;
    };
    if memchr::memchr(b'"', head.as_bytes()).is_some()
        || refuse_text_posing_as_a_workbook(options.file_name.as_deref(), head).is_err()
    {
        return Verdict::Whole;
    }
    let dialect = dialect::sniff(head);
    // The rows start after the first `\n`; a `sep=` line ending in a lone `\r` leaves that
    // to a later line.
    if dialect.sep_line && !head.contains('\n') {
        return Verdict::Whole;
    }
    let body = rows::csv_body(head, dialect);
    let Ok(rows) = rows::read_head(body, dialect) else {
        return Verdict::Whole;
    };
    if rows.rows.len() < HEAD_ROWS {
        return Verdict::More;
    }
    Verdict::Settled(Settled {
        text: offset..offset + cut,
        bom,
        dialect,
        body_start: offset + cut - body.len(),
        head: rows,
    })
}

/// The chunked walk: reads and judges the head, then validates the chunks.
fn stream<R: Read>(
    mut ctx: Context<'_, '_>,
    reader: &mut R,
    chunking: Chunking,
) -> Result<Streamed> {
    let mut buf = Vec::new();
    let mut want = chunking.head.max(MIN_HEAD);
    let settled = loop {
        match fill(reader, &mut buf, want) {
            Err(e) => return Ok(Streamed::Io(e)),
            Ok(true) => return Ok(Streamed::Whole(buf)),
            Ok(false) => {}
        }
        match judge(&buf, ctx.options) {
            Verdict::Settled(settled) => break settled,
            Verdict::More => want = want.saturating_mul(2),
            Verdict::Whole => {
                return Ok(match reader.read_to_end(&mut buf) {
                    Ok(_) => Streamed::Whole(buf),
                    Err(e) => Streamed::Io(e),
                });
            }
        }
    };
    let findings = format_mismatch(ctx.options.file_name.as_deref(), SourceFormat::Csv)
        .into_iter()
        .collect();
    let source = csv_source(TextEncoding::Utf8, settled.bom, settled.dialect);
    let start = rows::start_csv(&mut ctx, &settled.head, source, findings)?;
    let limits = ctx.options.limits;
    let walk = start.walk(settled.dialect, &limits, ctx.stop);
    let carry = buf.get(settled.text.end..).unwrap_or_default().to_vec();
    let first = Job {
        seq: 0,
        range: settled.body_start..settled.text.end,
        first_row: 1,
        bytes: buf,
        full: FullLists::default(),
    };
    let walked = walk_chunks(&mut ctx, reader, walk, (first, carry), chunking.chunk);
    Ok(match walked {
        Walked::Acc(acc) => Streamed::Report(Box::new(finish(ctx, start, *acc)?)),
        Walked::Failed(e) => return Err(e),
        Walked::Restart => Streamed::Restart,
        Walked::Io(e) => Streamed::Io(e),
    })
}

/// The report, unless the caller asked to stop meanwhile (a chunk not yet read when it did
/// is then missing).
fn finish(ctx: Context<'_, '_>, start: CsvStart, acc: Acc) -> Result<Report> {
    ctx.check_stop()?;
    Ok(start.finish(ctx, acc))
}

/// A chunk to validate: `bytes[range]`, whose first line is row `first_row`; `seq` orders
/// the results. `full` names the fixes listed in full by the chunks merged before it was
/// read.
struct Job {
    seq: usize,
    bytes: Vec<u8>,
    range: Range<usize>,
    first_row: u64,
    full: FullLists,
}

/// What walking the chunks came to.
enum Walked {
    Acc(Box<Acc>),
    Failed(crate::error::Error),
    Restart,
    Io(std::io::Error),
}

/// One chunk's result: `None` when it cannot be validated as a chunk (a byte that is not
/// UTF-8, a quote character), or was skipped because an earlier one could not or failed.
type Part = (usize, Result<Option<Acc>>);

/// The chunks' results merged in file order as they come back, out of order, from the
/// threads.
struct Merged {
    acc: Acc,
    /// The next chunk to merge, and those that came back before it.
    next: usize,
    waiting: std::collections::BTreeMap<usize, Result<Option<Acc>>>,
    /// What the walk came to, once a chunk in order failed or could not be validated.
    ended: Option<Walked>,
    max_rows: u64,
}

impl Merged {
    /// Takes a chunk's result; merges every chunk now in order. Whether the merged chunks
    /// grew.
    fn take(&mut self, (seq, part): Part) -> bool {
        self.waiting.insert(seq, part);
        let mut grew = false;
        while self.ended.is_none() {
            let Some(part) = self.waiting.remove(&self.next) else {
                break;
            };
            self.next += 1;
            match part {
                Err(e) => self.ended = Some(Walked::Failed(e)),
                Ok(None) => self.ended = Some(Walked::Restart),
                Ok(Some(part)) => {
                    self.acc.merge(part);
                    grew = true;
                    if self.acc.rows > self.max_rows {
                        self.ended = Some(Walked::Failed(rows::too_many_rows(self.max_rows)));
                    }
                }
            }
        }
        grew
    }
}

/// Validates the chunk `first` (the head's rows) and every chunk after it in `reader`,
/// `carry` being the bytes read after the head's last line end.
///
/// The calling thread reads, and validates a chunk itself when every other thread is busy;
/// it merges the chunks in order as they come back. A chunk read once the merged ones list
/// some fix in full only counts that fix's changes.
fn walk_chunks<R: Read>(
    ctx: &mut Context<'_, '_>,
    reader: &mut R,
    walk: Walk<'_>,
    (first, mut carry): (Job, Vec<u8>),
    chunk: usize,
) -> Walked {
    use std::sync::mpsc::{TrySendError, channel};
    let threads = threads(ctx.options.threads).max(1);
    let workers = threads - 1;
    let total_bytes = ctx.total_bytes;
    let progress = &mut ctx.progress;
    // The first chunk that cannot be validated or fails: the chunks after it are not needed.
    let abandon = AtomicUsize::new(usize::MAX);
    let validated = AtomicU64::new(0);
    let (queue, takers) = parallel::work_queue::<Job>(2 * workers.max(1));
    let take = |wait: bool| takers.take(wait);
    // Validated chunks' buffers come back to be filled again, and their results to be merged.
    let (recycle, recycled) = channel::<Vec<u8>>();
    let (done, results) = channel::<Part>();
    let run = |job: Job| {
        let part = if job.seq > abandon.load(Ordering::Relaxed) {
            Ok(None)
        } else {
            let bytes = job.bytes.get(job.range.clone()).unwrap_or_default();
            let mut acc = walk.plan.acc();
            acc.count_only(&job.full);
            validate_chunk(bytes, job.first_row, walk, acc, &validated)
        };
        if !matches!(part, Ok(Some(_))) {
            abandon.fetch_min(job.seq, Ordering::Relaxed);
        }
        // The reader may be done already; the buffer is then simply dropped.
        let _ = recycle.send(job.bytes);
        let _ = done.send((job.seq, part));
    };
    let worker = |_: usize| {
        while let Some(job) = take(true) {
            run(job);
        }
    };
    let mut merged = Merged {
        acc: walk.plan.acc(),
        next: 0,
        waiting: std::collections::BTreeMap::new(),
        ended: None,
        max_rows: walk.limits.max_rows,
    };
    let (abandon, validated, run, take) = (&abandon, &validated, &run, &take);
    let merging = &mut merged;
    let read = move |unstarted: &[usize]| {
        let alone = unstarted.len() == workers;
        let dispatch = |job: Job| {
            if alone {
                run(job);
                return;
            }
            match queue.try_send(job) {
                Ok(()) => {}
                Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => run(job),
            }
        };
        let mut next_row =
            1 + count_line_ends(first.bytes.get(first.range.clone()).unwrap_or_default());
        let mut read_bytes = first.range.end as u64;
        dispatch(first);
        let mut full = FullLists::default();
        let mut seq = 1;
        let mut reported = 0;
        let mut failure = None;
        while abandon.load(Ordering::Relaxed) == usize::MAX && !walk.stop.load(Ordering::Relaxed) {
            let mut grew = false;
            while let Ok(part) = results.try_recv() {
                grew |= merging.take(part);
            }
            if grew {
                full = merging.acc.full_lists();
            }
            let mut buf = recycled.try_recv().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(&carry);
            // Chunks get smaller towards the end, so that the threads finish together.
            let left = total_bytes.saturating_sub(read_bytes) / (4 * threads) as u64;
            let size = chunk.min(usize::try_from(left).unwrap_or(usize::MAX).max(chunk / 16));
            let mut want = carry.len() + size;
            let read = loop {
                match fill(reader, &mut buf, want) {
                    Err(e) => break Err(e),
                    Ok(true) => break Ok((true, buf.len())),
                    Ok(false) => {}
                }
                match last_line_end(&buf) {
                    Some(cut) => break Ok((false, cut)),
                    // A line longer than a chunk: read on.
                    None => want = want.saturating_mul(2),
                }
            };
            let (ended, cut) = match read {
                Ok(read) => read,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            if cut == 0 {
                break;
            }
            read_bytes += (buf.len() - carry.len()) as u64;
            carry.clear();
            carry.extend_from_slice(buf.get(cut..).unwrap_or_default());
            let rows_here = count_line_ends(buf.get(..cut).unwrap_or_default());
            dispatch(Job {
                seq,
                bytes: buf,
                range: 0..cut,
                first_row: next_row,
                full: full.clone(),
            });
            seq += 1;
            next_row += rows_here;
            let rows = validated.load(Ordering::Relaxed);
            if rows >= reported + PROGRESS_EVERY {
                reported = rows;
                progress(Progress {
                    stage: Stage::Validating,
                    rows,
                    bytes: read_bytes,
                    total_bytes,
                });
            }
            if ended {
                break;
            }
        }
        // With the queue closed, workers stop when it is empty; what no worker took is
        // validated here.
        drop(queue);
        while let Some(job) = take(false) {
            run(job);
        }
        (results, failure)
    };
    let ((results, failure), _) = parallel::fork_join(workers, worker, read);
    if let Some(e) = failure {
        return Walked::Io(e);
    }
    // Every thread is done: every result has been sent.
    while let Ok(part) = results.try_recv() {
        merged.take(part);
    }
    if let Some(ended) = merged.ended {
        return ended;
    }
    (ctx.progress)(Progress {
        stage: Stage::Validating,
        rows: merged.acc.rows,
        bytes: total_bytes,
        total_bytes,
    });
    Walked::Acc(Box::new(merged.acc))
}

/// Validates one chunk of rows into `acc`, or says it cannot be validated alone: it is not
/// UTF-8, or it holds a quote character (which may open a field spanning lines).
fn validate_chunk(
    bytes: &[u8],
    first_row: u64,
    walk: Walk<'_>,
    acc: Acc,
    validated: &AtomicU64,
) -> Result<Option<Acc>> {
    let Ok(text) = simdutf8::basic::from_utf8(bytes) else {
        return Ok(None);
    };
    if memchr::memchr(b'"', bytes).is_some() {
        return Ok(None);
    }
    rows::validate_unquoted(text, first_row, walk, acc, &mut |n| {
        validated.fetch_add(n, Ordering::Relaxed);
    })
    .map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Draw;
    use std::io::Cursor;

    fn group() -> Group {
        serde_json::from_str(
            r#"{"name": "Cohort", "attributes": [
                {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit"]},
                {"key": "hours", "label": "Hours", "type": "number", "required": true},
                {"key": "start", "label": "Start", "type": "date", "date_format": "DD/MM/YYYY"},
                {"key": "staff", "label": "Staff ID", "type": "text"}]}"#,
        )
        .unwrap()
    }

    /// How a generated roster is laid out.
    #[derive(Clone, Copy)]
    struct Shape {
        delimiter: char,
        /// Line ends drawn from: `\n`, `\r\n`, `\r`.
        ends: &'static [&'static str],
        bom: bool,
        sep_line: bool,
        /// A title line and a blank line above the header.
        title: bool,
        rows: usize,
    }

    const SHAPE: Shape = Shape {
        delimiter: ',',
        ends: &["\n"],
        bom: false,
        sep_line: false,
        title: false,
        rows: 9_000,
    };

    /// A roster of about 60 bytes a row with every kind of finding, repeated values far apart,
    /// blank lines and blank-looking rows.
    fn roster(shape: Shape, seed: u64) -> Vec<u8> {
        let mut draw = Draw(seed);
        let d = shape.delimiter;
        let mut out = String::new();
        let end = |draw: &mut Draw| shape.ends[draw.next(shape.ends.len() as u64) as usize];
        if shape.bom {
            out.push('\u{FEFF}');
        }
        if shape.sep_line {
            out.push_str(&format!("sep={d}{}", end(&mut draw)));
        }
        if shape.title {
            out.push_str(&format!(
                "Spring cohort{}{}",
                end(&mut draw),
                end(&mut draw)
            ));
        }
        out.push_str(&format!(
            "Name{d}Email{d}Issue Date{d}Grade{d}Hours{d}Start{d}Staff ID{d}Credential ID{}",
            end(&mut draw)
        ));
        let names = [
            "Ana López",
            "Bo Chen",
            "Łukasz Nowak",
            "Zoë\u{7}Ray",
            " ",
            "Müller, Jo",
        ];
        let grades = ["Pass", "Merit", "pass", "Distinction", ""];
        for i in 0..shape.rows {
            let name = names[draw.next(names.len() as u64) as usize];
            let email = match draw.next(40) {
                0 => "not-an-address".to_owned(),
                1 => format!("léa{}@exämple.org", draw.next(50)),
                2 => format!("user{}@gmial.com", draw.next(9_000)),
                3 => String::new(),
                _ => format!("user{}@example.org", draw.next(20_000)),
            };
            let issued = match draw.next(30) {
                0 => "2026-02-30".to_owned(),
                1 => "03/04/2026".to_owned(),
                _ => format!("2026-{:02}-{:02}", 1 + draw.next(12), 1 + draw.next(28)),
            };
            let start = match draw.next(25) {
                0 => "13/13/2026".to_owned(),
                1 => "2026-05-01".to_owned(),
                _ => format!("{:02}/{:02}/2026", 1 + draw.next(28), 1 + draw.next(12)),
            };
            let hours = match draw.next(30) {
                0 => "ten".to_owned(),
                1 => String::new(),
                _ => format!("{}.{}", draw.next(100), draw.next(10)),
            };
            let grade = grades[draw.next(grades.len() as u64) as usize];
            let staff = match draw.next(20) {
                0 => format!("'{:06}", draw.next(1_000)),
                _ => format!("{:06}", draw.next(1_000_000)),
            };
            let id = if draw.next(3) == 0 {
                format!("C-{}", draw.next(2_000))
            } else {
                String::new()
            };
            let line = format!(
                "{name}{d}{email}{d}{issued}{d}{grade}{d}{hours}{d}{start}{d}{staff}{d}{id}"
            );
            out.push_str(&line);
            out.push_str(end(&mut draw));
            match draw.next(200) {
                0 => out.push_str(end(&mut draw)),
                1 => out.push_str(&format!("   {d}{d}{}", end(&mut draw))),
                // The same row again, further down or right away.
                2 => {
                    out.push_str(&line);
                    out.push_str(end(&mut draw));
                }
                _ => {}
            }
            if i == shape.rows / 2 && draw.next(2) == 0 {
                out.push_str(&format!("Spring cohort, part two{}", end(&mut draw)));
            }
        }
        out.into_bytes()
    }

    fn options(threads: usize, records: bool) -> AnalyzeOptions {
        AnalyzeOptions {
            threads,
            records,
            preview: 5,
            file_name: Some("roster.csv".into()),
            ..AnalyzeOptions::default()
        }
    }

    /// What an analysis gives, as text to compare: the report's JSON, or the error's kind and
    /// message.
    fn outcome(result: &Result<Report>) -> String {
        match result {
            Ok(report) => serde_json::to_string_pretty(report).unwrap(),
            Err(e) => format!("{:?}: {e}", e.kind()),
        }
    }

    const SMALL: Chunking = Chunking {
        head: 0,
        chunk: 4_000,
    };

    /// Which way the chunked walk went for a file, in small chunks.
    fn path(bytes: &[u8], options: &AnalyzeOptions) -> &'static str {
        let group = group();
        let walked = in_context(&group, options, &mut |_| true, (0, false), |ctx| {
            stream(ctx, &mut Cursor::new(bytes), SMALL)
        });
        match walked {
            Ok(Streamed::Report(_)) => "chunks",
            Ok(Streamed::Whole(_)) => "whole",
            Err(_) => "error",
            Ok(Streamed::Restart) => "restart",
            Ok(Streamed::Io(_)) => "io",
        }
    }

    /// The chunked walk gives what the whole file gives, in every chunking and thread count.
    fn same_as_whole(bytes: &[u8], options: &AnalyzeOptions) -> Result<Report> {
        let group = group();
        let whole = super::super::analyze(bytes, &group, options);
        let expected = outcome(&whole);
        for chunking in [
            SMALL,
            Chunking {
                head: 0,
                chunk: 997,
            },
            Chunking {
                head: 400_000,
                chunk: 65_536,
            },
            Chunking::DEFAULT,
        ] {
            let read =
                analyze_chunked(Cursor::new(bytes), &group, options, &mut |_| true, chunking)
                    .unwrap();
            assert_eq!(outcome(&read), expected, "{chunking:?}");
        }
        whole
    }

    #[test]
    fn chunks_give_the_whole_files_report() {
        let shapes = [
            SHAPE,
            Shape {
                ends: &["\r\n"],
                bom: true,
                title: true,
                ..SHAPE
            },
            Shape {
                delimiter: ';',
                ends: &["\n", "\r\n", "\r"],
                sep_line: true,
                ..SHAPE
            },
            Shape {
                delimiter: '\t',
                ends: &["\r"],
                ..SHAPE
            },
        ];
        for (i, shape) in shapes.into_iter().enumerate() {
            let bytes = roster(shape, i as u64);
            assert!(bytes.len() > 2 * MIN_HEAD, "{}", bytes.len());
            for (threads, records) in [(1, false), (2, true), (3, false)] {
                let options = options(threads, records);
                assert_eq!(path(&bytes, &options), "chunks");
                let report = same_as_whole(&bytes, &options).unwrap();
                // The file is a roster with findings of every kind, not a refusal.
                assert!(report.summary.rows > 8_000, "{:?}", report.summary);
                assert!(report.summary.invalid > 100, "{:?}", report.summary);
                assert!(report.findings.len() > 100);
            }
        }
    }

    #[test]
    fn a_quote_or_a_stray_byte_late_in_the_file_gives_the_whole_files_report() {
        let bytes = roster(SHAPE, 7);
        let late = bytes.len() - 1_000;
        let line = late + memchr::memchr(b'\n', &bytes[late..]).unwrap() + 1;
        let mut quoted = bytes.clone();
        quoted.splice(
            line..line,
            b"\"Lopez, Ana\",ana@example.org\n".iter().copied(),
        );
        assert_eq!(path(&quoted, &options(2, false)), "restart");
        let report = same_as_whole(&quoted, &options(2, false)).unwrap();
        assert!(report.summary.rows > 8_000);
        let mut latin1 = bytes.clone();
        latin1.splice(line..line, b"Jos\xE9,jose@example.org\n".iter().copied());
        assert_eq!(path(&latin1, &options(1, false)), "restart");
        let report = same_as_whole(&latin1, &options(2, false)).unwrap();
        assert_eq!(
            report.findings[0].code,
            crate::finding::Code::EncodingFallback
        );
        // In the head, they make the file read whole at once.
        let mut early = bytes;
        early.splice(0..0, b"\"Title\"\n".iter().copied());
        assert_eq!(path(&early, &options(1, false)), "whole");
        same_as_whole(&early, &options(1, false)).unwrap();
    }

    #[test]
    fn files_not_for_chunks_give_the_whole_files_report_or_error() {
        let group = group();
        let options = options(2, false);
        let big = roster(SHAPE, 3);
        let utf16: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(
                String::from_utf8(big.clone())
                    .unwrap()
                    .encode_utf16()
                    .flat_map(u16::to_le_bytes),
            )
            .collect();
        let markup = [b"<html><body>".as_slice(), &big].concat();
        let limits = AnalyzeOptions {
            limits: crate::limits::Limits {
                max_rows: 50,
                ..crate::limits::Limits::default()
            },
            ..options.clone()
        };
        for (bytes, options, expected) in [
            (&b""[..], &options, ("whole", true)),
            (
                b"Name,Email\nAna,ana@example.org\n",
                &options,
                ("whole", false),
            ),
            (&utf16, &options, ("whole", false)),
            (&markup, &options, ("whole", true)),
            (&big, &limits, ("error", true)),
        ] {
            let refused = same_as_whole(bytes, options).is_err();
            assert_eq!((path(bytes, options), refused), expected);
        }
        let refused = analyze_reader(Cursor::new(&big), &group, &limits, &mut |_| true)
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.kind(), crate::ErrorKind::LimitExceeded);
        // Too large a file is refused before it is read.
        let small = AnalyzeOptions {
            limits: crate::limits::Limits {
                max_file_bytes: 1_000,
                ..crate::limits::Limits::default()
            },
            ..options
        };
        let refused = analyze_reader(Cursor::new(&big), &group, &small, &mut |_| true)
            .unwrap()
            .unwrap_err();
        assert_eq!(refused.kind(), crate::ErrorKind::LimitExceeded);
        assert!(
            refused
                .to_string()
                .contains(&format!("has {} bytes", big.len())),
            "{refused}"
        );
    }

    #[test]
    fn the_reader_is_read_from_where_it_stands() {
        let bytes = roster(SHAPE, 5);
        let mut prefixed = b"ignored bytes".to_vec();
        prefixed.extend_from_slice(&bytes);
        let mut reader = Cursor::new(prefixed);
        reader.set_position(13);
        let group = group();
        let options = options(2, false);
        let read = analyze_chunked(reader, &group, &options, &mut |_| true, SMALL)
            .unwrap()
            .unwrap();
        assert_eq!(
            read,
            super::super::analyze(&bytes, &group, &options).unwrap()
        );
    }

    /// A reader that fails after some bytes.
    struct Failing(Cursor<Vec<u8>>, u64);

    impl Read for Failing {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.0.position() >= self.1 {
                return Err(std::io::Error::other("the disk went away"));
            }
            self.0.read(buf)
        }
    }

    impl Seek for Failing {
        fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
            self.0.seek(to)
        }
    }

    #[test]
    fn a_failing_reader_is_the_outer_error_and_a_stop_is_cancelled() {
        let bytes = roster(SHAPE, 9);
        let group = group();
        for (at, threads) in [(100, 2), (MIN_HEAD as u64 + 20_000, 2), (400_000, 1)] {
            let reader = Failing(Cursor::new(bytes.clone()), at);
            let failed = analyze_chunked(
                reader,
                &group,
                &options(threads, false),
                &mut |_| true,
                SMALL,
            )
            .unwrap_err();
            assert_eq!(failed.to_string(), "the disk went away");
        }
        let mut seen = Vec::new();
        let stopped = analyze_chunked(
            Cursor::new(&bytes),
            &group,
            &options(2, false),
            &mut |p| {
                seen.push(p.stage);
                p.stage != Stage::Matching
            },
            SMALL,
        )
        .unwrap()
        .unwrap_err();
        assert_eq!(stopped.kind(), crate::ErrorKind::Cancelled);
        assert_eq!(seen[..2], [Stage::Reading, Stage::Matching]);
    }

    #[test]
    fn lines_are_cut_and_counted_as_the_rows_read_them() {
        assert_eq!(last_line_end(b"a\nb"), Some(2));
        assert_eq!(last_line_end(b"a\r\nb\r"), Some(3));
        assert_eq!(last_line_end(b"a\rb\r"), Some(2));
        assert_eq!(last_line_end(b"a\r\rb"), Some(3));
        assert_eq!(last_line_end(b"a\r"), None);
        assert_eq!(last_line_end(b"ab"), None);
        assert_eq!(count_line_ends(b"a\r\nb\rc\n\nd"), 4);
        assert_eq!(count_line_ends(b"a\r\r\n"), 2);
        assert_eq!(count_line_ends(b""), 0);
    }
}
