"""Private helper: a subject's daily series (date, close, high, low, volume) from the frames.

Assets come from ``frames.daily`` (one row per ``asset_id`` and UTC day); the
subject ``total_market_cap`` comes from ``frames.global_daily`` (the preferred
index series, e.g. TradingView CRYPTOCAP:TOTAL). Missing high/low/volume are NaN.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any, Protocol, TypeVar, overload

import numpy as np
import numpy.typing as npt
import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.common import one_per_key
from cryptodesk.core.frames import MarketFrames, derived

TOTAL = "total_market_cap"
"""Subject name of the total crypto market cap index series."""

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
_V = TypeVar("_V")


class Whole:
    """A full daily series whose prefixes a replay hands out, and the whole-series arrays computed on it."""

    def __init__(self, series: DailySeries) -> None:
        self.series = series
        self.dates = DateView(series.days)
        self._arrays: dict[Hashable, FloatArray] = {}
        self._indices: dict[Hashable, IntArray] = {}
        self._counts: dict[Hashable, k.ExpandingCounts] = {}
        self._values: dict[Hashable, Any] = {}

    def array(self, key: Hashable, kernel: Callable[[DailySeries], FloatArray]) -> FloatArray:
        """``kernel`` of the full series (computed once)."""
        if key not in self._arrays:
            self._arrays[key] = kernel(self.series)
        return self._arrays[key]

    def index(self, key: Hashable, kernel: Callable[[DailySeries], IntArray]) -> IntArray:
        """An index-valued ``kernel`` of the full series (computed once)."""
        if key not in self._indices:
            self._indices[key] = kernel(self.series)
        return self._indices[key]

    def value(self, key: Hashable, make: Callable[[DailySeries], _V]) -> _V:
        """Any value computed from the full series (once), e.g. several arrays made together."""
        if key not in self._values:
            self._values[key] = make(self.series)
        value: _V = self._values[key]
        return value

    def counts(self, key: Hashable, kernel: Callable[[DailySeries], FloatArray]) -> k.ExpandingCounts:
        """:func:`kernels.expanding_counts` of :meth:`array`: each row's rank among the rows before it."""
        if key not in self._counts:
            self._counts[key] = k.expanding_counts_at(self.array(key, kernel), self.series.first_row)
        return self._counts[key]


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
"""Ordinal of 1970-01-01: day number ``n`` is ``date.fromordinal(EPOCH_ORDINAL + n)``."""


class DateView(Sequence[date]):
    """The dates of a series as a read-only sequence, converted from day numbers only where read (a replay's series
    hold ten years of bars and read the dates of a few)."""

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
    whole: Whole | None = field(default=None, compare=False, repr=False)
    """Set on the prefixes a replay hands out: the full series they are prefixes of, with its cached arrays."""
    first_row: int = field(default=0, compare=False, repr=False)
    """On a replay's full series: no prefix it hands out ends before this bar, so whole-series kernels that are
    costly per bar (a window per bar) may leave the bars before it undefined."""

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

    @cached_property
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

    def derived(self, key: Hashable, kernel: Callable[[DailySeries], FloatArray]) -> FloatArray:
        """``kernel(self)``, for a kernel whose value at row ``i`` depends on rows ``0..i`` only.

        On a replay's prefix the kernel runs once on the whole series and each day takes its first rows, so a
        new day does not recompute the history (``key`` names the kernel and its parameters).
        """
        if self.whole is None:
            return kernel(self)
        return self.whole.array(key, kernel)[: len(self)]

    def derived_index(self, key: Hashable, kernel: Callable[[DailySeries], IntArray]) -> IntArray:
        """:meth:`derived` for an index-valued kernel."""
        if self.whole is None:
            return kernel(self)
        return self.whole.index(key, kernel)[: len(self)]

    def prefix(self, n: int, source: str, whole: Whole) -> DailySeries:
        """The first ``n`` bars (views, no copy), as a replay hands them out (``source`` of the last bar)."""
        return DailySeries(
            self.subject,
            self.days[:n],
            self.close[:n],
            self.high[:n],
            self.low[:n],
            self.volume[:n],
            source,
            whole,
        )

    def positions(self, days: IntArray) -> IntArray:
        """Position of each day number in the series, or -1 where that day has no bar."""
        i = np.searchsorted(self.days, days)
        ok = i < len(self.days)
        found = np.zeros(len(days), dtype=bool)
        found[ok] = self.days[i[ok]] == days[ok]
        return np.where(found, i, -1).astype(np.int64)


def subjects(frames: MarketFrames) -> list[str]:
    """Every subject with daily data: the sorted asset ids, then ``total_market_cap`` if present."""
    return _split(frames).subjects()


