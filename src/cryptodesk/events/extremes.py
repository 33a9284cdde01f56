"""Highest/lowest since: the latest closed daily bar compared with the subject's history.

For every subject the latest close is compared with all earlier closes; for the
index series (``total_market_cap``) the bar's daily high is also compared with
earlier highs and its daily low with earlier lows (metrics ``day_high`` and
``day_low``). ``since`` is the last earlier date with a value at least as high
(for a high) or at least as low (for a low); None means the value is beyond the
whole history held (``details['history_start']`` says where that begins, so a
writer does not call a short series "all-time").

An event is emitted when ``since`` is None (and the history spans at least
``params.extreme_min_days``) or lies at least ``params.extreme_min_days`` before
the bar. Score: ``score_from_days(days since)``, or of the history span when
``since`` is None.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date

import numpy as np
import numpy.typing as npt

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events._series import TOTAL, BoolArray, DailySeries, FloatArray, IntArray, fresh_series, subjects
from cryptodesk.events.base import DetectParams, score_from_days


def since(values: FloatArray, dates: Sequence[date], high: bool) -> date | None:
    """Last date before the last value whose value is at least as high (``high``) or as low; NaN is ignored."""
    current = values[-1]
    past = values[:-1]
    with np.errstate(invalid="ignore"):
        mask = past >= current if high else past <= current
    hits = np.flatnonzero(mask)
    return dates[int(hits[-1])] if hits.size else None


_METRICS: dict[str, str] = {"close": "close", "day_high": "high", "day_low": "low"}
"""Metric name -> DailySeries field."""

Int32Array = npt.NDArray[np.int32]


def _fields(series: DailySeries) -> list[tuple[str, FloatArray, tuple[bool, ...]]]:
    """(metric, values, directions as 'is high') to examine for ``series``."""
    fields: list[tuple[str, FloatArray, tuple[bool, ...]]] = [("close", series.close, (True, False))]
    if series.subject == TOTAL:
        fields.append(("day_high", series.high, (True,)))
        fields.append(("day_low", series.low, (False,)))
    return fields


def _since(series: DailySeries, metric: str, values: FloatArray, high: bool) -> date | None:
    """:func:`since` of the latest bar; a replay's prefix reads it from the whole series' reach indices."""
    if series.whole is None:
        return since(values, series.dates, high)
    j = int(_replayed_reach(series, _METRICS[metric], "max" if high else "min")[len(series) - 1])
    return series.dates[j] if j >= 0 else None


def extreme_events(series: DailySeries, frames: MarketFrames, params: DetectParams) -> list[Event]:
    """Highest/lowest-since events for one subject's latest bar."""
    if len(series) < 2:
        return []
    today = series.dates[-1]
    span = (today - series.dates[0]).days
    events: list[Event] = []
    for metric, values, directions in _fields(series):
        value = float(values[-1])
        if np.isnan(value):
            continue
        for high in directions:
            when = _since(series, metric, values, high)
            days = (today - when).days if when is not None else span
            if days < params.extreme_min_days:
                continue
            events.append(
                Event(
                    kind="extreme",
                    subject=series.subject,
                    metric=metric,
                    time=frames.as_of,
                    score=score_from_days(days),
                    direction="high" if high else "low",
                    value=value,
                    since=when,
                    details={
                        "date": today,
                        "days_since": days if when is not None else None,
                        "since_value": _value_on(series, values, when),
                        "history_start": series.dates[0],
                        "unit": "USD",
                        "source": series.source,
                    },
                )
            )
    return events


def detect_extremes(frames: MarketFrames, _analysis: Analysis, params: DetectParams) -> list[Event]:
    """Highest/lowest-since events for every subject (see module docstring)."""
    events: list[Event] = []
    for subject in subjects(frames):
        if not params.wants(subject):
            continue
        series = fresh_series(frames, subject, params.max_stale_days)
        if series is not None:
            events.extend(extreme_events(series, frames, params))
    return events


def _value_on(series: DailySeries, values: FloatArray, day: date | None) -> float | None:
    """``values`` on ``day`` (None when there is no such day)."""
    i = series.index_of(day) if day is not None else None
    return float(values[i]) if i is not None else None


def extreme_rows(series: DailySeries, min_days: int) -> BoolArray:
    """Per bar of a whole series: whether an extreme event can be due if it is the latest (a replay's prefilter).

    Exactly the test of :func:`extreme_events` (days since the last bar as high or as low, or the history span),
    on every metric the subject has, from the reach indices that detector reads.
    """
    n = len(series)
    days = series.days
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    span = days - days[0]
    for metric, _values, directions in _fields(series):
        field = _METRICS[metric]
        for high in directions:
            mode = "max" if high else "min"
            reach = _reach(field, mode)(series) if series.whole is None else _replayed_reach(series, field, mode)[:n]
            gap = np.where(reach >= 0, days - days[np.maximum(reach, 0)], span)
            out |= gap >= min_days
    out[0] = False
    return out


def _replayed_reach(series: DailySeries, field: str, mode: str) -> Int32Array:
    """The "since" indices of the full series ``series`` is a prefix of (computed once, kept as int32: half the
    memory of a whole ten-year series' int64 indices, which never exceed its length)."""
    assert series.whole is not None
    kernel = _reach(field, mode)
    return series.whole.value(("extreme_since", field, mode), lambda w: kernel(w).astype(np.int32))


def _reach(field: str, mode: str) -> Callable[[DailySeries], IntArray]:
    """The kernel of a whole series' "since" indices for one field and direction."""

    def kernel(s: DailySeries) -> IntArray:
        values: FloatArray = getattr(s, field)
        return k.previous_reach_index(values, mode=mode)

    return kernel
