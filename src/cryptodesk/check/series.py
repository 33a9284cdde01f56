"""Daily and intraday look-ups on a :class:`MarketFrames` bundle, for the measurer.

Everything is point-in-time: the frames hold only what was known at their
``as_of``. A daily row for day D (a UTC day) is the close of D (a CoinGecko
snapshot at D+1 00:00 UTC); the total market cap is
:func:`cryptodesk.analytics.market.total_series` (an index such as TradingView
CRYPTOCAP:TOTAL, else the sum of tracked assets), never rescaled.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl

from cryptodesk.analytics.common import known, one_per_date
from cryptodesk.analytics.market import TOTAL, total_series
from cryptodesk.core.frames import MarketFrames

SOURCE_NAMES = {
    "tradingview": "TradingView CRYPTOCAP:TOTAL",
    "coingecko": "CoinGecko",
    "yahoo": "Yahoo Finance",
    "coinmarketcap": "CoinMarketCap",
    "binance": "Binance",
}


NEAR = timedelta(minutes=45)
"""How far a price snapshot may be from the moment it stands for."""


def source_name(raw: str) -> str:
    """A readable provider name for a stored source id."""
    return SOURCE_NAMES.get(raw, raw)


@dataclass(frozen=True)
class Daily:
    """One subject's daily series as plain lists (sorted by date, one row per date)."""

    subject: str
    dates: list[date]
    close: list[float]
    high: list[float | None]
    low: list[float | None]
    volume: list[float | None]
    market_cap: list[float | None]
    sources: list[str]
    method: str = "asset"

    def upto(self, day: date) -> int | None:
        """Index of the last row on or before ``day``."""
        i = bisect.bisect_right(self.dates, day) - 1
        return i if i >= 0 else None

    def at(self, day: date) -> int | None:
        """Index of the row for exactly ``day``."""
        i = self.upto(day)
        return i if i is not None and self.dates[i] == day else None

    def hi(self, i: int) -> float:
        """The day's high, or its close when no high is known."""
        v = self.high[i]
        return self.close[i] if v is None else v

    def lo(self, i: int) -> float:
        """The day's low, or its close when no low is known."""
        v = self.low[i]
        return self.close[i] if v is None else v

    def source(self, i: int = -1) -> str:
        """Readable source of row ``i``."""
        return source_name(self.sources[i])


