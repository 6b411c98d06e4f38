"""Delivery throughput with 1, 2, 4 and 8 workers, side by side in one run.

Usage: python3 benches/delivery/run.py CLI PYTHON OUTDIR [MESSAGES] [DELAY] [POSTGRES_URL]

PYTHON is an interpreter with aiosmtpd (the test command's tools venv). Starts the scripted
SMTP server of the tests (tests/support/smtp_server.py) on loopback, answering every message
DELAY seconds late (0.02 by default: a server that takes 20 ms per message), then for each
worker count issues MESSAGES recipients (800 by default) into a new SQLite file with
`CLI issue --publish` and times `CLI deliver --workers N --smtp ...`. Prints a Markdown table
of messages per second and the speed-up over one worker; the target of the issue "Delivery
that many workers share" is at least 0.8 x N up to 8 workers. With POSTGRES_URL (a server
`psql` can reach, as `make postgres-up` starts) each count also runs on PostgreSQL, in a new
schema, beside SQLite. Standard library only.
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SERVER = os.path.join(HERE, "..", "..", "tests", "support", "smtp_server.py")


def store(outdir, postgres, workers):
    """A new, empty store for one run: a SQLite file, or a new schema on the server."""
    if postgres is None:
        db = os.path.join(outdir, f"workers_{workers}.db")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        return db
    psql = shutil.which("psql") or sorted(glob.glob("/usr/lib/postgresql/*/bin/psql"))[-1]
    schema = f"bench_workers_{os.getpid()}_{workers}"
    subprocess.run([psql, postgres, "-q", "-c", f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"],
                   check=True, stdout=subprocess.DEVNULL)
    joiner = "&" if "?" in postgres else "?"
    return f"{postgres}{joiner}options=-csearch_path%3D{schema}"


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    cli, python, outdir = sys.argv[1:4]
    messages = int(sys.argv[4]) if len(sys.argv) > 4 else 800
    delay = sys.argv[5] if len(sys.argv) > 5 else "0.02"
    postgres = sys.argv[6] if len(sys.argv) > 6 else None
    os.makedirs(outdir, exist_ok=True)
    group = os.path.join(outdir, "group.json")
    with open(group, "w", encoding="utf-8") as f:
        json.dump({"name": "Delivery bench"}, f)
    roster = os.path.join(outdir, f"roster_{messages}.csv")
    with open(roster, "w", encoding="utf-8") as f:
        f.write("Name,Email\n")
        for i in range(messages):
            f.write(f"Person {i},ok-{i}@example.org\n")
    server = subprocess.Popen(
        [python, SERVER, "--log", os.path.join(outdir, "server.jsonl"), "--delay", delay],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        line = server.stdout.readline().strip()
        if not line.startswith("ready "):
            sys.exit(f"the SMTP server did not start: {line!r}")
        url = f"smtp://127.0.0.1:{line.split()[1]}?timeout=30"
        print("| store | workers | messages | seconds | messages/s | speed-up (target 0.8 x N) |")
        print("| --- | --- | --- | --- | --- | --- |")
        stores = [("SQLite", None)]
        if postgres:
            stores.append(("PostgreSQL", postgres))
        for name, base in stores:
            single = None
            for workers in (1, 2, 4, 8):
                db = store(outdir, base, workers)
                subprocess.run([cli, "issue", roster, "--group", group, "--db", db, "--publish"],
                               check=True, stdout=subprocess.DEVNULL)
                start = time.monotonic()
                done = subprocess.run(
                    [cli, "deliver", "--smtp", url, "--workers", str(workers), "--json", "--db", db],
                    check=False, capture_output=True, text=True,
                )
                seconds = time.monotonic() - start
                sent = json.loads(done.stdout)["delivery"]["sent"]
                rate = sent / seconds
                single = single or rate
                print(f"| {name} | {workers} | {sent} | {seconds:.2f} | {rate:.0f} | {rate / single:.2f} "
                      f"(>= {0.8 * workers:.1f}) |", flush=True)
    finally:
        server.stdin.close()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
