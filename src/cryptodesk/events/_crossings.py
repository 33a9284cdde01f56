"""Private helper: every bar's round-level crossings of a whole series at once (a replay's form of
:func:`cryptodesk.events.levels.cross_events`).

For each bar ``i`` from ``start`` on, the levels the move ``close[i - 1] -> close[i]`` crossed (exactly the list
:func:`~cryptodesk.events.levels.levels_crossed` gives, in the same order) and, for each, the last row before ``i``
whose close was on the new side (:func:`~cryptodesk.events.levels.last_times_beyond`, as a row number). A replay
computes this once per subject and a day only reads its bar's slice.

How it stays exact: a grid level is a position ``g = 90 e + (k - 10)`` (``k`` in 10..99, value ``k × 10^(e-1)``).
Each bar's candidates are the positions from just below ``min(prev, close)`` to just above ``max(prev, close)``
(two positions of margin each side absorb any rounding of ``log10``), each value is the double nearest the decimal
``k × 10^(e-1)`` (an exact product, or ``k`` divided by an exact power of ten: the value
``float(f"{k * step:.12g}")`` gives), and the same comparisons as the loop keep the crossed ones. Bars the loop
would truncate (a move over more than :data:`MAX_DECADES` decades) or whose powers of ten are not exact doubles are
marked for the loop instead. ``tests/events/test_vectorised.py`` checks every bar against the loop.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cryptodesk.events._series import BoolArray, DailySeries, FloatArray, IntArray

WINDOW = 64
"""Bars before a crossing searched at once for the last time beyond (as ``last_times_beyond`` does)."""

MAX_DECADES = 5
"""Moves spanning more decades than this are left to the loop (it may stop scanning after 500 levels)."""

_POW10 = np.array([float(10**n) for n in range(23)])
"""10^0 .. 10^22, every one an exact double."""

_CHUNK = 8192
"""Crossings compared with their window of bars per block (bounds the temporary arrays)."""


@dataclass(frozen=True)
class Crossings:
    """The crossings of every bar: bar ``i``'s are ``level[offsets[i]:offsets[i + 1]]`` (increasing value)."""

    offsets: IntArray
    level: FloatArray
    roundness: FloatArray
    beyond: IntArray
    """Row of the last close on the new side before the bar, or -1 when none is."""
    loop: BoolArray
    """Bars left to the loop (``levels_crossed`` and ``last_times_beyond`` on the prefix)."""


def crossings(series: DailySeries, start: int) -> Crossings:
    """The crossings of every bar of ``series`` from ``start`` on (earlier bars have none)."""
    close = series.close
    n = len(close)
    bars = np.arange(max(1, start), n)
    prev, cur = close[bars - 1], close[bars]
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = np.minimum(prev, cur), np.maximum(prev, cur)
        ok = (lo > 0) & np.isfinite(hi) & (lo != hi)
        e_lo = np.floor(np.log10(np.where(ok, lo, 1.0))).astype(np.int64)
        e_hi = np.floor(np.log10(np.where(ok, hi, 1.0))).astype(np.int64)
    loop = ok & ((e_hi - e_lo >= MAX_DECADES) | (e_lo < -20) | (e_hi > 20))
    ok &= ~loop
    e_lo, e_hi = np.where(ok, e_lo, 0), np.where(ok, e_hi, 0)
    g_lo = _position(np.where(ok, lo, 1.0), e_lo) - 2
    g_hi = _position(np.where(ok, hi, 1.0), e_hi) + 2
    count = np.where(ok, g_hi - g_lo + 1, 0)
    owner = np.repeat(np.arange(len(bars)), count)
    step = np.arange(owner.size) - np.repeat(np.cumsum(count) - count, count)
    g = g_lo[owner] + step
    e, k = g // 90, g % 90 + 10
    value = np.where(e >= 1, k * _POW10[np.clip(e - 1, 0, 22)], k / _POW10[np.clip(1 - e, 0, 22)])
    p, c = prev[owner], cur[owner]
    up = c > p
    crossed = np.where(up, (p < value) & (value <= c), (p >= value) & (value > c))
    owner, value, k, up = owner[crossed], value[crossed], k[crossed], up[crossed]
    bar = bars[owner]
    offsets = np.zeros(n + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(np.bincount(bar, minlength=n))
    rough = np.where(k % 10 == 0, 1.0, np.where(k % 10 == 5, 0.85, 0.7))
    flags = np.zeros(n, dtype=bool)
    flags[bars[loop]] = True
    return Crossings(
        offsets=offsets,
        level=value,
        roundness=rough,
        beyond=_beyond(close, bar, value, up),
        loop=flags,
    )


def _position(x: FloatArray, e: IntArray) -> IntArray:
    """About the grid position of ``x`` (> 0) in its decade ``e`` (within one of the exact one)."""
    scaled = np.where(e >= 1, x / _POW10[np.clip(e - 1, 0, 22)], x * _POW10[np.clip(1 - e, 0, 22)])
    return np.asarray(90 * e + np.floor(scaled).astype(np.int64) - 10, dtype=np.int64)


def _beyond(close: FloatArray, bar: IntArray, level: FloatArray, up: BoolArray) -> IntArray:
    """For each crossing: the last row before its bar whose close is ``>= level`` (up) or ``< level`` (down)."""
    out = np.full(bar.size, -1, dtype=np.int64)
    offsets = np.arange(-WINDOW, 0)
    for a in range(0, bar.size, _CHUNK):
        b = slice(a, a + _CHUNK)
        rows = bar[b, None] + offsets[None, :]
        values = close[np.maximum(rows, 0)]
        lv = level[b, None]
        with np.errstate(invalid="ignore"):
            hits = np.where(up[b, None], values >= lv, values < lv) & (rows >= 0)
        out[b] = np.where(hits, rows, -1).max(axis=1)
    for i in np.flatnonzero((out < 0) & (bar > WINDOW)).tolist():
        out[i] = beyond_index(close, float(level[i]), bool(up[i]), int(bar[i]) - WINDOW)
    return out


def beyond_index(close: FloatArray, level: float, up: bool, end: int) -> int:
    """The last row before ``end`` whose close is on the new side of ``level`` (-1: none), searched backwards in
    blocks of 512, 4096, ... bars."""
    width = 512
    while end > 0:
        start = max(0, end - width)
        block = close[start:end]
        with np.errstate(invalid="ignore"):
            hits = np.flatnonzero(block >= level if up else block < level)
        if hits.size:
            return start + int(hits[-1])
        end, width = start, width * 8
    return -1
