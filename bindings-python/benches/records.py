"""What records cost from Python on one roster: `analyze` with records (the default, kept
native), without them, reading `report.records` (a `Record` per row), `records_frame()` for
pandas and for polars, against `polars.read_csv` of the same file (all columns as text, as the peer benchmarks
read it). Each measurement runs in a
process of its own, RUNS times; prints the median of each and the frames' ratio to
`polars.read_csv`. A measurement, not a test: nothing here asserts on time.

    python bindings-python/benches/records.py target/bench-data/roster_1m.csv benches/peers/group.json --runs 3
"""
import argparse
import json
import statistics
import subprocess
import sys
import time


def measure(name: str, path: str, group_path: str) -> "tuple[float, float]":
    """Seconds `name` takes, after imports and reading the group: the step alone (for the
    steps after an analysis) and with the analysis."""
    import conferral

    with open(group_path, encoding="utf-8") as f:
        group = json.load(f)
    if name == "polars.read_csv":
        import polars

        start = time.perf_counter()
        # As the peer benchmarks read it (benches/peers/peers.py): all text, since a few
        # bad cells (`ten` hours) stop polars's type inference.
        polars.read_csv(path, infer_schema=False)
        took = time.perf_counter() - start
        return took, took
    if name in ("records_frame()", "records_frame(polars)"):
        # Both libraries imported before the clock starts, as a session that uses them has.
        import pandas  # noqa: F401
        import polars  # noqa: F401
        import pyarrow  # noqa: F401
    start = time.perf_counter()
    report = conferral.analyze(path, group, records=name != "analyze(records=False)")
    analysed = time.perf_counter()
    if name == "report.records":
        assert report.records is not None
    elif name == "records_frame()":
        report.records_frame()
    elif name == "records_frame(polars)":
        report.records_frame(library="polars")
    done = time.perf_counter()
    step = analysed if name.startswith("analyze") else done
    return step - (start if name.startswith("analyze") else analysed), done - start


NAMES = ["analyze", "analyze(records=False)", "report.records", "records_frame()", "records_frame(polars)", "polars.read_csv"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("roster")
    parser.add_argument("group")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--one", choices=NAMES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.roster, args.group)))
        return
    medians = {}
    totals = {}
    for name in NAMES:
        times = []
        for _ in range(args.runs):
            out = subprocess.run(
                [sys.executable, __file__, args.roster, args.group, "--one", name], capture_output=True, check=True, text=True
            )
            times.append(json.loads(out.stdout))
        medians[name] = statistics.median(t[0] for t in times)
        totals[name] = statistics.median(t[1] for t in times)
        runs = ", ".join(f"{t[0]:.3f}" for t in times)
        total = "" if name.startswith("analyze") or name == "polars.read_csv" else f"; with analyze {totals[name]:.3f} s"
        print(f"{name:24} median {medians[name]:.3f} s  (runs: {runs}){total}", flush=True)
    floor = medians["polars.read_csv"]
    for name in ("records_frame()", "records_frame(polars)"):
        print(f"{name} / polars.read_csv: {medians[name] / floor:.2f} (with analyze: {totals[name] / floor:.2f})")
    with_records = medians["analyze"] / medians["analyze(records=False)"]
    print(f"analyze with records / without: {with_records:.2f}")


if __name__ == "__main__":
    main()
