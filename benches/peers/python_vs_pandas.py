"""conferral.analyze from Python against pandas read_csv plus the same checks in pandas.

Usage: python_vs_pandas.py DATA_DIR GROUP.json [--runs N]
Runs each side N times in a fresh process (best wall time, peak RSS from the kernel) and
prints a table with the ratio. The pandas side is `peers.py pandas` (pyarrow engine, the
checks of conferral's validation written with vectorised pandas operations).
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

CONFERRAL = """
import sys, json, conferral
report = conferral.analyze(sys.argv[1], conferral.Group.from_path(sys.argv[2]), records=False)
print(json.dumps({"rows": report.summary.rows, "invalid_rows": report.summary.invalid}))
"""


def timed(args):
    """Wall time, the child's own peak RSS in MiB, and its JSON line."""
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{args[:3]} failed")
    return wall, usage.ru_maxrss / 1024, json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("data")
    parser.add_argument("group")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    path = os.path.join(args.data, "roster_1m.csv")
    sides = {
        "conferral (Python)": [sys.executable, "-c", CONFERRAL, path, args.group],
        "pandas": [sys.executable, os.path.join(HERE, "peers.py"), "pandas", path],
    }
    results = {}
    for name, cmd in sides.items():
        runs = [timed(cmd) for _ in range(args.runs)]
        best = min(r[0] for r in runs)
        results[name] = (best, runs[-1][1], runs[-1][2]["invalid_rows"])
    base = results["conferral (Python)"][0]
    print(f"roster_1m.csv ({os.path.getsize(path) / 2**20:.1f} MiB), best of {args.runs}\n")
    print("| side | best wall s | peak RSS MiB | invalid rows | time / conferral's |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, (wall, rss, invalid) in results.items():
        print(f"| {name} | {wall:.3f} | {rss:.0f} | {invalid} | {wall / base:.2f}x |")


if __name__ == "__main__":
    main()
