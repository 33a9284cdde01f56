"""Figure 1: import into the store (dedup keys, one transaction) vs DuckDB's own bulk insert of the same files.

    python bench/fig_import.py --daily M --intraday I --runs 2 --store bench/data/stores/M_I.duckdb

Each cryptodesk run imports the daily CSV folder into a fresh store, then the
intraday folder into the same store (two ``Desk.import_paths`` calls, as a user
would). The last run's store is kept at ``--store`` for figure 5.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import duckdb

from common import _CPU, DATA, emit, record
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk

KLINE_COLUMNS = (
    "{'open_time': 'BIGINT', 'open': 'DOUBLE', 'high': 'DOUBLE', 'low': 'DOUBLE', 'close': 'DOUBLE', "
    "'volume': 'DOUBLE', 'close_time': 'BIGINT', 'quote_volume': 'DOUBLE', 'count': 'BIGINT', "
    "'taker_buy_volume': 'DOUBLE', 'taker_buy_quote_volume': 'DOUBLE', 'ignore': 'BIGINT'}"
)


def fresh(path: Path) -> Path:
    """Remove a DuckDB file (and its WAL) so the next open starts empty."""
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def desk_import(store: Path, folder: Path) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds and rows inserted of one ``Desk.import_paths`` of ``folder``.

    The time includes closing the store (DuckDB's checkpoint), as the baseline's includes its CHECKPOINT
    and as ``cryptodesk import`` pays it.
    """
    c0, t0 = time.process_time(), time.perf_counter()
    with Desk(Settings.model_validate({"db": store})) as desk:
        report = desk.import_paths([folder])
    elapsed, cpu = time.perf_counter() - t0, time.process_time() - c0
    if report.failed or report.result is None:
        raise RuntimeError(f"import of {folder} failed: {[f.error for f in report.failed][:3]}")
    rows = sum(n for f in report.files for t, n in f.rows.items() if t != "assets")
    return elapsed, cpu, rows


def duckdb_load(db: Path, sql: str) -> tuple[float, float]:
    """Wall and CPU seconds of one bulk ``CREATE TABLE ... AS SELECT`` into a fresh DuckDB file."""
    con = duckdb.connect(str(fresh(db)))
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        con.execute(sql)
        con.execute("CHECKPOINT")
        return time.perf_counter() - t0, time.process_time() - c0
    finally:
        con.close()


def baselines(daily: str, intraday: str) -> dict[str, str]:
    """DuckDB statements loading the same data: CSV and Parquet, daily and intraday."""
    d, i = DATA / daily, DATA / intraday
    return {
        f"{daily} csv": f"CREATE TABLE t AS SELECT * FROM read_csv('{d}/csv/*.csv', header=true)",
        f"{daily} parquet": f"CREATE TABLE t AS SELECT * FROM read_parquet('{d}/parquet/*.parquet')",
        f"{intraday} csv": f"CREATE TABLE t AS SELECT * FROM read_csv('{i}/csv/*.csv', header=false, "
        f"columns={KLINE_COLUMNS})",
        f"{intraday} parquet": f"CREATE TABLE t AS SELECT * FROM read_parquet('{i}/parquet/*.parquet')",
    }


def run(daily: str, intraday: str, runs: int, store: Path) -> list[dict[str, Any]]:
    """Time ``runs`` cryptodesk imports and ``runs`` DuckDB loads of each dataset, interleaved.

    Each of our imports is followed by the DuckDB loads of the same dataset, so that a change in the
    machine's load (it is shared) falls on both sides of a ratio rather than on one.
    """
    ours: dict[str, list[float]] = {daily: [], intraday: []}
    ours_cpu: dict[str, list[float]] = {daily: [], intraday: []}
    rows: dict[str, int] = {}
    scratch = store.with_name("duckdb_baseline.duckdb")
    sql = baselines(daily, intraday)
    base: dict[str, list[float]] = {key: [] for key in sql}
    base_cpu: dict[str, list[float]] = {key: [] for key in sql}
    for _ in range(runs):
        fresh(store)
        for name in (daily, intraday):
            seconds, cpu, n = desk_import(store, DATA / name / "csv")
            ours[name].append(seconds)
            ours_cpu[name].append(cpu)
            rows[name] = n
            for key in (f"{name} csv", f"{name} parquet"):
                w, c = duckdb_load(scratch, sql[key])
                base[key].append(w)
                base_cpu[key].append(c)
    for key, times in base.items():
        _CPU[id(times)] = base_cpu[key]
    for name in (daily, intraday):
        _CPU[id(ours[name])] = ours_cpu[name]
    fresh(scratch)
    out = []
    for name in (daily, intraday):
        for fmt in ("csv", "parquet"):
            b = base[f"{name} {fmt}"]
            rec = record(
                "1",
                f"import {name} (cryptodesk CSV, dedup keys) vs DuckDB read_{fmt}",
                name,
                ours[name],
                baseline=f"DuckDB CREATE TABLE AS read_{fmt} (same data, no keys)",
                baseline_times=b,
                work=rows[name],
                unit="rows/s",
                target=">= 0.5x DuckDB rows/s",
                notes=f"{rows[name]:,} rows; ratio = DuckDB time / cryptodesk time",
            )
            rec["pass"] = rec["ratio"] >= 0.5
            out.append(rec)
    return out


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--daily", default="M")
    ap.add_argument("--intraday", default="I")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--store", type=Path, default=DATA / "stores" / "M_I.duckdb")
    args = ap.parse_args()
    emit(run(args.daily, args.intraday, args.runs, args.store))


if __name__ == "__main__":
    main()
