//! The row view shared by CSV records and workbook rows.

use super::formula::strip_text_marker;
use super::{CellRef, Value};

/// A row of cells, whatever it was read from.
pub trait Row {
    /// Number of cells present.
    fn len(&self) -> usize;
    /// The cell at a 0-based column as the file holds it (empty past the end).
    fn cell(&self, index: usize) -> CellRef<'_>;
    /// The cell's value as every format reads it: the cell less the `'` text marker before a
    /// formula-like value ([`strip_text_marker`]).
    fn value(&self, index: usize) -> CellRef<'_> {
        strip_text_marker(self.cell(index)).0
    }
    /// Whether the row has no cells.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Row for [Value] {
    fn len(&self) -> usize {
        <[Value]>::len(self)
    }
    fn cell(&self, index: usize) -> CellRef<'_> {
        self.get(index).map_or(CellRef::Empty, Value::as_ref)
    }
}

impl Row for csv::StringRecord {
    fn len(&self) -> usize {
        csv::StringRecord::len(self)
    }
    fn cell(&self, index: usize) -> CellRef<'_> {
        match self.get(index) {
            None | Some("") => CellRef::Empty,
            Some(text) => CellRef::Text(text),
        }
    }
}
