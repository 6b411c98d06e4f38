//! A small XLSX writer for templates and error reports.
//!
//! It writes only what those need (text, numbers, dates and booleans, a bold frozen header,
//! column widths, text-formatted columns, drop-down lists and input hints) and nothing that
//! reads a clock: the same input gives the same bytes on every platform, which keeps Rust,
//! Python and WASM outputs identical. Strings are always written as strings, never as
//! formulas.
//!
//! A drop-down list's values are written one per cell down a column of a hidden sheet,
//! [`LISTS_SHEET`], and the column's data validation refers to that range. A literal list
//! (`"a,b,c"`) would split a value holding a comma into two choices, and Excel refuses one
//! longer than 255 characters.

use std::fmt::Write as _;
use std::io::{Cursor, Write};

use chrono::{Datelike, NaiveDate};

use crate::error::{Error, ErrorKind, Result};

/// A cell value to write.
#[derive(Debug, Clone, PartialEq)]
pub enum XlsxValue {
    /// Nothing.
    Empty,
    /// Text, stored as a string (formula-like text is marked with Excel's quote prefix).
    Text(String),
    /// A number.
    Number(f64),
    /// A date, shown as `yyyy-mm-dd`.
    Date(NaiveDate),
    /// A boolean.
    Bool(bool),
}

/// Checks applied to a column's cells in Excel, with the hint Excel shows on selection.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ColumnSpec {
    /// Width in characters.
    pub width: f64,
    /// Format the column as text (`@`) so Excel keeps leading zeros.
    pub text_format: bool,
    /// Format the column as a date.
    pub date_format: bool,
    /// Allowed values (a drop-down list), each one choice whatever it holds (commas,
    /// quotes, formula-like text); written to the hidden [`LISTS_SHEET`].
    pub list: Vec<String>,
    /// Hint title and text shown when a cell is selected.
    pub hint: Option<(String, String)>,
}

/// One worksheet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct XlsxSheet {
    /// Sheet name (at most 31 characters; `[]:*?/\` are replaced).
    pub name: String,
    /// Rows; the first is the header.
    pub rows: Vec<Vec<XlsxValue>>,
    /// Per-column settings.
    pub columns: Vec<ColumnSpec>,
    /// Rows the checks and formats cover under the header.
    pub input_rows: u32,
}

/// Name of the hidden sheet that holds the drop-down lists' values, one list per column
/// (another name is taken when a sheet already has it).
pub const LISTS_SHEET: &str = "Lists";

const STYLE_DEFAULT: u8 = 0;
const STYLE_HEADER: u8 = 1;
const STYLE_DATE: u8 = 2;
const STYLE_TEXT: u8 = 3;
const STYLE_QUOTED: u8 = 4;

fn output_error(e: impl std::error::Error + Send + Sync + 'static) -> Error {
    Error::new(ErrorKind::Output, "the XLSX file could not be written").with_source(e)
}

