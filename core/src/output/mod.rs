//! Files conferral writes: roster templates, error reports and cleaned records.

pub mod error_report;
pub mod records;
pub mod template;
pub mod xlsx_writer;
