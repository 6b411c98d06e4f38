"""The Python API of the analysis: sources, groups, reports, outputs, errors, parity."""
import csv
import io
import json
import os
import pathlib
import signal
import subprocess
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import conferral

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "rosters"
GROUP = {
    "name": "Data Science Bootcamp 2026",
    "attributes": [
        {"key": "grade", "label": "Grade", "type": "enum", "values": ["Pass", "Merit", "Distinction"], "aliases": ["result"]},
        {"key": "hours", "label": "Course Hours", "type": "number", "required": True},
        {"key": "cohort_start", "label": "Cohort Start", "type": "date", "date_format": "DD/MM/YYYY"},
    ],
}
ROSTER = b"Name,Email,Course Hours,Result\nAna L\xc3\xb3pez,ana@example.org,12,merit\nBo,bo@,ten,Pass\n"


def test_groups_come_from_dicts_json_and_paths(tmp_path):
    from_dict = conferral.Group.from_dict(GROUP)
    assert from_dict.key == "data-science-bootcamp-2026"
    keys = [a.key for a in from_dict.attributes]
    assert keys[:2] == ["name", "email"] and "hours" in keys
    assert next(a for a in from_dict.attributes if a.key == "hours").required
    path = tmp_path / "group.json"
    path.write_text(json.dumps(GROUP), encoding="utf-8")
    assert conferral.Group.from_path(path).to_dict() == GROUP
    assert conferral.Group.from_json(json.dumps(GROUP)).name == GROUP["name"]
    with pytest.raises(conferral.InvalidGroupError) as e:
        conferral.Group.from_dict({"name": "x", "attributes": [{"key": "Bad Key"}]})
    assert e.value.kind == "invalid_group" and "Bad Key" in str(e.value)
    with pytest.raises(conferral.InvalidGroupError):
        conferral.Group.from_json("{not json")
    assert (from_dict.duplicates, from_dict.email) == ("deny", None)
    custom = conferral.Group.from_dict({**GROUP, "duplicates": "replace", "email": {"subject": "Hi {{ recipient.name }}"}})
    assert custom.duplicates == "replace" and custom.email["subject"].startswith("Hi")
    with pytest.raises(conferral.InvalidTemplateError) as e:
        conferral.Group.from_dict({**GROUP, "email": {"text": "{{ attributes.grde }}"}})
    assert "attributes.grade" in str(e.value)


