"""Shared helpers of the benchmark suite: timing, records, machine info, frames built from the generated data.

A *figure* module (``fig_*.py``) is run as a child process by ``suite.py``; it
prints one JSON document ``{"records": [...], "peak_rss_mb": ...}`` on stdout.
A record is a plain dict made by :func:`record`.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DATA = BENCH / "data"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
CLI = str(ROOT / ".venv" / "bin" / "cryptodesk")
AS_OF = datetime(2024, 12, 31, 18, 0, tzinfo=UTC)
"""The as-of of figures 2, 3, 5, 6: 18:00 UTC on the last generated day (its daily close is not known yet)."""
TOL = 1e-9
"""Equality tolerance of optimised paths vs their reference: |a - b| <= TOL * max(1, |b|)."""

sys.path.insert(0, str(BENCH))


def timed(fn: Callable[[], Any], runs: int, *, warmup: int = 0) -> tuple[list[float], Any]:
    """Wall seconds of ``runs`` calls of ``fn`` (after ``warmup`` untimed calls) and the last result."""
    result: Any = None
    for _ in range(warmup):
        result = fn()
    times: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def stats(times: list[float]) -> dict[str, float]:
    """Median, min and max of a list of wall times."""
    return {"median": statistics.median(times), "min": min(times), "max": max(times), "runs": len(times)}


def record(
    figure: str,
    name: str,
    dataset: str,
    times: list[float],
    *,
    baseline: str | None = None,
    baseline_times: list[float] | None = None,
    work: float | None = None,
    unit: str = "",
    target: str = "",
    passed: bool | None = None,
    notes: str = "",
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One line of results.

    ``times`` are seconds; ``work`` (rows, days, ...) turns them into a rate
    ``work / median`` in ``unit``. ``ratio`` is baseline median / our median
    (> 1: we are faster).
    """
    s = stats(times)
    out: dict[str, Any] = {"figure": figure, "name": name, "dataset": dataset, "seconds": s, "target": target}
    if work is not None:
        out["rate"] = work / s["median"] if s["median"] > 0 else None
        out["work"] = work
        out["unit"] = unit
    if baseline_times:
        b = stats(baseline_times)
        out["baseline"] = {"name": baseline, "seconds": b}
        out["ratio"] = b["median"] / s["median"] if s["median"] > 0 else None
        if work is not None:
            out["baseline"]["rate"] = work / b["median"]
    out["pass"] = passed
    out["notes"] = notes
    if extra:
        out.update(extra)
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB (Linux ru_maxrss is in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def emit(records: list[dict[str, Any]], **extra: Any) -> None:
    """Print the figure's JSON document (the suite reads the last stdout line)."""
    doc = {"records": records, "peak_rss_mb": peak_rss_mb(), **extra}
    sys.stdout.write(json.dumps(doc, default=str) + "\n")


def run_child(args: list[str], *, timeout: float = 3600, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a figure module in a fresh Python and return its JSON document."""
    cmd = [PYTHON, *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({proc.returncode}):\n{proc.stderr[-4000:]}")
    last = proc.stdout.strip().splitlines()[-1]
    doc: dict[str, Any] = json.loads(last)
    return doc


def wall(cmd: list[str], *, env: dict[str, str] | None = None) -> float:
    """Wall seconds of one subprocess run (its output discarded; a failure raises)."""
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    elapsed = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def machine() -> dict[str, Any]:
    """Machine and software description for the results header."""
    import duckdb
    import numpy
    import pandas
    import talib

    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], check=False, capture_output=True, text=True, cwd=ROOT
    ).stdout
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "os": platform.platform(),
        "python": platform.python_version(),
        "polars": pl.__version__,
        "duckdb": duckdb.__version__,
        "numpy": numpy.__version__,
        "pandas": pandas.__version__,
        "talib": talib.__version__,
        "commit": commit.strip(),
    }


def daily_long(dataset: str) -> pl.DataFrame:
    """The generated daily rows of ``dataset`` as the store's ``frames.daily`` (see ``core/frames.py``).

    The snapshot stamped D 00:00 UTC is the close of day D-1, available at D 00:00,
    source ``coingecko``; there is no high/low. This is what ``Store.frames`` returns
    for these files (guarded by ``tests/bench/test_bench_frames.py``), built without
    importing them so the growth curve can use datasets never imported.
    """
    raw = pl.read_parquet(DATA / dataset / "parquet" / "daily.parquet")
    ts = pl.from_epoch(pl.col("timestamp"), time_unit="ms").dt.replace_time_zone("UTC").cast(pl.Datetime("us", "UTC"))
    return raw.select(
        pl.col("coinId").alias("asset_id"),
        (ts.dt.date() - pl.duration(days=1)).alias("date"),
        pl.col("price").alias("close"),
        pl.lit(None, dtype=pl.Float64).alias("high"),
        pl.lit(None, dtype=pl.Float64).alias("low"),
        pl.col("totalVolume").alias("volume"),
        pl.when(pl.col("marketCap") > 0).then(pl.col("marketCap")).alias("market_cap"),
        pl.lit("coingecko").alias("source"),
        ts.alias("available_at"),
    ).sort("asset_id", "date")


def frames_at(daily: pl.DataFrame, as_of: datetime) -> Any:
    """A :class:`MarketFrames` holding the daily rows known at ``as_of`` (all other frames empty)."""
    from cryptodesk.core.frames import MarketFrames

    empty = MarketFrames.empty(as_of)
    cut = daily.filter(pl.col("available_at") <= as_of)
    return MarketFrames(**{**empty.__dict__, "daily": cut})
