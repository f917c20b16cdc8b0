#!/usr/bin/env bash
# Create (or reuse) the project's virtual environment in .venv and install revcomp with the
# given extras, pinned by constraints.txt (CPU torch 2.13.0, never a multi-GB CUDA build).
# Usage: scripts/setup.sh EXTRAS   e.g. scripts/setup.sh docs  or  scripts/setup.sh tests,docs
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-docs}"
venv="${REVCOMP_VENV:-.venv}"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet -c constraints.txt -e ".[${extras}]"
