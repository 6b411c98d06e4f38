#!/usr/bin/env bash
# Builds conferral, writes the benchmark rosters, installs `xsv` (the CSV parse floor), the peers
# and this tree's Python binding, then runs benches/peers/compare.py: every tool once per round,
# interleaved, medians of the rounds (issue 19).
# Usage (from anywhere): bash benches/peers/run.sh [--runs N] [--smoke]
#   --runs N   rounds (default 3)
#   --smoke    one quick round on the 100k-row CSV without openpyxl, to check the harness
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
venv="${BENCH_VENV:-target/bench-venv}"
data="${BENCH_DATA:-target/bench-data}"
tools="${BENCH_TOOLS:-target/bench-tools}"
cargo build --release --quiet -p conferral-cli -p conferral-benches
[ -f "$data/roster_1m.csv" ] || target/release/write_rosters "$data"
[ -x "$tools/bin/xsv" ] || cargo install xsv --version 0.13.0 --locked --quiet --root "$tools"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
venv="$(cd "$venv" && pwd)"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/requirements.txt
# The binding from these sources (a release build through maturin), so the Python rows measure
# the same core as the CLI's; cargo rebuilds only what changed.
PATH="$venv/bin:$PATH" "$venv/bin/pip" install --quiet --disable-pip-version-check \
  --no-build-isolation --force-reinstall --no-deps ./bindings-python
"$venv/bin/python" benches/peers/compare.py --data "$data" --conferral target/release/conferral \
  --group benches/peers/group.json --xsv "$tools/bin/xsv" \
  --report target/bench-peers.md --raw target/bench-peers.json "$@"
