//! The analysis of a roster: bytes in, [`Report`] out.
//!
//! Steps, each owned by a module: format detection ([`crate::sheet::format`]), decoding and
//! dialect ([`crate::sheet::decode`], [`crate::sheet::dialect`]) or workbook reading,
//! header row ([`header_row`]), column matching ([`crate::matching`]), row validation
//! ([`crate::validation`]).

pub mod header_row;
mod rows;
mod stream;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding, Severity};
use crate::fixes::{FixCode, Roster};
use crate::group::{Group, Schema};
use crate::limits::Limits;
use crate::matching::{self, ColumnMatch, ContentProfile, Mapping, Matcher, SavedMappings};
use crate::report::{Report, Source, Summary};
use crate::sheet::{self, SourceFormat, decode, dialect, workbook};
use crate::validation::Plan;

pub use stream::analyze_reader;

/// What to analyse and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyzeOptions {
    /// The uploaded file's name, used only to warn when its extension contradicts the content.
    pub file_name: Option<String>,
    /// Sheet to read (workbooks); by default the first visible worksheet with data.
    pub sheet: Option<String>,
    /// 1-based header row; detected when absent.
    pub header_row: Option<u64>,
    /// Column assignments the user confirmed; other columns are matched automatically.
    pub mapping: Option<Mapping>,
    /// Mappings confirmed on earlier uploads.
    pub saved: SavedMappings,
    /// Resource limits.
    pub limits: Limits,
    /// Whether to return the normalised values of valid rows.
    pub records: bool,
    /// Threads for validation: 0 for as many as the platform offers, 1 for none.
    pub threads: usize,
    /// How many of the first data rows to return as they read (display text), for a preview
    /// grid; at most [`MAX_PREVIEW_ROWS`]. With 0 (the default) the report has no `preview`.
    pub preview: usize,
}

/// The most data rows [`AnalyzeOptions::preview`] returns.
pub const MAX_PREVIEW_ROWS: usize = 200;

/// Steps reported to a progress callback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// Reading and decoding the file.
    Reading,
    /// Finding the header and matching columns.
    Matching,
    /// Validating rows.
    Validating,
    /// Cross-row checks (duplicates, date order).
    Finishing,
}

impl Stage {
    /// The stage's name, as progress reports on every surface give it: `reading`,
    /// `matching`, `validating` or `finishing`.
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reading => "reading",
            Stage::Matching => "matching",
            Stage::Validating => "validating",
            Stage::Finishing => "finishing",
        }
    }
}

/// Progress of an analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Current step.
    pub stage: Stage,
    /// Rows validated so far.
    pub rows: u64,
    /// Bytes of input processed so far (CSV), or 0.
    pub bytes: u64,
    /// Total bytes of input.
    pub total_bytes: u64,
}

/// Analyses a roster. See [`analyze_with_progress`].
///
/// ```
/// use conferral::{analyze, AnalyzeOptions, Group};
/// let group = Group { name: "Demo".into(), attributes: vec![], ..Group::default() };
/// let csv = b"Name,Email\nAna Lopez,ana@example.org\nBo,not-an-address\n";
/// let report = analyze(csv, &group, &AnalyzeOptions::default()).unwrap();
/// assert_eq!((report.summary.valid, report.summary.invalid), (1, 1));
/// assert_eq!(report.findings[0].cell.as_deref(), Some("B3"));
/// ```
pub fn analyze(bytes: &[u8], group: &Group, options: &AnalyzeOptions) -> Result<Report> {
    analyze_with_progress(bytes, group, options, &mut |_| {})
}

/// Analyses a roster, calling `progress` as it goes (from the calling thread).
///
/// # Errors
/// An [`Error`] when the file cannot be analysed at all: empty, not a spreadsheet, damaged,
/// encrypted, over a limit, a missing sheet, a header row outside the sheet, a malformed
/// group or mapping. Everything found inside a readable roster is a finding in the report.
pub fn analyze_with_progress(
    bytes: &[u8],
    group: &Group,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    analyze_cancellable(bytes, group, options, &mut |p| {
        progress(p);
        true
    })
}

