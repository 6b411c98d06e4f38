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

use std::io::Write;

use conferral::{AnalyzeOptions, Code, ErrorKind, Group, Limits, Report, analyze};
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

/// An XLSX package whose one sheet's XML is written by `sheet` (streamed into the zip), so a
/// test can make a sheet far larger than it would want to hold.
fn xlsx_with_sheet(
    shared_strings: Option<&[u8]>,
    sheet: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let deflated = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated)
        .large_file(true);
    let parts: [(&str, &str); 4] = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>"#,
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#,
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#,
        ),
    ];
    for (name, body) in parts {
        zip.start_file(name, deflated).unwrap();
        zip.write_all(body.as_bytes()).unwrap();
    }
    if let Some(sst) = shared_strings {
        zip.start_file("xl/sharedStrings.xml", deflated).unwrap();
        zip.write_all(sst).unwrap();
    }
    zip.start_file("xl/worksheets/sheet1.xml", deflated)
        .unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#).unwrap();
    sheet(&mut zip).unwrap();
    zip.write_all(b"</sheetData></worksheet>").unwrap();
    zip.finish().unwrap().into_inner()
}

const HEADER_ROW: &[u8] = br#"<row><c t="inlineStr"><is><t>Name</t></is></c><c t="inlineStr"><is><t>Email</t></is></c></row>"#;

fn with_limits(limits: Limits) -> AnalyzeOptions {
    AnalyzeOptions {
        limits,
        ..AnalyzeOptions::default()
    }
}

/// Analyses `bytes`, returning the result and the most heap bytes held meanwhile.
fn measured(bytes: &[u8], options: &AnalyzeOptions) -> (conferral::Result<Report>, usize) {
    peak_during(|| analyze(bytes, &group(), options))
}

const MIB: usize = 1 << 20;

#[test]
fn a_sheet_longer_than_a_spreadsheet_can_be_is_refused_as_it_streams() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    // 1,100,000 rows without `r` attributes (the schema lets them out), every row one cell.
    let bytes = xlsx_with_sheet(None, |out| {
        out.write_all(HEADER_ROW)?;
        let rows = b"<row><c><v>1</v></c></row>".repeat(1_000);
        for _ in 0..1_100 {
            out.write_all(&rows)?;
        }
        Ok(())
    });
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    // The rows are counted as the part inflates, before any cell is parsed.
    let (result, peak) = measured(&bytes, &AnalyzeOptions::default());
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(
        error.message().contains("more than 1048576 rows"),
        "{error}"
    );
    assert!(peak < 8 * MIB, "{} MiB held", peak / MIB);
}

#[test]
fn blanks_inflating_a_sheet_between_two_tags_are_refused_while_inflating() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let bytes = xlsx_with_sheet(None, |out| {
        out.write_all(HEADER_ROW)?;
        let blanks = vec![b' '; MIB];
        for _ in 0..64 {
            out.write_all(&blanks)?;
        }
        Ok(())
    });
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let (result, peak) = measured(&bytes, &AnalyzeOptions::default());
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(error.message().contains("between two XML tags"), "{error}");
    assert!(peak < 8 * MIB, "{} MiB held", peak / MIB);
}

#[test]
fn cells_past_the_memory_limit_are_refused_as_they_are_read() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let bytes = xlsx_with_sheet(None, |out| {
        out.write_all(HEADER_ROW)?;
        let row = br#"<row><c><v>1</v></c><c><v>2</v></c><c><v>3</v></c><c><v>4</v></c><c><v>5</v></c><c><v>6</v></c><c><v>7</v></c><c><v>8</v></c></row>"#;
        for _ in 0..200_000 {
            out.write_all(row)?;
        }
        Ok(())
    });
    let small = with_limits(Limits {
        max_sheet_bytes: 8 << 20,
        ..Limits::default()
    });
    let (result, peak) = measured(&bytes, &small);
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(error.message().contains("more than 8 MiB"), "{error}");
    assert!(peak < 24 * MIB, "{} MiB held", peak / MIB);
    // The same sheet is read under the default limit.
    let (result, _) = measured(&bytes, &AnalyzeOptions::default());
    assert_eq!(result.map(|r| r.summary.rows).ok(), Some(200_000));
}

#[test]
fn shared_strings_larger_than_a_sheet_may_hold_are_refused_before_reading() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut sst = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="20000" uniqueCount="20000">"#.to_vec();
    for i in 0..20_000 {
        sst.extend_from_slice(format!("<si><t>recipient number {i:0>80}</t></si>").as_bytes());
    }
    sst.extend_from_slice(b"</sst>");
    let bytes = xlsx_with_sheet(Some(&sst), |out| out.write_all(HEADER_ROW));
    let small = with_limits(Limits {
        max_sheet_bytes: 1 << 20,
        ..Limits::default()
    });
    let (result, peak) = measured(&bytes, &small);
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(error.message().contains("shared strings"), "{error}");
    assert!(peak < 8 * MIB, "{} MiB held", peak / MIB);
}

