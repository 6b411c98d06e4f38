//! conferral for JavaScript: the core's analysis, templates, error reports, cleaned records
//! and email previews, compiled to WebAssembly. Browsers get the `web` build, Node.js the
//! `nodejs` build; both come from this crate through `wasm-bindgen`.
//!
//! Nothing here decides anything: each function converts its arguments (in
//! [`convert`]), calls the core, and tags the result. A report is the JSON the CLI prints.

mod convert;
mod records;

use conferral::output::OutputFormat;
use conferral::{AnalyzeOptions, Group, Mapping, Report};
use convert::{Options, failure_of, failure_of_findings, file, misuse, success, to_js};
use wasm_bindgen::prelude::*;

pub use records::Records;

// The result shape (`Problem`, `Failure`) is shared with the credentials package.
#[wasm_bindgen(typescript_custom_section)]
const RESULTS: &str = include_str!("results.d.ts");

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &str = include_str!("types.d.ts");

/// The package's version (the crates' version).
#[wasm_bindgen]
pub fn version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Runs `f` with the group given as an object or JSON text, or returns the group's failure.
fn with_group(
    value: &JsValue,
    f: impl FnOnce(Group) -> Result<JsValue, JsValue>,
) -> Result<JsValue, JsValue> {
    match Group::from_json(&convert::json_text(value, "group")?) {
        Ok(group) => f(group),
        Err(e) => failure_of(&e),
    }
}

fn format_of(value: &JsValue, what: &str) -> Result<OutputFormat, JsValue> {
    match convert::optional_string(value, what)? {
        None => Ok(OutputFormat::Csv),
        Some(name) => OutputFormat::from_name(&name)
            .ok_or_else(|| misuse(format!("{what} is \"csv\" or \"xlsx\", not \"{name}\""))),
    }
}

/// Analyses a roster: reads it (CSV in any common dialect and encoding, XLSX, XLSM, XLS,
/// XLSB, ODS), finds the sheet and header row, matches columns and validates every row.
///
/// `options`: `sheet`, `headerRow` (1-based), `mapping` (`{columns: [{column, attribute}]}`
/// to confirm, reassign or skip columns), `records` (the valid rows' values: `true`, the
/// default, in `report.records`; `"handle"`, as [`Records`] in the result's `records`, held
/// in WebAssembly memory, the report without them; `false`, none),
/// `preview` (how many first data rows to return as they read, for a grid), `progress`
/// (called with `{stage, rows, bytes, totalBytes}`; throwing from it stops the analysis and
/// the exception is rethrown), `rows` (also return every data row as it reads, as [`Rows`],
/// for a grid to page through; the file is read once for both).
#[wasm_bindgen(unchecked_return_type = "AnalyzeResult")]
pub fn analyze(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: JsValue,
    #[wasm_bindgen(
        js_name = "fileName",
        unchecked_param_type = "string | null | undefined"
    )]
    file_name: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Group | string")] group: JsValue,
    #[wasm_bindgen(unchecked_param_type = "AnalyzeOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let data = convert::bytes(&bytes, "bytes")?;
    let file_name = convert::optional_string(&file_name, "fileName")?;
    let options = Options::new(
        &options,
        &[
            "sheet",
            "headerRow",
            "mapping",
            "records",
            "preview",
            "progress",
            "rows",
        ],
    )?;
    let keep_rows = options.boolean("rows", false)?;
    let records = records_mode(&options)?;
    let analyze_options = match reading(file_name, &options)? {
        Ok(reading) => AnalyzeOptions {
            records: records != RecordsMode::Off,
            preview: options
                .count("preview", conferral::analysis::MAX_PREVIEW_ROWS as u64)?
                .unwrap_or(0) as usize,
            ..reading
        },
        Err(failure) => return Ok(failure),
    };
    let progress = options.function("progress")?;
    with_group(&group, |group| {
        if keep_rows {
            // The roster as read is what `fix` reads alongside the analysis, with no fix applied.
            let out = with_progress(progress.as_ref(), |report_progress| {
                conferral::fix_cancellable(&data, &group, &analyze_options, &[], report_progress)
            })?;
            return match out {
                Ok(fixed) => {
                    let mut fields = report_fields(fixed.report, records)?;
                    fields.push(("rows", Rows(fixed.roster.rows).into()));
                    success(&fields)
                }
                Err(e) => failure_of(&e),
            };
        }
        let out = with_progress(progress.as_ref(), |report_progress| {
            conferral::analyze_cancellable(&data, &group, &analyze_options, report_progress)
        })?;
        match out {
            Ok(report) => success(&report_fields(report, records)?),
            Err(e) => failure_of(&e),
        }
    })
}

