//! Files conferral writes: roster templates, error reports and cleaned records.

pub mod error_report;
pub mod format;
pub mod records;
pub mod template;
pub mod xlsx_writer;

pub use format::OutputFormat;