class Lookup:
    """Cached per-subject series of one frames bundle."""

    def __init__(self, frames: MarketFrames) -> None:
        self.frames = frames
        self._daily: dict[str, Daily | None] = {}
        self._bar_cache: dict[str, Bars] = {}
        self._point_cache: dict[str, Points] = {}

    def daily(self, subject: str) -> Daily | None:
        """The daily series of an asset id or of ``total_market_cap`` (None when nothing is known)."""
        if subject not in self._daily:
            self._daily[subject] = self._load(subject)
        return self._daily[subject]

    def _load(self, subject: str) -> Daily | None:
        if subject == TOTAL:
            total = total_series(self.frames)
            if total is None or total.frame.height == 0:
                return None
            df = total.frame.with_columns(pl.lit(None, dtype=pl.Float64).alias("market_cap"))
            df = df.with_columns(pl.col("close").alias("market_cap"))
            return _to_daily(subject, df, total.method)
        df = known(self.frames.daily, self.frames.as_of).filter(
            (pl.col("asset_id") == subject) & pl.col("close").is_not_null()
        )
        if df.height == 0:
            return None
        return _to_daily(subject, one_per_date(df), "asset")

    def price_at(
        self, subject: str, moment: datetime, *, prefer: str | None = None
    ) -> tuple[float, str, datetime] | None:
        """The price at ``moment``: the 1-minute bar containing it, else a price snapshot within 45 minutes.

        ``prefer`` (a source id such as 'coingecko', named by the article) picks
        that provider's snapshots first when it has one near the moment.
        """
        pts = self._points(subject)
        if prefer:
            hit = pts.nearest(moment, source=prefer)
            if hit is not None:
                return hit
        bars = self._bars(subject)
        i = bisect.bisect_right(bars.open_time, moment) - 1
        if i >= 0 and bars.close_time[i] > moment:
            return bars.close[i], bars.sources[i], bars.open_time[i]
        return pts.nearest(moment)

    def extreme_between(
        self, subject: str, start: datetime, end: datetime, *, high: bool
    ) -> tuple[float, str, datetime, datetime] | None:
        """Highest high (or lowest low) of intraday bars, else price points, in [start, end].

        Returns (value, source, first time covered, last time covered).
        """
        bars = self._bars(subject)
        lo, hi = bisect.bisect_left(bars.open_time, start), bisect.bisect_right(bars.open_time, end)
        if hi > lo:
            values = bars.high[lo:hi] if high else bars.low[lo:hi]
            value = max(values) if high else min(values)
            return value, bars.sources[lo], bars.open_time[lo], bars.close_time[hi - 1]
        pts = self._points(subject)
        lo, hi = bisect.bisect_left(pts.ts, start), bisect.bisect_right(pts.ts, end)
        if hi > lo:
            prices = pts.price[lo:hi]
            return (max(prices) if high else min(prices)), pts.label(lo), pts.ts[lo], pts.ts[hi - 1]
        return None

    def _bars(self, subject: str) -> Bars:
        if subject not in self._bar_cache:
            df = self.frames.intraday.filter(pl.col("asset_id") == subject).drop_nulls(["high", "low", "close"])
            df = df.sort("open_time")
            self._bar_cache[subject] = Bars(
                open_time=df.get_column("open_time").to_list(),
                close_time=df.get_column("close_time").to_list(),
                high=df.get_column("high").to_list(),
                low=df.get_column("low").to_list(),
                close=df.get_column("close").to_list(),
                sources=[_bar_source(r) for r in df.select("source", "venue", "interval").iter_rows(named=True)],
            )
        return self._bar_cache[subject]

    def _points(self, subject: str) -> Points:
        if subject not in self._point_cache:
            df = self.frames.points.filter(pl.col("asset_id") == subject).drop_nulls("price").sort("ts")
            self._point_cache[subject] = Points(
                ts=df.get_column("ts").to_list(),
                price=df.get_column("price").to_list(),
                sources=[str(x) for x in df.get_column("source").to_list()],
            )
        return self._point_cache[subject]


@dataclass(frozen=True)
class Bars:
    """One asset's closed intraday bars, sorted by open time, as plain lists."""

    open_time: list[datetime]
    close_time: list[datetime]
    high: list[float]
    low: list[float]
    close: list[float]
    sources: list[str]


@dataclass(frozen=True)
class Points:
    """One asset's price snapshots, sorted by time, as plain lists."""

    ts: list[datetime]
    price: list[float]
    sources: list[str]

    def label(self, i: int) -> str:
        """Readable source of snapshot ``i``."""
        return f"{source_name(self.sources[i])} price snapshots"

    def nearest(
        self, moment: datetime, *, source: str | None = None, within: timedelta = NEAR
    ) -> tuple[float, str, datetime] | None:
        """The snapshot nearest to ``moment`` (of ``source`` if given) no further than ``within``."""
        idx = [i for i in range(len(self.ts)) if source is None or self.sources[i] == source]
        times = [self.ts[i] for i in idx]
        k = bisect.bisect_left(times, moment)
        near = [idx[j] for j in (k - 1, k) if 0 <= j < len(idx)]
        best = min(near, key=lambda i: abs(self.ts[i] - moment), default=None)
        if best is None or abs(self.ts[best] - moment) > within:
            return None
        return self.price[best], self.label(best), self.ts[best]


def _bar_source(row: dict[str, Any]) -> str:
    venue = str(row.get("venue") or "")
    kind = " perpetual" if ("usdm" in venue or "perp" in venue or "futures" in venue) else ""
    return f"{source_name(str(row['source']))} {venue}{kind} {row['interval']} bars".replace("  ", " ")


def _to_daily(subject: str, df: pl.DataFrame, method: str) -> Daily:
    cols = df.select("date", "close", "high", "low", "volume", "market_cap", "source").to_dict(as_series=False)
    return Daily(
        subject=subject,
        dates=cols["date"],
        close=cols["close"],
        high=cols["high"],
        low=cols["low"],
        volume=cols["volume"],
        market_cap=cols["market_cap"],
        sources=[str(s) for s in cols["source"]],
        method=method,
    )
