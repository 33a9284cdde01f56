"""Big daily or weekly moves, measured in the subject's own volatility.

Daily volatility σ is the sample standard deviation of daily log returns
``ln(close_d / close_{d-1})`` (consecutive calendar days only) over the
``params.vol_window`` days before the latest bar; the latest bar's own return is
excluded, so the move is judged against what was known before it. At least half
the window must have returns.

* ``return_1d``: the latest close vs the previous day's close; ``z = ln(1+r) / σ``.
* ``return_7d``: the latest close vs the close 7 days earlier; ``z = ln(1+r) / (σ·√7)``.

An event is emitted when ``|z| >= params.move_sigma_min``; direction is 'up' or
'down', ``value`` is the simple return (a fraction) and the score is
``score_from_sigma(z)``.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import numpy as np

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events._series import BoolArray, DailySeries, FloatArray, IntArray, fresh_series, subjects
from cryptodesk.events.base import DetectParams, score_from_sigma

WINDOWS_DAYS: tuple[int, ...] = (1, 7)


def daily_sigma(series: DailySeries, window: int) -> tuple[float, int] | None:
    """(σ of daily log returns over the ``window`` days before the latest bar, number of returns), or None.

    See :func:`cryptodesk.analytics.kernels.log_return_sigma`; at least half the window must have returns.
    """
    n = len(series)
    if n == 0:
        return None
    if series.whole is None:
        sigma, count = k.log_return_sigma(series.days, series.close, window, [n - 1])
        s, c = float(sigma[0]), int(count[0])
    else:
        s, c = _replayed_sigma_at(series, window, n - 1)
    if c < max(2, window // 2):
        return None
    return s, c


def _sigmas(series: DailySeries, window: int) -> tuple[FloatArray, IntArray]:
    """σ and return counts of every bar of a replay's full series from its ``first_row`` on (NaN and 0 before)."""
    return _spread(len(series), *_sigma_rows(series, window))


def _sigma_rows(series: DailySeries, window: int) -> tuple[int, FloatArray, IntArray]:
    """σ and return counts of a replay's full series from its ``first_row`` on only, and that row (a live day's
    series reads its last few bars of ten years: the earlier ones are never computed, so they are not kept)."""
    n = len(series)
    first = min(series.first_row, n)
    sigma, count = k.log_return_sigma(series.days, series.close, window, np.arange(first, n))
    return first, sigma, count


def _spread(n: int, first: int, sigma: FloatArray, count: IntArray) -> tuple[FloatArray, IntArray]:
    """The first ``n`` bars of rows given from bar ``first`` on, with NaN and 0 before it."""
    full_sigma, full_count = np.full(n, np.nan), np.zeros(n, np.int64)
    if n > first:
        full_sigma[first:], full_count[first:] = sigma[: n - first], count[: n - first]
    return full_sigma, full_count


def _replayed_rows(series: DailySeries, window: int) -> tuple[int, FloatArray, IntArray]:
    """:func:`_sigma_rows` of the full series ``series`` is a prefix of (computed once)."""
    assert series.whole is not None
    return series.whole.value(("move_sigmas", window), lambda w: _sigma_rows(w, window))


def _replayed_sigma_at(series: DailySeries, window: int, i: int) -> tuple[float, int]:
    """Bar ``i``'s σ and return count from the full series ``series`` is a prefix of (NaN and 0 before its first
    row, as :func:`_sigmas`)."""
    first, sigma, count = _replayed_rows(series, window)
    return (float(sigma[i - first]), int(count[i - first])) if i >= first else (math.nan, 0)


def _replayed_sigmas(series: DailySeries, window: int) -> tuple[FloatArray, IntArray]:
    """:func:`_sigmas` of the full series ``series`` is a prefix of, cut to its length."""
    return _spread(len(series), *_replayed_rows(series, window))


def move_event(
    series: DailySeries, as_of: datetime, days: int, sigma: float, n: int, *, min_sigma: float = 0.0
) -> Event | None:
    """The ``days``-day move of the latest bar as an event (None if that bar or its start is missing, or the move is
    under ``min_sigma`` σ)."""
    end = series.dates[-1]
    i = series.index_of(end - timedelta(days=days))
    if i is None or sigma <= 0:
        return None
    start_value, end_value = float(series.close[i]), float(series.close[-1])
    if start_value <= 0 or end_value <= 0:
        return None
    ret = end_value / start_value - 1.0
    z = math.log(end_value / start_value) / (sigma * math.sqrt(days))
    if abs(z) < min_sigma:
        return None
    return Event(
        kind="big_move",
        subject=series.subject,
        metric=f"return_{days}d",
        time=as_of,
        score=score_from_sigma(z),
        direction="up" if ret > 0 else "down",
        value=ret,
        details={
            "window": f"{days}d",
            "return": ret,
            "z": z,
            "sigma_daily": sigma,
            "sigma_window_days": n,
            "start_date": series.dates[i],
            "start_value": start_value,
            "end_date": end,
            "end_value": end_value,
            "source": series.source,
        },
    )


def detect_moves(frames: MarketFrames, _analysis: Analysis, params: DetectParams) -> list[Event]:
    """Daily and weekly moves of at least ``params.move_sigma_min`` σ (see module docstring)."""
    events: list[Event] = []
    for subject in subjects(frames):
        if not params.wants(subject):
            continue
        series = fresh_series(frames, subject, params.max_stale_days)
        vol = daily_sigma(series, params.vol_window) if series is not None else None
        if series is None or vol is None:
            continue
        for days in WINDOWS_DAYS:
            event = move_event(series, frames.as_of, days, *vol, min_sigma=params.move_sigma_min)
            if event is not None:
                events.append(event)
    return events


def move_rows(series: DailySeries, window: int, min_sigma: float) -> BoolArray:
    """Per bar of a whole series: whether a move event may be due if it is the latest (a replay's prefilter).

    The σ of :func:`daily_sigma` and the 1- and 7-day log returns of :func:`move_event`, for every bar; generous by
    a relative 1e-9 on ``min_sigma``.
    """
    n = len(series)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    sigma, count = _replayed_sigmas(series, window) if series.whole is not None else _sigmas(series, window)
    enough = (count >= max(2, window // 2)) & (sigma > 0)
    close, days = series.close, series.days
    for d in WINDOWS_DAYS:
        j = series.positions(days - d)
        base = close[np.maximum(j, 0)]
        with np.errstate(invalid="ignore", divide="ignore"):
            z = np.log(close / base) / (sigma * math.sqrt(d))
            out |= enough & (j >= 0) & (base > 0) & (close > 0) & (np.abs(z) >= min_sigma * (1 - 1e-9))
    return out
