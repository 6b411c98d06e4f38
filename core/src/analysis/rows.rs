//! Walking the rows of a CSV or a workbook grid through header detection, matching and
//! validation.

use super::header_row::SCAN_ROWS;
use super::{
    Context, Head, Layout, MAX_PREVIEW_ROWS, Progress, Stage, build_report, choose_header,
    match_and_plan,
};
use crate::error::{Error, ErrorKind, Result};
use crate::finding::Finding;
use crate::fixes::{Roster, RosterRow};
use crate::limits::parallel;
use crate::limits::threads;
use crate::report::{PreviewRow, Report, Source};
use crate::sheet::Grid;
use crate::sheet::Row;
use crate::sheet::dialect::Dialect;
use crate::validation::{Acc, Plan};

/// Rows sampled under the header to profile each column's content.
const SAMPLE_ROWS: usize = 200;
/// Rows between progress reports.
const PROGRESS_EVERY: u64 = 65_536;

fn row_is_blank<R: Row + ?Sized>(row: &R) -> bool {
    (0..row.len()).all(|i| row.cell(i).is_blank())
}

pub(super) fn too_many_rows(limit: u64) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!(
            "the roster has more than {limit} data rows, over the limit; split it into smaller files"
        ),
    )
}

fn too_many_columns(row: u64, count: usize, limit: u32) -> Error {
    Error::new(
        ErrorKind::LimitExceeded,
        format!(
            "row {row} has {count} fields, over the limit of {limit} columns; check the delimiter or split the file"
        ),
    )
}

/// Tracks spreadsheet row numbers of CSV records. The csv crate skips blank lines, which a
/// spreadsheet shows as rows: a record's position is where the reader stood after the
/// previous record, so the line terminators found there are the skipped blank lines.
struct RowNumbers<'t> {
    body: &'t [u8],
    row: u64,
}

impl<'t> RowNumbers<'t> {
    fn new(body: &'t [u8]) -> RowNumbers<'t> {
        RowNumbers { body, row: 0 }
    }

    fn advance(&mut self, record: &csv::StringRecord) -> u64 {
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let mut blank = 0;
        let mut at = start;
        // After a record ending in `\r\n` the reader may stand between the two bytes.
        if start > 0
            && self.body.get(start - 1) == Some(&b'\r')
            && self.body.get(start) == Some(&b'\n')
        {
            at += 1;
        }
        while let Some(&b) = self.body.get(at) {
            match b {
                b'\r' if self.body.get(at + 1) == Some(&b'\n') => at += 2,
                b'\r' | b'\n' => at += 1,
                _ => break,
            }
            blank += 1;
        }
        self.row += 1 + blank;
        self.row
    }
}

pub(super) fn csv_body(text: &str, dialect: Dialect) -> &str {
    if dialect.sep_line {
        text.split_once('\n').map_or("", |(_, rest)| rest)
    } else {
        text
    }
}

fn csv_reader(body: &str, dialect: Dialect) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(dialect.delimiter)
        .from_reader(body.as_bytes())
}

fn display_row<R: Row + ?Sized>(row: &R) -> Vec<String> {
    (0..row.len()).map(|i| row.value(i).display()).collect()
}

