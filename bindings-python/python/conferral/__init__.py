"""conferral: issue digital credentials in batches from a spreadsheet.

Read, analyse, match and validate rosters (CSV in any common dialect and encoding, XLSX, XLSM,
XLS, XLSB, ODS) with the same Rust core as the ``conferral`` command line, which gives the
same report::

    import conferral

    group = conferral.Group.from_dict({"name": "Bootcamp", "attributes": [
        {"key": "hours", "label": "Course Hours", "type": "number", "required": True}]})
    report = conferral.analyze("roster.xlsx", group)
    for finding in report.findings:
        print(finding.cell, finding.code, finding.message)
"""
import contextlib
import copy
import datetime as _dt
import gc
import json
import math
import os
from dataclasses import dataclass, field
from typing import IO, Any, Callable, Dict, Iterator, List, Mapping, Optional, Union

from . import _native
from .results import (
    BounceReport,
    BounceRun,
    Suppression,
    StoredGroup,
    Correction,
    CorrectResult,
    DiscardResult,
    Batch,
    Change,
    Credential,
    CredentialDetail,
    Delivery,
    DeliveryCounts,
    DeliveryRun,
    Email,
    Event,
    CertificatesResult,
    ExportResult,
    ImportResult,
    Check,
    Claimed,
    LeaseHolder,
    PublishResult,
    Recipient,
    Refused,
    RevokeResult,
    NoticeResult,
    RevokeRosterResult,
    GroupImport,
    GroupsImportResult,
    ExpireResult,
    Settlement,
    Stats,
    BatchStats,
    Status,
    Verification,
    _pandas,
    _polars,
    _pyarrow,
)
from .errors import (
    BY_KIND,
    CancelledError,
    ConferralError,
    ConflictError,
    EmptyFileError,
    EncryptedError,
    IllegalTransitionError,
    InvalidConfigError,
    InvalidCredentialError,
    InvalidGroupError,
    InvalidHeaderRowError,
    InvalidMappingError,
    InvalidTemplateError,
    InvalidValueError,
    LimitExceededError,
    MailError,
    MalformedFileError,
    NotFoundError,
    OutputError,
    SheetNotFoundError,
    StorageError,
    UnsupportedFormatError,
)

__version__ = _native.__version__

__all__ = [
    "Alternative", "Attribute", "Column", "ConferralError", "FileMailer", "Finding", "Fix", "FixChange",
    "Fixed", "FIX_CODES", "fix", "Group",
    "Issuer", "MemoryStore", "PostgresStore", "PreviewRow", "Progress", "SmtpMailer", "SqliteStore",
    "Record", "Report", "Source", "Summary", "analyze", "error_report", "template",
    "CancelledError", "ConflictError", "EmptyFileError", "EncryptedError", "IllegalTransitionError",
    "InvalidConfigError", "InvalidCredentialError", "InvalidGroupError", "InvalidHeaderRowError", "InvalidMappingError",
    "InvalidTemplateError", "InvalidValueError", "LimitExceededError", "MailError",
    "MalformedFileError", "NotFoundError", "OutputError", "SheetNotFoundError", "StorageError",
    "UnsupportedFormatError", "BY_KIND", "CertificatesResult", "ExportResult", "RevokeResult", "NoticeResult", "RevokeRosterResult", "GroupImport", "GroupsImportResult", "ExpireResult", "GroupWarning", "Stats", "BatchStats",
    "Batch", "Change", "Credential", "CredentialDetail", "Delivery", "DeliveryCounts",
    "DeliveryRun", "Email", "Event", "ImportResult", "PublishResult", "Recipient", "Refused", "Status", "Claimed", "Settlement",
    "LeaseHolder", "Check", "Verification", "verify", "new_key", "key_did",
    "BounceReport", "BounceRun", "Suppression",
    "Correction", "CorrectResult", "DiscardResult", "CLEAR_MARKER",
]

#: The cell text that clears a value in a correction roster (an empty cell leaves it as it is).
CLEAR_MARKER = "[clear]"

PathLike = Union[str, "os.PathLike[str]"]


@dataclass(frozen=True)
class Attribute:
    """One attribute of a group, with its defaults filled in."""

    key: str
    label: str
    type: str
    required: bool
    standard: bool
    values: List[str] = field(default_factory=list)


@dataclass(frozen=True)
class GroupWarning:
    """A field of the group's signed credentials left to a default: its stable ``code``
    (``issuer_name_missing``, ``issuer_url_missing``, ``achievement_description_missing``,
    ``achievement_criteria_missing``), the group ``field`` to set, and a ``message``."""

    code: str
    field: str
    message: str


class Group:
    """A group of credentials (a course, an event) and the attributes each recipient carries.

    Build one with :meth:`from_dict`, :meth:`from_json` or :meth:`from_path`; the definition is
    checked at once (an :class:`InvalidGroupError` says what to fix).
    """

    def __init__(self, definition: Mapping[str, Any]) -> None:
        self._definition: Dict[str, Any] = copy.deepcopy(dict(definition))
        self._json = json.dumps(self._definition)
        checked = json.loads(_native.check_group(self._json))
        self.name: str = checked["name"]
        self.key: str = checked["key"]
        self.attributes: List[Attribute] = [Attribute(**a) for a in checked["attributes"]]
        #: What the group's signed credentials fill in with defaults, each with how to fix it.
        self.warnings: List[GroupWarning] = [GroupWarning(**w) for w in checked.get("warnings", [])]
        #: What an upload does with a recipient who already has a credential: ``deny``,
        #: ``allow`` or ``replace``.
        self.duplicates: str = self._definition.get("duplicates", "deny")
        #: The email templates (``subject``, ``html``, ``text``), or ``None`` for the defaults.
        self.email: Optional[Dict[str, str]] = self._definition.get("email")
        #: The certificate design (``svg``: an SVG template with the emails' merge fields), or
        #: ``None`` for the default design.
        self.design: Optional[Dict[str, str]] = self._definition.get("design")

    @classmethod
    def from_dict(cls, definition: Mapping[str, Any]) -> "Group":
        """A group from a dict shaped like the group JSON."""
        return cls(definition)

    @classmethod
    def from_json(cls, text: str) -> "Group":
        """A group from JSON text."""
        try:
            definition = json.loads(text)
        except ValueError as e:
            raise InvalidGroupError(f"the group definition is not valid JSON: {e}") from e
        if not isinstance(definition, dict):
            raise InvalidGroupError("the group definition must be a JSON object")
        return cls(definition)

    @classmethod
    def from_path(cls, path: PathLike) -> "Group":
        """A group from a JSON file."""
        with open(os.fspath(path), encoding="utf-8") as f:
            return cls.from_json(f.read())

    def to_dict(self) -> Dict[str, Any]:
        """The definition as given."""
        return copy.deepcopy(self._definition)

    def to_json(self) -> str:
        """The definition as JSON text."""
        return self._json

    def __repr__(self) -> str:
        return f"Group(name={self.name!r}, key={self.key!r}, attributes={len(self.attributes)})"


