//! Findings: everything found in a roster, as data with a stable code, a severity, a place
//! (row, column letter and cell) and words for people (a message and a hint).

use serde::{Deserialize, Serialize};

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
    /// A column matched by a header that names its attribute holds mostly values unlike the
    /// attribute's type (each bad value is also reported at its cell).
    ColumnTypeMismatch,
    /// More findings were found than a report lists (`limits.max_findings`); the summary
    /// still counts them all.
    FindingsOmitted,
    /// The sheet holds several tables (a report's summary above its participants); the one
    /// that fits the group is read, and the others are named.
    SeveralTables,
    /// Cells of a column started with the `'` that marks a formula-like value as text (as
    /// error reports and cleaned records write it); the mark was removed, in every format,
    /// and the column's finding says how many cells and which.
    TextMarkerRemoved,
    /// A correction row names no credential of the group: an unknown id, an address no
    /// credential is for, or neither given.
    UnknownCredential,
    /// A correction row names a credential of another group.
    CredentialInOtherGroup,
    /// A correction row's address is the recipient of several credentials of the group:
    /// which one is meant is not known.
    AmbiguousRecipient,
    /// A correction row names a credential that cannot be corrected (revoked or expired),
    /// or one that changed while it was being corrected.
    CredentialNotCorrectable,
    /// A corrected credential's email cannot be rendered with its new values.
    EmailNotRendered,
    /// A credential was corrected but its recipient was not told again (its email was being
    /// sent, or changed meanwhile).
    NotNotified,
    /// A row of a roster for several groups names no stored group (or none at all).
    UnknownGroup,
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
            Code::ColumnTypeMismatch => "column_type_mismatch",
            Code::FindingsOmitted => "findings_omitted",
            Code::SeveralTables => "several_tables",
            Code::TextMarkerRemoved => "text_marker_removed",
            Code::UnknownCredential => "unknown_credential",
            Code::CredentialInOtherGroup => "credential_in_other_group",
            Code::AmbiguousRecipient => "ambiguous_recipient",
            Code::CredentialNotCorrectable => "credential_not_correctable",
            Code::EmailNotRendered => "email_not_rendered",
            Code::NotNotified => "not_notified",
            Code::UnknownGroup => "unknown_group",
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

impl Finding {
    /// A finding of the whole file: no row, column or attribute yet.
    pub fn new(code: Code, severity: Severity, message: impl Into<String>) -> Finding {
        Finding {
            code,
            severity,
            row: None,
            column: None,
            cell: None,
            attribute: None,
            value: None,
            message: message.into(),
            help: String::new(),
        }
    }

    /// An error finding (see [`Finding::new`]).
    pub fn error(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(code, Severity::Error, message)
    }

    /// A warning finding (see [`Finding::new`]).
    pub fn warning(code: Code, message: impl Into<String>) -> Finding {
        Finding::new(code, Severity::Warning, message)
    }

    /// Places the finding at a column (letter) and a row, either of which may be unknown;
    /// the cell is set exactly when both are known, so `cell` always equals column + row.
    pub fn at(mut self, column: Option<&str>, row: Option<u64>) -> Finding {
        self.cell = match (column, row) {
            (Some(letter), Some(row)) => Some(format!("{letter}{row}")),
            _ => None,
        };
        self.column = column.map(str::to_owned);
        self.row = row;
        self
    }

    /// Places the finding at one cell.
    pub fn at_cell(self, column: &str, row: u64) -> Finding {
        self.at(Some(column), Some(row))
    }

    /// Places the finding on a whole row.
    pub fn at_row(self, row: u64) -> Finding {
        self.at(None, Some(row))
    }

    /// Places the finding on a whole column.
    pub fn at_column(self, column: &str) -> Finding {
        self.at(Some(column), None)
    }

    /// The attribute concerned.
    pub fn attribute(mut self, key: impl Into<String>) -> Finding {
        self.attribute = Some(key.into());
        self
    }

    /// The offending value, as found.
    pub fn value(mut self, value: impl Into<String>) -> Finding {
        self.value = Some(value.into());
        self
    }

    /// How to fix it.
    pub fn help(mut self, help: impl Into<String>) -> Finding {
        self.help = help.into();
        self
    }

    /// Where the finding is, as a person reads it: the cell (`C7`), else the column
    /// (`col C`), else the row (`row 7`), else `file`.
    ///
    /// ```
    /// use conferral::{Code, Finding};
    /// let f = Finding::error(Code::InvalidEmail, "not an address").at_cell("C", 7);
    /// assert_eq!(f.location(), "C7");
    /// assert_eq!(Finding::warning(Code::UnmappedColumn, "ignored").at_column("D").location(), "col D");
    /// assert_eq!(Finding::warning(Code::RaggedRow, "short").at_row(4).location(), "row 4");
    /// assert_eq!(Finding::warning(Code::FormatMismatch, "renamed").location(), "file");
    /// ```
    pub fn location(&self) -> String {
        match (&self.cell, &self.column, self.row) {
            (Some(cell), _, _) => cell.clone(),
            (None, Some(column), _) => format!("col {column}"),
            (None, None, Some(row)) => format!("row {row}"),
            (None, None, None) => "file".to_owned(),
        }
    }
}
