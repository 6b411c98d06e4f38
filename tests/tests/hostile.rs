//! Hostile and broken files: each gets a report or a clear error, never a panic or an abort,
//! and a small file never allocates gigabytes (the traps in ../shared/field-notes.md).

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::io::Write;

use conferral::{AnalyzeOptions, ErrorKind, Group, Limits, analyze};

fn group() -> Group {
    Group {
        name: "Hostile".into(),
        attributes: vec![],
        ..Group::default()
    }
}

fn small_xlsx() -> Vec<u8> {
    conferral_tests::xlsx_conferral(&[
        vec![
            conferral_tests::Cell::Text("Name".into()),
            conferral_tests::Cell::Text("Email".into()),
        ],
        vec![
            conferral_tests::Cell::Text("Ana".into()),
            conferral_tests::Cell::Text("ana@example.org".into()),
        ],
    ])
    .expect("the XLSX writer works")
}

/// Rebuilds a zip, replacing (or adding) parts.
fn patch_zip(original: &[u8], replace: &[(&str, Vec<u8>)]) -> Vec<u8> {
    let mut archive =
        zip::ZipArchive::new(std::io::Cursor::new(original)).unwrap_or_else(|e| panic!("{e}"));
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).unwrap_or_else(|e| panic!("{e}"));
        let name = String::from_utf8_lossy(file.name_raw()).into_owned();
        out.start_file(name.as_str(), options)
            .unwrap_or_else(|e| panic!("{e}"));
        match replace.iter().find(|(n, _)| *n == name) {
            Some((_, body)) => out.write_all(body).unwrap_or_else(|e| panic!("{e}")),
            None => {
                std::io::copy(&mut file, &mut out).unwrap_or_else(|e| panic!("{e}"));
            }
        }
    }
    for (name, body) in replace {
        if archive.by_name(name).is_err() {
            out.start_file(*name, options)
                .unwrap_or_else(|e| panic!("{e}"));
            out.write_all(body).unwrap_or_else(|e| panic!("{e}"));
        }
    }
    out.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
}

fn sheet_xml(cells: &str, dimension: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><dimension ref="{dimension}"/><sheetData>{cells}</sheetData></worksheet>"#
    )
    .into_bytes()
}

/// A crafted file is refused as damaged or over a limit, never read.
fn assert_refused_as_damaged(bytes: &[u8]) {
    let result = error_kind(bytes);
    assert!(
        matches!(
            result,
            Err(ErrorKind::MalformedFile | ErrorKind::LimitExceeded)
        ),
        "{result:?}"
    );
}

fn error_kind(bytes: &[u8]) -> Result<u64, ErrorKind> {
    analyze(bytes, &group(), &AnalyzeOptions::default())
        .map(|r| r.summary.rows)
        .map_err(|e| {
            // Every error explains itself.
            assert!(!e.to_string().is_empty());
            e.kind()
        })
}

#[test]
fn shared_strings_declaring_two_billion_entries_are_refused() {
    let sst = br#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="2000000000" uniqueCount="2000000000"><si><t>Name</t></si><si><t>Email</t></si></sst>"#.to_vec();
    let bytes = patch_zip(&small_xlsx(), &[("xl/sharedStrings.xml", sst)]);
    assert!(
        bytes.len() < 4096,
        "the file is small: {} bytes",
        bytes.len()
    );
    assert_eq!(error_kind(&bytes), Err(ErrorKind::LimitExceeded));
}

#[test]
fn a_cell_at_xfd1048576_is_refused_before_a_dense_grid_is_built() {
    let cells = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c></row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>"#;
    let bytes = patch_zip(
        &small_xlsx(),
        &[(
            "xl/worksheets/sheet1.xml",
            sheet_xml(cells, "A1:XFD1048576"),
        )],
    );
    assert_eq!(error_kind(&bytes), Err(ErrorKind::LimitExceeded));
    // Also when the dimension lies.
    let bytes = patch_zip(
        &small_xlsx(),
        &[("xl/worksheets/sheet1.xml", sheet_xml(cells, "A1:B2"))],
    );
    assert_eq!(error_kind(&bytes), Err(ErrorKind::LimitExceeded));
}

#[test]
fn cell_references_that_overflow_do_not_panic() {
    let cells = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row><row r="2"><c r="A99999999999" t="inlineStr"><is><t>x@y.org</t></is></c></row>"#;
    let bytes = patch_zip(
        &small_xlsx(),
        &[("xl/worksheets/sheet1.xml", sheet_xml(cells, "A1:A2"))],
    );
    assert_refused_as_damaged(&bytes);
}

