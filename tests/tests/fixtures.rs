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

/// A group with only the standard attributes (name, email, dates, credential id).
fn standard_group() -> Group {
    Group {
        name: "Standard attributes only".into(),
        attributes: vec![],
        ..Group::default()
    }
}

fn report(path: &Path, group: &Group, mut options: AnalyzeOptions) -> Value {
    let bytes = std::fs::read(path).unwrap();
    options.file_name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    match analyze(&bytes, group, &options) {
        Ok(report) => serde_json::to_value(report).unwrap(),
        Err(e) => json!({"error": {"kind": e.kind().as_str(), "message": e.to_string()}}),
    }
}

/// A roster folder's group and its analysis options (records kept).
fn folder_inputs(dir: &Path) -> (Group, AnalyzeOptions) {
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
    (group, options)
}

#[test]
fn roster_reports() {
    insta::glob!("../fixtures/rosters", "*/roster.*", |path| {
        let dir = path.parent().unwrap();
        let (group, options) = folder_inputs(dir);
        insta::assert_json_snapshot!(report(path, &group, options));
    });
}

#[test]
fn third_party_workbooks() {
    let group = standard_group();
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
    let group = standard_group();
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
    let group = standard_group();
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
    let group = standard_group();
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

/// What a fixture's note promises, written as data beside it (`expect.json` in a roster
/// folder, `<file>.expect.json` beside a third-party workbook) and checked against the
/// analysis here, so a snapshot can never be accepted against its fixture's note.
///
/// Every field is optional: `error` (the kind the file must be refused with), `sheet`,
/// `header_row`, `rows`, `valid`, `invalid`, `columns` (column letter to attribute key, `null`
/// for a column left unmatched), `findings` (each one must match a finding in all the fields
/// it gives: `code`, `severity`, `cell`, `row`, `column`, `attribute`), `absent` (codes that
/// must not appear), `records` (row number to values each record must hold) and `fixes`
/// (each one must match a suggested fix in all the fields it gives: `code`, `column`,
/// `attribute`, `count`, and `cells`, the cells its changes touch, or `rows` for the rows a
/// fix removes, in order).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    note: Option<String>,
    error: Option<String>,
    sheet: Option<String>,
    header_row: Option<u64>,
    rows: Option<u64>,
    valid: Option<u64>,
    invalid: Option<u64>,
    #[serde(default)]
    columns: std::collections::BTreeMap<String, Option<String>>,
    #[serde(default)]
    findings: Vec<serde_json::Map<String, Value>>,
    #[serde(default)]
    absent: Vec<String>,
    #[serde(default)]
    records: std::collections::BTreeMap<String, serde_json::Map<String, Value>>,
    #[serde(default)]
    fixes: Vec<serde_json::Map<String, Value>>,
}

/// A suggested fix as an `expect.json` describes one: its own fields, and the cells (or, for
/// removed rows, the rows) its changes touch.
fn fix_as_expected(fix: &Value) -> serde_json::Map<String, Value> {
    let mut seen = fix.as_object().cloned().unwrap_or_default();
    let changes = fix["changes"].as_array().cloned().unwrap_or_default();
    let cells: Vec<Value> = changes
        .iter()
        .filter_map(|c| c.get("cell"))
        .filter(|c| !c.is_null())
        .cloned()
        .collect();
    let rows: Vec<Value> = changes
        .iter()
        .filter(|c| c["cell"].is_null())
        .map(|c| c["row"].clone())
        .collect();
    seen.insert("cells".to_owned(), Value::Array(cells));
    seen.insert("rows".to_owned(), Value::Array(rows));
    seen
}

