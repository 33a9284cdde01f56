#!/usr/bin/env bash
# The whole test suite: lint, format check, strict typing, then pytest (warnings are errors).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/system-deps.sh
export MPLCONFIGDIR="${MPLCONFIGDIR:-/tmp/cryptodesk-mpl}"
.venv/bin/ruff check src tests bench
.venv/bin/ruff format --check src tests bench
.venv/bin/mypy
.venv/bin/pytest -q "$@"