#[test]
fn an_ods_value_far_from_a1_is_refused_before_a_dense_grid_is_built() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let content = concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?><office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2"><office:body><office:spreadsheet><table:table table:name="Roster">"#,
        r#"<table:table-row><table:table-cell office:value-type="string"><text:p>Email</text:p></table:table-cell></table:table-row>"#,
        r#"<table:table-row table:number-rows-repeated="1000000"><table:table-cell/></table:table-row>"#,
        r#"<table:table-row><table:table-cell table:number-columns-repeated="200"/><table:table-cell office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>"#,
        r#"</table:table></office:spreadsheet></office:body></office:document-content>"#
    );
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file("mimetype", stored).unwrap();
    zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
        .unwrap();
    zip.start_file("content.xml", stored).unwrap();
    zip.write_all(content.as_bytes()).unwrap();
    let bytes = zip.finish().unwrap().into_inner();
    let (result, peak) = measured(&bytes, &AnalyzeOptions::default());
    let error = result.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::LimitExceeded, "{error}");
    assert!(
        error.message().contains("from A1 to their last values"),
        "{error}"
    );
    assert!(peak < 8 * MIB, "{} MiB held", peak / MIB);
}

#[test]
fn a_value_repeated_down_a_million_rows_gives_a_bounded_report() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut csv = b"Name,Email\n".to_vec();
    csv.extend_from_slice(&b"A,a@b.org\n".repeat(1_000_000));
    let (result, peak) = measured(&csv, &AnalyzeOptions::default());
    let report = result.unwrap();
    assert_eq!(
        (
            report.summary.rows,
            report.summary.invalid,
            report.summary.errors
        ),
        (1_000_000, 1_000_000, 1_000_000)
    );
    let omitted = report
        .findings
        .iter()
        .filter(|f| f.code == Code::FindingsOmitted)
        .count();
    assert_eq!((report.findings.len(), omitted), (100_001, 1));
    // The input itself is 10 MB; what is held beyond it stays within the target.
    assert!(peak < 192 * MIB, "{} MiB held", peak / MIB);
}

#[test]
fn findings_beyond_the_cap_are_counted_the_same_on_any_number_of_threads() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut csv = String::from("Name,Email\n");
    for i in 0..300 {
        // Every row a duplicate of the first address, every third also a bad second field.
        let email = if i % 3 == 0 {
            "not-an-address"
        } else {
            "a@b.org"
        };
        csv.push_str(&format!("P{i},{email}\n"));
    }
    let report = |threads: usize| {
        let options = AnalyzeOptions {
            threads,
            limits: Limits {
                max_findings: 50,
                ..Limits::default()
            },
            ..AnalyzeOptions::default()
        };
        analyze(csv.as_bytes(), &group(), &options).unwrap()
    };
    let one = report(1);
    assert_eq!(one, report(2));
    assert_eq!((one.summary.rows, one.summary.invalid), (300, 300));
    assert_eq!(one.summary.errors, 300);
    let listed: Vec<&conferral::Finding> = one
        .findings
        .iter()
        .filter(|f| f.code != Code::FindingsOmitted)
        .collect();
    assert_eq!(listed.len(), 50);
    // The first rows' findings are the ones listed.
    assert_eq!(listed[0].cell.as_deref(), Some("B2"));
    let note = one
        .findings
        .iter()
        .find(|f| f.code == Code::FindingsOmitted)
        .unwrap();
    assert!(
        note.message
            .starts_with("250 more findings about rows (250 errors, 0 warnings)"),
        "{}",
        note.message
    );
}

#[test]
fn findings_of_a_long_enum_stay_small() {
    let _turn = TURN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let values: Vec<String> = (0..10_000).map(|i| format!("Value number {i}")).collect();
    let group: Group = serde_json::from_value(serde_json::json!({
        "name": "Long enum",
        "attributes": [{"key": "level", "label": "Level", "type": "enum", "values": values}]
    }))
    .unwrap();
    let mut csv = b"Name,Email,Level\n".to_vec();
    for i in 0..2_000 {
        csv.extend_from_slice(format!("P{i},p{i}@example.org,none of them\n").as_bytes());
    }
    let (result, peak) = peak_during(|| analyze(&csv, &group, &AnalyzeOptions::default()));
    let report = result.unwrap();
    let enum_findings: Vec<&conferral::Finding> = report
        .findings
        .iter()
        .filter(|f| f.code == Code::InvalidEnum)
        .collect();
    assert_eq!(enum_findings.len(), 2_000);
    let help = &enum_findings[0].help;
    assert!(
        help.starts_with("use one of the 10000 values of Level, such as Value number 0,"),
        "{help}"
    );
    assert!(help.ends_with("(and 9992 more)"), "{help}");
    // Every finding is small, so the report grows with the roster, not with the group.
    let json = serde_json::to_string(&report).unwrap();
    assert!(
        json.len() < csv.len() * 20,
        "{} bytes of report",
        json.len()
    );
    assert!(peak < 16 * MIB, "{} MiB held", peak / MIB);
}
