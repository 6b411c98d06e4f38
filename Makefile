# The task runner: the same targets run locally and in CI (`.ci/run` calls `make test`).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
WASM_TARGET := wasm32-unknown-unknown
# Python tools the tests use, in a venv outside the sources.
TOOLS_VENV ?= target/tools-venv
# The venv where the Python package is installed and tested.
PY_VENV ?= target/py-venv

.PHONY: python demo test setup fmt-check lint unit wasm deps-check docs examples bench bench-peers bench-issue bench-python sample wheel

## The main job: the bundled sample roster becomes published credentials in a SQLite file
## and one email each in an outbox folder (target/demo).
demo:
	$(CARGO) run --quiet --release -p conferral-examples --example issue_batch

## Every test, from a fresh machine.
test: setup fmt-check lint unit wasm deps-check docs examples python
	@echo "all checks passed"

setup:
	rustup target add $(WASM_TARGET)
	rustup component add clippy rustfmt
	test -x $(TOOLS_VENV)/bin/python || python3 -m venv $(TOOLS_VENV)
	$(TOOLS_VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/support/requirements.txt

fmt-check:
	$(CARGO) fmt --all -- --check

lint:
	$(CARGO) clippy --workspace --all-targets -- -D warnings

unit:
	CONFERRAL_TOOLS_PYTHON=$(abspath $(TOOLS_VENV))/bin/python $(CARGO) test --workspace

## The Python package: built by pip through maturin, tested with pytest against the CLI,
## its stubs checked against the built module.
python:
	test -x $(PY_VENV)/bin/python || python3 -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check -r bindings-python/requirements-test.txt
	PATH=$(abspath $(PY_VENV))/bin:$$PATH MATURIN_PEP517_ARGS="--profile dev" $(PY_VENV)/bin/pip install --quiet --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./bindings-python
	$(CARGO) build --quiet -p conferral-cli
	cd bindings-python && CONFERRAL_CLI=$(abspath target/debug/conferral) $(abspath $(PY_VENV))/bin/python -m pytest -q -p no:cacheprovider tests
	$(PY_VENV)/bin/python -m mypy.stubtest conferral._native
	$(PY_VENV)/bin/python -m mypy --strict --cache-dir=/dev/null bindings-python/python/conferral

## A release wheel of the Python package (abi3: one file for CPython 3.9 and later).
wheel:
	test -x $(PY_VENV)/bin/python || python3 -m venv $(PY_VENV)
	$(PY_VENV)/bin/pip install --quiet --disable-pip-version-check maturin==1.16.0
	$(PY_VENV)/bin/maturin build --release --manifest-path bindings-python/Cargo.toml --out target/wheels

## The core must build for the browser and do no I/O of its own.
wasm:
	$(CARGO) check -p conferral --target $(WASM_TARGET)

## The core must not depend on bindings, storage, mail or async runtimes.
deps-check:
	@if $(CARGO) tree -p conferral -e normal --prefix none | grep -E '^(pyo3|wasm-bindgen|js-sys|rusqlite|lettre|tokio|reqwest) '; then \
		echo "the core depends on a crate it must not use"; exit 1; fi
	@echo "core dependency tree is clean"

docs:
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc -p conferral --no-deps --quiet

examples:
	$(CARGO) run --quiet -p conferral-examples --example analyze_roster > /dev/null
	$(CARGO) run --quiet -p conferral-examples --example issue_batch -- examples/data/sample_roster.xlsx examples/data/group.json target/example-run > /dev/null

## Regenerate the bundled sample roster.
sample:
	$(CARGO) run --quiet -p conferral-examples --example make_sample_roster

## Criterion benchmarks of analyze + validate.
bench:
	$(CARGO) bench -p conferral-benches

## Issuing throughput: import and publish 100k drafts on SQLite, deliver to aiosmtpd on loopback.
bench-issue: setup
	CONFERRAL_TOOLS_PYTHON=$(abspath $(TOOLS_VENV))/bin/python $(CARGO) run --release --quiet -p conferral-benches --bin issue_bench

## conferral.analyze from Python against pandas with the same checks, on the 1M-row CSV.
bench-python:
	$(CARGO) build --release -p conferral-cli -p conferral-benches
	[ -f target/bench-data/roster_1m.csv ] || target/release/write_rosters target/bench-data
	test -x target/bench-venv/bin/python || python3 -m venv target/bench-venv
	target/bench-venv/bin/pip install --quiet --disable-pip-version-check -r benches/peers/requirements.txt maturin==1.16.0
	PATH=$(abspath target/bench-venv)/bin:$$PATH target/bench-venv/bin/pip install --quiet --disable-pip-version-check --no-build-isolation --force-reinstall --no-deps ./bindings-python
	target/bench-venv/bin/python benches/peers/python_vs_pandas.py target/bench-data benches/peers/group.json --runs 3

## Side-by-side comparison with pandas, polars, python-calamine and openpyxl.
bench-peers:
	$(CARGO) build --release -p conferral-cli
	bash benches/peers/run.sh
