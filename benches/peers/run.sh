#!/usr/bin/env bash
# Builds conferral, writes the benchmark rosters, installs the peers in a venv and compares.
# Usage (from the repository root): bash benches/peers/run.sh [--runs N]
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${BENCH_VENV:-target/bench-venv}"
data="${BENCH_DATA:-target/bench-data}"
cargo build --release --quiet -p conferral-cli -p conferral-benches
[ -f "$data/roster_1m.csv" ] || target/release/write_rosters "$data"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/requirements.txt
"$venv/bin/python" benches/peers/compare.py --data "$data" --conferral target/release/conferral \
  --group benches/peers/group.json --report target/bench-peers.md "$@"
