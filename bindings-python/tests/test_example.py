"""The Python example in examples/python runs, and a rerun creates nothing twice."""
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "examples" / "python" / "issue_from_lms_export.py"
FIXTURE = ROOT / "tests" / "fixtures" / "rosters" / "moodle_grades_semicolon_bom"


def run(out):
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(FIXTURE / "roster.csv"), str(FIXTURE / "group.json"), str(out)],
        capture_output=True, text=True, check=True,
    ).stdout


def test_the_lms_example_issues_and_reruns_safely(tmp_path):
    first = run(tmp_path)
    assert "drafts created: 2, rows refused: 3" in first
    assert "emails written: 2" in first
    assert (tmp_path / "errors.csv").exists()
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
    second = run(tmp_path)
    assert "was imported before" in second and "emails written: 0" in second
    assert len(list((tmp_path / "outbox").glob("*.eml"))) == 2