/// The spreadsheet row of the record holding a 1-based line of a CSV text (a record may span
/// lines inside quotes, and blank lines are rows too); `None` past the last record.
pub(crate) fn row_of_line(text: &str, dialect: Dialect, line: usize) -> Option<u64> {
    let line = u64::try_from(line)
        .ok()?
        .checked_sub(u64::from(dialect.sep_line))?;
    let body = csv_body(text, dialect);
    let mut reader = csv_reader(body, dialect);
    let mut numbers = RowNumbers::new(body.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut holding = None;
    while let Ok(true) = reader.read_record(&mut record) {
        let starts = record.position().map_or(0, csv::Position::line);
        let row = numbers.advance(&record);
        if starts > line {
            break;
        }
        holding = Some(row);
    }
    holding
}

/// The first `count` rows of a grid as display text.
pub(crate) fn head_of(grid: &Grid, count: usize) -> Vec<Vec<String>> {
    grid.rows
        .iter()
        .take(count)
        .map(|r| display_row(r.as_slice()))
        .collect()
}

/// Rows read from the top of a CSV for header detection and content sampling.
pub(super) const HEAD_ROWS: usize = SCAN_ROWS + SAMPLE_ROWS;

/// The first [`HEAD_ROWS`] records of a CSV body (fewer when it holds fewer), as display
/// text with their row numbers.
pub(super) fn read_head(body: &str, dialect: Dialect) -> Result<Head> {
    let mut head = Head {
        rows: Vec::new(),
        numbers: Vec::new(),
    };
    let mut reader = csv_reader(body, dialect);
    let mut record = csv::StringRecord::new();
    let mut numbers = RowNumbers::new(body.as_bytes());
    while head.rows.len() < HEAD_ROWS {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                return Err(
                    Error::new(ErrorKind::MalformedFile, "the CSV cannot be read").with_source(e),
                );
            }
        }
        let number = numbers.advance(&record);
        head.numbers.push(number);
        head.rows.push(display_row(&record));
    }
    Ok(head)
}

/// What the top of a CSV decides before its rows are walked: the header, the columns'
/// matches, and the plan that validates a row.
pub(super) struct CsvStart {
    layout: Layout,
    plan: Plan,
    columns: Vec<crate::matching::ColumnMatch>,
    findings: Vec<Finding>,
    preview: Option<Vec<PreviewRow>>,
    source: Source,
}

/// Finds the header in the first rows of a CSV, matches its columns and plans validation.
pub(super) fn start_csv(
    ctx: &mut Context<'_, '_>,
    head: &Head,
    mut source: Source,
    mut findings: Vec<Finding>,
) -> Result<CsvStart> {
    if head.rows.is_empty() {
        return Err(Error::new(ErrorKind::EmptyFile, "the file holds no rows"));
    }
    // Detection looks at the first rows only; an explicit header row may be further down.
    let layout = choose_header(head, ctx, &mut source)?;
    findings.extend(layout.note.clone());
    let header_number = source.header_row;
    let numbered: Vec<(u64, &Vec<String>)> = head
        .rows
        .iter()
        .zip(&head.numbers)
        .filter(|(row, n)| {
            **n > header_number
                && layout.last_row.is_none_or(|last| **n <= last)
                && !layout.skipped.contains(n)
                && row.iter().any(|c| !c.trim().is_empty())
        })
        .map(|(row, n)| (*n, row))
        .take(SAMPLE_ROWS)
        .collect();
    let preview = preview_of(ctx.options.preview, &numbered);
    let samples: Vec<Vec<String>> = numbered.into_iter().map(|(_, row)| row.clone()).collect();
    let (columns, column_findings, plan) = match_and_plan(ctx, &layout, &samples, true)?;
    findings.extend(column_findings);
    Ok(CsvStart {
        layout,
        plan,
        columns,
        findings,
        preview,
        source,
    })
}

impl CsvStart {
    /// How the data rows under this start are walked.
    pub(super) fn walk<'a>(
        &'a self,
        dialect: Dialect,
        limits: &'a crate::limits::Limits,
        stop: &'a std::sync::atomic::AtomicBool,
    ) -> Walk<'a> {
        Walk {
            dialect,
            plan: &self.plan,
            header: self.source.header_row,
            last: self.layout.last_row,
            skipped: &self.layout.skipped,
            limits,
            stop,
        }
    }

    /// The report, from what the walk accumulated.
    pub(super) fn finish(self, ctx: Context<'_, '_>, acc: Acc) -> Report {
        conclude(
            ctx,
            &self.plan,
            acc,
            self.source,
            self.columns,
            self.findings,
            self.preview,
        )
    }
}