def test_analyze_takes_paths_bytes_and_file_objects(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes(ROSTER)
    by_path = conferral.analyze(path, GROUP)
    by_str = conferral.analyze(str(path), GROUP)
    by_bytes = conferral.analyze(ROSTER, conferral.Group.from_dict(GROUP), file_name="roster.csv")
    with open(path, "rb") as f:
        by_file = conferral.analyze(f, GROUP)
    assert by_path.to_dict() == by_str.to_dict() == by_bytes.to_dict() == by_file.to_dict()
    report = by_path
    assert (report.summary.rows, report.summary.valid, report.summary.invalid) == (2, 1, 1)
    assert report.source.format == "csv" and report.source.delimiter == ","
    assert [c.attribute for c in report.columns] == ["name", "email", "hours", "grade"]
    assert report.columns[3].tier == "alias"
    cells = {f.cell: f.code for f in report.findings}
    assert cells == {"B3": "invalid_email", "C3": "invalid_number"}
    assert report.records[0].values == {"name": "Ana López", "email": "ana@example.org", "hours": 12, "grade": "Merit"}
    assert report.has_errors
    with pytest.raises(TypeError):
        conferral.analyze(io.StringIO("Name,Email\n"), GROUP)


def test_a_misnamed_file_warns_and_the_mapping_can_be_changed(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(ROSTER)
    report = conferral.analyze(path, GROUP, mapping={"D": None})
    codes = [f.code for f in report.findings]
    assert "format_mismatch" in codes
    assert report.columns[3].attribute is None
    long_form = conferral.analyze(path, GROUP, mapping={"columns": [{"column": "D", "attribute": None}]})
    assert long_form.to_dict() == report.to_dict()
    with pytest.raises(conferral.InvalidMappingError):
        conferral.analyze(path, GROUP, mapping={"Z": "name"})


def test_unreadable_files_raise_one_subclass_per_kind():
    with pytest.raises(conferral.EmptyFileError) as e:
        conferral.analyze(b"", GROUP)
    assert isinstance(e.value, conferral.ConferralError) and e.value.kind == "empty_file"
    with pytest.raises(conferral.UnsupportedFormatError):
        conferral.analyze(bytes(range(256)) * 4, GROUP)
    with pytest.raises(conferral.SheetNotFoundError):
        conferral.analyze(conferral.template(GROUP, "xlsx"), GROUP, sheet="Nope")
    # Every kind the library has maps to its own class.
    assert sorted(conferral.BY_KIND) == sorted(conferral._native.error_kinds())


def test_progress_is_reported_from_this_thread():
    import threading

    rows = "".join(f"R{i},r{i}@example.org,1\n" for i in range(70_000))
    seen = []
    thread = threading.get_ident()

    def progress(p):
        assert threading.get_ident() == thread
        seen.append(p)

    conferral.analyze(("Name,Email,Course Hours\n" + rows).encode(), GROUP, progress=progress, records=False)
    stages = [p.stage for p in seen]
    assert stages[0] == "reading" and "validating" in stages
    assert max(p.rows for p in seen) == 70_000

    def failing(p):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        conferral.analyze(ROSTER, GROUP, progress=failing)


def test_templates_and_error_reports():
    xlsx = conferral.template(GROUP)
    assert xlsx[:2] == b"PK"
    header = next(csv.reader(io.StringIO(conferral.template(GROUP, "csv").decode("utf-8-sig"))))
    assert "Course Hours * [number]" in header
    report = conferral.analyze(ROSTER, GROUP)
    text = conferral.error_report(report).decode("utf-8-sig")
    assert "B3" in text and "invalid_email" in text
    assert conferral.error_report(report.to_dict(), "xlsx")[:2] == b"PK"
    with pytest.raises(ValueError):
        conferral.template(GROUP, "pdf")


def test_frames_when_pandas_is_there_and_a_clear_error_when_not(monkeypatch):
    # pandas is pinned in requirements-test.txt: its absence is a broken set-up, not a skip.
    import pandas as pd

    report = conferral.analyze(ROSTER, GROUP)
    findings = report.findings_frame()
    assert list(findings["cell"]) == ["B3", "C3"]
    records = report.records_frame()
    assert isinstance(records, pd.DataFrame)
    assert list(records.index) == [2] and records.loc[2, "grade"] == "Merit"
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install"):
        report.findings_frame()


def fixture_folders():
    return sorted(p for p in FIXTURES.iterdir() if p.is_dir())


@pytest.mark.parametrize("folder", fixture_folders(), ids=lambda p: p.name)
def test_reports_equal_the_cli_json(folder, tmp_path):
    cli = os.environ.get("CONFERRAL_CLI")
    if not cli:
        pytest.fail("CONFERRAL_CLI is not set; run the tests through `make python`")
    roster = next(folder.glob("roster.*"))
    group = folder / "group.json"
    options = json.loads((folder / "options.json").read_text()) if (folder / "options.json").exists() else {}
    args = [cli, "analyze", str(roster), "--group", str(group), "--records", "--json"]
    if options.get("sheet"):
        args += ["--sheet", options["sheet"]]
    if options.get("header_row"):
        args += ["--header-row", str(options["header_row"])]
    if options.get("mapping"):
        mapping_file = tmp_path / "mapping.json"
        mapping_file.write_text(json.dumps(options["mapping"]))
        args += ["--mapping", str(mapping_file)]
    out = subprocess.run(args, capture_output=True, check=False)
    expected = json.loads(out.stdout)
    try:
        got = conferral.analyze(
            roster,
            conferral.Group.from_path(group),
            sheet=options.get("sheet"),
            header_row=options.get("header_row"),
            mapping=options.get("mapping"),
        ).to_dict()
    except conferral.ConferralError as e:
        got = {"error": {"kind": e.kind, "message": str(e)}}
    assert got == expected


names = st.text(alphabet=st.characters(whitelist_categories=("Lu", "Ll"), max_codepoint=0x24F), min_size=1, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(names, names, st.integers(0, 400), st.sampled_from(["Pass", "Merit", "Distinction"])), min_size=1, max_size=20, unique_by=lambda r: r[0] + r[1]))
def test_a_filled_template_analyzes_back_to_its_rows(rows):
    template = conferral.template(GROUP, "csv").decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(template)))
    # Template titles carry a marker and a hint: `Course Hours * [number]`.
    label = {h: h.split(" [")[0].rstrip(" *") for h in header}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    written = []
    for i, (first, last, half_hours, grade) in enumerate(rows):
        values = {
            "Name": f"{first} {last}",
            "Email": f"r{i}@example.org",
            "Course Hours": str(half_hours / 2),
            "Grade": grade,
        }
        writer.writerow([values.get(label[h], "") for h in header])
        written.append({"name": f"{first} {last}", "email": f"r{i}@example.org", "hours": half_hours / 2, "grade": grade})
    report = conferral.analyze(out.getvalue().encode("utf-8"), GROUP)
    assert (report.summary.rows, report.summary.invalid) == (len(rows), 0), report.findings
    got = [
        {"name": r.values["name"], "email": r.values["email"], "hours": float(r.values["hours"]), "grade": r.values["grade"]}
        for r in report.records
    ]
    assert got == written


def test_ctrl_c_stops_a_long_analysis():
    import _thread
    import threading

    rows = "".join(f"R{i},r{i}@example.org,1\n" for i in range(400_000))
    data = ("Name,Email,Course Hours\n" + rows).encode()
    seen = []

    def progress(p):
        seen.append(p.rows)
        if p.stage == "validating":
            # What Ctrl-C does: a KeyboardInterrupt pending for the main thread.
            _thread.interrupt_main()

    assert threading.current_thread() is threading.main_thread()
    # A process started in the background by a non-interactive shell (as CI may start the
    # suite) inherits SIGINT as ignored, and then Python drops the interrupt: install the
    # handler a terminal session has.
    before = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with pytest.raises(KeyboardInterrupt):
            conferral.analyze(data, GROUP, progress=progress, records=False)
    finally:
        signal.signal(signal.SIGINT, before)
    assert max(seen) < 400_000


def test_preview_rows_and_cli_parity(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_bytes(b"Name,Email,Course Hours\nAna Lopez,ana@example.org,12\n\nBo Chen,bo@,ten\n")
    report = conferral.analyze(roster, GROUP, preview=5)
    assert [(r.row, r.cells) for r in report.preview] == [(2, ["Ana Lopez", "ana@example.org", "12"]), (4, ["Bo Chen", "bo@", "ten"])]
    assert conferral.analyze(roster, GROUP).preview is None
    group = tmp_path / "group.json"
    group.write_text(json.dumps(GROUP))
    cli = os.environ["CONFERRAL_CLI"]
    out = subprocess.run([cli, "analyze", str(roster), "--group", str(group), "--records", "--preview", "5", "--json"], capture_output=True, check=False)
    assert json.loads(out.stdout) == report.to_dict()
