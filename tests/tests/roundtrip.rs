//! A template filled with generated rows, written in every supported format and encoding,
//! analyses back to exactly those rows.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use conferral::output::template::column_title;
use conferral::{AnalyzeOptions, Code, Group, analyze};
use conferral_tests::{Cell, CsvStyle, Encoding};
use proptest::prelude::*;
use serde_json::{Value, json};
use unicode_normalization::UnicodeNormalization;

const GRADES: [&str; 3] = ["Pass", "Merit", "Distinction"];

fn group() -> Group {
    let json = r#"{"name": "Data Science Bootcamp 2026", "attributes": [
        {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit", "Distinction"], "aliases": ["result"]},
        {"key": "hours", "label": "Course Hours", "type": "number", "required": true},
        {"key": "cohort_start", "label": "Cohort Start", "type": "date", "date_format": "DD/MM/YYYY"},
        {"key": "employee_id", "label": "Employee ID", "type": "text"}]}"#;
    Group::from_json(json).unwrap_or_else(|e| panic!("{e}"))
}

#[derive(Debug, Clone)]
struct Person {
    name: String,
    local: String,
    domain: String,
    issued: NaiveDate,
    expires: Option<NaiveDate>,
    grade: usize,
    grade_case: u8,
    half_hours: u16,
    cohort: NaiveDate,
    employee_id: String,
}

/// Any day of any month, leap days included, from 1901 (after the 1900 leap-year bug every
/// spreadsheet copies from Lotus) to 2199.
fn date() -> impl Strategy<Value = NaiveDate> {
    (1901i32..2200, 1u32..=12, 1u32..=31).prop_map(|(y, m, d)| {
        // The last valid day when the month is shorter.
        (0..4)
            .find_map(|back| NaiveDate::from_ymd_opt(y, m, d - back))
            .expect("every month has 28 days")
    })
}

/// Names as rosters hold them: accents, other scripts, formula-like text, stray spaces,
/// quotes and delimiters inside, decomposed accents (NFD, as macOS writes them).
fn name(latin_1252: bool) -> BoxedStrategy<String> {
    let latin = prop_oneof![
        "[A-Z][a-z]{1,8}( [A-Z][a-z'àéèüöñçß]{1,10}){1,2}",
        "[A-ZÀ-Ö][a-zà-ÿ]{1,6} [A-Z][a-z]{0,3}-[A-Z][a-z]{1,6}",
        "=[A-Z]{2,5}\\([0-9]\\) [A-Z][a-z]{2,4}",
        "  [A-Z][a-z]{1,6}   [A-Z][a-z]{1,6} ",
        "[A-Z][a-z]{1,6} \"[A-Z][a-z]{1,5}\" [A-Z][a-z]{1,6}",
        "[A-Z][a-z]{1,6}[,;|] [A-Z][a-z]{1,6}",
    ];
    if latin_1252 {
        return latin.boxed();
    }
    prop_oneof![
        4 => latin,
        1 => "[αβγδεζ]{2,6} [ΑΒΓ][α-ω]{2,6}",
        1 => "[张王李赵]{1,2}[伟芳娜]{1,2}",
        1 => "[A-Z][a-zàéèüöñç]{1,6} [A-Z][a-zàéèüöñç]{1,6}".prop_map(|n| n.nfd().collect()),
    ]
    .boxed()
}

fn person() -> impl Strategy<Value = Person> {
    person_named(name(false))
}

