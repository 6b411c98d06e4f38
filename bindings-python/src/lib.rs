//! The native module `conferral._native`: a thin layer that takes and returns JSON text and
//! bytes, calls the core, and turns its errors into the Python exceptions of
//! `conferral.errors` in one place ([`to_py_err`]). The idiomatic API is the pure-Python
//! package around it (`python/conferral/`). An analysis's records stay native
//! ([`records::NativeRecords`]) until Python reads them.

mod issuing;
mod records;

use conferral::output::OutputFormat;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

/// The one conversion of a core error: the `conferral.errors` class of its kind, with the
/// message, and `.kind` set.
fn to_py_err(py: Python<'_>, e: &conferral::Error) -> PyErr {
    let raised = py
        .import("conferral.errors")
        .and_then(|m| m.getattr("from_kind"))
        .and_then(|f| f.call1((e.kind().as_str(), e.to_string())));
    match raised {
        Ok(exception) => PyErr::from_value(exception),
        Err(import_failed) => import_failed,
    }
}

fn json_error(what: &str, e: &serde_json::Error) -> PyErr {
    PyValueError::new_err(format!(
        "{what} is not valid JSON of the expected shape: {e}"
    ))
}

fn parse<T: serde::de::DeserializeOwned>(what: &str, json: &str) -> PyResult<T> {
    serde_json::from_str(json).map_err(|e| json_error(what, &e))
}

fn parse_group(py: Python<'_>, group_json: &str) -> PyResult<conferral::Group> {
    conferral::Group::from_json(group_json).map_err(|e| to_py_err(py, &e))
}

/// Runs `work` without the GIL, giving it a progress callback that now and then takes the
/// GIL back on this thread to look for a pending signal (Ctrl-C) and to call
/// `progress(stage, rows, bytes, total)` if given; a signal or an exception from `progress`
/// stops the work, and that exception is raised.
fn without_gil<T: Send>(
    py: Python<'_>,
    progress: Option<Py<PyAny>>,
    work: impl FnOnce(&mut dyn FnMut(conferral::Progress) -> bool) -> conferral::Result<T> + Send,
) -> PyResult<T> {
    let mut raised: Option<PyErr> = None;
    let result = py.detach(|| {
        let mut report_progress = |p: conferral::Progress| {
            Python::attach(|py| {
                let called = py.check_signals().and_then(|()| match progress.as_ref() {
                    None => Ok(()),
                    Some(callback) => callback
                        .call1(py, (p.stage.as_str(), p.rows, p.bytes, p.total_bytes))
                        .map(drop),
                });
                match called {
                    Ok(()) => true,
                    Err(e) => {
                        raised = Some(e);
                        false
                    }
                }
            })
        };
        work(&mut report_progress)
    });
    if let Some(e) = raised {
        return Err(e);
    }
    result.map_err(|e| to_py_err(py, &e))
}

/// Analyses a roster; returns the report as JSON text (the CLI's `--json` report) without its
/// records, and the records, when asked for, kept native.
///
/// The analysis and the report's JSON run without the GIL (see [`without_gil`]).
#[pyfunction]
#[pyo3(signature = (data, group_json, options_json, progress=None))]
fn analyze(
    py: Python<'_>,
    data: pyo3::pybacked::PyBackedBytes,
    group_json: &str,
    options_json: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<(String, Option<records::NativeRecords>)> {
    let group = parse_group(py, group_json)?;
    let options: conferral::AnalyzeOptions = parse("the options", options_json)?;
    let mut report = without_gil(py, progress, |progress| {
        conferral::analyze_cancellable(&data, &group, &options, progress)
    })?;
    let records = report.records.take().map(records::NativeRecords::new);
    let json = py
        .detach(|| serde_json::to_string(&report))
        .map_err(|e| json_error("the report", &e))?;
    Ok((json, records))
}

/// Analyses a roster and applies the suggested fixes named in `codes` (or `all`); returns the
/// corrected roster as `csv` or `xlsx` bytes and the analysis of the roster as given as JSON
/// text (the report `analyze` returns). Runs without the GIL, as `analyze` does.
#[pyfunction]
#[pyo3(signature = (data, group_json, options_json, codes, format, progress=None))]
fn fix<'py>(
    py: Python<'py>,
    data: pyo3::pybacked::PyBackedBytes,
    group_json: &str,
    options_json: &str,
    codes: Vec<String>,
    format: &str,
    progress: Option<Py<PyAny>>,
) -> PyResult<(Bound<'py, PyBytes>, String)> {
    let group = parse_group(py, group_json)?;
    let options: conferral::AnalyzeOptions = parse("the options", options_json)?;
    let format = output_format(format)?;
    let codes = conferral::FixCode::parse_names(&codes).map_err(|e| to_py_err(py, &e))?;
    let fixed = without_gil(py, progress, |progress| {
        conferral::fix_cancellable(&data, &group, &options, &codes, progress)
    })?;
    let bytes = format
        .roster(&fixed.roster)
        .map_err(|e| to_py_err(py, &e))?;
    let report = serde_json::to_string(&fixed.report).map_err(|e| json_error("the report", &e))?;
    Ok((PyBytes::new(py, &bytes), report))
}

/// Every fix code, in the order a report lists fixes.
#[pyfunction]
fn fix_codes() -> Vec<&'static str> {
    conferral::FixCode::ALL.iter().map(|c| c.as_str()).collect()
}

