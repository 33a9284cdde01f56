"""The desk log: one story per day over a period, each written as of its own day, plus an index page.

``desk_log(desk, start, end, out_dir)`` writes ``out_dir/YYYY-MM-DD.html`` (the
full HTML report of that day at ``at`` in ``tz``, charts included unless
``charts`` is False), ``out_dir/YYYY-MM-DD.json`` (the story in the report
JSON contract) and ``out_dir/index.html`` (date, headline, lead event).
Phrasing is seeded: the same seed gives the same log, and consecutive days
vary because the writer's seed mixes in each day's as_of.
"""

from __future__ import annotations

import json
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from multiprocessing import get_all_start_methods, get_context
from pathlib import Path

from cryptodesk.charts.common import ap_date
from cryptodesk.charts.log_page import LogEntry, describe_event, lead_event, log_index
from cryptodesk.charts.report_page import Figure, FigurePlan, report_page
from cryptodesk.charts.spec import Chart
from cryptodesk.charts.static import render_static
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.timeutil import zone
from cryptodesk.desk.charts import (
    REPORT_DPI,
    REPORT_PNG_LEVEL,
    REPORT_WIDTH_IN,
    Snapshot,
    figure_specs,
    html_report,
    placed,
    render_figure,
)
from cryptodesk.desk.core import Desk
from cryptodesk.desk.renders import RenderQueue, Slot
from cryptodesk.desk.replay import replay
from cryptodesk.writer import phrasing as ph
from cryptodesk.writer.render import to_json

MAX_DAYS = 3660
"""Longest period one log may cover (ten years)."""

LogProgress = Callable[[date, int, int], None]
"""progress(day, done, total)."""


@dataclass(frozen=True)
class DeskLog:
    """What :func:`desk_log` wrote."""

    out_dir: Path
    index: Path
    entries: tuple[LogEntry, ...]


def days(start: date, end: date) -> Iterator[date]:
    """Every day from ``start`` to ``end`` inclusive (ConfigError when the range is empty or too long)."""
    if end < start:
        raise ConfigError("--to: must not be before --from", parameter="--to")
    if (end - start).days >= MAX_DAYS:
        raise ConfigError(f"--to: a desk log covers at most {MAX_DAYS} days", parameter="--to")
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def moment(day: date, at: time, tz: str) -> datetime:
    """``day`` at the wall-clock time ``at`` in ``tz``, as a UTC datetime."""
    return datetime.combine(day, at, tzinfo=zone(tz)).astimezone(UTC)


def daily_snapshots(
    desk: Desk, start: date, end: date, *, at: time = time(12, 30), tz: str | None = None, seed: int | None = None
) -> Iterator[tuple[date, Snapshot]]:
    """The snapshot (frames, analysis, events, story) of each day, judged as of that day at ``at``.

    The same snapshots as :func:`~cryptodesk.desk.charts.snapshot` day by day, from one replay of the period.
    """
    yield from _snapshots(desk, list(days(start, end)), at, tz or desk.settings.tz, seed)


def _snapshots(desk: Desk, todo: list[date], at: time, tz: str, seed: int | None) -> Iterator[tuple[date, Snapshot]]:
    moments = [moment(day, at, tz) for day in todo]
    for day, m in zip(todo, replay(desk, moments, tz=tz, complete=True), strict=True):
        yield day, Snapshot(m.frames, m.analysis, m.events, desk.story(m, tz=tz, seed=seed), tz)


def desk_log(
    desk: Desk,
    start: date,
    end: date,
    out_dir: Path,
    *,
    at: time = time(12, 30),
    tz: str | None = None,
    seed: int | None = None,
    charts: bool = True,
    workers: int | None = None,
    progress: LogProgress | None = None,
) -> DeskLog:
    """Write one HTML story per day from ``start`` to ``end`` and an index page into ``out_dir``.

    The days come from one replay of the period (``desk/replay.py``). ``workers`` processes render the charts
    while this one replays, writes and assembles the pages (default: one when the machine has two cores or more,
    none on one core; 0 renders here). The pages are the same either way.
    """
    tz_name = tz or desk.settings.tz
    all_days = list(days(start, end))
    count = default_workers() if workers is None else workers
    if count < 0:
        raise ConfigError("--workers: must be 0 or more", parameter="--workers")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out: cannot create {out_dir}: {e.strerror or e}", parameter="--out") from e
    snaps = _reporting(_snapshots(desk, all_days, at, tz_name, seed), len(all_days), progress)
    pool = ProcessPoolExecutor(count, mp_context=get_context(_START)) if charts and count and all_days else None
    try:
        if pool is not None:
            pool.submit(abs, 0)  # start the processes now, while the replay reads the store
        entries = list(_pages(snaps, out_dir, charts=charts, pool=pool))
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
    index = out_dir / "index.html"
    title = f"Desk log, {ap_date(start)} to {ap_date(end)}"
    clock = ph.clock(moment(start, at, tz_name), tz_name)
    _write(index, log_index(entries, title=title, subtitle=f"Crypto markets · each day as of {clock}"))
    return DeskLog(out_dir, index, tuple(entries))


