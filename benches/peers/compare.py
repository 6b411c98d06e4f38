"""Side-by-side comparison of conferral with the tools a user would otherwise reach for.

Runs every peer on the same files in the same run, each in a fresh process, several times,
and reports the best wall time, that run's peak memory (from the kernel's rusage of the child)
and the ratio to conferral. The checks are the same everywhere (see peers.py); the invalid-row
counts are printed so a reader can see they agree.

Usage: compare.py --data DIR --conferral BIN --group GROUP.json [--runs N] [--report FILE]
"""
import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def measure(argv, runs):
    """Best wall time over `runs`, with the peak RSS (MiB) and stdout of that run."""
    best = None
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out = proc.stdout.read()
        err = proc.stderr.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            sys.stderr.write(f"{argv[0]} failed ({code}): {err.decode(errors='replace')[-2000:]}\n")
            return None
        rss = usage.ru_maxrss / 1024
        if best is None or wall < best[0]:
            best = (wall, rss, out)
    return best


def conferral_invalid(out):
    try:
        return json.loads(out)["summary"]["invalid"]
    except (ValueError, KeyError):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--conferral", required=True)
    ap.add_argument("--group", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--report")
    args = ap.parse_args()

    plan = [
        ("roster_1m.csv", ["pandas", "polars"]),
        ("roster_100k.xlsx", ["openpyxl", "python-calamine-bare", "python-calamine", "pandas", "polars"]),
    ]
    lines = []
    for name, peers in plan:
        path = os.path.join(args.data, name)
        size = os.path.getsize(path) / (1 << 20)
        results = []
        ours = measure([args.conferral, "analyze", path, "--group", args.group, "--json"], args.runs)
        if ours:
            results.append(("conferral", ours[0], ours[1], conferral_invalid(ours[2])))
        for peer in peers:
            r = measure([sys.executable, os.path.join(HERE, "peers.py"), peer, path], args.runs)
            if r:
                invalid = json.loads(r[2].decode().strip().splitlines()[-1])["invalid_rows"]
                results.append((peer, r[0], r[1], invalid))
        base = results[0][1] if results and results[0][0] == "conferral" else None
        lines.append(f"\n### {name} ({size:.1f} MiB)\n")
        lines.append("| tool | best wall s | peak RSS MiB | RSS / file | invalid rows | time / conferral's |")
        lines.append("| --- | ---: | ---: | ---: | ---: | ---: |")
        for peer, wall, rss, invalid in results:
            ratio = f"{wall / base:.2f}x" if base else "-"
            shown = "(no checks)" if invalid is None else str(invalid)
            lines.append(f"| {peer} | {wall:.3f} | {rss:.0f} | {rss / size:.2f} | {shown} | {ratio} |")
        counts = {inv for _, _, _, inv in results if inv is not None}
        if len(counts) > 1:
            lines.append(f"\nwarning: the invalid-row counts differ: {sorted(counts)}")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.report:
        with open(args.report, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