fn person_named(name: BoxedStrategy<String>) -> impl Strategy<Value = Person> {
    (
        name,
        // Dots, capitals and letters beyond ASCII, as internationalised addresses allow.
        prop_oneof![
            "[a-z][a-z0-9_+-]{0,8}",
            "[A-Za-z][A-Za-z0-9]{0,4}\\.[A-Za-z0-9]{1,5}",
            "[a-zäöüéñ][a-zäöüéñ0-9]{0,6}",
        ],
        "[a-zA-Z]{2,8}\\.(org|com|de|co\\.uk|EDU)",
        date(),
        proptest::option::of(1u64..2000),
        0usize..3,
        0u8..3,
        0u16..400,
        date(),
        "[0-9]{6}",
    )
        .prop_map(
            |(
                name,
                local,
                domain,
                issued,
                expires_in,
                grade,
                grade_case,
                half_hours,
                cohort,
                employee_id,
            )| Person {
                name,
                local,
                domain,
                issued,
                expires: expires_in.and_then(|d| issued.checked_add_days(chrono::Days::new(d))),
                grade,
                grade_case,
                half_hours,
                cohort,
                employee_id,
            },
        )
}

impl Person {
    fn email(&self, i: usize) -> String {
        format!("{}.{i}@{}", self.local, self.domain)
    }

    /// The address as a record holds it: the domain in lowercase, the local part as written
    /// (in NFC).
    fn normalized_email(&self, i: usize) -> String {
        let local: String = self.local.nfc().collect();
        format!("{local}.{i}@{}", self.domain.to_lowercase())
    }

    fn grade_text(&self) -> String {
        let g = GRADES[self.grade];
        match self.grade_case {
            0 => g.to_owned(),
            1 => g.to_lowercase(),
            _ => g.to_uppercase(),
        }
    }

    fn hours(&self) -> f64 {
        f64::from(self.half_hours) / 2.0
    }

    /// Cells in template column order: name, email, issued_on, expires_on, credential_id,
    /// grade, hours, cohort_start, employee_id.
    fn cells(&self, i: usize) -> Vec<Cell> {
        vec![
            Cell::Text(self.name.clone()),
            Cell::Text(self.email(i)),
            Cell::Date(self.issued),
            self.expires.map_or(Cell::Empty, Cell::Date),
            Cell::Empty,
            Cell::Text(self.grade_text()),
            Cell::Number(self.hours()),
            Cell::Date(self.cohort),
            Cell::Text(self.employee_id.clone()),
        ]
    }

    fn expected(&self, i: usize) -> BTreeMap<String, Value> {
        let mut v = BTreeMap::new();
        let name: String = self
            .name
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .nfc()
            .collect();
        v.insert("name".to_owned(), json!(name));
        v.insert("email".to_owned(), json!(self.normalized_email(i)));
        v.insert("issued_on".to_owned(), json!(self.issued.to_string()));
        if let Some(e) = self.expires {
            v.insert("expires_on".to_owned(), json!(e.to_string()));
        }
        v.insert("grade".to_owned(), json!(GRADES[self.grade]));
        let hours = self.hours();
        v.insert(
            "hours".to_owned(),
            if hours.fract() == 0.0 {
                json!(hours as i64)
            } else {
                json!(hours)
            },
        );
        v.insert("cohort_start".to_owned(), json!(self.cohort.to_string()));
        v.insert("employee_id".to_owned(), json!(self.employee_id));
        v
    }
}

fn titles() -> Vec<String> {
    let schema = group().schema().unwrap_or_else(|e| panic!("{e}"));
    schema.template_attributes().map(column_title).collect()
}

fn sheet(people: &[Person]) -> Vec<Vec<Cell>> {
    let mut rows = vec![titles().into_iter().map(Cell::Text).collect::<Vec<_>>()];
    rows.extend(people.iter().enumerate().map(|(i, p)| p.cells(i)));
    rows
}

fn check(bytes: &[u8], file_name: &str, people: &[Person]) -> Result<(), TestCaseError> {
    check_allowing(bytes, file_name, people, &[])
}

