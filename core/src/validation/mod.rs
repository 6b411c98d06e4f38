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
//! | `cross_row.rs` | date order per column, rows waiting on it, values that must not repeat |
//! | `record.rs` | one recipient's values outside a roster |

mod acc;
mod cells;
mod cross_row;
mod plan;
mod record;

pub use crate::sheet::Row;
pub use crate::sheet::formula::{escape_formula, formula_like, unescape_formula};
pub use crate::values::value_as_cell;
pub use crate::values::{date, email, number};

pub(crate) use acc::{Acc, Outcome};
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
