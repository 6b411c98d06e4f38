"""Publishing a large batch with the release CLI: wall time and peak RSS of each step.

Usage: python3 benches/publish/run.py CLI OUTDIR [ROWS]   (ROWS defaults to 1,000,000)

Writes a roster of ROWS recipients (once per size) and a group with the default email
templates, imports it as drafts into a new SQLite file with `CLI issue`, then publishes every
draft with `CLI publish --all`, each in a fresh process. Prints a Markdown table of wall
seconds and the child's peak RSS from the kernel (wait4). The target of the issue "Issuing
that holds under hostile templates, concurrent edits and big batches": publishing 1M drafts
with the default templates under 300 MB peak RSS. Standard library only.
"""
import json
import os
import subprocess
import sys
import time

GROUP = {
    "name": "Bootcamp 2026",
    "attributes": [
        {"key": "grade", "type": "enum", "values": ["Pass", "Merit", "Distinction"]},
        {"key": "hours", "label": "Course Hours", "type": "number"},
    ],
}


def roster(path, rows):
    if os.path.exists(path):
        return
    grades = ("Pass", "Merit", "Distinction")
    with open(path + ".part", "w", encoding="utf-8") as f:
        f.write("Name,Email,Course Hours,Grade\n")
        for i in range(rows):
            f.write(f"Recipient {i},r{i}@example.org,{12 + i % 30},{grades[i % 3]}\n")
    os.replace(path + ".part", path)


def measured(args):
    """Runs `args`; returns (exit status, wall seconds, peak RSS in MiB, last output line)."""
    start = time.monotonic()
    child = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.monotonic() - start
    lines = out.decode("utf-8", "replace").strip().splitlines()
    return os.waitstatus_to_exitcode(status), wall, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    cli, outdir = sys.argv[1], sys.argv[2]
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 1_000_000
    os.makedirs(outdir, exist_ok=True)
    csv = os.path.join(outdir, f"publish_{rows}.csv")
    roster(csv, rows)
    group = os.path.join(outdir, "publish_group.json")
    with open(group, "w", encoding="utf-8") as f:
        json.dump(GROUP, f)
    db = os.path.join(outdir, f"publish_{rows}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db + suffix):
            os.remove(db + suffix)
    print(f"| step ({rows:,} rows) | exit | wall s | peak RSS MiB | last line |")
    print("| --- | --- | --- | --- | --- |")
    failed = False
    for step, args in (
        ("import as drafts", [cli, "issue", csv, "--group", group, "--db", db]),
        ("publish --all", [cli, "publish", "--all", "--db", db]),
    ):
        code, wall, rss, last = measured(args)
        print(f"| {step} | {code} | {wall:.2f} | {rss:.0f} | {last[:80]} |", flush=True)
        failed = failed or code != 0
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
