"""Event detection replayed over many moments, each day's series served as prefixes of series held whole.

``detect(frames, analysis)`` on each day of a period rebuilds every subject's daily series from that day's frames
and rescans its whole history. :class:`ReplayedSeries` builds each subject's series once, from a
:class:`~cryptodesk.analytics.replay.SeriesBook`, and hands the detectors, for each moment, the prefix known then
(numpy views; :meth:`~cryptodesk.events._series.DailySeries.derived` arrays such as volume ratios, their ranks and
"highest since" indices are computed once on the whole series). The detectors are the same functions either way:
:func:`detect_replayed` attaches the prefixes to the day's frames and runs :func:`~cryptodesk.events.base.detect`.
It is exact at the book's settled moments (``SeriesBook.settled``); elsewhere pass no source and the day's frames
are split as usual. ``tests/events/test_replay.py`` checks replayed days against plain ``detect``.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from cryptodesk.analytics.replay import TOTAL, BookSeries, SeriesBook, micros
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events import _series
from cryptodesk.events._series import DailySeries, Whole
from cryptodesk.events.base import DetectorRegistry, DetectParams, detect


class ReplayedSeries:
    """Every subject of a :class:`SeriesBook` as one whole :class:`DailySeries`, and its prefixes at any moment."""

    def __init__(self, book: SeriesBook) -> None:
        self.book = book
        self._whole: dict[str, tuple[DailySeries, Whole, BookSeries]] = {}

    def _get(self, subject: str) -> tuple[DailySeries, Whole, BookSeries] | None:
        got = self._whole.get(subject)
        if got is None:
            b = self.book.total if subject == TOTAL else self.book.assets.get(subject)
            if b is None:
                return None
            series = DailySeries(subject, b.days, b.close, b.high, b.low, b.volume, b.source[-1])
            got = self._whole[subject] = (series, Whole(series), b)
        return got

    def at(self, moment: datetime, assets: Collection[str]) -> _Prefixes:
        """The series source of the frames cut at ``moment`` for ``assets`` (the index subject is always in)."""
        return _Prefixes(self, micros(moment), frozenset(assets))

    def prefix(self, subject: str, t_us: int) -> DailySeries | None:
        """``subject``'s bars known at ``t_us`` (None when none is)."""
        got = self._get(subject)
        if got is None:
            return None
        series, whole, b = got
        n = b.rows_at(t_us)
        return series.prefix(n, b.source[n - 1], whole) if n else None


class _Prefixes:
    """What a split of the frames cut at one moment would give, from a :class:`ReplayedSeries`."""

    def __init__(self, replayed: ReplayedSeries, t_us: int, assets: frozenset[str]) -> None:
        self._replayed = replayed
        self._t_us = t_us
        self._assets = assets
        self._cache: dict[str, DailySeries | None] = {}
        self.fresh_memo: dict[tuple[str, int], DailySeries | None] = {}

    def subjects(self) -> list[str]:
        """The cut's assets with a bar known at the moment, then the index when one of its bars is."""
        out = [a for a in sorted(self._assets) if self.series(a) is not None]
        if self._replayed.book.index_known(self._t_us):
            out.append(TOTAL)
        return out

    def series(self, subject: str) -> DailySeries | None:
        """The prefix of ``subject`` (None for an asset outside the cut)."""
        if subject not in self._cache:
            inside = subject == TOTAL or subject in self._assets
            self._cache[subject] = self._replayed.prefix(subject, self._t_us) if inside else None
        return self._cache[subject]


def detect_replayed(
    frames: MarketFrames,
    analysis: Analysis,
    source: _Prefixes | None,
    *,
    registry: DetectorRegistry | None = None,
    params: DetectParams | None = None,
) -> list[Event]:
    """:func:`detect` on ``frames``, with the detectors' series served by ``source`` (None: split the frames)."""
    _series.attach(frames, source)
    try:
        return detect(frames, analysis, registry=registry, params=params)
    finally:
        _series.attach(frames, None)
