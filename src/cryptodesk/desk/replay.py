"""The desk replayed over many moments: frames, analysis and events of each, from one read of the store.

``replay(desk, moments)`` gives, for each moment, what ``Desk.frames`` + ``analyze`` + ``detect`` would give, at the
cost of one store read for the whole period instead of one per moment:

1. the universe of every moment in one query (``Store.universes``);
2. one versioned :class:`~cryptodesk.core.frames.MarketTimeline` for the union of those assets, cut in memory at
   each moment (exactly ``Store.frames`` there);
3. each asset's indicators for every row (:class:`~cryptodesk.analytics.replay.AnalysisReplay`) and each subject's
   series held whole (:class:`~cryptodesk.events.replay.ReplayedSeries`), so a moment's analysis is a lookup and the
   detectors scan each history once;
4. at the few moments where the book is not settled (a preferred source replaced a row after it was first known),
   the cut frames are analysed and scanned directly, as ``Desk.report`` would.

With ``complete=False`` the analyses skip the market state and the sub-daily parts of asset states (last price,
intraday range) unless a registered detector reads them (see ``DetectorRegistry.register``): what detection needs
and no more. ``tests/desk/test_replay.py`` checks every moment against the direct path.
"""

from __future__ import annotations

import gc
import itertools
import os
import pickle
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from multiprocessing import get_context

from cryptodesk.analytics.asof import analyze
from cryptodesk.analytics.history import sma50_distance_at
from cryptodesk.analytics.replay import AnalysisReplay, SeriesBook
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames, cut_coverage, cut_liquidations
from cryptodesk.core.models import Event
from cryptodesk.core.settings import Settings
from cryptodesk.core.timeutil import zone
from cryptodesk.desk.core import Desk
from cryptodesk.events.base import DetectorRegistry, DetectParams, weights_from_caps
from cryptodesk.events.extension import detect_extension, extension_events
from cryptodesk.events.replay import Prefilter, ReplayedSeries, detect_replayed


@dataclass(frozen=True)
class Moment:
    """What the desk knew and found at one moment of a replay."""

    as_of: datetime
    frames: MarketFrames
    analysis: Analysis
    events: list[Event]
    replayed: bool
    """True when the analysis and series came from the histories; False at an unsettled moment (direct path)."""
    complete: bool
    """False when ``analysis`` has no market state and no sub-daily asset parts (detection only)."""


class _Replay:
    """One timeline of ``assets`` from ``start`` to ``end`` and its histories: any moment inside, on demand."""

    def __init__(self, desk: Desk, start: datetime, end: datetime, assets: list[str]) -> None:
        s = desk.settings
        timeline = desk.store().timeline(start, end, assets=assets, intraday_days=s.intraday_days)
        self.start, self.end, self.assets = start, end, frozenset(assets)
        self.registry = desk.hub.detectors
        self.timeline = replace(timeline, frames=replace(timeline.frames, assets=desk.describe(timeline.frames)))
        self._light: MarketFrames | None = None

    # The per-asset series and histories are built on first use: a direct moment (the live desk's second one)
    # reads only the timeline, so its cut frames and analysis are not held beside them.
    @cached_property
    def book(self) -> SeriesBook:
        """The timeline's rows per asset, and where its moments are settled."""
        return SeriesBook(self.timeline)

    @cached_property
    def analyses(self) -> AnalysisReplay:
        """The analysis at any settled moment, from the book's histories."""
        return AnalysisReplay(self.book)

    @cached_property
    def series(self) -> ReplayedSeries:
        """The detectors' series at any settled moment, as prefixes of the book's."""
        return ReplayedSeries(self.book)

    @cached_property
    def prefilter(self) -> Prefilter:
        """Which assets a day's detectors can skip, from the histories' σ distances."""
        return Prefilter(lambda asset: (h.sigma, h.first) if (h := self.analyses.history(asset)) is not None else None)

    def covers(self, moment: datetime, universe: list[str]) -> bool:
        """Whether ``moment`` and ``universe`` are inside this timeline."""
        return self.start <= moment <= self.end and self.assets.issuperset(universe)

    def moment(
        self, moment: datetime, universe: list[str], tz: str, *, complete: bool = True, direct: bool = False
    ) -> Moment:
        """Frames, analysis and events at ``moment`` for ``universe`` (``complete`` as in :func:`replay`).

        ``direct`` analyses and scans the cut frames as they are (cheaper for a single moment than building the
        histories a series of moments shares).
        """
        full = complete or self.registry.needs_complete_analysis()
        frames = self.timeline.at(moment, universe)
        settled = not direct and self.book.settled(moment)
        if settled:
            analysis = self.analyses.analysis_at(frames, tz=tz, market=full, sub_daily=full)
            source = self.series.at(moment, universe)
        else:
            analysis, source = analyze(frames, tz=tz), None
        events = detect_replayed(frames, analysis, source, registry=self.registry)
        return Moment(moment, frames, analysis, events, replayed=settled, complete=full or not settled)

    def events(self, moment: datetime, universe: list[str], tz: str) -> list[Event]:
        """The events at ``moment``: detection only (see :func:`replay_events`)."""
        if self.registry.needs_complete_analysis() or not self.book.settled(moment):
            return self.moment(moment, universe, tz, complete=False).events
        frames = self.light_frames(moment, universe)
        prefixes = self.series.at(moment, universe)
        narrow = self.prefilter.narrowing(prefixes)
        rows = self.analyses.rows_at(moment, universe)
        histories = self.analyses.history_of
        caps = [(a, histories(a).cap_at(i)) for a, i in rows.items()]
        # States only where a detector reads them (the relative pairs); extension reads its fields from histories.
        analysis = Analysis(
            as_of=moment, market=None, assets=self.analyses.states_at(moment, sorted(_PAIRS & rows.keys()))
        )

        def extension(frames: MarketFrames, _analysis: Analysis, params: DetectParams) -> list[Event]:
            wanted = rows.keys() if params.subjects is None else sorted(rows.keys() & set(params.subjects))
            return extension_events(frames, params, ((a, sma50_distance_at(histories(a), rows[a])) for a in wanted))

        return detect_replayed(
            frames,
            analysis,
            prefixes,
            registry=self.registry,
            weights=weights_from_caps(caps),
            narrow=narrow,
            forms={detect_extension: extension},
        )

    def light_frames(self, moment: datetime, universe: list[str]) -> MarketFrames:
        """What the built-in detectors read besides their series: the as-of, asset kinds, liquidations, coverage.

        The daily and sub-daily frames are left empty (detectors get their series from the attached prefixes) and
        ``assets`` holds every asset of the replay (detectors only look kinds up by subject).
        """
        f = self.timeline.frames
        if self._light is None:
            self._light = replace(MarketFrames.empty(moment), calendar=f.calendar, assets=f.assets)
        liq = f.liquidations if f.liquidations.height == 0 else cut_liquidations(f.liquidations, moment, universe)
        cov = f.coverage if f.coverage.height == 0 else cut_coverage(f.coverage, moment)
        return replace(self._light, as_of=moment, liquidations=liq, coverage=cov)