/// Analyses a roster like [`analyze_with_progress`], stopping soon after `progress` returns
/// `false` (within some tens of thousands of rows; every thread stops).
///
/// # Errors
/// [`ErrorKind::Cancelled`] when stopped, and the errors of [`analyze_with_progress`].
pub fn analyze_cancellable(
    bytes: &[u8],
    group: &Group,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Report> {
    run(bytes, group, options, progress, false).map(|(report, _)| report)
}

/// A roster with the suggested fixes whose code is in `codes` applied, and the analysis that
/// suggested them.
#[derive(Debug, Clone, PartialEq)]
pub struct Fixed {
    /// The analysis of the roster as given, the report [`analyze`] returns with the same
    /// options.
    pub report: Report,
    /// The roster with every change of the chosen fixes made ([`crate::fixes::apply`]): the
    /// header and the data rows, each cell as it reads. Write it with
    /// [`crate::output::OutputFormat::roster`].
    pub roster: Roster,
}

/// Analyses a roster and applies the suggested fixes whose code is in `codes`, every change
/// of each (a report lists at most [`crate::fixes::LISTED_CHANGES`] per fix; this finds them
/// all). A code the analysis suggests nothing for changes nothing.
///
/// ```
/// use conferral::{analysis::fix, AnalyzeOptions, FixCode, Group};
/// let group = Group { name: "Demo".into(), ..Group::default() };
/// let csv = b"Name,Email\n Ana  Lopez ,ana@gmial.com\nBo Chen,bo@example.org\n";
/// let fixed = fix(csv, &group, &AnalyzeOptions::default(), &[FixCode::EmailDomainTypo]).unwrap();
/// assert_eq!(fixed.report.fixes.len(), 2); // collapse_blanks is suggested too, not chosen
/// assert_eq!(fixed.roster.rows[0].cells, [" Ana  Lopez ", "ana@gmail.com"]);
/// ```
///
/// # Errors
/// The errors of [`analyze`].
pub fn fix(
    bytes: &[u8],
    group: &Group,
    options: &AnalyzeOptions,
    codes: &[FixCode],
) -> Result<Fixed> {
    fix_cancellable(bytes, group, options, codes, &mut |_| true)
}

/// [`fix`] with progress reports, stopping soon after `progress` returns `false` (as
/// [`analyze_cancellable`] does).
///
/// # Errors
/// [`ErrorKind::Cancelled`] when stopped, and the errors of [`analyze`].
pub fn fix_cancellable(
    bytes: &[u8],
    group: &Group,
    options: &AnalyzeOptions,
    codes: &[FixCode],
    progress: &mut dyn FnMut(Progress) -> bool,
) -> Result<Fixed> {
    let (mut report, roster) = run(bytes, group, options, progress, true)?;
    let roster = crate::fixes::apply(&roster.unwrap_or_default(), &report.fixes, codes)?;
    // Every change was found to be applied; the report lists what `analyze` lists.
    for fix in &mut report.fixes {
        fix.changes.truncate(crate::fixes::LISTED_CHANGES);
    }
    Ok(Fixed { report, roster })
}

/// The analysis; when `fixing`, every change of every fix is listed and the roster is read
/// as text too, for the fixes to be applied to.
fn run(
    bytes: &[u8],
    group: &Group,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
    fixing: bool,
) -> Result<(Report, Option<Roster>)> {
    let total_bytes = bytes.len() as u64;
    in_context(group, options, progress, (total_bytes, fixing), |ctx| {
        let format = sheet::format::detect(bytes)?;
        let file_findings: Vec<Finding> = format_mismatch(options.file_name.as_deref(), format)
            .into_iter()
            .collect();
        if format == SourceFormat::Csv {
            analyze_text(ctx, bytes, file_findings)
        } else {
            analyze_workbook(ctx, bytes, format, file_findings)
        }
    })
}

/// Runs `body` in the context every analysis starts from: the group's schema and matcher,
/// the file's size checked against the limit, and a progress that marks the analysis
/// stopped when the caller's `progress` returns `false`.
fn in_context<T>(
    group: &Group,
    options: &AnalyzeOptions,
    progress: &mut dyn FnMut(Progress) -> bool,
    (total_bytes, fixing): (u64, bool),
    body: impl FnOnce(Context<'_, '_>) -> Result<T>,
) -> Result<T> {
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut progress = |p: Progress| {
        if !progress(p) {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let schema = group.schema()?;
    check_size(total_bytes, &options.limits)?;
    progress(Progress {
        stage: Stage::Reading,
        rows: 0,
        bytes: 0,
        total_bytes,
    });
    let matcher = Matcher::new(&schema);
    body(Context {
        schema: &schema,
        matcher: &matcher,
        options,
        progress: &mut progress,
        total_bytes,
        stop: &stop,
        fixing,
    })
}

/// Refuses a file over the size limit before anything reads it.
fn check_size(len: u64, limits: &Limits) -> Result<()> {
    if len > limits.max_file_bytes {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the file has {len} bytes, over the limit of {} bytes",
                limits.max_file_bytes
            ),
        ));
    }
    Ok(())
}