fn check_allowing(
    bytes: &[u8],
    file_name: &str,
    people: &[Person],
    allowed: &[Code],
) -> Result<(), TestCaseError> {
    let options = AnalyzeOptions {
        file_name: Some(file_name.to_owned()),
        records: true,
        ..AnalyzeOptions::default()
    };
    let report = analyze(bytes, &group(), &options)
        .map_err(|e| TestCaseError::fail(format!("{file_name}: {e}")))?;
    let unexpected: Vec<_> = report
        .findings
        .iter()
        .filter(|f| !allowed.contains(&f.code))
        .collect();
    prop_assert!(
        unexpected.is_empty(),
        "{file_name}: unexpected findings {:#?}",
        unexpected
    );
    prop_assert_eq!(report.source.header_row, 1);
    for column in &report.columns {
        prop_assert_eq!(
            column.tier,
            conferral::Tier::Exact,
            "{}: column {} matched as {:?}",
            file_name,
            column.header,
            column.tier
        );
    }
    let records = report.records.map(|r| r.to_vec()).unwrap_or_default();
    prop_assert_eq!(records.len(), people.len());
    for (i, (record, person)) in records.iter().zip(people).enumerate() {
        prop_assert_eq!(record.row, i as u64 + 2);
        prop_assert_eq!(
            &record.values,
            &person.expected(i),
            "{} row {}",
            file_name,
            i + 2
        );
    }
    Ok(())
}

fn month_name(d: NaiveDate) -> String {
    const NAMES: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    format!("{} {} {}", d.day(), NAMES[d.month0() as usize], d.year())
}

