"""Per-app state: settings, the snapshot reader, the result cache and request parameter parsing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, TypeVar

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.settings import Settings
from cryptodesk.core.timeutil import parse_clock, parse_day, parse_moment, utc_now, zone
from cryptodesk.desk import Desk
from cryptodesk.web.jsonable import dumps
from cryptodesk.web.service import Cache
from cryptodesk.web.snapshot import SnapshotReader

T = TypeVar("T")
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


@dataclass
class WebState:
    """What every request needs: settings, the store snapshot reader and the cache."""

    settings: Settings
    reader: SnapshotReader
    cache: Cache = field(default_factory=Cache)
    extra: dict[str, Any] = field(default_factory=dict)

    async def cached(self, name: str, key: tuple[Any, ...], compute: Callable[[Desk], Any]) -> tuple[bytes, str]:
        """JSON bytes of ``compute(desk)`` for the current snapshot, cached per (name, version, key)."""
        version = self.reader.version
        full = (name, version, *key)
        hit = self.cache.peek(full)
        if hit is not None:
            return hit, version or ""

        def work() -> tuple[bytes, str]:
            with self.reader.lease() as snap:
                return self.cache.get((name, snap.version, *key), lambda: dumps(compute(snap.desk))), snap.version

        return await run_in_threadpool(work)

    async def run(self, fn: Callable[[Desk], T]) -> tuple[T, str]:
        """``fn(desk)`` on the current snapshot in a worker thread, with the snapshot version."""

        def work() -> tuple[T, str]:
            with self.reader.lease() as snap:
                return fn(snap.desk), snap.version

        return await run_in_threadpool(work)


def web_state(request: Request) -> WebState:
    """The app's WebState."""
    state: WebState = request.app.state.web
    return state


def moment_param(text: str | None, tz: str, *, parameter: str = "as_of") -> datetime:
    """Parse an as_of query value and keep it within 2000..2100.

    The default is now, truncated to the minute, so that requests without as_of
    share cached results for a minute instead of recomputing every time.
    """
    if text is None or not text.strip():
        return utc_now().replace(second=0, microsecond=0)
    try:
        moment = parse_moment(text, tz=tz, parameter=parameter)
    except (ValueError, OverflowError) as e:
        raise ConfigError(f"{parameter}: {text!r} is not an ISO 8601 moment", parameter=parameter) from e
    if not EARLIEST <= moment < LATEST:
        raise ConfigError(f"{parameter}: must be between 2000 and 2100", parameter=parameter)
    return moment


def tz_param(text: str | None, default: str) -> str:
    """Validate a tz query value (default: the settings' zone)."""
    name = text if text else default
    try:
        zone(name, parameter="tz")
    except (ValueError, OSError) as e:
        raise ConfigError(f"tz: unknown time zone {name!r}", parameter="tz") from e
    return name


def day_param(text: str | None, parameter: str) -> date | None:
    """Parse an optional YYYY-MM-DD query value within 2000..2100."""
    if text is None or not text.strip():
        return None
    day = parse_day(text, parameter=parameter)
    if not EARLIEST.date() <= day < LATEST.date():
        raise ConfigError(f"{parameter}: must be between 2000 and 2100", parameter=parameter)
    return day


def clock_param(text: str | None) -> time:
    """Parse the optional HH:MM 'at' query value (default 12:30)."""
    if text is None or not text.strip():
        return time(12, 30)
    try:
        return parse_clock(text, parameter="at")
    except (ValueError, OverflowError) as e:
        raise ConfigError(f"at: {text!r} is not a time; expected HH:MM", parameter="at") from e