GroupLike = Union[Group, Mapping[str, Any], str, "os.PathLike[str]"]


def _outcome(value: Any) -> Dict[str, Any]:
    """A send's outcome as the library's JSON, from what a mailer's ``send`` may return."""
    if value is None or value is True:
        return {"outcome": "sent", "reply": "accepted by the host"}
    if isinstance(value, str):
        return {"outcome": "sent", "reply": value}
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError("an outcome is None, True, a reply string, or a dict such as {\"outcome\": \"rejected\", ...}")


def _group(group: GroupLike) -> Group:
    if isinstance(group, Group):
        return group
    if isinstance(group, Mapping):
        return Group.from_dict(group)
    if isinstance(group, str) and group.lstrip().startswith("{"):
        return Group.from_json(group)
    if isinstance(group, (str, os.PathLike)):
        return Group.from_path(group)
    raise TypeError(f"a group is a Group, a dict, JSON text or a path, not {type(group).__name__}")


@dataclass(frozen=True)
class Source:
    """Where the data came from and how it was read."""

    format: str
    header_row: int
    header_row_detected: bool
    encoding: Optional[str] = None
    bom: Optional[bool] = None
    delimiter: Optional[str] = None
    line_ending: Optional[str] = None
    sheet: Optional[str] = None
    sheets: Optional[List[Dict[str, Any]]] = None
    skipped_rows: List[int] = field(default_factory=list)
    #: When the sheet holds several tables: each one's ``header_row``, ``last_row`` and ``rows``.
    tables: List[Dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Alternative:
    """A candidate attribute for a column that was not chosen."""

    attribute: str
    score: float
    tier: str


@dataclass(frozen=True)
class Column:
    """How one column matched an attribute."""

    index: int
    letter: str
    header: str
    attribute: Optional[str]
    tier: str
    score: float
    alternatives: List[Alternative]
    uncertain: Optional[str] = None
    #: For a column matched by a header naming its attribute although most sampled values do
    #: not look like the attribute's type: what the sample showed.
    values_unlike: Optional[str] = None


@dataclass(frozen=True)
class Summary:
    """Counts over the data rows."""

    rows: int
    valid: int
    invalid: int
    warnings: int
    errors: int


@dataclass(frozen=True)
class Finding:
    """Something found in a roster, located to its cell; ``code`` is stable."""

    code: str
    severity: str
    row: Optional[int]
    column: Optional[str]
    cell: Optional[str]
    attribute: Optional[str]
    message: str
    help: str
    value: Optional[str] = None


@dataclass(frozen=True)
class FixChange:
    """One change of a suggested fix: the ``cell`` (such as ``C7``) with its text ``before``
    and ``after``, or, when ``cell`` is ``None``, the ``row`` removed as a repeat of row
    ``duplicate_of``."""

    row: int
    column: Optional[str]
    cell: Optional[str]
    before: Optional[str]
    after: Optional[str]
    duplicate_of: Optional[int] = None


@dataclass(frozen=True)
class Fix:
    """A fix the analysis suggests (nothing is applied until :func:`fix` is asked to):
    its stable ``code``, the ``attribute`` and ``column`` it changes, a ``message`` saying
    what and why, the ``count`` of cells changed (rows removed for
    ``drop_duplicate_rows``) and the first ``changes`` (up to 1,000)."""

    code: str
    attribute: Optional[str]
    column: Optional[str]
    message: str
    count: int
    changes: List[FixChange]


@dataclass(frozen=True)
class Record:
    """A valid row's normalised values by attribute key (dates as ``YYYY-MM-DD``)."""

    row: int
    values: Dict[str, Any]


@dataclass(frozen=True)
class PreviewRow:
    """A data row as it reads in the file (``row`` as findings number it)."""

    row: int
    cells: List[str]


@dataclass(frozen=True)
class Progress:
    """Progress of an analysis, given to the ``progress`` callback."""

    stage: str
    rows: int
    bytes: int
    total_bytes: int


def _known(cls: Any, data: Mapping[str, Any]) -> Dict[str, Any]:
    """The entries of ``data`` that ``cls`` has fields for: reports may gain fields."""
    names = {f for f in cls.__dataclass_fields__}
    return {k: v for k, v in data.items() if k in names}


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """No cyclic garbage collection while a million new dicts and records, none of them in a
    cycle, are made: each collection would walk all of them again (three times the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class Report:
    """The analysis of a roster: how it was read, how columns matched, every finding."""

    def __init__(self, data: Dict[str, Any], *, records: Optional[_native.Records] = None) -> None:
        self._data = data
        self.source = Source(**_known(Source, data["source"]))
        self.columns = [
            Column(**{
                **_known(Column, c),
                "alternatives": [Alternative(**_known(Alternative, a)) for a in c["alternatives"]],
            })
            for c in data["columns"]
        ]
        self.mapping: Dict[str, Any] = data["mapping"]
        self.summary = Summary(**_known(Summary, data["summary"]))
        self.findings = [Finding(**_known(Finding, f)) for f in data["findings"]]
        #: The suggested fixes, by code then column (empty when there are none).
        self.fixes = [
            Fix(**{
                **_known(Fix, f),
                "changes": [FixChange(**_known(FixChange, c)) for c in f["changes"]],
            })
            for f in data.get("fixes", [])
        ]
        # An analysis leaves its records native (``records``); they join ``_data`` and become
        # ``Record`` objects only when read.
        self._native_records = records
        self._records: Optional[List[Record]] = None
        self._records_built = False
        preview = data.get("preview")
        self.preview: Optional[List[PreviewRow]] = (
            None if preview is None else [PreviewRow(**_known(PreviewRow, r)) for r in preview]
        )

    @property
    def records(self) -> Optional[List[Record]]:
        """The valid rows' values, in row order (``None`` unless analysed with
        ``records=True``). Built on first access: an analysis that never reads them does not
        pay for them, and :meth:`records_frame` does not need them."""
        if not self._records_built:
            rows = self._records_json()
            with _no_gc():
                self._records = None if rows is None else [Record(row=r["row"], values=r["values"]) for r in rows]
            self._records_built = True
        return self._records

    @records.setter
    def records(self, value: Optional[List[Record]]) -> None:
        """Replaces the records, as assigning the attribute did before they were read lazily:
        :meth:`records_frame`, :meth:`to_dict` and :meth:`to_json` then give the new ones."""
        self._native_records = None
        self._records = value
        self._records_built = True
        preview = self._data.pop("preview", None)
        self._data.pop("records", None)
        if value is not None:
            self._data["records"] = [{"row": r.row, "values": dict(r.values)} for r in value]
        if preview is not None:
            self._data["preview"] = preview

    def _records_json(self) -> Optional[List[Dict[str, Any]]]:
        """The records as the report's JSON has them, read from the native records into
        ``_data`` the first time (after the fixes and before the preview, where the CLI puts
        them)."""
        if self._native_records is not None and "records" not in self._data:
            with _no_gc():
                rows = self._native_records.to_list()
            preview = self._data.pop("preview", None)
            self._data["records"] = rows
            if preview is not None:
                self._data["preview"] = preview
        records: Optional[List[Dict[str, Any]]] = self._data.get("records")
        return records

    def __getstate__(self) -> Dict[str, Any]:
        """Pickled and deep-copied with the records as data: the native records stay behind
        (a frame of the copy then reads its dates as text, as one of a report from JSON)."""
        self._records_json()
        return {**self.__dict__, "_native_records": None}

    @property
    def has_errors(self) -> bool:
        """Whether any finding is an error."""
        return self.summary.errors > 0

    def to_dict(self) -> Dict[str, Any]:
        """The report as the CLI's ``--json`` prints it."""
        self._records_json()
        return copy.deepcopy(self._data)

    def to_json(self) -> str:
        """The report as JSON text."""
        self._records_json()
        return json.dumps(self._data)

    def findings_frame(self) -> Any:
        """The findings as a pandas DataFrame, one row per finding (needs pandas)."""
        pd = _pandas()
        columns = ["code", "severity", "row", "column", "cell", "attribute", "message", "help", "value"]
        return pd.DataFrame([f.__dict__ for f in self.findings], columns=columns)

    def records_frame(self, library: str = "pandas") -> Any:
        """The valid rows as a DataFrame (needs ``records=True``), built from Arrow columns
        with no Python object per value.

        ``library="pandas"`` (needs pandas and pyarrow) gives a frame indexed by spreadsheet
        row (``row``); ``library="polars"`` (needs polars) gives one with ``row`` as its first
        column. Then one column per attribute the roster has, in the order of the roster's
        columns, typed by what its values are: text as strings, whole numbers as int64 (float64
        with NaN in pandas when some are missing), numbers with fractions as float64, yes/no
        as bool (object in pandas when some are missing), dates as dates (pandas:
        ``datetime64[ms]``; polars: ``Date``). A column no record has a value in is all null
        (pandas: object of ``None``; polars: ``Null``). A column holding several kinds of
        value, which only records read back from JSON can (a :class:`Report` built from a
        dict, whose dates are text too), is text, each value as the report's JSON writes it.

        Until this version the pandas frame was built from the records' dicts: dates were
        strings and a column with no value was left out.
        """
        if library == "polars":
            frames = _polars()
        elif library == "pandas":
            frames = _pandas()
            arrow = _pyarrow()
        else:
            raise ValueError(f"library `{library}` is neither `pandas` nor `polars`")
        native = self._native_records
        if native is None:
            rows = self._data.get("records")
            if rows is None:
                raise ValueError("the report has no records; analyze with records=True")
            # A report read back from JSON: its dates are text again.
            native = _native.Records.from_json(json.dumps(rows))
        keys = native.keys()
        in_roster = [c.attribute for c in self.columns if c.attribute in keys]
        order = list(dict.fromkeys(in_roster + keys))
        if library == "polars":
            # Text as Arrow string views, the strings polars holds: taken as they are.
            return frames.DataFrame(native.to_arrow(order, text_views=True))
        table = native.to_arrow(order)
        columns = arrow.table(table)
        frame = columns.remove_column(0).to_pandas(date_as_object=False)
        frame.index = frames.Index(columns.column(0).to_numpy(), name="row")
        return frame

    def __repr__(self) -> str:
        s = self.summary
        return f"Report(rows={s.rows}, valid={s.valid}, invalid={s.invalid}, findings={len(self.findings)})"


