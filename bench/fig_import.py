"""Figure 1: import into the store (dedup keys, one transaction) vs DuckDB's own bulk insert of the same files.

    python bench/fig_import.py --daily M --intraday I --runs 2 --store bench/data/stores/M_I.duckdb

Each cryptodesk run imports the daily CSV folder into a fresh store, then the
intraday CSV folder into the same store (two ``Desk.import_paths`` calls, as a user
would), and the same two datasets' Parquet folders into a second fresh store; each
import is compared with DuckDB loading the same files (``read_csv`` / ``read_parquet``),
four rows in all. The last run's CSV store is kept at ``--store`` for figure 5.
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
    """Time ``runs`` cryptodesk imports and ``runs`` DuckDB loads of each dataset and file format, interleaved.

    Each of our imports (the CSV folder into ``store``, the Parquet folder into a second fresh store) is
    followed by the DuckDB load of the same files, so that a change in the machine's load (it is shared)
    falls on both sides of a ratio rather than on one. The Parquet store is removed at the end.
    """
    formats = ("csv", "parquet")
    ours: dict[str, list[float]] = {f"{n} {f}": [] for n in (daily, intraday) for f in formats}
    ours_cpu: dict[str, list[float]] = {key: [] for key in ours}
    rows: dict[str, int] = {}
    scratch = store.with_name("duckdb_baseline.duckdb")
    stores = {"csv": store, "parquet": store.with_name(store.stem + "_parquet.duckdb")}
    sql = baselines(daily, intraday)
    base: dict[str, list[float]] = {key: [] for key in sql}
    base_cpu: dict[str, list[float]] = {key: [] for key in sql}
    for _ in range(runs):
        for path in stores.values():
            fresh(path)
        for name in (daily, intraday):
            for fmt in formats:
                key = f"{name} {fmt}"
                seconds, cpu, n = desk_import(stores[fmt], DATA / name / fmt)
                ours[key].append(seconds)
                ours_cpu[key].append(cpu)
                if rows.setdefault(key, n) != n:
                    raise RuntimeError(f"{key}: {n:,} rows imported, {rows[key]:,} in an earlier run")
                w, c = duckdb_load(scratch, sql[key])
                base[key].append(w)
                base_cpu[key].append(c)
            if rows[f"{name} csv"] != rows[f"{name} parquet"]:
                raise RuntimeError(f"{name}: the CSV and the Parquet import stored different row counts: {rows}")
    for key, times in base.items():
        _CPU[id(times)] = base_cpu[key]
        _CPU[id(ours[key])] = ours_cpu[key]
    fresh(scratch)
    fresh(stores["parquet"])
    out = []
    for name in (daily, intraday):
        for fmt in formats:
            key = f"{name} {fmt}"
            label = "CSV" if fmt == "csv" else "Parquet"
            rec = record(
                "1",
                f"import {name} (cryptodesk {label}, dedup keys) vs DuckDB read_{fmt}",
                name,
                ours[key],
                baseline=f"DuckDB CREATE TABLE AS read_{fmt} (same files, no keys)",
                baseline_times=base[key],
                work=rows[key],
                unit="rows/s",
                target=">= 0.5x DuckDB rows/s",
                notes=f"{rows[key]:,} rows from the {label} files; ratio = DuckDB time / cryptodesk time",
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