pub(crate) fn analyze_csv(
    mut ctx: Context<'_, '_>,
    text: &str,
    dialect: Dialect,
    source: Source,
    findings: Vec<Finding>,
) -> Result<(Report, Option<Roster>)> {
    let limits = ctx.options.limits;
    let head = read_head(csv_body(text, dialect), dialect)?;
    let start = start_csv(&mut ctx, &head, source, findings)?;
    let total_bytes = ctx.total_bytes;
    let stop = ctx.stop;
    let walk = start.walk(dialect, &limits, stop);
    let progress = &mut ctx.progress;
    let acc = validate_csv(
        text,
        walk,
        threads(ctx.options.threads),
        &mut |rows, bytes| {
            progress(Progress {
                stage: Stage::Validating,
                rows,
                bytes,
                total_bytes,
            });
        },
    )?;
    let roster = if ctx.fixing {
        Some(csv_roster(text, walk, &start.layout.headers)?)
    } else {
        None
    };
    Ok((start.finish(ctx, acc), roster))
}

/// Every data row of a CSV as text, under its header, for fixes to be applied to.
fn csv_roster(text: &str, walk: Walk<'_>, header: &[String]) -> Result<Roster> {
    let mut scan = CsvScan::new(csv_body(text, walk.dialect), walk);
    let mut record = csv::StringRecord::new();
    let mut rows = Vec::new();
    while let Some(row) = scan.next(&mut record)? {
        rows.push(RosterRow {
            row,
            cells: display_row(&record),
        });
    }
    Ok(Roster {
        header: header.to_vec(),
        rows,
    })
}

/// The first `wanted` data rows (at most [`MAX_PREVIEW_ROWS`]) for the report's preview.
fn preview_of(wanted: usize, rows: &[(u64, &Vec<String>)]) -> Option<Vec<PreviewRow>> {
    (wanted > 0).then(|| {
        rows.iter()
            .take(wanted.min(MAX_PREVIEW_ROWS))
            .map(|(row, cells)| PreviewRow {
                row: *row,
                cells: (*cells).clone(),
            })
            .collect()
    })
}

/// What every way of walking a CSV's rows shares: the dialect, the header and sub-header rows
/// to skip, the limits, and the plan that validates a row.
#[derive(Clone, Copy)]
pub(super) struct Walk<'a> {
    dialect: Dialect,
    pub(super) plan: &'a Plan,
    header: u64,
    /// The table's last row, when the sheet holds another table after it.
    last: Option<u64>,
    skipped: &'a [u64],
    pub(super) limits: &'a crate::limits::Limits,
    /// Set when the caller asked to stop: every thread walking rows checks it.
    pub(super) stop: &'a std::sync::atomic::AtomicBool,
}

impl Walk<'_> {
    /// Whether `row` is a data row to validate (not the header, a sub-header or blank),
    /// counting it against the limits in `data_rows`.
    fn admit<R: Row + ?Sized>(&self, row_no: u64, row: &R, data_rows: &mut u64) -> Result<bool> {
        if row_no <= self.header
            || self.last.is_some_and(|last| row_no > last)
            || self.skipped.contains(&row_no)
            || row_is_blank(row)
        {
            return Ok(false);
        }
        if row.len() > self.limits.max_columns as usize {
            return Err(too_many_columns(row_no, row.len(), self.limits.max_columns));
        }
        if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(super::cancelled());
        }
        *data_rows += 1;
        if *data_rows > self.limits.max_rows {
            return Err(too_many_rows(self.limits.max_rows));
        }
        Ok(true)
    }
}

/// Reads the data records of a CSV through the csv crate's parser (files with quotes).
struct CsvScan<'t, 'a> {
    reader: csv::Reader<&'t [u8]>,
    numbers: RowNumbers<'t>,
    data_rows: u64,
    walk: Walk<'a>,
}

impl<'t, 'a> CsvScan<'t, 'a> {
    fn new(body: &'t str, walk: Walk<'a>) -> Self {
        CsvScan {
            reader: csv_reader(body, walk.dialect),
            numbers: RowNumbers::new(body.as_bytes()),
            data_rows: 0,
            walk,
        }
    }

    /// Reads the next data record; returns its spreadsheet row number, or `None` at the end.
    fn next(&mut self, record: &mut csv::StringRecord) -> Result<Option<u64>> {
        loop {
            match self.reader.read_record(record) {
                Ok(true) => {}
                Ok(false) => return Ok(None),
                Err(e) => {
                    return Err(
                        Error::new(ErrorKind::MalformedFile, "the CSV cannot be read")
                            .with_source(e),
                    );
                }
            }
            let row = self.numbers.advance(record);
            if self.walk.admit(row, record, &mut self.data_rows)? {
                return Ok(Some(row));
            }
        }
    }
}

