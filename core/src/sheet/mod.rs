//! Reading spreadsheets from bytes: format detection, text decoding, CSV dialects, workbooks.
//!
//! Nothing here touches the file system: every reader takes a byte slice.

pub mod decode;
pub mod dialect;
pub mod format;
pub mod formula;
pub(crate) mod prescan;
mod row;
pub(crate) mod workbook;

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};

pub use crate::values::date::{format_date, format_datetime};
pub use crate::values::number::format as format_number;
pub use format::SourceFormat;
pub use row::Row;

/// How many rows from the top of a sheet are searched for its header (and read to choose
/// the sheet).
pub const SCAN_ROWS: usize = 30;

/// One cell of a workbook, typed as the workbook stores it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Empty,
    /// Text.
    Text(String),
    /// A number (Excel stores every number as a float).
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A date or date-time: a number formatted as a date, already converted from the
    /// workbook's 1900 or 1904 date system.
    DateTime(NaiveDateTime),
    /// An error value such as `#N/A`.
    Error(String),
}

/// A borrowed view of one cell, the common ground of CSV fields and workbook values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum CellRef<'a> {
    /// No value.
    Empty,
    /// Text (every CSV field is text).
    Text(&'a str),
    /// A number.
    Number(f64),
    /// A boolean.
    Bool(bool),
    /// A date or date-time.
    DateTime(NaiveDateTime),
    /// A spreadsheet error value.
    Error(&'a str),
}

impl Value {
    /// The borrowed view of this value.
    pub fn as_ref(&self) -> CellRef<'_> {
        match self {
            Value::Empty => CellRef::Empty,
            Value::Text(t) => CellRef::Text(t),
            Value::Number(n) => CellRef::Number(*n),
            Value::Bool(b) => CellRef::Bool(*b),
            Value::DateTime(d) => CellRef::DateTime(*d),
            Value::Error(e) => CellRef::Error(e),
        }
    }
}

impl CellRef<'_> {
    /// Whether the cell holds nothing but whitespace.
    pub fn is_blank(&self) -> bool {
        match self {
            CellRef::Empty => true,
            // Most cells start with a visible ASCII character: no trim for them.
            CellRef::Text(t) => match t.as_bytes().first() {
                Some(b) if b.is_ascii_graphic() => false,
                _ => t.trim().is_empty(),
            },
            _ => false,
        }
    }

    /// The cell as a spreadsheet would display it in General format (dates as ISO).
    pub fn display(&self) -> String {
        match self {
            CellRef::Empty => String::new(),
            CellRef::Text(t) | CellRef::Error(t) => (*t).to_owned(),
            CellRef::Number(n) => format_number(*n),
            CellRef::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
            CellRef::DateTime(d) => format_datetime(*d),
        }
    }
}

/// A sheet's rows as a workbook holds them, positions absolute (row 0 is row 1 on screen).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Grid {
    /// Rows from the sheet's first row; trailing empty cells may be missing.
    pub rows: Vec<Vec<Value>>,
}

impl Grid {
    /// Whether any cell holds a value.
    pub fn has_data(&self) -> bool {
        self.rows.iter().flatten().any(|v| !v.as_ref().is_blank())
    }

    /// Whether one of the first rows holds two or more values, as a table's header does.
    pub fn has_table(&self) -> bool {
        self.rows
            .iter()
            .take(SCAN_ROWS)
            .any(|r| r.iter().filter(|v| !v.as_ref().is_blank()).nth(1).is_some())
    }

    /// Widest row, in cells.
    pub fn width(&self) -> usize {
        self.rows.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// A sheet of a workbook, as listed in reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetInfo {
    /// Sheet name.
    pub name: String,
    /// Whether the sheet is visible in the workbook.
    pub visible: bool,
    /// Whether it is a worksheet (not a chart or macro sheet).
    pub worksheet: bool,
}

/// The position of the sheet a reader asked for as `wanted`: the one of exactly that name,
/// or else the first whose name matches it ignoring ASCII case and blanks around either.
pub(crate) fn sheet_named<'a>(
    names: impl Iterator<Item = &'a str> + Clone,
    wanted: &str,
) -> Option<usize> {
    names.clone().position(|n| n == wanted).or_else(|| {
        let mut names = names;
        names.position(|n| n.trim().eq_ignore_ascii_case(wanted.trim()))
    })
}

/// Column letters for a 0-based index: 0 is `A`, 26 is `AA`.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// The 0-based index of column letters such as `C` or `AA`.
pub fn column_index(letters: &str) -> Option<usize> {
    let letters = letters.trim();
    if letters.is_empty() || letters.len() > 7 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let n = letters.bytes().fold(0usize, |acc, b| {
        acc * 26 + usize::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    n.checked_sub(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_round_trip() {
        for (i, l) in [
            (0, "A"),
            (25, "Z"),
            (26, "AA"),
            (701, "ZZ"),
            (702, "AAA"),
            (16383, "XFD"),
        ] {
            assert_eq!(column_letter(i), l);
            assert_eq!(column_index(l), Some(i));
        }
        assert_eq!(column_index("a"), Some(0));
        assert_eq!(column_index("A1"), None);
    }

    #[test]
    fn numbers_display_like_a_spreadsheet() {
        assert_eq!(format_number(4213.0), "4213");
        assert_eq!(format_number(37.5), "37.5");
        assert_eq!(format_number(-0.25), "-0.25");
    }
}