def frame_subjects(frames: MarketFrames) -> list[str]:
    """:func:`subjects` read from the frames themselves."""
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
        self.global_daily = frames.global_daily
        rows = one_per_key(frames.daily.filter(pl.col("close").is_not_null()), ["asset_id", "date"])
        self.rows = rows
        ids = rows.get_column("asset_id")
        starts = np.flatnonzero(np.concatenate(([True], (ids[1:] != ids[:-1]).to_numpy()))) if len(ids) else ()
        bounds = [*(int(i) for i in starts), rows.height]
        self.spans = {str(ids[a]): (a, b) for a, b in itertools.pairwise(bounds)}
        # every column converted once; a subject's series is a slice of them
        self._days = rows.get_column("date").cast(pl.Int32).to_numpy().astype(np.int64)
        self._floats = {c: _floats(rows, c) for c in ("close", "high", "low", "volume")}
        # a series names the source of its last row: one string per subject, not one per row
        ends = [b - 1 for b in bounds[1:]]
        last = rows.get_column("source")[ends].to_list() if "source" in rows.columns else None
        self._last_source = None if last is None else dict(zip(self.spans, last, strict=True))
        self.built: dict[str, DailySeries | None] = {}
        self._subjects = frame_subjects(frames)
        self.fresh_memo: dict[tuple[str, int], DailySeries | None] = {}

    def subjects(self) -> list[str]:
        return list(self._subjects)

    def series(self, subject: str) -> DailySeries | None:
        if subject not in self.built:
            if subject == TOTAL:
                df = one_per_key(self.global_daily.filter(pl.col("close").is_not_null()), ["date"])
                self.built[subject] = series_from_frame(subject, df)
            else:
                self.built[subject] = self._slice(subject)
        return self.built[subject]

    def _slice(self, subject: str) -> DailySeries | None:
        """:func:`series_from_frame` of the subject's rows, from the converted columns."""
        span = self.spans.get(subject)
        if span is None:
            return None
        a, b = span
        f = self._floats
        return DailySeries(
            subject=subject,
            days=self._days[a:b],
            close=f["close"][a:b],
            high=f["high"][a:b],
            low=f["low"][a:b],
            volume=f["volume"][a:b],
            source=str(self._last_source[subject]) if self._last_source is not None else "",
        )


class SeriesSource(Protocol):
    """Where detectors get each subject's series for one frames object."""

    def series(self, subject: str) -> DailySeries | None:
        """The subject's series (None when the frames have no bar with a close for it)."""
        ...

    def subjects(self) -> list[str]:
        """Every subject with daily data, as :func:`frame_subjects` reads them from the frames."""
        ...

    @property
    def fresh_memo(self) -> dict[tuple[str, int], DailySeries | None]:
        """Where :func:`fresh_series` keeps its answers for these frames."""
        ...


_local = threading.local()


def _split(frames: MarketFrames) -> SeriesSource:
    """The series source of ``frames``: one attached by a replay, else a split made on first use and kept with the
    frames object (``core.frames.derived``), so it goes when the frames go."""
    attached: tuple[weakref.ref[MarketFrames], SeriesSource] | None = getattr(_local, "attached", None)
    if attached is not None and attached[0]() is frames:
        return attached[1]
    memo = derived(frames)
    split: _Split | None = memo.get(_Split)
    if split is None:
        split = memo[_Split] = _Split(frames)
    return split


def attach(frames: MarketFrames, source: SeriesSource | None) -> None:
    """Serve the series of ``frames`` from ``source`` in this thread (None detaches).

    A replay attaches the prefixes of series it holds whole; ``source`` must give exactly the series a split of
    ``frames`` would (the replay tests check that it does).
    """
    _local.attached = None if source is None else (weakref.ref(frames), source)


CADENCE_BARS = 10
"""How many of the latest bars decide whether a series is daily (see :func:`daily_cadence`)."""


def daily_cadence(series: DailySeries) -> bool:
    """Whether the latest bars come about daily (median gap of at most two days).

    A weekly series (CoinMarketCap's top 10) must not be read as daily: its "1-day"
    move is a week's, and one weekly bar would make the same news seven days running.
    """
    if series.whole is not None:  # the whole series' flags, kept as booleans (a byte a bar, not eight)
        flags: BoolArray = series.whole.value(
            ("cadence", CADENCE_BARS), lambda w: k.daily_cadence_flags(w.days, CADENCE_BARS) == 1
        )
        return bool(flags[len(series) - 1])
    tail = series.days[-(CADENCE_BARS + 1) :]
    if len(tail) < 2:
        return True
    gaps = np.sort(np.diff(tail))
    return bool(gaps[len(gaps) // 2] <= 2)


def fresh(series: DailySeries, as_of: datetime, max_stale_days: int) -> bool:
    """Whether the latest bar is at most ``max_stale_days`` days before ``as_of``'s UTC day, on a daily cadence."""
    today = as_of.astimezone(UTC).date().toordinal() - EPOCH_ORDINAL
    return today - int(series.days[-1]) <= max_stale_days and daily_cadence(series)


def fresh_series(frames: MarketFrames, subject: str, max_stale_days: int) -> DailySeries | None:
    """:func:`daily_series`, or None when the series is missing or stale (answered once per frames and subject)."""
    source = _split(frames)
    memo = source.fresh_memo
    key = (subject, max_stale_days)
    if key not in memo:
        s = source.series(subject)
        memo[key] = s if s is not None and fresh(s, frames.as_of, max_stale_days) else None
    return memo[key]


def _floats(df: pl.DataFrame, column: str) -> FloatArray:
    """``column`` as a float array with nulls as NaN (all NaN when the column is absent)."""
    if column not in df.columns:
        return np.full(df.height, np.nan)
    return df.get_column(column).cast(pl.Float64).fill_null(float("nan")).to_numpy().astype(np.float64)