/// Writes a workbook with the given sheets, and the hidden [`LISTS_SHEET`] after them when a
/// column has a drop-down list.
pub fn write(sheets: &[XlsxSheet]) -> Result<Vec<u8>> {
    let lists = Lists::of(sheets);
    // Every part's sheet name, XML and visibility, the lists' sheet last.
    let mut parts: Vec<(String, String, bool)> = sheets
        .iter()
        .map(|sheet| (sheet_name(&sheet.name), sheet_xml(sheet, &lists), true))
        .collect();
    if !lists.columns.is_empty() {
        parts.push((lists.sheet.clone(), lists.sheet_xml(), false));
    }
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut add = |name: &str, body: &str| -> Result<()> {
        zip.start_file(name, options).map_err(output_error)?;
        zip.write_all(body.as_bytes()).map_err(output_error)
    };
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    for i in 1..=parts.len() {
        let _ = write!(
            types,
            r#"<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
    }
    types.push_str("</Types>");
    add("[Content_Types].xml", &types)?;
    add(
        "_rels/.rels",
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#,
    )?;
    let mut workbook = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, (name, _, visible)) in parts.iter().enumerate() {
        let n = i + 1;
        let state = if *visible { "" } else { r#" state="hidden""# };
        let _ = write!(
            workbook,
            r#"<sheet name="{}" sheetId="{n}"{state} r:id="rId{n}"/>"#,
            escape(name)
        );
        let _ = write!(
            rels,
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
    }
    workbook.push_str("</sheets></workbook>");
    let _ = write!(
        rels,
        r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
        parts.len() + 1
    );
    add("xl/workbook.xml", &workbook)?;
    add("xl/_rels/workbook.xml.rels", &rels)?;
    add("xl/styles.xml", STYLES)?;
    for (i, (_, xml, _)) in parts.iter().enumerate() {
        add(&format!("xl/worksheets/sheet{}.xml", i + 1), xml)?;
    }
    let cursor = zip.finish().map_err(output_error)?;
    Ok(cursor.into_inner())
}

/// The drop-down lists of a workbook: each distinct list is a column of the hidden sheet,
/// in the order the sheets' columns first use it.
struct Lists<'a> {
    /// The hidden sheet's name.
    sheet: String,
    columns: Vec<&'a [String]>,
}

impl<'a> Lists<'a> {
    fn of(sheets: &'a [XlsxSheet]) -> Lists<'a> {
        let mut columns: Vec<&'a [String]> = Vec::new();
        for spec in sheets.iter().flat_map(|s| &s.columns) {
            if !spec.list.is_empty() && !columns.contains(&spec.list.as_slice()) {
                columns.push(&spec.list);
            }
        }
        // Excel compares sheet names without case.
        let taken = |name: &str| {
            sheets
                .iter()
                .any(|s| sheet_name(&s.name).to_lowercase() == name.to_lowercase())
        };
        let sheet = (1..)
            .map(|n| match n {
                1 => LISTS_SHEET.to_owned(),
                n => format!("{LISTS_SHEET} {n}"),
            })
            .find(|name| !taken(name))
            .unwrap_or_else(|| LISTS_SHEET.to_owned());
        Lists { sheet, columns }
    }

    /// The formula of a list's range, such as `Lists!$A$1:$A$12`.
    fn range(&self, list: &[String]) -> Option<String> {
        let column = self.columns.iter().position(|c| *c == list)?;
        let letter = crate::sheet::column_letter(column);
        Some(format!(
            "{}!${letter}$1:${letter}${}",
            sheet_reference(&self.sheet),
            list.len()
        ))
    }

    /// The hidden sheet: each list down its column, every value a string (never a formula).
    fn sheet_xml(&self) -> String {
        let height = self.columns.iter().map(|c| c.len()).max().unwrap_or(0);
        let mut x = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
        );
        let _ = write!(
            x,
            r#"<dimension ref="A1:{}{}"/><sheetData>"#,
            crate::sheet::column_letter(self.columns.len().saturating_sub(1)),
            height.max(1)
        );
        for r in 0..height {
            let n = r + 1;
            let _ = write!(x, r#"<row r="{n}">"#);
            for (c, list) in self.columns.iter().enumerate() {
                if let Some(value) = list.get(r) {
                    let reference = format!("{}{n}", crate::sheet::column_letter(c));
                    text_cell(&mut x, &reference, text_style(value, STYLE_TEXT), value);
                }
            }
            x.push_str("</row>");
        }
        x.push_str(r#"</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#);
        x
    }
}

/// A sheet name as a formula refers to it: quoted (a `'` doubled inside) unless it is a plain
/// word that cannot be read as a cell reference or a number.
fn sheet_reference(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && !looks_like_a_reference(name);
    if plain {
        name.to_owned()
    } else {
        format!("'{}'", name.replace('\'', "''"))
    }
}

/// Whether a name reads as a cell (`AB12`) or R1C1 (`R1C1`, `R`, `C`) reference, which a
/// formula would take for a cell instead of a sheet.
fn looks_like_a_reference(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    let letters = upper.trim_end_matches(|c: char| c.is_ascii_digit());
    let a1 = !letters.is_empty()
        && letters.len() <= 3
        && letters.len() < upper.len()
        && letters.chars().all(|c| c.is_ascii_alphabetic());
    let r1c1 = upper
        .trim_start_matches('R')
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .trim_start_matches('C')
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .is_empty();
    a1 || r1c1
}

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\-mm\-dd"/></numFmts><fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyNumberFormat="1"/><xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" quotePrefix="1"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"#;

fn sheet_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| if "[]:*?/\\".contains(c) { '_' } else { c })
        .take(31)
        .collect();
    if cleaned.trim().is_empty() {
        "Sheet1".to_owned()
    } else {
        cleaned
    }
}

/// Escapes text for XML, writing characters XML cannot hold (and literal `_xHHHH_`) in
/// Excel's `_xHHHH_` form, which readers turn back into the original characters.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '_' if is_escape_at(text, i) => out.push_str("_x005F_"),
            '\t' | '\n' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                let _ = write!(out, "_x{:04X}_", c as u32);
            }
            c => out.push(c),
        }
        let _ = chars.peek();
    }
    out
}

