#!/usr/bin/env bash
# Set up the environment and serve the documentation site at http://127.0.0.1:8000/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh docs
export NO_MKDOCS_2_WARNING=1
exec "${REVCOMP_VENV:-.venv}/bin/mkdocs" serve --dev-addr 127.0.0.1:8000 "$@"
