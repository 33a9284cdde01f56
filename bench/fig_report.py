"""Figure 5 and the report half of figure 6: ``cryptodesk report`` on a store holding M and I.

    python bench/fig_report.py cold --store bench/data/stores/M_I.duckdb --runs 3
    python bench/fig_report.py warm --store bench/data/stores/M_I.duckdb --runs 3

``cold`` times the CLI in a new process each run (baseline: ``cryptodesk --help``,
the interpreter and import floor). ``warm`` opens one :class:`Desk`, writes the
report once untimed, then times ``Desk.report`` at a new as-of every 5 minutes
(what a desk refreshing its story does; the desk keeps the day's timeline), against
the same reports through the uncached pipeline (``Store.frames`` + ``analyze`` +
``detect`` + write) in the same process; its peak RSS is figure 6's report figure,
set against a floor for a report that runs this code on this stack: the code of the
stack's libraries that the reports ran plus the data they hold, or the read floor
plus the analysis's code (:func:`lower_bound`). It counts the libraries' code pages,
as RSS does, and depends on the code the reports run, so it is not a physical
limit. The read floor is ``floor``, run by ``warm`` in fresh processes::

    python bench/fig_report.py floor --store S --assets ASSETS.json --as-of T [--intraday-days 8] [--bound 16MB]

It only reads the report's unmerged rows as Arrow (see :func:`floor`) and prints its
peak above the imports.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from common import (
    AS_OF,
    CLI,
    DATA,
    emit,
    mapped_file_rss_mb,
    peak_rss_mb,
    record,
    rss_split_mb,
    run_child,
    timed,
    wall,
)
from cryptodesk.analytics.asof import analyze
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
from cryptodesk.events.base import detect
from cryptodesk.store._frames import daily_rows_sql, intraday_sql, points_sql
from cryptodesk.writer.story import Story, write_story


def cold(store: Path, runs: int) -> list[dict[str, Any]]:
    """Wall time of ``cryptodesk report`` in a fresh process, vs ``cryptodesk --help``."""
    env = {**os.environ, "CRYPTODESK_DB": str(store)}
    cmd = [CLI, "report", "--as-of", AS_OF.isoformat().replace("+00:00", "Z")]
    times = [wall(cmd, env=env) for _ in range(runs)]
    base = [wall([CLI, "--help"], env=env) for _ in range(runs)]
    med = sorted(times)[len(times) // 2]
    return [
        record(
            "5",
            "cryptodesk report, cold CLI wall",
            store.stem,
            times,
            baseline="cryptodesk --help (cold start floor)",
            baseline_times=base,
            target="< 2 s",
            passed=med < 2,
            notes=f"as of {AS_OF.isoformat()}",
        )
    ]


WARM_STEP = timedelta(minutes=5)
"""Warm reports are asked for every 5 minutes after the first (a desk refreshing its story), each a new as-of."""
WARM_RUNS = 7
"""At least this many warm reports (the first of them builds the day's histories; the median is the steady state)."""


def uncached(desk: Desk, as_of: datetime) -> Story:
    """The report without the desk's timeline: the day's frames from the store, analysed and written from scratch."""
    frames = desk.frames(as_of)
    analysis = analyze(frames, tz=desk.settings.tz)
    events = detect(frames, analysis, registry=desk.hub.detectors)
    return write_story(analysis, events, frames.calendar, tz=desk.settings.tz, seed=desk.settings.seed)


def warm(store: Path, runs: int) -> list[dict[str, Any]]:
    """``Desk.report`` in one process after a first report, at a new as-of each run, vs the uncached pipeline."""
    import_rss = peak_rss_mb()
    import_split = rss_split_mb()
    import_code = mapped_file_rss_mb()
    runs = max(runs, WARM_RUNS)
    moments = [AS_OF + WARM_STEP * (i + 1) for i in range(runs)]
    with Desk(Settings.model_validate({"db": store})) as desk:
        desk.report(AS_OF)
        it = iter(moments)
        times, _ = timed(lambda: desk.report(next(it)), runs)
        peak = peak_rss_mb()  # before the baseline runs in this process
        split = rss_split_mb()
        code = _stack_code_mb(import_code, mapped_file_rss_mb())
        con = desk.store().con  # what DuckDB holds then (mostly the pages its scans read, up to the reads' bound)
        duck = con.execute("SELECT sum(memory_usage_bytes) / 2^20 FROM duckdb_memory()").fetchall()[0][0]
        limit = desk.settings.store_memory_limit or "DuckDB's own"
        held = _timeline_mb(desk)
        universe = desk.universe(moments[-1])
        intraday_days = desk.settings.intraday_days
        base_it = iter(moments)
        base, _ = timed(lambda: uncached(desk, next(base_it)), runs)
        frames_times, frames = timed(lambda: desk.frames(moments[-1]), 1)
    size = _frames_mb(frames)
    med = sorted(times)[len(times) // 2]
    data = max(held, size)
    read = _read_floor(store, universe, moments[-1], intraday_days)
    compute, bound = lower_bound(code, read["code_mb"], read["peak_above_imports_mb"], data)
    no_code = read["peak_above_imports_mb"] - sum(read["code_mb"].values())
    return [
        record(
            "5",
            "Desk.report, warm in-process (a new as-of every 5 minutes)",
            store.stem,
            times,
            baseline="the same reports without the desk's timeline (Store.frames + analyze + detect + write)",
            baseline_times=base,
            target="< 300 ms",
            passed=med < 0.3,
            notes=f"as of {moments[0].isoformat()} .. {moments[-1].isoformat()}; the first of them builds the day's "
            f"histories ({times[0] * 1000:,.0f} ms); Store.frames alone {frames_times[0] * 1000:,.0f} ms",
        ),
        record(
            "6",
            "peak RSS, report (warm process)",
            store.stem,
            times,
            target="peak RSS above the interpreter+imports floor <= 3x raw data touched",
            passed=(peak - import_rss) / held <= 3,
            notes=f"peak {peak:,.0f} MiB after the timed reports (interpreter+imports {import_rss:,.0f} MiB) vs the "
            f"data the desk holds for them, the day's timeline {held:,.0f} MiB (one moment's frames {size:,.0f} MiB): "
            f"{(peak - import_rss) / held:.1f}x; DuckDB holds {duck:,.0f} MiB then (store_memory_limit {limit}, the "
            "bound of the report's reads: the pages its scans of every stored daily row read stay within it); "
            f"resident then {_split_text(split)} (after the imports {_split_text(import_split)}); the floor for a "
            f"report running this code on this stack is {bound:,.0f} MiB above the imports, {bound / data:.1f}x the "
            f"data (next row), and this one takes {(peak - import_rss) / bound:.1f}x that",
            extra={
                "peak_rss_mb": peak,
                "import_rss_mb": import_rss,
                "data_mb": held,
                "frames_mb": size,
                "duckdb_mb": duck,
                "duckdb_memory_limit": limit,
                "rss_ratio": peak / held,
                "rss_ratio_above_imports": (peak - import_rss) / held,
                "stack_code_mb": code,
                "read_floor": read,
                "lower_bound_mb": bound,
                "lower_bound_ratio": bound / data,
            },
        ),
        record(
            "6",
            "peak RSS, report: the floor for this code on this stack (the read floor, the library code the reports "
            "ran; informational)",
            store.stem,
            [0.0],
            target="above 3x the data: a report running this code cannot meet 3x as RSS counts it",
            notes=f"above the imports, vs the same data ({data:,.0f} MiB): (a) the code of the stack's libraries that "
            f"the timed reports ran, which RSS counts ({_code_text(code)}), plus the data held: "
            f"{sum(code.values()) + data:,.0f} MiB; (b) the read floor, a fresh process that only reads the report's "
            f"unmerged rows as Arrow (one thread, DuckDB memory limit {read['bound']}, the lowest peak of the limits "
            f"{', '.join(FLOOR_BOUNDS)} that fit ({', '.join(read['fitting'])}); {read['rows']:,} rows, "
            f"{read['arrow_mb']:,.0f} MiB), peaks {read['peak_above_imports_mb']:,.0f} MiB above its imports "
            f"({read['peak_above_imports_mb'] / data:.1f}x the data; {no_code:,.0f} MiB, "
            f"{no_code / data:.1f}x, without its libraries' code pages), plus the code the reports ran that the read "
            f"does not ({compute:,.0f} MiB): {read['peak_above_imports_mb'] + compute:,.0f} MiB. The larger, "
            f"{bound:,.0f} MiB, is {bound / data:.1f}x the data: "
            f"{'above 3x' if bound > 3 * data else 'within 3x'} for a report running this code, counting the "
            "libraries' code pages as RSS does (not a physical limit: other code, or no code pages, could need less)",
            extra={
                "lower_bound_mb": bound,
                "lower_bound_ratio": bound / data,
                "read_floor_without_code_mb": no_code,
                "above_3x": bound > 3 * data,
            },
        ),
    ]


FLOOR_BOUNDS = ("4MB", "8MB", "16MB", "32MB", "64MB", "128MB")
"""DuckDB memory limits the read floor tries (one thread); the lowest peak of those that fit is its figure."""


def lower_bound(
    code: dict[str, float], read_code: dict[str, float], read_peak: float, data: float
) -> tuple[float, float]:
    """The floor for a report running the code of ``code`` (MiB of each library's code its reports ran above the
    imports), holding ``data`` MiB, given a read floor that peaked ``read_peak`` MiB above its imports with
    ``read_code`` of the libraries' code resident: ``(compute, bound)``.

    ``compute`` is the code the reports ran beyond the read's, library by library (never below zero: a library can
    have more resident in the read). ``bound`` is the larger of (a) all that code plus the data held and (b) the read
    floor plus ``compute``. Neither part is counted twice: code pages are file-backed, the data anonymous, and the
    read's own code is in its peak once."""
    compute = sum(max(0.0, mb - read_code.get(lib, 0.0)) for lib, mb in code.items())
    return compute, max(sum(code.values()) + data, read_peak + compute)


def floor(store: Path, assets: list[str], as_of: datetime, intraday_days: int, bound: str) -> dict[str, Any]:
    """The least memory a report's read can take on this stack: in this fresh process, with the same imports as
    the warm process, open the store read-only (DuckDB alone: no migration, no settings) with one thread and a
    memory limit of ``bound``, and read as Arrow only the rows the report is made of (the ``assets``' unmerged
    daily rows known at ``as_of``, their intraday candles and points of the last ``intraday_days``); nothing is
    merged, analysed or written. Returns the peak RSS above the imports and the library code resident then."""
    imports = peak_rss_mb()  # as the warm process measures its imports
    code0 = mapped_file_rss_mb()
    con = duckdb.connect(str(store), read_only=True)
    con.execute("SET threads = 1")
    con.execute(f"SET memory_limit = '{bound}'")
    params: dict[str, Any] = {"assets": assets, "as_of": as_of}
    since = {**params, "since": as_of - timedelta(days=intraday_days)}
    try:
        held = [
            con.sql(daily_rows_sql(assets), params=params).to_arrow_table(),
            con.sql(intraday_sql(assets, since=True), params=since).to_arrow_table(),
            con.sql(points_sql(assets, since=True), params=since).to_arrow_table(),
        ]
    except duckdb.OutOfMemoryException:
        return {"bound": bound, "fits": False}
    return {
        "bound": bound,
        "fits": True,
        "peak_above_imports_mb": peak_rss_mb() - imports,
        "rows": sum(t.num_rows for t in held),
        "arrow_mb": sum(t.nbytes for t in held) / 2**20,
        "code_mb": _stack_code_mb(code0, mapped_file_rss_mb()),
    }


def _read_floor(store: Path, assets: list[str], as_of: datetime, intraday_days: int) -> dict[str, Any]:
    """:func:`floor` in a fresh process at each of :data:`FLOOR_BOUNDS`: the run with the lowest peak of those that
    fit, with ``fitting``, the limits that did (one run each)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(assets, f)
    try:
        fits = []
        for bound in FLOOR_BOUNDS:
            args = ["bench/fig_report.py", "floor", "--store", str(store.resolve()), "--assets", f.name]
            args += ["--bound", bound, "--as-of", as_of.isoformat(), "--intraday-days", str(intraday_days)]
            doc = run_child(args)
            if doc["floor"]["fits"]:
                fits.append(dict(doc["floor"]))
    finally:
        Path(f.name).unlink()
    if not fits:
        raise RuntimeError(f"the read floor did not fit in {FLOOR_BOUNDS[-1]}")
    return {**min(fits, key=lambda r: r["peak_above_imports_mb"]), "fitting": [r["bound"] for r in fits]}


def _frames_mb(frames: Any) -> float:
    """Polars' estimated size of the frames' tables (MiB)."""
    return float(
        sum(
            f.estimated_size("mb")
            for f in (frames.daily, frames.intraday, frames.points, frames.global_daily, frames.global_points)
        )
    )


STACK_LIBRARIES = {
    "DuckDB": ("duckdb",),
    "Polars": ("polars",),
    "NumPy": ("numpy",),
    "TA-Lib": ("talib", "ta_lib", "ta-lib"),
    "PyArrow": ("pyarrow",),
}
"""The stack's libraries (README's stack table) and the substrings of the paths of their shared objects (the
package's folder or the wheel's ``.libs`` folder: ``numpy/_core/...``, ``numpy.libs/...``)."""


def _stack_code_mb(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """How much more code of each of :data:`STACK_LIBRARIES` is resident in ``after`` than in ``before`` (MiB, from
    :func:`common.mapped_file_rss_mb`): what the reports ran of them beyond the imports. Other files (Python's own,
    libc) are left out, so the sum is a lower bound of the code a report needs."""
    out: dict[str, float] = {}
    for lib, marks in STACK_LIBRARIES.items():
        names = [n for n in after if any(m in _package_path(n) for m in marks)]
        out[lib] = max(0.0, sum(after[n] - before.get(n, 0.0) for n in names))
    return out


def _package_path(path: str) -> str:
    """``path`` from inside its ``site-packages`` folder (the package's folders name the library), or its file name
    outside one (a system library), lower case."""
    _, sep, inside = path.rpartition("site-packages/")
    return (inside if sep else Path(path).name).lower()


def _code_text(code: dict[str, float]) -> str:
    """``DuckDB 31 MiB, Polars 28 MiB, ...`` (see :func:`_stack_code_mb`)."""
    return ", ".join(f"{lib} {mb:,.0f} MiB" for lib, mb in code.items())


def _split_text(split: dict[str, float]) -> str:
    """``anonymous A MiB, file-backed F MiB`` (see :func:`common.rss_split_mb`), or ``n/a`` without procfs."""
    if not split:
        return "n/a"
    return f"anonymous {split['anon']:,.0f} MiB, file-backed (library code) {split['file']:,.0f} MiB"


def _timeline_mb(desk: Desk) -> float:
    """The size of the timeline the desk keeps for the day (``desk/replay.py::LiveReplay``; a private attribute)."""
    live = getattr(desk, "_live", None)
    run = getattr(live, "_run", None)
    if run is None:
        raise RuntimeError("the desk holds no timeline after its reports")
    return _frames_mb(run.timeline.frames)


def main() -> None:
    """CLI (see module docstring)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["cold", "warm", "floor"])
    ap.add_argument("--store", type=Path, default=DATA / "stores" / "M_I.duckdb")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--assets", type=Path, help="floor: a JSON list of the asset ids to read")
    ap.add_argument("--as-of", type=datetime.fromisoformat, help="floor: the moment the rows are read as of")
    ap.add_argument("--intraday-days", type=int, default=8, help="floor: days of intraday rows to read")
    ap.add_argument("--bound", default="16MB", help="floor: DuckDB's memory limit")
    args = ap.parse_args()
    if args.mode == "floor":
        if args.assets is None or args.as_of is None:
            ap.error("floor needs --assets (a JSON list of asset ids) and --as-of (an ISO time with its offset)")
        assets = json.loads(args.assets.read_text())
        emit([], floor=floor(args.store, assets, args.as_of, args.intraday_days, args.bound))
    else:
        emit(cold(args.store, args.runs) if args.mode == "cold" else warm(args.store, args.runs))


if __name__ == "__main__":
    main()