/// Validates every data row of a CSV.
///
/// With two or more threads: a file without any quote character is cut at line ends into
/// one slice per thread, each parsed and validated on its own (a line end there always ends a
/// record); otherwise one thread parses records and ships them in batches to the others, so
/// parsing and validation overlap. Results are merged in file order either way.
fn validate_csv(
    text: &str,
    walk: Walk<'_>,
    threads: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Acc> {
    let body = csv_body(text, walk.dialect);
    if memchr::memchr(b'"', body.as_bytes()).is_none() {
        let parts = if body.len() >= 1 << 20 {
            threads.max(1)
        } else {
            1
        };
        return validate_slices(body, walk, parts, progress);
    }
    let mut scan = CsvScan::new(body, walk);
    if threads < 2 {
        let mut acc = walk.plan.acc();
        let mut record = csv::StringRecord::new();
        while let Some(row) = scan.next(&mut record)? {
            walk.plan.validate(row, &record, &mut acc);
            if acc.rows.is_multiple_of(PROGRESS_EVERY) {
                progress(acc.rows, record.position().map_or(0, csv::Position::byte));
            }
        }
        return Ok(acc);
    }
    validate_pipelined(&mut scan, walk.plan, threads, progress)
}

/// The end of the line starting at `at` and the start of the next one. A line ends at `\r\n`,
/// `\r` or `\n`, as the csv crate reads them.
fn line_at(bytes: &[u8], at: usize) -> Option<(usize, usize)> {
    let rest = bytes.get(at..).filter(|r| !r.is_empty())?;
    Some(match memchr::memchr2(b'\n', b'\r', rest) {
        None => (bytes.len(), bytes.len()),
        Some(i) => {
            let end = at + i;
            let crlf = rest.get(i) == Some(&b'\r') && rest.get(i + 1) == Some(&b'\n');
            (end, end + if crlf { 2 } else { 1 })
        }
    })
}

/// The line ends in `bytes` as [`line_at`] reads them: `\r\n`, `\r` and `\n` are one each.
pub(super) fn count_line_ends(bytes: &[u8]) -> u64 {
    memchr::memchr2_iter(b'\n', b'\r', bytes)
        .filter(|&i| bytes.get(i) == Some(&b'\n') || bytes.get(i + 1) != Some(&b'\n'))
        .count() as u64
}

/// Cuts an unquoted CSV body into `parts` slices at line ends; returns each slice with the
/// spreadsheet row number of its first line.
fn slices(body: &str, parts: usize) -> Vec<(&str, u64)> {
    let bytes = body.as_bytes();
    let mut out = Vec::with_capacity(parts);
    let mut start = 0;
    let mut row = 1u64;
    for part in 1..parts {
        let target = (body.len() * part / parts).max(start);
        // Cut after the line end at or after `target` (both bytes of a `\r\n`).
        let Some(i) = bytes
            .get(target..)
            .and_then(|rest| memchr::memchr2(b'\n', b'\r', rest))
        else {
            break;
        };
        let mut cut = target + i + 1;
        if bytes.get(cut - 1) == Some(&b'\r') && bytes.get(cut) == Some(&b'\n') {
            cut += 1;
        }
        if let Some(slice) = body.get(start..cut) {
            out.push((slice, row));
            // The slice ends at a line end: its lines are its line ends.
            row += count_line_ends(slice.as_bytes());
        }
        start = cut;
    }
    out.push((body.get(start..).unwrap_or_default(), row));
    out
}

/// A line of an unquoted CSV split at the delimiter: fields borrow the decoded text, which
/// is already known to be UTF-8, so nothing is copied or checked again.
struct SplitLine<'t> {
    line: &'t str,
    bounds: Vec<(usize, usize)>,
}

