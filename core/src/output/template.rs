//! Roster templates generated from a group: the columns a roster should have.
//!
//! The CSV template is one header row whose titles carry the format in brackets
//! (`Issued On [YYYY-MM-DD]`) and a `*` on required columns; analysis reads those titles
//! back exactly. The XLSX template adds what a workbook can hold: date and text formats,
//! drop-down lists for enums and booleans, a hint on each column, and an Instructions sheet.

use crate::error::Result;
use crate::group::{AttributeSpec, AttributeType, Group, Schema};
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
    // A title a spreadsheet would run as a formula (a label such as `=HYPERLINK(...)`) is
    // written with the quote prefix, as error reports write values.
    let titles: Vec<String> = schema
        .template_attributes()
        .map(|a| crate::sheet::formula::escape_formula(&column_title(a)).into_owned())
        .collect();
    super::csv_sheet::write([titles], "the CSV template")
}

/// A one-row roster for issuing one credential without a spreadsheet: the template's titles
/// of the attributes named in `values` (by key, in the order given) over their values, as a
/// CSV that analysis reads back exactly. An import of it validates the values as it would a
/// roster's row, with the same findings (their cells are this roster's: row 2).
///
/// # Errors
/// [`crate::ErrorKind::InvalidValue`] for a key the group does not have or one given twice;
/// [`crate::ErrorKind::InvalidGroup`] for a group that is not valid.
pub fn one_row(group: &Group, values: &[(String, String)]) -> Result<Vec<u8>> {
    let schema = group.schema()?;
    let mut titles = Vec::with_capacity(values.len());
    let mut row = Vec::with_capacity(values.len());
    for (n, (key, value)) in values.iter().enumerate() {
        let Some(attr) = schema.attribute(key) else {
            let known: Vec<&str> = schema.attributes.iter().map(|a| a.key.as_str()).collect();
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidValue,
                format!(
                    "the group `{}` has no attribute `{key}`; its attributes are {}",
                    schema.name,
                    known.join(", ")
                ),
            ));
        };
        if values.iter().take(n).any(|(k, _)| k == key) {
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidValue,
                format!("`{key}` is given twice; give each attribute once"),
            ));
        }
        titles.push(column_title(attr));
        row.push(value.as_str());
    }
    let mut out = Vec::new();
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(&mut out);
    let written = writer
        .write_record(&titles)
        .and_then(|()| writer.write_record(&row))
        .and_then(|()| writer.flush().map_err(csv::Error::from));
    written.map_err(|e| {
        crate::Error::new(
            crate::ErrorKind::Output,
            "the one-row roster could not be written",
        )
        .with_source(e)
    })?;
    drop(writer);
    Ok(out)
}

/// An XLSX template: a typed roster sheet and an Instructions sheet (and the hidden sheet
/// that holds the drop-down lists' values).
pub fn xlsx(group: &Group) -> Result<Vec<u8>> {
    let schema = group.schema()?;
    xlsx_writer::write(&sheets(&schema))
}

