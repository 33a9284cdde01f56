"""Kernels for replays: each requested row's value is the same whichever other rows are asked for.

The σ of daily log returns over a calendar window and the daily-cadence flags, for a replay (every row at once) and
a single as-of (the last row) alike.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from cryptodesk.analytics.kernels.arrays import FloatArray, IntArray, _check_window, as_float


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
