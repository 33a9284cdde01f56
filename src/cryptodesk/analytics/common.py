"""Small helpers shared by :mod:`asof` and :mod:`market`: window changes, the as-of cut, conversions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.types import WINDOWS, Change

WINDOW_DAYS: dict[str, int] = {"1d": 1, "7d": 7, "30d": 30, "1y": 365}
"""Calendar-day length of each fixed window in :data:`WINDOWS` (``ytd`` is measured from the year's start)."""
MAX_STALE_DAYS = 7
"""A window's start close may be at most this many days older than the date it stands for."""


def window_changes(dates: np.ndarray, values: np.ndarray) -> dict[str, Change]:
    """The :data:`WINDOWS` changes of the last value of a daily series.

    Each window compares the last value with the value 1/7/30/365 calendar days
    earlier (the latest one before that date if it is missing, but no more than
    :data:`MAX_STALE_DAYS` older; see :func:`kernels.lookback_index`) or with
    the last value of the previous calendar year (``ytd``, same limit before 31
    December). Windows without such an earlier positive value are left out.
    """
    out: dict[str, Change] = {}
    if len(values) == 0:
        return out
    for window in WINDOWS:
        if window == "ytd":
            lookup = k.ytd_base_index(dates, tolerance=MAX_STALE_DAYS)
        else:
            lookup = k.lookback_index(dates, WINDOW_DAYS[window], tolerance=MAX_STALE_DAYS)
        idx = int(lookup[-1])
        if idx < 0 or idx == len(values) - 1 or not values[idx] > 0:
            continue
        out[window] = Change(
            window=window,
            pct=float(values[-1] / values[idx] - 1.0),
            start_value=float(values[idx]),
            start_date=to_date(dates[idx]),
            end_value=float(values[-1]),
            end_date=to_date(dates[-1]),
        )
    return out


def known(df: pl.DataFrame, as_of: datetime) -> pl.DataFrame:
    """Rows of a daily frame known at ``as_of`` (a null ``available_at`` counts as the end of the row's UTC day)."""
    end_of_day = pl.col("date").cast(pl.Datetime("us", "UTC")) + pl.duration(days=1)
    return df.filter(pl.coalesce(pl.col("available_at"), end_of_day) <= as_of)


def one_per_date(df: pl.DataFrame) -> pl.DataFrame:
    """Sorted by date, keeping the last row of each date."""
    return df.sort("date").unique("date", keep="last", maintain_order=True)


def to_date(d: np.datetime64) -> date:
    """A numpy day as a ``datetime.date``."""
    return date.fromisoformat(str(d.astype("datetime64[D]")))


def utc(ts: datetime) -> datetime:
    """An aware UTC datetime (naive values are taken as UTC)."""
    return ts.replace(tzinfo=UTC) if ts.tzinfo is None else ts.astimezone(UTC)


def finite(v: object) -> float | None:
    """``v`` as a float when it is a finite number, else None."""
    if isinstance(v, bool) or not isinstance(v, int | float):
        return None
    return float(v) if np.isfinite(v) else None


def last_finite(arr: np.ndarray) -> float | None:
    """The last element as a float, or None when the array is empty or it is NaN."""
    return finite(float(arr[-1])) if len(arr) else None