impl SplitLine<'_> {
    fn split(&mut self, delimiter: u8) {
        self.bounds.clear();
        let mut start = 0;
        for i in memchr::memchr_iter(delimiter, self.line.as_bytes()) {
            self.bounds.push((start, i));
            start = i + 1;
        }
        self.bounds.push((start, self.line.len()));
    }
}

impl Row for SplitLine<'_> {
    fn len(&self) -> usize {
        self.bounds.len()
    }
    fn cell(&self, index: usize) -> crate::sheet::CellRef<'_> {
        match self
            .bounds
            .get(index)
            .and_then(|&(a, b)| self.line.get(a..b))
        {
            None | Some("") => crate::sheet::CellRef::Empty,
            Some(text) => crate::sheet::CellRef::Text(text),
        }
    }
    /// The line up to its last non-empty field: the same cells make the same text, and
    /// hashing it takes no copy.
    fn content_hash(&self, _: &mut Vec<u8>) -> u64 {
        let end = self
            .bounds
            .iter()
            .rev()
            .find(|(a, b)| b > a)
            .map_or(0, |&(_, b)| b);
        xxhash_rust::xxh3::xxh3_64(self.line.get(..end).unwrap_or_default().as_bytes())
    }
}

/// Validates the data lines of an unquoted slice whose first line is row `first_row`, into
/// `acc` (fresh from the plan).
pub(super) fn validate_unquoted(
    slice: &str,
    first_row: u64,
    walk: Walk<'_>,
    mut acc: Acc,
    report: &mut dyn FnMut(u64),
) -> Result<Acc> {
    let mut row = first_row.saturating_sub(1);
    let mut at = 0;
    let mut data_rows: u64 = 0;
    let mut fields = SplitLine {
        line: "",
        bounds: Vec::new(),
    };
    while let Some((end, next)) = line_at(slice.as_bytes(), at) {
        row += 1;
        let line = slice.get(at..end).unwrap_or_default();
        at = next;
        if line.is_empty() {
            continue;
        }
        fields.line = line;
        fields.split(walk.dialect.delimiter);
        if !walk.admit(row, &fields, &mut data_rows)? {
            continue;
        }
        walk.plan.validate(row, &fields, &mut acc);
        if data_rows.is_multiple_of(4_096) {
            report(4_096);
        }
    }
    Ok(acc)
}

/// Validates an unquoted CSV body cut into `parts` slices, each on its own thread; the
/// calling thread takes the first slice and reports progress.
fn validate_slices(
    body: &str,
    walk: Walk<'_>,
    parts: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Acc> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let done = AtomicU64::new(0);
    let run = |(slice, first_row): (&str, u64), report: &mut dyn FnMut(u64)| -> Result<Acc> {
        validate_unquoted(slice, first_row, walk, walk.plan.acc(), &mut |n| {
            report(done.fetch_add(n, Ordering::Relaxed) + n);
        })
    };
    let parts = slices(body, parts);
    let (first, others) = match parts.split_first() {
        Some((first, others)) => (*first, others),
        None => (("", 1), &[][..]),
    };
    let run_other = |i: usize| others.get(i).map(|&part| run(part, &mut |_| {}));
    let ((first, unstarted), started) = parallel::fork_join(others.len(), run_other, |unstarted| {
        let mut last_report = 0;
        let first = run(first, &mut |n| {
            if n >= last_report + PROGRESS_EVERY {
                last_report = n;
                progress(n, 0);
            }
        });
        let rest: Vec<_> = unstarted.iter().map(|&i| (i, run_other(i))).collect();
        (first, rest)
    });
    let mut acc = walk.plan.acc();
    acc.merge(first?);
    for (_, part) in in_order(unstarted, started) {
        if let Some(part) = part {
            acc.merge(part?);
        }
    }
    if acc.rows > walk.limits.max_rows {
        return Err(too_many_rows(walk.limits.max_rows));
    }
    // The other threads' last rows were counted but not reported from this one.
    progress(acc.rows, body.len() as u64);
    Ok(acc)
}

/// Results of work shared out by [`parallel::fork_join`], back in the order of the work.
pub(super) fn in_order<T>(mut mine: Vec<(usize, T)>, theirs: Vec<(usize, T)>) -> Vec<(usize, T)> {
    mine.extend(theirs);
    mine.sort_by_key(|(i, _)| *i);
    mine
}