/// Where an analysis's records go: the option `records`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RecordsMode {
    Off,
    /// In the report, as the CLI's JSON has them.
    Inline,
    /// Beside the report, as a [`Records`] handle.
    Handle,
}

fn records_mode(options: &Options) -> Result<RecordsMode, JsValue> {
    let value = options.get("records");
    if value.as_string().as_deref() == Some("handle") {
        return Ok(RecordsMode::Handle);
    }
    if value.is_undefined() || value.is_null() || value.as_bool().is_some() {
        return Ok(match options.boolean("records", true)? {
            true => RecordsMode::Inline,
            false => RecordsMode::Off,
        });
    }
    Err(misuse(format!(
        "records is true, false or \"handle\", not {}",
        convert::shown(&value, "records")
    )))
}

/// The result's `report`, and with records as a handle, `records`.
fn report_fields(
    mut report: Report,
    records: RecordsMode,
) -> Result<Vec<(&'static str, JsValue)>, JsValue> {
    if records != RecordsMode::Handle {
        return Ok(vec![("report", to_js(&report)?)]);
    }
    let kept = report.records.take().unwrap_or_default();
    Ok(vec![
        ("report", to_js(&report)?),
        ("records", Records::new(kept).into()),
    ])
}

/// Every data row of an analysed roster, each cell as it reads (as `report.preview` gives the
/// first ones), held in WebAssembly memory so that a page asks for the rows it shows. Call
/// `free()` when done with it.
#[wasm_bindgen]
pub struct Rows(Vec<conferral::fixes::RosterRow>);

#[wasm_bindgen]
impl Rows {
    /// How many data rows there are.
    #[wasm_bindgen(getter)]
    pub fn length(&self) -> usize {
        self.0.len()
    }

    /// The 0-based index of the data row that is row `row` of the sheet, if there is one.
    #[wasm_bindgen(js_name = "indexOf")]
    pub fn index_of(&self, row: f64) -> Option<usize> {
        // Rows are in sheet order.
        self.0
            .binary_search_by(|r| (r.row as f64).total_cmp(&row))
            .ok()
    }

    /// The data rows from the 0-based `start`, at most `count` of them, as `{row, cells}`.
    #[wasm_bindgen(unchecked_return_type = "PreviewRow[]")]
    pub fn slice(&self, start: usize, count: usize) -> Result<JsValue, JsValue> {
        let rows = self.0.get(start..).unwrap_or_default();
        to_js(rows.get(..count).unwrap_or(rows))
    }
}

/// How to read a roster, from the options `analyze` and `applyFixes` share: `sheet`,
/// `headerRow`, `mapping` (a mapping that is not valid is the caller's failure, returned as
/// `Err`).
fn reading(
    file_name: Option<String>,
    options: &Options,
) -> Result<Result<AnalyzeOptions, JsValue>, JsValue> {
    let mapping = options.get("mapping");
    let mapping = if mapping.is_undefined() || mapping.is_null() {
        None
    } else {
        match Mapping::from_json(&convert::json_text(&mapping, "mapping")?) {
            Ok(m) => Some(m),
            Err(e) => return Ok(Err(failure_of(&e)?)),
        }
    };
    Ok(Ok(AnalyzeOptions {
        file_name: file_name.map(|n| n.rsplit(['/', '\\']).next().unwrap_or(&n).to_owned()),
        sheet: options.string("sheet")?,
        header_row: options.count("headerRow", u32::MAX.into())?,
        mapping,
        threads: 1,
        ..AnalyzeOptions::default()
    }))
}