Source_ = Union[bytes, bytearray, memoryview, PathLike, IO[bytes]]


def _read(source: Source_) -> "tuple[bytes, Optional[str]]":
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source), None
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        with open(path, "rb") as f:
            return f.read(), os.path.basename(path)
    read = getattr(source, "read", None)
    if callable(read):
        data = read()
        if not isinstance(data, (bytes, bytearray)):
            raise TypeError("the file object must be opened in binary mode ('rb')")
        name = getattr(source, "name", None)
        return bytes(data), os.path.basename(name) if isinstance(name, str) else None
    raise TypeError(f"a roster is a path, bytes or a binary file object, not {type(source).__name__}")


MappingLike = Union[Mapping[str, Any], None]


def _mapping(mapping: MappingLike) -> Optional[Dict[str, Any]]:
    if mapping is None:
        return None
    if "columns" in mapping:
        return dict(mapping)
    # The short form: {"A": "name", "D": None}.
    return {"columns": [{"column": c, "attribute": a} for c, a in mapping.items()]}


def _roster_options(
    name: Optional[str], sheet: Optional[str], header_row: Optional[int], mapping: MappingLike
) -> Dict[str, Any]:
    """How an issuing call reads a roster, as the core's options."""
    return {"file_name": name, "sheet": sheet, "header_row": header_row, "mapping": _mapping(mapping)}


