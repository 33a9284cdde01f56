"""Point-in-time analysis of many moments from one timeline: per-row histories instead of a recomputation a day.

A :class:`SeriesBook` lays out a :class:`~cryptodesk.core.frames.MarketTimeline`'s daily rows per asset (their
latest versions) and knows, for every moment ``t`` of the period, how many of each asset's rows were known then.
Where that is a prefix of the rows, with the values they have now, the analysis at ``t`` is a lookup into
:func:`~cryptodesk.analytics.history.asset_history` arrays (:class:`AnalysisReplay`). Moments where it is not
(a preferred source replaced a row after it was first known, or a later day became known before an earlier one)
are *unsettled*; :meth:`SeriesBook.settled` says so and callers analyse the cut frames directly there.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import numpy.typing as npt
import polars as pl

from cryptodesk.analytics.common import asset_names, registry_names, shared_strings, utc
from cryptodesk.analytics.history import AssetHistory, asset_history, state_at
from cryptodesk.analytics.intraday import day_start, intraday_ranges, latest_observations
from cryptodesk.analytics.market import market_state
from cryptodesk.analytics.types import Analysis, AssetState, IntradayRange, MarketState
from cryptodesk.core.frames import MarketFrames, MarketTimeline
from cryptodesk.core.timeutil import zone

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
TOTAL = "total_market_cap"


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def micros(t: datetime) -> int:
    """``t`` as microseconds since the Unix epoch (exact integer arithmetic)."""
    return (utc(t) - EPOCH) // timedelta(microseconds=1)


@dataclass(frozen=True)
class BookSeries:
    """One subject's rows in a :class:`SeriesBook` (numpy views; ``known`` is the running max of ``valid_from``)."""

    subject: str
    days: IntArray
    close: FloatArray
    high: FloatArray
    low: FloatArray
    volume: FloatArray
    market_cap: FloatArray
    source: list[str]
    known: IntArray

    def rows_at(self, t_us: int) -> int:
        """How many leading rows were all known at ``t_us`` (the prefix length where the moment is settled)."""
        return int(np.searchsorted(self.known, t_us, side="right"))


class SeriesBook:
    """A timeline's daily rows per asset and its index series, with the moments where prefixes are exact."""

    def __init__(self, timeline: MarketTimeline) -> None:
        self.timeline = timeline
        intervals: list[tuple[int, int]] = []
        self.assets: dict[str, BookSeries] = {}
        daily = timeline.frames.daily
        if daily.height:
            for key, series in _series_of(daily, intervals).items():
                self.assets[key] = series
        self.total: BookSeries | None = None
        versions = timeline.frames.global_daily
        self._index_from = micros(versions.get_column("valid_from").min()) if versions.height else None  # type: ignore[arg-type]
        index = versions.filter(pl.col("close").is_not_null())
        if index.height:
            got = _series_of(index.with_columns(pl.lit(TOTAL).alias("asset_id")), intervals)
            self.total = got.get(TOTAL)
        merged = _merge(intervals)
        self._starts = np.array([a for a, _ in merged], dtype=np.int64)
        self._ends = np.array([b for _, b in merged], dtype=np.int64)
        starts = [f.get_column("valid_from").dt.epoch("us").to_numpy() for f in (daily, versions) if f.height]
        self._changes = np.unique(np.concatenate(starts)) if starts else np.empty(0, dtype=np.int64)

    def settled(self, t: datetime) -> bool:
        """Whether at ``t`` every series' known rows are a prefix of its rows, with their current values."""
        t_us = micros(t)
        i = int(np.searchsorted(self._starts, t_us, side="right")) - 1
        return i < 0 or t_us >= self._ends[i]

    def version_at(self, t: datetime) -> int:
        """Which of the timeline's daily versions are known at ``t``, as a number: two moments with the same number
        cut the same daily and index rows (a cut changes only where some version becomes known)."""
        return int(np.searchsorted(self._changes, micros(t), side="right"))

    def index_known(self, t_us: int) -> bool:
        """Whether some daily bar of the index (close or not) is known at ``t_us``."""
        return self._index_from is not None and self._index_from <= t_us

    @property
    def unsettled(self) -> list[tuple[int, int]]:
        """The unsettled periods, ``[start, end)`` in microseconds since the epoch."""
        return list(zip(self._starts.tolist(), self._ends.tolist(), strict=True))


