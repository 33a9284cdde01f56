"""Private helper: a subject's daily series (date, close, high, low, volume) from the frames.

Assets come from ``frames.daily`` (one row per ``asset_id`` and UTC day); the
subject ``total_market_cap`` comes from ``frames.global_daily`` (the preferred
index series, e.g. TradingView CRYPTOCAP:TOTAL). Missing high/low/volume are NaN.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import overload

import numpy as np
import numpy.typing as npt
import polars as pl

from cryptodesk.analytics.common import one_per_key
from cryptodesk.core.frames import MarketFrames

TOTAL = "total_market_cap"
"""Subject name of the total crypto market cap index series."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
"""Ordinal of 1970-01-01: day number ``n`` is ``date.fromordinal(EPOCH_ORDINAL + n)``."""


class DateView(Sequence[date]):
    """The dates of a series as a read-only sequence, converted from day numbers only where read."""

    __slots__ = ("_days",)

    def __init__(self, days: IntArray) -> None:
        self._days = days

    def __len__(self) -> int:
        return len(self._days)

    @overload
    def __getitem__(self, i: int) -> date: ...
    @overload
    def __getitem__(self, i: slice) -> list[date]: ...
    def __getitem__(self, i: int | slice) -> date | list[date]:
        if isinstance(i, slice):
            return [date.fromordinal(EPOCH_ORDINAL + int(n)) for n in self._days[i]]
        return date.fromordinal(EPOCH_ORDINAL + int(self._days[i]))


@dataclass(frozen=True)
class DailySeries:
    """One subject's daily bars, oldest first; ``dates[-1]`` is the latest closed day.

    ``days`` are the bars' dates as day numbers (days since 1970-01-01, strictly increasing); ``dates`` shows them
    as ``datetime.date``.
    """

    subject: str
    days: IntArray
    close: FloatArray
    high: FloatArray
    low: FloatArray
    volume: FloatArray
    source: str

    @classmethod
    def from_dates(
        cls,
        subject: str,
        *,
        dates: Sequence[date],
        close: FloatArray,
        high: FloatArray,
        low: FloatArray,
        volume: FloatArray,
        source: str,
    ) -> DailySeries:
        """A series from ``datetime.date`` values."""
        days = np.array([d.toordinal() - EPOCH_ORDINAL for d in dates], dtype=np.int64)
        return cls(subject, days, close, high, low, volume, source)

    @property
    def dates(self) -> DateView:
        """The bars' dates."""
        return DateView(self.days)

    def __len__(self) -> int:
        return len(self.days)

    def index_of(self, day: date) -> int | None:
        """Position of ``day`` in the series, or None if that day has no bar."""
        n = day.toordinal() - EPOCH_ORDINAL
        i = int(np.searchsorted(self.days, n))
        return i if i < len(self.days) and self.days[i] == n else None

    def positions(self, days: IntArray) -> IntArray:
        """Position of each day number in the series, or -1 where that day has no bar."""
        i = np.searchsorted(self.days, days)
        ok = i < len(self.days)
        found = np.zeros(len(days), dtype=bool)
        found[ok] = self.days[i[ok]] == days[ok]
        return np.where(found, i, -1).astype(np.int64)


def subjects(frames: MarketFrames) -> list[str]:
    """Every subject with daily data: the sorted asset ids, then ``total_market_cap`` if present."""
    out: list[str] = sorted(str(a) for a in frames.daily.get_column("asset_id").unique().to_list() if a)
    if frames.global_daily.height:
        out.append(TOTAL)
    return out


def daily_series(frames: MarketFrames, subject: str) -> DailySeries | None:
    """The daily series of ``subject`` (None when it has no rows with a close).

    The frames' daily rows are split by asset once per frames object and each
    series is built once (every detector asks for every subject, and a filter of
    the whole frame per call would cost subjects x rows); the split is kept for
    the last frames object seen in the current thread.
    """
    return _split(frames).series(subject)


def series_from_frame(subject: str, df: pl.DataFrame) -> DailySeries | None:
    """A :class:`DailySeries` from one subject's rows, already sorted by date with one row per date."""
    if df.height == 0:
        return None
    return DailySeries(
        subject=subject,
        days=df.get_column("date").cast(pl.Int32).to_numpy().astype(np.int64),
        close=_floats(df, "close"),
        high=_floats(df, "high"),
        low=_floats(df, "low"),
        volume=_floats(df, "volume"),
        source=str(df.get_column("source")[-1]) if "source" in df.columns else "",
    )


class _Split:
    """One frames object's daily rows with a close, ordered by (asset, date), one per key; series built on demand."""

    def __init__(self, frames: MarketFrames) -> None:
        self.frames = weakref.ref(frames)
        self.global_daily = frames.global_daily
        rows = one_per_key(frames.daily.filter(pl.col("close").is_not_null()), ["asset_id", "date"])
        self.rows = rows
        ids = rows.get_column("asset_id")
        starts = np.flatnonzero(np.concatenate(([True], (ids[1:] != ids[:-1]).to_numpy()))) if len(ids) else ()
        bounds = [*(int(i) for i in starts), rows.height]
        self.spans = {str(ids[a]): (a, b) for a, b in itertools.pairwise(bounds)}
        self.built: dict[str, DailySeries | None] = {}

    def series(self, subject: str) -> DailySeries | None:
        if subject not in self.built:
            if subject == TOTAL:
                df = one_per_key(self.global_daily.filter(pl.col("close").is_not_null()), ["date"])
            else:
                a, b = self.spans.get(subject, (0, 0))
                df = self.rows.slice(a, b - a)
            self.built[subject] = series_from_frame(subject, df)
        return self.built[subject]


_local = threading.local()


def _split(frames: MarketFrames) -> _Split:
    """The split of ``frames`` (made on first use, then reused while the same frames object is asked about)."""
    split: _Split | None = getattr(_local, "split", None)
    if split is None or split.frames() is not frames:
        split = _local.split = _Split(frames)
    return split


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