#[test]
fn a_decompression_bomb_is_refused() {
    // 64 MiB of one cell compress to a few dozen KiB; the part and ratio limits stop it
    // before calamine reads it.
    let mut body = Vec::with_capacity(64 << 20);
    body.extend_from_slice(br#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>"#);
    body.resize(body.len() + (64 << 20), b'a');
    body.extend_from_slice(b"</t></is></c></row></sheetData></worksheet>");
    let bytes = patch_zip(&small_xlsx(), &[("xl/worksheets/sheet1.xml", body)]);
    assert!(bytes.len() < 1 << 20, "{} bytes", bytes.len());
    let limits = Limits {
        max_part_bytes: 32 << 20,
        ..Limits::default()
    };
    let result = analyze(
        &bytes,
        &group(),
        &AnalyzeOptions {
            limits,
            ..AnalyzeOptions::default()
        },
    )
    .map(|_| ())
    .map_err(|e| e.kind());
    assert_eq!(result, Err(ErrorKind::LimitExceeded));
    // With the default limits the ratio check refuses it.
    assert_eq!(error_kind(&bytes), Err(ErrorKind::LimitExceeded));
}

#[test]
fn a_part_larger_than_its_declared_size_is_refused() {
    // Rewrite the local and central headers of the sheet part to declare a smaller size.
    let cells = r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row>"#;
    let xml = sheet_xml(cells, "A1");
    let real = u32::try_from(xml.len()).unwrap_or(0);
    let mut bytes = patch_zip(&small_xlsx(), &[("xl/worksheets/sheet1.xml", xml)]);
    let needle = real.to_le_bytes();
    let mut patched = 0;
    for i in 0..bytes.len().saturating_sub(4) {
        if bytes.get(i..i + 4) == Some(&needle[..])
            && let Some(slot) = bytes.get_mut(i..i + 4)
        {
            slot.copy_from_slice(&10u32.to_le_bytes());
            patched += 1;
        }
    }
    assert!(patched >= 1);
    assert_refused_as_damaged(&bytes);
}

#[test]
fn broken_and_disguised_files_get_clear_errors() {
    let xlsx = small_xlsx();
    let cases: Vec<(&str, Vec<u8>, ErrorKind)> = vec![
        ("empty", Vec::new(), ErrorKind::EmptyFile),
        (
            "only a byte order mark",
            b"\xEF\xBB\xBF".to_vec(),
            ErrorKind::EmptyFile,
        ),
        (
            "truncated xlsx",
            xlsx.get(..xlsx.len() / 2).unwrap_or_default().to_vec(),
            ErrorKind::MalformedFile,
        ),
        (
            "zip that is not a workbook",
            patch_zip(&xlsx, &[])
                .iter()
                .copied()
                .take(0)
                .chain(empty_zip())
                .collect(),
            ErrorKind::UnsupportedFormat,
        ),
        (
            "html saved as xls",
            b"<html><body><table><tr><td>Name</td></tr></table></body></html>".to_vec(),
            ErrorKind::UnsupportedFormat,
        ),
        (
            "binary garbage",
            (0u32..4096)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
            ErrorKind::UnsupportedFormat,
        ),
        (
            "ole file that is not xls",
            ole_without_workbook(),
            ErrorKind::UnsupportedFormat,
        ),
    ];
    for (what, bytes, kind) in cases {
        let result = error_kind(&bytes);
        assert_eq!(result.err(), Some(kind), "{what}");
    }
}

fn empty_zip() -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    out.start_file("readme.txt", options)
        .unwrap_or_else(|e| panic!("{e}"));
    out.write_all(b"hello").unwrap_or_else(|e| panic!("{e}"));
    out.finish().unwrap_or_else(|e| panic!("{e}")).into_inner()
}

fn ole_without_workbook() -> Vec<u8> {
    let mut file = cfb_like();
    file.truncate(file.len());
    file
}

/// An OLE compound file holding a Word-like stream, written with the cfb crate's format.
fn cfb_like() -> Vec<u8> {
    let cursor = std::io::Cursor::new(Vec::new());
    let mut comp = cfb::CompoundFile::create(cursor).unwrap_or_else(|e| panic!("{e}"));
    {
        let mut stream = comp
            .create_stream("/WordDocument")
            .unwrap_or_else(|e| panic!("{e}"));
        stream
            .write_all(b"not a spreadsheet")
            .unwrap_or_else(|e| panic!("{e}"));
    }
    comp.flush().unwrap_or_else(|e| panic!("{e}"));
    comp.into_inner().into_inner()
}

/// A roster whose row 3 opens a quote that never closes, so its email cell swallows the
/// `rows` rows after it (about 25 bytes each).
fn unterminated_quote(rows: usize) -> String {
    let mut csv = String::from("Name,Email\nAna,ana@example.org\nBo,\"bo@example.org\n");
    for i in 0..rows {
        csv.push_str(&format!("Person {i},p{i}@example.org\n"));
    }
    csv
}