def _series_of(frame: pl.DataFrame, intervals: list[tuple[int, int]]) -> dict[str, BookSeries]:
    """Latest versions per asset from a versioned frame sorted by (asset_id, date, valid_from); appends the unsettled
    periods it finds to ``intervals``.

    The versions of a key are consecutive rows, so their first and last ``valid_from`` are the run's ends, and the
    work is numpy on the rows' columns: a Polars ``group_by`` on the string keys took four times the frame's size.
    """
    n = frame.height
    if n == 0:
        return {}
    ids = frame.get_column("asset_id")
    day = frame.get_column("date").cast(pl.Int32).to_numpy()
    vf = frame.get_column("valid_from").dt.epoch("us").to_numpy()
    new_asset = np.ones(n, dtype=bool)
    new_asset[1:] = (ids.slice(1) != ids.slice(0, n - 1)).to_numpy()
    new_key = new_asset.copy()
    new_key[1:] |= day[1:] != day[:-1]
    starts = np.flatnonzero(new_key)
    ends = np.append(starts[1:], n) - 1
    rows = np.flatnonzero(frame.get_column("valid_to").is_null().to_numpy())
    if len(rows) != len(starts) or not bool(((rows >= starts) & (rows <= ends)).all()):
        raise ValueError("timeline: every (asset, date) must have exactly one current version")
    # Every key with one version (nearly every store): the current rows are all the rows, and the arrays are the
    # frame's own columns (views where a column has no nulls) instead of gathered copies.
    every = len(rows) == n
    if every:
        final_vf = vf
    else:
        first_vf, final_vf = vf[starts], vf[ends]
        # A key first known at its first version and replaced at its last: unsettled in between.
        replaced = first_vf < final_vf
        intervals.extend(zip(first_vf[replaced].tolist(), final_vf[replaced].tolist(), strict=True))
    days = (day if every else day[rows]).astype(np.int64)
    cols = {c: _floats(frame, c, None if every else rows) for c in ("close", "high", "low", "volume", "market_cap")}
    source = frame.get_column("source")
    sources = shared_strings(source if every else source.gather(rows))
    asset_of = np.cumsum(new_asset) if every else np.cumsum(new_asset)[rows]  # each current row's asset, in order
    bounds = [*np.flatnonzero(np.diff(asset_of, prepend=-1)).tolist(), len(rows)]
    names = ids.gather(rows[bounds[:-1]]).to_list()
    out: dict[str, BookSeries] = {}
    for name, (a, b) in zip(names, itertools.pairwise(bounds), strict=True):
        v = final_vf[a:b]
        # A row known later than a later-dated row of the same asset: unsettled from that later row's time to its own.
        later = np.minimum.accumulate(v[::-1])[::-1][1:]
        early = later < v[:-1]
        intervals.extend(zip(later[early].tolist(), v[:-1][early].tolist(), strict=True))
        out[str(name)] = BookSeries(
            subject=str(name),
            days=days[a:b],
            close=cols["close"][a:b],
            high=cols["high"][a:b],
            low=cols["low"][a:b],
            volume=cols["volume"][a:b],
            market_cap=cols["market_cap"][a:b],
            source=sources[a:b],
            known=v if bool((v[1:] >= v[:-1]).all()) else np.maximum.accumulate(v),
        )
    return out


def _floats(df: pl.DataFrame, column: str, rows: IntArray | None) -> FloatArray:
    """``column`` at ``rows`` (None: every row) as float64, NaN where null (NaN throughout when the frame has no such
    column). Every row of a one-chunk column without nulls is a read-only view of the frame's memory, not a copy;
    the others are converted into arrays of their own."""
    if column not in df.columns:
        return np.full(df.height if rows is None else len(rows), np.nan)
    values = df.get_column(column).cast(pl.Float64).to_numpy()  # nulls are NaN
    return np.asarray(values if rows is None else values[rows], dtype=np.float64)


