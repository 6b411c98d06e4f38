//! Validating every row against the attributes its columns are matched to.
//!
//! Validation runs row by row with no state shared between rows except what an accumulator
//! collects, so chunks of rows can be validated on several threads and merged in order.
//! Decisions that need the whole column (day-first or month-first) and the whole file
//! (duplicate recipients) are taken when all rows are in.
//!
//! | file | what it owns |
//! | --- | --- |
//! | `plan.rs` | the rule of each matched column and the walk over one row |
//! | `cells.rs` | each attribute type's rule for one cell |
//! | `acc.rs` | what a run of rows collects, and merging runs |
//! | `cross_row.rs` | date order per column, rows waiting on it, values that must not repeat, `'` text markers removed per column |
//! | `fixes.rs` | the cells and rows a suggested fix would change, noticed during the walk, and the fixes made of them at the end |
//! | `record.rs` | one recipient's values outside a roster |

mod acc;
mod cells;
mod cross_row;
mod fixes;
mod plan;
mod record;

pub use crate::sheet::Row;
pub use crate::sheet::formula::{escape_formula, formula_like, unescape_formula};
pub use crate::values::value_as_cell;
pub use crate::values::{date, email, number};

pub(crate) use acc::{Acc, FullLists, Outcome};
pub(crate) use plan::Plan;
pub use record::validate_values;

#[cfg(test)]
mod policy_tests {
    use crate::group::{DuplicatePolicy, Group};
    use crate::{AnalyzeOptions, Severity, analyze};

    fn run(policy: DuplicatePolicy) -> crate::Report {
        let group = Group {
            name: "g".into(),
            duplicates: policy,
            ..Group::default()
        };
        let csv = b"Name,Email,Credential ID\nAna,ana@example.org,C1\nAna L,ANA@example.org,C2\nBo,bo@example.org,C2\n";
        analyze(csv, &group, &AnalyzeOptions::default()).unwrap()
    }

    #[test]
    fn repeated_recipients_follow_the_group_policy_but_ids_never_repeat() {
        let deny = run(DuplicatePolicy::Deny);
        assert_eq!((deny.summary.valid, deny.summary.invalid), (0, 3));
        let allow = run(DuplicatePolicy::Allow);
        assert_eq!((allow.summary.valid, allow.summary.invalid), (1, 2));
        let dup: Vec<_> = allow
            .findings
            .iter()
            .filter(|f| f.code.as_str() == "duplicate_recipient")
            .collect();
        assert_eq!(dup.len(), 2);
        assert!(dup.iter().all(|f| f.severity == Severity::Warning));
        let ids: Vec<_> = allow
            .findings
            .iter()
            .filter(|f| f.code.as_str() == "duplicate_credential_id")
            .map(|f| f.cell.as_deref())
            .collect();
        assert_eq!(ids, vec![Some("C3"), Some("C4")]);
        let replace = run(DuplicatePolicy::Replace);
        assert_eq!(replace.summary.invalid, 3);
    }
}

#[cfg(test)]
mod marker_tests {
    use crate::output::xlsx_writer::{self, XlsxSheet, XlsxValue};
    use crate::{AnalyzeOptions, Code, Group, Severity, analyze};

    /// Rows 2 to 30,001; the Note of a few, far apart, holds the `'` marker.
    fn rows() -> Vec<[String; 3]> {
        let marked = [7, 15_000, 15_001, 22_222, 30_001];
        (2..=30_001u64)
            .map(|row| {
                let note = if marked.contains(&row) {
                    format!("'=A{row}")
                } else {
                    format!("note {row}")
                };
                [format!("Person {row}"), format!("p{row}@example.org"), note]
            })
            .collect()
    }

    fn csv(quoted: bool) -> Vec<u8> {
        let mut text = String::from("Name,Email,Note\n");
        for [name, email, note] in rows() {
            if quoted {
                text.push_str(&format!("\"{name}\",{email},{note}\n"));
            } else {
                text.push_str(&format!("{name},{email},{note}\n"));
            }
        }
        text.into_bytes()
    }

    fn xlsx() -> Vec<u8> {
        let mut sheet_rows = vec![
            ["Name", "Email", "Note"]
                .map(|t| XlsxValue::Text(t.to_owned()))
                .to_vec(),
        ];
        sheet_rows.extend(rows().into_iter().map(|r| r.map(XlsxValue::Text).to_vec()));
        xlsx_writer::write(&[XlsxSheet {
            name: "Roster".to_owned(),
            rows: sheet_rows,
            ..XlsxSheet::default()
        }])
        .unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn one_finding_per_column_names_the_first_marked_cells_on_any_number_of_threads() {
        let group: Group = serde_json::from_value(serde_json::json!({
            "name": "g",
            "attributes": [{"key": "note", "label": "Note", "type": "text"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        for (name, bytes) in [
            ("unquoted csv", csv(false)),
            ("quoted csv", csv(true)),
            ("xlsx", xlsx()),
        ] {
            for threads in [1, 3] {
                let options = AnalyzeOptions {
                    threads,
                    records: true,
                    ..AnalyzeOptions::default()
                };
                let report =
                    analyze(&bytes, &group, &options).unwrap_or_else(|e| panic!("{name}: {e}"));
                let found: Vec<_> = report
                    .findings
                    .iter()
                    .map(|f| (f.code, f.severity, f.column.as_deref(), f.cell.as_deref()))
                    .collect();
                assert_eq!(
                    found,
                    [(Code::TextMarkerRemoved, Severity::Warning, Some("C"), None)],
                    "{name} on {threads} thread(s)"
                );
                let message = &report.findings[0].message;
                assert!(
                    message.starts_with(
                        "5 cell(s) of Note (C7, C15000, C15001 and 2 more) start with `'`"
                    ),
                    "{name} on {threads} thread(s): {message}"
                );
                assert!(message.ends_with("so `'=A7` reads `=A7`"), "{message}");
                let records = report.records.map(|r| r.to_vec()).unwrap_or_default();
                let note = |row: u64| {
                    records
                        .iter()
                        .find(|r| r.row == row)
                        .map(|r| r.values["note"].clone())
                };
                assert_eq!(note(22_222), Some("=A22222".into()), "{name}");
                assert_eq!(note(8), Some("note 8".into()), "{name}");
            }
        }
    }
}
