"""Private helper: a subject's daily series (date, close, high, low, volume) from the frames.

Assets come from ``frames.daily`` (one row per ``asset_id`` and UTC day); the
subject ``total_market_cap`` comes from ``frames.global_daily`` (the preferred
index series, e.g. TradingView CRYPTOCAP:TOTAL). Missing high/low/volume are NaN.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import numpy.typing as npt
import polars as pl

from cryptodesk.core.frames import MarketFrames

TOTAL = "total_market_cap"
"""Subject name of the total crypto market cap index series."""

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class DailySeries:
    """One subject's daily bars, oldest first; ``dates[-1]`` is the latest closed day."""

    subject: str
    dates: list[date]
    close: FloatArray
    high: FloatArray
    low: FloatArray
    volume: FloatArray
    source: str

    def __len__(self) -> int:
        return len(self.dates)

    def index_of(self, day: date) -> int | None:
        """Position of ``day`` in the series, or None if that day has no bar."""
        lo, hi = 0, len(self.dates)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.dates[mid] < day:
                lo = mid + 1
            else:
                hi = mid
        return lo if lo < len(self.dates) and self.dates[lo] == day else None


def subjects(frames: MarketFrames) -> list[str]:
    """Every subject with daily data: the sorted asset ids, then ``total_market_cap`` if present."""
    out: list[str] = sorted(str(a) for a in frames.daily.get_column("asset_id").unique().to_list() if a)
    if frames.global_daily.height:
        out.append(TOTAL)
    return out


def daily_series(frames: MarketFrames, subject: str) -> DailySeries | None:
    """The daily series of ``subject`` (None when it has no rows with a close)."""
    df = frames.global_daily if subject == TOTAL else frames.daily.filter(pl.col("asset_id") == subject)
    df = df.filter(pl.col("close").is_not_null()).sort("date").unique(subset="date", keep="last", maintain_order=True)
    if df.height == 0:
        return None
    return DailySeries(
        subject=subject,
        dates=list(df.get_column("date").to_list()),
        close=_floats(df, "close"),
        high=_floats(df, "high"),
        low=_floats(df, "low"),
        volume=_floats(df, "volume"),
        source=str(df.get_column("source")[-1]) if "source" in df.columns else "",
    )


CADENCE_BARS = 10
"""How many of the latest bars decide whether a series is daily (see :func:`daily_cadence`)."""


def daily_cadence(series: DailySeries) -> bool:
    """Whether the latest bars come about daily (median gap of at most two days).

    A weekly series (CoinMarketCap's top 10) must not be read as daily: its "1-day"
    move is a week's, and one weekly bar would make the same news seven days running.
    """
    tail = series.dates[-(CADENCE_BARS + 1) :]
    if len(tail) < 2:
        return True
    gaps = sorted((b - a).days for a, b in itertools.pairwise(tail))
    return gaps[len(gaps) // 2] <= 2


def fresh(series: DailySeries, as_of: datetime, max_stale_days: int) -> bool:
    """Whether the latest bar is at most ``max_stale_days`` days before ``as_of``'s UTC day, on a daily cadence."""
    recent = (as_of.astimezone(UTC).date() - series.dates[-1]).days <= max_stale_days
    return recent and daily_cadence(series)


def fresh_series(frames: MarketFrames, subject: str, max_stale_days: int) -> DailySeries | None:
    """:func:`daily_series`, or None when the series is missing or stale."""
    s = daily_series(frames, subject)
    return s if s is not None and fresh(s, frames.as_of, max_stale_days) else None


def _floats(df: pl.DataFrame, column: str) -> FloatArray:
    """``column`` as a float array with nulls as NaN (all NaN when the column is absent)."""
    if column not in df.columns:
        return np.full(df.height, np.nan)
    return df.get_column(column).cast(pl.Float64).fill_null(float("nan")).to_numpy().astype(np.float64)