fn encodings() -> impl Strategy<Value = Encoding> {
    prop_oneof![
        Just(Encoding::Utf8),
        Just(Encoding::Utf8Bom),
        Just(Encoding::Utf16Le),
        Just(Encoding::Utf16Be),
        Just(Encoding::Windows1252)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn csv_in_every_dialect_and_encoding(
        (encoding, people) in encodings().prop_flat_map(|encoding| {
            // Windows-1252 holds only Latin names: the people are made to fit it, so the
            // encoding is really tested rather than swapped for UTF-8.
            let name = name(encoding == Encoding::Windows1252);
            (Just(encoding), prop::collection::vec(person_named(name), 1..25))
        }),
        delimiter in prop::sample::select(vec![b',', b';', b'\t', b'|']),
        crlf in any::<bool>(),
        named_months in any::<bool>(),
    ) {
        let style = CsvStyle { encoding, delimiter, crlf };
        // Dates the way people type them: ISO or with a month name; the cohort start in the
        // group's DD/MM/YYYY.
        let date_text = |column: usize, d: NaiveDate| match column {
            7 => d.format("%d/%m/%Y").to_string(),
            _ if named_months => month_name(d),
            _ => d.to_string(),
        };
        let bytes = conferral_tests::csv(&sheet(&people), style, &date_text).expect("the writer works");
        // A non-UTF-8 file is reported as read with the Windows-1252 fallback.
        let allowed = if style.encoding == Encoding::Windows1252 { vec![Code::EncodingFallback] } else { Vec::new() };
        check_allowing(&bytes, "roster.csv", &people, &allowed)?;
    }

    #[test]
    fn xlsx_from_two_writers(people in prop::collection::vec(person(), 1..25)) {
        let rows = sheet(&people);
        let a = conferral_tests::xlsx_rust_xlsxwriter(&rows).expect("the writer works");
        check(&a, "roster.xlsx", &people)?;
        let b = conferral_tests::xlsx_conferral(&rows).expect("the writer works");
        check(&b, "roster.xlsx", &people)?;
    }

    #[test]
    fn ods(people in prop::collection::vec(person(), 1..25)) {
        let bytes = conferral_tests::ods(&sheet(&people)).expect("the writer works");
        check(&bytes, "roster.ods", &people)?;
    }
}

proptest! {
    // Each case starts a Python process, so fewer cases.
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn xls(people in prop::collection::vec(person(), 1..25)) {
        let bytes = conferral_tests::xls(&sheet(&people)).map_err(TestCaseError::fail)?;
        check(&bytes, "roster.xls", &people)?;
    }
}

#[test]
fn templates_analyse_back_to_their_attributes() -> Result<(), conferral::Error> {
    let group = group();
    for (bytes, name) in [
        (conferral::output::template::csv(&group)?, "t.csv"),
        (conferral::output::template::xlsx(&group)?, "t.xlsx"),
    ] {
        let report = analyze(
            &bytes,
            &group,
            &AnalyzeOptions {
                file_name: Some(name.into()),
                ..AnalyzeOptions::default()
            },
        )?;
        let attrs: Vec<Option<&str>> = report
            .columns
            .iter()
            .map(|c| c.attribute.as_deref())
            .collect();
        assert_eq!(
            attrs,
            [
                "name",
                "email",
                "issued_on",
                "expires_on",
                "credential_id",
                "grade",
                "hours",
                "cohort_start",
                "employee_id"
            ]
            .map(Some)
            .to_vec(),
            "{name}"
        );
        assert_eq!(report.summary.rows, 0, "{name}");
        if name.ends_with("xlsx") {
            assert_eq!(report.source.sheet.as_deref(), Some("Roster"));
        }
    }
    Ok(())
}

/// The `'` that error reports and cleaned records put before a formula-like value reads the
/// same from every format: removed, and named by one finding per column. (Issue 13: CSV
/// dropped it silently while workbooks kept it.)
#[test]
fn a_text_marker_reads_the_same_from_every_format() {
    let group = Group::from_json(
        r#"{"name": "g", "attributes": [{"key": "note", "label": "Note", "type": "text"}]}"#,
    )
    .unwrap();
    let text = |t: &str| Cell::Text(t.to_owned());
    let mut rows = vec![vec![text("Name"), text("Email"), text("Note")]];
    for i in 0..12 {
        let note = ["'=SUM(A1)", "'quoted", "''=x"][i % 3];
        rows.push(vec![
            text(&format!("Person {i}")),
            text(&format!("p{i}@example.org")),
            text(note),
        ]);
    }
    let style = CsvStyle {
        encoding: Encoding::Utf8,
        delimiter: b',',
        crlf: true,
    };
    let tab_utf16 = CsvStyle {
        encoding: Encoding::Utf16Le,
        delimiter: b'\t',
        crlf: false,
    };
    let files = [
        (
            "roster.csv",
            conferral_tests::csv(&rows, style, &|_, d| d.to_string()).unwrap(),
        ),
        (
            "roster.txt",
            conferral_tests::csv(&rows, tab_utf16, &|_, d| d.to_string()).unwrap(),
        ),
        (
            "roster.xlsx",
            conferral_tests::xlsx_rust_xlsxwriter(&rows).unwrap(),
        ),
        (
            "roster.xlsx",
            conferral_tests::xlsx_conferral(&rows).unwrap(),
        ),
        ("roster.ods", conferral_tests::ods(&rows).unwrap()),
    ];
    let read = |name: &str, bytes: &[u8]| {
        let options = AnalyzeOptions {
            file_name: Some(name.to_owned()),
            records: true,
            ..AnalyzeOptions::default()
        };
        analyze(bytes, &group, &options).unwrap()
    };
    let (first_name, first_bytes) = &files[0];
    let csv = read(first_name, first_bytes);
    let notes: Vec<Value> = csv
        .records
        .iter()
        .flat_map(|r| r.to_vec())
        .map(|r| r.values["note"].clone())
        .collect();
    assert_eq!(
        notes[..3],
        [json!("=SUM(A1)"), json!("'quoted"), json!("'=x")],
        "the marker goes, a ' before plain text stays"
    );
    for (name, bytes) in &files {
        let report = read(name, bytes);
        assert_eq!(report.records, csv.records, "{name}: the values");
        assert_eq!(report.findings, csv.findings, "{name}: the findings");
        assert_eq!(report.summary, csv.summary, "{name}: the counts");
    }
    let found: Vec<(Code, Option<&str>, &str)> = csv
        .findings
        .iter()
        .map(|f| (f.code, f.column.as_deref(), f.message.as_str()))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    let (code, column, message) = found[0];
    assert_eq!((code, column), (Code::TextMarkerRemoved, Some("C")));
    assert!(
        message.starts_with("8 cell(s) of Note (C2, C4, C5 and 5 more) start with `'`"),
        "{message}"
    );
}
