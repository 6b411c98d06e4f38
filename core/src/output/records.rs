//! The valid rows of an analysis as a clean CSV: one column per attribute of the group's
//! template (same titles), values normalised (dates `YYYY-MM-DD`, numbers in plain notation,
//! booleans `yes`/`no`). Analysing the file again gives back the same records (text written
//! with the `'` prefix comes back without it, named by a `text_marker_removed` warning).

use std::borrow::Cow;

use crate::error::{Error, ErrorKind, Result};
use crate::group::Group;
use crate::output::template::column_title;
use crate::report::Report;
use crate::sheet::formula::escape_formula;
use crate::values::value_as_cell;

fn output_error(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(ErrorKind::Output, "the records could not be written").with_source(e)
}

fn cell(value: Option<&serde_json::Value>) -> Cow<'_, str> {
    match value {
        // Only text can read as a formula: numbers (`-5`) and booleans are written as they are.
        Some(serde_json::Value::String(s)) => escape_formula(s),
        Some(other) => value_as_cell(other).unwrap_or_default(),
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
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::CRLF)
            .from_writer(&mut out);
        let titles: Vec<String> = attributes.iter().map(|a| column_title(a)).collect();
        writer.write_record(&titles).map_err(output_error)?;
        for record in records {
            let fields: Vec<Cow<'_, str>> = attributes
                .iter()
                .map(|a| cell(record.values.get(&a.key)))
                .collect();
            writer
                .write_record(fields.iter().map(|f| f.as_bytes()))
                .map_err(output_error)?;
        }
        writer.flush().map_err(output_error)?;
    }
    Ok(out)
}