def analyze(
    source: Source_,
    group: GroupLike,
    *,
    sheet: Optional[str] = None,
    header_row: Optional[int] = None,
    mapping: MappingLike = None,
    saved: Optional[Mapping[str, Optional[str]]] = None,
    records: bool = True,
    preview: int = 0,
    file_name: Optional[str] = None,
    threads: int = 0,
    progress: Optional[Callable[[Progress], object]] = None,
) -> Report:
    """Analyses a roster against a group.

    ``source`` is a path (``str`` or ``os.PathLike``), ``bytes``, or a binary file object.
    ``mapping`` confirms or changes column assignments, as ``{"columns": [{"column": "A",
    "attribute": "name"}]}`` or the short ``{"A": "name", "D": None}`` (``None`` skips a
    column). ``preview`` asks for the first data rows as they read (at most 200), in
    ``report.preview``, for a grid. ``progress`` is called with a :class:`Progress` now and then, from this thread;
    the analysis itself runs without the GIL.

    Raises a :class:`ConferralError` subclass when the file cannot be analysed at all;
    everything found inside a readable roster is a finding in the report.
    """
    data, name = _read(source)
    options: Dict[str, Any] = {
        "file_name": file_name if file_name is not None else name,
        "sheet": sheet,
        "header_row": header_row,
        "mapping": _mapping(mapping),
        "saved": dict(saved or {}),
        "records": records,
        "preview": preview,
        "threads": threads,
    }
    callback = None
    if progress is not None:
        def callback(stage: str, rows: int, done: int, total: int) -> None:
            progress(Progress(stage, rows, done, total))
    report, native_records = _native.analyze(data, _group(group).to_json(), json.dumps(options), callback)
    return Report(json.loads(report), records=native_records)


#: Every fix code, in the order a report lists fixes.
FIX_CODES: List[str] = list(_native.fix_codes())


@dataclass(frozen=True)
class Fixed:
    """A roster with chosen fixes applied: the corrected file (``data``, in ``format``) and
    the analysis of the roster as given (``report``, whose ``fixes`` say what was applied)."""

    data: bytes
    format: str
    report: Report

    def save(self, path: PathLike) -> None:
        """Writes the corrected roster to ``path``."""
        with open(os.fspath(path), "wb") as f:
            f.write(self.data)


def fix(
    source: Source_,
    group: GroupLike,
    codes: Union[str, List[str]],
    *,
    format: str = "csv",
    sheet: Optional[str] = None,
    header_row: Optional[int] = None,
    mapping: MappingLike = None,
    saved: Optional[Mapping[str, Optional[str]]] = None,
    file_name: Optional[str] = None,
    threads: int = 0,
    progress: Optional[Callable[[Progress], object]] = None,
) -> Fixed:
    """Analyses a roster and applies the suggested fixes named in ``codes`` (a list of codes
    from :data:`FIX_CODES`, or ``"all"``), every change of each, as ``conferral analyze --fix
    CODE,... --output FILE`` does: the same bytes, as ``csv`` or ``xlsx``.

    A code the analysis suggests nothing for changes nothing; an unknown code raises
    :class:`InvalidValueError`. The other arguments are :func:`analyze`'s.
    """
    data, name = _read(source)
    names = codes.split(",") if isinstance(codes, str) else list(codes)
    options: Dict[str, Any] = {
        "file_name": file_name if file_name is not None else name,
        "sheet": sheet,
        "header_row": header_row,
        "mapping": _mapping(mapping),
        "saved": dict(saved or {}),
        "records": False,
        "preview": 0,
        "threads": threads,
    }
    callback = None
    if progress is not None:
        def callback(stage: str, rows: int, done: int, total: int) -> None:
            progress(Progress(stage, rows, done, total))
    roster, report = _native.fix(data, _group(group).to_json(), json.dumps(options), names, format, callback)
    return Fixed(data=roster, format=format, report=Report(json.loads(report)))


def template(group: GroupLike, format: str = "xlsx") -> bytes:
    """A roster template whose columns are the group's attributes, as ``xlsx`` or ``csv``."""
    return _native.template(_group(group).to_json(), format)


def error_report(report: Union[Report, Mapping[str, Any]], format: str = "csv") -> bytes:
    """The findings of a report as a spreadsheet (``csv`` or ``xlsx``), safe against formula
    injection, that re-imports to the original values."""
    data = report.to_dict() if isinstance(report, Report) else dict(report)
    return _native.error_report(json.dumps(data), format)


def verify(
    credential: Union[bytes, str, Mapping[str, Any], "os.PathLike[str]"],
    *,
    status_list: Union[None, bytes, str, Mapping[str, Any], "os.PathLike[str]"] = None,
    now: Optional[_dt.datetime] = None,
) -> Verification:
    """Checks a signed credential (Open Badges 3.0 / VC 2.0 with an ``eddsa-rdfc-2022``
    proof): its shape, proof, issuer, dates (at ``now``, the current time by default) and,
    given the issuer's status list credential, whether it was revoked. ``credential`` and
    ``status_list`` are JSON bytes or text, a parsed document, or a path to a file."""
    when = None
    if now is not None:
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        when = now.astimezone(_dt.timezone.utc).isoformat()
    listed = None if status_list is None else _json_bytes(status_list).decode("utf-8")
    return Verification.from_dict(json.loads(_native.verify_credential(_json_bytes(credential), listed, when)))


