//! Roster templates generated from a group: the columns a roster should have.
//!
//! The CSV template is one header row whose titles carry the format in brackets
//! (`Issued On [YYYY-MM-DD]`) and a `*` on required columns; analysis reads those titles
//! back exactly. The XLSX template adds what a workbook can hold: date and text formats,
//! drop-down lists for enums and booleans, a hint on each column, and an Instructions sheet.

use crate::error::Result;
use crate::group::{AttributeSpec, AttributeType, Group};
use crate::output::xlsx_writer::{self, ColumnSpec, XlsxSheet, XlsxValue};

/// Rows of the XLSX template that carry formats, lists and hints.
const INPUT_ROWS: u32 = 5_000;

fn format_hint(attr: &AttributeSpec) -> Option<String> {
    match attr.kind {
        AttributeType::Date => Some(
            attr.date_format
                .map_or_else(|| "YYYY-MM-DD".to_owned(), |f| f.pattern()),
        ),
        AttributeType::Enum => Some(attr.values.join(" / ")),
        AttributeType::Number => Some("number".to_owned()),
        AttributeType::Integer => Some("whole number".to_owned()),
        AttributeType::Boolean => Some("yes / no".to_owned()),
        AttributeType::Url => Some("https://…".to_owned()),
        AttributeType::Email | AttributeType::Text => None,
    }
}

/// The column title of an attribute in templates.
pub fn column_title(attr: &AttributeSpec) -> String {
    let mut title = attr.label.clone();
    if attr.required {
        title.push_str(" *");
    }
    if let Some(hint) = format_hint(attr) {
        title.push_str(&format!(" [{hint}]"));
    }
    title
}

/// A CSV template: UTF-8 with a byte order mark (so Excel shows accents), one header row.
pub fn csv(group: &Group) -> Result<Vec<u8>> {
    let schema = group.schema()?;
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(&mut out);
    // A title a spreadsheet would run as a formula (a label such as `=HYPERLINK(...)`) is
    // written with the quote prefix, as error reports write values.
    let titles: Vec<String> = schema
        .template_attributes()
        .map(|a| crate::sheet::formula::escape_formula(&column_title(a)).into_owned())
        .collect();
    writer.write_record(&titles).map_err(|e| {
        crate::Error::new(
            crate::ErrorKind::Output,
            "the CSV template could not be written",
        )
        .with_source(e)
    })?;
    drop(writer);
    Ok(out)
}

/// An XLSX template: a typed roster sheet and an Instructions sheet.
pub fn xlsx(group: &Group) -> Result<Vec<u8>> {
    let schema = group.schema()?;
    let attrs: Vec<&AttributeSpec> = schema.template_attributes().collect();
    let header: Vec<XlsxValue> = attrs
        .iter()
        .map(|a| XlsxValue::Text(column_title(a)))
        .collect();
    let columns: Vec<ColumnSpec> = attrs
        .iter()
        .map(|a| {
            let title = column_title(a);
            let mut hint = a.hint.clone().unwrap_or_default();
            if let Some(f) = format_hint(a) {
                if !hint.is_empty() {
                    hint.push_str(". ");
                }
                hint.push_str(&format!("Format: {f}"));
            }
            if a.required {
                hint.push_str(if hint.is_empty() {
                    "Required"
                } else {
                    ". Required"
                });
            }
            ColumnSpec {
                width: (title.chars().count() as f64 + 4.0).clamp(12.0, 48.0),
                text_format: matches!(
                    a.kind,
                    AttributeType::Text | AttributeType::Email | AttributeType::Url
                ),
                date_format: a.kind == AttributeType::Date,
                list: match a.kind {
                    AttributeType::Enum => a.values.clone(),
                    AttributeType::Boolean => vec!["yes".to_owned(), "no".to_owned()],
                    _ => Vec::new(),
                },
                hint: (!hint.is_empty()).then(|| (a.label.clone(), hint)),
            }
        })
        .collect();
    let roster = XlsxSheet {
        name: "Roster".to_owned(),
        rows: vec![header],
        columns,
        input_rows: INPUT_ROWS,
    };
    let mut instructions = vec![
        [
            "Column",
            "Attribute",
            "Type",
            "Required",
            "Format or values",
            "Hint",
        ]
        .map(|s| XlsxValue::Text(s.to_owned()))
        .to_vec(),
    ];
    for a in &attrs {
        instructions.push(vec![
            XlsxValue::Text(column_title(a)),
            XlsxValue::Text(a.key.clone()),
            XlsxValue::Text(a.kind.as_str().to_owned()),
            XlsxValue::Text(if a.required { "yes" } else { "no" }.to_owned()),
            XlsxValue::Text(format_hint(a).unwrap_or_default()),
            XlsxValue::Text(a.hint.clone().unwrap_or_default()),
        ]);
    }
    instructions.push(vec![XlsxValue::Text(
        "One row per recipient. Instead of Name you may use two columns, First Name and Last Name."
            .to_owned(),
    )]);
    let widths = [36.0, 16.0, 10.0, 10.0, 28.0, 60.0];
    let info = XlsxSheet {
        name: "Instructions".to_owned(),
        rows: instructions,
        columns: widths
            .iter()
            .map(|&w| ColumnSpec {
                width: w,
                ..ColumnSpec::default()
            })
            .collect(),
        input_rows: 0,
    };
    xlsx_writer::write(&[roster, info])
}

#[cfg(test)]
mod tests {
    #[test]
    fn formula_like_titles_are_quoted_and_still_match() {
        let group: crate::Group = serde_json::from_value(serde_json::json!({
            "name": "Formulas",
            "attributes": [{"key": "cost", "label": "=HYPERLINK(\"x\")", "type": "text"}]
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let bytes = super::csv(&group).unwrap_or_else(|e| panic!("{e}"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains(",\"'=HYPERLINK(\"\"x\"\")\""), "{text}");
        // The quoted title still reads back as the attribute.
        let filled = format!("{}\r\nAna,ana@example.org,,,12\r\n", text.trim_end());
        let report = crate::analyze(filled.as_bytes(), &group, &crate::AnalyzeOptions::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let cost = report
            .columns
            .iter()
            .find(|c| c.header.contains("HYPERLINK"))
            .and_then(|c| c.attribute.as_deref());
        assert_eq!(cost, Some("cost"), "{:?}", report.columns);
    }
}
