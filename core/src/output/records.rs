//! The valid rows of an analysis as a clean CSV: one column per attribute of the group's
//! template (same titles), values normalised (dates `YYYY-MM-DD`, numbers in plain notation,
//! booleans `yes`/`no`). Analysing the file again gives back the same records (text written
//! with the `'` prefix comes back without it, named by a `text_marker_removed` warning).

use std::borrow::Cow;

use crate::error::{Error, ErrorKind, Result};
use crate::group::Group;
use crate::output::csv_sheet;
use crate::output::template::column_title;
use crate::report::{RecordValue, Report};
use crate::sheet::formula::escape_formula;
use crate::values::value_as_cell;

fn cell(value: Option<RecordValue<'_>>) -> Cow<'_, str> {
    match value {
        // Only text can read as a formula: numbers (`-5`) and booleans are written as they are.
        Some(RecordValue::Text(s)) => escape_formula(s),
        Some(other) => match other.to_json() {
            serde_json::Value::String(s) => Cow::Owned(escape_formula(&s).into_owned()),
            json => Cow::Owned(value_as_cell(&json).unwrap_or_default().into_owned()),
        },
        None => Cow::Borrowed(""),
    }
}

/// The report's records as CSV (UTF-8 with a byte order mark, CRLF), in the columns of the
/// group's template.
///
/// # Errors
/// [`ErrorKind::InvalidValue`] when the report has no records (analyse with
/// `records: true`); [`ErrorKind::InvalidGroup`] for an invalid group.
pub fn csv(group: &Group, report: &Report) -> Result<Vec<u8>> {
    let schema = group.schema()?;
    let Some(records) = report.records.as_ref() else {
        return Err(Error::new(
            ErrorKind::InvalidValue,
            "the report holds no records: analyse with records turned on",
        ));
    };
    let attributes: Vec<_> = schema.template_attributes().collect();
    let titles: Vec<Cow<'_, str>> = attributes
        .iter()
        .map(|a| Cow::Owned(column_title(a)))
        .collect();
    let rows = records.iter().map(|record| {
        attributes
            .iter()
            .map(|a| cell(record.get(&a.key)))
            .collect::<Vec<_>>()
    });
    csv_sheet::write(std::iter::once(titles).chain(rows), "the records")
}
