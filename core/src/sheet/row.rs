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
    /// A hash of the row's cells as the file holds them, trailing empty cells left out: rows
    /// that repeat each other cell for cell hash alike (and, but for a 64-bit collision, only
    /// they). `scratch` is reused from row to row. Rows of one file are all read one way, so a
    /// reader may hash its own form of the same cells.
    fn content_hash(&self, scratch: &mut Vec<u8>) -> u64 {
        scratch.clear();
        let len = (0..self.len())
            .rposition(|i| self.cell(i) != CellRef::Empty)
            .map_or(0, |i| i + 1);
        for i in 0..len {
            // A tag per kind of cell, and 0xFF (never in UTF-8) after each, keep cells apart.
            match self.cell(i) {
                CellRef::Empty => scratch.push(0),
                CellRef::Text(t) => {
                    scratch.push(1);
                    scratch.extend_from_slice(t.as_bytes());
                }
                CellRef::Number(n) => {
                    scratch.push(2);
                    scratch.extend_from_slice(&n.to_bits().to_le_bytes());
                }
                CellRef::Bool(b) => scratch.extend_from_slice(&[3, u8::from(b)]),
                CellRef::DateTime(d) => {
                    let d = d.and_utc();
                    scratch.push(4);
                    scratch.extend_from_slice(&d.timestamp().to_le_bytes());
                    scratch.extend_from_slice(&d.timestamp_subsec_nanos().to_le_bytes());
                }
                CellRef::Error(e) => {
                    scratch.push(5);
                    scratch.extend_from_slice(e.as_bytes());
                }
            }
            scratch.push(0xFF);
        }
        xxhash_rust::xxh3::xxh3_64(scratch)
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
