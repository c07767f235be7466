#!/bin/sh
# Makes the venv the vendor-client tests run (tests/python/.venv, or
# $KFQL_VENV) with the clients pinned in requirements.txt, and prints its
# Python. The Rust tests find it there, or through $KFQL_PYTHON.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv="${KFQL_VENV:-$here/.venv}"
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
echo "$venv/bin/python"
