#!/usr/bin/env bash
# The main job: set up, import the data pack, write the market report for 2023-01-18 12:30 p.m. ET.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export MPLCONFIGDIR="${MPLCONFIGDIR:-/tmp/cryptodesk-mpl}"
PACK="${CRYPTODESK_DATA_PACK:-../shared/data}"
AS_OF="${AS_OF:-2023-01-18T17:30:00Z}"
mkdir -p out
.venv/bin/cryptodesk import "$PACK"
.venv/bin/cryptodesk report --as-of "$AS_OF" --format json --out out/report.json
.venv/bin/cryptodesk report --as-of "$AS_OF" --format html --out out/report.html
.venv/bin/cryptodesk report --as-of "$AS_OF" --format md --out out/report.md
cat out/report.md
