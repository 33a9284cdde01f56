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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
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


_CPU: dict[int, list[float]] = {}
"""CPU seconds (this process, all threads) of the runs behind a list of wall times returned by :func:`timed`."""


def timed(fn: Callable[[], Any], runs: int, *, warmup: int = 0) -> tuple[list[float], Any]:
    """Wall seconds of ``runs`` calls of ``fn`` (after ``warmup`` untimed calls) and the last result.

    The CPU seconds of the same runs are kept for :func:`record` (a busy machine inflates wall time, not CPU time).
    """
    result: Any = None
    for _ in range(warmup):
        result = fn()
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        c0, t0 = time.process_time(), time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    _CPU[id(times)] = cpu
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
    cpu, base_cpu = _CPU.get(id(times)), _CPU.get(id(baseline_times)) if baseline_times else None
    if cpu:
        out["cpu_seconds"] = stats(cpu)
    if cpu and base_cpu:
        out["baseline"]["cpu_seconds"] = stats(base_cpu)
        out["cpu_ratio"] = statistics.median(base_cpu) / max(statistics.median(cpu), 1e-9)
    out["pass"] = passed
    out["notes"] = notes
    if extra:
        out.update(extra)
    return out


def proc_status_mb(*keys: str) -> dict[str, float]:
    """The sizes ``keys`` (``VmHWM``, ``VmRSS``, ``RssAnon``, ...) of ``/proc/self/status`` in MiB (Linux; only
    those present, so empty without procfs)."""
    status = Path("/proc/self/status")
    out: dict[str, float] = {}
    for line in status.read_text().splitlines() if status.exists() else []:
        key, _, value = line.partition(":")
        if key in keys:
            out[key] = int(value.split()[0]) / 1024  # kB
    return out


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MiB: ``VmHWM`` of ``/proc/self/status`` (Linux).

    Not ``getrusage(RUSAGE_SELF).ru_maxrss``: Linux carries the pre-``exec`` peak into it, so a figure run by a
    suite process that had grown (it generates missing datasets in process) reported the suite's peak (5,955 MiB for
    the warm report). ``VmHWM`` is the peak of this program's own memory since its ``exec``.
    """
    peak = proc_status_mb("VmHWM").get("VmHWM")
    if peak is not None:
        return peak
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no procfs: the best there is


def rss_split_mb() -> dict[str, float]:
    """This process's resident memory now by kind, in MiB: ``anon`` (what it allocated: the data, the allocators'
    free pages), ``file`` (pages of mapped files: the code of Python and the libraries as it first runs) and
    ``shmem`` (``RssAnon``, ``RssFile``, ``RssShmem`` of ``/proc/self/status``; they sum to ``VmRSS``). Empty
    without procfs."""
    names = {"RssAnon": "anon", "RssFile": "file", "RssShmem": "shmem"}
    return {names[key]: size for key, size in proc_status_mb(*names).items()}


def mapped_file_rss_mb() -> dict[str, float]:
    """Resident pages of each file this process maps (the code of Python and of each library, as it first runs),
    in MiB by the file's path, from ``/proc/self/smaps`` (Linux; empty without procfs). Anonymous pages (the
    heap, the allocators' arenas, and a file's pages once written to) are left out: they are ``RssAnon`` of
    :func:`rss_split_mb`, and these sizes sum to its ``file``."""
    smaps = Path("/proc/self/smaps")
    out: dict[str, float] = {}
    name: str | None = None
    for line in smaps.read_text().splitlines() if smaps.exists() else []:
        head = line.split(maxsplit=5)
        if head and "-" in head[0] and not head[0].endswith(":"):  # a header: range perms offset dev inode [path]
            path = head[5] if len(head) == 6 else ""
            name = path if path.startswith("/") else None
        elif name and head and head[0] in ("Rss:", "Anonymous:"):  # a file's pages written to are anonymous
            sign = 1 if head[0] == "Rss:" else -1
            out[name] = out.get(name, 0.0) + sign * int(head[1]) / 1024  # kB
    return out


def current_rss_mb() -> float:
    """Resident set size of this process now, in MiB (from /proc/self/statm)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


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
    ).stdout.strip()
    changed = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":!bench/results*"],
        check=False,
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout.strip()
    if commit and changed:
        commit += "+uncommitted changes"  # the figures are not of that commit's code alone
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
        "commit": commit,
    }