#[test]
fn an_unterminated_quote_over_the_cell_limit_is_a_value_too_long() {
    // About 500 KB swallowed: over the default limit of 128 KiB.
    let csv = unterminated_quote(20_000);
    let report = analyze(csv.as_bytes(), &group(), &AnalyzeOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.summary.rows, report.summary.valid), (2, 1));
    let finding = report
        .findings
        .iter()
        .find(|f| f.cell.as_deref() == Some("B3"))
        .unwrap_or_else(|| panic!("{:#?}", report.findings));
    assert_eq!(finding.code, conferral::Code::ValueTooLong);
    assert!(
        finding.message.contains("over the limit of 131072"),
        "{}",
        finding.message
    );
    assert!(finding.help.contains("quote"), "{}", finding.help);

    // The limit is the caller's: a smaller one catches a smaller swallow.
    let small = unterminated_quote(10);
    let options = AnalyzeOptions {
        limits: Limits {
            max_cell_bytes: 100,
            ..Limits::default()
        },
        ..AnalyzeOptions::default()
    };
    let report = analyze(small.as_bytes(), &group(), &options).unwrap_or_else(|e| panic!("{e}"));
    let codes: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.cell.clone(), f.code))
        .collect();
    assert_eq!(
        codes,
        vec![(Some("B3".to_owned()), conferral::Code::ValueTooLong)]
    );
}

#[test]
fn an_unterminated_quote_under_the_cell_limit_breaks_the_email_rules() {
    let csv = unterminated_quote(10);
    let report = analyze(csv.as_bytes(), &group(), &AnalyzeOptions::default())
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((report.summary.rows, report.summary.valid), (2, 1));
    let codes: Vec<_> = report
        .findings
        .iter()
        .map(|f| (f.cell.clone(), f.code))
        .collect();
    assert_eq!(
        codes,
        vec![(Some("B3".to_owned()), conferral::Code::InvalidEmail)]
    );
}

#[test]
fn row_and_column_limits_give_errors() {
    let mut csv = String::from("Name,Email\n");
    for i in 0..50 {
        csv.push_str(&format!("P{i},p{i}@example.org\n"));
    }
    let limits = Limits {
        max_rows: 10,
        ..Limits::default()
    };
    let result = analyze(
        csv.as_bytes(),
        &group(),
        &AnalyzeOptions {
            limits,
            threads: 1,
            ..AnalyzeOptions::default()
        },
    );
    assert_eq!(
        result.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::LimitExceeded)
    );
    let result = analyze(
        csv.as_bytes(),
        &group(),
        &AnalyzeOptions {
            limits,
            threads: 2,
            ..AnalyzeOptions::default()
        },
    );
    assert_eq!(
        result.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::LimitExceeded)
    );
    let wide = format!("Name,Email{}\nA,a@b.org\n", ",x".repeat(2000));
    assert_eq!(error_kind(wide.as_bytes()), Err(ErrorKind::LimitExceeded));
    let limits = Limits {
        max_file_bytes: 10,
        ..Limits::default()
    };
    let result = analyze(
        csv.as_bytes(),
        &group(),
        &AnalyzeOptions {
            limits,
            ..AnalyzeOptions::default()
        },
    );
    assert_eq!(
        result.map(|_| ()).map_err(|e| e.kind()),
        Err(ErrorKind::LimitExceeded)
    );
}

#[test]
fn malformed_utf16_is_replaced_and_reported() {
    // UTF-16LE with a byte order mark; the second row's name holds a lone high surrogate.
    let mut units: Vec<u16> = "Name,Email\nAna,ana@example.org\nB"
        .encode_utf16()
        .collect();
    units.push(0xD800);
    units.extend("o,bo@example.org\n".encode_utf16());
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(units.iter().flat_map(|u| u.to_le_bytes()));
    let report =
        analyze(&bytes, &group(), &AnalyzeOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    let replaced: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.code == conferral::Code::EncodingReplacement)
        .collect();
    assert_eq!(replaced.len(), 1, "{:#?}", report.findings);
    assert_eq!(replaced[0].severity, conferral::Severity::Warning);
    assert!(
        replaced[0].message.starts_with("1 malformed UTF-16"),
        "{}",
        replaced[0].message
    );
    assert_eq!(report.summary.rows, 2);
}

