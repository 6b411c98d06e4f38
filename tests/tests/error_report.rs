//! Error reports are safe to open in a spreadsheet and read back to the values found.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use conferral::output::error_report;
use conferral::{AnalyzeOptions, Group, analyze};
use proptest::prelude::*;

fn report_for(emails: &[String]) -> conferral::Report {
    let mut csv = csv::Writer::from_writer(Vec::new());
    let _ = csv.write_record(["Name", "Email"]);
    for (i, e) in emails.iter().enumerate() {
        let _ = csv.write_record([format!("Person {i}"), e.clone()]);
    }
    let bytes = csv.into_inner().unwrap_or_else(|e| panic!("{e}"));
    let group = Group {
        name: "g".into(),
        attributes: vec![],
        ..Group::default()
    };
    analyze(&bytes, &group, &AnalyzeOptions::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn dangerous() -> impl Strategy<Value = String> {
    prop_oneof![
        "[=+@-][A-Za-z0-9(),.:;!'\" |/]{0,30}",
        "[ \t\r\u{a0}]{1,3}[=+@-][A-Z]{1,5}",
        "'{1,3}[=+@-]?[a-z]{0,5}",
        "\\PC{0,40}",
        "[a-z\u{0}-\u{1f}_x0-9]{1,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn reports_round_trip_and_never_start_a_formula(values in prop::collection::vec((dangerous(), dangerous()), 1..12)) {
        // Any text may end up in a finding's value, message or attribute.
        let mut report = report_for(&["x".to_owned()]);
        let template = report.findings.first().cloned().unwrap_or_else(|| panic!("no finding"));
        report.findings = values
            .into_iter()
            .map(|(value, message)| conferral::Finding { value: Some(value), message: message.clone(), help: message, ..template.clone() })
            .collect();
        let expected = error_report::lines(&report);
        let csv = error_report::csv(&report).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(&error_report::parse(&csv).unwrap_or_else(|e| panic!("{e}")), &expected);
        let xlsx = error_report::xlsx(&report).unwrap_or_else(|e| panic!("{e}"));
        prop_assert_eq!(&error_report::parse(&xlsx).unwrap_or_else(|e| panic!("{e}")), &expected);

        let body = csv.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&csv);
        let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
        for record in reader.records() {
            let record = record.unwrap_or_else(|e| panic!("the error report is not CSV: {e}"));
            for field in &record {
                prop_assert!(!conferral::sheet::formula::formula_like(field), "{:?} could run as a formula", field);
            }
        }
    }
}

#[test]
fn every_finding_of_a_messy_roster_is_listed_with_its_cell() {
    let report = report_for(&[
        "=HYPERLINK(\"http://evil\",\"x\")".into(),
        "ok@example.org".into(),
        "+1 555".into(),
        "ok@example.org".into(),
    ]);
    let lines = error_report::parse(&error_report::csv(&report).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<(&str, &str)> = lines
        .iter()
        .map(|l| (l.code.as_str(), l.cell.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("invalid_email", "B2"),
            ("duplicate_recipient", "B3"),
            ("invalid_email", "B4"),
            ("duplicate_recipient", "B5")
        ]
    );
    assert_eq!(
        lines.first().map(|l| l.value.as_str()),
        Some("=HYPERLINK(\"http://evil\",\"x\")")
    );
}
