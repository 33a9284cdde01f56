"""What the API and the dashboard show, computed from a desk and cached per (store version, request).

Every function takes the desk of one store snapshot and returns JSON-ready data.
Results are cached in a small LRU keyed by the snapshot version and the
request's parameters, so repeated reads of the same moment cost one dict lookup;
a new snapshot (the store changed) gives a new version and fresh results.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, TypeVar

import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.market import daily_series
from cryptodesk.analytics.types import AssetState, Change, MarketState
from cryptodesk.core.errors import ConfigError, NoDataError
from cryptodesk.core.models import Event
from cryptodesk.core.timeutil import zone
from cryptodesk.desk import Desk
from cryptodesk.web.jsonable import jsonable
from cryptodesk.writer.render import to_json

T = TypeVar("T")
TOTAL = "total_market_cap"
MAX_EVENT_DAYS = 31
"""Longest range /events accepts (each day is judged on its own; detection costs ~0.5 s per new day)."""


class UnknownValueError(NoDataError):
    """A path or query value naming nothing in the store (404, naming the parameter)."""

    def __init__(self, message: str, *, parameter: str, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.parameter = parameter


class Cache:
    """A thread-safe LRU of computed results."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._data: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._lock = threading.Lock()

    def peek(self, key: tuple[Any, ...]) -> Any:
        """The cached value for ``key`` or None."""
        with self._lock:
            return self._data.get(key)

    def get(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """The cached value for ``key``, computing (outside the lock) and storing it on a miss."""
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                hit: T = self._data[key]
                return hit
        value = compute()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value


def _change(c: Change | None) -> float | None:
    return c.pct if c is not None else None


def market_payload(market: MarketState | None) -> dict[str, Any] | None:
    """The market block: total market cap, its changes, dominance and swing levels."""
    if market is None:
        return None
    out: dict[str, Any] = jsonable(
        {
            "total_market_cap": market.total_market_cap,
            "date": market.date,
            "source": market.source,
            "method": market.method,
            "changes": {w: c.pct for w, c in market.changes.items()},
            "btc_dominance": market.btc_dominance,
            "day_high": market.day_high,
            "day_low": market.day_low,
            "swing_high": {"value": market.swing_high.value, "date": market.swing_high.date}
            if market.swing_high
            else None,
            "swing_low": {"value": market.swing_low.value, "date": market.swing_low.date} if market.swing_low else None,
        }
    )
    return out


def asset_row(a: AssetState) -> dict[str, Any]:
    """One row of the assets table."""
    row: dict[str, Any] = jsonable(
        {
            "asset_id": a.asset_id,
            "symbol": a.symbol,
            "name": a.name,
            "close": a.close,
            "close_date": a.close_date,
            "last_price": a.last_price,
            "last_time": a.last_time,
            "market_cap": a.market_cap,
            "return_1d": _change(a.changes.get("1d")),
            "return_7d": _change(a.changes.get("7d")),
            "return_30d": _change(a.changes.get("30d")),
            "return_ytd": _change(a.changes.get("ytd")),
            "sma50": a.sma50,
            "sma200": a.sma200,
            "dist_sma50_sigma": a.dist_sma50_sigma,
            "rsi14": a.rsi14,
            "volume_ratio": a.volume_ratio,
            "source": a.daily_source,
        }
    )
    return row


def market_state(desk: Desk, as_of: datetime, tz: str) -> dict[str, Any]:
    """Market state as of ``as_of``: the market block, every asset (largest first), headline, lead and events."""
    story = desk.report(as_of, tz=tz)
    analysis = desk.analyze(as_of, tz=tz)
    rows = sorted(
        (asset_row(a) for a in analysis.assets.values()),
        key=lambda r: -(r["market_cap"] or 0.0),
    )
    return {
        "as_of": as_of.isoformat(),
        "tz": tz,
        "market": market_payload(analysis.market),
        "assets": rows,
        "headline": story.headline,
        "lead": story.paragraphs[0].text if story.paragraphs else None,
        "events": [event_payload(e) for e in story.events],
    }


def event_payload(e: Event) -> dict[str, Any]:
    """An event in its report-schema JSON form plus its details."""
    out = e.to_json()
    out["details"] = jsonable(e.details)
    out["date"] = str(e.details.get("date") or e.details.get("end_date") or e.time.date().isoformat())
    payload: dict[str, Any] = jsonable(out)
    return payload


def series(desk: Desk, subject: str, as_of: datetime, start: date | None, end: date | None) -> dict[str, Any]:
    """Daily series of ``subject`` known at ``as_of`` with SMA50, SMA200, σ-distance and RSI14."""
    if len(subject) > 100:
        raise UnknownValueError("asset: too long", parameter="asset")
    if subject != TOTAL:
        subject = desk.registry.resolve(subject) or subject
    frames = desk.frames(as_of, assets=None if subject == TOTAL else [subject])
    try:
        df = daily_series(frames, subject)
    except NoDataError as e:
        raise UnknownValueError(
            f"asset: no daily data for {subject!r} known at {as_of.isoformat()}",
            parameter="asset",
            hint="GET /api/v1/assets lists the assets with data.",
        ) from e
    close = df.get_column("close").to_numpy()
    df = df.with_columns(
        pl.Series("sma50", k.sma(close, 50)),
        pl.Series("sma200", k.sma(close, 200)),
        pl.Series("sigma50", k.sigma_distance(close, 50)),
        pl.Series("rsi14", k.rsi(close, 14)),
    )
    if start is not None:
        df = df.filter(pl.col("date") >= start)
    if end is not None:
        df = df.filter(pl.col("date") <= end)
    return {"subject": subject, "as_of": as_of.isoformat(), "rows": jsonable(df)}


def asset_list(desk: Desk) -> list[dict[str, Any]]:
    """Every asset with data in the store (from its coverage), with symbol, name and kind where known."""
    ids = sorted(set(desk.assets().get_column("asset_id").to_list()) - {None, TOTAL})
    out: list[dict[str, Any]] = []
    for asset_id in ids:
        info = desk.registry.get(asset_id)
        out.append(
            {
                "asset_id": asset_id,
                "symbol": info.symbol if info else None,
                "name": info.name if info else None,
                "kind": info.kind if info else None,
            }
        )
    return out


def day_events(desk: Desk, day: date, at: time, tz: str) -> list[Event]:
    """Events judged as of ``day`` at ``at`` in ``tz``."""
    moment = datetime.combine(day, at, tzinfo=zone(tz, parameter="tz")).astimezone(UTC)
    return desk.detect(moment, tz=tz)


def check_range(start: date, end: date) -> None:
    """Reject a reversed or too long event range, naming the parameter."""
    if end < start:
        raise ConfigError("to: must not be before from", parameter="to")
    if (end - start).days >= MAX_EVENT_DAYS:
        raise ConfigError(f"to: at most {MAX_EVENT_DAYS} days from 'from'", parameter="to")


def days(start: date, end: date) -> list[date]:
    """Every day from ``start`` to ``end`` inclusive."""
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def filter_events(events: list[Event], kind: str | None, subject: str | None) -> list[Event]:
    """Events of ``kind`` about ``subject`` (None = any)."""
    return [e for e in events if (kind is None or e.kind == kind) and (subject is None or e.subject == subject)]


def events_over(
    desk: Desk, cache: Cache, span: tuple[date, date], *, at: time, tz: str, kind: str | None, subject: str | None
) -> list[dict[str, Any]]:
    """Payloads of the events of each day of ``span`` (day detection cached per snapshot), filtered."""
    out: list[dict[str, Any]] = []
    for day in days(*span):

        def compute(day: date = day) -> list[Event]:
            return day_events(desk, day, at, tz)

        evs = cache.get(("day_events", str(desk.settings.db), day, at, tz), compute)
        out.extend(event_payload(e) for e in filter_events(evs, kind, subject))
    return out


def report_json(desk: Desk, as_of: datetime, tz: str) -> dict[str, Any]:
    """The report contract JSON as of ``as_of``."""
    payload: dict[str, Any] = jsonable(to_json(desk.report(as_of, tz=tz)))
    return payload


def freshness(desk: Desk) -> list[dict[str, Any]]:
    """Per table and source, the latest timestamp stored and the row count."""
    rows: list[dict[str, Any]] = jsonable(desk.store().latest_times())
    return rows
