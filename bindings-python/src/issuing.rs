//! `conferral._native.Issuer`: the issuing flow over a SQLite or memory store, with the
//! file, SMTP or a Python mailer. Values cross as JSON text; errors go through
//! [`crate::to_py_err`].

use chrono::Utc;
use conferral::credential::IssuerKey;
use conferral::issuer::{
    Claimed, CorrectRequest, CreateRequest, ImportRequest, Issuer, IssuerConfig, Selection,
    StepProgress, Worker, Workers,
};
use conferral::lifecycle::Amendment;
use conferral::mail::{Mailer, OutgoingMessage};
use conferral::outbox::SendOutcome;
use conferral::storage::{CredentialQuery, Storage};
use conferral_mail::MailTarget;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::sync::{Mutex, PoisonError};

use crate::{json_error, parse, parse_group, to_py_err};

/// A mailer written in Python: any object with `send(message)`. Returning `None`, `True` or
/// a string means sent; returning a dict such as `{"outcome": "rejected", "code": 550,
/// "reply": "..."}` gives that outcome. An exception stops the run and is raised unchanged.
struct PyMailer {
    object: Py<PyAny>,
    raised: Option<PyErr>,
}

impl Mailer for PyMailer {
    fn send(&mut self, message: &OutgoingMessage) -> SendOutcome {
        Python::attach(|py| {
            let result = serde_json::to_string(message)
                .map_err(|e| json_error("the message", &e))
                .and_then(|json| {
                    let message = py.import("json")?.getattr("loads")?.call1((json,))?;
                    self.object.call_method1(py, "send", (message,))
                });
            let value = match result {
                Ok(value) => value.into_bound(py),
                Err(e) => {
                    self.raised = Some(e);
                    return SendOutcome::Deferred {
                        code: None,
                        reply: "the Python mailer raised an exception".to_owned(),
                    };
                }
            };
            if value.is_none() || value.extract::<bool>().is_ok_and(|b| b) {
                return SendOutcome::Sent {
                    reply: "accepted by the Python mailer".to_owned(),
                };
            }
            if let Ok(reply) = value.extract::<String>() {
                return SendOutcome::Sent { reply };
            }
            let outcome = py
                .import("json")
                .and_then(|json| json.getattr("dumps"))
                .and_then(|dumps| dumps.call1((value,)))
                .and_then(|text| text.extract::<String>());
            match outcome.map(|text| serde_json::from_str::<SendOutcome>(&text)) {
                Ok(Ok(outcome)) => outcome,
                _ => {
                    self.raised = Some(PyValueError::new_err(
                        "a mailer's send() returns None, True, a reply string, or a dict such as {\"outcome\": \"rejected\", \"code\": 550, \"reply\": \"...\"}",
                    ));
                    SendOutcome::Deferred {
                        code: None,
                        reply: "the Python mailer returned something unknown".to_owned(),
                    }
                }
            }
        })
    }

    fn halted(&self) -> Option<String> {
        self.raised
            .as_ref()
            .map(|_| "the Python mailer raised an exception".to_owned())
    }
}

/// Mailers that may hold a host error to raise once a run ends.
trait HostMailer: Mailer {
    fn take_error(&mut self) -> Option<PyErr> {
        None
    }
}

impl HostMailer for Box<dyn Mailer + Send> {}
impl HostMailer for PyMailer {
    fn take_error(&mut self) -> Option<PyErr> {
        self.raised.take()
    }
}

/// The file or SMTP mailer of `target`, ready for a run.
fn open(py: Python<'_>, target: MailTarget<'_>) -> PyResult<Box<dyn HostMailer + Send>> {
    let mailer = conferral_mail::open(target).map_err(|e| to_py_err(py, &e))?;
    Ok(Box::new(mailer))
}

type Inner = Issuer<Box<dyn Storage + Send>>;

