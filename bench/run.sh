#!/usr/bin/env bash
# Run the cryptodesk benchmark suite: bash bench/run.sh [--quick] [--only STEP ...]
#   full run (~40 min on 2 cores): writes bench/results.md and bench/results.json
#   --quick (< 2 min): tiny datasets, writes bench/results_quick.md and .json
# Datasets are generated on first use under bench/data/ (git-ignored); see bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "bench/run.sh: no .venv/bin/python here; install cryptodesk into .venv first" >&2; exit 2; }
exec "$PY" bench/suite.py "$@"
