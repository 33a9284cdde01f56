"""Pure per-series kernels shared by every analytics engine.

Every kernel takes plain arrays (numpy arrays, Polars series or anything
``np.asarray`` accepts) and returns numpy arrays or small scalars; none of them
knows about frames, assets, sources or time zones. A later engine (e.g. Spark
pandas UDFs) calls the same functions on the same kind of arrays.

Conventions:

* ``values`` are float series in time order, one element per daily observation
  (a *row*, not a calendar day). Missing values are ``NaN``.
* ``dates`` are ``datetime64[D]`` arrays, strictly increasing, aligned with
  ``values``. Kernels that speak of *days* use these calendar dates; kernels
  that speak of *n observations* (``sma``, ``rolling_std``, ``rsi``) count rows.
* A result that cannot be computed (too little history, a ``NaN`` inside the
  window) is ``NaN`` in arrays and ``None`` for index lookups.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

import numpy as np
import polars as pl
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
DateArray = NDArray[np.datetime64]
DatesLike = ArrayLike | Sequence[date]
"""Calendar days: a ``datetime64`` array, a Polars Date series or a list of ``datetime.date``."""

DAYS_52W = 365
"""A '52-week' window, in calendar days."""
DEFAULT_SWING_THRESHOLD = 0.10
"""Default zigzag reversal threshold: a move of 10% against the current leg."""


@functools.cache
def ta() -> Any:
    """The TA-Lib module, imported on first use, and without pandas.

    TA-Lib imports pandas (most of a second) only to accept pandas Series; these kernels pass numpy arrays, so
    pandas is hidden while TA-Lib loads when nothing has imported it yet (it stays importable afterwards).
    """
    hidden = "pandas" not in sys.modules
    if hidden:
        sys.modules["pandas"] = None  # type: ignore[assignment]  # makes `import pandas` fail inside TA-Lib only
    try:
        import talib
    finally:
        if hidden:
            del sys.modules["pandas"]
    return talib


def as_float(values: ArrayLike) -> FloatArray:
    """``values`` as a 1-D float64 array (nulls become NaN)."""
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D series, got an array of shape {arr.shape}")
    return arr


def as_dates(dates: DatesLike) -> DateArray:
    """``dates`` as a 1-D ``datetime64[D]`` array."""
    arr = np.asarray(dates).astype("datetime64[D]")
    if arr.ndim != 1:
        raise ValueError(f"expected a 1-D date series, got an array of shape {arr.shape}")
    return arr


def _check_window(n: int, name: str = "n") -> None:
    if n < 1:
        raise ValueError(f"{name} must be a positive window length, got {n}")


def _rolling(values: ArrayLike, n: int) -> tuple[FloatArray, NDArray[Any]]:
    """The float series and its length-``n`` sliding windows (one per complete window)."""
    _check_window(n)
    x = as_float(values)
    if len(x) < n:
        return x, np.empty((0, n))
    return x, sliding_window_view(x, n)


FLAT = 1e-10
"""A window whose standard deviation is at most ``FLAT`` times its mean's magnitude is flat: floating-point
noise (numpy gives ~1e-14, not 0, for a constant window), so no σ-distance is defined there."""


def sma(values: ArrayLike, n: int) -> FloatArray:
    """Simple moving average of the last ``n`` observations, aligned with ``values``.

    The first ``n - 1`` elements are NaN, and so is any window holding a NaN.
    A series without NaN goes through TA-Lib's ``SMA`` (the same numbers to ~1e-13, ten times faster).
    """
    arr = as_float(values)
    if n >= 2 and len(arr) >= n and not np.isnan(arr).any():
        return np.asarray(ta().SMA(arr, timeperiod=n), dtype=np.float64)
    x, win = _rolling(arr, n)
    out = np.full(len(x), np.nan)
    if len(win):
        out[n - 1 :] = win.mean(axis=1)
    return out


def rolling_std(values: ArrayLike, n: int) -> FloatArray:
    """Rolling **sample** standard deviation (``ddof=1``) of the last ``n`` observations.

    Same alignment and NaN rules as :func:`sma`; ``n`` must be at least 2.
    """
    if n < 2:
        raise ValueError(f"n must be at least 2 for a sample standard deviation, got {n}")
    x, win = _rolling(values, n)
    out = np.full(len(x), np.nan)
    if len(win):
        out[n - 1 :] = win.std(axis=1, ddof=1)
    return out


def sigma_distance(close: ArrayLike, n: int = 50) -> FloatArray:
    """Distance of each close from its ``n``-observation SMA, in rolling sample standard deviations.

    ``(close - sma(close, n)) / rolling_std(close, n)``; both statistics cover the
    same window, which includes the close itself. NaN where undefined or where
    the window is flat (std at most :data:`FLAT` times the mean's magnitude).
    """
    x = as_float(close)
    mean = sma(x, n)
    std = rolling_std(x, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (x - mean) / std
    out[~np.isfinite(out) | ~(std > FLAT * np.abs(mean))] = np.nan
    return out


def rsi(values: ArrayLike, n: int = 14) -> FloatArray:
    """Wilder's Relative Strength Index, computed by TA-Lib (``talib.RSI``).

    The first ``n`` elements are NaN. TA-Lib seeds Wilder's smoothing with the
    first ``n`` changes, so values depend (slightly, fading) on where the series
    starts. A NaN inside the series makes the rest NaN (TA-Lib semantics).
    """
    _check_window(n)
    x = as_float(values)
    if len(x) <= n:
        return np.full(len(x), np.nan)
    return np.asarray(ta().RSI(x, timeperiod=n), dtype=np.float64)


def lookback_index(dates: DatesLike, days: int, *, tolerance: int | None = None) -> IntArray:
    """For each row, the index of the row dated ``days`` calendar days earlier.

    If no row has exactly that date, the latest row *before* it is used (a gap
    never pulls the start forward, which would shorten the window). With
    ``tolerance``, that row must be at most ``tolerance`` days before the target
    date. ``-1`` where no row qualifies.
    """
    d = as_dates(dates)
    targets = d - np.timedelta64(days, "D")
    idx = np.searchsorted(d, targets, side="right").astype(np.int64) - 1
    return _within(d, idx, targets, tolerance)


def pct_change_days(dates: DatesLike, values: ArrayLike, days: int, *, tolerance: int | None = None) -> FloatArray:
    """Change of each value against the value ``days`` calendar days earlier (see :func:`lookback_index`).

    A fraction (0.213 = +21.3%); NaN where no earlier row qualifies.
    """
    return _change_from(as_float(values), lookback_index(dates, days, tolerance=tolerance))


def ytd_base_index(dates: DatesLike, *, tolerance: int | None = None) -> IntArray:
    """For each row, the index of the last row of the previous calendar year (``-1`` if none).

    With ``tolerance``, that row must be dated at most ``tolerance`` days before 31 December.
    """
    d = as_dates(dates)
    year_start = d.astype("datetime64[Y]").astype("datetime64[D]")
    idx = np.searchsorted(d, year_start, side="left").astype(np.int64) - 1
    year_end: DateArray = (year_start - np.timedelta64(1, "D")).astype("datetime64[D]")
    return _within(d, idx, year_end, tolerance)


def ytd_change(dates: DatesLike, values: ArrayLike, *, tolerance: int | None = None) -> FloatArray:
    """Year-to-date change of each value against the last close of the previous calendar year."""
    return _change_from(as_float(values), ytd_base_index(dates, tolerance=tolerance))


def _within(d: DateArray, idx: IntArray, targets: DateArray, tolerance: int | None) -> IntArray:
    """``idx`` with -1 wherever the row found is more than ``tolerance`` days before its target."""
    if tolerance is None or len(d) == 0:
        return idx
    found = d[np.maximum(idx, 0)]
    return np.where((idx >= 0) & (targets - found <= np.timedelta64(tolerance, "D")), idx, -1).astype(np.int64)


def _change_from(x: FloatArray, idx: IntArray) -> FloatArray:
    """``x / x[idx] - 1`` with NaN where ``idx`` is -1 or the base is not positive."""
    out = np.full(len(x), np.nan)
    ok = idx >= 0
    base = x[idx[ok]]
    with np.errstate(divide="ignore", invalid="ignore"):
        out[ok] = np.where(base > 0, x[ok] / base - 1.0, np.nan)
    return out


def window_start_index(dates: DatesLike, days: int | None) -> int:
    """Index of the first row in the window of ``days`` calendar days ending at the last row.

    The window holds the rows dated ``last - days < date <= last`` (``days`` days
    including the last one); ``None`` means the whole series.
    """
    d = as_dates(dates)
    if days is None or len(d) == 0:
        return 0
    _check_window(days, "days")
    return int(np.searchsorted(d, d[-1] - np.timedelta64(days, "D"), side="right"))


def extreme_index(values: ArrayLike, start: int = 0, *, mode: str = "max") -> int | None:
    """Index of the highest (``mode='max'``) or lowest (``'min'``) non-NaN value at or after ``start``.

    Ties go to the earliest occurrence. ``None`` when the range has no values.
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    x = as_float(values)[start:]
    if not np.isfinite(x).any():
        return None
    pos = np.nanargmax(x) if mode == "max" else np.nanargmin(x)
    return start + int(pos)


def window_high_low(dates: DatesLike, values: ArrayLike, days: int | None) -> tuple[int | None, int | None]:
    """Indices of the high and the low within the last ``days`` calendar days (``None`` = all history).

    See :func:`window_start_index` for the window and :func:`extreme_index` for ties.
    """
    start = window_start_index(dates, days)
    return extreme_index(values, start, mode="max"), extreme_index(values, start, mode="min")


class WindowExtreme(NamedTuple):
    """A window's high or low: its value, its day and its row (index into the series)."""

    value: float
    date: np.datetime64
    row: int


def window_extremes(
    dates: DatesLike, values: ArrayLike, days: int | None
) -> tuple[WindowExtreme | None, WindowExtreme | None]:
    """The high and the low (value, date, index) of the last ``days`` calendar days; ``None`` days = all history.

    Same window and tie rules as :func:`window_high_low` (e.g. ``days=DAYS_52W``
    for the 52-week high and low).
    """
    d, x = as_dates(dates), as_float(values)
    hi, lo = window_high_low(d, x, days)
    return (
        None if hi is None else WindowExtreme(float(x[hi]), d[hi], hi),
        None if lo is None else WindowExtreme(float(x[lo]), d[lo], lo),
    )


def rolling_extreme_days(dates: DatesLike, values: ArrayLike, days: int, *, mode: str = "max") -> FloatArray:
    """For each row, the highest (``'max'``) or lowest (``'min'``) value of the ``days`` calendar days ending there.

    The window of the row dated D holds the rows dated ``D - days < date <= D``
    (the same window as :func:`window_start_index`); NaN values are skipped.
    Array-out companion of :func:`window_extremes`, e.g. to flag each day that
    set a 52-week high (``values >= rolling_extreme_days(dates, values, 365)``).
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    _check_window(days, "days")
    d, x = as_dates(dates), as_float(values)
    if len(x) == 0:
        return x
    frame = pl.DataFrame({"d": pl.Series(d).cast(pl.Date), "v": pl.Series(x).fill_nan(None)})
    v = pl.col("v")
    expr = (v.rolling_max_by if mode == "max" else v.rolling_min_by)("d", window_size=f"{days}d", min_samples=1)
    return frame.select(expr).to_series().fill_null(np.nan).to_numpy().astype(np.float64)


def drawdown(values: ArrayLike) -> FloatArray:
    """Each value's distance below the running maximum so far (0 at a new high, -0.25 = 25% below).

    NaN values are skipped by the running maximum and stay NaN in the result.
    """
    x = as_float(values)
    peak = np.fmax.accumulate(x) if len(x) else x
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(peak > 0, x / peak - 1.0, np.nan)


def trailing_mean_days(dates: DatesLike, values: ArrayLike, days: int = 30, *, min_count: int = 15) -> FloatArray:
    """For each row dated D, the mean of the values dated ``D - days <= date <= D - 1``.

    The window is the ``days`` calendar days **before** the row (the row itself is
    excluded, so today's surge does not raise its own baseline). NaN values are
    skipped; NaN when fewer than ``min_count`` values fall in the window.
    """
    _check_window(days, "days")
    d = as_dates(dates)
    x = as_float(values)
    n = len(x)
    if n == 0:
        return np.full(0, np.nan)
    # Sum each window directly (not as a difference of prefix sums, which loses digits when values
    # collapse by orders of magnitude). With one row per date a window holds at most ``days`` rows.
    lo = np.searchsorted(d, d - np.timedelta64(days, "D"), side="left")
    hi = np.searchsorted(d, d, side="left")
    width = int(np.max(hi - lo)) if n else 0
    if width == 0:
        return np.full(n, np.nan)
    padded = np.concatenate((np.full(width, np.nan), x))
    rows = sliding_window_view(padded, width)[:n]  # row i: the ``width`` values before i
    offsets = np.arange(width)[None, :] + (np.arange(n) - width)[:, None]
    mask = (offsets >= lo[:, None]) & (offsets < hi[:, None]) & np.isfinite(rows)
    count = mask.sum(axis=1)
    total = np.where(mask, rows, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(count >= max(min_count, 1), total / count, np.nan)


def volume_ratio(dates: DatesLike, volume: ArrayLike, days: int = 30, *, min_count: int = 15) -> FloatArray:
    """Each day's volume divided by the mean volume of the ``days`` calendar days before it.

    See :func:`trailing_mean_days` for the baseline; NaN where it is undefined or 0.
    """
    v = as_float(volume)
    base = trailing_mean_days(dates, v, days, min_count=min_count)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(base > 0, v / base, np.nan)


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


def sigma_rarity(sigma: ArrayLike) -> float | None:
    """Share of the history whose σ-distance was at least as extreme as the last one, on the same side.

    With ``s`` the last finite value: the share of finite values ``>= s`` when
    ``s >= 0``, or ``<= s`` when ``s < 0``. The last value counts itself, so the
    result is in ``(0, 1]``; 0.02 means only 2% of days were that stretched.
    ``None`` when the last value is NaN.
    """
    x = as_float(sigma)
    if len(x) == 0 or not np.isfinite(x[-1]):
        return None
    hist = x[np.isfinite(x)]
    s = x[-1]
    hits = np.count_nonzero(hist >= s) if s >= 0 else np.count_nonzero(hist <= s)
    return float(hits / len(hist))


class ExpandingCounts(NamedTuple):
    """Per row ``i``, counts over the finite values of the rows before it (``j < i``).

    ``valid``: how many are finite; ``at_least`` / ``at_most``: how many are ``>= values[i]`` / ``<= values[i]``
    (0 where ``values[i]`` is not finite).
    """

    valid: IntArray
    at_least: IntArray
    at_most: IntArray


def expanding_counts(values: ArrayLike) -> ExpandingCounts:
    """For every row, how many earlier finite values are at least / at most as large (see :class:`ExpandingCounts`).

    The empirical rank of each value in its own history, for every row at once, in O(n log² n) numpy work (a merge
    sort tree: at level ``k`` the prefix ``[0, i)`` contributes the sorted block of size ``2^k`` that bit ``k`` of
    ``i`` selects, searched by binary search). Equal values count on both sides. What :func:`sigma_rarity` computes
    for the last row of a series, this gives for each row of it (``sigma_rarity`` of ``values[: i + 1]``).
    """
    x = as_float(values)
    n = len(x)
    finite = np.isfinite(x)
    valid = np.concatenate(([0], np.cumsum(finite)[:-1])).astype(np.int64) if n else np.zeros(0, np.int64)
    at_least = np.zeros(n, np.int64)
    at_most = np.zeros(n, np.int64)
    if n < 2 or not finite.any():
        return ExpandingCounts(valid, at_least, at_most)
    # Dense ranks of the finite values (ties share a rank); non-finite rows get a rank that never matches.
    order = np.argsort(np.where(finite, x, np.inf), kind="stable")
    sorted_x = x[order]
    new = np.concatenate(([True], sorted_x[1:] != sorted_x[:-1]))
    rank = np.empty(n, np.int64)
    rank[order] = np.cumsum(new) - 1
    levels = max(1, int(n - 1).bit_length())
    span = int(rank.max()) + 2
    pos = np.arange(n, dtype=np.int64)
    query = np.flatnonzero(finite)
    q_rank = rank[query]
    for k in range(levels):
        size = 1 << k
        block = pos >> k
        keyed = np.where(finite, block * span + rank, block * span + span - 1)
        tree = np.sort(keyed)  # every block of the level sorted by rank; blocks in order
        use = ((query >> k) & 1) == 1  # bit k of i set: the block just before (i >> k) << k is in [0, i)
        b = (query[use] >> k) - 1
        lo = b * span
        first_ge = np.searchsorted(tree, lo + q_rank[use], side="left")
        first_gt = np.searchsorted(tree, lo + q_rank[use], side="right")
        end_finite = np.searchsorted(tree, lo + span - 1, side="left")  # past the block's finite values
        start = np.minimum(b * size, n)
        at_least[query[use]] += end_finite - first_ge
        at_most[query[use]] += first_gt - start
    return ExpandingCounts(valid, at_least, at_most)


def running_extreme_index(values: ArrayLike, *, mode: str = "max") -> IntArray:
    """For each row, the index of the highest (``'max'``) or lowest value so far (first occurrence; -1 before any).

    NaN values are skipped. ``running_extreme_index(x)[i]`` is ``extreme_index(x[: i + 1])``.
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    x = as_float(values)
    if len(x) == 0:
        return np.zeros(0, np.int64)
    y = np.where(np.isfinite(x), x if mode == "max" else -x, -np.inf)
    best = np.maximum.accumulate(y)
    prev = np.concatenate(([-np.inf], best[:-1]))
    new = (y > prev) & np.isfinite(y)
    idx = np.maximum.accumulate(np.where(new, np.arange(len(x)), -1))
    return idx.astype(np.int64)


def window_extreme_index(dates: DatesLike, values: ArrayLike, days: int, *, mode: str = "max") -> IntArray:
    """For each row, the index of the high (``'max'``) or low of the ``days`` calendar days ending there.

    The window of the row dated D holds the rows dated ``D - days < date <= D`` (as :func:`window_start_index`);
    ties go to the earliest row and NaN values are skipped (-1 when the window has none).
    ``window_extreme_index(d, x, days)[i]`` is ``window_high_low(d[: i + 1], x[: i + 1], days)``'s index.
    Sparse table of range extremes: O(n log n).
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    _check_window(days, "days")
    d, x = as_dates(dates), as_float(values)
    n = len(x)
    if n == 0:
        return np.zeros(0, np.int64)
    y = np.where(np.isfinite(x), x if mode == "max" else -x, -np.inf)
    lo = np.searchsorted(d, d - np.timedelta64(days, "D"), side="right").astype(np.int64)
    hi = np.arange(n, dtype=np.int64)
    table = [hi.copy()]
    k = 1
    while (1 << k) <= n:
        prev = table[-1]
        half = 1 << (k - 1)
        a = prev[: n - (1 << k) + 1]
        b = prev[half : half + len(a)]
        table.append(np.where(y[b] > y[a], b, a))  # ties: a (the earlier block) wins
        k += 1
    length = hi - lo + 1
    level = np.floor(np.log2(length)).astype(np.int64)
    out = np.empty(n, np.int64)
    for k in np.unique(level):
        rows = np.flatnonzero(level == k)
        a = table[k][lo[rows]]
        b = table[k][hi[rows] - (1 << int(k)) + 1]
        out[rows] = np.where(y[b] > y[a], b, a)
    return np.where(np.isfinite(y[out]), out, -1).astype(np.int64)


def previous_reach_index(values: ArrayLike, *, mode: str = "max") -> IntArray:
    """For each row ``i``, the last row ``j < i`` whose value is at least (``'max'``) or at most (``'min'``) ``x[i]``.

    -1 where there is none or ``x[i]`` is NaN; NaN values never qualify. "Highest since": the day after row
    ``previous_reach_index(x)[i]`` starts the run of lower values that row ``i`` tops. Binary lifting over a sparse
    table of range maxima: O(n log n) for every row at once.
    """
    if mode not in ("max", "min"):
        raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
    x = as_float(values)
    n = len(x)
    if n == 0:
        return np.zeros(0, np.int64)
    y = np.where(np.isfinite(x), x if mode == "max" else -x, -np.inf)
    # table[k][p] = max(y[p - 2^k + 1 .. p]) for p >= 2^k - 1 (windows ending at p)
    table = [y]
    k = 1
    while (1 << k) <= n:
        prev, half = table[-1], 1 << (k - 1)
        cur = np.full(n, -np.inf)
        cur[(1 << k) - 1 :] = np.maximum(prev[(1 << k) - 1 :], prev[half - 1 : n - half])
        table.append(cur)
        k += 1
    pos = np.arange(n, dtype=np.int64) - 1  # the candidate: everything after pos (up to i - 1) is below x[i]
    target = y
    for level in range(len(table) - 1, -1, -1):
        step = 1 << level
        movable = pos - step + 1 >= 0
        p = np.maximum(pos, 0)
        below = movable & (table[level][p] < target)
        pos = np.where(below, pos - step, pos)
    found = (pos >= 0) & (y[np.maximum(pos, 0)] >= target) & np.isfinite(target)
    return np.where(found, pos, -1).astype(np.int64)


def log_return_sigma(days: ArrayLike, close: ArrayLike, window: int, rows: ArrayLike) -> tuple[FloatArray, IntArray]:
    """For each of ``rows``: the sample σ (ddof=1) of the daily log returns dated within the ``window`` days before it.

    The returns of row ``r``'s window are ``ln(close[i] / close[i - 1])`` for the rows ``i < r`` dated after
    ``days[r] - window`` whose previous row is the calendar day before (``days[i] - days[i - 1] == 1``), both closes
    positive; the return ending at row ``r`` itself is excluded. Returns (σ, number of returns); σ is NaN with fewer
    than two. Each row's value is computed the same way whichever other rows are asked for (a replay asks for all
    rows once, a single as-of for the last).
    """
    d = np.asarray(days, dtype=np.int64)
    x = as_float(close)
    r = np.asarray(rows, dtype=np.int64)
    n = len(x)
    _check_window(window, "window")
    prev = np.concatenate(([np.nan], x[:-1])) if n else x
    prev_day = np.concatenate(([d[0] - 2], d[:-1])) if n else d
    with np.errstate(invalid="ignore"):
        valid = (d - prev_day == 1) & (prev > 0) & (x > 0)
    rets = np.log(np.divide(x, prev, out=np.ones(n), where=valid))  # 0 where not a valid return
    # Row r looks at i in [r - window, r - 1] (days distinct and increasing: older rows are outside the window).
    offsets = np.arange(-window, 0, dtype=np.int64)
    i = r[:, None] + offsets[None, :]
    inside = i >= 1
    ic = np.clip(i, 0, max(n - 1, 0))
    mask = inside & valid[ic] & (d[ic] > (d[r] - window)[:, None])
    values = np.where(mask, rets[ic], 0.0)
    count = mask.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = values.sum(axis=1) / count
        dev = np.where(mask, values - mean[:, None], 0.0)
        sigma = np.sqrt((dev * dev).sum(axis=1) / (count - 1))
    return np.where(count >= 2, sigma, np.nan), count.astype(np.int64)


def daily_cadence_flags(days: ArrayLike, bars: int = 10, max_gap: int = 2) -> IntArray:
    """For each row: 1 when the median gap between the last ``bars + 1`` bars up to it is at most ``max_gap`` days.

    The median of an even number of gaps is the upper middle one (``sorted(gaps)[len(gaps) // 2]``); a row with no
    earlier bar counts as daily. Integer arithmetic, so any subset of rows gives the same flags.
    """
    d = np.asarray(days, dtype=np.int64)
    n = len(d)
    out = np.ones(n, dtype=np.int64)
    if n < 2:
        return out
    gaps = np.diff(d)
    for r in range(1, min(n, bars)):  # fewer than `bars` gaps so far
        g = np.sort(gaps[:r])
        out[r] = int(g[len(g) // 2] <= max_gap)
    if n > bars:
        windows = np.sort(sliding_window_view(gaps, bars), axis=1)
        out[bars:] = (windows[:, bars // 2] <= max_gap).astype(np.int64)
    return out


def expanding_counts_at(values: ArrayLike, first: int) -> ExpandingCounts:
    """:func:`expanding_counts` for the rows from ``first`` on (earlier rows get 0 counts): the same numbers.

    A replay that only reads the latest rows of a long history asks for those; a few rows are counted directly
    (``rows x history`` comparisons), many through the merge sort tree.
    """
    x = as_float(values)
    n = len(x)
    first = max(0, min(first, n))
    if (n - first) * n > 4_000_000 or first == 0:
        return expanding_counts(x)
    finite = np.isfinite(x)
    valid = np.concatenate(([0], np.cumsum(finite)[:-1])).astype(np.int64) if n else np.zeros(0, np.int64)
    at_least = np.zeros(n, np.int64)
    at_most = np.zeros(n, np.int64)
    rows = np.arange(first, n)
    before = np.arange(n)[None, :] < rows[:, None]  # j < i
    past = np.where(finite, x, np.nan)[None, :]
    current = x[rows][:, None]
    with np.errstate(invalid="ignore"):
        at_least[rows] = np.count_nonzero(before & (past >= current), axis=1)
        at_most[rows] = np.count_nonzero(before & (past <= current), axis=1)
    at_least[rows[~finite[rows]]] = 0
    at_most[rows[~finite[rows]]] = 0
    return ExpandingCounts(valid, at_least, at_most)