/// A warning when the file's name claims another format than its content (XLSX and XLSM
/// are one family).
fn format_mismatch(file_name: Option<&str>, format: SourceFormat) -> Option<Finding> {
    let claimed = file_name.and_then(SourceFormat::from_file_name)?;
    let same_family = matches!(
        (claimed, format),
        (SourceFormat::Xlsx, SourceFormat::Xlsm) | (SourceFormat::Xlsm, SourceFormat::Xlsx)
    );
    if claimed == format || same_family {
        return None;
    }
    let message = format!(
        "the file is named as {} but its content is {}; it was read as {}",
        claimed.as_str().to_uppercase(),
        format.as_str().to_uppercase(),
        format.as_str().to_uppercase()
    );
    Some(
        Finding::warning(Code::FormatMismatch, message).help(format!(
            "rename the file with the .{} extension",
            format.as_str()
        )),
    )
}

/// Warnings about how the text was decoded: lines read as Windows-1252, replaced UTF-16.
fn encoding_findings(decoded: &decode::Decoded<'_>, first_row: Option<u64>) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let Some(&first) = decoded.fallback_lines.first() {
        let message = if decoded.encoding == decode::TextEncoding::Utf8 {
            let listed: Vec<String> = decoded
                .fallback_lines
                .iter()
                .map(usize::to_string)
                .collect();
            let more = decoded.fallback_line_count - decoded.fallback_lines.len();
            format!(
                "the file is UTF-8 except for {} line(s) ({}{}), whose other characters were read as Windows-1252",
                decoded.fallback_line_count,
                listed.join(", "),
                if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                }
            )
        } else {
            format!("the file is not UTF-8 (first at line {first}); it was read as Windows-1252")
        };
        let finding = Finding::warning(Code::EncodingFallback, message)
            .help("check that accented letters look right; if not, save the file as CSV UTF-8 and upload it again");
        findings.push(match first_row {
            Some(row) => finding.at_row(row),
            None => finding,
        });
    }
    if decoded.replaced > 0 {
        let message = format!(
            "{} malformed UTF-16 character(s) were replaced by �",
            decoded.replaced
        );
        findings.push(
            Finding::warning(Code::EncodingReplacement, message)
                .help("save the file again as UTF-8 or UTF-16 and upload it again"),
        );
    }
    findings
}

/// A CSV: decoded, its dialect sniffed, then walked row by row.
fn analyze_text(
    ctx: Context<'_, '_>,
    bytes: &[u8],
    mut findings: Vec<Finding>,
) -> Result<(Report, Option<Roster>)> {
    let decoded = decode::decode(bytes)?;
    refuse_text_posing_as_a_workbook(ctx.options.file_name.as_deref(), &decoded.text)?;
    let dialect = dialect::sniff(&decoded.text);
    // A UTF-8 file with a few foreign lines: the first of them is located by its row. (A
    // file read wholly as Windows-1252 has no one place to point at.)
    let first_row = match decoded.fallback_lines.first() {
        Some(&line) if decoded.encoding == decode::TextEncoding::Utf8 => {
            rows::row_of_line(&decoded.text, dialect, line)
        }
        _ => None,
    };
    findings.extend(encoding_findings(&decoded, first_row));
    let source = csv_source(decoded.encoding, decoded.bom, dialect);
    rows::analyze_csv(ctx, &decoded.text, dialect, source, findings)
}

