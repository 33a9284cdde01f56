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
from datetime import timedelta

import numpy as np

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events._series import DailySeries, fresh_series, subjects
from cryptodesk.events.base import DetectParams, score_from_sigma

WINDOWS_DAYS: tuple[int, ...] = (1, 7)


def daily_sigma(series: DailySeries, window: int) -> tuple[float, int] | None:
    """(σ of daily log returns over the ``window`` days before the latest bar, number of returns), or None."""
    n = len(series)
    i = np.arange(1, max(n - 1, 1))
    days, close = series.days, series.close
    a, b = close[i - 1], close[i]
    with np.errstate(invalid="ignore"):
        ok = (days[i] > days[-1] - window) & (days[i] - days[i - 1] == 1) & (a > 0) & (b > 0)
    if np.count_nonzero(ok) < max(2, window // 2):
        return None
    rets = np.log(b[ok] / a[ok])
    return float(np.std(rets, ddof=1)), len(rets)


def move_event(series: DailySeries, frames: MarketFrames, days: int, sigma: float, n: int) -> Event | None:
    """The ``days``-day move of the latest bar as an event (None if that bar or its start is missing)."""
    end = series.dates[-1]
    i = series.index_of(end - timedelta(days=days))
    if i is None or sigma <= 0:
        return None
    start_value, end_value = float(series.close[i]), float(series.close[-1])
    if start_value <= 0 or end_value <= 0:
        return None
    ret = end_value / start_value - 1.0
    z = math.log(end_value / start_value) / (sigma * math.sqrt(days))
    return Event(
        kind="big_move",
        subject=series.subject,
        metric=f"return_{days}d",
        time=frames.as_of,
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
            event = move_event(series, frames, days, *vol)
            if event is not None and abs(float(event.details["z"])) >= params.move_sigma_min:
                events.append(event)
    return events