fn output_format(name: &str) -> PyResult<OutputFormat> {
    OutputFormat::from_name(name).ok_or_else(|| {
        PyValueError::new_err(format!("format `{name}` is neither `csv` nor `xlsx`"))
    })
}

/// A roster template of the group, as `csv` or `xlsx` bytes.
#[pyfunction]
fn template<'py>(py: Python<'py>, group_json: &str, format: &str) -> PyResult<Bound<'py, PyBytes>> {
    let group = parse_group(py, group_json)?;
    let bytes = output_format(format)?
        .template(&group)
        .map_err(|e| to_py_err(py, &e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// The findings of a report (JSON text) as an error report, `csv` or `xlsx` bytes.
#[pyfunction]
fn error_report<'py>(
    py: Python<'py>,
    report_json: &str,
    format: &str,
) -> PyResult<Bound<'py, PyBytes>> {
    let report: conferral::Report = parse("the report", report_json)?;
    let bytes = output_format(format)?
        .error_report(&report)
        .map_err(|e| to_py_err(py, &e))?;
    Ok(PyBytes::new(py, &bytes))
}

/// Checks a group (attributes and email templates) and returns it with its standard
/// attributes and defaults filled in, as JSON text: `{"name", "key", "attributes": [...]}`.
#[pyfunction]
fn check_group(py: Python<'_>, group_json: &str) -> PyResult<String> {
    let group = parse_group(py, group_json)?;
    let summary = group.check().map_err(|e| to_py_err(py, &e))?;
    serde_json::to_string(&summary).map_err(|e| json_error("the group", &e))
}

/// A sender as people write one (`Name <address>` or `address`): `(name, address)`.
#[pyfunction]
fn parse_mailbox(text: &str) -> (String, String) {
    let mailbox = conferral::mail::Mailbox::parse(text);
    (mailbox.name, mailbox.email)
}

/// Every error kind, for the Python exception classes to be checked against.
#[pyfunction]
fn error_kinds() -> Vec<&'static str> {
    conferral::ErrorKind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect()
}

/// Verifies a signed credential (JSON bytes) at `now` (RFC 3339; the current time when
/// `None`), against its issuer's status list credential (JSON text) when given. Returns the
/// verification as JSON text (`valid`, `checks`).
#[pyfunction]
#[pyo3(signature = (data, status_list_json=None, now=None))]
fn verify_credential(
    py: Python<'_>,
    data: pyo3::pybacked::PyBackedBytes,
    status_list_json: Option<&str>,
    now: Option<&str>,
) -> PyResult<String> {
    let status_list: Option<serde_json::Value> = status_list_json
        .map(|text| parse("the status list", text))
        .transpose()?;
    let now = match now {
        Some(text) => chrono::DateTime::parse_from_rfc3339(text)
            .map(|t| t.with_timezone(&chrono::Utc))
            .map_err(|e| {
                pyo3::exceptions::PyValueError::new_err(format!(
                    "`{text}` is not an RFC 3339 time: {e}"
                ))
            })?,
        None => chrono::Utc::now(),
    };
    let options = conferral::credential::VerifyOptions {
        now,
        status_list: status_list.as_ref(),
    };
    let report =
        conferral::credential::verify_bytes(&data, &options).map_err(|e| to_py_err(py, &e))?;
    serde_json::to_string(&report).map_err(|e| json_error("the verification", &e))
}

/// A new issuer key from the operating system's generator, as key file JSON text.
#[pyfunction]
fn new_key() -> PyResult<String> {
    let seed = conferral_os::random_seed().ok_or_else(|| {
        pyo3::exceptions::PyOSError::new_err("the operating system gave no random bytes")
    })?;
    let key = conferral::credential::IssuerKey::from_seed(seed);
    serde_json::to_string_pretty(&key.to_file()).map_err(|e| json_error("the key", &e))
}

/// The DID of a key file (JSON bytes), checked as signing would check it.
#[pyfunction]
fn key_did(py: Python<'_>, data: pyo3::pybacked::PyBackedBytes) -> PyResult<String> {
    conferral::credential::IssuerKey::from_file(&data)
        .map(|key| key.did())
        .map_err(|e| to_py_err(py, &e))
}

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("DEFAULT_BASE_URL", conferral::issuer::DEFAULT_BASE_URL)?;
    m.add("DEFAULT_SENDER", conferral::issuer::DEFAULT_SENDER)?;
    m.add_function(wrap_pyfunction!(analyze, m)?)?;
    m.add_function(wrap_pyfunction!(fix, m)?)?;
    m.add_function(wrap_pyfunction!(fix_codes, m)?)?;
    m.add_function(wrap_pyfunction!(template, m)?)?;
    m.add_function(wrap_pyfunction!(error_report, m)?)?;
    m.add_function(wrap_pyfunction!(check_group, m)?)?;
    m.add_function(wrap_pyfunction!(parse_mailbox, m)?)?;
    m.add_function(wrap_pyfunction!(error_kinds, m)?)?;
    m.add_function(wrap_pyfunction!(verify_credential, m)?)?;
    m.add_function(wrap_pyfunction!(new_key, m)?)?;
    m.add_function(wrap_pyfunction!(key_did, m)?)?;
    m.add_class::<issuing::NativeIssuer>()?;
    m.add_class::<records::NativeRecords>()?;
    m.add_class::<records::RecordsTable>()?;
    Ok(())
}