/// How a CSV was read, before its header is found.
fn csv_source(encoding: decode::TextEncoding, bom: bool, dialect: dialect::Dialect) -> Source {
    Source {
        format: SourceFormat::Csv,
        encoding: Some(encoding),
        bom: Some(bom),
        delimiter: Some(char::from(dialect.delimiter).to_string()),
        line_ending: Some(dialect.line_ending),
        sheet: None,
        sheets: None,
        header_row: 0,
        header_row_detected: false,
        skipped_rows: Vec::new(),
        tables: Vec::new(),
    }
}

/// A file named as a workbook whose content is text is read as CSV (a CSV saved as `.xlsx`
/// is common), but only if the text could be a table: a single line (a server's "not found"
/// message saved under the workbook's name, say) is refused rather than reported as a roster
/// with no rows.
fn refuse_text_posing_as_a_workbook(file_name: Option<&str>, text: &str) -> Result<()> {
    let Some(claimed) = file_name
        .and_then(SourceFormat::from_file_name)
        .filter(|f| f.is_workbook())
    else {
        return Ok(());
    };
    // Two lines make a possible table; the rest of a large file need not be read.
    if text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .nth(1)
        .is_some()
    {
        return Ok(());
    }
    Err(Error::new(
        ErrorKind::UnsupportedFormat,
        format!(
            "the file is named as {} but is not a workbook: it holds a line of text, not a table",
            claimed.as_str().to_uppercase()
        ),
    ))
}

/// A workbook: the sheet chosen (the requested one, else the first that names an attribute)
/// and read into a grid, then walked row by row.
fn analyze_workbook(
    ctx: Context<'_, '_>,
    bytes: &[u8],
    format: SourceFormat,
    findings: Vec<Finding>,
) -> Result<(Report, Option<Roster>)> {
    let matcher = ctx.matcher;
    let fits_schema = |grid: &sheet::Grid| {
        header_row::names_an_attribute(&rows::head_of(grid, header_row::SCAN_ROWS), matcher)
    };
    let read = workbook::read(
        bytes,
        format,
        ctx.options.sheet.as_deref(),
        &ctx.options.limits,
        &fits_schema,
    )?;
    let source = Source {
        format,
        encoding: None,
        bom: None,
        delimiter: None,
        line_ending: None,
        sheet: Some(read.name),
        sheets: Some(read.sheets),
        header_row: 0,
        header_row_detected: false,
        skipped_rows: Vec::new(),
        tables: Vec::new(),
    };
    let analysed = rows::analyze_grid(ctx, &read.grid, source, findings);
    crate::limits::parallel::drop_later(read.grid);
    analysed
}

pub(crate) struct Context<'a, 'p> {
    pub schema: &'a Schema,
    pub matcher: &'a Matcher<'a>,
    pub options: &'a AnalyzeOptions,
    pub progress: &'p mut dyn FnMut(Progress),
    pub total_bytes: u64,
    /// Set when the caller asked to stop; the row loops check it.
    pub stop: &'a std::sync::atomic::AtomicBool,
    /// Whether fixes are to be applied: every change listed, the roster read as text.
    pub fixing: bool,
}

impl Context<'_, '_> {
    /// An error if the caller asked to stop.
    pub(crate) fn check_stop(&self) -> Result<()> {
        if self.stop.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(cancelled());
        }
        Ok(())
    }
}

pub(crate) fn cancelled() -> Error {
    Error::new(
        ErrorKind::Cancelled,
        "the analysis was stopped before it finished",
    )
}

/// Rows at the top of a sheet, as display text, with their 1-based row numbers.
pub(crate) struct Head {
    pub rows: Vec<Vec<String>>,
    pub numbers: Vec<u64>,
}

