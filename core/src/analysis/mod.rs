//! The analysis of a roster: bytes in, [`Report`] out.
//!
//! Steps, each owned by a module: format detection ([`crate::sheet::format`]), decoding and
//! dialect ([`crate::sheet::decode`], [`crate::sheet::dialect`]) or workbook reading,
//! header row ([`header_row`]), column matching ([`crate::matching`]), row validation
//! ([`crate::validation`]).

pub mod header_row;
mod rows;

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::finding::{Code, Finding, Severity};
use crate::group::{Group, Schema, standard};
use crate::limits::Limits;
use crate::matching::{self, ColumnMatch, ContentProfile, Mapping, Matcher, SavedMappings, Tier};
use crate::report::{Report, Source, Summary};
use crate::sheet::{self, SourceFormat, decode, dialect, workbook};
use crate::validation::Plan;

/// What to analyse and how.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
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
    let stop = std::sync::atomic::AtomicBool::new(false);
    let mut progress = |p: Progress| {
        if !progress(p) {
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    };
    let progress: &mut dyn FnMut(Progress) = &mut progress;
    let schema = group.schema()?;
    let limits = &options.limits;
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(Error::new(
            ErrorKind::LimitExceeded,
            format!(
                "the file has {} bytes, over the limit of {} bytes",
                bytes.len(),
                limits.max_file_bytes
            ),
        ));
    }
    let total_bytes = bytes.len() as u64;
    progress(Progress {
        stage: Stage::Reading,
        rows: 0,
        bytes: 0,
        total_bytes,
    });
    let format = sheet::format::detect(bytes)?;
    let mut file_findings = Vec::new();
    if let Some(claimed) = options
        .file_name
        .as_deref()
        .and_then(SourceFormat::from_file_name)
    {
        let same_family = matches!(
            (claimed, format),
            (SourceFormat::Xlsx, SourceFormat::Xlsm) | (SourceFormat::Xlsm, SourceFormat::Xlsx)
        );
        if claimed != format && !same_family {
            file_findings.push(file_finding(
                Code::FormatMismatch,
                format!(
                    "the file is named as {} but its content is {}; it was read as {}",
                    claimed.as_str().to_uppercase(),
                    format.as_str().to_uppercase(),
                    format.as_str().to_uppercase()
                ),
                format!("rename the file with the .{} extension", format.as_str()),
            ));
        }
    }

    let matcher = Matcher::new(&schema);
    let ctx = Context {
        schema: &schema,
        matcher: &matcher,
        options,
        progress,
        total_bytes,
        stop: &stop,
    };
    if format == SourceFormat::Csv {
        let decoded = decode::decode(bytes)?;
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
                format!(
                    "the file is not UTF-8 (first at line {first}); it was read as Windows-1252"
                )
            };
            file_findings.push(file_finding(
                Code::EncodingFallback,
                message,
                "check that accented letters look right; if not, save the file as CSV UTF-8 and upload it again".to_owned(),
            ));
        }
        if decoded.replaced > 0 {
            file_findings.push(file_finding(
                Code::EncodingReplacement,
                format!(
                    "{} malformed UTF-16 character(s) were replaced by �",
                    decoded.replaced
                ),
                "save the file again as UTF-8 or UTF-16 and upload it again".to_owned(),
            ));
        }
        let dialect = dialect::sniff(&decoded.text);
        let source = Source {
            format,
            encoding: Some(decoded.encoding),
            bom: Some(decoded.bom),
            delimiter: Some(char::from(dialect.delimiter).to_string()),
            line_ending: Some(dialect.line_ending),
            sheet: None,
            sheets: None,
            header_row: 0,
            header_row_detected: false,
            skipped_rows: Vec::new(),
        };
        rows::analyze_csv(ctx, &decoded.text, dialect, source, file_findings)
    } else {
        let fits_schema = |grid: &sheet::Grid| {
            header_row::names_an_attribute(&rows::head_of(grid, header_row::SCAN_ROWS), &matcher)
        };
        let read = workbook::read(
            bytes,
            format,
            options.sheet.as_deref(),
            limits,
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
        };
        rows::analyze_grid(ctx, &read.grid, source, file_findings)
    }
}

