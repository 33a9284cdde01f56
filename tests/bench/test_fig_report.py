"""Figure 6's lower bound for a report: the stack's code a process ran, and the read floor's rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.bench.conftest import BENCH
from tests.store.synth import staggered_store, utc

from fig_report import _stack_code_mb, lower_bound

SP = "/v/lib/python3.11/site-packages/"


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({}, {SP + "_duckdb.cpython-311-x86_64-linux-gnu.so": 30.0}, {"DuckDB": 30.0}),
        (
            {SP + "_polars_runtime_32/_polars_runtime.abi3.so": 8.0},
            {SP + "_polars_runtime_32/_polars_runtime.abi3.so": 36.0},
            {"Polars": 28.0},
        ),
        (  # a library's code can be dropped from memory: no negative part
            {SP + "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": 3.0},
            {SP + "numpy/_core/_multiarray_umath.cpython-311-x86_64-linux-gnu.so": 2.0},
            {"NumPy": 0.0},
        ),
        (  # the files of one library add up, in the package's folder and its wheel's .libs folder
            {},
            {
                SP + "talib/_ta_lib.cpython-311-x86_64-linux-gnu.so": 2.0,
                SP + "ta_lib.libs/libta-lib-a24660d1.so.1.1.0": 1.5,
            },
            {"TA-Lib": 3.5},
        ),
        (  # a library file whose name does not say which library (pyarrow's lib.cpython-311...so)
            {},
            {SP + "pyarrow/lib.cpython-311-x86_64-linux-gnu.so": 2.5, SP + "pyarrow/libarrow.so.2600": 1.0},
            {"PyArrow": 3.5},
        ),
        ({}, {"/usr/lib/x86_64-linux-gnu/libc.so.6": 1.0, "/opt/polars-numpy/lib/libpython3.11.so.1.0": 5.0}, {}),
    ],
)
def test_stack_code_counts_only_the_stacks_libraries_above_the_imports(
    before: dict[str, float], after: dict[str, float], expected: dict[str, float]
) -> None:
    got = _stack_code_mb(before, after)
    assert {lib: mb for lib, mb in got.items() if mb} == {lib: mb for lib, mb in expected.items() if mb}
    assert set(got) == {"DuckDB", "Polars", "NumPy", "TA-Lib", "PyArrow"}


@pytest.mark.parametrize(
    ("code", "read_code", "read_peak", "data", "compute", "bound"),
    [
        # the read ran all the DuckDB code: compute is the rest; (b) = 85 + 30 > (a) = 31 + 30 + 28
        ({"DuckDB": 31.0, "Polars": 30.0}, {"DuckDB": 31.0, "Polars": 0.0}, 85.0, 28.0, 30.0, 115.0),
        # the read had more DuckDB code resident than the reports: no negative part
        ({"DuckDB": 20.0, "Polars": 10.0}, {"DuckDB": 25.0}, 40.0, 28.0, 10.0, 58.0),
        # a small read floor: (a), all the code plus the data held, is the larger
        ({"DuckDB": 30.0, "Polars": 30.0}, {"DuckDB": 30.0}, 35.0, 40.0, 30.0, 100.0),
    ],
)
def test_the_lower_bound_is_the_larger_of_code_plus_data_and_read_floor_plus_compute(
    code: dict[str, float], read_code: dict[str, float], read_peak: float, data: float, compute: float, bound: float
) -> None:
    assert lower_bound(code, read_code, read_peak, data) == (compute, bound)


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
