//! A roster as text written back as a file: the corrected roster after fixes are applied
//! ([`crate::analysis::fix`]). The header row first, then each data row, every cell as text.
//! Text a spreadsheet would run as a formula gets the `'` marker, as in every file conferral
//! writes; analysing the file again removes it (and says so in a `text_marker_removed`
//! warning), so the values read back as they were.

use crate::error::Result;
use crate::fixes::Roster;
use crate::output::xlsx_writer::{self, ColumnSpec, XlsxSheet, XlsxValue};
use crate::sheet::formula::escape_formula;

/// The roster as CSV (UTF-8 with a byte order mark, CRLF).
///
/// # Errors
/// [`crate::ErrorKind::Output`] if writing fails.
pub fn csv(roster: &Roster) -> Result<Vec<u8>> {
    let header = roster.header.iter().map(|t| escape_formula(t));
    let rows = roster.rows.iter().map(|r| {
        r.cells
            .iter()
            .map(|c| escape_formula(c))
            .collect::<Vec<_>>()
    });
    super::csv_sheet::write(std::iter::once(header.collect()).chain(rows), "the roster")
}

/// The roster as an XLSX workbook with one sheet, `Roster`, every cell text.
///
/// # Errors
/// [`crate::ErrorKind::Output`] if writing fails.
pub fn xlsx(roster: &Roster) -> Result<Vec<u8>> {
    let text = |cells: &[String]| {
        cells
            .iter()
            .map(|c| {
                if c.is_empty() {
                    XlsxValue::Empty
                } else {
                    XlsxValue::Text(c.clone())
                }
            })
            .collect::<Vec<_>>()
    };
    let mut rows = vec![text(&roster.header)];
    rows.extend(roster.rows.iter().map(|r| text(&r.cells)));
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let sheet = XlsxSheet {
        name: "Roster".to_owned(),
        rows,
        columns: (0..width)
            .map(|_| ColumnSpec {
                width: 20.0,
                text_format: true,
                ..ColumnSpec::default()
            })
            .collect(),
        input_rows: 0,
    };
    xlsx_writer::write(&[sheet])
}