/// Runs `work` with a progress callback that calls `progress` (if given) with `{stage, rows,
/// bytes, totalBytes}`; an exception thrown from it stops the work and is rethrown.
fn with_progress<T>(
    progress: Option<&js_sys::Function>,
    work: impl FnOnce(&mut dyn FnMut(conferral::Progress) -> bool) -> T,
) -> Result<T, JsValue> {
    let mut thrown = None;
    let mut report_progress = |p: conferral::Progress| {
        let (Some(callback), None) = (progress, thrown.as_ref()) else {
            return thrown.is_none();
        };
        let called = to_js(&serde_json::json!({
            "stage": p.stage,
            "rows": p.rows,
            "bytes": p.bytes,
            "totalBytes": p.total_bytes,
        }))
        .and_then(|event| callback.call1(&JsValue::NULL, &event));
        if let Err(e) = called {
            thrown = Some(e);
        }
        thrown.is_none()
    };
    let out = work(&mut report_progress);
    match thrown {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

/// Analyses a roster and applies the suggested fixes named in `codes` (`"all"` for every
/// one), every change of each: the corrected roster as a file (`"csv"` by default, or
/// `"xlsx"`), the same bytes as the CLI's `analyze --fix CODE,... --output FILE`, with the
/// analysis of the roster as given (`report`, whose `fixes` say what was applied).
///
/// `options`: `sheet`, `headerRow`, `mapping` and `progress` as for `analyze`, `format`, and
/// `edits`, cells written anew by a person (`[{row, column, text}]`, the row and column of
/// the roster as given), made after the fixes ([`conferral::fixes::edit`]).
///
/// Besides the file and the report, the result says what changed: `changes`, each listed
/// change of the chosen fixes (`by` its code) and then each edit that changed a cell (`by`
/// `"edit"`), in the roster as given's rows; `sourceRows`, for each data row of the file in
/// order (its rows 2, 3, …), its row in the roster as given; and `leftOut`, the rows edited
/// that a chosen fix removed. An unknown code or an edit outside the roster is a failure with
/// the code `invalid_value`.
#[wasm_bindgen(js_name = "applyFixes", unchecked_return_type = "ApplyFixesResult")]
pub fn apply_fixes(
    #[wasm_bindgen(unchecked_param_type = "Uint8Array | ArrayBuffer")] bytes: JsValue,
    #[wasm_bindgen(
        js_name = "fileName",
        unchecked_param_type = "string | null | undefined"
    )]
    file_name: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Group | string")] group: JsValue,
    #[wasm_bindgen(unchecked_param_type = "FixCode[] | \"all\"")] codes: JsValue,
    #[wasm_bindgen(unchecked_param_type = "ApplyFixesOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let data = convert::bytes(&bytes, "bytes")?;
    let file_name = convert::optional_string(&file_name, "fileName")?;
    let names = convert::strings(&codes, "codes")?;
    let options = Options::new(
        &options,
        &[
            "sheet",
            "headerRow",
            "mapping",
            "format",
            "progress",
            "edits",
        ],
    )?;
    let format = format_of(&options.get("format"), "format")?;
    let edits_given = options.get("edits");
    let edits: Vec<conferral::fixes::CellEdit> =
        if edits_given.is_undefined() || edits_given.is_null() {
            Vec::new()
        } else {
            convert::from_js(&edits_given, "edits")?
        };
    let stem = file_name
        .as_deref()
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map_or("roster", |n| n.rsplit_once('.').map_or(n, |(stem, _)| stem))
        .to_owned();
    let analyze_options = match reading(file_name, &options)? {
        Ok(reading) => reading,
        Err(failure) => return Ok(failure),
    };
    let codes = match conferral::FixCode::parse_names(&names) {
        Ok(codes) => codes,
        Err(e) => return failure_of(&e),
    };
    let progress = options.function("progress")?;
    with_group(&group, |group| {
        let out = with_progress(progress.as_ref(), |report_progress| {
            conferral::fix_cancellable(&data, &group, &analyze_options, &codes, report_progress)
        })?;
        let fixed = match out {
            Ok(fixed) => fixed,
            Err(e) => return failure_of(&e),
        };
        let edited = match conferral::fixes::edit(&fixed.roster, &edits) {
            Ok(edited) => edited,
            Err(e) => return failure_of(&e),
        };
        let changes = changes_made(&fixed.report, &codes, &edited.changes);
        let source_rows: Vec<f64> = edited.roster.rows.iter().map(|r| r.row as f64).collect();
        match format.roster(&edited.roster) {
            Ok(bytes) => success(&[
                ("bytes", js_sys::Uint8Array::from(bytes.as_slice()).into()),
                (
                    "fileName",
                    format!("{stem}-fixed.{}", format.as_str()).into(),
                ),
                ("mimeType", format.media_type().into()),
                ("report", to_js(&fixed.report)?),
                ("changes", to_js(&changes)?),
                (
                    "sourceRows",
                    js_sys::Float64Array::from(source_rows.as_slice()).into(),
                ),
                ("leftOut", to_js(&edited.left_out)?),
            ]),
            Err(e) => failure_of(&e),
        }
    })
}

