"""Zigzag swings: swing highs and lows confirmed by a relative reversal threshold."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from cryptodesk.analytics.kernels.arrays import as_float

DEFAULT_SWING_THRESHOLD = 0.10
"""Default zigzag reversal threshold: a move of 10% against the current leg."""


@dataclass(frozen=True)
class Pivot:
    """A zigzag swing point: ``kind`` is 'high' or 'low'; ``confirmed`` once price reversed by the threshold."""

    index: int
    kind: str
    value: float
    confirmed: bool


def zigzag(
    high: ArrayLike,
    low: ArrayLike | None = None,
    threshold: float = DEFAULT_SWING_THRESHOLD,
) -> list[Pivot]:
    """Zigzag swing points with a relative reversal threshold.

    A swing high is confirmed once a later low is at least ``threshold`` below it
    (``low <= high * (1 - threshold)``); a swing low once a later high is at least
    ``threshold`` above it (``high >= low * (1 + threshold)``). Both are measured
    from the extreme, so a leg that rose just over 10% can retrace slightly below
    its starting low without confirming a reversal. Each leg ends at its extreme
    (the highest high or lowest low after the previous pivot). Pass the daily
    highs and lows, or one series (closes) as ``high`` alone. The extreme of the
    current, unfinished leg is appended with ``confirmed=False``. Intrabar order
    is unknown, so on a bar that both extends the leg and reverses it the
    extension wins, and an outside bar before the first swing restarts the
    search from that bar. NaN bars are skipped. The scan is sequential by nature
    (one pass).
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be a fraction between 0 and 1, got {threshold}")
    hi = as_float(high)
    lo = hi if low is None else as_float(low)
    if len(lo) != len(hi):
        raise ValueError(f"high and low differ in length ({len(hi)} vs {len(lo)})")
    valid = np.flatnonzero(np.isfinite(hi) & np.isfinite(lo))
    pivots: list[Pivot] = []
    if len(valid) == 0:
        return pivots
    up, down = 1.0 + threshold, 1.0 - threshold
    trend = 0
    hi_i = lo_i = int(valid[0])
    for i in valid.tolist():
        h, low_i = hi[i], lo[i]
        if trend == 0 and h > hi[hi_i] and low_i < lo[lo_i]:
            hi_i = lo_i = i  # an outside bar before any swing: its intrabar order is unknown, start afresh
            continue
        if trend >= 0 and h > hi[hi_i]:
            hi_i = i
            if trend == 0 and h >= lo[lo_i] * up and lo_i < i:
                pivots.append(Pivot(lo_i, "low", float(lo[lo_i]), True))
                trend = 1
            continue
        if trend <= 0 and low_i < lo[lo_i]:
            lo_i = i
            if trend == 0 and low_i <= hi[hi_i] * down and hi_i < i:
                pivots.append(Pivot(hi_i, "high", float(hi[hi_i]), True))
                trend = -1
            continue
        if trend == 1 and low_i <= hi[hi_i] * down:
            pivots.append(Pivot(hi_i, "high", float(hi[hi_i]), True))
            trend, lo_i = -1, i
        elif trend == -1 and h >= lo[lo_i] * up:
            pivots.append(Pivot(lo_i, "low", float(lo[lo_i]), True))
            trend, hi_i = 1, i
    if trend == 1:
        pivots.append(Pivot(hi_i, "high", float(hi[hi_i]), False))
    elif trend == -1:
        pivots.append(Pivot(lo_i, "low", float(lo[lo_i]), False))
    return pivots


def last_swings(
    high: ArrayLike,
    low: ArrayLike | None = None,
    threshold: float = DEFAULT_SWING_THRESHOLD,
) -> tuple[Pivot | None, Pivot | None]:
    """The most recent **confirmed** zigzag swing low and swing high (see :func:`zigzag`)."""
    swing_low: Pivot | None = None
    swing_high: Pivot | None = None
    for p in zigzag(high, low, threshold):
        if not p.confirmed:
            continue
        if p.kind == "low":
            swing_low = p
        else:
            swing_high = p
    return swing_low, swing_high
