"""Run alerts with a desk: once as of a moment, replayed day by day, or as a dry run of one rule.

These are the functions the CLI (``cryptodesk alerts ...``) calls. They live in
the alerts layer (which sits above the desk) and take a :class:`~cryptodesk.desk.Desk`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from cryptodesk.alerts.engine import AlertEngine, Fired
from cryptodesk.alerts.history import AlertHistory, history_path
from cryptodesk.alerts.rules import AlertsConfig
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.models import Event
from cryptodesk.core.timeutil import zone
from cryptodesk.desk import Desk


def open_history(desk: Desk, path: Path | None = None) -> AlertHistory:
    """The alert history next to the desk's store (or at ``path``)."""
    return AlertHistory(path or history_path(Path(desk.settings.db)))


def run_once(desk: Desk, config: AlertsConfig, as_of: datetime, *, history: AlertHistory) -> list[Fired]:
    """Detect events as of ``as_of`` and deliver the alerts they fire (each event at most once per rule)."""
    return AlertEngine(config, history).process(desk.detect(as_of))


def _moments(start: date, end: date, at: time, tz: str) -> list[datetime]:
    if end < start:
        raise ConfigError("--to: must not be before --from", parameter="--to")
    days = (end - start).days + 1
    return [datetime.combine(start + timedelta(days=i), at, tzinfo=zone(tz)).astimezone(UTC) for i in range(days)]


def replay(
    desk: Desk,
    config: AlertsConfig,
    start: date,
    end: date,
    *,
    history: AlertHistory,
    at: time = time(12, 30),
    tz: str | None = None,
    dry_run: bool = False,
    detect: Callable[[datetime], list[Event]] | None = None,
) -> list[Fired]:
    """Judge each day from ``start`` to ``end`` at ``at`` (in tz) in order, firing alerts as a live run would have.

    ``detect`` replaces ``desk.detect`` (e.g. a memoised one shared by several replays).
    """
    engine = AlertEngine(config, history, sinks={} if dry_run else None)
    find = detect or desk.detect
    fired: list[Fired] = []
    for moment in _moments(start, end, at, tz or desk.settings.tz):
        fired.extend(engine.process(find(moment), dry_run=dry_run))
    return fired


def dry_run(
    desk: Desk,
    config: AlertsConfig,
    rule: str,
    start: date,
    end: date,
    *,
    at: time = time(12, 30),
    tz: str | None = None,
    detect: Callable[[datetime], list[Event]] | None = None,
) -> list[Fired]:
    """What ``rule`` would have fired over the days (fresh in-memory history, nothing delivered)."""
    one = AlertsConfig((config.rule(rule),), {}, config.retries, config.backoff_seconds, True, config.path)
    with AlertHistory(":memory:") as history:
        return replay(desk, one, start, end, history=history, at=at, tz=tz, dry_run=True, detect=detect)