pub(crate) struct Context<'a, 'p> {
    pub schema: &'a Schema,
    pub matcher: &'a Matcher<'a>,
    pub options: &'a AnalyzeOptions,
    pub progress: &'p mut dyn FnMut(Progress),
    pub total_bytes: u64,
    /// Set when the caller asked to stop; the row loops check it.
    pub stop: &'a std::sync::atomic::AtomicBool,
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

fn file_finding(code: Code, message: String, help: String) -> Finding {
    Finding {
        code,
        severity: Severity::Warning,
        row: None,
        column: None,
        cell: None,
        attribute: None,
        value: None,
        message,
        help,
    }
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
        None => header_row::detect(&head.rows, ctx.matcher).ok_or_else(|| {
            Error::new(
                ErrorKind::EmptyFile,
                "the sheet holds no data: no header row could be found",
            )
        })?,
    };
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
    })
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
    let findings = column_findings(ctx.schema, &columns);
    let plan = Plan::new(
        ctx.schema,
        &columns,
        width,
        &ctx.options.limits,
        ctx.options.records,
        csv,
    );
    Ok((columns, findings, plan))
}

fn column_findings(schema: &Schema, columns: &[ColumnMatch]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mapped = |key: &str| columns.iter().any(|c| c.attribute.as_deref() == Some(key));
    for attr in schema.attributes.iter().filter(|a| a.required) {
        if mapped(&attr.key) {
            continue;
        }
        if attr.key == standard::NAME
            && (mapped(standard::FIRST_NAME) || mapped(standard::LAST_NAME))
        {
            continue;
        }
        let suggestion = columns.iter().filter(|c| c.attribute.is_none()).find(|c| {
            c.alternatives
                .first()
                .is_some_and(|a| a.attribute == attr.key)
        });
        let help = match suggestion {
            Some(c) => format!(
                "column {} (`{}`) may be it: confirm it in the mapping, or add a column titled `{}`",
                c.letter, c.header, attr.label
            ),
            None => format!(
                "add a column titled `{}`, or map an existing column to `{}`",
                attr.label, attr.key
            ),
        };
        findings.push(Finding {
            code: Code::UnmappedRequiredAttribute,
            severity: Severity::Error,
            row: None,
            column: None,
            cell: None,
            attribute: Some(attr.key.clone()),
            value: None,
            message: format!(
                "no column is matched to the required attribute {} (`{}`)",
                attr.label, attr.key
            ),
            help,
        });
    }
    let single_part =
        !mapped(standard::NAME) && (mapped(standard::FIRST_NAME) != mapped(standard::LAST_NAME));
    if single_part
        && let Some(c) = columns.iter().find(|c| {
            matches!(
                c.attribute.as_deref(),
                Some(standard::FIRST_NAME | standard::LAST_NAME)
            )
        })
    {
        findings.push(Finding {
            code: Code::NameFromSinglePart,
            severity: Severity::Warning,
            row: None,
            column: Some(c.letter.clone()),
            cell: None,
            attribute: Some(standard::NAME.to_owned()),
            value: None,
            message: format!(
                "the recipient's name will be taken from column {} (`{}`) alone",
                c.letter, c.header
            ),
            help: "map the other name column too, or a full-name column, if the roster has one"
                .to_owned(),
        });
    }
    for c in columns
        .iter()
        .filter(|c| c.attribute.is_none() && c.tier != Tier::User)
    {
        let name = if c.header.is_empty() {
            format!("column {}", c.letter)
        } else {
            format!("column {} (`{}`)", c.letter, c.header)
        };
        let (code, message, help) = match &c.uncertain {
            Some(reason) => (
                Code::UncertainMapping,
                format!("{name} is not matched: {reason}"),
                c.alternatives.first().map_or_else(
                    || "assign it in the mapping, or skip it".to_owned(),
                    |a| format!("confirm it as `{}` in the mapping, or skip it", a.attribute),
                ),
            ),
            None => (
                Code::UnmappedColumn,
                format!("{name} is not matched to any attribute and will be ignored"),
                "assign it in the mapping if it should be kept, or skip it to silence this warning"
                    .to_owned(),
            ),
        };
        findings.push(Finding {
            code,
            severity: Severity::Warning,
            row: None,
            column: Some(c.letter.clone()),
            cell: None,
            attribute: None,
            value: None,
            message,
            help,
        });
    }
    findings
}

pub(crate) fn build_report(
    source: Source,
    columns: Vec<ColumnMatch>,
    mut findings: Vec<Finding>,
    outcome: crate::validation::Outcome,
    records: bool,
    preview: Option<Vec<crate::report::PreviewRow>>,
) -> Report {
    findings.extend(outcome.findings);
    let warnings = findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count() as u64;
    let errors = findings.len() as u64 - warnings;
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
        records: records.then_some(outcome.records),
        preview,
    }
}