def new_key(path: PathLike) -> str:
    """Makes a new Ed25519 issuer key from the operating system's generator, writes it to
    ``path`` (a new file, readable by its owner alone; an existing file is never replaced)
    and returns the issuer's DID, as ``conferral key new`` does."""
    body = _native.new_key().encode("utf-8") + b"\n"
    fd = os.open(os.fspath(path), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(body)
        f.flush()
        os.fsync(f.fileno())
    return key_did(path)


def key_did(path: PathLike) -> str:
    """The DID of the issuer key in the key file at ``path``."""
    with open(os.fspath(path), "rb") as f:
        return _native.key_did(f.read())


def _read_bytes(path: PathLike) -> bytes:
    with open(os.fspath(path), "rb") as f:
        return f.read()


def _write_whole(path: str, text: str) -> None:
    """Writes ``text`` to ``path`` through a temporary file beside it, so that a reader never
    sees half a file."""
    partial = path + ".partial"
    with open(partial, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(partial, path)


def _json_bytes(value: Union[bytes, str, Mapping[str, Any], "os.PathLike[str]"]) -> bytes:
    """JSON bytes from bytes, JSON text, a parsed document or a file's path."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, Mapping):
        return json.dumps(value).encode("utf-8")
    if isinstance(value, str) and value.lstrip().startswith("{"):
        return value.encode("utf-8")
    with open(os.fspath(value), "rb") as f:
        return f.read()


class SqliteStore:
    """The embedded default store: one SQLite file (created if missing)."""

    def __init__(self, path: PathLike) -> None:
        self.path = os.fspath(path)


class PostgresStore:
    """A PostgreSQL database that any number of issuers and delivery workers share:
    ``postgres://user:password@host:port/database`` (or ``postgresql://``). The tables go in
    the first schema of the connection's ``search_path`` (``?options=-csearch_path%3DNAME``
    names one that exists) and are created or migrated on connect. Connections are made
    without TLS: use a server on loopback or a private network."""

    def __init__(self, url: str) -> None:
        self.url = url


class MemoryStore:
    """A store in memory, lost with the issuer (tests, previews)."""


class FileMailer:
    """Writes each email as an ``.eml`` file into ``directory``."""

    def __init__(self, directory: PathLike) -> None:
        self.directory = os.fspath(directory)


class SmtpMailer:
    """Sends through an SMTP server: ``smtp://host:port``, ``smtps://user:pass@host``,
    ``smtp://host?tls=starttls``, with ``timeout=SECONDS`` and ``hello=NAME`` options."""

    def __init__(self, url: str) -> None:
        self.url = url


Store = Union[SqliteStore, PostgresStore, MemoryStore]


def _sender(sender: str) -> Dict[str, str]:
    name, email = _native.parse_mailbox(sender)
    return {"name": name, "email": email}


def _values_json(values: Optional[Mapping[str, Any]], more: Mapping[str, Any]) -> str:
    """Values by attribute key as JSON text. Values JSON has no type for (dates, decimals,
    NaN) go across as their text; the core writes every other value as a roster cell would
    hold it."""
    merged = {**dict(values or {}), **more}
    finite = {k: str(v) if isinstance(v, float) and not math.isfinite(v) else v for k, v in merged.items()}
    return json.dumps(finite, default=str)


class Issuer:
    """Issues credentials: import rosters as drafts, review and amend them, publish, and
    deliver one email per recipient, with the guarantees of the Rust library (an import of the
    same file twice creates nothing new; a publish queues exactly one email per credential; a
    delivery never sends an email twice except after an ``unknown`` outcome you resend).

    ``mailer`` is a :class:`FileMailer`, an :class:`SmtpMailer`, or any object with a
    ``send(message)`` method, where ``message`` is a dict (``to``, ``from``, ``subject``,
    ``html``, ``text``, ``message_id``, ``outbox_id``); returning ``None`` means sent, and an
    exception it raises stops the delivery and comes out of :meth:`deliver` unchanged.
    """

    def __init__(
        self,
        store: Optional[Store] = None,
        mailer: Any = None,
        *,
        base_url: str = _native.DEFAULT_BASE_URL,
        sender: str = _native.DEFAULT_SENDER,
        retry: Optional[Mapping[str, int]] = None,
    ) -> None:
        config: Dict[str, Any] = {"base_url": base_url, "sender": _sender(sender)}
        if retry is not None:
            config["retry"] = dict(retry)
        store = store if store is not None else MemoryStore()
        if isinstance(store, SqliteStore):
            self._native = _native.NativeIssuer("sqlite", store.path, json.dumps(config))
        elif isinstance(store, PostgresStore):
            self._native = _native.NativeIssuer("postgres", store.url, json.dumps(config))
        elif isinstance(store, MemoryStore):
            self._native = _native.NativeIssuer("memory", None, json.dumps(config))
        else:
            raise TypeError("store is a SqliteStore, a PostgresStore or a MemoryStore")
        self.mailer = mailer

    def import_roster(
        self,
        source: Source_,
        group: GroupLike,
        *,
        publish: bool = False,
        sheet: Optional[str] = None,
        header_row: Optional[int] = None,
        mapping: MappingLike = None,
        actor: str = "python",
        progress: Optional[Callable[[str, int, int], object]] = None,
        dry_run: bool = False,
    ) -> ImportResult:
        """Analyses a roster and stores its valid rows as drafts (published at once with
        ``publish=True``). Returns the outcome: ``batch``, ``report``, ``findings`` (against
        stored credentials), ``created``, ``replaced``, ``already_imported``, ``published``.
        With ``dry_run=True`` nothing is changed: the outcome says what the import would do
        (``batch.created`` counts the drafts it would create; ``replaced`` names the drafts it
        would replace)."""
        data, name = _read(source)
        options = _roster_options(name, sheet, header_row, mapping)
        out = self._native.import_roster(
            data, _group(group).to_json(), json.dumps(options), publish, actor, progress, dry_run
        )
        return ImportResult.from_dict(json.loads(out))

    def import_groups(
        self,
        source: Source_,
        group_column: str,
        *,
        publish: bool = False,
        dry_run: bool = False,
        sheet: Optional[str] = None,
        header_row: Optional[int] = None,
        mapping: MappingLike = None,
        actor: str = "python",
    ) -> GroupsImportResult:
        """Imports a roster whose ``group_column`` names each row's group (a stored group's
        key or name): each group's rows become a batch of it, with findings at the cells of
        the file given; rows naming no stored group are ``findings``. As ``conferral issue
        FILE --group-column COLUMN``."""
        data, name = _read(source)
        options = _roster_options(name, sheet, header_row, mapping)
        out = self._native.import_groups(data, group_column, json.dumps(options), publish, dry_run, actor)
        return GroupsImportResult.from_dict(json.loads(out))

    def create(
        self,
        group: GroupLike,
        values: Optional[Mapping[str, Any]] = None,
        *,
        publish: bool = False,
        dry_run: bool = False,
        actor: str = "python",
        **more: Any,
    ) -> ImportResult:
        """Issues one credential without a spreadsheet: ``create(group, name="Ana", email=
        "ana@example.org", grade="Merit")``. The values are validated exactly as a roster's
        row, with the same findings (in ``report.findings``, each naming its ``attribute``);
        a refused value creates nothing. An unknown attribute raises
        :class:`InvalidValueError`."""
        out = self._native.create(_group(group).to_json(), _values_json(values, more), publish, dry_run, actor)
        return ImportResult.from_dict(json.loads(out))

    def renew(
        self,
        id: str,
        today: Optional[_dt.date] = None,
        *,
        publish: bool = False,
        dry_run: bool = False,
        actor: str = "python",
    ) -> ImportResult:
        """Re-issues an expired (or published) credential: a new one for the same recipient
        and values in its group, issued ``today`` (the date in UTC by default), expiring after
        the group's ``validity`` (or as long after as the old one ran). Validated as a row
        of a roster, under the group's duplicate policy, as :meth:`create` is."""
        text = self._native.renew(id, None if today is None else today.isoformat(), publish, dry_run, actor)
        return ImportResult.from_dict(json.loads(text))

    def expire(self, today: Optional[_dt.date] = None, *, actor: str = "python") -> List[str]:
        """Marks published credentials whose expiry date is before ``today`` (the date where
        the issuer is; the date in UTC by default) as expired, and returns their ids. A
        credential expiring on 2 March is valid all that day. Run it daily. It queues the
        notices groups ask for as :meth:`expire_and_notify` does, which also tells them."""
        return self.expire_and_notify(today, actor=actor).expired

    def expire_and_notify(
        self, today: Optional[_dt.date] = None, *, actor: str = "python"
    ) -> ExpireResult:
        """The daily expiry run, as ``conferral expire`` does it: marks the credentials past
        their expiry date expired, queues the expiry notices of groups with
        ``notices.expired`` and the warnings before expiry of groups with
        ``notices.expiring``; each goes once, however often it runs."""
        text = self._native.expire(None if today is None else today.isoformat(), actor)
        return ExpireResult.from_dict(json.loads(text))

    def save_group(self, group: GroupLike) -> int:
        """Checks a group and keeps it in the store as its next version; returns the version
        now latest (the same number when nothing changed). Credentials published before
        keep the version they were issued under; drafts and later publishes follow the new
        one. Imports save their group this way too."""
        return int(self._native.save_group(_group(group).to_json()))

    def groups(self) -> List[StoredGroup]:
        """The latest version of every group kept in the store, by key."""
        return [StoredGroup.from_dict(g) for g in json.loads(self._native.groups())]

    def group(self, key: str, version: Optional[int] = None) -> StoredGroup:
        """A stored group: the latest version, or ``version`` (a :class:`NotFoundError`
        when there is none). ``issuer.group("bootcamp").group`` can be given to
        :meth:`import_roster` and :meth:`create`."""
        return StoredGroup.from_dict(json.loads(self._native.group(key, version)))

    def group_history(self, key: str) -> List[StoredGroup]:
        """Every version of a stored group, oldest first."""
        return [StoredGroup.from_dict(g) for g in json.loads(self._native.group_history(key))]

    def credentials(
        self,
        *,
        group: Optional[str] = None,
        batch: Optional[str] = None,
        state: Optional[str] = None,
        email: Optional[str] = None,
    ) -> List[Credential]:
        """Credentials, filtered by group key, batch, state and address."""
        query = {"group": group, "batch": batch, "state": state, "email": email}
        return [Credential.from_dict(c) for c in json.loads(self._native.credentials(json.dumps(query)))]

    def drafts(self, batch: Optional[str] = None) -> List[Credential]:
        """The drafts of a batch, or all drafts."""
        return self.credentials(batch=batch, state="draft")

    def show(self, id: str) -> CredentialDetail:
        """One credential (``credential``) and its emails' deliveries (``deliveries``)."""
        return CredentialDetail.from_dict(json.loads(self._native.show(id)))

    def edit(self, id: str, values: Optional[Mapping[str, Any]] = None, *, actor: str = "python", **more: Any) -> Credential:
        """Amends a draft: ``edit(id, name="Ana López", grade="Merit")``. Values are written as
        in a roster cell and validated as on import (an :class:`InvalidValueError` lists every
        problem); ``""`` or ``None`` clears an optional value."""
        return Credential.from_dict(json.loads(self._native.edit(id, _values_json(values, more), actor)))

    def preview(self, id: str) -> Email:
        """The email a credential's recipient gets: ``to_name``, ``to_email``, ``subject``,
        ``html``, ``text``."""
        return Email.from_dict(json.loads(self._native.preview(id)))

    def publish(
        self,
        ids: Optional[List[str]] = None,
        *,
        batch: Optional[str] = None,
        all: bool = False,
        actor: str = "python",
        progress: Optional[Callable[[str, int, int], object]] = None,
    ) -> PublishResult:
        """Publishes these credentials, a batch, or all drafts, and queues one email each,
        5,000 per atomic step (call it again to finish a publish that stopped). Returns
        ``published``, ``already_published`` and ``refused``: the drafts whose email cannot be
        rendered, left as drafts with the reason."""
        # Only a value equal to True selects all, so 1 does and "yes" does not.
        every = bool(all == True)  # noqa: E712
        chosen = None if ids is None else list(ids)
        out = self._native.publish(chosen, batch, every, actor, progress)
        return PublishResult.from_dict(json.loads(out))

    def deliver(
        self,
        mailer: Any = None,
        *,
        limit: Optional[int] = None,
        progress: Optional[Callable[[str, int, int], object]] = None,
        workers: int = 1,
    ) -> DeliveryRun:
        """Sends every due email through ``mailer`` (or the issuer's), with ``workers``
        workers at once (each with its own connection; several need a SQLite or PostgreSQL
        store and a :class:`FileMailer` or :class:`SmtpMailer`). Any number of runs may share a store at
        the same time. Returns ``recovered`` (emails whose run stopped mid-send and whose
        lease ran out, now ``unknown``) and ``delivery`` (counts)."""
        mailer = mailer if mailer is not None else self.mailer
        if mailer is None:
            raise ValueError("no mailer: pass one here or to Issuer(mailer=...)")
        if isinstance(mailer, FileMailer):
            args: Any = ("file", mailer.directory, None)
        elif isinstance(mailer, SmtpMailer):
            args = ("smtp", mailer.url, None)
        elif callable(getattr(mailer, "send", None)):
            args = ("python", None, mailer)
        else:
            raise TypeError("a mailer is a FileMailer, an SmtpMailer, or an object with send(message)")
        kind, target, obj = args
        return DeliveryRun.from_dict(json.loads(self._native.deliver(kind, target, obj, limit, progress, workers)))

    def next_delivery(self, worker: str = "python", *, lease_secs: int = 600) -> Optional[Claimed]:
        """Claims the next due email for ``worker``, held for ``lease_secs`` (longer than a
        send can take): step one of a delivery the caller drives itself, for example from
        asyncio. ``None`` when nothing is due. Send ``claimed.outgoing``, then call
        :meth:`settle_delivery`."""
        out = self._native.next_delivery(worker, lease_secs)
        return None if out is None else Claimed.from_dict(json.loads(out))

    def settle_delivery(self, claimed: Claimed, outcome: Any = None) -> Settlement:
        """Records what sending ``claimed`` gave: ``None`` or ``True`` (accepted), a reply
        string (accepted), or a dict such as ``{"outcome": "rejected", "code": 550, "reply":
        "..."}`` (``deferred``, ``ambiguous`` likewise), as a mailer's ``send`` returns."""
        return Settlement.from_dict(
            json.loads(self._native.settle_delivery(json.dumps(claimed.to_dict()), json.dumps(_outcome(outcome))))
        )

    def release_delivery(self, claimed: Claimed) -> Settlement:
        """Gives ``claimed`` back unsent (its lease is too short to send in); it is due again."""
        return Settlement.from_dict(json.loads(self._native.settle_delivery(json.dumps(claimed.to_dict()), None)))

    def export(
        self,
        directory: PathLike,
        *,
        key: PathLike,
        ids: Optional[List[str]] = None,
        batch: Optional[str] = None,
        all: bool = False,
    ) -> ExportResult:
        """Writes each of these credentials, a batch's, or all (``all=True``) that are
        published, revoked or expired as a signed Open Badges 3.0 credential,
        ``<id>.json`` in ``directory`` (created if missing), signed with the key file at
        ``key``, as ``conferral export`` does. A draft named in ``ids`` is refused with the
        reason and the rest are written."""
        every = bool(all == True)  # noqa: E712
        chosen = None if ids is None else list(ids)
        folder = os.fspath(directory)
        os.makedirs(folder, exist_ok=True)

        def write(credential_id: str, document: str) -> None:
            _write_whole(os.path.join(folder, credential_id + ".json"), document)

        out = self._native.export(_read_bytes(key), chosen, batch, every, write)
        return ExportResult.from_dict(json.loads(out))

    def certificate(self, id: str, format: str = "pdf") -> bytes:
        """The certificate of a published, revoked or expired credential, drawn from its
        group's design (or the default) with the bundled fonts: ``"pdf"`` (the text is text,
        its fonts embedded), ``"png"`` (150 dpi) or ``"svg"`` (the text as outlines)."""
        return self._native.certificate(id, format)

    def certificates(
        self,
        path: PathLike,
        *,
        ids: Optional[List[str]] = None,
        batch: Optional[str] = None,
        all: bool = False,
        format: str = "pdf",
    ) -> CertificatesResult:
        """Writes the certificates of these credentials, a batch's, or all (``all=True``)
        into a zip at ``path``, ``<id>.pdf`` each (or ``.png``, ``.svg``), drawn one at a
        time, as ``conferral certificates`` does; the file appears only once it is whole.
        Drafts are skipped, and a draft named in ``ids`` is refused with the reason."""
        every = bool(all == True)  # noqa: E712
        chosen = None if ids is None else list(ids)
        out = self._native.certificates(os.fspath(path), chosen, batch, every, format)
        return CertificatesResult.from_dict(json.loads(out))

    def signed_credential(self, id: str, *, key: PathLike) -> Dict[str, Any]:
        """The signed Open Badges 3.0 credential of a published, revoked or expired
        credential, signed with the key file at ``key`` as of its publish time."""
        document: Dict[str, Any] = json.loads(self._native.signed_credential(id, _read_bytes(key)))
        return document

    def revoke(
        self,
        ids: Optional[List[str]] = None,
        *,
        batch: Optional[str] = None,
        reason: str,
        notify: bool = False,
        actor: str = "python",
    ) -> RevokeResult:
        """Revokes these credentials or the published ones of a batch, with ``reason``
        (required). Verifiers see it once the status list is published again
        (:meth:`status_list`). With ``notify=True`` each recipient is also sent a revocation
        notice (the group's ``notices.revoked`` wording, or the library's) by the next
        :meth:`deliver`; a credential revoked before gets it too, once."""
        chosen = None if ids is None else list(ids)
        return RevokeResult.from_dict(
            json.loads(self._native.revoke(chosen, batch, reason, notify, actor))
        )

    def remind(self) -> NoticeResult:
        """Queues reminders to recipients who have not viewed their credential, for groups
        with ``notices.reminder`` (``after_days`` after the email was accepted, and after
        each reminder, at most ``max``); :meth:`deliver` sends them. Nobody is reminded
        twice, however often it runs."""
        return NoticeResult.from_dict(json.loads(self._native.remind()))

    def correct(
        self,
        group: GroupLike,
        source: Source_,
        *,
        notify: bool = False,
        dry_run: bool = False,
        sheet: Optional[str] = None,
        header_row: Optional[int] = None,
        mapping: MappingLike = None,
        actor: str = "python",
    ) -> CorrectResult:
        """Corrects the group's drafts and published credentials from a re-uploaded roster
        (a path, bytes or a binary file). Each row names its credential by a credential id
        column (or, without one, by the recipient's email in the group); an empty cell
        leaves a value as it is and a cell holding exactly ``[clear]`` (:data:`CLEAR_MARKER`)
        clears it. Values are validated as an imported row's; a refused row is listed in
        ``findings`` and the others are applied. Published credentials stay published and
        record a ``corrected`` history entry; with ``notify=True`` their recipients get the
        email again with the new values. ``dry_run=True`` says every change and writes
        nothing."""
        data, name = _read(source)
        options = _roster_options(name, sheet, header_row, mapping)
        out = self._native.correct(data, _group(group).to_json(), json.dumps(options), notify, dry_run, actor)
        return CorrectResult.from_dict(json.loads(out))

    def revoke_roster(
        self,
        group: GroupLike,
        source: Source_,
        *,
        reason: str,
        notify: bool = False,
        dry_run: bool = False,
        sheet: Optional[str] = None,
        header_row: Optional[int] = None,
        mapping: MappingLike = None,
        actor: str = "python",
    ) -> RevokeRosterResult:
        """Revokes the group's credentials a roster names (a path, bytes or a binary file),
        by a credential id column or, without one, by the recipients' emails in the group,
        with ``reason``; rows naming no credential are ``findings`` and the rest are revoked.
        ``notify=True`` queues revocation notices; ``dry_run=True`` says what would be
        revoked and changes nothing. As ``conferral revoke --roster``."""
        data, name = _read(source)
        options = _roster_options(name, sheet, header_row, mapping)
        out = self._native.revoke_roster(
            data, _group(group).to_json(), json.dumps(options), reason, notify, dry_run, actor
        )
        return RevokeRosterResult.from_dict(json.loads(out))

    def discard(
        self,
        ids: Optional[List[str]] = None,
        *,
        batch: Optional[str] = None,
        dry_run: bool = False,
    ) -> DiscardResult:
        """Removes these drafts, or the drafts of a batch (a batch left empty is removed
        too, so its file can be imported again). Credentials that are not drafts are left
        as they are and listed in ``refused`` with the reason (revoke published ones).
        ``dry_run=True`` says what would be removed and removes nothing."""
        chosen = None if ids is None else list(ids)
        return DiscardResult.from_dict(json.loads(self._native.discard(chosen, batch, dry_run)))

    def status_list(self, *, key: PathLike, list: int = 0) -> Dict[str, Any]:
        """The issuer's revocation status list ``list`` as a ``BitstringStatusListCredential``
        signed now with the key file at ``key`` (the key the credentials were exported
        with), to publish at its ``id``."""
        signed, _ = self._native.status_list(_read_bytes(key), list)
        document: Dict[str, Any] = json.loads(signed)
        return document

    def stats(
        self,
        *,
        group: Union[None, str, "Group"] = None,
        batch: Optional[str] = None,
        since: Optional[_dt.date] = None,
    ) -> Stats:
        """The figures per group and batch (issued, delivered and the delivery rate, viewed
        and the view rate, downloads, LinkedIn shares) and the events per day, from the event
        log, as ``conferral stats`` gives them. ``Stats.frame()`` and ``Stats.daily_frame()``
        give pandas DataFrames."""
        key = group.key if isinstance(group, Group) else group
        query = {"group": key, "batch": batch, "since": None if since is None else since.isoformat()}
        return Stats.from_dict(json.loads(self._native.stats(json.dumps(query))))

    def resend(self, ids: List[str]) -> List[Delivery]:
        """Queues the emails of these credentials again, with the same Message-ID."""
        return [Delivery.from_dict(d) for d in json.loads(self._native.resend(list(ids)))]

    def mappings(self, group: GroupLike) -> Dict[str, Optional[str]]:
        """The column mappings learned for ``group`` from the mappings confirmed on its
        imports (``import_roster(..., mapping=...)``): normalised header to attribute key, or
        ``None`` for a skipped column. Every import into the group applies them."""
        learned: Dict[str, Optional[str]] = json.loads(self._native.mappings(_group(group).to_json()))
        return learned

    def forget_mappings(self, group: GroupLike, headers: Optional[List[str]] = None) -> int:
        """Forgets the learned mappings of these headers (as written in a roster), or all of
        them; returns how many were forgotten."""
        chosen = None if headers is None else list(headers)
        return self._native.forget_mappings(_group(group).to_json(), chosen)

    def process_bounces(
        self,
        reports: Union[bytes, PathLike, List[Union[bytes, PathLike]]],
        *,
        dry_run: bool = False,
    ) -> BounceRun:
        """Applies bounce and complaint reports (RFC 3464 delivery status notifications, ARF
        feedback reports), as ``conferral bounces`` does: a hard bounce or a complaint about
        an email sent from this store marks it ``bounced`` and puts its address on the
        suppression list; a soft bounce is recorded on the email; a delay, or a report about
        an email never sent from here, changes nothing. Processing a report again changes
        nothing more.

        ``reports`` is one item or a list of them; each is the bytes of a message or of an
        mbox, a path to an ``.eml`` or mbox file, or a folder whose ``.eml`` files are read by
        name. With ``dry_run`` nothing changes and each report says what it would do."""
        items = reports if isinstance(reports, list) else [reports]
        named: List[Any] = []
        for i, item in enumerate(items):
            if isinstance(item, (bytes, bytearray, memoryview)):
                named.append((f"<bytes {i + 1}>", bytes(item)))
            elif os.path.isdir(item):
                for name in sorted(os.listdir(item)):
                    path = os.path.join(item, name)
                    if name.lower().endswith(".eml") and os.path.isfile(path):
                        named.append((name, _read_bytes(path)))
            else:
                named.append((os.path.basename(os.fspath(item)), _read_bytes(item)))
        return BounceRun.from_dict(json.loads(self._native.process_bounces(named, dry_run)))

    def suppressions(self) -> List[Suppression]:
        """The suppression list, by address: no email is sent to these addresses (a due
        email to one is settled ``failed_permanent`` instead, its result saying why)."""
        return [Suppression.from_dict(s) for s in json.loads(self._native.suppressions())]

    def suppress(self, email: str, reason: str = "manual", *, note: Optional[str] = None) -> bool:
        """Puts ``email`` on the suppression list with ``reason`` (``manual``,
        ``hard_bounce`` or ``complaint``) and ``note``; returns whether it was added (an
        address listed already keeps its entry). Addresses are compared without case. An
        :class:`InvalidValueError` for something that is not an email address."""
        return bool(self._native.suppress(email, reason, note))

    def unsuppress(self, email: str) -> bool:
        """Takes ``email`` off the suppression list; returns whether it was listed. Its
        emails that were not sent stay failed until :meth:`resend`."""
        return bool(self._native.unsuppress(email))

    def status(self) -> Status:
        """Counts per credential state and per delivery state."""
        return Status.from_dict(json.loads(self._native.status()))
