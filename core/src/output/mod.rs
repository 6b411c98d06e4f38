//! Files conferral writes: roster templates, error reports, cleaned records and corrected
//! rosters, all CSV through one writer (`csv_sheet`).

mod csv_sheet;
pub mod error_report;
pub mod format;
pub mod records;
pub mod roster;
pub mod template;
pub mod xlsx_writer;

pub use format::OutputFormat;
