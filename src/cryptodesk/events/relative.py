"""Relative performance: which of two assets gained more over a window, and by how many points.

For each pair ``(subject, benchmark)`` in ``params.relative_pairs`` (default
ETH vs BTC) the window return of each (``params.relative_window``, '30d') is
taken from ``Analysis.assets[...].changes`` when analytics has it for both with
the same start and end days, otherwise from the daily closes in the frames
(latest close vs the close N days earlier). ``gap = subject - benchmark``
(fractions; ``gap_points`` is ×100). An event is emitted when
``|gap| >= params.relative_gap_min``; direction is 'outperform' or
'underperform' from the subject's side.

Score: ``score_from_frequency(p)``, ``p`` = the share of the pair's own history
of N-day gaps (every day where both closes exist on both ends) at least as
large in absolute value, counting today.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, timedelta

import numpy as np

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events._series import DailySeries, FloatArray, fresh_series
from cryptodesk.events.base import DetectParams, frequency_at_least, score_from_frequency


@dataclass(frozen=True)
class WindowReturn:
    """One asset's return over the window."""

    pct: float
    start_date: date
    start_value: float
    end_date: date
    end_value: float


def window_days(window: str) -> int:
    """Days in a window spelled 'Nd' (e.g. '30d'), or a ConfigError."""
    if window.endswith("d") and window[:-1].isdigit() and int(window[:-1]) > 0:
        return int(window[:-1])
    raise ConfigError(f"relative_window: {window!r} is not a window; expected e.g. '30d'", parameter="relative_window")


def series_return(series: DailySeries, days: int, end: date) -> WindowReturn | None:
    """Return from the close ``days`` before ``end`` to the close of ``end`` (None when either is missing)."""
    i, j = series.index_of(end - timedelta(days=days)), series.index_of(end)
    if i is None or j is None or series.close[i] <= 0:
        return None
    a, b = float(series.close[i]), float(series.close[j])
    return WindowReturn(b / a - 1.0, series.dates[i], a, series.dates[j], b)


def analysis_return(analysis: Analysis, asset_id: str, window: str) -> WindowReturn | None:
    """The window change analytics computed for ``asset_id``, if any."""
    state = analysis.assets.get(asset_id)
    ch = state.changes.get(window) if state is not None else None
    if ch is None:
        return None
    return WindowReturn(ch.pct, ch.start_date, ch.start_value, ch.end_date, ch.end_value)


def gap_history(a: DailySeries, b: DailySeries, days: int) -> FloatArray:
    """Every earlier N-day return gap ``a - b`` (both ends present for both), excluding the latest day.

    In ``a``'s date order: for each day ``d`` of ``a`` before the later series' common end, the return of ``a``
    from ``d - days`` to ``d`` minus that of ``b``, where all four closes exist and neither start close is <= 0
    (the rule of :func:`series_return`).
    """
    end = min(a.days[-1], b.days[-1])
    d = a.days[a.days < end]
    ja, ia = np.arange(len(d)), a.positions(d - days)
    jb, ib = b.positions(d), b.positions(d - days)
    ok = (ia >= 0) & (jb >= 0) & (ib >= 0)
    ca, cb = a.close, b.close
    with np.errstate(invalid="ignore"):  # a start close that is not <= 0 (NaN included) counts, as in series_return
        ok[ok] = ~(ca[ia[ok]] <= 0) & ~(cb[ib[ok]] <= 0)
    ra = ca[ja[ok]] / ca[ia[ok]] - 1.0
    rb = cb[jb[ok]] / cb[ib[ok]] - 1.0
    return np.asarray(ra - rb, dtype=np.float64)


def pair_event(
    frames: MarketFrames, analysis: Analysis, pair: tuple[str, str], params: DetectParams, days: int
) -> Event | None:
    """The relative-performance event of one pair, or None (missing data or gap under the threshold)."""
    subject, bench = pair
    sa, sb = (fresh_series(frames, s, params.max_stale_days) for s in pair)
    ra, rb = (analysis_return(analysis, s, params.relative_window) for s in pair)
    basis = "analysis"
    if ra is None or rb is None or (ra.start_date, ra.end_date) != (rb.start_date, rb.end_date):
        if sa is None or sb is None:
            return None
        end = min(sa.dates[-1], sb.dates[-1])
        ra, rb, basis = series_return(sa, days, end), series_return(sb, days, end), "frames"
        if ra is None or rb is None:
            return None
    gap = ra.pct - rb.pct
    stale = (frames.as_of.astimezone(UTC).date() - ra.end_date).days > params.max_stale_days
    if stale or abs(gap) < params.relative_gap_min:
        return None
    history = np.abs(gap_history(sa, sb, days)) if sa is not None and sb is not None else np.zeros(0)
    p = frequency_at_least(history, abs(gap))
    return Event(
        kind="relative_performance",
        subject=subject,
        metric=f"return_{params.relative_window}",
        time=frames.as_of,
        score=score_from_frequency(p),
        direction="outperform" if gap > 0 else "underperform",
        value=gap,
        details={
            "benchmark": bench,
            "window": params.relative_window,
            "subject_return": ra.pct,
            "benchmark_return": rb.pct,
            "gap": gap,
            "gap_points": gap * 100.0,
            "leader": subject if gap > 0 else bench,
            "start_date": ra.start_date,
            "end_date": ra.end_date,
            "subject_start": ra.start_value,
            "subject_end": ra.end_value,
            "benchmark_start": rb.start_value,
            "benchmark_end": rb.end_value,
            "basis": basis,
            "sources": sorted({x.source for x in (sa, sb) if x is not None}),
            "rarity": p,
            "history_days": len(history),
        },
    )


def detect_relative(frames: MarketFrames, analysis: Analysis, params: DetectParams) -> list[Event]:
    """Relative performance of each configured pair (see module docstring)."""
    days = window_days(params.relative_window)
    events: list[Event] = []
    for pair in params.relative_pairs:
        if not params.wants(pair[0]):
            continue
        event = pair_event(frames, analysis, pair, params, days)
        if event is not None:
            events.append(event)
    return events