/// The issuing flow, bound to one store, usable from any thread. Every call runs without the
/// GIL, one at a time (a lock taken with the GIL released, so that a call waiting for it never
/// holds up a callback into Python); callbacks (progress, a Python mailer) take the GIL back
/// for their call.
#[pyclass(module = "conferral._native")]
pub struct NativeIssuer {
    inner: Mutex<Inner>,
    /// The SQLite file or PostgreSQL URL, for the connections of several delivery workers.
    path: Option<String>,
}

impl NativeIssuer {
    /// Runs `f` on the issuer with the GIL released.
    fn with<R: Send>(&self, py: Python<'_>, f: impl FnOnce(&mut Inner) -> R + Send) -> R {
        py.detach(|| {
            // A panic cannot poison it in practice (the crates do not panic on input), and
            // the store's own transactions keep it consistent if one ever did.
            let mut inner = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut inner)
        })
    }
}

impl NativeIssuer {
    /// `deliver` with several workers, each with its own connection to the SQLite file at
    /// `path` and its own mailer of `target`, without the GIL but for progress calls.
    fn deliver_with_workers(
        &self,
        py: Python<'_>,
        target: MailTarget<'_>,
        path: &str,
        workers: usize,
        limit: Option<u64>,
        progress: Option<&Py<PyAny>>,
    ) -> PyResult<String> {
        let config = self.with(py, |inner| inner.config().clone());
        let raised: Mutex<Option<PyErr>> = Mutex::new(None);
        let heard = |p: StepProgress| {
            let Some(callback) = progress else {
                return;
            };
            let mut raised = raised.lock().unwrap_or_else(PoisonError::into_inner);
            if raised.is_none() {
                Python::attach(|py| {
                    if let Err(e) = callback.call1(py, (p.step.as_str(), p.done, p.total)) {
                        *raised = Some(e);
                    }
                });
            }
        };
        let out = py.detach(|| {
            conferral::issuer::deliver_with_workers(
                &Workers {
                    count: workers,
                    config: &config,
                    open_store: &|| conferral_stores::open_store(std::path::Path::new(path)),
                    open_mailer: &|| conferral_mail::open(target),
                    worker_id: &conferral_os::worker_id,
                    clock: &Utc::now,
                },
                limit,
                &heard,
            )
        });
        if let Some(e) = raised.into_inner().unwrap_or_else(PoisonError::into_inner) {
            return Err(e);
        }
        dump_sorted(&out.map_err(|e| to_py_err(py, &e))?)
    }
}

fn dump<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| json_error("the result", &e))
}

/// JSON text with every object's keys in order, as `show` and `deliver` have always given it
/// (through a JSON value), so that `to_dict()` keeps its order.
fn dump_sorted<T: serde::Serialize>(value: &T) -> PyResult<String> {
    serde_json::to_value(value)
        .map_err(|e| json_error("the result", &e))
        .and_then(|value| dump(&value))
}

fn report_progress<'a>(
    progress: Option<&'a Py<PyAny>>,
    raised: &'a mut Option<PyErr>,
) -> impl FnMut(StepProgress) + 'a {
    move |p: StepProgress| {
        let (Some(callback), None) = (progress, raised.as_ref()) else {
            return;
        };
        Python::attach(|py| {
            if let Err(e) = callback.call1(py, (p.step.as_str(), p.done, p.total)) {
                *raised = Some(e);
            }
        });
    }
}

#[pymethods]
impl NativeIssuer {
    /// `store` is `"sqlite"` with a `path`, or `"memory"`; `config_json` holds `base_url`,
    /// `sender` (`{"name", "email"}`) and optionally `retry`.
    #[new]
    #[pyo3(signature = (store, path, config_json))]
    fn new(py: Python<'_>, store: &str, path: Option<&str>, config_json: &str) -> PyResult<Self> {
        let config: IssuerConfig = parse("the issuer settings", config_json)?;
        let store: Box<dyn Storage + Send> = match (store, path) {
            ("sqlite", Some(path)) => Box::new(
                conferral_sqlite::SqliteStorage::open(path).map_err(|e| to_py_err(py, &e))?,
            ),
            ("postgres", Some(url)) => Box::new(
                conferral_postgres::PostgresStorage::connect(url).map_err(|e| to_py_err(py, &e))?,
            ),
            ("memory", None) => Box::new(conferral::storage::MemoryStorage::new()),
            _ => {
                return Err(PyValueError::new_err(
                    "a store is (\"sqlite\", path), (\"postgres\", url) or (\"memory\", None)",
                ));
            }
        };
        let inner = Issuer::new(store, config).map_err(|e| to_py_err(py, &e))?;
        Ok(NativeIssuer {
            inner: Mutex::new(inner),
            path: path.map(str::to_owned),
        })
    }

