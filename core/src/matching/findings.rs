//! Findings about the columns as matched: a required attribute with no column, a name taken
//! from one part, columns left unmatched (and why).

use super::{ColumnMatch, Tier};
use crate::finding::{Code, Finding};
use crate::group::{Schema, standard};

/// The column-level findings of a match: every required attribute without a column (with the
/// column that may be it), a name built from a first- or last-name column alone, and each
/// column that is not matched, uncertain ones with the reason.
pub fn column_findings(schema: &Schema, columns: &[ColumnMatch]) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mapped = |key: &str| columns.iter().any(|c| c.attribute.as_deref() == Some(key));
    for attr in schema.attributes.iter().filter(|a| a.required) {
        if mapped(&attr.key) {
            continue;
        }
        if attr.key == standard::NAME
            && (mapped(standard::FIRST_NAME) || mapped(standard::LAST_NAME))
        {
            continue;
        }
        let suggestion = columns.iter().filter(|c| c.attribute.is_none()).find(|c| {
            c.alternatives
                .first()
                .is_some_and(|a| a.attribute == attr.key)
        });
        let help = match suggestion {
            Some(c) => format!(
                "column {} (`{}`) may be it: confirm it in the mapping, or add a column titled `{}`",
                c.letter, c.header, attr.label
            ),
            None => format!(
                "add a column titled `{}`, or map an existing column to `{}`",
                attr.label, attr.key
            ),
        };
        let message = format!(
            "no column is matched to the required attribute {} (`{}`)",
            attr.label, attr.key
        );
        findings.push(
            Finding::error(Code::UnmappedRequiredAttribute, message)
                .attribute(attr.key.clone())
                .help(help),
        );
    }
    let single_part =
        !mapped(standard::NAME) && (mapped(standard::FIRST_NAME) != mapped(standard::LAST_NAME));
    if single_part
        && let Some(c) = columns.iter().find(|c| {
            matches!(
                c.attribute.as_deref(),
                Some(standard::FIRST_NAME | standard::LAST_NAME)
            )
        })
    {
        let message = format!(
            "the recipient's name will be taken from column {} (`{}`) alone",
            c.letter, c.header
        );
        findings.push(
            Finding::warning(Code::NameFromSinglePart, message)
                .at_column(&c.letter)
                .attribute(standard::NAME)
                .help(
                    "map the other name column too, or a full-name column, if the roster has one",
                ),
        );
    }
    for c in columns {
        if let (Some(attribute), Some(what)) = (&c.attribute, &c.values_unlike) {
            let message = format!(
                "column {} (`{}`) is matched to `{attribute}` by its header, but {what}",
                c.letter, c.header
            );
            findings.push(
                Finding::warning(Code::ColumnTypeMismatch, message)
                    .at_column(&c.letter)
                    .attribute(attribute.clone())
                    .help("check that the column holds what its header says; each value that is not valid is reported at its cell"),
            );
        }
    }
    for c in columns
        .iter()
        .filter(|c| c.attribute.is_none() && c.tier != Tier::User)
    {
        let name = if c.header.is_empty() {
            format!("column {}", c.letter)
        } else {
            format!("column {} (`{}`)", c.letter, c.header)
        };
        let (code, message, help) = match &c.uncertain {
            Some(reason) => (
                Code::UncertainMapping,
                format!("{name} is not matched: {reason}"),
                c.alternatives.first().map_or_else(
                    || "assign it in the mapping, or skip it".to_owned(),
                    |a| format!("confirm it as `{}` in the mapping, or skip it", a.attribute),
                ),
            ),
            None => (
                Code::UnmappedColumn,
                format!("{name} is not matched to any attribute and will be ignored"),
                "assign it in the mapping if it should be kept, or skip it to silence this warning"
                    .to_owned(),
            ),
        };
        findings.push(
            Finding::warning(code, message)
                .at_column(&c.letter)
                .help(help),
        );
    }
    findings
}
