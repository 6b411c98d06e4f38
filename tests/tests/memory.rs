//! Memory held to a bound: every allocation of this test binary is counted, so a test can
//! read the most bytes the heap held while one input was analysed. The tests here take
//! turns (one lock), so no other test's allocations are counted in a peak.
//!
//! Damaged files: valid files of every format with flipped, deleted and inserted bytes give
//! a report or a clear error, never a panic, and never hold more than [`DAMAGED_PEAK`]. The
//! test command runs 256 of them; `make fuzz-damaged` runs a long campaign and prints each
//! new slowest input (time is reported there, never asserted in a test).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::sync::Mutex;

use conferral::{AnalyzeOptions, Group, analyze};
use peak_alloc::PeakAlloc;

/// The system allocator, counting the bytes held now and the most held since a reset.
#[global_allocator]
static ALLOCATOR: PeakAlloc = PeakAlloc;

/// The tests of this binary take turns, so a peak counts one test's allocations.
static TURN: Mutex<()> = Mutex::new(());

/// Runs `f` and returns what it returned with the most heap bytes held meanwhile above what
/// was held when it started.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    ALLOCATOR.reset_peak_usage();
    let base = ALLOCATOR.current_usage();
    let out = f();
    (out, ALLOCATOR.peak_usage().saturating_sub(base))
}

/// The most a damaged file of a few kilobytes may hold: four times the most any of 5,000
/// tries needed (all under 1 MiB), far below what a dense grid or an inflated part takes.
const DAMAGED_PEAK: usize = 4 << 20;

fn group() -> Group {
    Group {
        name: "Damaged".into(),
        attributes: vec![],
        ..Group::default()
    }
}

#[test]
fn the_counter_sees_a_large_allocation() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let (len, peak) = peak_during(|| {
        vec![1u8; 8 << 20]
            .iter()
            .map(|&b| usize::from(b))
            .sum::<usize>()
    });
    assert_eq!(len, 8 << 20);
    // Other threads of the harness may free a few bytes meanwhile.
    assert!(peak > 7 << 20, "{peak}");
}

mod damaged {
    use proptest::prelude::*;

    use super::{AnalyzeOptions, DAMAGED_PEAK, TURN, analyze, group, peak_during};

    /// Valid files of every format to damage, made once: XLSX from two writers, ODS, XLS
    /// (xlwt), XLSB (a committed workbook made by Excel), and CSV in UTF-8 and UTF-16.
    fn seeds() -> &'static [Vec<u8>] {
        static SEEDS: std::sync::OnceLock<Vec<Vec<u8>>> = std::sync::OnceLock::new();
        SEEDS.get_or_init(make_seeds)
    }

    fn make_seeds() -> Vec<Vec<u8>> {
        use conferral_tests::Cell;
        let rows = vec![
            vec![
                Cell::Text("Name".into()),
                Cell::Text("Email".into()),
                Cell::Text("Issued On".into()),
            ],
            vec![
                Cell::Text("Ana".into()),
                Cell::Text("ana@example.org".into()),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("a real date")),
            ],
        ];
        vec![
            // A writer that fails must fail the test, not hand the fuzzer an empty seed.
            conferral_tests::xlsx_conferral(&rows).expect("the XLSX writer works"),
            conferral_tests::ods(&rows).expect("the ODS writer works"),
            conferral_tests::xlsx_rust_xlsxwriter(&rows).expect("the XLSX writer works"),
            conferral_tests::xls(&rows).expect("the XLS writer works"),
            std::fs::read(conferral_tests::fixtures().join("third_party/calamine/date.xlsb"))
                .expect("the committed XLSB"),
            b"\xEF\xBB\xBFName;Email;Issued On\r\nAna;ana@example.org;03/04/2026\r\n\"Bo\";\"b\"\"o@x.org\";2026-01-01\r\n".to_vec(),
            [vec![0xFF, 0xFE], "Name\tEmail\nAna\ta@b.org\n".encode_utf16().flat_map(u16::to_le_bytes).collect()].concat(),
        ]
    }

    /// Whether this is a long campaign (`make fuzz-damaged`), which reports the slowest
    /// input as it goes.
    fn campaign() -> bool {
        std::env::var_os("CONFERRAL_DAMAGED_CASES").is_some()
    }

    /// How many damaged files to try: 256 in the test command, more in a campaign.
    fn cases() -> u32 {
        std::env::var("CONFERRAL_DAMAGED_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(256)
    }

    /// The slowest input so far: (time, seed, length).
    static SLOWEST: std::sync::Mutex<(std::time::Duration, usize, usize)> =
        std::sync::Mutex::new((std::time::Duration::ZERO, 0, 0));

    proptest! {
        #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

        /// Flipped, deleted and inserted bytes in valid files give a report or an error,
        /// within the memory bound.
        #[test]
        fn damaged_files_never_panic_and_stay_small(
            seed in 0usize..7,
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..24),
            truncate in proptest::option::of(any::<prop::sample::Index>()),
        ) {
            let _turn = TURN.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut bytes = seeds()[seed].clone();
            for (at, byte, kind) in edits {
                if bytes.is_empty() {
                    break;
                }
                let i = at.index(bytes.len());
                match kind {
                    0 => bytes[i] = byte,
                    1 => { bytes.remove(i); }
                    _ => bytes.insert(i, byte),
                }
            }
            if let Some(cut) = truncate {
                let len = cut.index(bytes.len().max(1));
                bytes.truncate(len);
            }
            for threads in [1, 2] {
                let options = AnalyzeOptions { threads, records: true, ..AnalyzeOptions::default() };
                let started = std::time::Instant::now();
                let (result, peak) = peak_during(|| analyze(&bytes, &group(), &options));
                let took = started.elapsed();
                match result {
                    Ok(report) => prop_assert!(report.summary.valid + report.summary.invalid == report.summary.rows),
                    Err(e) => prop_assert!(!e.message().is_empty()),
                }
                prop_assert!(peak <= DAMAGED_PEAK, "seed {seed}: {peak} bytes held for a {}-byte file", bytes.len());
                let mut slowest = SLOWEST.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if took > slowest.0 {
                    *slowest = (took, seed, bytes.len());
                    if campaign() {
                        println!("slowest so far: {took:?} (seed {seed}, {} bytes, {peak} bytes held)", bytes.len());
                    }
                }
            }
        }
    }
}
