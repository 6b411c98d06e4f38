"""Records kept native until read: the lazily built `Record` list against the CLI's JSON, and
`records_frame()` through Arrow for pandas and polars (values, dtypes, nulls)."""
import datetime
import json
import math
import os
import subprocess
import sys

import pytest

import conferral

GROUP = {
    "name": "Every Type",
    "attributes": [
        {"key": "department", "label": "Department", "type": "text"},
        {"key": "manager_email", "label": "Manager Email", "type": "email"},
        {"key": "completed", "label": "Completed", "type": "date", "date_format": "DD/MM/YYYY"},
        {"key": "score", "label": "Score", "type": "number"},
        {"key": "modules", "label": "Modules", "type": "integer"},
        {"key": "portfolio", "label": "Portfolio URL", "type": "url"},
        {"key": "level", "label": "Level", "type": "enum", "values": ["Beginner", "Advanced"]},
        {"key": "publish", "label": "Publish Badge", "type": "boolean"},
        {"key": "note", "label": "Note", "type": "text"},
    ],
}
# The name is composed from its parts; row 4 is invalid (its email), so records are rows 2, 3
# and 5; row 3 leaves the integer, the boolean and the department empty, row 5 the date; no
# row has a note.
ROSTER = (
    "First Name,Last Name,Email,Department,Manager Email,Completed,Score,Modules,Portfolio URL,Level,Publish Badge,Note\n"
    "Ana,López,ana@example.org,Data,lead@example.org,13/03/2026,92.5,8,https://ana.example.org,advanced,yes,\n"
    "Bo,Chen,bo@example.org,,lead@example.org,14/03/2026,88,,https://bo.example.org,Beginner,,\n"
    "Cy,Dee,cy@,Ops,,15/03/2026,1,2,,Beginner,no,\n"
    "Di,Eve,di@example.org,Ops,,,70,3,,Beginner,no,\n"
).encode("utf-8")


@pytest.fixture
def roster(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER)
    return path


def cli_report(path, tmp_path, *extra):
    cli = os.environ.get("CONFERRAL_CLI")
    if not cli:
        pytest.fail("CONFERRAL_CLI is not set; run the tests through `make python`")
    group = tmp_path / "group.json"
    group.write_text(json.dumps(GROUP), encoding="utf-8")
    out = subprocess.run([cli, "analyze", str(path), "--group", str(group), "--records", "--json", *extra], capture_output=True, check=False)
    return json.loads(out.stdout)


def test_records_are_built_when_read_and_equal_the_cli_records(roster, tmp_path):
    expected = cli_report(roster, tmp_path)
    report = conferral.analyze(roster, GROUP)
    # Nothing of the records has reached Python yet.
    assert "records" not in report._data
    records = report.records
    assert [{"row": r.row, "values": r.values} for r in records] == expected["records"]
    assert all(isinstance(r, conferral.Record) for r in records)
    assert report.records is records
    assert [r.row for r in records] == [2, 3, 5]
    first = records[0].values
    assert first["name"] == "Ana López" and first["completed"] == "2026-03-13"
    assert first["score"] == 92.5 and first["modules"] == 8 and first["publish"] is True
    assert "modules" not in records[1].values and "publish" not in records[1].values
    assert report.to_dict() == expected
    assert conferral.analyze(roster, GROUP, records=False).records is None


def test_the_report_json_keeps_the_clis_order_with_records_read_late(roster, tmp_path):
    expected = cli_report(roster, tmp_path, "--preview", "2")
    report = conferral.analyze(roster, GROUP, preview=2)
    # to_dict() before and after reading the records: the same, in the CLI's key order.
    assert list(report.to_dict()) == list(expected) and list(expected)[-2:] == ["records", "preview"]
    assert json.loads(report.to_json()) == expected
    assert report.records is not None and len(report.records) == 3
    assert report.to_dict() == expected


