"""One step of conferral's Python binding on one file, timed inside this process: run as a
separate process by compare.py, so each step starts from a fresh interpreter and its peak RSS
is its own.

Usage: binding.py MODE FILE GROUP.json
MODE is one of
  probe                 what the installed binding offers (no timing)
  findings              conferral.analyze(FILE, group, records=False)
  records               conferral.analyze(FILE, group, records=True)
  records_frame         analyze(records=True), then report.records_frame()
  records_frame_polars  analyze(records=True), then report.records_frame(library="polars")
  polars_read_csv       polars.read_csv(FILE, infer_schema=False), the yardstick of records_frame:
                        every column as text, as peers.py reads it (a bare read_csv(FILE) stops
                        at the first `ten` in Course Hours, which its inference took for a number)
Prints one JSON line: {"mode": ..., "rows": N, "invalid_rows": K, "seconds": {step: s}}.
Imports (conferral, pandas, polars) and reading the group happen before the clock starts.
"""
import importlib.metadata
import inspect
import json
import sys
import time


def probe():
    import conferral

    params = inspect.signature(conferral.Report.records_frame).parameters
    return {
        "version": importlib.metadata.version("conferral"),
        "records_frame_params": [name for name in params if name != "self"],
    }


def timed(steps, name, call):
    start = time.perf_counter()
    value = call()
    steps[name] = time.perf_counter() - start
    return value


def run(mode, path, group_path):
    steps = {}
    if mode == "polars_read_csv":
        import polars

        frame = timed(steps, "read_csv", lambda: polars.read_csv(path, infer_schema=False))
        return {"rows": frame.height, "invalid_rows": None, "seconds": steps}

    import conferral

    if mode == "records_frame":
        import pandas  # noqa: F401  (records_frame needs it; importing is not the step timed)
    if mode == "records_frame_polars":
        import polars  # noqa: F401
    group = conferral.Group.from_path(group_path)
    records = mode != "findings"
    report = timed(steps, "analyze", lambda: conferral.analyze(path, group, records=records))
    out = {"rows": report.summary.rows, "invalid_rows": report.summary.invalid, "seconds": steps}
    if mode == "records":
        out["records"] = len(report.records or [])
    elif mode == "records_frame":
        frame = timed(steps, "records_frame", report.records_frame)
        out["frame_rows"] = len(frame)
    elif mode == "records_frame_polars":
        frame = timed(steps, "records_frame", lambda: report.records_frame(library="polars"))
        out["frame_rows"] = len(frame)
        out["frame_type"] = f"{type(frame).__module__}.{type(frame).__name__}"
    elif mode != "findings":
        raise SystemExit(f"unknown mode {mode}")
    if "records_frame" in steps:
        steps["total"] = steps["analyze"] + steps["records_frame"]
    return out


def main():
    mode = sys.argv[1]
    if mode == "probe":
        out = probe()
    else:
        out = run(mode, sys.argv[2], sys.argv[3])
    out["mode"] = mode
    print(json.dumps(out))


if __name__ == "__main__":
    main()
