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

Every kernel is importable from this package; each lives in the submodule of its responsibility:

* :mod:`~cryptodesk.analytics.kernels.arrays`    the array type aliases and ``as_float`` / ``as_dates``.
* :mod:`~cryptodesk.analytics.kernels.rolling`   rolling indicators over *n* rows: ``sma``, ``rolling_std``,
  ``sigma_distance``, ``rsi`` (and the TA-Lib loader ``ta``, ``FLAT``).
* :mod:`~cryptodesk.analytics.kernels.changes`   changes over calendar days: ``lookback_index``,
  ``pct_change_days``, ``ytd_base_index``, ``ytd_change``.
* :mod:`~cryptodesk.analytics.kernels.extremes`  highs and lows: ``window_*``, ``extreme_index``,
  ``rolling_extreme_days``, ``drawdown``, ``running_extreme_index``, ``previous_reach_index`` (``DAYS_52W``).
* :mod:`~cryptodesk.analytics.kernels.ranks`     a value's rank in its own history: ``sigma_rarity``,
  ``expanding_counts``, ``expanding_counts_at``.
* :mod:`~cryptodesk.analytics.kernels.volume`    ``trailing_mean_days`` and ``volume_ratio``.
* :mod:`~cryptodesk.analytics.kernels.swings`    zigzag swings: ``Pivot``, ``zigzag``, ``last_swings``.
* :mod:`~cryptodesk.analytics.kernels.replay`    row-subset-independent kernels for replays: ``log_return_sigma``,
  ``daily_cadence_flags``.
"""

from __future__ import annotations

from cryptodesk.analytics.kernels.arrays import DateArray, DatesLike, FloatArray, IntArray, as_dates, as_float
from cryptodesk.analytics.kernels.changes import lookback_index, pct_change_days, ytd_base_index, ytd_change
from cryptodesk.analytics.kernels.extremes import (
    DAYS_52W,
    WindowExtreme,
    drawdown,
    extreme_index,
    previous_reach_index,
    rolling_extreme_days,
    running_extreme_index,
    window_extreme_index,
    window_extremes,
    window_high_low,
    window_start_index,
)
from cryptodesk.analytics.kernels.ranks import ExpandingCounts, expanding_counts, expanding_counts_at, sigma_rarity
from cryptodesk.analytics.kernels.replay import daily_cadence_flags, log_return_sigma
from cryptodesk.analytics.kernels.rolling import FLAT, rolling_std, rsi, sigma_distance, sma, ta
from cryptodesk.analytics.kernels.swings import DEFAULT_SWING_THRESHOLD, Pivot, last_swings, zigzag
from cryptodesk.analytics.kernels.volume import trailing_mean_days, volume_ratio

__all__ = [
    "DAYS_52W",
    "DEFAULT_SWING_THRESHOLD",
    "FLAT",
    "DateArray",
    "DatesLike",
    "ExpandingCounts",
    "FloatArray",
    "IntArray",
    "Pivot",
    "WindowExtreme",
    "as_dates",
    "as_float",
    "daily_cadence_flags",
    "drawdown",
    "expanding_counts",
    "expanding_counts_at",
    "extreme_index",
    "last_swings",
    "log_return_sigma",
    "lookback_index",
    "pct_change_days",
    "previous_reach_index",
    "rolling_extreme_days",
    "rolling_std",
    "rsi",
    "running_extreme_index",
    "sigma_distance",
    "sigma_rarity",
    "sma",
    "ta",
    "trailing_mean_days",
    "volume_ratio",
    "window_extreme_index",
    "window_extremes",
    "window_high_low",
    "window_start_index",
    "ytd_base_index",
    "ytd_change",
    "zigzag",
]
