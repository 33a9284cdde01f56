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
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from multiprocessing import get_context
from pathlib import Path

from cryptodesk.charts.common import ap_date
from cryptodesk.charts.log_page import LogEntry, describe_event, lead_event, log_index
from cryptodesk.charts.report_page import report_page
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import Settings
from cryptodesk.core.timeutil import zone
from cryptodesk.desk.charts import Snapshot, html_report, snapshot
from cryptodesk.desk.core import Desk
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
    """The snapshot (frames, analysis, events, story) of each day, judged as of that day at ``at``."""
    tz_name = tz or desk.settings.tz
    for day in days(start, end):
        yield day, snapshot(desk, moment(day, at, tz_name), tz=tz_name, seed=seed)


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
    workers: int = 1,
    progress: LogProgress | None = None,
) -> DeskLog:
    """Write one HTML story per day from ``start`` to ``end`` and an index page into ``out_dir``.

    ``workers`` > 1 writes the days in that many processes, each with its own
    read-only desk on the same store (the pages are the same either way).
    """
    tz_name = tz or desk.settings.tz
    all_days = list(days(start, end))
    if workers < 1:
        raise ConfigError("--workers: must be at least 1", parameter="--workers")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--out: cannot create {out_dir}: {e.strerror or e}", parameter="--out") from e
    job = _Job(out_dir, at, tz_name, seed, charts)
    if workers == 1 or len(all_days) < 2:
        entries = [job.write_day(desk, day) for day in _reporting(all_days, progress)]
    else:
        entries = _in_processes(desk, job, all_days, workers, progress)
    index = out_dir / "index.html"
    title = f"Desk log, {ap_date(start)} to {ap_date(end)}"
    clock = ph.clock(moment(start, at, tz_name), tz_name)
    _write(index, log_index(entries, title=title, subtitle=f"Crypto markets · each day as of {clock}"))
    return DeskLog(out_dir, index, tuple(entries))


@dataclass(frozen=True)
class _Job:
    """How each day of a log is written (picklable, for worker processes)."""

    out_dir: Path
    at: time
    tz: str
    seed: int | None
    charts: bool

    def write_day(self, desk: Desk, day: date) -> LogEntry:
        """Write the day's page and JSON; the index entry."""
        snap = snapshot(desk, moment(day, self.at, self.tz), tz=self.tz, seed=self.seed)
        page = html_report(snap) if self.charts else report_page(snap.story)
        name = f"{day.isoformat()}.html"
        _write(self.out_dir / name, page)
        _write(self.out_dir / f"{day.isoformat()}.json", json.dumps(to_json(snap.story), indent=1, ensure_ascii=False))
        figures = page.count('<figure class="chart"')
        return LogEntry(day, name, snap.story.headline, describe_event(lead_event(snap.story)), figures)

    def write_days(self, settings: Settings, chunk: list[date]) -> list[LogEntry]:
        """Write several days with a desk of its own (the worker-process entry point)."""
        with Desk(settings) as desk:
            return [self.write_day(desk, day) for day in chunk]


def _reporting(todo: list[date], progress: LogProgress | None) -> Iterator[date]:
    for i, day in enumerate(todo):
        if progress:
            progress(day, i, len(todo))
        yield day


def _in_processes(
    desk: Desk, job: _Job, todo: list[date], workers: int, progress: LogProgress | None
) -> list[LogEntry]:
    """Days split round-robin over ``workers`` spawned processes; entries back in date order."""
    chunks = [todo[i::workers] for i in range(workers) if todo[i::workers]]
    desk.close()  # the workers open the store themselves; the desk reopens it on next use
    done: list[LogEntry] = []
    with ProcessPoolExecutor(max_workers=len(chunks), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(job.write_days, desk.settings, chunk) for chunk in chunks]
        for future in as_completed(futures):
            done.extend(future.result())
            if progress:
                progress(max(e.day for e in done), len(done), len(todo))
    return sorted(done, key=lambda e: e.day)


def _write(path: Path, text: str) -> None:
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"--out: cannot write {path}: {e.strerror or e}", parameter="--out") from e