def test_pandas_frame_values_dtypes_and_nulls(roster):
    import pandas as pd

    report = conferral.analyze(roster, GROUP)
    frame = report.records_frame()
    assert isinstance(frame, pd.DataFrame)
    assert frame.index.name == "row" and list(frame.index) == [2, 3, 5]
    assert frame.index.dtype == "int64"
    # The roster's columns in order, then the name composed from its parts.
    assert list(frame.columns) == [
        "first_name", "last_name", "email", "department", "manager_email", "completed", "score", "modules", "portfolio",
        "level", "publish", "note", "name",
    ]
    dtypes = {c: str(t) for c, t in frame.dtypes.items()}
    assert dtypes["score"] == "float64"  # 92.5, 88, 70: fractions and whole numbers
    assert dtypes["modules"] == "float64"  # whole numbers with one missing: NaN
    assert dtypes["completed"] == "datetime64[ms]"
    assert dtypes["publish"] == "object"  # yes/no with one missing: None
    assert dtypes["note"] == "object"
    assert pd.api.types.is_string_dtype(frame["name"]) and pd.api.types.is_string_dtype(frame["level"])
    assert list(frame["name"]) == ["Ana López", "Bo Chen", "Di Eve"]
    assert list(frame["level"]) == ["Advanced", "Beginner", "Beginner"]
    assert list(frame["score"]) == [92.5, 88.0, 70.0]
    assert frame.loc[2, "modules"] == 8 and math.isnan(frame.loc[3, "modules"]) and frame.loc[5, "modules"] == 3
    assert list(frame["publish"]) == [True, None, False]
    assert frame.loc[2, "completed"] == pd.Timestamp("2026-03-13") and pd.isna(frame.loc[5, "completed"])
    assert pd.isna(frame.loc[3, "department"]) and frame.loc[5, "department"] == "Ops"
    assert list(frame["note"]) == [None, None, None]


def test_pandas_frame_keeps_int64_and_bool_when_nothing_is_missing(roster):
    report = conferral.analyze(roster, GROUP)
    frame = report.records_frame().loc[[2, 5]]
    full = conferral.analyze(ROSTER.replace(b"88,,", b"88,4,").replace(b"Beginner,,", b"Beginner,yes,"), GROUP).records_frame()
    assert str(full["modules"].dtype) == "int64" and list(full["modules"]) == [8, 4, 3]
    assert str(full["publish"].dtype) == "bool" and list(full["publish"]) == [True, True, False]
    assert list(frame["modules"]) == [8.0, 3.0]


def test_polars_frame_values_and_dtypes(roster):
    import polars as pl

    report = conferral.analyze(roster, GROUP)
    frame = report.records_frame(library="polars")
    assert isinstance(frame, pl.DataFrame)
    assert frame.columns[0] == "row" and frame["row"].to_list() == [2, 3, 5]
    schema = dict(frame.schema)
    assert schema["row"] == pl.Int64
    assert schema["name"] == pl.String and schema["department"] == pl.String
    assert schema["score"] == pl.Float64 and schema["modules"] == pl.Int64
    assert schema["publish"] == pl.Boolean and schema["completed"] == pl.Date
    assert schema["note"] == pl.Null
    assert frame["modules"].to_list() == [8, None, 3]
    assert frame["publish"].to_list() == [True, None, False]
    assert frame["completed"].to_list() == [datetime.date(2026, 3, 13), datetime.date(2026, 3, 14), None]
    assert frame["department"].to_list() == ["Data", None, "Ops"]
    assert frame["note"].to_list() == [None, None, None]
    # The same columns, in the same order, as pandas gets.
    assert frame.columns[1:] == list(report.records_frame().columns)


def test_frames_equal_the_records(roster):
    report = conferral.analyze(roster, GROUP)
    frame = report.records_frame(library="polars")
    for record, row in zip(report.records, frame.iter_rows(named=True)):
        got = {k: v for k, v in row.items() if k != "row" and v is not None}
        got = {k: v.isoformat() if isinstance(v, datetime.date) else v for k, v in got.items()}
        assert row["row"] == record.row and got == record.values