/// The header and what follows from it.
pub(crate) struct Layout {
    /// Index into `Head::rows` of the header.
    pub header: usize,
    pub headers: Vec<String>,
    pub skipped: Vec<u64>,
    /// The last data row (1-based) when the sheet holds several tables and the one read ends
    /// before the next; `None` when it runs to the end of the sheet.
    pub last_row: Option<u64>,
    /// The finding that says which of several tables was read.
    pub note: Option<Finding>,
}

/// Reports the matching step, then finds (or takes) the header row and the sub-header rows
/// under it.
pub(crate) fn choose_header(
    head: &Head,
    ctx: &mut Context<'_, '_>,
    source: &mut Source,
) -> Result<Layout> {
    (ctx.progress)(Progress {
        stage: Stage::Matching,
        rows: 0,
        bytes: 0,
        total_bytes: ctx.total_bytes,
    });
    // What the first rows' titles name, scored once for the header and the table split.
    let titles = header_row::Titles::of(&head.rows, ctx.matcher);
    let header = match ctx.options.header_row {
        Some(n) => {
            let found = head.numbers.iter().position(|&r| r == n);
            found.ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidHeaderRow,
                    format!(
                        "header row {n} is not among the first {} rows of the sheet with content (rows {}); a header lower down is not supported",
                        head.numbers.len(),
                        head.numbers.first().zip(head.numbers.last()).map_or_else(|| "none".to_owned(), |(a, b)| format!("{a} to {b}"))
                    ),
                )
            })?
        }
        None => header_row::detect(&head.rows, &titles).ok_or_else(|| {
            Error::new(
                ErrorKind::EmptyFile,
                "the sheet holds no data: no header row could be found",
            )
        })?,
    };
    // A sheet with several tables: the one that fits the group is read (or the one whose
    // header the caller gave), up to where the next begins.
    let tables = header_row::tables(&head.rows, &titles, ctx.schema, header);
    let chosen = match ctx.options.header_row {
        Some(_) => tables.iter().find(|t| t.header == header),
        None => header_row::best_table(&tables),
    };
    let number_of = |i: usize| head.numbers.get(i).copied().unwrap_or(0);
    let (header, last_row) = match chosen {
        Some(t) => (t.header, t.end.map(|end| number_of(end.saturating_sub(1)))),
        None => (header, None),
    };
    source.tables = tables
        .iter()
        .map(|t| crate::report::TableInfo {
            header_row: number_of(t.header),
            last_row: t.end.map(|end| number_of(end.saturating_sub(1))),
            rows: t.rows as u64,
        })
        .collect();
    let explicit = ctx.options.header_row.is_some();
    let note = chosen.map(|t| several_tables(&source.tables, number_of(t.header), explicit));
    let row = head.rows.get(header).cloned().unwrap_or_default();
    let width = row
        .iter()
        .rposition(|c| !c.trim().is_empty())
        .map_or(0, |i| i + 1);
    let max_columns = ctx.options.limits.max_columns;
    if let Some((number, row)) = head
        .numbers
        .iter()
        .zip(&head.rows)
        .find(|(_, r)| r.len() > max_columns as usize)
    {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "row {number} has {} fields, over the limit of {max_columns} columns; check the delimiter or split the file",
                row.len()
            ),
        ));
    }
    let headers: Vec<String> = row
        .into_iter()
        .take(width)
        .map(|h| h.trim().to_owned())
        .collect();
    let mut skipped = Vec::new();
    for (row, number) in head.rows.iter().zip(&head.numbers).skip(header + 1).take(3) {
        if header_row::is_sub_header(row) {
            skipped.push(*number);
        } else {
            break;
        }
    }
    source.header_row = head.numbers.get(header).copied().unwrap_or(1);
    source.header_row_detected = ctx.options.header_row.is_none();
    source.skipped_rows.clone_from(&skipped);
    Ok(Layout {
        header,
        headers,
        skipped,
        last_row,
        note,
    })
}

