#!/bin/sh
# Creates the virtual environment the service tests run the vendors' Python
# clients in, and installs the pinned versions of tests/python/requirements.txt.
#
#   tests/python/setup.sh            # into $KFQL_PYTHON_VENV, default target/python-venv
#
# The tests find it at the same place ($KFQL_PYTHON_VENV or
# target/python-venv, relative to the repository). Re-running it is cheap:
# pip leaves pinned packages that are already there alone.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
venv=${KFQL_PYTHON_VENV:-$root/target/python-venv}
python=${PYTHON:-python3}
if [ ! -x "$venv/bin/python" ]; then
    "$python" -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -r "$here/requirements.txt"
echo "Python clients installed in $venv"