def test_a_report_read_back_from_its_json_still_gives_a_frame(roster):
    report = conferral.analyze(roster, GROUP)
    again = conferral.Report(report.to_dict())
    assert again.records == report.records
    frame = again.records_frame(library="polars")
    # JSON has no dates: they come back as their text.
    assert frame["completed"].to_list() == ["2026-03-13", "2026-03-14", None]
    assert frame["score"].to_list() == [92.5, 88.0, 70.0]
    assert list(again.records_frame().index) == [2, 3, 5]


def test_no_records_and_a_roster_with_no_valid_row(roster):
    with pytest.raises(ValueError, match="records=True"):
        conferral.analyze(roster, GROUP, records=False).records_frame()
    with pytest.raises(ValueError, match="records=True"):
        conferral.analyze(roster, GROUP, records=False).records_frame(library="polars")
    with pytest.raises(ValueError, match="neither"):
        conferral.analyze(roster, GROUP).records_frame(library="arrow")
    empty = conferral.analyze(b"Name,Email,Score\nAna,ana@,1\n", GROUP)
    assert empty.records == []
    frame = empty.records_frame()
    assert len(frame) == 0 and list(frame.columns) == ["name", "email", "score"]
    assert len(empty.records_frame(library="polars")) == 0


def test_the_arrow_columns_can_be_read_more_than_once(roster):
    import pyarrow as pa

    table = conferral.analyze(roster, GROUP)._native_records.to_arrow(["score", "completed"])
    assert len(table) == 3
    first, second = pa.table(table), pa.table(table)
    assert first.equals(second)
    assert first.schema.names == ["row", "score", "completed"]
    assert [str(t) for t in first.schema.types] == ["int64", "double", "date32[day]"]
    with pytest.raises(ValueError, match="`grade`"):
        conferral.analyze(roster, GROUP)._native_records.to_arrow(["grade"])


def test_a_clear_error_without_pyarrow_or_polars(roster, monkeypatch):
    report = conferral.analyze(roster, GROUP)
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(ImportError, match=r"pip install 'conferral\[pandas\]'"):
        report.records_frame()
    monkeypatch.setitem(sys.modules, "polars", None)
    with pytest.raises(ImportError, match=r"pip install 'conferral\[polars\]'"):
        report.records_frame(library="polars")


def test_records_read_back_from_json_come_out_as_they_went_in():
    rows = [{"row": 2, "values": {"a": [1, {"b": None}], "n": 1.5, "i": -3, "t": "x", "y": False}}, {"row": 7, "values": {}}]
    native = conferral._native.Records.from_json(json.dumps(rows))
    assert len(native) == 2 and native.keys() == ["a", "i", "n", "t", "y"]
    assert native.to_list() == rows


def test_a_report_pickles_and_copies_with_its_records(roster):
    import copy
    import pickle

    report = conferral.analyze(roster, GROUP)
    for again in (pickle.loads(pickle.dumps(report)), copy.deepcopy(report)):
        assert again.to_dict() == report.to_dict()
        assert again.records == report.records
        assert list(again.records_frame(library="polars")["score"]) == [92.5, 88.0, 70.0]


def test_assigned_records_replace_the_native_ones_everywhere(roster):
    report = conferral.analyze(roster, GROUP)
    kept = [r for r in report.records if r.row != 3]
    report.records = kept
    assert report.records == kept
    assert [r["row"] for r in report.to_dict()["records"]] == [2, 5]
    assert list(report.to_dict())[-1] == "records"
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    frame = report.records_frame()
    assert list(frame.index) == [2, 5]
    assert isinstance(frame, pd.DataFrame)
    report.records = None
    assert report.records is None and "records" not in report.to_dict()
    with pytest.raises(ValueError, match="records=True"):
        report.records_frame()