/// A change made to the roster and what made it: a fix's code, or `"edit"`.
#[derive(serde::Serialize)]
struct ChangeMade<'a> {
    by: &'a str,
    #[serde(flatten)]
    change: &'a conferral::FixChange,
}

/// The listed changes of the fixes whose code is chosen, then the edits'.
fn changes_made<'a>(
    report: &'a Report,
    codes: &[conferral::FixCode],
    edits: &'a [conferral::FixChange],
) -> Vec<ChangeMade<'a>> {
    let fixed = report
        .fixes
        .iter()
        .filter(|f| codes.contains(&f.code))
        .flat_map(|f| {
            f.changes.iter().map(|change| ChangeMade {
                by: f.code.as_str(),
                change,
            })
        });
    let edited = edits.iter().map(|change| ChangeMade { by: "edit", change });
    fixed.chain(edited).collect()
}

/// A roster template for the group: `"csv"` (UTF-8 with a byte order mark) or `"xlsx"` (a
/// typed roster sheet and an Instructions sheet).
#[wasm_bindgen(unchecked_return_type = "FileResult")]
pub fn template(
    #[wasm_bindgen(unchecked_param_type = "Group | string")] group: JsValue,
    #[wasm_bindgen(unchecked_param_type = "\"csv\" | \"xlsx\" | undefined")] format: JsValue,
) -> Result<JsValue, JsValue> {
    let format = format_of(&format, "format")?;
    with_group(&group, |group| {
        let name = format!("{}-template.{}", group.key(), format.as_str());
        match format.template(&group) {
            Ok(bytes) => file(&bytes, &name, format.media_type()),
            Err(e) => failure_of(&e),
        }
    })
}

pub(crate) fn report_of(value: &JsValue) -> Result<Report, JsValue> {
    convert::from_js(value, "report")
}

/// The report's findings as a file to send back to whoever filled the roster: `"csv"` or
/// `"xlsx"`, formulas neutralised.
#[wasm_bindgen(js_name = "errorReport", unchecked_return_type = "FileResult")]
pub fn error_report(
    #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
    #[wasm_bindgen(unchecked_param_type = "\"csv\" | \"xlsx\" | undefined")] format: JsValue,
) -> Result<JsValue, JsValue> {
    let format = format_of(&format, "format")?;
    let report = report_of(&report)?;
    match format.error_report(&report) {
        Ok(bytes) => file(
            &bytes,
            &format!("error-report.{}", format.as_str()),
            format.media_type(),
        ),
        Err(e) => failure_of(&e),
    }
}

/// The valid rows of a report (analysed with `records`) as a clean CSV in the columns of the
/// group's template; analysing it again gives the same records. With `records: "handle"`,
/// pass the result's `records` too (the report has none of its own): the same bytes.
#[wasm_bindgen(js_name = "recordsCsv", unchecked_return_type = "FileResult")]
pub fn records_csv(
    #[wasm_bindgen(unchecked_param_type = "Group | string")] group: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Report")] report: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Records | undefined")] records: JsValue,
) -> Result<JsValue, JsValue> {
    if !(records.is_undefined() || records.is_null()) {
        // Through the handle's own method: a function cannot borrow an optional handle.
        return records::csv_through(&records, &group, &report);
    }
    records_csv_of(&group, &report_of(&report)?)
}

