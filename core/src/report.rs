//! The analysis report: what was read, how columns matched, and every finding.
//!
//! The report serialises to the JSON the CLI prints; the same structure is returned to Rust,
//! Python and JavaScript callers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::matching::{ColumnMatch, Mapping};
use crate::sheet::decode::TextEncoding;
use crate::sheet::dialect::LineEnding;
use crate::sheet::{SheetInfo, SourceFormat};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The row (or, for a column-level finding, every row) cannot be issued as it is.
    Error,
    /// Worth a look; the row can be issued.
    Warning,
}

/// Stable codes of findings. New codes may be added; existing ones keep their meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Code {
    /// A required attribute has no value in a row.
    MissingRequiredValue,
    /// An email address breaks the address rules.
    InvalidEmail,
    /// A value of a date attribute is not a date.
    InvalidDate,
    /// A date column could be day-first or month-first and nothing in it decides which.
    AmbiguousDateOrder,
    /// A value of a number or integer attribute is not a number (or not whole).
    InvalidNumber,
    /// A value of an enum attribute is not one of its values.
    InvalidEnum,
    /// A value of a URL attribute is not an http(s) URL.
    InvalidUrl,
    /// A value of a boolean attribute is not yes or no.
    InvalidBoolean,
    /// Two or more rows have the same email address (compared without case).
    DuplicateRecipient,
    /// Two or more rows give the same credential id.
    DuplicateCredentialId,
    /// A value was given for an attribute the group does not have.
    UnknownAttribute,
    /// A required attribute has no column.
    UnmappedRequiredAttribute,
    /// A column is not matched to any attribute and will be ignored.
    UnmappedColumn,
    /// A column probably means an attribute, but not surely enough to assign it.
    UncertainMapping,
    /// A value holds line breaks, tabs or other control characters.
    ControlCharacters,
    /// The expiry date is before the issue date.
    ExpiryBeforeIssue,
    /// A value is longer than its attribute allows.
    ValueTooLong,
    /// A row has more or fewer cells than the header.
    RaggedRow,
    /// The file is not UTF-8 and was read as Windows-1252.
    EncodingFallback,
    /// Malformed UTF-16 was replaced by U+FFFD.
    EncodingReplacement,
    /// The file name's extension does not match its content.
    FormatMismatch,
    /// The name is built from a first-name or last-name column alone.
    NameFromSinglePart,
    /// An identifier looks damaged by Excel's scientific notation (`1.23E+12`).
    ScientificNotationId,
    /// A cell holds a spreadsheet error such as `#N/A`.
    SpreadsheetError,
}

impl Code {
    /// The snake_case code.
    pub fn as_str(self) -> &'static str {
        match self {
            Code::MissingRequiredValue => "missing_required_value",
            Code::InvalidEmail => "invalid_email",
            Code::InvalidDate => "invalid_date",
            Code::AmbiguousDateOrder => "ambiguous_date_order",
            Code::InvalidNumber => "invalid_number",
            Code::InvalidEnum => "invalid_enum",
            Code::InvalidUrl => "invalid_url",
            Code::InvalidBoolean => "invalid_boolean",
            Code::DuplicateRecipient => "duplicate_recipient",
            Code::DuplicateCredentialId => "duplicate_credential_id",
            Code::UnknownAttribute => "unknown_attribute",
            Code::UnmappedRequiredAttribute => "unmapped_required_attribute",
            Code::UnmappedColumn => "unmapped_column",
            Code::UncertainMapping => "uncertain_mapping",
            Code::ControlCharacters => "control_characters",
            Code::ExpiryBeforeIssue => "expiry_before_issue",
            Code::ValueTooLong => "value_too_long",
            Code::RaggedRow => "ragged_row",
            Code::EncodingFallback => "encoding_fallback",
            Code::EncodingReplacement => "encoding_replacement",
            Code::FormatMismatch => "format_mismatch",
            Code::NameFromSinglePart => "name_from_single_part",
            Code::ScientificNotationId => "scientific_notation_id",
            Code::SpreadsheetError => "spreadsheet_error",
        }
    }
}

/// Something found in a roster, located to its cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable code.
    pub code: Code,
    /// Error or warning.
    pub severity: Severity,
    /// 1-based row as a spreadsheet shows it; `None` for file- or column-level findings.
    pub row: Option<u64>,
    /// Column letter; `None` for row- or file-level findings.
    pub column: Option<String>,
    /// Cell reference such as `C7`, when both row and column are known.
    pub cell: Option<String>,
    /// Attribute concerned, if any.
    pub attribute: Option<String>,
    /// The offending value as found (cut at 200 characters), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

/// Where the data came from and how it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// Format detected from the content.
    pub format: SourceFormat,
    /// Text encoding (CSV only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoding: Option<TextEncoding>,
    /// Whether the CSV started with a byte order mark (CSV only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bom: Option<bool>,
    /// Field delimiter (CSV only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delimiter: Option<String>,
    /// Line ending (CSV only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line_ending: Option<LineEnding>,
    /// Sheet read (workbooks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheet: Option<String>,
    /// Every sheet of the workbook (workbooks only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sheets: Option<Vec<SheetInfo>>,
    /// 1-based row of the header.
    pub header_row: u64,
    /// Whether the header row was detected (false when the caller set it).
    pub header_row_detected: bool,
    /// Rows under the header skipped as sub-headers (such as Canvas's "Points Possible").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped_rows: Vec<u64>,
}

/// Counts over the data rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// Data rows (non-blank rows under the header).
    pub rows: u64,
    /// Rows without error findings.
    pub valid: u64,
    /// Rows with at least one error finding (or every row, when a required attribute has no column).
    pub invalid: u64,
    /// Findings of severity warning.
    pub warnings: u64,
    /// Findings of severity error.
    pub errors: u64,
}

/// A valid row's normalised values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// 1-based row as a spreadsheet shows it.
    pub row: u64,
    /// Attribute key to value: text as strings, numbers as numbers, booleans as booleans,
    /// dates as `YYYY-MM-DD`.
    pub values: BTreeMap<String, serde_json::Value>,
}

/// The result of analysing a roster.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// How the file was read.
    pub source: Source,
    /// One entry per column of the header.
    pub columns: Vec<ColumnMatch>,
    /// The mapping in force, in the form a caller passes back to confirm or change it.
    pub mapping: Mapping,
    /// Counts.
    pub summary: Summary,
    /// Every finding: file- and column-level first, then by row and column.
    pub findings: Vec<Finding>,
    /// Valid rows' values, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<Record>>,
    /// The first data rows as they read, when asked for ([`crate::AnalyzeOptions::preview`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<Vec<PreviewRow>>,
}

/// A data row as it reads in the file, one display text per column, for a preview grid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewRow {
    /// 1-based row as a spreadsheet shows it (findings' `row`).
    pub row: u64,
    /// Each column's text, from the first column; shorter than the header when the row is.
    pub cells: Vec<String>,
}

impl Report {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.summary.errors > 0
    }
}