fn is_escape_at(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    matches!(b.get(i + 1), Some(b'x' | b'X'))
        && b.get(i + 2..i + 6)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
        && b.get(i + 6) == Some(&b'_')
}

/// Excel serial number of a date (1900 date system).
pub fn date_serial(date: NaiveDate) -> f64 {
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
    let days = (date - base).num_days();
    // Excel counts a phantom 29 February 1900.
    if date.year() == 1900 && date.month() <= 2 {
        (days - 1) as f64
    } else {
        days as f64
    }
}

/// The style of a text cell: Excel's quote prefix when it would read as a formula, else the
/// column's.
fn text_style(text: &str, column_style: u8) -> u8 {
    if crate::sheet::formula::formula_like(text) {
        STYLE_QUOTED
    } else {
        column_style
    }
}

/// Writes a string cell (an inline string, which is never a formula).
fn text_cell(x: &mut String, reference: &str, style: u8, text: &str) {
    let _ = write!(
        x,
        r#"<c r="{reference}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
        escape(text)
    );
}

fn sheet_xml(sheet: &XlsxSheet, lists: &Lists<'_>) -> String {
    let mut x = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">"#,
    );
    let width = sheet
        .rows
        .iter()
        .map(Vec::len)
        .max()
        .unwrap_or(0)
        .max(sheet.columns.len());
    let height = sheet.rows.len().max(1);
    if width > 0 {
        let _ = write!(
            x,
            r#"<dimension ref="A1:{}{height}"/>"#,
            crate::sheet::column_letter(width - 1)
        );
    }
    x.push_str(r#"<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>"#);
    if !sheet.columns.is_empty() {
        x.push_str("<cols>");
        for (i, c) in sheet.columns.iter().enumerate() {
            let style = if c.date_format {
                STYLE_DATE
            } else if c.text_format {
                STYLE_TEXT
            } else {
                STYLE_DEFAULT
            };
            let w = if c.width > 0.0 { c.width } else { 12.0 };
            let _ = write!(
                x,
                r#"<col min="{n}" max="{n}" width="{w:.1}" customWidth="1" style="{style}"/>"#,
                n = i + 1
            );
        }
        x.push_str("</cols>");
    }
    x.push_str("<sheetData>");
    for (r, row) in sheet.rows.iter().enumerate() {
        let n = r + 1;
        let _ = write!(x, r#"<row r="{n}">"#);
        for (c, value) in row.iter().enumerate() {
            let reference = format!("{}{n}", crate::sheet::column_letter(c));
            let column_style = sheet.columns.get(c).map_or(STYLE_DEFAULT, |s| {
                if s.text_format {
                    STYLE_TEXT
                } else {
                    STYLE_DEFAULT
                }
            });
            match value {
                XlsxValue::Empty => {}
                XlsxValue::Text(t) => {
                    let style = if r == 0 {
                        STYLE_HEADER
                    } else {
                        text_style(t, column_style)
                    };
                    text_cell(&mut x, &reference, style, t);
                }
                XlsxValue::Number(v) if v.is_finite() => {
                    let _ = write!(x, r#"<c r="{reference}"><v>{v}</v></c>"#);
                }
                XlsxValue::Number(_) => {}
                XlsxValue::Date(d) => {
                    let _ = write!(
                        x,
                        r#"<c r="{reference}" s="{STYLE_DATE}"><v>{}</v></c>"#,
                        date_serial(*d)
                    );
                }
                XlsxValue::Bool(b) => {
                    let _ = write!(x, r#"<c r="{reference}" t="b"><v>{}</v></c>"#, u8::from(*b));
                }
            }
        }
        x.push_str("</row>");
    }
    x.push_str("</sheetData>");
    let validations: Vec<String> = sheet
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.list.is_empty() || c.hint.is_some())
        .map(|(i, c)| {
            let letter = crate::sheet::column_letter(i);
            let range = format!("{letter}2:{letter}{}", sheet.input_rows.max(1) + 1);
            let mut v = String::from("<dataValidation");
            if !c.list.is_empty() {
                v.push_str(r#" type="list" allowBlank="1" showErrorMessage="1""#);
            } else {
                v.push_str(r#" allowBlank="1""#);
            }
            if let Some((title, text)) = &c.hint {
                let title: String = title.chars().take(32).collect();
                let text: String = text.chars().take(255).collect();
                let _ = write!(
                    v,
                    r#" showInputMessage="1" promptTitle="{}" prompt="{}""#,
                    escape(&title),
                    escape(&text)
                );
            }
            let _ = write!(v, r#" sqref="{range}">"#);
            if let Some(range) = lists.range(&c.list) {
                let _ = write!(v, "<formula1>{}</formula1>", escape(&range));
            }
            v.push_str("</dataValidation>");
            v
        })
        .collect();
    if !validations.is_empty() {
        let _ = write!(
            x,
            r#"<dataValidations count="{}">{}</dataValidations>"#,
            validations.len(),
            validations.concat()
        );
    }
    x.push_str(r#"<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>"#);
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_xml_cannot_hold() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(escape("bell\u{7}"), "bell_x0007_");
        assert_eq!(escape("_x0041_"), "_x005F_x0041_");
        assert_eq!(escape("snake_case"), "snake_case");
    }

    #[test]
    fn sheet_names_are_quoted_where_a_formula_needs_it() {
        assert_eq!(sheet_reference("Lists"), "Lists");
        assert_eq!(sheet_reference("Lists 2"), "'Lists 2'");
        assert_eq!(sheet_reference("O'Brien"), "'O''Brien'");
        assert_eq!(sheet_reference("2026"), "'2026'");
        // Names a formula would take for a cell.
        assert_eq!(sheet_reference("AB12"), "'AB12'");
        assert_eq!(sheet_reference("R1C1"), "'R1C1'");
        assert_eq!(sheet_reference("R"), "'R'");
        assert_eq!(sheet_reference("Année"), "'Année'");
    }

    #[test]
    fn the_lists_sheet_takes_a_free_name() {
        let list = ColumnSpec {
            list: vec!["a".to_owned()],
            ..ColumnSpec::default()
        };
        let sheets = [
            XlsxSheet {
                name: "lists".to_owned(),
                columns: vec![list.clone(), list],
                ..XlsxSheet::default()
            },
            XlsxSheet {
                name: "Lists 2".to_owned(),
                ..XlsxSheet::default()
            },
        ];
        let lists = Lists::of(&sheets);
        assert_eq!(lists.sheet, "Lists 3");
        // The same list on two columns is written once.
        assert_eq!(lists.columns.len(), 1);
        assert_eq!(
            lists.range(&["a".to_owned()]).as_deref(),
            Some("'Lists 3'!$A$1:$A$1")
        );
    }

    #[test]
    fn serials_match_excel() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default();
        assert_eq!(date_serial(d(2026, 3, 31)), 46112.0);
        assert_eq!(date_serial(d(1900, 3, 1)), 61.0);
        assert_eq!(date_serial(d(1900, 1, 1)), 1.0);
    }
}
