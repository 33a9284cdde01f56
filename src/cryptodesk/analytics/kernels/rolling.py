"""Rolling indicators over the last *n* observations (rows): SMA, sample standard deviation, σ-distance, RSI.

Also the lazy TA-Lib loader :func:`ta` (TA-Lib computes ``sma`` on series without NaN, and ``rsi``).
"""

from __future__ import annotations

import functools
import sys
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike, NDArray

from cryptodesk.analytics.kernels.arrays import FloatArray, _check_window, as_float


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
