"""Round-level crossings: the latest closed daily close vs the previous close.

Level grid
----------
Levels are multiples of one tenth of their own decade: in [10^e, 10^(e+1)) the
step is 10^(e-1). So BTC between $10,000 and $99,999 has levels every $1,000
($20,000, $21,000, ...), ETH between $1,000 and $9,999 every $100 ($1,500,
$1,600, ...) and below $1,000 every $10, and the total market cap has levels
every $10B under $1T ($900B, $910B, ...) and every $100B from $1T ($1T, $1.1T).

Roundness weights the score: a level with one significant digit ($20,000,
$900B, $1T) weighs 1.0; two significant digits ending in 5 ($1,500, $25,000)
0.85; any other grid level ($21,000, $1,600) 0.7.

A close crosses level L upwards when ``prev < L <= close`` and downwards when
``prev >= L > close``. ``last_time_beyond`` is the last date before the latest
bar whose close was on the new side (``>= L`` for an up-cross, ``< L`` for a
down-cross); None means never in the history held. The score is
``score_from_days(days since last_time_beyond) × roundness`` (never: days = the
whole history span). At most ``params.max_levels_per_subject`` levels are
reported per subject (the best scored); all crossed levels are in ``details``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events._crossings import beyond_index, crossings
from cryptodesk.events._series import BoolArray, DailySeries, FloatArray, fresh_series, subjects
from cryptodesk.events.base import DetectParams, score_from_days

MAX_LEVELS_SCANNED = 500


@dataclass(frozen=True)
class Level:
    """One grid level: its value and roundness weight."""

    value: float
    roundness: float


def level_step(value: float) -> float:
    """Grid step for ``value`` (> 0): one tenth of its decade."""
    return float(10.0 ** (math.floor(math.log10(value)) - 1))


def roundness(multiple: int) -> float:
    """Roundness weight of the level ``multiple × step`` (1.0, 0.85 or 0.7; see module docstring)."""
    digits = str(multiple).rstrip("0")
    if len(digits) <= 1:
        return 1.0
    if len(digits) == 2 and digits.endswith("5"):
        return 0.85
    return 0.7


def levels_crossed(prev: float, close: float) -> list[Level]:
    """Grid levels the move from ``prev`` to ``close`` crossed, in increasing value."""
    lo, hi = min(prev, close), max(prev, close)
    if not (lo > 0 and math.isfinite(hi)) or lo == hi:
        return []
    up = close > prev
    out: list[Level] = []
    for e in range(math.floor(math.log10(lo)), math.floor(math.log10(hi)) + 1):
        step = 10.0 ** (e - 1)
        # the decade [10^e, 10^(e+1)) in steps of 10^(e-1); multiples beyond [lo, hi] (plus one either side, for
        # the rounding of k * step) cannot be crossed
        first, last = max(10, math.floor(lo / step) - 1), min(99, math.ceil(hi / step) + 1)
        for k in range(first, last + 1):
            value = float(f"{k * step:.12g}")
            if (up and prev < value <= close) or (not up and prev >= value > close):
                out.append(Level(value, roundness(k)))
        if len(out) > MAX_LEVELS_SCANNED:
            break
    return sorted(out, key=lambda lv: lv.value)


def last_time_beyond(series: DailySeries, level: float, up: bool) -> date | None:
    """Last date before the latest bar whose close was on the new side of ``level``.

    Searched backwards in growing blocks (64, 512, ... bars): a level is usually crossed near where it was
    before, so the answer is mostly in the latest bars, and a long history is only scanned for a long-unseen level.
    """
    return last_times_beyond(series, [level], up)[0]


def last_times_beyond(series: DailySeries, levels: list[float], up: bool) -> list[date | None]:
    """:func:`last_time_beyond` of each of ``levels``: the latest 64 bars compared with every level at once, then
    the growing blocks before them for the levels not found there."""
    close = series.close
    end = len(close) - 1  # the bars before the latest
    out: list[date | None] = [None] * len(levels)
    if end <= 0 or not levels:
        return out
    start = max(0, end - 64)
    block = close[start:end]
    grid = np.asarray(levels)[:, None]
    hits: BoolArray = np.asarray(block >= grid if up else block < grid, dtype=bool)
    found: list[bool] = np.asarray(hits.any(axis=1), dtype=bool).tolist()
    last = block.size - 1 - np.argmax(hits[:, ::-1], axis=1)
    for i, level in enumerate(levels):
        if found[i]:
            out[i] = series.dates[start + int(last[i])]
        elif start > 0:
            out[i] = _beyond_before(series, level, up, start)
    return out


def _beyond_before(series: DailySeries, level: float, up: bool, end: int) -> date | None:
    """The last bar before ``end`` on the new side of ``level``, in blocks of 512, 4096, ... bars backwards."""
    j = beyond_index(series.close, level, up, end)
    return series.dates[j] if j >= 0 else None


def cross_events(series: DailySeries, frames: MarketFrames, params: DetectParams) -> list[Event]:
    """Level-cross events for one subject's latest closed bar.

    On a replay's prefix the crossings of every bar of the whole series are computed once (``_crossings``) and the
    latest bar's are read from them.
    """
    if len(series) < 2:
        return []
    prev, close = float(series.close[-2]), float(series.close[-1])
    whole = series.whole
    if whole is not None:
        table = whole.value(("crossings",), lambda s: crossings(s, s.first_row))
        i = len(series) - 1
        if not table.loop[i]:
            a, b = int(table.offsets[i]), int(table.offsets[i + 1])
            if a == b:
                return []
            levels = [
                Level(v, r) for v, r in zip(table.level[a:b].tolist(), table.roundness[a:b].tolist(), strict=True)
            ]
            dates = whole.dates
            beyonds = [dates[j] if j >= 0 else None for j in table.beyond[a:b].tolist()]
            return _cross_events(series, frames, params, prev=prev, close=close, levels=levels, beyonds=beyonds)
    levels = levels_crossed(prev, close)
    if not levels:
        return []
    beyonds = last_times_beyond(series, [lv.value for lv in levels], close > prev)
    return _cross_events(series, frames, params, prev=prev, close=close, levels=levels, beyonds=beyonds)


def _cross_events(
    series: DailySeries,
    frames: MarketFrames,
    params: DetectParams,
    *,
    prev: float,
    close: float,
    levels: list[Level],
    beyonds: list[date | None],
) -> list[Event]:
    """The events of the latest bar's crossed ``levels``, with each one's last time beyond."""
    up = close > prev
    today = series.dates[-1]
    start = series.dates[0]
    crossed = [x.value for x in levels]
    events: list[Event] = []
    for lv, beyond in zip(levels, beyonds, strict=True):
        days = (today - (beyond if beyond is not None else start)).days
        events.append(
            Event(
                kind="level_cross",
                subject=series.subject,
                metric="close",
                time=frames.as_of,
                score=score_from_days(days) * lv.roundness,
                direction="up" if up else "down",
                level=lv.value,
                last_time_beyond=beyond,
                value=close,
                details={
                    "close": close,
                    "date": today,
                    "prev_close": prev,
                    "prev_date": series.dates[-2],
                    "days_since_beyond": days if beyond is not None else None,
                    "history_start": start,
                    "roundness": lv.roundness,
                    "levels_crossed": list(crossed),
                    "unit": "USD",
                    "source": series.source,
                },
            )
        )
    # ties: the level furthest along the move ("fell below $16,000" rather than $17,000)
    events.sort(key=lambda e: (-e.score, -(e.level or 0.0) if up else (e.level or 0.0)))
    return events[: params.max_levels_per_subject]


def detect_levels(frames: MarketFrames, _analysis: Analysis, params: DetectParams) -> list[Event]:
    """Round-level crossings of every subject's latest closed daily close (see module docstring)."""
    events: list[Event] = []
    for subject in subjects(frames):
        if not params.wants(subject):
            continue
        series = fresh_series(frames, subject, params.max_stale_days)
        if series is not None:
            events.extend(cross_events(series, frames, params))
    return events


def may_cross(prev: FloatArray, close: FloatArray) -> BoolArray:
    """For each move ``prev -> close``: False only where :func:`levels_crossed` finds no level (a replay's
    prefilter; generous by a relative 1e-6 so that rounding never hides a crossing)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = np.minimum(prev, close), np.maximum(prev, close)
        ok = (lo > 0) & np.isfinite(hi) & (lo != hi)
        safe_prev = np.where(ok, prev, 1.0)
        step = 10.0 ** (np.floor(np.log10(safe_prev)) - 1)
        above = (np.floor(safe_prev / step) + 1) * step  # the first level above prev
        below = np.floor(safe_prev / step) * step  # the last level at or below prev
        up = close > prev
        hit = np.where(up, above <= close * (1 + 1e-6), below > close * (1 - 1e-6))
    return np.asarray(ok & hit, dtype=bool)


def crossing_rows(series: DailySeries) -> BoolArray:
    """Per bar of a whole series: whether it may cross a level from the bar before (see :func:`may_cross`)."""
    out = np.zeros(len(series), dtype=bool)
    out[1:] = may_cross(series.close[:-1], series.close[1:])
    return out
