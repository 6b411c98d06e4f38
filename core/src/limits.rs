//! Resource limits checked before anything large is allocated.

pub(crate) mod parallel;

use serde::{Deserialize, Serialize};

/// Caps on what one analysis may read. Every cap is checked before the matching allocation,
/// so a small hostile file gets a [`LimitExceeded`](crate::ErrorKind::LimitExceeded) error
/// instead of exhausting memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Largest input file, in bytes.
    pub max_file_bytes: u64,
    /// Most data rows in the chosen sheet (header and rows above it excluded).
    pub max_rows: u64,
    /// Most columns in the chosen sheet.
    pub max_columns: u32,
    /// Longest single cell, in bytes of UTF-8. Excel itself stops at 32,767 characters.
    pub max_cell_bytes: u64,
    /// Largest decompressed size of any one part of a zipped workbook (XLSX, XLSB, ODS).
    pub max_part_bytes: u64,
    /// Largest decompressed size of all parts of a zipped workbook together.
    pub max_decompressed_bytes: u64,
    /// Largest ratio between a part's decompressed and compressed size.
    pub max_compression_ratio: u64,
    /// Most shared strings a workbook may declare.
    pub max_shared_strings: u64,
    /// Most memory the chosen sheet's cells may take once read, in bytes: each cell slot and
    /// each text counted as it is read, so a sheet of millions of small repeated cells is
    /// refused while it streams. It also caps what a workbook holds whole before its cells
    /// are read (the shared strings part; the dense grid XLS and ODS readers build).
    pub max_sheet_bytes: u64,
    /// Most findings about rows a report lists. Beyond it findings are still counted (the
    /// summary's errors, warnings and invalid rows stay exact) and one `findings_omitted`
    /// warning says how many are not listed: a value repeated down a long sheet would
    /// otherwise give a finding per row and a report that grows with the square of its text.
    pub max_findings: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: 512 * 1024 * 1024,
            max_rows: 5_000_000,
            max_columns: 1_000,
            max_cell_bytes: 128 * 1024,
            max_part_bytes: 1024 * 1024 * 1024,
            max_decompressed_bytes: 2 * 1024 * 1024 * 1024,
            max_compression_ratio: 1_000,
            max_shared_strings: 10_000_000,
            max_sheet_bytes: 128 * 1024 * 1024,
            max_findings: 100_000,
        }
    }
}

/// The threads a job asks for: `requested`, or one per core (at most eight) for 0. Where
/// the platform cannot say (WebAssembly), one.
pub(crate) fn threads(requested: usize) -> usize {
    match requested {
        0 => std::thread::available_parallelism()
            .map_or(1, std::num::NonZeroUsize::get)
            .min(8),
        n => n,
    }
}
