#!/bin/sh
# The Python that tests/arrow_parquet.rs runs to write Parquet with
# pyarrow ("another writer"): a venv in .venv at the repository's root
# with pyarrow, pinned to the version benches/duckdb_columnar.py uses.
# Run once from anywhere; the test skips without it, and fails under
# CI=true.
set -eu
root=$(cd "$(dirname "$0")/../.." && pwd)
python3 -m venv "$root/.venv"
"$root/.venv/bin/pip" install --quiet 'pyarrow==25.0.1'