/// Says which of a sheet's tables is read, and how to read another.
fn several_tables(tables: &[crate::report::TableInfo], read: u64, explicit: bool) -> Finding {
    let rows: Vec<String> = tables.iter().map(|t| t.header_row.to_string()).collect();
    let list = match rows.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => rows.join(", "),
    };
    let others: Vec<String> = tables
        .iter()
        .filter(|t| t.header_row != read)
        .map(|t| t.header_row.to_string())
        .collect();
    Finding::warning(
        Code::SeveralTables,
        format!(
            "the sheet holds {} tables, with headers on rows {list}; the one on row {read} {} and is read",
            tables.len(),
            if explicit {
                "was asked for"
            } else {
                "fits the group best"
            }
        ),
    )
    .at_row(read)
    .help(format!(
        "to read another table, give its header row ({}) as the header row",
        others.join(" or ")
    ))
}

pub(crate) fn match_and_plan(
    ctx: &Context<'_, '_>,
    layout: &Layout,
    samples: &[Vec<String>],
    csv: bool,
) -> Result<(Vec<ColumnMatch>, Vec<Finding>, Plan)> {
    let width = layout.headers.len();
    let profiles: Vec<ContentProfile> = (0..width)
        .map(|c| ContentProfile::of(samples.iter().filter_map(|r| r.get(c)).map(String::as_str)))
        .collect();
    let columns = matching::match_columns(
        ctx.matcher,
        &layout.headers,
        &profiles,
        &ctx.options.saved,
        ctx.options.mapping.as_ref(),
    )?;
    let findings = crate::matching::column_findings(ctx.schema, &columns);
    let listed = if ctx.fixing {
        usize::MAX
    } else {
        crate::fixes::LISTED_CHANGES
    };
    let plan = Plan::new(
        ctx.schema,
        &columns,
        width,
        &ctx.options.limits,
        ctx.options.records,
        csv,
    )
    .with_fix_cap(listed)
    .with_threads(crate::limits::threads(ctx.options.threads));
    Ok((columns, findings, plan))
}

pub(crate) fn build_report(
    source: Source,
    columns: Vec<ColumnMatch>,
    mut findings: Vec<Finding>,
    outcome: crate::validation::Outcome,
    records: bool,
    preview: Option<Vec<crate::report::PreviewRow>>,
) -> Report {
    let (omitted_warnings, omitted_errors) = outcome.omitted;
    if omitted_warnings + omitted_errors > 0 {
        let listed = outcome.findings.len();
        findings.push(
            Finding::warning(
                Code::FindingsOmitted,
                format!(
                    "{} more findings about rows ({omitted_errors} errors, {omitted_warnings} warnings) are not listed; the report lists the first {listed}",
                    omitted_warnings + omitted_errors
                ),
            )
            .help("fix what the listed findings show (one cause often repeats down the sheet) and analyze again, or raise limits.max_findings"),
        );
    }
    findings.extend(outcome.findings);
    let listed_warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count() as u64;
    let warnings = listed_warnings + omitted_warnings;
    let errors = findings.len() as u64 - listed_warnings + omitted_errors;
    let mapping = Mapping::from_columns(&columns);
    Report {
        source,
        columns,
        mapping,
        summary: Summary {
            rows: outcome.rows,
            valid: outcome.rows - outcome.invalid,
            invalid: outcome.invalid,
            warnings,
            errors,
        },
        findings,
        fixes: outcome.fixes,
        records: records.then_some(outcome.records),
        preview,
    }
}

#[cfg(test)]
mod tests {
    use super::Stage;

