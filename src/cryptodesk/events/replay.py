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

from collections.abc import Callable, Collection, Mapping
from datetime import datetime

import numpy as np

from cryptodesk.analytics.replay import TOTAL, BookSeries, SeriesBook, micros
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events import _series
from cryptodesk.events._series import BoolArray, DailySeries, FloatArray, Whole
from cryptodesk.events.base import Detector, DetectorRegistry, DetectParams, Narrowing, detect
from cryptodesk.events.extension import detect_extension
from cryptodesk.events.extremes import detect_extremes, extreme_rows
from cryptodesk.events.levels import crossing_rows, detect_levels
from cryptodesk.events.moves import detect_moves, move_rows
from cryptodesk.events.volume import detect_volume, surge_rows


class ReplayedSeries:
    """Every subject of a :class:`SeriesBook` as one whole :class:`DailySeries`, and its prefixes at any moment."""

    def __init__(self, book: SeriesBook) -> None:
        self.book = book
        self._whole: dict[str, tuple[DailySeries, Whole, BookSeries]] = {}

    def _get(self, subject: str, t_us: int) -> tuple[DailySeries, Whole, BookSeries] | None:
        """The subject's whole series, made on its first request (at ``t_us``: no later prefix is shorter)."""
        got = self._whole.get(subject)
        if got is None:
            b = self.book.total if subject == TOTAL else self.book.assets.get(subject)
            if b is None:
                return None
            first = max(0, b.rows_at(t_us) - 1)
            series = DailySeries(subject, b.days, b.close, b.high, b.low, b.volume, b.source[-1], first_row=first)
            got = self._whole[subject] = (series, Whole(series), b)
        return got

    def at(self, moment: datetime, assets: Collection[str]) -> _Prefixes:
        """The series source of the frames cut at ``moment`` for ``assets`` (the index subject is always in)."""
        return _Prefixes(self, micros(moment), frozenset(assets))

    def prefix(self, subject: str, t_us: int) -> DailySeries | None:
        """``subject``'s bars known at ``t_us`` (None when none is)."""
        got = self._get(subject, t_us)
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
    weights: dict[str, float] | None = None,
    narrow: Narrowing | None = None,
    forms: Mapping[Detector, Detector] | None = None,
) -> list[Event]:
    """:func:`detect` on ``frames``, with the detectors' series served by ``source`` (None: split the frames)."""
    _series.attach(frames, source)
    try:
        return detect(frames, analysis, registry=registry, params=params, weights=weights, narrow=narrow, forms=forms)
    finally:
        _series.attach(frames, None)


SigmaRows = Callable[[str], "tuple[FloatArray, int] | None"]
"""asset id -> its σ-distances (the analysis history) and the bar they start at, or None."""


class Prefilter:
    """Which subjects each built-in detector can find an event for at a moment of a replay.

    Every built-in detector's test of the latest bar is also computed for every bar of the whole series at once
    (``crossing_rows``, ``extreme_rows``, ``move_rows``, ``surge_rows``; the σ-distance for ``extension``), so a
    moment's candidates are a lookup per subject and the detector then runs, unchanged, on those subjects alone.
    A flag is never False where the detector would find an event (each is exact or errs towards True), so the
    events are the same. Detectors registered under these names by plugins (other functions) are not narrowed.
    """

    def __init__(self, sigma_rows: SigmaRows) -> None:
        self._sigma_rows = sigma_rows
        self._sigma_flags: dict[tuple[str, float], tuple[list[bool], int] | None] = {}
        self._flag_fns: dict[tuple[object, ...], Callable[[str, _Prefixes], bool]] = {}

    def narrowing(self, prefixes: _Prefixes) -> Narrowing:
        """The :data:`~cryptodesk.events.base.Narrowing` of one moment."""

        def narrow(name: str, fn: Detector, params: DetectParams) -> DetectParams | None:
            flags = self._flags(name, fn, params)
            if flags is None:
                return params
            subjects = params.subjects if params.subjects is not None else tuple(prefixes.subjects())
            keep = tuple(s for s in subjects if flags(s, prefixes))
            return params.with_subjects(keep) if keep else None

        return narrow

    def _flags(self, name: str, fn: Detector, p: DetectParams) -> Callable[[str, _Prefixes], bool] | None:
        if name == "extension" and fn is detect_extension:
            return lambda subject, prefixes: self.extended(subject, prefixes, p.extension_sigma_min)
        made: tuple[tuple[object, ...], Callable[[DailySeries], BoolArray]] | None = None
        if name == "levels" and fn is detect_levels:
            made = ("levels",), crossing_rows
        elif name == "extremes" and fn is detect_extremes:
            made = ("extremes", p.extreme_min_days), lambda s: extreme_rows(s, p.extreme_min_days)
        elif name == "moves" and fn is detect_moves:
            made = ("moves", p.vol_window, p.move_sigma_min), lambda s: move_rows(s, p.vol_window, p.move_sigma_min)
        elif name == "volume" and fn is detect_volume:
            made = (
                ("volume", p.volume_window, p.volume_ratio_min),
                (lambda s: surge_rows(s, p.volume_window, p.volume_ratio_min)),
            )
        if made is None:
            return None
        if made[0] not in self._flag_fns:
            self._flag_fns[made[0]] = _series_flag(made[1])
        return self._flag_fns[made[0]]

    def extended(self, asset: str, prefixes: _Prefixes, sigma_min: float) -> bool:
        """Whether ``asset``'s latest known bar is at least ``sigma_min`` σ from its 50-day average (or may be)."""
        series = prefixes.series(asset)
        if series is None:
            return False
        key = (asset, sigma_min)
        if key not in self._sigma_flags:
            rows = self._sigma_rows(asset)
            if rows is None:
                self._sigma_flags[key] = None
            else:
                sigma, first = rows
                with np.errstate(invalid="ignore"):
                    ok = np.isfinite(sigma) & (np.abs(sigma) >= sigma_min * (1 - 1e-12))
                self._sigma_flags[key] = ok.tolist(), first
        got = self._sigma_flags[key]
        if got is None:
            return False
        flags, first = got
        i = len(series) - 1 - first
        return i < 0 or flags[i]  # a bar before the history's first: no flag, so the detector runs


def _series_flag(rows: Callable[[DailySeries], BoolArray]) -> Callable[[str, _Prefixes], bool]:
    """A subject's flag at a moment: ``rows`` of its whole series (computed once) at its latest known bar."""
    arrays: dict[str, list[bool]] = {}

    def flag(subject: str, prefixes: _Prefixes) -> bool:
        series = prefixes.series(subject)
        if series is None:
            return False
        whole = series.whole
        if whole is None:
            return True
        flags = arrays.get(subject)
        if flags is None:  # on the whole series as a prefix of itself, so its arrays land in (and come from) the cache
            root = whole.series
            flags = arrays[subject] = rows(root.prefix(len(root), root.source, whole)).tolist()
        return flags[len(series) - 1]

    return flag