/// The clean CSV of `report`'s records for `group`.
pub(crate) fn records_csv_of(group: &JsValue, report: &Report) -> Result<JsValue, JsValue> {
    with_group(group, |group| {
        match conferral::output::records::csv(&group, report) {
            Ok(bytes) => file(
                &bytes,
                &format!("{}-records.csv", group.key()),
                OutputFormat::Csv.media_type(),
            ),
            Err(e) => failure_of(&e),
        }
    })
}

/// The email a recipient would get, from a record's values (as `report.records[i].values`
/// gives them) or values typed as in roster cells, validated as on import first.
///
/// `options`: `baseUrl`, where credentials live (links are `baseUrl/<id>`); `notice`
/// (`revoked`, `expiring`, `expired`, `reminder`) renders that follow-up email of the group
/// instead, with `reason` and `daysLeft` for its `notice.*` fields. Invalid values give a
/// failure whose errors are the findings.
#[wasm_bindgen(js_name = "renderEmail", unchecked_return_type = "RenderEmailResult")]
pub fn render_email(
    #[wasm_bindgen(unchecked_param_type = "Group | string")] group: JsValue,
    #[wasm_bindgen(unchecked_param_type = "Record<string, string | number | boolean | null>")]
    values: JsValue,
    #[wasm_bindgen(unchecked_param_type = "RenderEmailOptions | undefined")] options: JsValue,
) -> Result<JsValue, JsValue> {
    let values: std::collections::BTreeMap<String, serde_json::Value> =
        convert::from_js(&values, "values")?;
    let options = Options::new(&options, &["baseUrl", "notice", "reason", "daysLeft"])?;
    let base_url = options
        .string("baseUrl")?
        .unwrap_or_else(|| conferral::issuer::DEFAULT_BASE_URL.to_owned());
    let notice = options
        .string("notice")?
        .map(|name| {
            serde_json::from_value::<conferral::render::NoticeKind>(serde_json::Value::String(
                name.clone(),
            ))
            .map_err(|_| {
                misuse(format!(
                    "notice is one of revoked, expiring, expired, reminder, not `{name}`"
                ))
            })
        })
        .transpose()?;
    let fields = conferral::render::NoticeFields {
        reason: options.string("reason")?,
        days_left: options
            .count("daysLeft", 100_000)?
            .and_then(|d| i64::try_from(d).ok()),
    };
    with_group(&group, |group| {
        let preview = match notice {
            Some(kind) => {
                conferral::render::preview_notice(&group, &values, &base_url, kind, &fields)
            }
            None => conferral::render::preview(&group, &values, &base_url),
        };
        match preview {
            Ok(preview) => match preview.email {
                Some(email) => success(&[
                    ("email", to_js(&email)?),
                    ("findings", to_js(&preview.findings)?),
                ]),
                None => failure_of_findings(&preview.findings),
            },
            Err(e) => failure_of(&e),
        }
    })
}

/// Checks a group: its attributes and its email templates (every variable they use must be
/// one the group has). Success gives the group as the library reads it, its key, and every
/// attribute a column can fill (standard ones first), for a mapping control, and the
/// fields its signed credentials leave to defaults (`warnings`).
#[wasm_bindgen(
    js_name = "validateGroup",
    unchecked_return_type = "ValidateGroupResult"
)]
pub fn validate_group(
    #[wasm_bindgen(unchecked_param_type = "Group | string")] group: JsValue,
) -> Result<JsValue, JsValue> {
    with_group(&group, |group| match group.check() {
        Ok(summary) => success(&[
            ("group", to_js(&group)?),
            ("key", summary.key.into()),
            ("attributes", to_js(&summary.attributes)?),
            ("warnings", to_js(&summary.warnings)?),
        ]),
        Err(e) => failure_of(&e),
    })
}

/// Every error kind a failure's `errors[].code` can hold (besides finding codes).
#[wasm_bindgen(js_name = "errorKinds", unchecked_return_type = "string[]")]
pub fn error_kinds() -> JsValue {
    conferral::ErrorKind::ALL
        .iter()
        .map(|k| JsValue::from_str(k.as_str()))
        .collect::<js_sys::Array>()
        .into()
}
