"""conferral against the parse floor and the tools a user would otherwise reach for (issue 19).

Every measurement is a fresh process started from here: its wall time is taken around the
process and its peak RSS is the command's own, from GNU time's `%M` when GNU time is installed
(about a millisecond more of wall time for its fork), else from the kernel's rusage of the child
(wait4), which cannot read below this harness's own peak (see gnu_time). Each round runs
every measurement once, in a fixed interleaved order (floor, conferral, peers, the Python
binding, then the same for the workbook), so drift of this shared machine during a round hits
every tool alike; the tables give the median of the rounds and the min–max. The checks are the
same everywhere (peers.py); the invalid-row counts are printed so the agreement can be seen.

Usage: compare.py --data DIR --conferral BIN --group GROUP.json --xsv BIN
                  [--runs N] [--smoke] [--report FILE] [--raw FILE]
"""
import argparse
import datetime
import importlib.metadata
import json
import os
import platform
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from typing import Callable, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1 << 20
# A run that takes longer than this is killed and counted as failed.
TIMEOUT_SECONDS = 900

# Inflates one member of a zip to nowhere: the XLSX floor when `unzip` is not installed.
INFLATE_WITH_ZIPFILE = """
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as book, book.open(sys.argv[2]) as sheet:
    while sheet.read(1 << 20):
        pass
"""


@dataclass
class Run:
    wall: float
    rss_mib: float
    info: dict


@dataclass
class Case:
    """One measured command; `read` turns its stdout file into {"rows", "invalid", ...}."""

    key: str
    label: str
    argv: List[str]
    read: Callable[[str], dict]
    ok_codes: tuple = (0,)
    to_null: bool = False
    runs: List[Run] = field(default_factory=list)
    failures: List[str] = field(default_factory=list)

    def median(self, pick=lambda r: r.wall) -> Optional[float]:
        values = [v for v in (pick(r) for r in self.runs) if v is not None]
        return statistics.median(values) if values else None

    def span(self, pick=lambda r: r.wall):
        values = [v for v in (pick(r) for r in self.runs) if v is not None]
        return (min(values), max(values)) if values else None

    def info(self, name):
        """The value a run reported under `name`, when every run agrees (else the set)."""
        values = {json.dumps(r.info.get(name)) for r in self.runs}
        if len(values) == 1:
            return json.loads(values.pop())
        return sorted(json.loads(v) for v in values if v != "null")


def step(name):
    """Picks an in-process time the child reported, for Case.median/span."""
    return lambda run: (run.info.get("seconds") or {}).get(name)


def gnu_time():
    """GNU time, when it is here and reports a known allocation right, else None.

    A child's own rusage (wait4) cannot read below the peak of the process that spawned it: the
    kernel carries the spawner's high-water mark across exec, and this harness is a Python
    process. GNU time is a small process whose child starts from its own small image, so its
    `%M` is the command's own peak."""
    path = shutil.which("time") or "/usr/bin/time"
    if not os.access(path, os.X_OK):
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        done = subprocess.run(
            [path, "-f", "%M", "-o", out.name, sys.executable, "-c", "b = b'x' * (64 << 20)"],
            capture_output=True,
        )
        try:
            kib = int(out.read().strip().splitlines()[-1])
        except (ValueError, IndexError):
            return None
    return path if done.returncode == 0 and 64 * 1024 <= kib <= 128 * 1024 else None


