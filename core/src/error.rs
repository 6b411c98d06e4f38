//! The error returned when an operation could not run at all.
//!
//! Anything found *inside* a roster is a [`Finding`](crate::Finding), not an error. An
//! [`Error`] means there is no report: the bytes are not a spreadsheet, a limit was hit,
//! the group definition is malformed, or a requested sheet does not exist.

use std::fmt;

/// What kind of failure an [`Error`] is.
///
/// Kinds are the stable contract: the CLI prints them as `error.kind`, the bindings map them to
/// exception classes and JS codes. Messages may be reworded between releases; kinds may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The bytes are not in any format conferral reads (or are empty).
    UnsupportedFormat,
    /// The file claims a supported format but its structure is broken.
    MalformedFile,
    /// The file exceeds a configured limit (bytes, rows, columns, cell length, decompressed size).
    LimitExceeded,
    /// The file is encrypted or password protected.
    Encrypted,
    /// The requested sheet does not exist, or the workbook has no sheet with data.
    SheetNotFound,
    /// The file holds no header row or no data where one was required.
    EmptyFile,
    /// The requested header row is outside the sheet.
    InvalidHeaderRow,
    /// The group definition is malformed.
    InvalidGroup,
    /// The column mapping refers to a column or attribute that does not exist.
    InvalidMapping,
    /// Writing an output (template, error report) failed.
    Output,
    /// An email template does not compile, uses a variable the group does not have, or
    /// failed to render.
    InvalidTemplate,
    /// A value given for a credential breaks its attribute's rules.
    InvalidValue,
    /// The credential's state does not allow the operation (editing a published one, say).
    IllegalTransition,
    /// No credential, batch or message has the given id.
    NotFound,
    /// Issuer settings (the credential URL base, the sender) are malformed.
    InvalidConfig,
    /// A write conflicts with what is stored (an id or a message that already exists, a
    /// message whose state changed meanwhile).
    Conflict,
    /// The store failed (an I/O error, a corrupt or newer database).
    Storage,
    /// The mailer could not be used at all (bad settings); per-message failures are outcomes.
    Mail,
    /// The caller stopped the operation (its progress callback said so).
    Cancelled,
    /// A verifiable credential cannot be built, signed or read: it names a context that is not
    /// bundled, uses a term its contexts do not define, is not JSON-LD, or a key is malformed.
    /// (A credential that reads but does not verify is a verification report, not an error.)
    InvalidCredential,
}

impl ErrorKind {
    /// Every kind, for bindings that map each to an exception class or a code.
    pub const ALL: [ErrorKind; 20] = [
        ErrorKind::UnsupportedFormat,
        ErrorKind::MalformedFile,
        ErrorKind::LimitExceeded,
        ErrorKind::Encrypted,
        ErrorKind::SheetNotFound,
        ErrorKind::EmptyFile,
        ErrorKind::InvalidHeaderRow,
        ErrorKind::InvalidGroup,
        ErrorKind::InvalidMapping,
        ErrorKind::Output,
        ErrorKind::InvalidTemplate,
        ErrorKind::InvalidValue,
        ErrorKind::IllegalTransition,
        ErrorKind::NotFound,
        ErrorKind::InvalidConfig,
        ErrorKind::Conflict,
        ErrorKind::Storage,
        ErrorKind::Mail,
        ErrorKind::Cancelled,
        ErrorKind::InvalidCredential,
    ];

    /// The stable snake_case name of the kind, as printed in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::UnsupportedFormat => "unsupported_format",
            ErrorKind::MalformedFile => "malformed_file",
            ErrorKind::LimitExceeded => "limit_exceeded",
            ErrorKind::Encrypted => "encrypted",
            ErrorKind::SheetNotFound => "sheet_not_found",
            ErrorKind::EmptyFile => "empty_file",
            ErrorKind::InvalidHeaderRow => "invalid_header_row",
            ErrorKind::InvalidGroup => "invalid_group",
            ErrorKind::InvalidMapping => "invalid_mapping",
            ErrorKind::Output => "output",
            ErrorKind::InvalidTemplate => "invalid_template",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::IllegalTransition => "illegal_transition",
            ErrorKind::NotFound => "not_found",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::Conflict => "conflict",
            ErrorKind::Storage => "storage",
            ErrorKind::Mail => "mail",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::InvalidCredential => "invalid_credential",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An operation could not run: what went wrong, and usually how to fix it.
#[derive(Debug)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl Error {
    /// Creates an error of `kind` with a user-facing `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: message.into(),
            source: None,
        }
    }

    /// Attaches the lower-level error that caused this one.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, without the kind.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(source) = &self.source {
            write!(f, ": {source}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

/// Shorthand for results whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