    #[test]
    fn a_misspelt_option_is_refused_not_ignored() {
        let refused = serde_json::from_str::<super::AnalyzeOptions>(r#"{"header_rows": 2}"#)
            .unwrap_err()
            .to_string();
        assert!(refused.contains("unknown field `header_rows`"), "{refused}");
        let refused =
            serde_json::from_str::<super::AnalyzeOptions>(r#"{"limits": {"max_row": 5}}"#)
                .unwrap_err()
                .to_string();
        assert!(refused.contains("unknown field `max_row`"), "{refused}");
        let read: super::AnalyzeOptions =
            serde_json::from_str(r#"{"header_row": 2, "limits": {"max_rows": 5}}"#).unwrap();
        assert_eq!((read.header_row, read.limits.max_rows), (Some(2), 5));
    }

    #[test]
    fn one_line_of_text_named_as_a_workbook_is_refused() {
        let group = crate::Group {
            name: "g".into(),
            ..crate::Group::default()
        };
        let options = |name: &str| super::AnalyzeOptions {
            file_name: Some(name.to_owned()),
            ..super::AnalyzeOptions::default()
        };
        let text = b"Attachment roster.xls not found!";
        let refused = super::analyze(text, &group, &options("roster.xls")).unwrap_err();
        assert_eq!(refused.kind(), crate::ErrorKind::UnsupportedFormat);
        assert!(
            refused
                .to_string()
                .contains("named as XLS but is not a workbook"),
            "{refused}"
        );
        // The same text named as text is a (header-only) CSV; a real table named .xlsx is read.
        assert!(super::analyze(text, &group, &options("roster.csv")).is_ok());
        let table = b"Name,Email\nAna,ana@example.org\n";
        let report = super::analyze(table, &group, &options("roster.xlsx")).unwrap();
        assert_eq!(report.summary.valid, 1);
    }

    #[test]
    fn a_line_is_found_in_the_row_that_holds_it() {
        use crate::sheet::dialect::sniff;
        let text = "Name,Email\nAna,\"a\nb\"\n\nBo,b@x.org\n";
        let rows: Vec<_> = (1..=6)
            .map(|line| super::rows::row_of_line(text, sniff(text), line))
            .collect();
        // Lines 2 and 3 are one quoted record (row 2); the blank line 4 (row 3, which holds
        // no byte to report) goes with the record after it; line 5 is row 4.
        assert_eq!(rows, [Some(1), Some(2), Some(2), Some(4), Some(4), Some(4)]);
        let with_sep = "sep=;\nName;Email\nAna;x\n";
        assert_eq!(
            super::rows::row_of_line(with_sep, sniff(with_sep), 3),
            Some(2)
        );
    }

    #[test]
    fn another_table_is_read_by_giving_its_header_row() {
        let group = crate::Group {
            name: "g".into(),
            ..crate::Group::default()
        };
        let sheet = "Meeting ID,Topic,User Email\n1,Clinic,host@example.org\n\nName,Email\nAna,a@example.org\nBo,b@example.org\n\nName,Email,Role\nAna,a@example.org,x\nAna,a@example.org,y\n";
        let read = |header_row: Option<u64>| {
            let options = super::AnalyzeOptions {
                header_row,
                ..super::AnalyzeOptions::default()
            };
            super::analyze(sheet.as_bytes(), &group, &options).unwrap()
        };
        let chosen = read(None);
        let headers: Vec<(u64, Option<u64>)> = chosen
            .source
            .tables
            .iter()
            .map(|t| (t.header_row, t.last_row))
            .collect();
        // The summary on row 1 names one attribute only (the host's address): no table.
        assert_eq!(headers, [(4, Some(6)), (8, None)]);
        // The table of distinct recipients is read and ends where the next begins.
        assert_eq!((chosen.source.header_row, chosen.summary.rows), (4, 2));
        let other = read(Some(8));
        assert_eq!((other.source.header_row, other.summary.rows), (8, 2));
        let codes: Vec<&str> = other.findings.iter().map(|f| f.code.as_str()).collect();
        assert!(codes.contains(&"duplicate_recipient"), "{codes:?}");
        let note = other
            .findings
            .iter()
            .find(|f| f.code == crate::Code::SeveralTables)
            .unwrap();
        assert!(
            note.message.contains("row 8 was asked for"),
            "{}",
            note.message
        );
        assert!(note.help.contains("header row (4)"), "{}", note.help);
    }

    #[test]
    fn stage_names_are_the_serialized_ones() {
        for stage in [
            Stage::Reading,
            Stage::Matching,
            Stage::Validating,
            Stage::Finishing,
        ] {
            assert_eq!(
                serde_json::to_value(stage).unwrap(),
                serde_json::Value::from(stage.as_str())
            );
        }
    }
}
