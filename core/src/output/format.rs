//! The file formats outputs are written in, and the one switch from a format to its writer.

use crate::error::Result;
use crate::fixes::Roster;
use crate::group::Group;
use crate::report::Report;

/// A spreadsheet format an output can be written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    /// UTF-8 CSV with a byte order mark.
    Csv,
    /// An Excel workbook.
    Xlsx,
}

impl OutputFormat {
    /// Every format, in the order their names are listed.
    pub const ALL: [OutputFormat; 2] = [OutputFormat::Csv, OutputFormat::Xlsx];

    /// The format named `csv` or `xlsx` (exactly, as the bindings take it).
    ///
    /// ```
    /// use conferral::output::OutputFormat;
    /// assert_eq!(OutputFormat::from_name("xlsx"), Some(OutputFormat::Xlsx));
    /// assert_eq!(OutputFormat::from_name("ods"), None);
    /// ```
    pub fn from_name(name: &str) -> Option<OutputFormat> {
        OutputFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The format a file name or path asks for by its extension, in any case.
    ///
    /// ```
    /// use conferral::output::OutputFormat;
    /// assert_eq!(OutputFormat::from_path("out/Errors.CSV"), Some(OutputFormat::Csv));
    /// assert_eq!(OutputFormat::from_path("errors.txt"), None);
    /// ```
    pub fn from_path(path: &str) -> Option<OutputFormat> {
        let (_, extension) = path.rsplit_once('.')?;
        OutputFormat::ALL
            .into_iter()
            .find(|f| extension.eq_ignore_ascii_case(f.as_str()))
    }

    /// The name, which is also the file extension.
    pub fn as_str(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Xlsx => "xlsx",
        }
    }

    /// The media type a download of this format is served with.
    pub fn media_type(self) -> &'static str {
        match self {
            OutputFormat::Csv => "text/csv;charset=utf-8",
            OutputFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }

    /// A roster template of `group` in this format.
    ///
    /// # Errors
    /// As [`super::template::csv`] and [`super::template::xlsx`].
    pub fn template(self, group: &Group) -> Result<Vec<u8>> {
        match self {
            OutputFormat::Csv => super::template::csv(group),
            OutputFormat::Xlsx => super::template::xlsx(group),
        }
    }

    /// A roster (a corrected one, after [`crate::analysis::fix`]) in this format.
    ///
    /// # Errors
    /// As [`super::roster::csv`] and [`super::roster::xlsx`].
    pub fn roster(self, roster: &Roster) -> Result<Vec<u8>> {
        match self {
            OutputFormat::Csv => super::roster::csv(roster),
            OutputFormat::Xlsx => super::roster::xlsx(roster),
        }
    }

    /// The error report of `report` in this format.
    ///
    /// # Errors
    /// As [`super::error_report::csv`] and [`super::error_report::xlsx`].
    pub fn error_report(self, report: &Report) -> Result<Vec<u8>> {
        match self {
            OutputFormat::Csv => super::error_report::csv(report),
            OutputFormat::Xlsx => super::error_report::xlsx(report),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_extensions_give_the_same_formats() {
        for format in OutputFormat::ALL {
            assert_eq!(OutputFormat::from_name(format.as_str()), Some(format));
            let path = format!("dir.v2/report.{}", format.as_str().to_uppercase());
            assert_eq!(OutputFormat::from_path(&path), Some(format));
        }
        assert_eq!(OutputFormat::from_name("CSV"), None);
        assert_eq!(OutputFormat::from_path("csv"), None);
        assert_eq!(OutputFormat::from_path(".csv"), Some(OutputFormat::Csv));
        assert_eq!(OutputFormat::from_path("report.csv.txt"), None);
    }
}
