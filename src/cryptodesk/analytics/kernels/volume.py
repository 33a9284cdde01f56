"""Volume against its baseline: the trailing calendar-day mean and each day's ratio to it."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from cryptodesk.analytics.kernels.arrays import DatesLike, FloatArray, _check_window, as_dates, as_float


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