fn check_expectations(name: &str, report: &Value, expect: &Expect) -> Vec<String> {
    let mut broken = Vec::new();
    let differs = |what: &str, got: &Value, want: Value| {
        (*got != want).then(|| format!("{name}: {what} is {got}, the note says {want}"))
    };
    if let Some(kind) = &expect.error {
        broken.extend(differs(
            "the error kind",
            &report["error"]["kind"],
            json!(kind),
        ));
        return broken;
    }
    if report.get("error").is_some() {
        return vec![format!(
            "{name}: refused ({}) but the note expects a report",
            report["error"]
        )];
    }
    if let Some(sheet) = &expect.sheet {
        broken.extend(differs(
            "the sheet",
            &report["source"]["sheet"],
            json!(sheet),
        ));
    }
    if let Some(row) = expect.header_row {
        broken.extend(differs(
            "the header row",
            &report["source"]["header_row"],
            json!(row),
        ));
    }
    for (field, want) in [
        ("rows", expect.rows),
        ("valid", expect.valid),
        ("invalid", expect.invalid),
    ] {
        if let Some(want) = want {
            broken.extend(differs(field, &report["summary"][field], json!(want)));
        }
    }
    let columns = report["columns"].as_array().cloned().unwrap_or_default();
    for (letter, attribute) in &expect.columns {
        match columns.iter().find(|c| c["letter"] == json!(letter)) {
            Some(c) => broken.extend(differs(
                &format!("column {letter}'s attribute"),
                &c["attribute"],
                json!(attribute),
            )),
            None => broken.push(format!("{name}: there is no column {letter}")),
        }
    }
    let findings = report["findings"].as_array().cloned().unwrap_or_default();
    for wanted in &expect.findings {
        let found = findings
            .iter()
            .any(|f| wanted.iter().all(|(k, v)| f.get(k) == Some(v)));
        if !found {
            broken.push(format!(
                "{name}: no finding matches {}",
                Value::Object(wanted.clone())
            ));
        }
    }
    let fixes: Vec<_> = report["fixes"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(fix_as_expected)
        .collect();
    for wanted in &expect.fixes {
        if !fixes
            .iter()
            .any(|f| wanted.iter().all(|(k, v)| f.get(k) == Some(v)))
        {
            broken.push(format!(
                "{name}: no suggested fix matches {}",
                Value::Object(wanted.clone())
            ));
        }
    }
    for code in &expect.absent {
        if let Some(f) = findings.iter().find(|f| f["code"] == json!(code)) {
            broken.push(format!("{name}: {code} must not be found, but is: {f}"));
        }
    }
    let records = report["records"].as_array().cloned().unwrap_or_default();
    for (row, values) in &expect.records {
        let row: u64 = row
            .parse()
            .unwrap_or_else(|_| panic!("{name}: record row `{row}`"));
        match records.iter().find(|r| r["row"] == json!(row)) {
            Some(r) => {
                for (key, want) in values {
                    broken.extend(differs(
                        &format!("row {row}'s {key}"),
                        &r["values"][key],
                        want.clone(),
                    ));
                }
            }
            None => broken.push(format!("{name}: row {row} has no record")),
        }
    }
    broken
}

/// The problems found, followed by what the note promises, to read them against.
fn with_note(mut broken: Vec<String>, expect: &Expect) -> Vec<String> {
    if let (false, Some(note)) = (broken.is_empty(), &expect.note) {
        broken.push(format!("  the note: {note}"));
    }
    broken
}

fn read_expect(path: &Path) -> Expect {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_fixture_note_holds() {
    let mut broken = Vec::new();
    let mut checked = 0;
    let rosters = conferral_tests::fixtures().join("rosters");
    let mut folders: Vec<_> = std::fs::read_dir(&rosters)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    folders.sort();
    for dir in folders {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let expect_path = dir.join("expect.json");
        assert!(
            expect_path.exists(),
            "{name} has no expect.json: write down what its README promises"
        );
        let expect = read_expect(&expect_path);
        let roster = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                p.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("roster."))
            })
            .unwrap_or_else(|| panic!("{name} has no roster"));
        let (group, options) = folder_inputs(&dir);
        let found = check_expectations(&name, &report(&roster, &group, options), &expect);
        broken.extend(with_note(found, &expect));
        checked += 1;
    }
    let standard = standard_group();
    let third_party = conferral_tests::fixtures().join("third_party/calamine");
    let mut notes: Vec<_> = std::fs::read_dir(&third_party)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".expect.json"))
        .collect();
    notes.sort();
    for note in notes {
        let file = note
            .to_string_lossy()
            .trim_end_matches(".expect.json")
            .to_owned();
        let name = Path::new(&file)
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let options = AnalyzeOptions {
            records: true,
            ..AnalyzeOptions::default()
        };
        let report = report(Path::new(&file), &standard, options);
        let expect = read_expect(&note);
        broken.extend(with_note(
            check_expectations(&name, &report, &expect),
            &expect,
        ));
        checked += 1;
    }
    assert!(checked >= 40, "only {checked} fixtures have notes to check");
    assert!(
        broken.is_empty(),
        "fixtures that do not read as their notes say:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_expectation_checker_sees_what_is_wrong() {
    let report = json!({
        "source": {"header_row": 2, "sheet": null},
        "summary": {"rows": 3, "valid": 2, "invalid": 1},
        "columns": [{"letter": "A", "attribute": "name"}, {"letter": "B", "attribute": null}],
        "findings": [{"code": "invalid_email", "cell": "B3", "severity": "error"}],
        "records": [{"row": 2, "values": {"name": "Ana"}}],
    });
    let good: Expect = serde_json::from_value(json!({
        "header_row": 2, "rows": 3, "valid": 2, "columns": {"A": "name", "B": null},
        "findings": [{"code": "invalid_email", "cell": "B3"}], "absent": ["ragged_row"],
        "records": {"2": {"name": "Ana"}},
    }))
    .unwrap();
    assert!(check_expectations("t", &report, &good).is_empty());
    let bad: Expect = serde_json::from_value(json!({
        "header_row": 1, "columns": {"B": "email", "C": null},
        "findings": [{"code": "invalid_email", "cell": "B4"}], "absent": ["invalid_email"],
        "records": {"2": {"name": "Bo"}, "3": {"name": "Cy"}},
    }))
    .unwrap();
    assert_eq!(check_expectations("t", &report, &bad).len(), 7);
    let error: Expect = serde_json::from_value(json!({"error": "malformed_file"})).unwrap();
    assert_eq!(check_expectations("t", &report, &error).len(), 1);
    assert!(serde_json::from_value::<Expect>(json!({"header_rows": 1})).is_err());
}