    /// Imports a roster; returns the outcome as JSON text.
    #[expect(clippy::too_many_arguments, reason = "the Python method's parameters")]
    #[pyo3(signature = (data, group_json, options_json, publish, actor, progress=None, dry_run=false))]
    fn import_roster(
        &self,
        py: Python<'_>,
        data: pyo3::pybacked::PyBackedBytes,
        group_json: &str,
        options_json: &str,
        publish: bool,
        actor: &str,
        progress: Option<Py<PyAny>>,
        dry_run: bool,
    ) -> PyResult<String> {
        let group = parse_group(py, group_json)?;
        let options: conferral::AnalyzeOptions = parse("the options", options_json)?;
        let request = ImportRequest {
            options,
            publish,
            dry_run,
            ..ImportRequest::new(&group, &data, actor)
        };
        let mut raised = None;
        let out = self.with(py, |inner| {
            let mut report = report_progress(progress.as_ref(), &mut raised);
            inner.import(&request, &mut conferral_os::OsIds, Utc::now(), &mut report)
        });
        if let Some(e) = raised {
            return Err(e);
        }
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Imports a roster whose `group_column` names each row's stored group; the outcome as
    /// JSON text.
    #[expect(clippy::too_many_arguments, reason = "the Python method's parameters")]
    #[pyo3(signature = (data, group_column, options_json, publish, dry_run, actor))]
    fn import_groups(
        &self,
        py: Python<'_>,
        data: pyo3::pybacked::PyBackedBytes,
        group_column: &str,
        options_json: &str,
        publish: bool,
        dry_run: bool,
        actor: &str,
    ) -> PyResult<String> {
        let options: conferral::AnalyzeOptions = parse("the options", options_json)?;
        let request = conferral::issuer::GroupsImportRequest {
            bytes: &data,
            group_column,
            options,
            publish,
            dry_run,
            actor,
        };
        let out = self.with(py, |inner| {
            inner.import_groups(&request, &mut conferral_os::OsIds, Utc::now())
        });
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Issues one credential from `{"key": value}` (JSON text, written as roster cells by
    /// the core); returns the import's outcome as JSON text.
    fn create(
        &self,
        py: Python<'_>,
        group_json: &str,
        values_json: &str,
        publish: bool,
        dry_run: bool,
        actor: &str,
    ) -> PyResult<String> {
        let group = parse_group(py, group_json)?;
        let values: Vec<(String, String)> =
            Amendment::from_values(parse("the values", values_json)?)
                .set
                .into_iter()
                .collect();
        let request = CreateRequest {
            group: &group,
            values: &values,
            publish,
            dry_run,
            actor,
        };
        let out = self.with(py, |inner| {
            inner.create(&request, &mut conferral_os::OsIds, Utc::now())
        });
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Credentials by `query_json` (`group`, `batch`, `state`, `email`), as JSON text.
    fn credentials(&self, py: Python<'_>, query_json: &str) -> PyResult<String> {
        let query: CredentialQuery = parse("the query", query_json)?;
        let found = self.with(py, |inner| inner.store().credentials(&query));
        dump(&found.map_err(|e| to_py_err(py, &e))?)
    }

    /// One credential with its deliveries, as JSON text.
    fn show(&self, py: Python<'_>, id: &str) -> PyResult<String> {
        let found = self.with(py, |inner| inner.show(id));
        dump_sorted(&found.map_err(|e| to_py_err(py, &e))?)
    }

    /// Amends a draft with `{"key": value}` (JSON text, any JSON values, written as roster
    /// cells by the core); returns the credential.
    fn edit(&self, py: Python<'_>, id: &str, values_json: &str, actor: &str) -> PyResult<String> {
        let amendment = Amendment::from_values(parse("the values", values_json)?);
        let out = self.with(py, |inner| inner.amend(id, &amendment, actor, Utc::now()));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// The email of a credential, rendered, as JSON text.
    fn preview(&self, py: Python<'_>, id: &str) -> PyResult<String> {
        let out = self.with(py, |inner| inner.preview(id));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Publishes exactly one of: the credentials `ids`, the drafts of `batch`, or every draft
    /// (`all`).
    #[pyo3(signature = (ids, batch, all, actor, progress=None))]
    fn publish(
        &self,
        py: Python<'_>,
        ids: Option<Vec<String>>,
        batch: Option<String>,
        all: bool,
        actor: &str,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let selection = Selection::one_of(all, batch, ids)
            .map_err(|_| PyValueError::new_err("give exactly one of ids, batch= or all=True"))?;
        let mut raised = None;
        let out = self.with(py, |inner| {
            let mut report = report_progress(progress.as_ref(), &mut raised);
            inner.publish(&selection, actor, Utc::now(), &mut report)
        });
        if let Some(e) = raised {
            return Err(e);
        }
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Sends the due emails through `("file", dir)`, `("smtp", url)` or `("python", None)`
    /// with `mailer` an object with `send(message)`, by `workers` workers at once (each with
    /// its own store connection and mailer; a SQLite store and a file or SMTP mailer only).
    /// Returns the report as JSON text.
    #[pyo3(signature = (kind, target, mailer=None, limit=None, progress=None, workers=1))]
    #[expect(clippy::too_many_arguments, reason = "the Python method's parameters")]
    fn deliver(
        &self,
        py: Python<'_>,
        kind: &str,
        target: Option<&str>,
        mailer: Option<Py<PyAny>>,
        limit: Option<u64>,
        progress: Option<Py<PyAny>>,
        workers: usize,
    ) -> PyResult<String> {
        let built_in: Option<MailTarget<'_>> = match (kind, target) {
            ("file", Some(dir)) => Some(MailTarget::Folder(std::path::Path::new(dir))),
            ("smtp", Some(url)) => Some(MailTarget::Smtp(url)),
            _ => None,
        };
        if workers == 0 {
            return Err(PyValueError::new_err("workers must be 1 or more"));
        }
        if workers > 1 {
            let (Some(target), None, Some(path)) = (built_in, &mailer, &self.path) else {
                return Err(PyValueError::new_err(
                    "several workers need a SQLite or PostgreSQL store and a (\"file\", dir) or (\"smtp\", url) mailer",
                ));
            };
            return self.deliver_with_workers(py, target, path, workers, limit, progress.as_ref());
        }
        let mut mailer: Box<dyn HostMailer + Send> = match (built_in, mailer) {
            (Some(target), None) => open(py, target)?,
            (None, Some(object)) if kind == "python" && target.is_none() => Box::new(PyMailer {
                object,
                raised: None,
            }),
            _ => {
                return Err(PyValueError::new_err(
                    "a mailer is (\"file\", dir), (\"smtp\", url) or (\"python\", None) with an object",
                ));
            }
        };
        let mut raised = None;
        let out = self.with(py, |inner| {
            let mut report = report_progress(progress.as_ref(), &mut raised);
            let worker = Worker::for_mailer(&conferral_os::worker_id(0), mailer.as_ref());
            inner.recover_and_deliver(&worker, mailer.as_mut(), &mut Utc::now, limit, &mut report)
        });
        // A Python mailer's exception comes out as it was raised.
        if let Some(e) = mailer.take_error() {
            return Err(e);
        }
        if let Some(e) = raised {
            return Err(e);
        }
        dump_sorted(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Claims the next due email for the worker `worker` with a lease of `lease_secs`:
    /// the claim as JSON text (`message`, `outgoing`), or `None` when nothing is due. The
    /// host sends it as it likes, then calls `settle_delivery`.
    fn next_delivery(
        &self,
        py: Python<'_>,
        worker: &str,
        lease_secs: i64,
    ) -> PyResult<Option<String>> {
        let worker = Worker {
            id: worker.to_owned(),
            lease_secs,
        };
        let out = self.with(py, |inner| inner.next_delivery(&worker, Utc::now()));
        out.map_err(|e| to_py_err(py, &e))?
            .map(|claimed| dump(&claimed))
            .transpose()
    }

    /// Records the outcome (JSON: `{"outcome": "sent", "reply": ...}` and the others) of a
    /// claim given by `next_delivery`, or gives the claim back unsent when `outcome_json` is
    /// `None`. Returns the settlement as JSON text (`state`, `lease_lost`).
    #[pyo3(signature = (claimed_json, outcome_json=None))]
    fn settle_delivery(
        &self,
        py: Python<'_>,
        claimed_json: &str,
        outcome_json: Option<&str>,
    ) -> PyResult<String> {
        let claimed: Claimed = parse("the claim", claimed_json)?;
        let outcome: Option<SendOutcome> =
            outcome_json.map(|o| parse("the outcome", o)).transpose()?;
        let out = self.with(py, |inner| match &outcome {
            Some(outcome) => inner.settle_delivery(&claimed, outcome, Utc::now()),
            None => inner.release_delivery(&claimed, Utc::now()),
        });
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Signs the credentials of exactly one of `ids`, `batch` or `all` with the key in
    /// `key_file` (JSON bytes) and calls `sink(id, document_json)` for each in turn. Returns
    /// the outcome (`exported`, `refused`) as JSON text; an exception `sink` raises stops the
    /// export and comes out unchanged.
    #[pyo3(signature = (key_file, ids, batch, all, sink))]
    fn export(
        &self,
        py: Python<'_>,
        key_file: pyo3::pybacked::PyBackedBytes,
        ids: Option<Vec<String>>,
        batch: Option<String>,
        all: bool,
        sink: Py<PyAny>,
    ) -> PyResult<String> {
        let selection = Selection::one_of(all, batch, ids)
            .map_err(|_| PyValueError::new_err("give exactly one of ids, batch= or all=True"))?;
        let key = IssuerKey::from_file(&key_file).map_err(|e| to_py_err(py, &e))?;
        let mut raised = None;
        let out = self.with(py, |inner| {
            inner.export_credentials(&selection, &key, &mut |id, document| {
                Python::attach(|py| {
                    let text = conferral::credential::document_text(document);
                    sink.call1(py, (id, text)).map(drop).map_err(|e| {
                        raised = Some(e);
                        conferral::Error::new(
                            conferral::ErrorKind::Cancelled,
                            "the export's sink raised an exception",
                        )
                    })
                })
            })
        });
        if let Some(e) = raised {
            return Err(e);
        }
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// The certificate of credential `id` in `format` (`pdf`, `png` or `svg`).
    fn certificate<'py>(
        &self,
        py: Python<'py>,
        id: &str,
        format: &str,
    ) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        let format = certificate_format(format)?;
        let out = self.with(py, |inner| {
            conferral_certificate::certificate(inner, id, format)
        });
        Ok(pyo3::types::PyBytes::new(
            py,
            &out.map_err(|e| to_py_err(py, &e))?,
        ))
    }

    /// Writes the certificates of exactly one of `ids`, `batch` or `all` into a zip at
    /// `path`, `<id>.<format>` each, one drawn at a time; the file appears only once whole.
    /// Returns the outcome (`written`, `refused`) as JSON text.
    #[pyo3(signature = (path, ids, batch, all, format))]
    fn certificates(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        ids: Option<Vec<String>>,
        batch: Option<String>,
        all: bool,
        format: &str,
    ) -> PyResult<String> {
        let selection = Selection::one_of(all, batch, ids)
            .map_err(|_| PyValueError::new_err("give exactly one of ids, batch= or all=True"))?;
        let format = certificate_format(format)?;
        let mut partial = path.as_os_str().to_owned();
        partial.push(".partial");
        let partial = std::path::PathBuf::from(partial);
        let out = self.with(py, |inner| -> Result<_, conferral::Error> {
            let io = |e: std::io::Error| {
                conferral::Error::new(
                    conferral::ErrorKind::Output,
                    format!("cannot write `{}`: {e}", path.display()),
                )
            };
            let file = std::fs::File::create(&partial).map_err(io)?;
            let mut writer = std::io::BufWriter::new(file);
            let written = conferral_certificate::write_zip(inner, &selection, format, &mut writer);
            let written = written.and_then(|outcome| {
                std::io::Write::flush(&mut writer).map_err(io)?;
                Ok(outcome)
            });
            drop(writer);
            match written {
                Ok(outcome) => {
                    std::fs::rename(&partial, &path).map_err(io)?;
                    Ok(outcome)
                }
                Err(e) => {
                    let _ = std::fs::remove_file(&partial);
                    Err(e)
                }
            }
        });
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// The signed credential `id` as JSON text, signed with the key in `key_file`.
    fn signed_credential(
        &self,
        py: Python<'_>,
        id: &str,
        key_file: pyo3::pybacked::PyBackedBytes,
    ) -> PyResult<String> {
        let key = IssuerKey::from_file(&key_file).map_err(|e| to_py_err(py, &e))?;
        let out = self.with(py, |inner| inner.signed_credential(id, &key));
        Ok(conferral::credential::document_text(
            &out.map_err(|e| to_py_err(py, &e))?,
        ))
    }

    /// Corrects the group's drafts and published credentials from a roster; the outcome as
    /// JSON text.
    #[expect(clippy::too_many_arguments, reason = "the Python method's parameters")]
    #[pyo3(signature = (data, group_json, options_json, notify, dry_run, actor))]
    fn correct(
        &self,
        py: Python<'_>,
        data: pyo3::pybacked::PyBackedBytes,
        group_json: &str,
        options_json: &str,
        notify: bool,
        dry_run: bool,
        actor: &str,
    ) -> PyResult<String> {
        let group = parse_group(py, group_json)?;
        let options: conferral::AnalyzeOptions = parse("the options", options_json)?;
        let request = CorrectRequest {
            options,
            notify,
            dry_run,
            ..CorrectRequest::new(&group, &data, actor)
        };
        let out = self.with(py, |inner| inner.correct(&request, Utc::now()));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Revokes the group's credentials a roster names; the outcome as JSON text.
    #[expect(clippy::too_many_arguments, reason = "the Python method's parameters")]
    #[pyo3(signature = (data, group_json, options_json, reason, notify, dry_run, actor))]
    fn revoke_roster(
        &self,
        py: Python<'_>,
        data: pyo3::pybacked::PyBackedBytes,
        group_json: &str,
        options_json: &str,
        reason: &str,
        notify: bool,
        dry_run: bool,
        actor: &str,
    ) -> PyResult<String> {
        let group = parse_group(py, group_json)?;
        let options: conferral::AnalyzeOptions = parse("the options", options_json)?;
        let request = conferral::issuer::RevokeRosterRequest {
            group: &group,
            bytes: &data,
            options,
            reason,
            notify,
            dry_run,
            actor,
        };
        let out = self.with(py, |inner| inner.revoke_roster(&request, Utc::now()));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Discards the drafts of exactly one of `ids` or `batch`; the outcome as JSON text.
    #[pyo3(signature = (ids, batch, dry_run))]
    fn discard(
        &self,
        py: Python<'_>,
        ids: Option<Vec<String>>,
        batch: Option<String>,
        dry_run: bool,
    ) -> PyResult<String> {
        let selection = Selection::one_of(false, batch, ids)
            .map_err(|_| PyValueError::new_err("give exactly one of ids or batch="))?;
        let out = self.with(py, |inner| inner.discard(&selection, dry_run));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Revokes exactly one of `ids` or `batch`, with `reason`, queueing revocation
    /// notices when `notify`; the outcome as JSON text.
    fn revoke(
        &self,
        py: Python<'_>,
        ids: Option<Vec<String>>,
        batch: Option<String>,
        reason: &str,
        notify: bool,
        actor: &str,
    ) -> PyResult<String> {
        let selection = Selection::one_of(false, batch, ids)
            .map_err(|_| PyValueError::new_err("give exactly one of ids or batch="))?;
        let out = self.with(py, |inner| {
            let now = Utc::now();
            let mut outcome = inner.revoke_selection(&selection, reason, actor, now)?;
            if notify {
                inner.notify_revocations(&mut outcome, now)?;
            }
            Ok::<_, conferral::Error>(outcome)
        });
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Status list `list`, signed now with the key in `key_file`, as JSON text; and how
    /// many lists there are.
    fn status_list(
        &self,
        py: Python<'_>,
        key_file: pyo3::pybacked::PyBackedBytes,
        list: u64,
    ) -> PyResult<(String, u64)> {
        let key = IssuerKey::from_file(&key_file).map_err(|e| to_py_err(py, &e))?;
        let out = self.with(py, |inner| {
            let signed = inner.signed_status_list(list, &key, Utc::now())?;
            Ok::<_, conferral::Error>((signed, inner.status_lists()?))
        });
        let (signed, lists) = out.map_err(|e| to_py_err(py, &e))?;
        Ok((conferral::credential::document_text(&signed), lists))
    }

    /// Marks published credentials whose expiry date is before `today` (`YYYY-MM-DD`; the
    /// date in UTC when `None`) as expired and queues the notices their groups ask for;
    /// the outcome as JSON text.
    #[pyo3(signature = (today, actor))]
    fn expire(&self, py: Python<'_>, today: Option<&str>, actor: &str) -> PyResult<String> {
        let now = Utc::now();
        let today = today_or(today, now)?;
        let out = self.with(py, |inner| inner.expire_and_notify(today, actor, now));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Re-issues credential `id` from its values, issued on `today` (`YYYY-MM-DD`; the date
    /// in UTC when `None`); the import's outcome as JSON text.
    #[pyo3(signature = (id, today, publish, dry_run, actor))]
    fn renew(
        &self,
        py: Python<'_>,
        id: &str,
        today: Option<&str>,
        publish: bool,
        dry_run: bool,
        actor: &str,
    ) -> PyResult<String> {
        let now = Utc::now();
        let today = today_or(today, now)?;
        let out = self.with(py, |inner| {
            inner.renew(
                id,
                today,
                publish,
                dry_run,
                actor,
                &mut conferral_os::OsIds,
                now,
            )
        });
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Queues reminders to view credentials not viewed yet; the outcome as JSON text.
    fn remind(&self, py: Python<'_>) -> PyResult<String> {
        let out = self.with(py, |inner| inner.remind(Utc::now()));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Checks a group and keeps it as its next version; returns the version now latest.
    fn save_group(&self, py: Python<'_>, group_json: &str) -> PyResult<u32> {
        let group = parse_group(py, group_json)?;
        let out = self.with(py, |inner| inner.save_group(&group));
        out.map_err(|e| to_py_err(py, &e))
    }

    /// The latest version of every stored group, as JSON text.
    fn groups(&self, py: Python<'_>) -> PyResult<String> {
        let out = self.with(py, |inner| inner.groups());
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// A stored group (the latest version, or `version`), as JSON text.
    #[pyo3(signature = (key, version=None))]
    fn group(&self, py: Python<'_>, key: &str, version: Option<u32>) -> PyResult<String> {
        let out = self.with(py, |inner| inner.group(key, version));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Every version of a stored group, oldest first, as JSON text.
    fn group_history(&self, py: Python<'_>, key: &str) -> PyResult<String> {
        let out = self.with(py, |inner| inner.group_history(key));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// The figures per group and batch and by day (`query_json`: `group`, `batch`,
    /// `since`), as JSON text.
    fn stats(&self, py: Python<'_>, query_json: &str) -> PyResult<String> {
        let query: conferral::events::EventQuery = parse("the stats query", query_json)?;
        let out = self.with(py, |inner| inner.stats(&query));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Queues the emails of these credentials again.
    fn resend(&self, py: Python<'_>, ids: Vec<String>) -> PyResult<String> {
        let out = self.with(py, |inner| inner.resend(&ids, Utc::now()));
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// The column mappings learned for the group, as JSON text (an object of normalised
    /// header to attribute key or null, sorted by header).
    fn mappings(&self, py: Python<'_>, group_json: &str) -> PyResult<String> {
        let group = parse_group(py, group_json)?;
        let out = self.with(py, |inner| inner.mappings(&group.key()));
        let learned = out.map_err(|e| to_py_err(py, &e))?;
        dump(
            &learned
                .0
                .iter()
                .collect::<std::collections::BTreeMap<_, _>>(),
        )
    }

    /// Forgets learned mappings of the group: of these headers, or all when `None`.
    #[pyo3(signature = (group_json, headers=None))]
    fn forget_mappings(
        &self,
        py: Python<'_>,
        group_json: &str,
        headers: Option<Vec<String>>,
    ) -> PyResult<usize> {
        let group = parse_group(py, group_json)?;
        let out = self.with(py, |inner| {
            inner.forget_mappings(&group.key(), headers.as_deref())
        });
        out.map_err(|e| to_py_err(py, &e))
    }

    /// Applies bounce and complaint reports, each `(source name, bytes)` (one message or an
    /// mbox); returns the run as JSON text.
    #[pyo3(signature = (reports, dry_run=false))]
    fn process_bounces(
        &self,
        py: Python<'_>,
        reports: Vec<(String, Vec<u8>)>,
        dry_run: bool,
    ) -> PyResult<String> {
        let out = self.with(py, |inner| {
            let sources: Vec<conferral::issuer::ReportBytes<'_>> = reports
                .iter()
                .map(|(source, bytes)| conferral::issuer::ReportBytes { source, bytes })
                .collect();
            inner.process_bounces(&sources, Utc::now(), dry_run)
        });
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// The suppression list, as JSON text.
    fn suppressions(&self, py: Python<'_>) -> PyResult<String> {
        let out = self.with(py, |inner| inner.suppressions());
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }

    /// Puts an address on the suppression list (`reason`: `manual`, `hard_bounce`,
    /// `complaint`); whether it was added.
    #[pyo3(signature = (email, reason, note=None))]
    fn suppress(
        &self,
        py: Python<'_>,
        email: &str,
        reason: &str,
        note: Option<&str>,
    ) -> PyResult<bool> {
        let reason = conferral::storage::SuppressionReason::parse(reason).ok_or_else(|| {
            PyValueError::new_err(format!(
                "`{reason}` is not a suppression reason: use manual, hard_bounce or complaint"
            ))
        })?;
        let out = self.with(py, |inner| inner.suppress(email, reason, note, Utc::now()));
        out.map_err(|e| to_py_err(py, &e))
    }

    /// Takes an address off the suppression list; whether it was listed.
    fn unsuppress(&self, py: Python<'_>, email: &str) -> PyResult<bool> {
        let out = self.with(py, |inner| inner.unsuppress(email));
        out.map_err(|e| to_py_err(py, &e))
    }

    /// Counts per credential state and delivery state, as JSON text.
    fn status(&self, py: Python<'_>) -> PyResult<String> {
        let out = self.with(py, |inner| inner.status());
        dump(&out.map_err(|e| to_py_err(py, &e))?)
    }
}

/// A certificate format by name.
fn certificate_format(name: &str) -> PyResult<conferral_certificate::Format> {
    conferral_certificate::Format::from_name(name).ok_or_else(|| {
        PyValueError::new_err(format!(
            "`{name}` is not a certificate format: use pdf, png or svg"
        ))
    })
}

/// A date given as `YYYY-MM-DD`, or `now`'s date in UTC.
fn today_or(today: Option<&str>, now: chrono::DateTime<Utc>) -> PyResult<chrono::NaiveDate> {
    match today {
        Some(text) => chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
            .map_err(|e| PyValueError::new_err(format!("`{text}` is not a date: {e}"))),
        None => Ok(now.date_naive()),
    }
}
