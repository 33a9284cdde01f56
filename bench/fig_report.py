"""Figure 5 and the report half of figure 6: ``cryptodesk report`` on a store holding M and I.

    python bench/fig_report.py cold --store bench/data/stores/M_I.duckdb --runs 3
    python bench/fig_report.py warm --store bench/data/stores/M_I.duckdb --runs 3

``cold`` times the CLI in a new process each run (baseline: ``cryptodesk --help``,
the interpreter and import floor). ``warm`` opens one :class:`Desk`, writes the
report once untimed, then times ``Desk.report`` at a new as-of every 5 minutes
(what a desk refreshing its story does; the desk keeps the day's timeline), against
the same reports through the uncached pipeline (``Store.frames`` + ``analyze`` +
``detect`` + write) in the same process; its peak RSS is figure 6's report figure.
"""

from __future__ import annotations

import argparse
import os
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from common import AS_OF, CLI, DATA, emit, peak_rss_mb, record, rss_split_mb, timed, wall
from cryptodesk.analytics.asof import analyze
from cryptodesk.core.settings import Settings
from cryptodesk.desk import Desk
from cryptodesk.events.base import detect
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
    runs = max(runs, WARM_RUNS)
    moments = [AS_OF + WARM_STEP * (i + 1) for i in range(runs)]
    with Desk(Settings.model_validate({"db": store})) as desk:
        desk.report(AS_OF)
        it = iter(moments)
        times, _ = timed(lambda: desk.report(next(it)), runs)
        peak = peak_rss_mb()  # before the baseline runs in this process
        split = rss_split_mb()
        con = desk.store().con  # what DuckDB holds then (mostly the pages its scans read, up to the reads' bound)
        duck = con.execute("SELECT sum(memory_usage_bytes) / 2^20 FROM duckdb_memory()").fetchall()[0][0]
        limit = desk.settings.store_memory_limit or "DuckDB's own"
        held = _timeline_mb(desk)
        base_it = iter(moments)
        base, _ = timed(lambda: uncached(desk, next(base_it)), runs)
        frames_times, frames = timed(lambda: desk.frames(moments[-1]), 1)
    size = _frames_mb(frames)
    med = sorted(times)[len(times) // 2]
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
            f"resident then {_split_text(split)} (after the imports {_split_text(import_split)})",
            extra={
                "peak_rss_mb": peak,
                "import_rss_mb": import_rss,
                "data_mb": held,
                "frames_mb": size,
                "duckdb_mb": duck,
                "duckdb_memory_limit": limit,
                "rss_ratio": peak / held,
                "rss_ratio_above_imports": (peak - import_rss) / held,
            },
        ),
    ]


def _frames_mb(frames: Any) -> float:
    """Polars' estimated size of the frames' tables (MiB)."""
    return float(
        sum(
            f.estimated_size("mb")
            for f in (frames.daily, frames.intraday, frames.points, frames.global_daily, frames.global_points)
        )
    )


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
    ap.add_argument("mode", choices=["cold", "warm"])
    ap.add_argument("--store", type=Path, default=DATA / "stores" / "M_I.duckdb")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    emit(cold(args.store, args.runs) if args.mode == "cold" else warm(args.store, args.runs))


if __name__ == "__main__":
    main()
