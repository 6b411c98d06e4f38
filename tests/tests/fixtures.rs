//! Snapshot tests of the analysis report of every committed fixture.
//!
//! `tests/fixtures/rosters/*/` hold a roster, its group and optional options (sheet, header
//! row, mapping); `tests/fixtures/third_party/calamine/` holds workbooks made by Excel and
//! LibreOffice, analysed against a group with only the standard attributes. A file that cannot
//! be analysed snapshots its error, as the CLI prints it.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::path::Path;

use conferral::{AnalyzeOptions, Group, analyze};
use serde_json::{Value, json};

fn report(path: &Path, group: &Group, mut options: AnalyzeOptions) -> Value {
    let bytes = std::fs::read(path).unwrap();
    options.file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    match analyze(&bytes, group, &options) {
        Ok(report) => serde_json::to_value(report).unwrap(),
        Err(e) => json!({"error": {"kind": e.kind().as_str(), "message": e.to_string()}}),
    }
}

#[test]
fn roster_reports() {
    insta::glob!("../fixtures/rosters", "*/roster.*", |path| {
        let dir = path.parent().unwrap();
        let group =
            Group::from_json(&std::fs::read_to_string(dir.join("group.json")).unwrap()).unwrap();
        let options: AnalyzeOptions = match std::fs::read_to_string(dir.join("options.json")) {
            Ok(text) => serde_json::from_str(&text).unwrap(),
            Err(_) => AnalyzeOptions::default(),
        };
        let options = AnalyzeOptions {
            records: true,
            ..options
        };
        insta::assert_json_snapshot!(report(path, &group, options));
    });
}

#[test]
fn third_party_workbooks() {
    let group = Group {
        name: "Standard attributes only".into(),
        attributes: vec![],
        ..Group::default()
    };
    insta::glob!(
        "../fixtures/third_party/calamine",
        "*.{xls,xlsb,ods}",
        |path| {
            insta::assert_json_snapshot!(report(path, &group, AnalyzeOptions::default()));
        }
    );
}

#[test]
fn dates_read_the_same_in_the_1900_and_1904_systems() {
    let group = Group {
        name: "g".into(),
        attributes: vec![],
        ..Group::default()
    };
    let dir = conferral_tests::fixtures().join("third_party/calamine");
    for ext in ["xls", "xlsb"] {
        let plain = report(
            &dir.join(format!("date.{ext}")),
            &group,
            AnalyzeOptions::default(),
        );
        let epoch_1904 = report(
            &dir.join(format!("date_1904.{ext}")),
            &group,
            AnalyzeOptions::default(),
        );
        assert_eq!(plain["columns"], epoch_1904["columns"], "{ext}");
        assert_eq!(plain["columns"][0]["header"], "2021-01-01", "{ext}");
    }
}

#[test]
fn an_ods_time_is_a_value_not_a_header() {
    // date.ods.md: row 1 a date, row 2 a date-time, rows 3 and 4 times of day.
    let group = Group {
        name: "g".into(),
        attributes: vec![],
        ..Group::default()
    };
    let dir = conferral_tests::fixtures().join("third_party/calamine");
    let report = report(&dir.join("date.ods"), &group, AnalyzeOptions::default());
    assert_eq!(report["source"]["header_row"], 1, "{report}");
    assert_eq!(report["columns"][0]["header"], "2021-01-01");
    assert_eq!(
        report["summary"]["rows"], 3,
        "no row under the header is lost"
    );
}

#[test]
fn a_closing_note_is_not_taken_for_the_header_above_it() {
    // any_sheets.*.md: rows 1 to 3 hold numbers, row 4 is empty, row 5 a note about the sheets.
    let group = Group {
        name: "g".into(),
        attributes: vec![],
        ..Group::default()
    };
    let dir = conferral_tests::fixtures().join("third_party/calamine");
    for ext in ["xls", "xlsb", "ods"] {
        let report = report(
            &dir.join(format!("any_sheets.{ext}")),
            &group,
            AnalyzeOptions::default(),
        );
        assert_eq!(report["source"]["header_row"], 1, "{ext}: {report}");
        assert_eq!(report["summary"]["rows"], 3, "{ext}: the rows are kept");
    }
}
