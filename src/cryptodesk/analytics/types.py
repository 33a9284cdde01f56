"""Typed results of point-in-time analytics (``analytics.asof.analyze``).

These records are the contract between analytics and everything above it
(events, writer, charts, check, web). Percentages are fractions (0.213 means
+21.3%); money is in USD; dates are UTC calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

WINDOWS: tuple[str, ...] = ("1d", "7d", "30d", "ytd", "1y")
"""Return windows, measured on daily closes: the latest close known at as_of
against the close 1, 7, 30 or 365 days earlier, or the last close of the
previous calendar year (ytd)."""


@dataclass(frozen=True)
class Change:
    """A change over a window between two daily closes."""

    window: str
    pct: float
    start_value: float
    start_date: date
    end_value: float
    end_date: date


@dataclass(frozen=True)
class Extreme:
    """A high or low value and the day it happened."""

    value: float
    date: date


@dataclass(frozen=True)
class IntradayRange:
    """High, low and last of the current day so far (the calendar day of as_of in the
    analysis time zone), from the finest data available.

    ``coverage_start``/``coverage_end`` bound the data actually seen (a partial
    day is stated, never presented as the whole day).
    """

    high: float
    high_time: datetime
    low: float
    low_time: datetime
    last: float
    last_time: datetime
    source: str
    venue: str
    interval: str
    coverage_start: datetime
    coverage_end: datetime


@dataclass(frozen=True)
class AssetState:
    """Everything known about one asset at as_of."""

    asset_id: str
    symbol: str
    name: str
    close: float
    close_date: date
    daily_source: str
    last_price: float
    last_time: datetime
    price_source: str
    changes: dict[str, Change] = field(default_factory=dict)
    sma50: float | None = None
    sma200: float | None = None
    dist_sma50_pct: float | None = None
    dist_sma200_pct: float | None = None
    dist_sma50_sigma: float | None = None
    sigma_rarity: float | None = None
    """Share of the asset's own history (days with a defined σ-distance) whose
    distance was at least as far from the 50-day average, on the same side."""
    rsi14: float | None = None
    high_52w: Extreme | None = None
    low_52w: Extreme | None = None
    ath: Extreme | None = None
    atl: Extreme | None = None
    drawdown_from_ath: float | None = None
    volume: float | None = None
    volume_avg30: float | None = None
    volume_ratio: float | None = None
    market_cap: float | None = None
    intraday: IntradayRange | None = None


@dataclass(frozen=True)
class MarketState:
    """The whole market at as_of.

    ``method`` is 'index' when the total comes from an index series (e.g.
    TradingView CRYPTOCAP:TOTAL) and 'sum' when it is the sum of tracked
    assets' market caps; then ``coverage`` lists the assets summed.
    """

    total_market_cap: float
    date: date
    source: str
    method: str
    coverage: tuple[str, ...] = ()
    changes: dict[str, Change] = field(default_factory=dict)
    btc_dominance: float | None = None
    """Bitcoin's share of the total as a fraction (0.41 = 41%); stores keep percent."""
    dominance_source: str | None = None
    swing_low: Extreme | None = None
    swing_high: Extreme | None = None
    day_high: float | None = None
    """High of the latest closed daily bar (index series only)."""
    day_low: float | None = None


@dataclass(frozen=True)
class Analysis:
    """The result of ``analyze(frames)``: the market and each asset, as of one moment."""

    as_of: datetime
    market: MarketState | None
    assets: dict[str, AssetState] = field(default_factory=dict)
