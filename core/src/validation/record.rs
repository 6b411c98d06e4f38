//! Validating one recipient's values outside a roster (an amendment of a draft, a form),
//! with exactly the rules of an import.

use std::collections::BTreeMap;

use super::cells::preview;
use super::plan::Plan;
use crate::finding::{Code, Finding, Severity};
use crate::group::{Schema, standard};
use crate::limits::Limits;
use crate::matching::ColumnMatch;
use crate::sheet::{Value, column_letter};

/// Validates one recipient's values, written as in roster cells and keyed by attribute, with
/// the rules of an import (an amendment of a draft, a form).
///
/// Returns every finding, without row, column or cell, and the normalised values when no
/// finding is an error. A key the group does not have is an [`Code::UnknownAttribute`] error;
/// a required attribute missing from `values` is a [`Code::MissingRequiredValue`] error.
pub fn validate_values(
    schema: &Schema,
    values: &BTreeMap<String, String>,
) -> (Vec<Finding>, Option<BTreeMap<String, serde_json::Value>>) {
    let mut findings = Vec::new();
    let mut columns = Vec::new();
    let mut row = Vec::new();
    for (key, value) in values {
        if schema.attribute(key).is_none() {
            let keys: Vec<&str> = schema
                .template_attributes()
                .map(|a| a.key.as_str())
                .collect();
            findings.push(
                Finding::error(
                    Code::UnknownAttribute,
                    format!("the group has no attribute `{key}`"),
                )
                .attribute(key.clone())
                .value(preview(value))
                .help(format!(
                    "use one of the group's attribute keys: {}",
                    keys.join(", ")
                )),
            );
            continue;
        }
        columns.push(ColumnMatch {
            index: row.len(),
            letter: column_letter(row.len()),
            header: key.clone(),
            attribute: Some(key.clone()),
            tier: crate::matching::Tier::User,
            score: 1.0,
            alternatives: Vec::new(),
            uncertain: None,
            values_unlike: None,
        });
        row.push(if value.trim().is_empty() {
            Value::Empty
        } else {
            Value::Text(value.clone())
        });
    }
    let name_given = [standard::NAME, standard::FIRST_NAME, standard::LAST_NAME]
        .iter()
        .any(|k| values.contains_key(*k));
    for attr in schema.template_attributes() {
        let given = values.contains_key(&attr.key) || (attr.key == standard::NAME && name_given);
        if attr.required && !given {
            findings.push(
                Finding::error(
                    Code::MissingRequiredValue,
                    format!("{} is required but no value is given", attr.label),
                )
                .attribute(attr.key.clone())
                .help(format!("give a value for `{}`", attr.key)),
            );
        }
    }
    let plan = Plan::new(schema, &columns, row.len(), &Limits::default(), true, false);
    let mut acc = plan.acc();
    plan.validate(1, row.as_slice(), &mut acc);
    let outcome = plan.finish(acc);
    // One recipient's values have no place in a sheet: the findings keep only the attribute.
    findings.extend(outcome.findings.into_iter().map(|f| f.at(None, None)));
    let ok = !findings.iter().any(|f| f.severity == Severity::Error);
    let record = outcome
        .records
        .get(0)
        .filter(|_| ok)
        .map(|r| r.to_record().values);
    (findings, record)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::validate_values;
    use crate::finding::{Code, Severity};
    use crate::group::Group;

    fn group() -> Group {
        Group::from_json(
            r#"{"name": "g", "attributes": [{"key": "hours", "type": "number", "required": true}]}"#,
        )
        .unwrap()
    }

    fn values(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn an_unknown_key_and_a_missing_required_value_are_findings_without_a_place() {
        let schema = group().schema().unwrap();
        let given = values(&[
            ("name", "Ana"),
            ("email", "ana@example.org"),
            ("grade", "A"),
        ]);
        let (findings, record) = validate_values(&schema, &given);
        assert!(record.is_none());
        let seen: Vec<_> = findings
            .iter()
            .map(|f| {
                (
                    f.code,
                    f.severity,
                    f.attribute.as_deref(),
                    f.cell.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                (Code::UnknownAttribute, Severity::Error, Some("grade"), None),
                (
                    Code::MissingRequiredValue,
                    Severity::Error,
                    Some("hours"),
                    None
                ),
            ]
        );
        assert_eq!(findings[0].value.as_deref(), Some("A"));
        assert!(findings[0].help.contains("hours"), "{}", findings[0].help);
    }

    #[test]
    fn valid_values_come_back_normalised() {
        let schema = group().schema().unwrap();
        let given = values(&[
            ("name", " Ana  Lopez "),
            ("email", "Ana@Example.org"),
            ("hours", "12,5"),
        ]);
        let (findings, record) = validate_values(&schema, &given);
        assert!(findings.is_empty(), "{findings:?}");
        let record = record.unwrap();
        assert_eq!(record["name"], "Ana Lopez");
        assert_eq!(record["hours"], 12.5);
    }
}