def run_once(case: Case, scratch: str, timer_path: Optional[str]) -> None:
    out_path = os.path.join(scratch, "stdout")
    err_path = os.path.join(scratch, "stderr")
    rss_path = os.path.join(scratch, "rss")
    argv = case.argv if timer_path is None else [timer_path, "-f", "%M", "-o", rss_path] + case.argv
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        stdout = subprocess.DEVNULL if case.to_null else out
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err, start_new_session=True)
        timer = threading.Timer(TIMEOUT_SECONDS, os.killpg, (child.pid, signal.SIGKILL))
        timer.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        timer.cancel()
    code = os.waitstatus_to_exitcode(status)
    child.returncode = code
    if code not in case.ok_codes:
        with open(err_path, "rb") as f:
            tail = f.read()[-600:].decode(errors="replace").strip()
        if timer_path is not None and os.path.exists(rss_path):
            # GNU time's own line ("Command terminated by signal 9", ...) says how it ended.
            with open(rss_path) as f:
                tail = (tail + "\n" + f.read().strip()).strip()
        case.failures.append(f"exit {code}: {tail}")
        sys.stderr.write(f"  {case.label}: failed (exit {code})\n{tail}\n")
        return
    try:
        info = case.read(out_path)
        if timer_path is None:
            rss_mib = usage.ru_maxrss / 1024
        else:
            # GNU time writes "Command exited with non-zero status N" above the figure.
            with open(rss_path) as f:
                rss_mib = int(f.read().strip().splitlines()[-1]) / 1024
    except (ValueError, KeyError, IndexError, OSError) as e:
        case.failures.append(f"unreadable output: {e}")
        sys.stderr.write(f"  {case.label}: unreadable output ({e})\n")
        return
    case.runs.append(Run(wall, rss_mib, info))
    sys.stderr.write(f"  {case.label}: {wall:.3f} s, {rss_mib:.0f} MiB\n")


# Readers of each kind of stdout.


def read_conferral(path):
    """The report's summary, which the CLI prints before the findings and records: the head of
    the file is enough even when it holds a million records."""
    decoder = json.JSONDecoder()
    head = b""
    with open(path, "rb") as f:
        while True:
            chunk = f.read(256 * 1024)
            head += chunk
            text = head.decode("utf-8", errors="replace")
            at = text.find('"summary":')
            if at >= 0:
                try:
                    summary, _ = decoder.raw_decode(text, text.index("{", at))
                    return {"rows": summary["rows"], "invalid": summary["invalid"]}
                except ValueError:
                    if not chunk:
                        raise
            if not chunk:
                raise ValueError("no summary in the report")


def read_json_line(path):
    with open(path) as f:
        line = json.loads(f.read().strip().splitlines()[-1])
    line["invalid"] = line.pop("invalid_rows", None)
    return line


def read_count(path):
    with open(path) as f:
        return {"rows": int(f.read().strip()), "invalid": None}


def read_nothing(_path):
    return {"rows": None, "invalid": None}


# The plan.


def sheet_member(xlsx):
    """The first worksheet's part inside the workbook (xl/worksheets/sheet1.xml for ours)."""
    with zipfile.ZipFile(xlsx) as book:
        names = book.namelist()
    if "xl/worksheets/sheet1.xml" in names:
        return "xl/worksheets/sheet1.xml"
    sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
    if not sheets:
        raise SystemExit(f"{xlsx} has no worksheet")
    return sheets[0]


