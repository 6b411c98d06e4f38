"""The README's quick start runs as written."""
import pathlib
import re

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def test_the_quick_start_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1]
    code = re.search(r"```python\n(.*?)```", quick_start, re.S).group(1)
    assert len(code.strip().splitlines()) <= 10
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(README), "exec"), {})
    assert "invalid_email" in capsys.readouterr().out
    assert (tmp_path / "errors.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_the_suggested_fixes_example_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text(encoding="utf-8")
    block = lambda section: re.search(r"```python\n(.*?)```", text.split(section, 1)[1], re.S).group(1)
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(block("## Quick start"), str(README), "exec"), names)
    exec(compile(block("## Suggested fixes"), str(README), "exec"), names)
    assert b"ana@gmail.com" in (tmp_path / "fixed.csv").read_bytes()


def test_the_records_example_runs(tmp_path, monkeypatch):
    text = README.read_text(encoding="utf-8")
    block = lambda section: re.search(r"```python\n(.*?)```", text.split(section, 1)[1], re.S).group(1)
    monkeypatch.chdir(tmp_path)
    names: dict = {}
    exec(compile(block("## Quick start"), str(README), "exec"), names)
    exec(compile(block("## Records and DataFrames"), str(README), "exec"), names)
    assert list(names["frame"].columns) == ["name", "email", "hours"]