_DEFAULTS = DetectParams()
_PAIRS = frozenset(a for pair in _DEFAULTS.relative_pairs for a in pair)


def _plan(
    desk: Desk, moments: Sequence[datetime], tz: str | None
) -> tuple[list[datetime], dict[datetime, list[str]], str]:
    """The moments in UTC (checked increasing), their universes and the time zone."""
    tz_name = tz or desk.settings.tz
    zone(tz_name)
    utc_moments = [m.astimezone(UTC) for m in moments]
    if any(b < a for a, b in itertools.pairwise(utc_moments)):
        raise ConfigError("replay: moments must be in increasing order", parameter="moments")
    s = desk.settings
    universes = desk.store().universes(utc_moments, top_n=s.universe_size, fresh_days=s.universe_fresh_days)
    return utc_moments, universes, tz_name


def _run(desk: Desk, moments: list[datetime], universes: dict[datetime, list[str]]) -> _Replay:
    union = sorted({a for assets in universes.values() for a in assets})
    return _Replay(desk, moments[0], moments[-1], union)


def replay(
    desk: Desk, moments: Sequence[datetime], *, tz: str | None = None, complete: bool = True
) -> Iterator[Moment]:
    """Frames, analysis and events at each of ``moments`` (aware datetimes, in increasing order).

    ``complete=False`` leaves the market state and the sub-daily parts of asset states out of the analyses when no
    registered detector reads them (see the module docstring).
    """
    if not moments:
        return
    utc_moments, universes, tz_name = _plan(desk, moments, tz)
    run = _run(desk, utc_moments, universes)
    for moment in utc_moments:
        yield run.moment(moment, universes[moment], tz_name, complete=complete)