AHEAD = 16
"""Days whose charts may be rendering while the next day is replayed (bounds memory)."""
REMOTE_RENDER = partial(render_static, fmt="png", width_in=REPORT_WIDTH_IN, dpi=REPORT_DPI, compress=REPORT_PNG_LEVEL)
""":func:`~cryptodesk.desk.charts.render_figure` as the render processes run it (they import the renderer only)."""


_START = "fork" if sys.platform.startswith("linux") and "fork" in get_all_start_methods() else "spawn"
"""How chart processes start: forked on Linux (at once, with the renderer already imported; they only render charts
with numpy and matplotlib, never touching the store or Polars), spawned elsewhere (fork is unsafe on macOS)."""


def default_workers() -> int:
    """Chart-rendering processes by default: one beside this process when there is a second core."""
    return 1 if (os.cpu_count() or 1) >= 2 else 0


def _pages(
    snaps: Iterator[tuple[date, Snapshot]], out_dir: Path, *, charts: bool, pool: Executor | None
) -> Iterator[LogEntry]:
    """Each day's page written, in date order; with a pool its charts render while later days are prepared."""
    if not charts or pool is None:
        for day, snap in snaps:
            figs = [placed(plan, spec, render_figure(spec)) for plan, spec in figure_specs(snap)] if charts else None
            yield _write_day(out_dir, day, snap, figs)
        return
    queue = RenderQueue(pool, REMOTE_RENDER, render_figure)
    pending: deque[tuple[date, Snapshot, list[tuple[FigurePlan, Chart, Slot]]]] = deque()
    for day, snap in snaps:
        pending.append((day, snap, [(plan, spec, queue.add(spec)) for plan, spec in figure_specs(snap)]))
        while len(pending) > AHEAD or (pending and all(slot.done.is_set() for _p, _s, slot in pending[0][2])):
            yield _finish(out_dir, queue, pending.popleft())
    while pending:
        yield _finish(out_dir, queue, pending.popleft())


def _finish(
    out_dir: Path, queue: RenderQueue, job: tuple[date, Snapshot, list[tuple[FigurePlan, Chart, Slot]]]
) -> LogEntry:
    """Write a day whose charts were queued (this process renders queued charts while it waits for them)."""
    day, snap, figures = job
    return _write_day(out_dir, day, snap, [placed(plan, spec, queue.image(slot)) for plan, spec, slot in figures])


def _write_day(out_dir: Path, day: date, snap: Snapshot, rendered: list[Figure] | None) -> LogEntry:
    """Write the day's page (with ``rendered`` charts, or none) and JSON; the index entry."""
    page = report_page(snap.story) if rendered is None else html_report(snap, rendered=rendered)
    name = f"{day.isoformat()}.html"
    _write(out_dir / name, page)
    _write(
        out_dir / f"{day.isoformat()}.json", json.dumps(to_json(snap.story), ensure_ascii=False, separators=(",", ":"))
    )
    figures = page.count('<figure class="chart"')
    return LogEntry(day, name, snap.story.headline, describe_event(lead_event(snap.story)), figures)


def _reporting(
    snaps: Iterator[tuple[date, Snapshot]], total: int, progress: LogProgress | None
) -> Iterator[tuple[date, Snapshot]]:
    for i, (day, snap) in enumerate(snaps):
        if progress:
            progress(day, i, total)
        yield day, snap


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"--out: cannot write {path}: {e.strerror or e}", parameter="--out") from e
