#!/usr/bin/env bash
# Set up the environment (Python packages, and Debian's Chromium for the browser tests)
# and run every test: unit tests, the slow exhaustive checks, the site build and the browser test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh tests,docs
chromium="${REVCOMP_CHROMIUM:-/usr/bin/chromium}"
if [ ! -x "$chromium" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing Debian's chromium for the browser tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: run 'sudo apt-get install -y chromium' (the browser tests need it)" >&2
  fi
fi
export NO_MKDOCS_2_WARNING=1
venv="${REVCOMP_VENV:-.venv}"
"$venv/bin/ruff" check revcomp tests benchmarks docs
exec "$venv/bin/python" -m pytest "$@"