#[test]
fn date_serials_outside_the_calendar_are_invalid_dates_at_their_cells() {
    use rust_xlsxwriter::{Format, Workbook};
    let mut workbook = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sheet = workbook.add_worksheet();
    let serials = [
        45_000.0,
        1e308,
        2_958_466.0,
        2_958_465.0,
        -1.0,
        f64::INFINITY,
    ];
    sheet.write_string(0, 0, "Name").unwrap();
    sheet.write_string(0, 1, "Email").unwrap();
    sheet.write_string(0, 2, "Issued On").unwrap();
    for (i, serial) in serials.iter().enumerate() {
        let row = u32::try_from(i).unwrap() + 1;
        sheet.write_string(row, 0, format!("P{row}")).unwrap();
        sheet
            .write_string(row, 1, format!("p{row}@example.org"))
            .unwrap();
        sheet
            .write_number_with_format(row, 2, *serial, &date)
            .unwrap();
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let report = analyze(
        &bytes,
        &Group {
            name: "Dates".into(),
            ..Group::default()
        },
        &AnalyzeOptions {
            records: true,
            ..AnalyzeOptions::default()
        },
    )
    .unwrap();
    let invalid: Vec<(&str, &str)> = report
        .findings
        .iter()
        .filter(|f| f.code == conferral::Code::InvalidDate)
        .map(|f| {
            (
                f.cell.as_deref().unwrap_or_default(),
                f.value.as_deref().unwrap_or_default(),
            )
        })
        .collect();
    // The writer stores infinity as the text `INF`, which is no date either.
    assert_eq!(
        invalid,
        vec![
            ("C3", "1E308"),
            ("C4", "2958466"),
            ("C6", "-1"),
            ("C7", "INF")
        ],
        "{:#?}",
        report.findings
    );
    // The header names the attribute: bad values never unmap the column.
    let column = &report.columns[2];
    assert_eq!(column.attribute.as_deref(), Some("issued_on"));
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.code == conferral::Code::ColumnTypeMismatch
                && f.column.as_deref() == Some("C")),
        "{:#?}",
        report.findings
    );
    assert_eq!((report.summary.valid, report.summary.invalid), (2, 4));
    let issued: Vec<Option<String>> = report
        .records
        .as_ref()
        .map(|r| r.to_vec())
        .unwrap_or_default()
        .iter()
        .map(|r| {
            r.values
                .get("issued_on")
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(
        issued,
        vec![Some("2023-03-15".to_owned()), Some("9999-12-31".to_owned())]
    );
}

#[test]
fn a_package_that_names_a_part_twice_is_refused() {
    let first = sheet_xml(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>shown@example.org</t></is></c></row>"#,
        "A1:A2",
    );
    let second = sheet_xml(
        r#"<row r="1"><c r="A1" t="inlineStr"><is><t>Email</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>hidden@example.org</t></is></c></row>"#,
        "A1:A2",
    );
    // The same name differing in case; and exactly the same name, made by renaming a part
    // of the same length in place (zip writers refuse to write a duplicate).
    let cased = patch_zip(
        &small_xlsx(),
        &[
            ("xl/worksheets/sheet1.xml", first.clone()),
            ("xl/worksheets/SHEET1.xml", second.clone()),
        ],
    );
    let placeholder = patch_zip(
        &small_xlsx(),
        &[
            ("xl/worksheets/sheet1.xml", first),
            ("xl/worksheets/sheet1.xmX", second),
        ],
    );
    let exact = {
        let mut bytes = placeholder.clone();
        let from: &[u8] = b"xl/worksheets/sheet1.xmX";
        let mut renamed = 0;
        let mut at = 0;
        while let Some(i) = bytes[at..].windows(from.len()).position(|w| w == from) {
            bytes[at + i..at + i + from.len()].copy_from_slice(b"xl/worksheets/sheet1.xml");
            renamed += 1;
            at += i + from.len();
        }
        assert_eq!(renamed, 2, "the local and the central header");
        bytes
    };
    // Before the rename the package is fine (an extra part is ignored).
    assert_eq!(error_kind(&placeholder), Ok(1));
    for (name, bytes) in [("case", cased), ("exact", exact)] {
        let error = analyze(&bytes, &group(), &AnalyzeOptions::default()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::MalformedFile, "{name}: {error}");
        assert!(error.message().contains("twice"), "{name}: {error}");
    }
}

#[test]
fn inputs_fuzzing_found_stay_fixed() {
    const NAMES: [&str; 7] = [
        "roster.csv",
        "roster.xlsx",
        "roster.xls",
        "roster.xlsb",
        "roster.ods",
        "roster.txt",
        "roster",
    ];
    let dir = conferral_tests::fixtures().join("fuzz-regressions");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let data = std::fs::read(&path).unwrap();
        let Some((&pick, bytes)) = data.split_first() else {
            continue;
        };
        for threads in [1, 2] {
            let options = AnalyzeOptions {
                file_name: Some(NAMES[usize::from(pick) % NAMES.len()].to_owned()),
                records: true,
                threads,
                ..AnalyzeOptions::default()
            };
            match analyze(bytes, &group(), &options) {
                Ok(report) => assert_eq!(
                    report.summary.valid + report.summary.invalid,
                    report.summary.rows,
                    "{}",
                    path.display()
                ),
                Err(e) => assert!(!e.message().is_empty(), "{}", path.display()),
            }
        }
    }
}
