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
intraday range): what detection needs and no more (the default when every registered detector declares it reads
neither, see ``DetectorRegistry.register``). ``tests/desk/test_replay.py`` checks every moment against the direct path.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from cryptodesk.analytics.asof import analyze
from cryptodesk.analytics.replay import AnalysisReplay, SeriesBook
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames, cut_coverage, cut_liquidations
from cryptodesk.core.models import Event
from cryptodesk.core.timeutil import zone
from cryptodesk.desk.core import Desk
from cryptodesk.events.base import DetectParams, weights_from_caps
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


@dataclass
class _Replay:
    """The shared state of one replay: universes, timeline, book, analysis and series histories."""

    desk: Desk
    moments: list[datetime]
    tz: str

    def __post_init__(self) -> None:
        zone(self.tz)
        if any(b < a for a, b in itertools.pairwise(self.moments)):
            raise ConfigError("replay: moments must be in increasing order", parameter="moments")
        s = self.desk.settings
        store = self.desk.store()
        self.universes = store.universes(self.moments, top_n=s.universe_size, fresh_days=s.universe_fresh_days)
        union = sorted({a for assets in self.universes.values() for a in assets})
        timeline = store.timeline(self.moments[0], self.moments[-1], assets=union, intraday_days=s.intraday_days)
        self.timeline = replace(timeline, frames=replace(timeline.frames, assets=self.desk.describe(timeline.frames)))
        self.book = SeriesBook(self.timeline)
        self.analyses = AnalysisReplay(self.book)
        self.series = ReplayedSeries(self.book)
        self._light: MarketFrames | None = None

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


def replay(
    desk: Desk, moments: Sequence[datetime], *, tz: str | None = None, complete: bool | None = None
) -> Iterator[Moment]:
    """Frames, analysis and events at each of ``moments`` (aware datetimes, in increasing order)."""
    if not moments:
        return
    run = _Replay(desk, [m.astimezone(UTC) for m in moments], tz or desk.settings.tz)
    registry = desk.hub.detectors
    full = registry.needs_complete_analysis() if complete is None else complete
    for moment in run.moments:
        universe = run.universes[moment]
        frames = run.timeline.at(moment, universe)
        settled = run.book.settled(moment)
        if settled:
            analysis = run.analyses.analysis_at(frames, tz=run.tz, market=full, sub_daily=full)
            source = run.series.at(moment, universe)
        else:
            analysis, source = analyze(frames, tz=run.tz), None
        events = detect_replayed(frames, analysis, source, registry=registry)
        yield Moment(moment, frames, analysis, events, replayed=settled, complete=full or not settled)


def replay_events(
    desk: Desk, moments: Sequence[datetime], *, tz: str | None = None
) -> Iterator[tuple[datetime, list[Event]]]:
    """The events at each of ``moments``: ``[(as_of, events)]`` as :func:`replay` finds them, detection only.

    When every registered detector declares it reads no market state and no sub-daily data (the built-ins do), a
    settled moment costs no frames at all: the detectors get the known prefixes of the series and a light frames
    object (as-of, asset kinds, liquidations, coverage). Otherwise this is :func:`replay`.
    """
    registry = desk.hub.detectors
    if registry.needs_complete_analysis():
        for m in replay(desk, moments, tz=tz):
            yield m.as_of, m.events
        return
    if not moments:
        return
    run = _Replay(desk, [m.astimezone(UTC) for m in moments], tz or desk.settings.tz)
    prefilter = Prefilter(lambda asset: h.sigma if (h := run.analyses.history(asset)) is not None else None)
    defaults = DetectParams()
    pairs = {a for pair in defaults.relative_pairs for a in pair}
    sigma_min = defaults.extension_sigma_min
    for moment in run.moments:
        universe = run.universes[moment]
        if not run.book.settled(moment):
            frames = run.timeline.at(moment, universe)
            yield moment, detect_replayed(frames, analyze(frames, tz=run.tz), None, registry=registry)
            continue
        frames = run.light_frames(moment, universe)
        prefixes = run.series.at(moment, universe)
        narrow = prefilter.narrowing(prefixes)
        rows = run.analyses.rows_at(moment, universe)
        caps = [(a, run.analyses.history_of(a).rows.cap[i]) for a, i in rows.items()]
        # States only where a detector reads them: the assets extension may report, and the relative pairs.
        wanted = sorted({a for a in rows if a in pairs or prefilter.extended(a, prefixes, sigma_min)})
        analysis = Analysis(as_of=moment, market=None, assets=run.analyses.states_at(moment, wanted))
        events = detect_replayed(
            frames, analysis, prefixes, registry=registry, weights=weights_from_caps(caps), narrow=narrow
        )
        yield moment, events