/// The template's sheets: the roster's header with its columns' checks, and the instructions.
fn sheets(schema: &Schema) -> [XlsxSheet; 2] {
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
    [roster, info]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::io::Read;

    use quick_xml::events::Event;

    const TRICKY: [&str; 8] = [
        "Pass, with merit",
        "He said \"no\"",
        "O'Brien's",
        "=1+1",
        "-",
        "@home",
        "a,b,c",
        "plain",
    ];

    fn many() -> Vec<String> {
        (0..300).map(|i| format!("Option {i:03}")).collect()
    }

    fn group() -> crate::Group {
        serde_json::from_value(serde_json::json!({
            "name": "Lists",
            "attributes": [
                {"key": "grade", "label": "Grade", "type": "enum", "values": TRICKY},
                {"key": "track", "label": "Track", "type": "enum", "values": many()},
                {"key": "alumni", "label": "Alumni", "type": "boolean"}
            ]
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The column letter of an attribute in the template.
    fn letter_of(group: &crate::Group, key: &str) -> String {
        let schema = group.schema().unwrap_or_else(|e| panic!("{e}"));
        let index = schema
            .template_attributes()
            .position(|a| a.key == key)
            .unwrap_or_else(|| panic!("no attribute {key}"));
        crate::sheet::column_letter(index)
    }

    /// Every part of a zip, as text, by name.
    fn parts(bytes: &[u8]) -> BTreeMap<String, String> {
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
            .unwrap_or_else(|e| panic!("not a zip: {e}"));
        let names: Vec<String> = zip
            .file_names()
            .map(|n| n.unwrap_or_else(|e| panic!("{e}")).into_owned())
            .collect();
        names
            .into_iter()
            .map(|name| {
                let mut text = String::new();
                zip.by_name(&name)
                    .unwrap_or_else(|e| panic!("{name}: {e}"))
                    .read_to_string(&mut text)
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                (name, text)
            })
            .collect()
    }

    /// An element's attributes, unescaped.
    fn attributes(e: &quick_xml::events::BytesStart<'_>) -> BTreeMap<String, String> {
        e.attributes()
            .map(|a| {
                let a = a.unwrap_or_else(|e| panic!("{e}"));
                let value = a
                    .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                    .unwrap_or_else(|e| panic!("{e}"))
                    .into_owned();
                (a.key.as_ref().to_owned(), value)
            })
            .collect()
    }

    /// The attributes of every element with the given local name, unescaped.
    fn elements(xml: &str, local: &str) -> Vec<BTreeMap<String, String>> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut out = Vec::new();
        loop {
            match reader.read_event() {
                Ok(Event::Start(e) | Event::Empty(e)) if e.local_name().as_ref() == local => {
                    out.push(attributes(&e));
                }
                Ok(Event::Eof) => break,
                Err(e) => panic!("malformed XML: {e}"),
                _ => {}
            }
        }
        out
    }

    /// The text inside each element with the given local name (entities resolved), with the
    /// attributes of the nearest enclosing element named `owner`.
    fn texts(xml: &str, local: &str, owner: &str) -> Vec<(BTreeMap<String, String>, String)> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut out = Vec::new();
        let mut owner_attrs = BTreeMap::new();
        let mut inside: Option<String> = None;
        loop {
            match reader.read_event() {
                Ok(Event::Start(e)) if e.local_name().as_ref() == owner => {
                    owner_attrs = attributes(&e);
                    if owner == local {
                        inside = Some(String::new());
                    }
                }
                Ok(Event::Start(e)) if e.local_name().as_ref() == local => {
                    inside = Some(String::new());
                }
                Ok(Event::Text(t)) => {
                    if let Some(text) = inside.as_mut() {
                        text.push_str(&t.xml10_content());
                    }
                }
                Ok(Event::GeneralRef(r)) => {
                    if let Some(text) = inside.as_mut() {
                        let reference = format!("&{};", &*r);
                        let resolved = quick_xml::escape::unescape(&reference)
                            .unwrap_or_else(|e| panic!("{e}"));
                        text.push_str(&resolved);
                    }
                }
                Ok(Event::End(e)) if e.local_name().as_ref() == local => {
                    if let Some(text) = inside.take() {
                        out.push((owner_attrs.clone(), text));
                    }
                }
                Ok(Event::Eof) => break,
                Err(e) => panic!("malformed XML: {e}"),
                _ => {}
            }
        }
        out
    }

    /// Each sheet of a workbook: its name, whether it is hidden, and its XML.
    fn sheets_of(bytes: &[u8]) -> Vec<(String, bool, String)> {
        let parts = parts(bytes);
        let part = |name: &str| {
            parts
                .get(name)
                .unwrap_or_else(|| panic!("no part {name}"))
                .as_str()
        };
        let targets: BTreeMap<String, String> =
            elements(part("xl/_rels/workbook.xml.rels"), "Relationship")
                .into_iter()
                .map(|r| (r["Id"].clone(), r["Target"].clone()))
                .collect();
        elements(part("xl/workbook.xml"), "sheet")
            .into_iter()
            .map(|s| {
                let target = &targets[&s["r:id"]];
                (
                    s["name"].clone(),
                    s.get("state").is_some_and(|v| v == "hidden"),
                    part(&format!("xl/{target}")).to_owned(),
                )
            })
            .collect()
    }

    /// The values a list validation's formula refers to, read from the sheet it names; a
    /// literal list (`"a,b"`) fails the test.
    fn choices(sheets: &[(String, bool, String)], formula: &str) -> Vec<String> {
        assert!(
            !formula.starts_with('"'),
            "a literal list splits values at commas and is limited to 255 characters: {formula}"
        );
        let (sheet, range) = formula
            .rsplit_once('!')
            .unwrap_or_else(|| panic!("not a reference to another sheet: {formula}"));
        let sheet = match sheet.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')) {
            Some(quoted) => quoted.replace("''", "'"),
            None => sheet.to_owned(),
        };
        let (_, _, xml) = sheets
            .iter()
            .find(|(name, _, _)| *name == sheet)
            .unwrap_or_else(|| panic!("no sheet {sheet}"));
        let corner = |c: &str| {
            let c = c.replace('$', "");
            let split = c.find(|ch: char| ch.is_ascii_digit()).unwrap_or(c.len());
            let (letters, row) = c.split_at(split);
            (
                letters.to_owned(),
                row.parse::<u64>()
                    .unwrap_or_else(|e| panic!("{formula}: {e}")),
            )
        };
        let (from, to) = range
            .split_once(':')
            .unwrap_or_else(|| panic!("not a range: {formula}"));
        let ((column, first), (end_column, last)) = (corner(from), corner(to));
        assert_eq!(column, end_column, "one column: {formula}");
        assert!(
            !xml.contains("<f>") && !xml.contains("<f "),
            "a list value was written as a formula"
        );
        let cells: BTreeMap<String, String> = texts(xml, "t", "c")
            .into_iter()
            .map(|(c, text)| (c["r"].clone(), text))
            .collect();
        (first..=last)
            .map(|row| {
                cells
                    .get(&format!("{column}{row}"))
                    .unwrap_or_else(|| panic!("{column}{row} is empty"))
                    .clone()
            })
            .collect()
    }

    #[test]
    fn each_drop_down_value_is_one_choice_read_from_a_hidden_sheet() {
        let group = group();
        let bytes = super::xlsx(&group).unwrap_or_else(|e| panic!("{e}"));
        let sheets = sheets_of(&bytes);
        let names: Vec<(&str, bool)> = sheets.iter().map(|(n, h, _)| (n.as_str(), *h)).collect();
        assert_eq!(
            names,
            [("Roster", false), ("Instructions", false), ("Lists", true)]
        );
        let validations: BTreeMap<String, String> =
            texts(&sheets[0].2, "formula1", "dataValidation")
                .into_iter()
                .filter(|(v, _)| v.get("type").is_some_and(|t| t == "list"))
                .map(|(v, formula)| (v["sqref"].clone(), formula))
                .collect();
        let formula_of = |key: &str| {
            let letter = letter_of(&group, key);
            validations
                .get(&format!("{letter}2:{letter}5001"))
                .unwrap_or_else(|| panic!("no list on column {letter} ({key}): {validations:?}"))
                .clone()
        };
        assert_eq!(validations.len(), 3, "{validations:?}");
        assert_eq!(formula_of("grade"), "Lists!$A$1:$A$8");
        assert_eq!(formula_of("track"), "Lists!$B$1:$B$300");
        assert_eq!(formula_of("alumni"), "Lists!$C$1:$C$2");
        assert_eq!(choices(&sheets, &formula_of("grade")), TRICKY);
        assert_eq!(choices(&sheets, &formula_of("track")), many());
        assert_eq!(choices(&sheets, &formula_of("alumni")), ["yes", "no"]);
    }

    #[test]
    fn a_filled_template_is_read_from_its_roster_sheet() {
        use crate::output::xlsx_writer::{self, XlsxValue};
        let group = group();
        let schema = group.schema().unwrap_or_else(|e| panic!("{e}"));
        let mut sheets = super::sheets(&schema);
        let rows = [
            [
                ("name", "Ana López"),
                ("email", "ana@example.org"),
                ("grade", "Pass, with merit"),
                ("track", "Option 299"),
                ("alumni", "yes"),
            ],
            [
                ("name", "Bo Chen"),
                ("email", "bo@example.org"),
                ("grade", "=1+1"),
                ("track", "Option 000"),
                ("alumni", "no"),
            ],
        ];
        for row in rows {
            let cells = schema
                .template_attributes()
                .map(|a| {
                    row.iter()
                        .find(|(k, _)| *k == a.key)
                        .map_or(XlsxValue::Empty, |(_, v)| XlsxValue::Text((*v).to_owned()))
                })
                .collect();
            sheets[0].rows.push(cells);
        }
        let bytes = xlsx_writer::write(&sheets).unwrap_or_else(|e| panic!("{e}"));
        let options = crate::AnalyzeOptions {
            records: true,
            ..crate::AnalyzeOptions::default()
        };
        let report = crate::analyze(&bytes, &group, &options).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(report.source.sheet.as_deref(), Some("Roster"));
        let listed: Vec<(&str, bool)> = report
            .source
            .sheets
            .iter()
            .flatten()
            .map(|s| (s.name.as_str(), s.visible))
            .collect();
        assert_eq!(
            listed,
            [("Roster", true), ("Instructions", true), ("Lists", false)]
        );
        assert_eq!(
            (report.summary.rows, report.summary.valid),
            (2, 2),
            "{:?}",
            report.findings
        );
        let records = report.records.map(|r| r.to_vec()).unwrap_or_default();
        let values: Vec<(&serde_json::Value, &serde_json::Value, &serde_json::Value)> = records
            .iter()
            .map(|r| (&r.values["grade"], &r.values["track"], &r.values["alumni"]))
            .collect();
        assert_eq!(
            values,
            [
                (
                    &"Pass, with merit".into(),
                    &"Option 299".into(),
                    &true.into()
                ),
                (&"=1+1".into(), &"Option 000".into(), &false.into()),
            ]
        );
    }

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
