"""Changes over calendar days: the row a given number of days back, and the change against it (and year to date)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from cryptodesk.analytics.kernels.arrays import DateArray, DatesLike, FloatArray, IntArray, as_dates, as_float


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
