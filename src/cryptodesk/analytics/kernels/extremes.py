"""Highs and lows: a window's extremes (last row or every row), running extremes, drawdown, "highest since".

Windows of ``days`` calendar days end at a row and hold the rows dated ``D - days < date <= D``; ties go to the
earliest row.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import polars as pl
from numpy.typing import ArrayLike

from cryptodesk.analytics.kernels.arrays import DatesLike, FloatArray, IntArray, _check_window, as_dates, as_float

DAYS_52W = 365
"""A '52-week' window, in calendar days."""


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