/// A snapshot nothing checks any more (its fixture renamed or gone, its test removed) would
/// sit in the tree looking like coverage: every stored snapshot must still be produced.
#[test]
fn every_stored_snapshot_is_still_checked() {
    let tests = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let mut orphans = Vec::new();
    for entry in std::fs::read_dir(tests.join("snapshots")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".snap.new") || name.ends_with(".pending-snap") {
            orphans.push(format!("{name}: an unreviewed snapshot"));
            continue;
        }
        let Some(stem) = name.strip_suffix(".snap") else {
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        // The header sits between the first two `---` lines.
        let input = text
            .lines()
            .skip(1)
            .take_while(|l| *l != "---")
            .find_map(|l| l.strip_prefix("input_file: "));
        let checked = match input {
            // A glob snapshot: its input file must still exist.
            Some(input) => Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("..")
                .join(input)
                .exists(),
            // A named snapshot `<file>__<test>`: the test must still exist in that file.
            None => stem.split_once("__").is_some_and(|(file, test)| {
                std::fs::read_to_string(tests.join(format!("{file}.rs")))
                    .is_ok_and(|source| source.contains(&format!("fn {test}(")))
            }),
        };
        if !checked {
            orphans.push(format!("{name}: nothing produces it any more"));
        }
    }
    assert!(
        orphans.is_empty(),
        "stale snapshots:\n{}",
        orphans.join("\n")
    );
}
