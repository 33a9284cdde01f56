"""Figure 6's lower bound for a report: the stack's code a process ran, and the read floor's rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.store.synth import staggered_store, utc

from fig_report import _stack_code_mb

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {"_duckdb.cpython-311-x86_64-linux-gnu.so": 30.0}, {"DuckDB": 30.0}),
        ({"_polars_runtime.abi3.so": 8.0}, {"_polars_runtime.abi3.so": 36.0}, {"Polars": 28.0}),
        (  # a library's code can be dropped from memory: no negative part
            {"_multiarray_umath.cpython-311-x86_64-linux-gnu.so": 3.0},
            {"_multiarray_umath.cpython-311-x86_64-linux-gnu.so": 2.0},
            {"NumPy": 0.0},
        ),
        (  # two files of one library add up
            {},
            {"_ta_lib.cpython-311-x86_64-linux-gnu.so": 2.0, "libta-lib-a24660d1.so.1.1.0": 1.5},
            {"TA-Lib": 3.5},
        ),
        ({}, {"libpython3.11.so.1.0": 5.0, "libc.so.6": 1.0}, {}),  # not the stack's libraries
    ],
)
def test_stack_code_counts_only_the_stacks_libraries_above_the_imports(
    before: dict[str, float], after: dict[str, float], expected: dict[str, float]
) -> None:
    got = _stack_code_mb(before, after)
    assert {lib: mb for lib, mb in got.items() if mb} == {lib: mb for lib, mb in expected.items() if mb}
    assert set(got) == {"DuckDB", "Polars", "NumPy", "TA-Lib", "PyArrow"}


@pytest.mark.parametrize(
    ("day", "intraday_days", "assets", "rows"),
    [
        # Bitcoin's day D: Binance's 1d candle known at D+1 00:00, Yahoo's at D+1 03:00, CoinMarketCap's (even days)
        # at D+1 06:00; ether's daily snapshot at D+1 00:00, four hourly candles and points a day (synth.py).
        (20, 2, ["bitcoin", "ethereum"], 20 + 19 + 10 + 20 + 2 * 4 + 2 * 4),
        (20, 2, ["bitcoin"], 20 + 19 + 10),
        (11, 3, ["ethereum"], 11 + 3 * 4 + 3 * 4),
    ],
)
def test_the_read_floor_reads_the_reports_unmerged_rows(
    tmp_path: Path, day: int, intraday_days: int, assets: list[str], rows: int
) -> None:
    """The floor reads every source's daily row known at the moment and the window's intraday rows, no more."""
    path = tmp_path / "s.duckdb"
    staggered_store(path).close()
    ids = tmp_path / "assets.json"
    ids.write_text(json.dumps(assets))
    as_of = utc(2023, 1, 1 + day)
    cmd = [sys.executable, str(BENCH / "fig_report.py"), "floor", "--store", str(path), "--assets", str(ids)]
    cmd += ["--as-of", as_of.isoformat(), "--intraday-days", str(intraday_days)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    floor = json.loads(out.stdout.strip().splitlines()[-1])["floor"]
    assert floor["fits"] is True
    assert floor["rows"] == rows
    assert floor["peak_above_imports_mb"] > 0
    assert floor["code_mb"]["DuckDB"] > 0