def _merge(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(i for i in intervals if i[0] < i[1]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


class AnalysisReplay:
    """The :func:`~cryptodesk.analytics.asof.analyze` result at any settled moment of a :class:`SeriesBook`.

    Histories are built on first use per asset and kept. ``analysis_at(frames)`` equals ``analyze(frames)`` for
    the book's timeline cut at ``frames.as_of`` (within 1e-9; tests/analytics/test_replay.py).
    """

    def __init__(self, book: SeriesBook) -> None:
        self.book = book
        self._histories: dict[str, AssetHistory] = {}
        self._names = asset_names(book.timeline.frames.assets)
        self._start_us = micros(book.timeline.start)
        self._market: tuple[tuple[int, tuple[str, ...]], MarketState | None] | None = None
        """The last market state and its key (the daily version and the assets of the cut it came from)."""

    def history(self, asset_id: str) -> AssetHistory | None:
        """The asset's row histories (None when the book has no rows for it)."""
        h = self._histories.get(asset_id)
        if h is None:
            s = self.book.assets.get(asset_id)
            if s is None:
                return None
            first = max(0, s.rows_at(self._start_us) - 1)  # no moment of the timeline reads an earlier row
            h = asset_history(
                asset_id,
                days=s.days,
                close=s.close,
                volume=s.volume,
                market_cap=s.market_cap,
                source=s.source,
                first=first,
            )
            self._histories[asset_id] = h
        return h

    def history_of(self, asset_id: str) -> AssetHistory:
        """:meth:`history` of an asset the book has rows for (KeyError otherwise)."""
        h = self.history(asset_id)
        if h is None:
            raise KeyError(asset_id)
        return h

    def rows_at(self, t: datetime, assets: list[str]) -> dict[str, int]:
        """Per asset of ``assets`` with rows known at ``t``: the index of its latest known row (sorted by id)."""
        t_us = micros(t)
        out: dict[str, int] = {}
        for aid in sorted(assets):
            s = self.book.assets.get(aid)
            n = s.rows_at(t_us) if s is not None else 0
            if n:
                out[aid] = n - 1
        return out

    def states_at(
        self,
        t: datetime,
        assets: list[str],
        *,
        latest: dict[str, tuple[float, datetime, str]] | None = None,
        intraday: dict[str, IntradayRange] | None = None,
    ) -> dict[str, AssetState]:
        """The states of ``assets`` at ``t`` (sorted by id; assets with no known row are left out)."""
        out: dict[str, AssetState] = {}
        for aid, i in self.rows_at(t, assets).items():
            h = self.history(aid)
            assert h is not None
            symbol, name = self._names.get(aid) or registry_names(aid)
            out[aid] = state_at(
                h, i, symbol=symbol, name=name, latest=(latest or {}).get(aid), intraday=(intraday or {}).get(aid)
            )
        return out

    def analysis_at(self, frames: MarketFrames, *, tz: str, market: bool = True, sub_daily: bool = True) -> Analysis:
        """``analyze(frames, tz=tz)`` for frames cut from the book's timeline at a settled moment.

        ``market=False`` leaves ``Analysis.market`` None and ``sub_daily=False`` leaves out the intraday ranges and
        finer last prices (each state's last price is then its daily close): for callers that read neither.
        """
        zi = zone(tz, parameter="tz")
        as_of = utc(frames.as_of)
        ids = sorted(frames.daily.get_column("asset_id").unique().to_list())
        ranges: dict[str, IntradayRange] = {}
        latest: dict[str, tuple[float, datetime, str]] = {}
        if sub_daily:
            ranges = intraday_ranges(frames, day_start=day_start(as_of, zi), as_of=as_of, assets=ids)
            latest = latest_observations(frames, as_of=as_of, assets=ids)
        states = self.states_at(as_of, ids, latest=latest, intraday=ranges)
        return Analysis(as_of=as_of, market=self.market_at(frames, ids) if market else None, assets=states)

    def market_at(self, frames: MarketFrames, ids: list[str]) -> MarketState | None:
        """``market_state(frames)`` for frames cut from the book's timeline, whose daily assets are ``ids``.

        A cut's market state depends only on its daily and index rows, so it is computed again only when another
        version is known or the assets differ: a desk refreshing its story through a day sums the market once (the
        sum of every asset's market cap is most of a report's time where no index is stored).
        """
        key = (self.book.version_at(frames.as_of), tuple(ids))
        if self._market is None or self._market[0] != key:
            self._market = (key, market_state(frames))
        return self._market[1]