def probe_binding():
    """What the installed binding offers, or None when it is not installed."""
    done = subprocess.run(
        [sys.executable, os.path.join(HERE, "binding.py"), "probe"], capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.stderr.write(f"the Python binding is not usable here: {done.stderr.strip()[-400:]}\n")
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def plan(args, csv, xlsx, binding, inflate):
    py = sys.executable
    peers = os.path.join(HERE, "peers.py")
    bind = os.path.join(HERE, "binding.py")
    cli = [args.conferral, "analyze"]
    group = ["--group", args.group]
    cases = [
        Case("xsv", "`xsv count` (parse floor)", [args.xsv, "count", csv], read_count),
        Case("cli", "conferral `--json`", cli + [csv] + group + ["--json"], read_conferral, (0, 1)),
        Case("cli-1", "conferral `--json --threads 1`", cli + [csv] + group + ["--json", "--threads", "1"], read_conferral, (0, 1)),
        Case("cli-records", "conferral `--json --records`", cli + [csv] + group + ["--json", "--records"], read_conferral, (0, 1)),
        Case("pandas", "pandas (pyarrow engine) + checks", [py, peers, "pandas", csv], read_json_line),
        Case("polars", "polars + checks", [py, peers, "polars", csv], read_json_line),
    ]
    if binding is not None:
        cases += [
            Case("py-findings", "`analyze(path, group, records=False)`", [py, bind, "findings", csv, args.group], read_json_line),
            Case("py-records", "`analyze(path, group, records=True)`", [py, bind, "records", csv, args.group], read_json_line),
            Case("py-frame", "`analyze(..., records=True).records_frame()`", [py, bind, "records_frame", csv, args.group], read_json_line),
        ]
        if "library" in binding["records_frame_params"]:
            cases.append(Case("py-frame-polars", '`analyze(..., records=True).records_frame(library="polars")`', [py, bind, "records_frame_polars", csv, args.group], read_json_line))
        cases.append(Case("py-read-csv", "`polars.read_csv(path, infer_schema=False)`", [py, bind, "polars_read_csv", csv, args.group], read_json_line))
    member = sheet_member(xlsx)
    if inflate == "unzip":
        floor = Case("inflate", f"`unzip -p` {member} (inflate floor)", ["unzip", "-p", xlsx, member], read_nothing, to_null=True)
    else:
        floor = Case("inflate", f"Python zipfile inflating {member} (inflate floor)", [py, "-c", INFLATE_WITH_ZIPFILE, xlsx, member], read_nothing)
    cases += [
        floor,
        Case("cli-xlsx", "conferral `--json`", cli + [xlsx] + group + ["--json"], read_conferral, (0, 1)),
    ]
    if not args.smoke:
        cases.append(Case("openpyxl", "openpyxl (read-only) + checks", [py, peers, "openpyxl", xlsx], read_json_line))
    cases += [
        Case("calamine-bare", "python-calamine, bare read", [py, peers, "python-calamine-bare", xlsx], read_json_line),
        Case("calamine", "python-calamine + checks", [py, peers, "python-calamine", xlsx], read_json_line),
        Case("pandas-xlsx", "pandas (calamine engine) + checks", [py, peers, "pandas", xlsx], read_json_line),
        Case("polars-xlsx", "polars (calamine engine) + checks", [py, peers, "polars", xlsx], read_json_line),
    ]
    return cases


# Formatting.


def last_failure(case):
    """The last line of the last failure, fit for a table cell."""
    if not case.failures:
        return "?"
    lines = [line for line in case.failures[-1].splitlines() if line.strip()]
    return (lines[-1] if lines else "?").replace("|", "/")[:160]


def secs(value):
    return "-" if value is None else f"{value:.3f}"


def span_text(span, case=None):
    """min–max, and how many runs they cover when some failed."""
    if span is None:
        return "-"
    text = f"{span[0]:.3f}–{span[1]:.3f}"
    if case is not None and case.failures:
        text += f" ({len(case.runs)} of {len(case.runs) + len(case.failures)} runs)"
    return text


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def shown_count(case):
    invalid = case.info("invalid")
    if invalid is None:
        return "(no checks)"
    return str(invalid)


def file_table(cases, keys, size_mib, base_key):
    base = cases[base_key].median() if base_key in cases else None
    lines = [
        "| tool | median wall s | min–max s | work in process s | peak RSS MiB | RSS / file | rows | invalid rows | × conferral |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key in keys:
        if key not in cases:
            continue
        case = cases[key]
        if not case.runs:
            lines.append(f"| {case.label} | failed: {last_failure(case)} | | | | | | | |")
            continue
        wall = case.median()
        rss = case.median(lambda r: r.rss_mib)
        work = case.median(lambda r: r.info.get("seconds") if isinstance(r.info.get("seconds"), float) else None)
        x = ratio(wall, base)
        rows = case.info("rows")
        lines.append(
            f"| {case.label} | {secs(wall)} | {span_text(case.span(), case)} | {secs(work)} | {rss:.0f} "
            f"| {rss / size_mib:.2f} | {rows if rows is not None else '-'} | {shown_count(case)} "
            f"| {'-' if x is None else f'{x:.2f}×'} |"
        )
    return lines


def binding_table(cases):
    lines = [
        "| step (in one fresh process each) | median s in process | min–max s | process wall s | peak RSS MiB | rows | invalid rows |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    rows = [
        ("py-findings", "analyze", None),
        ("py-records", "analyze", None),
        ("py-frame", "total", None),
        ("py-frame", "analyze", "of which `analyze(records=True)`"),
        ("py-frame", "records_frame", "of which `records_frame()`"),
        ("py-frame-polars", "total", None),
        ("py-frame-polars", "analyze", 'of which `analyze(records=True)`'),
        ("py-frame-polars", "records_frame", 'of which `records_frame(library="polars")`'),
        ("py-read-csv", "read_csv", None),
    ]
    for key, name, label in rows:
        if key not in cases:
            continue
        case = cases[key]
        if not case.runs:
            if name in ("analyze", "read_csv", "total") and label is None:
                lines.append(f"| {case.label} | failed: {last_failure(case)} | | | | | |")
            continue
        if label is None:
            shown_rows = case.info("frame_rows") if "frame" in key else case.info("rows")
            lines.append(
                f"| {case.label} | {secs(case.median(step(name)))} | {span_text(case.span(step(name)), case)} "
                f"| {secs(case.median())} | {case.median(lambda r: r.rss_mib):.0f} | {shown_rows} | {shown_count(case)} |"
            )
        else:
            lines.append(f"| &nbsp;&nbsp;{label} | {secs(case.median(step(name)))} | {span_text(case.span(step(name)))} | | | | |")
    return lines


def targets(cases, csv_name, csv_mib, xlsx_name, cores):
    """The rows of "Against the targets": each a ratio of two medians and its bound."""

    def measured(key, pick=lambda r: r.wall):
        return cases[key].median(pick) if key in cases and cases[key].runs else None

    def wall(key):
        return measured(key)

    def inside(key, name):
        return measured(key, step(name))

    def rss(key):
        return measured(key, lambda r: r.rss_mib)

    rows = []

    def row(target, value, met, describe):
        """`describe(value)` says how `value` was found; `met(value)` whether it is in bounds."""
        if value is None:
            rows.append(f"| {target} | not measured (a run failed) | - |")
        else:
            rows.append(f"| {target} | {describe(value)} | {'met' if met(value) else 'not met'} |")

    def at_most(limit):
        return lambda value: value <= limit

    def at_least(limit):
        return lambda value: value >= limit

    cli, xsv = wall("cli"), wall("xsv")
    row(f"{csv_name}, findings only: ≤ 2× `xsv count`", ratio(cli, xsv), at_most(2.0),
        lambda r: f"conferral {secs(cli)} s / xsv count {secs(xsv)} s = {r:.2f}×")
    for key, limit in (("pandas", 10.0), ("polars", 4.0)):
        peer, work = wall(key), measured(key, lambda run: run.info.get("seconds"))
        row(f"{csv_name}, findings only: ≥ {limit:.0f}× faster than {key} with the same checks",
            ratio(peer, cli), at_least(limit),
            lambda r: f"{key} {secs(peer)} s / conferral {secs(cli)} s = {r:.2f}× (whole processes; "
            f"{key}'s read + checks alone take {secs(work)} s)")
    one = wall("cli-1")
    row(f"{csv_name}: scaling to all {cores} cores ≥ 1.7×", ratio(one, cli), at_least(1.7),
        lambda r: f"`--threads 1` {secs(one)} s / all threads {secs(cli)} s = {r:.2f}×")
    records = wall("cli-records")
    row(f"{csv_name}, CLI JSON with records: ≤ 1.5× findings only", ratio(records, cli), at_most(1.5),
        lambda r: f"`--records` {secs(records)} s / without {secs(cli)} s = {r:.2f}×")
    py_records, py_findings = inside("py-records", "analyze"), inside("py-findings", "analyze")
    row(f"{csv_name}, Python `analyze` with records: ≤ 1.5× findings only", ratio(py_records, py_findings),
        at_most(1.5),
        lambda r: f"`records=True` {secs(py_records)} s / `records=False` {secs(py_findings)} s = {r:.2f}× (in process)")
    xlsx, inflate = wall("cli-xlsx"), wall("inflate")
    row(f"{xlsx_name}: ≤ 2× inflating its sheet", ratio(xlsx, inflate), at_most(2.0),
        lambda r: f"conferral {secs(xlsx)} s / inflate {secs(inflate)} s = {r:.2f}×")
    calamine = wall("calamine")
    row(f"{xlsx_name}: ≥ 6× faster than python-calamine with the same checks", ratio(calamine, xlsx), at_least(6.0),
        lambda r: f"python-calamine {secs(calamine)} s / conferral {secs(xlsx)} s = {r:.2f}×")
    peak = rss("cli")
    others = ", ".join(f"{label} {rss(k):.0f} MiB" for k, label in (("cli-1", "`--threads 1`"), ("cli-records", "`--records`"))
                       if rss(k) is not None)
    row(f"{csv_name}: peak RSS ≤ the file's size", ratio(peak, csv_mib), at_most(1.0),
        lambda r: f"{peak:.0f} MiB for a {csv_mib:.1f} MiB file = {r:.2f}× (findings only, all threads; {others})")
    read_csv = inside("py-read-csv", "read_csv")
    yardstick = "`polars.read_csv(path, infer_schema=False)`"
    for key, call in (("py-frame", "`records_frame()`"), ("py-frame-polars", '`records_frame(library="polars")`')):
        target = f"{csv_name}: `analyze(records=True)` + {call} < {yardstick}"
        if key not in cases:
            rows.append(f"| {target} | the installed binding's `records_frame` takes no `library` argument | - |")
            continue
        total = inside(key, "total")
        row(target, ratio(total, read_csv), lambda value: value < 1.0,
            lambda r: f"{secs(inside(key, 'analyze'))} s + {secs(inside(key, 'records_frame'))} s = {secs(total)} s "
            f"vs {secs(read_csv)} s = {r:.2f}× (in process)")
    rows.append("| the browser within 1.5× native on the 100k-row files | not measured here (`make bench-wasm`) | - |")
    return ["| target | measured (medians) | met |", "| --- | --- | --- |"] + rows


def versions(args, binding, inflate):
    out = []
    try:
        out.append(subprocess.run([args.conferral, "--version"], capture_output=True, text=True).stdout.strip())
    except OSError:
        pass
    out.append(subprocess.run([args.xsv, "--version"], capture_output=True, text=True).stdout.strip().join(["xsv ", ""]))
    if inflate == "unzip":
        head = subprocess.run(["unzip", "-v"], capture_output=True, text=True).stdout.splitlines()
        out.append(" ".join(head[0].split()[:2]) if head else "unzip")
    else:
        out.append("Python zipfile (no `unzip` here)")
    out.append(f"Python {platform.python_version()}")
    for name in ("pandas", "pyarrow", "polars", "fastexcel", "python-calamine", "openpyxl"):
        try:
            out.append(f"{name} {importlib.metadata.version(name)}")
        except importlib.metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    if binding:
        out.append(f"binding conferral {binding['version']} (`records_frame({', '.join(binding['records_frame_params'])})`)")
    return out


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return len(os.sched_getaffinity(0)), model


def git_describe():
    done = subprocess.run(["git", "describe", "--always", "--dirty", "--abbrev=12"], capture_output=True, text=True)
    return done.stdout.strip() or "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--conferral", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--xsv", required=True)
    ap.add_argument("--runs", type=int, help="rounds (default 3; 1 with --smoke)")
    ap.add_argument("--smoke", action="store_true", help="one quick round on the 100k-row CSV, without openpyxl")
    ap.add_argument("--csv", help="the CSV in --data (default roster_1m.csv; roster_100k.csv with --smoke)")
    ap.add_argument("--xlsx", default="roster_100k.xlsx")
    ap.add_argument("--report")
    ap.add_argument("--raw", help="also write every run's figures here (JSON)")
    args = ap.parse_args()
    runs = args.runs if args.runs else (1 if args.smoke else 3)
    csv_name = args.csv or ("roster_100k.csv" if args.smoke else "roster_1m.csv")
    csv = os.path.join(args.data, csv_name)
    xlsx = os.path.join(args.data, args.xlsx)
    inflate = "unzip" if shutil.which("unzip") else "zipfile"
    timer_path = gnu_time()
    binding = probe_binding()
    cores, model = machine()
    cases = plan(args, csv, xlsx, binding, inflate)

    # The files in the page cache before the first round, so round 1 does not pay the disk.
    for path in (csv, xlsx):
        with open(path, "rb") as f:
            while f.read(MIB):
                pass
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-peers-") as scratch:
        for round_ in range(runs):
            sys.stderr.write(f"round {round_ + 1} of {runs}\n")
            for case in cases:
                run_once(case, scratch, timer_path)
    load_after = os.getloadavg()
    by_key = {c.key: c for c in cases}

    csv_mib = os.path.getsize(csv) / MIB
    xlsx_mib = os.path.getsize(xlsx) / MIB
    lines = [
        f"## conferral against the parse floor and its peers ({'smoke round, figures not meaningful' if args.smoke else 'issue 19'})",
        "",
        f"{started:%Y-%m-%d %H:%M} UTC, commit {git_describe()}, {cores} CPUs ({model}), "
        f"load average {load_before[0]:.2f} before and {load_after[0]:.2f} after. "
        f"Medians of {runs} run{'s' if runs != 1 else ''} (min–max beside them); every tool runs once per round, "
        "interleaved, each in a fresh process; "
        + ("peak RSS is the command's own, from GNU time's `%M`." if timer_path else
           "peak RSS from wait4 of each child, which cannot read below this harness's own peak "
           f"({resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB; GNU time is not here)."),
        "",
        "Versions: " + "; ".join(v for v in versions(args, binding, inflate) if v) + ".",
        "",
        f"### {csv_name} ({csv_mib:.1f} MiB)",
        "",
    ]
    lines += file_table(by_key, ["xsv", "cli", "cli-1", "cli-records", "pandas", "polars"], csv_mib, "cli")
    lines += [
        "",
        "Wall times are whole processes (the Python peers' include starting the interpreter and "
        "importing; \"work in process\" is their read + checks alone). conferral's `--json` uses all "
        "threads; the CLI's JSON is written to a file.",
        "",
    ]
    if binding is not None:
        lines += [f"### Python binding on {csv_name}", ""]
        lines += binding_table(by_key)
        lines += ["", "Times in process exclude starting Python and importing conferral, pandas and polars.", ""]
    else:
        lines += ["The Python binding is not installed in this venv; its rows are left out.", ""]
    lines += [f"### {args.xlsx} ({xlsx_mib:.1f} MiB)", ""]
    lines += file_table(by_key, ["inflate", "cli-xlsx", "openpyxl", "calamine-bare", "calamine", "pandas-xlsx", "polars-xlsx"], xlsx_mib, "cli-xlsx")
    lines += ["", "### Against the targets", ""]
    lines += targets(by_key, csv_name, csv_mib, args.xlsx, cores)
    for group_keys, name in ((["cli", "cli-1", "cli-records", "pandas", "polars", "py-findings", "py-records"], csv_name),
                             (["cli-xlsx", "openpyxl", "calamine", "pandas-xlsx", "polars-xlsx"], args.xlsx)):
        counts = {json.dumps(by_key[k].info("invalid")) for k in group_keys if k in by_key and by_key[k].runs}
        if len(counts) > 1:
            lines += ["", f"warning: the invalid-row counts on {name} differ: {sorted(counts)}"]
    failed = [c for c in cases if c.failures]
    if failed:
        lines += ["", "Failed runs:"] + [f"- {c.label}: {len(c.failures)} of {runs} ({last_failure(c)})" for c in failed]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)
    if args.raw:
        with open(args.raw, "w") as f:
            json.dump(
                {c.key: {"label": c.label, "argv": c.argv, "failures": c.failures,
                         "runs": [{"wall": r.wall, "rss_mib": r.rss_mib, "info": r.info} for r in c.runs]} for c in cases},
                f, indent=1)


if __name__ == "__main__":
    main()