def daily_long(dataset: str, root: Path = DATA, *, as_of: datetime | None = None) -> pl.DataFrame:
    """The generated daily rows of ``dataset`` as the store's ``frames.daily`` (see ``core/frames.py``).

    The snapshot stamped D 00:00 UTC is the close of day D-1, available at D 00:00,
    source ``coingecko``; there is no high/low. This is what ``Store.frames`` returns
    for these files (guarded by ``tests/bench/test_generate.py``), built without
    importing them so the growth curve can use datasets never imported. With ``as_of``,
    only the rows available at ``as_of`` (what ``Store.frames(as_of)`` returns).

    Read lean, so that loading holds little more than the frame (figure 6): the row order (asset, then time) comes
    from the id and time columns alone, then each value column is read from the file by itself and gathered into
    that order; ``asset_id`` is the sorted distinct ids gathered by code; the constant columns stay single values.
    The result equals reading the whole file, selecting, filtering and sorting (``tests/bench/test_generate.py``).
    """
    path = root / dataset / "parquet" / "daily.parquet"
    keys = pl.read_parquet(path, columns=["coinId", "timestamp"])
    ids = keys.get_column("coinId").unique().sort()
    code = keys.get_column("coinId").cast(pl.Enum(ids.to_list())).to_physical().to_numpy()
    ms = keys.get_column("timestamp").to_numpy()
    del keys
    if len(ms) and (ms.min() < 0 or ms.max() >= 1 << _TIME_BITS):
        raise ValueError(f"{path}: timestamps outside [0, 2**{_TIME_BITS}) ms")
    rows = np.arange(len(ms)) if as_of is None else np.flatnonzero(ms <= (as_of - _EPOCH) // timedelta(milliseconds=1))
    # one key per row, unique (a coin has one snapshot a day), so any sort gives the order of a stable one
    order = rows[np.argsort((code[rows].astype(np.int64) << _TIME_BITS) + ms[rows])]
    del rows
    asset = ids.gather(code[order])
    del code
    stamp = ms[order]
    del ms
    # the snapshot stamped D 00:00 UTC is the close of day D - 1, known from its stamp
    day = pl.Series("date", (stamp // _DAY_MS - 1).astype(np.int32)).cast(pl.Date)
    stamp *= 1000
    available = pl.Series("available_at", stamp).cast(pl.Datetime("us")).dt.replace_time_zone("UTC")
    del stamp
    values = {}
    for name, column in (("close", "price"), ("volume", "totalVolume"), ("market_cap", "marketCap")):
        values[name] = pl.read_parquet(path, columns=[column]).to_series().gather(order).alias(name)
    del order
    cap = values["market_cap"]
    if (cap > 0).not_().any():  # a market cap that is not positive is unknown (the store keeps it null)
        values["market_cap"] = pl.select(pl.when(cap > 0).then(cap)).to_series().alias("market_cap")
    del cap
    return pl.DataFrame([asset.alias("asset_id"), day, values.pop("close")]).with_columns(
        pl.lit(None, dtype=pl.Float64).alias("high"),
        pl.lit(None, dtype=pl.Float64).alias("low"),
        values.pop("volume"),
        values.pop("market_cap"),
        pl.lit("coingecko").alias("source"),
        available,
    )


_TIME_BITS = 42
"""Bits of the sort key left to the millisecond time (up to 2109); the coin's code takes the bits above."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_MS = 86_400_000


def frames_at(daily: pl.DataFrame, as_of: datetime) -> Any:
    """A :class:`MarketFrames` holding the daily rows known at ``as_of`` (all other frames empty)."""
    from cryptodesk.core.frames import MarketFrames

    empty = MarketFrames.empty(as_of)
    cut = daily.filter(pl.col("available_at") <= as_of)
    return MarketFrames(**{**empty.__dict__, "daily": cut})


def close_enough(a: object, b: object) -> bool:
    """Equal, with floats within :data:`TOL` (relative above 1), recursing into dataclasses, dicts and sequences."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or abs(a - b) <= TOL * max(1.0, abs(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close_enough(a[x], b[x]) for x in a)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return len(a) == len(b) and all(close_enough(x, y) for x, y in zip(a, b, strict=True))
    if hasattr(a, "__dataclass_fields__") and type(a) is type(b):
        return all(close_enough(getattr(a, f), getattr(b, f)) for f in a.__dataclass_fields__)
    return a == b
