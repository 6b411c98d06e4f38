//! The report's preview: the first data rows as they read, numbered as findings number them,
//! the same for a CSV and for a workbook, and absent unless asked for.

#![allow(
    clippy::panic,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a test fails by panicking"
)]

use conferral::analysis::MAX_PREVIEW_ROWS;
use conferral::{AnalyzeOptions, Group, analyze};
use conferral_tests::Cell;

fn group() -> Group {
    Group::from_json(r#"{"name": "Bootcamp", "attributes": [{"key": "hours", "type": "number"}]}"#)
        .unwrap()
}

const CSV: &str =
    "Roster export\n\nName,Email,Hours\nAna Lopez,ana@example.org,12\n\n Bo Chen ,bo@,ten\n";

#[test]
fn preview_rows_are_the_first_data_rows_as_they_read() {
    let options = AnalyzeOptions {
        preview: 10,
        ..AnalyzeOptions::default()
    };
    let report = analyze(CSV.as_bytes(), &group(), &options).unwrap();
    let preview = report.preview.unwrap();
    let rows: Vec<u64> = preview.iter().map(|r| r.row).collect();
    assert_eq!(rows, [4, 6]);
    assert_eq!(preview[1].cells, [" Bo Chen ", "bo@", "ten"]);
    // The rows are those the findings point at.
    assert!(report.findings.iter().any(|f| f.row == Some(6)));

    let text = |cells: &[&str]| cells.iter().map(|c| Cell::Text((*c).to_owned())).collect();
    let xlsx = conferral_tests::xlsx_rust_xlsxwriter(&[
        text(&["Name", "Email", "Hours"]),
        vec![
            Cell::Text("Ana Lopez".to_owned()),
            Cell::Text("ana@example.org".to_owned()),
            Cell::Number(12.0),
        ],
        text(&["Bo Chen", "bo@", "ten"]),
    ])
    .unwrap();
    let report = analyze(&xlsx, &group(), &options).unwrap();
    let preview = report.preview.unwrap();
    assert_eq!(preview.iter().map(|r| r.row).collect::<Vec<_>>(), [2, 3]);
    assert_eq!(preview[0].cells, ["Ana Lopez", "ana@example.org", "12"]);
}

#[test]
fn preview_is_absent_by_default_and_capped() {
    let report = analyze(CSV.as_bytes(), &group(), &AnalyzeOptions::default()).unwrap();
    assert!(report.preview.is_none());
    let json = serde_json::to_value(&report).unwrap();
    assert!(json.get("preview").is_none(), "the CLI's JSON is unchanged");

    let mut csv = String::from("Name,Email,Hours\n");
    for i in 0..(MAX_PREVIEW_ROWS + 50) {
        csv.push_str(&format!("P{i},p{i}@example.org,{}\n", i % 9));
    }
    let options = AnalyzeOptions {
        preview: usize::MAX,
        ..AnalyzeOptions::default()
    };
    let report = analyze(csv.as_bytes(), &group(), &options).unwrap();
    assert_eq!(report.preview.unwrap().len(), MAX_PREVIEW_ROWS);
}

#[test]
fn cleaned_records_analyse_back_to_the_same_records() {
    let group = Group::from_json(
        r#"{"name": "Bootcamp", "attributes": [
            {"key": "hours", "label": "Course Hours", "type": "number", "required": true},
            {"key": "alumni", "label": "Alumni", "type": "boolean"},
            {"key": "cohort", "label": "Cohort Start", "type": "date", "date_format": "DD/MM/YYYY"},
            {"key": "note", "label": "Note", "type": "text"}]}"#,
    )
    .unwrap();
    let roster = "Vorname;Nachname;E-Mail;Course Hours;Alumni;Cohort Start;Note;Extra\n\
                  Ana;López;ANA@Example.org;12,5;ja;03/02/2026;=SUM(A1);x\n\
                  Bo;Chen;bo@;ten;no;;;\n\
                  Cy;Diaz;cy@example.org;7;;;\"a, b\";\n";
    let options = AnalyzeOptions {
        records: true,
        ..AnalyzeOptions::default()
    };
    let first = analyze(roster.as_bytes(), &group, &options).unwrap();
    assert_eq!(first.records.as_ref().unwrap().len(), 2);
    let cleaned = conferral::output::records::csv(&group, &first).unwrap();
    let text = String::from_utf8(cleaned[3..].to_vec()).unwrap();
    assert!(text.starts_with("Name *,Email *,Issued On"), "{text}");
    assert!(
        text.contains("'=SUM(A1)"),
        "formulas are neutralised: {text}"
    );
    let second = analyze(&cleaned, &group, &options).unwrap();
    let values = |r: &conferral::Report| {
        r.records
            .as_ref()
            .unwrap()
            .to_vec()
            .into_iter()
            .map(|r| {
                let mut values = r.values.clone();
                // Name parts read from separate columns come out as the one name column.
                values.remove("first_name");
                values.remove("last_name");
                values
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(values(&second), values(&first));
    assert_eq!(second.summary.errors, 0);
    // The escape is removed again, and said so once for its column.
    let marked: Vec<_> = second
        .findings
        .iter()
        .filter(|f| f.code == conferral::Code::TextMarkerRemoved)
        .map(|f| (f.attribute.as_deref(), f.message.contains("(I2)")))
        .collect();
    assert_eq!(marked, [(Some("note"), true)], "{:?}", second.findings);

    let without = analyze(roster.as_bytes(), &group, &AnalyzeOptions::default()).unwrap();
    let e = conferral::output::records::csv(&group, &without).unwrap_err();
    assert_eq!(e.kind(), conferral::ErrorKind::InvalidValue);
}

#[test]
fn an_email_is_previewed_from_a_record_or_from_typed_values() {
    let group = Group::from_json(
        r#"{"name": "Bootcamp", "attributes": [{"key": "hours", "label": "Course Hours", "type": "number"}],
            "email": {"subject": "{{ group.name }}: {{ attributes.hours }} hours",
                      "text": "Hi {{ recipient.name }}, see {{ credential.url }}"}}"#,
    )
    .unwrap();
    let options = AnalyzeOptions {
        records: true,
        ..AnalyzeOptions::default()
    };
    let csv = "Name,Email,Course Hours,Credential ID\nAna López,ana@example.org,\"12,5\",AbC123\n";
    let report = analyze(csv.as_bytes(), &group, &options).unwrap();
    let record = &report.records.unwrap().to_vec()[0].values;
    let base = "https://credentials.example.org/c";
    let shown = conferral::render::preview(&group, record, base).unwrap();
    let email = shown.email.unwrap();
    assert_eq!(email.subject, "Bootcamp: 12.5 hours");
    assert_eq!(
        email.text,
        "Hi Ana López, see https://credentials.example.org/c/AbC123"
    );
    assert_eq!(email.to_email, "ana@example.org");

    let typed: std::collections::BTreeMap<String, serde_json::Value> =
        [("name", "Bo Chen"), ("email", "bo@"), ("hours", "ten")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect();
    let refused = conferral::render::preview(&group, &typed, base).unwrap();
    assert!(refused.email.is_none());
    let codes: Vec<&str> = refused.findings.iter().map(|f| f.code.as_str()).collect();
    assert!(
        codes.contains(&"invalid_email") && codes.contains(&"invalid_number"),
        "{codes:?}"
    );

    let no_id = conferral::render::preview(
        &group,
        &[("name", "Cy"), ("email", "cy@example.org")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
            .collect(),
        base,
    )
    .unwrap();
    assert!(no_id.email.unwrap().text.ends_with("/c/PREVIEW"));
}
