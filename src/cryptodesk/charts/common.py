"""Helpers shared by the chart builders: windows, names, dates and numbers as labels."""

from __future__ import annotations

import math
import re
from datetime import date, datetime, timedelta

import numpy as np
import polars as pl

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.timeutil import zone
from cryptodesk.writer import phrasing as ph

_WINDOW = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_window(text: str, *, parameter: str = "--window") -> int:
    """A window such as '90d', '2w', '6m' or '1y' as a number of days (ConfigError naming ``parameter`` otherwise)."""
    m = _WINDOW.match(text)
    if m is None or int(m.group(1)) < 1:
        raise ConfigError(
            f"{parameter}: expected a window like 30d, 12w, 6m or 1y, got {text!r}",
            parameter=parameter,
        )
    return int(m.group(1)) * _UNIT_DAYS[m.group(2).lower()]


SOURCE_NAMES: dict[str, str] = {
    "tradingview": "TradingView CRYPTOCAP:TOTAL",
    "coingecko": "CoinGecko",
    "coinmarketcap": "CoinMarketCap",
    "yahoo": "Yahoo Finance",
    "binance": "Binance",
    "binance-usdm": "Binance USD-M futures",
    "coinglass": "CoinGlass",
}
LONG_WINDOW_DAYS = 120
"""Windows longer than this leave macro release tags off daily charts (they would crowd it)."""


def source_name(source: str) -> str:
    """A reader-facing name for a source id ('coingecko' -> 'CoinGecko'); unknown ids unchanged."""
    return SOURCE_NAMES.get(source, source)


def sources_text(frame: pl.DataFrame) -> str:
    """The distinct sources of a frame's ``source`` column, by reader-facing name."""
    return ", ".join(sorted({source_name(str(v)) for v in frame.get_column("source").to_list()}))


def macro_for(days: int) -> tuple[str, ...]:
    """Macro release kinds worth tagging on a daily chart of this window."""
    return () if days > LONG_WINDOW_DAYS else ("CPI", "FOMC")


def signed_pct(fraction: float) -> str:
    """A change with its sign: '+32.3%', '-52.3%', '0.0%'."""
    text = ph.percent(abs(fraction))
    return f"+{text}" if fraction > 0 else f"-{text}" if fraction < 0 else text


def ap_date(d: date) -> str:
    """AP style date with the year: 'Nov. 8, 2022'."""
    return f"{ph.month_day(d, d)}, {d.year}"


def local_day(as_of: datetime, tz: str) -> date:
    """The calendar day of ``as_of`` in ``tz``."""
    return as_of.astimezone(zone(tz)).date()


def as_of_text(as_of: datetime, tz: str) -> str:
    """'as of 12:30 p.m. ET, Jan. 18, 2023'."""
    return f"as of {ph.clock(as_of, tz)}, {ap_date(local_day(as_of, tz))}"


def asset_name(frames: MarketFrames, analysis: Analysis | None, asset_id: str) -> tuple[str, str]:
    """(name, symbol) of an asset from the analysis, else the frames' asset table, else the id."""
    if analysis is not None and asset_id in analysis.assets:
        st = analysis.assets[asset_id]
        return st.name, st.symbol
    rows = frames.assets.filter(pl.col("asset_id") == asset_id)
    if rows.height:
        name = rows.get_column("name")[0] or asset_id
        symbol = rows.get_column("symbol")[0] or ""
        return str(name), str(symbol)
    return asset_id, ""


def trim(series: pl.DataFrame, days: int) -> pl.DataFrame:
    """Rows of a dated series within ``days`` days before (and including) its last date."""
    if series.height == 0:
        return series
    last: date = series.get_column("date")[-1]
    return series.filter(pl.col("date") >= last - timedelta(days=days))


def values(frame: pl.DataFrame, column: str) -> tuple[float | None, ...]:
    """A column as a tuple of floats, None where missing or not finite (numeric columns converted by numpy)."""
    col = frame.get_column(column)
    if col.dtype.is_numeric():
        return numbers(col.cast(pl.Float64).to_numpy())
    return tuple(_clean(v) for v in col.to_list())


def numbers(arr: np.ndarray) -> tuple[float | None, ...]:
    """A numeric numpy array as a tuple of floats, None where NaN or infinite."""
    a = np.asarray(arr, dtype=float)
    finite = np.isfinite(a)
    if finite.all():
        return tuple(a.tolist())
    return tuple(v if ok else None for v, ok in zip(a.tolist(), finite.tolist(), strict=True))


def _clean(v: object) -> float | None:
    if isinstance(v, int | float) and math.isfinite(v):
        return float(v)
    return None


def dates(frame: pl.DataFrame) -> tuple[date, ...]:
    """The ``date`` column as a tuple."""
    return tuple(frame.get_column("date").to_list())


def value_on(frame: pl.DataFrame, day: date, column: str = "close") -> float | None:
    """The value of ``column`` on ``day`` (None when the day or the value is missing)."""
    rows = frame.filter(pl.col("date") == day)
    return _clean(rows.get_column(column)[0]) if rows.height else None


def round_levels(lo: float, hi: float, *, max_levels: int = 3) -> tuple[float, ...]:
    """Round dollar levels ($1 trillion, $500 billion, $20,000 ...) inside or just beyond [lo, hi].

    Multiples of 1 or 5 times a power of ten (2.5 only when nothing else fits)
    in [0.95 lo, 1.1 hi]: the step giving the most levels, at most
    ``max_levels``, wins (ties go to the larger step), so a series peaking at
    $966 billion shows the $1 trillion line.
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= 0:
        return ()
    top = 10 ** math.ceil(math.log10(hi * 1.1))
    low, high = max(lo, 0.0) * 0.95, hi * 1.1
    for factors in ((1.0, 0.5), (0.25,)):
        best: tuple[float, ...] = ()
        for step in sorted((top * f / 10**e for e in range(4) for f in factors), reverse=True):
            first, last = max(math.ceil(low / step), 1), math.floor(high / step)
            if len(best) < last - first + 1 <= max_levels:
                best = tuple(k * step for k in range(first, last + 1))
        if best:
            return best
    return ()