/// Validates a batch of parsed records.
fn validate_batch(plan: &Plan, batch: &[(u64, csv::StringRecord)]) -> Acc {
    let mut acc = plan.acc();
    for (row, record) in batch {
        plan.validate(*row, record, &mut acc);
    }
    acc
}

/// One thread parses records into batches; the others validate them. A batch that finds
/// every worker busy is validated by the parsing thread itself.
fn validate_pipelined(
    scan: &mut CsvScan<'_, '_>,
    plan: &Plan,
    threads: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Acc> {
    use std::sync::mpsc::{TrySendError, channel};
    const BATCH: usize = 2_048;
    type Batch = Vec<(u64, csv::StringRecord)>;
    let workers = threads - 1;
    // One queue that every worker takes from; parsed batches are numbered to merge in order.
    let (queue, takers) = parallel::work_queue::<(usize, Batch)>(4 * workers.max(1));
    let take = |wait: bool| takers.take(wait);
    // Validated batches come back to be filled again, so records keep their allocations.
    let (recycle, recycled) = channel::<Batch>();
    let worker = |_: usize| {
        let mut parts: Vec<(usize, Acc)> = Vec::new();
        while let Some((seq, batch)) = take(true) {
            parts.push((seq, validate_batch(plan, &batch)));
            // The parser may be gone already; the batch is then simply dropped.
            let _ = recycle.send(batch);
        }
        parts
    };
    let parse = |_: &[usize]| {
        let mut parts: Vec<(usize, Acc)> = Vec::new();
        let mut seq = 0usize;
        let mut validated: u64 = 0;
        let mut failure = None;
        loop {
            let mut batch: Batch = recycled.try_recv().unwrap_or_default();
            let mut filled = 0;
            loop {
                if batch.len() <= filled {
                    batch.push((0, csv::StringRecord::new()));
                }
                let Some(slot) = batch.get_mut(filled) else {
                    break;
                };
                match scan.next(&mut slot.1) {
                    Ok(Some(row)) => slot.0 = row,
                    Ok(None) => break,
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
                filled += 1;
                if filled == BATCH {
                    break;
                }
            }
            batch.truncate(filled);
            if batch.is_empty() {
                break;
            }
            let end = batch.len() < BATCH || failure.is_some();
            validated += batch.len() as u64;
            let position = batch
                .last()
                .and_then(|(_, r)| r.position())
                .map_or(0, csv::Position::byte);
            match queue.try_send((seq, batch)) {
                Ok(()) => {}
                Err(TrySendError::Full((s, batch)) | TrySendError::Disconnected((s, batch))) => {
                    parts.push((s, validate_batch(plan, &batch)));
                }
            }
            seq += 1;
            if validated % (PROGRESS_EVERY) < BATCH as u64 {
                progress(validated, position);
            }
            if end {
                break;
            }
        }
        // With the queue closed, workers stop when it is empty; what no worker took (none
        // may have started) is validated here.
        drop(queue);
        while let Some((s, batch)) = take(false) {
            parts.push((s, validate_batch(plan, &batch)));
        }
        (parts, failure)
    };
    let ((parsed, failure), started) = parallel::fork_join(workers, worker, parse);
    if let Some(e) = failure {
        return Err(e);
    }
    let mut acc = plan.acc();
    let validated = started.into_iter().flat_map(|(_, parts)| parts).collect();
    for (_, part) in in_order(parsed, validated) {
        acc.merge(part);
    }
    Ok(acc)
}

pub(crate) fn analyze_grid(
    mut ctx: Context<'_, '_>,
    grid: &Grid,
    mut source: Source,
    mut findings: Vec<Finding>,
) -> Result<(Report, Option<Roster>)> {
    let limits = ctx.options.limits;
    // Detection looks at the first rows only; an explicit header row may be further down.
    let reach = match ctx.options.header_row {
        Some(n) => usize::try_from(n).unwrap_or(usize::MAX).max(SCAN_ROWS),
        None => SCAN_ROWS,
    }
    .min(grid.rows.len());
    let head = Head {
        rows: head_of(grid, reach),
        numbers: (1..=reach as u64).collect(),
    };
    let layout = choose_header(&head, &mut ctx, &mut source)?;
    findings.extend(layout.note.clone());
    // A workbook is read whole before this point; the caller may have asked to stop meanwhile.
    ctx.check_stop()?;
    let data_start = layout.header + 1;
    let data: Vec<(u64, &Vec<crate::sheet::Value>)> = grid
        .rows
        .iter()
        .enumerate()
        .skip(data_start)
        .map(|(i, r)| (i as u64 + 1, r))
        .take_while(|(n, _)| layout.last_row.is_none_or(|last| *n <= last))
        .filter(|(n, r)| !layout.skipped.contains(n) && !row_is_blank(r.as_slice()))
        .collect();
    if data.len() as u64 > limits.max_rows {
        return Err(too_many_rows(limits.max_rows));
    }
    let numbered: Vec<(u64, Vec<String>)> = data
        .iter()
        .take(SAMPLE_ROWS)
        .map(|(n, r)| (*n, display_row(r.as_slice())))
        .collect();
    let preview = preview_of(
        ctx.options.preview,
        &numbered.iter().map(|(n, r)| (*n, r)).collect::<Vec<_>>(),
    );
    let samples: Vec<Vec<String>> = numbered.into_iter().map(|(_, row)| row).collect();
    let (columns, column_findings, plan) = match_and_plan(&ctx, &layout, &samples, false)?;
    findings.extend(column_findings);

    let workers = threads(ctx.options.threads)
        .min(data.len() / 10_000 + 1)
        .max(1);
    let chunk = data.len().div_ceil(workers).max(1);
    let validate_chunk = |rows: &[(u64, &Vec<crate::sheet::Value>)]| {
        let mut acc = plan.acc();
        for (n, r) in rows {
            plan.validate(*n, r.as_slice(), &mut acc);
        }
        acc
    };
    // The calling thread takes the first chunk, a thread of its own each of the others.
    let chunks: Vec<_> = data.chunks(chunk).collect();
    let chunk_at = |i: usize| chunks.get(i).map(|rows| validate_chunk(rows));
    let (mine, theirs) = parallel::fork_join(
        chunks.len().saturating_sub(1),
        |i| chunk_at(i + 1),
        |unstarted| {
            let mut mine = vec![(0, chunk_at(0))];
            mine.extend(unstarted.iter().map(|&i| (i + 1, chunk_at(i + 1))));
            mine
        },
    );
    let theirs = theirs.into_iter().map(|(i, part)| (i + 1, part)).collect();
    let mut acc = plan.acc();
    for part in in_order(mine, theirs)
        .into_iter()
        .filter_map(|(_, part)| part)
    {
        acc.merge(part);
    }
    (ctx.progress)(Progress {
        stage: Stage::Validating,
        rows: acc.rows,
        bytes: ctx.total_bytes,
        total_bytes: ctx.total_bytes,
    });
    let roster = ctx.fixing.then(|| Roster {
        header: layout.headers.clone(),
        rows: data
            .iter()
            .map(|(row, cells)| RosterRow {
                row: *row,
                cells: display_row(cells.as_slice()),
            })
            .collect(),
    });
    let report = conclude(ctx, &plan, acc, source, columns, findings, preview);
    Ok((report, roster))
}

/// Reports the last step, takes the cross-row decisions and assembles the report.
fn conclude(
    ctx: Context<'_, '_>,
    plan: &Plan,
    acc: Acc,
    source: Source,
    columns: Vec<crate::matching::ColumnMatch>,
    findings: Vec<Finding>,
    preview: Option<Vec<PreviewRow>>,
) -> Report {
    (ctx.progress)(Progress {
        stage: Stage::Finishing,
        rows: acc.rows,
        bytes: ctx.total_bytes,
        total_bytes: ctx.total_bytes,
    });
    let outcome = plan.finish(acc);
    build_report(
        source,
        columns,
        findings,
        outcome,
        ctx.options.records,
        preview,
    )
}
