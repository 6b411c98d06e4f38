"""One peer, one file, the same checks as conferral: run as a separate process by compare.py.

Usage: peers.py PEER FILE
Prints one JSON line: {"peer": ..., "rows": N, "invalid_rows": K, "seconds": S}, where S is the
time of reading and checking inside this process, after the peer's modules are imported (so a
reader can tell the interpreter's start and the imports apart from the work).

The checks (as conferral's validation for benches/peers/group.json):
  name required and free of control characters; email required, trimmed, a pragmatic
  `local@domain.tld` with no spaces; Issued On / Expires On dates (ISO in the CSV, date cells in
  the XLSX); expiry not before issue; grade in Pass/Merit/Distinction ignoring case; hours
  required and numeric; cohort start a DD/MM/YYYY date (a date cell in the XLSX); duplicate
  emails (lowercased, every occurrence); Employee ID read as text.
"""
import datetime
import importlib
import json
import re
import sys
import time

GRADES = {"pass", "merit", "distinction"}
EMAIL = r"^[^\s@,;]+@[^\s@.,;]+(\.[^\s@.,;]+)+$"
CONTROL = r"[\x00-\x1f\x7f]"
COLUMNS = ["Name", "Email", "Issued On", "Expires On", "Grade", "Course Hours", "Cohort Start", "Employee ID"]


def pandas_checks(df, csv):
    import pandas as pd

    name = df["Name"]
    bad = name.isna() | name.str.contains(CONTROL, regex=True).fillna(False)
    email = df["Email"].str.strip()
    bad |= email.isna() | ~email.str.match(EMAIL).fillna(False)
    if csv:
        issued = pd.to_datetime(df["Issued On"], format="%Y-%m-%d", errors="coerce")
        expires = pd.to_datetime(df["Expires On"], format="%Y-%m-%d", errors="coerce")
        cohort = pd.to_datetime(df["Cohort Start"], format="%d/%m/%Y", errors="coerce")
    else:
        issued = pd.to_datetime(df["Issued On"], errors="coerce")
        expires = pd.to_datetime(df["Expires On"], errors="coerce")
        cohort = pd.to_datetime(df["Cohort Start"], errors="coerce")
    bad |= issued.isna() | (expires.notna() & (expires < issued)).fillna(False)
    bad |= df["Cohort Start"].notna() & cohort.isna()
    bad |= ~df["Grade"].str.lower().isin(GRADES).fillna(False)
    bad |= pd.to_numeric(df["Course Hours"], errors="coerce").isna()
    bad |= email.str.lower().duplicated(keep=False).fillna(False) & email.notna()
    return len(df), int(bad.sum())


def polars_checks(df, csv):
    import polars as pl

    email = pl.col("Email").str.strip_chars()
    if csv:
        issued = pl.col("Issued On").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        expires = pl.col("Expires On").str.strptime(pl.Date, "%Y-%m-%d", strict=False)
        cohort = pl.col("Cohort Start").str.strptime(pl.Date, "%d/%m/%Y", strict=False)
    else:
        issued, expires, cohort = pl.col("Issued On").cast(pl.Date, strict=False), pl.col("Expires On").cast(pl.Date, strict=False), pl.col("Cohort Start").cast(pl.Date, strict=False)
    hours = pl.col("Course Hours").cast(pl.Utf8).str.strip_chars().cast(pl.Float64, strict=False)
    bad = (
        pl.col("Name").is_null()
        | pl.col("Name").str.contains(CONTROL).fill_null(False)
        | email.is_null()
        | ~email.str.contains(EMAIL).fill_null(False)
        | issued.is_null()
        | (expires < issued).fill_null(False)
        | (pl.col("Cohort Start").is_not_null() & cohort.is_null())
        | ~pl.col("Grade").str.to_lowercase().is_in(list(GRADES)).fill_null(False)
        | hours.is_null()
        | (email.str.to_lowercase().is_duplicated() & email.is_not_null())
    )
    return df.height, df.select(bad.sum()).item()


def python_checks(rows):
    """Row-by-row checks for readers that give Python values (openpyxl, python-calamine)."""
    email_re = re.compile(EMAIL)
    control = re.compile(CONTROL)
    seen = {}
    bad = []
    for i, row in enumerate(rows):
        name, email, issued, expires, grade, hours, cohort, _ = (list(row) + [None] * 8)[:8]
        problem = not name or bool(control.search(str(name)))
        email = str(email).strip() if email is not None else ""
        problem |= not email_re.match(email)
        problem |= not isinstance(issued, (datetime.date, datetime.datetime))
        problem |= isinstance(expires, (datetime.date, datetime.datetime)) and isinstance(issued, (datetime.date, datetime.datetime)) and expires < issued
        problem |= cohort is not None and cohort != "" and not isinstance(cohort, (datetime.date, datetime.datetime))
        problem |= str(grade).lower() not in GRADES
        try:
            float(hours)
        except (TypeError, ValueError):
            problem = True
        bad.append(problem)
        if email:
            seen.setdefault(email.lower(), []).append(i)
    for rows_of in seen.values():
        if len(rows_of) > 1:
            for i in rows_of:
                bad[i] = True
    return len(bad), sum(bad)


def run(peer, path):
    csv = path.endswith(".csv")
    if peer == "pandas":
        import pandas as pd

        if csv:
            df = pd.read_csv(path, engine="pyarrow", dtype={c: "string" for c in COLUMNS if c != "Course Hours"})
        else:
            df = pd.read_excel(path, engine="calamine", dtype={"Employee ID": "string"})
            for c in ["Name", "Email", "Grade"]:
                df[c] = df[c].astype("string")
        return pandas_checks(df, csv)
    if peer == "polars":
        import polars as pl

        if csv:
            df = pl.read_csv(path, infer_schema=False)
        else:
            df = pl.read_excel(path, engine="calamine", schema_overrides={"Employee ID": pl.Utf8})
        return polars_checks(df, csv)
    if peer == "python-calamine-bare":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
        return len(rows) - 1, None
    if peer == "python-calamine":
        from python_calamine import CalamineWorkbook

        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
        return python_checks(rows[1:])
    if peer == "openpyxl":
        import openpyxl

        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        rows = book.worksheets[0].iter_rows(min_row=2, values_only=True)
        return python_checks(rows)
    raise SystemExit(f"unknown peer {peer}")


# What each peer imports, loaded before the clock starts.
MODULES = {
    "pandas": ["pandas", "pyarrow", "python_calamine"],
    "polars": ["polars", "fastexcel"],
    "python-calamine-bare": ["python_calamine"],
    "python-calamine": ["python_calamine"],
    "openpyxl": ["openpyxl"],
}

if __name__ == "__main__":
    peer, path = sys.argv[1], sys.argv[2]
    for module in MODULES.get(peer, []):
        importlib.import_module(module)
    start = time.perf_counter()
    rows, invalid = run(peer, path)
    seconds = time.perf_counter() - start
    print(json.dumps({"peer": peer, "rows": rows, "invalid_rows": invalid, "seconds": seconds}))
