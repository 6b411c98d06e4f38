//! Files conferral writes: roster templates and error reports.

pub mod error_report;
pub mod template;