def replay_events(
    desk: Desk, moments: Sequence[datetime], *, tz: str | None = None, workers: int | None = None
) -> Iterator[tuple[datetime, list[Event]]]:
    """The events at each of ``moments``: ``[(as_of, events)]`` as :func:`replay` finds them, detection only.

    When every registered detector declares it reads no market state and no sub-daily data (the built-ins do), a
    settled moment costs no frames at all: the detectors get the known prefixes of the series and a light frames
    object (as-of, asset kinds, liquidations, coverage), and each runs only on the subjects a whole-series
    prefilter says it can report (``events.replay.Prefilter``). Otherwise this is :func:`replay`.

    A replay of at least :data:`PARALLEL_MOMENTS` moments runs in ``workers`` processes (default: one per core):
    this one and ``workers - 1`` spawned ones, each replaying a consecutive part of the period with a read-only
    store, when the desk's detectors are the ones a new desk loads (none registered at run time). The events are
    the same either way.
    """
    if not moments:
        return
    count = (os.cpu_count() or 1) if workers is None else workers
    if count > 1 and len(moments) >= max(PARALLEL_MOMENTS, count) and _reloadable(desk):
        yield from _in_processes(desk, list(moments), tz, count)
        return
    utc_moments, universes, tz_name = _plan(desk, moments, tz)
    run = _run(desk, utc_moments, universes)
    for moment in utc_moments:
        with gc_paused():
            events = run.events(moment, universes[moment], tz_name)
        yield moment, events


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off inside the block (as it was after it).

    A replay's day allocates thousands of small objects (the events, their details) while the process holds many
    more (the histories, the events found so far), so the collector's automatic passes, each walking every object
    it tracks, cost a quarter of a ten-year replay's time. Paused for each day's detection, the collector runs
    between days (a day's young objects once, older generations rarely), so cyclic garbage is still collected.
    Measured over 1,996 days of 5,000 assets in one process: 17.6 s with automatic collection, 12.7 s without any.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


PARALLEL_MOMENTS = 240
"""Replays this long or longer are split over processes (shorter ones would spend more starting them)."""


def _reloadable(desk: Desk) -> bool:
    """Whether a desk opened anew in another process detects with the same detectors as ``desk``."""
    from cryptodesk.plugins import load_hub

    def names(reg: DetectorRegistry) -> list[tuple[str, str, str]]:
        return [(n, getattr(f, "__module__", ""), getattr(f, "__qualname__", "")) for n, f in reg]

    return names(desk.hub.detectors) == names(load_hub().detectors)


def _in_processes(
    desk: Desk, moments: list[datetime], tz: str | None, workers: int
) -> Iterator[tuple[datetime, list[Event]]]:
    """Consecutive parts of ``moments`` replayed by this process (the first part) and ``workers - 1`` spawned ones
    (the others), yielded in order.

    This process takes a larger part (:data:`OWN_SHARE` times a worker's): a worker also pays its start-up and the
    pickling of its events, which this process then reads.
    """
    weights = [OWN_SHARE] + [1.0] * (workers - 1)
    bounds = [round(len(moments) * sum(weights[:i]) / sum(weights)) for i in range(workers + 1)]
    parts = [moments[a:b] for a, b in itertools.pairwise(bounds) if b > a]
    desk.close()  # every process opens the store read-only; this desk reopens it on its next use
    pool = ProcessPoolExecutor(len(parts) - 1, mp_context=get_context("spawn"))
    try:
        futures = [pool.submit(_events_part, desk.settings, part, tz) for part in parts[1:]]
        yield from replay_events(desk, parts[0], tz=tz, workers=1)
        for future in futures:
            with gc_paused():  # hundreds of thousands of events: 4-5x faster without the collector's passes
                found: list[tuple[datetime, list[Event]]] = pickle.loads(future.result())
            yield from found
    finally:
        pool.shutdown(cancel_futures=True)


OWN_SHARE = 1.25
"""This process's part of a split replay, relative to a worker's."""


def _events_part(settings: Settings, moments: list[datetime], tz: str | None) -> bytes:
    """One worker's part of :func:`replay_events` (the process entry point), pickled here so that this process's
    caller unpickles it itself, with the collector paused (the executor's result thread would not)."""
    with Desk(settings) as desk:
        found = list(replay_events(desk, moments, tz=tz, workers=1))
    return pickle.dumps(found, protocol=pickle.HIGHEST_PROTOCOL)


class LiveReplay:
    """The desk's timeline for moments asked about one at a time (``Desk.report``, the dashboard).

    The first moment is read from the store as it is; a second one within :data:`HORIZON` of it (and inside its
    universe) reads the timeline from the first to :data:`HORIZON` later, and every later moment inside that window
    is a cut of it, so a desk refreshing its story through the day reads the store twice, and a single report no
    more than it needs. The desk drops this cache whenever it writes to the store.
    """

    HORIZON = timedelta(days=1)

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self._run: _Replay | None = None
        self._first: tuple[datetime, list[str]] | None = None
        """The first moment (and its universe) of a window not yet read as a timeline."""

    def moment(self, as_of: datetime, *, tz: str | None = None) -> Moment:
        """Frames, analysis and events at ``as_of`` (as ``Desk.frames`` + ``analyze`` + ``detect``).

        The first moment of a window is read from the store as it is (``Desk.frames``: one report, as the CLI
        writes, reads no more than it needs); a second moment inside the same window and universe reads the window's
        timeline, which serves every later moment inside it.
        """
        tz_name = tz or self.desk.settings.tz
        zone(tz_name)
        moment = as_of.astimezone(UTC)
        universe = self.desk.universe(moment)
        if self._run is not None and self._run.covers(moment, universe):
            return self._run.moment(moment, universe, tz_name)
        first = self._first
        if first is not None and first[0] <= moment <= first[0] + self.HORIZON and set(universe) <= set(first[1]):
            self._first = None
            self._run = _Replay(self.desk, first[0], first[0] + self.HORIZON, first[1])
            # histories are built when a third moment shows the timeline is reused
            return self._run.moment(moment, universe, tz_name, direct=True)
        self._first, self._run = (moment, universe), None
        frames = self.desk.frames(moment, assets=universe)
        analysis = analyze(frames, tz=tz_name)
        events = detect_replayed(frames, analysis, None, registry=self.desk.hub.detectors)
        return Moment(moment, frames, analysis, events, replayed=False, complete=True)
