"""The point-in-time data bundle the store hands to analytics.

``Store.frames(as_of)`` builds a :class:`MarketFrames` from the canonical tables,
merging sources by the documented preference order (docs/data.md) and keeping
only rows known at ``as_of`` (``available_at <= as_of``). Analytics and
detectors work on these frames only; they never touch the database.

Frame schemas (all timestamps UTC):

``daily``      asset_id, date (the UTC day the row describes), close, high, low,
               volume (USD), market_cap, source, available_at.
               One row per asset and day. A CoinGecko snapshot at D 00:00 UTC is
               the close of day D-1 (available at D 00:00); a daily candle opening
               at D 00:00 is day D (available at D+1 00:00). close, volume and market_cap
               come together from the most preferred source with a close; high/low
               from the most preferred source that has them (null if none does).
``intraday``   asset_id, source, venue, interval, open_time, close_time, open,
               high, low, close, volume: closed sub-daily candles (close_time <= as_of).
``points``     asset_id, source, ts, price, market_cap, volume_24h: sub-daily
               snapshots (e.g. CoinGecko hourly), ts <= as_of.
``global_daily`` date, open, high, low, close (total market cap), volume,
               btc_dominance, source, available_at: one row per day from the
               preferred index source (e.g. TradingView CRYPTOCAP:TOTAL).
``global_points`` ts, total_market_cap, total_volume, btc_dominance, source.
``calendar``   ts, kind, title, note, source, origin.
``liquidations`` exchange, asset_id, ts, side, notional_usd, source.
``coverage``   exchange, feed, start, end: intervals a liquidation feed was connected.
``assets``     asset_id, symbol, name, kind.

A :class:`MarketTimeline` holds what was known over a period, so that frames at
any moment of it are a cut in memory instead of a query (``Store.timeline``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any

import polars as pl

from cryptodesk.core.models import UTC_TS

DAILY_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.Utf8(),
    "date": pl.Date(),
    "close": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "volume": pl.Float64(),
    "market_cap": pl.Float64(),
    "source": pl.Utf8(),
    "available_at": UTC_TS,
}
INTRADAY_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.Utf8(),
    "source": pl.Utf8(),
    "venue": pl.Utf8(),
    "interval": pl.Utf8(),
    "open_time": UTC_TS,
    "close_time": UTC_TS,
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "volume": pl.Float64(),
}
POINTS_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.Utf8(),
    "source": pl.Utf8(),
    "ts": UTC_TS,
    "price": pl.Float64(),
    "market_cap": pl.Float64(),
    "volume_24h": pl.Float64(),
}
GLOBAL_DAILY_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "open": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "close": pl.Float64(),
    "volume": pl.Float64(),
    "btc_dominance": pl.Float64(),
    "source": pl.Utf8(),
    "available_at": UTC_TS,
}
GLOBAL_POINTS_SCHEMA: dict[str, pl.DataType] = {
    "ts": UTC_TS,
    "total_market_cap": pl.Float64(),
    "total_volume": pl.Float64(),
    "btc_dominance": pl.Float64(),
    "source": pl.Utf8(),
}
CALENDAR_SCHEMA: dict[str, pl.DataType] = {
    "ts": UTC_TS,
    "kind": pl.Utf8(),
    "title": pl.Utf8(),
    "note": pl.Utf8(),
    "source": pl.Utf8(),
    "origin": pl.Utf8(),
}
LIQ_SCHEMA: dict[str, pl.DataType] = {
    "exchange": pl.Utf8(),
    "asset_id": pl.Utf8(),
    "ts": UTC_TS,
    "side": pl.Utf8(),
    "notional_usd": pl.Float64(),
    "source": pl.Utf8(),
}
COVERAGE_SCHEMA: dict[str, pl.DataType] = {
    "exchange": pl.Utf8(),
    "feed": pl.Utf8(),
    "start": UTC_TS,
    "end": UTC_TS,
}
ASSET_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.Utf8(),
    "symbol": pl.Utf8(),
    "name": pl.Utf8(),
    "kind": pl.Utf8(),
}


@dataclass(frozen=True)
class MarketFrames:
    """Everything known at ``as_of``, as Polars frames (see module docstring)."""

    as_of: datetime
    daily: pl.DataFrame
    intraday: pl.DataFrame
    points: pl.DataFrame
    global_daily: pl.DataFrame
    global_points: pl.DataFrame
    calendar: pl.DataFrame
    liquidations: pl.DataFrame
    coverage: pl.DataFrame
    assets: pl.DataFrame

    @classmethod
    def empty(cls, as_of: datetime) -> MarketFrames:
        """A bundle with no rows (every frame has its schema)."""
        return cls(
            as_of=as_of,
            daily=pl.DataFrame(schema=DAILY_SCHEMA),
            intraday=pl.DataFrame(schema=INTRADAY_SCHEMA),
            points=pl.DataFrame(schema=POINTS_SCHEMA),
            global_daily=pl.DataFrame(schema=GLOBAL_DAILY_SCHEMA),
            global_points=pl.DataFrame(schema=GLOBAL_POINTS_SCHEMA),
            calendar=pl.DataFrame(schema=CALENDAR_SCHEMA),
            liquidations=pl.DataFrame(schema=LIQ_SCHEMA),
            coverage=pl.DataFrame(schema=COVERAGE_SCHEMA),
            assets=pl.DataFrame(schema=ASSET_SCHEMA),
        )


_DERIVED = "_derived"


def derived(frames: MarketFrames) -> dict[object, Any]:
    """A dict that lives exactly as long as ``frames``: where results derived from it are kept (``per_frames``, the
    detectors' series). Not a field, so equality, ``repr`` and :func:`dataclasses.replace` ignore it (a replaced
    bundle starts with an empty one). Frames are immutable, so what is derived from them stays true."""
    cache: dict[object, Any] | None = frames.__dict__.get(_DERIVED)
    if cache is None:
        cache = {}
        object.__setattr__(frames, _DERIVED, cache)
    return cache


VERSION_SCHEMA: dict[str, pl.DataType] = {"valid_from": UTC_TS, "valid_to": UTC_TS}
"""Extra columns of a timeline's versioned frames: a row is the known one from ``valid_from`` until ``valid_to``
(null: still the known one at the timeline's end)."""


@dataclass(frozen=True)
class MarketTimeline:
    """What the store knew at every moment from ``start`` to ``end``: ``at(t)`` is ``Store.frames(t)``, cut in memory.

    ``frames`` holds everything known at ``end``; its ``daily`` and ``global_daily`` hold every version of each
    merged row (:data:`VERSION_SCHEMA`), so a cut at ``t`` keeps the version known then, even when a preferred source
    arrived later and replaced it. Candles and price points are read from ``start - intraday_days`` on (all of them
    when None), as ``Store.frames`` reads them from ``t - intraday_days``.
    """

    start: datetime
    end: datetime
    frames: MarketFrames
    intraday_days: int | None = None

    @cached_property
    def asset_ids(self) -> frozenset[str]:
        """Every asset id in the timeline's per-asset frames."""
        f = self.frames
        ids: set[str] = set()
        for frame in (f.daily, f.intraday, f.points, f.liquidations, f.assets):
            ids.update(str(a) for a in frame.get_column("asset_id").unique().to_list() if a is not None)
        return frozenset(ids)

    def at(self, as_of: datetime, assets: Collection[str] | None = None) -> MarketFrames:
        """The frames known at ``as_of`` (``start <= as_of <= end``), limited to ``assets`` when given."""
        if not self.start <= as_of <= self.end:
            raise ValueError(f"as_of {as_of.isoformat()} is outside the timeline {self.start} .. {self.end}")
        f = self.frames
        if assets is not None and self.asset_ids.issubset(assets):
            assets = None  # every asset of the timeline: nothing to filter
        t = pl.lit(as_of, dtype=UTC_TS)
        current = (pl.col("valid_from") <= t) & (pl.col("valid_to").is_null() | (pl.col("valid_to") > t))
        mine = pl.lit(True) if assets is None else pl.col("asset_id").is_in(list(assets))
        since = None if self.intraday_days is None else as_of - timedelta(days=self.intraday_days)
        fresh_candle = pl.lit(True) if since is None else pl.col("open_time") >= pl.lit(since, dtype=UTC_TS)
        fresh_point = pl.lit(True) if since is None else pl.col("ts") >= pl.lit(since, dtype=UTC_TS)
        return replace(
            f,
            as_of=as_of,
            daily=f.daily.filter(current & mine).select(list(DAILY_SCHEMA)),
            intraday=f.intraday.filter((pl.col("close_time") <= t) & fresh_candle & mine),
            points=f.points.filter((pl.col("ts") <= t) & fresh_point & mine),
            global_daily=f.global_daily.filter(current).select(list(GLOBAL_DAILY_SCHEMA)),
            global_points=f.global_points.filter(pl.col("ts") <= t),
            liquidations=cut_liquidations(f.liquidations, as_of, assets),
            coverage=cut_coverage(f.coverage, as_of),
            assets=f.assets.filter(mine),
        )


def cut_liquidations(liquidations: pl.DataFrame, as_of: datetime, assets: Collection[str] | None) -> pl.DataFrame:
    """The liquidations known at ``as_of`` (``ts <= as_of``), of ``assets`` when given."""
    keep = pl.col("ts") <= pl.lit(as_of, dtype=UTC_TS)
    if assets is not None:
        keep &= pl.col("asset_id").is_in(list(assets))
    return liquidations.filter(keep)


def cut_coverage(coverage: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Feed coverage as known at ``as_of``: intervals started by then, an open or later end clipped to ``as_of``."""
    t, end = pl.lit(as_of, dtype=UTC_TS), pl.col("end")
    return coverage.filter(pl.col("start") <= t).with_columns(
        pl.when(end.is_null() | (end > t)).then(t).otherwise(end).alias("end")
    )
