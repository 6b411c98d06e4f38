"""Suggested fixes from Python: listed on the report, applied by ``conferral.fix`` exactly as
the CLI's ``analyze --fix CODE,... --output FILE`` applies them."""
import json
import os
import pathlib
import subprocess

import pytest

import conferral

ROOT = pathlib.Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "rosters" / "suggested_fixes"
ROSTER = FIXTURE / "roster.csv"
GROUP = FIXTURE / "group.json"


def _cli() -> str:
    cli = os.environ.get("CONFERRAL_CLI")
    if not cli:
        pytest.fail("CONFERRAL_CLI is not set; run the tests through `make python`")
    return cli


def test_the_report_lists_each_suggested_fix_with_its_cells():
    report = conferral.analyze(ROSTER, conferral.Group.from_path(GROUP))
    by_code = {}
    for f in report.fixes:
        by_code.setdefault(f.code, []).append(f)
    assert list(by_code) == [
        "swap_day_month", "split_name", "collapse_blanks", "email_domain_typo", "enum_case", "drop_duplicate_rows",
    ]
    assert set(by_code) <= set(conferral.FIX_CODES)
    typo = by_code["email_domain_typo"][0]
    assert (typo.attribute, typo.column, typo.count) == ("email", "C", 3)
    assert [(c.cell, c.before, c.after) for c in typo.changes] == [
        ("C2", "ana@gmial.com", "ana@gmail.com"),
        ("C4", "chiara@hotmail.con", "chiara@hotmail.com"),
        ("C6", "ana@gmial.com", "ana@gmail.com"),
    ]
    assert "misspelling" in typo.message
    dropped = by_code["drop_duplicate_rows"][0].changes
    assert [(c.row, c.cell, c.after, c.duplicate_of) for c in dropped] == [(6, None, None, 2)]
    # The objects hold the report's JSON, which is the CLI's.
    assert [f["code"] for f in report.to_dict()["fixes"]] == [f.code for f in report.fixes]


def test_a_clean_roster_has_no_fixes():
    report = conferral.analyze(b"Name,Email\nAna Lopez,ana@example.org\n", {"name": "g"})
    assert report.fixes == []
    assert "fixes" not in report.to_dict()


@pytest.mark.parametrize("codes,fmt", [
    ("all", "csv"),
    (["enum_case", "email_domain_typo"], "csv"),
    (["join_name"], "csv"),
    ("all", "xlsx"),
])
def test_fix_gives_the_clis_bytes_and_report(codes, fmt, tmp_path):
    out = tmp_path / f"fixed.{fmt}"
    listed = codes if isinstance(codes, str) else ",".join(codes)
    run = subprocess.run(
        [_cli(), "analyze", str(ROSTER), "--group", str(GROUP), "--fix", listed, "--output", str(out), "--json"],
        capture_output=True, check=False,
    )
    assert run.returncode == 1, run.stderr
    fixed = conferral.fix(ROSTER, conferral.Group.from_path(GROUP), codes, format=fmt)
    assert fixed.data == out.read_bytes()
    assert fixed.report.to_dict() == json.loads(run.stdout)
    saved = tmp_path / f"saved.{fmt}"
    fixed.save(saved)
    assert saved.read_bytes() == fixed.data


def test_the_fixed_roster_analyses_with_fewer_findings():
    group = conferral.Group.from_path(GROUP)
    before = conferral.analyze(ROSTER, group)
    fixed = conferral.fix(ROSTER, group, "all")
    after = conferral.analyze(fixed.data, group)
    assert len(after.findings) < len(before.findings)
    assert after.fixes == []
    assert after.summary.rows == before.summary.rows - 1
    # Only the address that is no address at all is still wrong.
    assert [(f.code, f.cell) for f in after.findings if f.severity == "error"] == [("invalid_email", "C7")]


def test_unknown_codes_are_refused():
    with pytest.raises(conferral.InvalidValueError, match="`fix_everything` is not a fix"):
        conferral.fix(ROSTER, conferral.Group.from_path(GROUP), ["enum_case", "fix_everything"])
    with pytest.raises(ValueError, match="neither `csv` nor `xlsx`"):
        conferral.fix(ROSTER, conferral.Group.from_path(GROUP), "all", format="ods")
