//! Error reports: every finding with its cell, as CSV or XLSX, safe to open in a spreadsheet.
//!
//! Text that a spreadsheet would run as a formula is prefixed with `'` in the CSV (and
//! marked with Excel's quote prefix in the XLSX, where strings are never formulas anyway).
//! [`parse`] reads a report back and removes the prefix, so the values come back exactly as
//! they were found.

use serde::{Deserialize, Serialize};

use crate::error::{Error, ErrorKind, Result};
use crate::output::xlsx_writer::{self, ColumnSpec, XlsxSheet, XlsxValue};
use crate::report::{Finding, Report};
use crate::sheet::formula::{escape_formula, unescape_formula};
use crate::sheet::{self, CellRef, SourceFormat};

/// Column titles of an error report, in order.
pub const COLUMNS: [&str; 9] = [
    "Severity",
    "Code",
    "Cell",
    "Row",
    "Column",
    "Attribute",
    "Value",
    "Message",
    "Help",
];

/// One line of an error report, as read back.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportLine {
    /// `error` or `warning`.
    pub severity: String,
    /// Finding code.
    pub code: String,
    /// Cell such as `C7`, or empty.
    pub cell: String,
    /// Row number, or empty.
    pub row: String,
    /// Column letter, or empty.
    pub column: String,
    /// Attribute key, or empty.
    pub attribute: String,
    /// The value as found, or empty.
    pub value: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl ReportLine {
    fn of(f: &Finding) -> ReportLine {
        ReportLine {
            severity: match f.severity {
                crate::Severity::Error => "error",
                crate::Severity::Warning => "warning",
            }
            .to_owned(),
            code: f.code.as_str().to_owned(),
            cell: f.cell.clone().unwrap_or_default(),
            row: f.row.map(|r| r.to_string()).unwrap_or_default(),
            column: f.column.clone().unwrap_or_default(),
            attribute: f.attribute.clone().unwrap_or_default(),
            value: f.value.clone().unwrap_or_default(),
            message: f.message.clone(),
            help: f.help.clone(),
        }
    }

    fn fields(&self) -> [&str; 9] {
        [
            &self.severity,
            &self.code,
            &self.cell,
            &self.row,
            &self.column,
            &self.attribute,
            &self.value,
            &self.message,
            &self.help,
        ]
    }
}

/// The report's findings as CSV (UTF-8 with a byte order mark, CRLF).
pub fn csv(report: &Report) -> Result<Vec<u8>> {
    let header = COLUMNS.map(std::borrow::Cow::Borrowed).to_vec();
    let lines = report.findings.iter().map(|f| {
        let line = ReportLine::of(f);
        line.fields()
            .iter()
            .map(|v| escape_formula(v).into_owned().into())
            .collect::<Vec<std::borrow::Cow<'_, str>>>()
    });
    super::csv_sheet::write(std::iter::once(header).chain(lines), "the error report")
}

/// The report's findings as an XLSX workbook with one sheet, `Findings`.
pub fn xlsx(report: &Report) -> Result<Vec<u8>> {
    let mut rows = vec![
        COLUMNS
            .iter()
            .map(|c| XlsxValue::Text((*c).to_owned()))
            .collect::<Vec<_>>(),
    ];
    for f in &report.findings {
        let line = ReportLine::of(f);
        rows.push(
            line.fields()
                .iter()
                .map(|v| {
                    if v.is_empty() {
                        XlsxValue::Empty
                    } else {
                        XlsxValue::Text((*v).to_owned())
                    }
                })
                .collect(),
        );
    }
    let widths = [9.0, 26.0, 8.0, 7.0, 8.0, 14.0, 30.0, 70.0, 60.0];
    let sheet = XlsxSheet {
        name: "Findings".to_owned(),
        rows,
        columns: widths
            .iter()
            .map(|&w| ColumnSpec {
                width: w,
                text_format: true,
                ..ColumnSpec::default()
            })
            .collect(),
        input_rows: 0,
    };
    xlsx_writer::write(&[sheet])
}

/// Reads an error report written by [`csv()`] or [`xlsx()`] back into its lines.
///
/// # Errors
/// When the bytes are not a CSV or XLSX file, or the first row is not the report's header.
pub fn parse(bytes: &[u8]) -> Result<Vec<ReportLine>> {
    let format = sheet::format::detect(bytes)?;
    let rows: Vec<Vec<String>> = match format {
        SourceFormat::Csv => {
            let decoded = sheet::decode::decode(bytes)?;
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(decoded.text.as_bytes());
            let mut rows = Vec::new();
            for record in reader.records() {
                let record = record.map_err(|e| {
                    Error::new(ErrorKind::MalformedFile, "the error report cannot be read")
                        .with_source(e)
                })?;
                rows.push(
                    record
                        .iter()
                        .map(|f| unescape_formula(f).to_owned())
                        .collect(),
                );
            }
            rows
        }
        _ => {
            // The sheet is named, so no sheet is chosen by its content.
            let read = sheet::workbook::read(
                bytes,
                format,
                Some("Findings"),
                &crate::Limits::default(),
                &|_| true,
            )?;
            read.grid
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|v| match v.as_ref() {
                            CellRef::Text(t) => t.to_owned(),
                            other => other.display(),
                        })
                        .collect()
                })
                .collect()
        }
    };
    let mut iter = rows.into_iter();
    let header = iter.next().unwrap_or_default();
    if header
        .iter()
        .map(String::as_str)
        .ne(COLUMNS.iter().copied())
    {
        return Err(Error::new(
            ErrorKind::MalformedFile,
            "the file is not a conferral error report (its header differs)",
        ));
    }
    Ok(iter
        .map(|mut r| {
            r.resize(COLUMNS.len(), String::new());
            let mut f = r.into_iter();
            let mut next = || f.next().unwrap_or_default();
            ReportLine {
                severity: next(),
                code: next(),
                cell: next(),
                row: next(),
                column: next(),
                attribute: next(),
                value: next(),
                message: next(),
                help: next(),
            }
        })
        .collect())
}

/// The lines a report would produce, for comparing with [`parse`]'s result.
pub fn lines(report: &Report) -> Vec<ReportLine> {
    report.findings.iter().map(ReportLine::of).collect()
}
