//! The analysis report: what was read, how columns matched, and every finding.
//!
//! The report serialises to the JSON the CLI prints; the same structure is returned to Rust,
//! Python and JavaScript callers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use crate::finding::{Code, Finding, Severity};
pub use crate::fixes::{Fix, FixChange, FixCode};
use crate::matching::{ColumnMatch, Mapping};
use crate::sheet::decode::TextEncoding;
use crate::sheet::dialect::LineEnding;
use crate::sheet::{SheetInfo, SourceFormat};

mod json;
mod records;

pub(crate) use records::RowMark;
pub use records::{RecordRef, RecordValue, Records};

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
    /// When the sheet holds several tables (a meeting report's summary above its
    /// participants): each one's header row, last row and data rows, in sheet order. The one
    /// read is the one whose header is `header_row`; another is read by giving its header row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tables: Vec<TableInfo>,
}

/// One table of a sheet that holds several.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableInfo {
    /// 1-based row of its header.
    pub header_row: u64,
    /// 1-based row of its last data row; `None` when it runs to the end of the sheet.
    pub last_row: Option<u64>,
    /// Non-blank data rows among the first rows of the sheet (a table running to the end
    /// may have more).
    pub rows: u64,
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

/// A valid row's normalised values, owned (see [`Records`] for how a report holds them).
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
    /// The fixes the analysis suggests for what it found, by code then column; absent when
    /// there are none. Nothing is applied until a caller chooses (see [`crate::fixes`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixes: Vec<Fix>,
    /// Valid rows' values, when asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Records>,
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
