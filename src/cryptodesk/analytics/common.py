"""Definitions and small helpers shared by the analytics modules: windows, the as-of cut, names, conversions."""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Concatenate, ParamSpec, TypeVar

import numpy as np
import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.types import WINDOWS, Change
from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.frames import MarketFrames, derived

SMA_SHORT = 50
"""Observations in the short simple moving average (and in the window of the σ-distance)."""
SMA_LONG = 200
"""Observations in the long simple moving average."""
RSI_PERIOD = 14
"""Wilder RSI period, in observations."""
VOLUME_DAYS = 30
"""Calendar days before the latest day whose mean volume is its baseline."""
MIN_VOLUME_DAYS = 15
"""Fewest volumes in the :data:`VOLUME_DAYS` window for an average."""

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
    """Rows of a daily frame known at ``as_of`` (a null ``available_at`` counts as the end of the row's UTC day).

    Frames from the store are already cut at their as-of: then the frame itself is returned (no copy).
    """
    end_of_day = pl.col("date").cast(pl.Datetime("us", "UTC")) + pl.duration(days=1)
    available = pl.coalesce(pl.col("available_at"), end_of_day)
    if df.height == 0:
        return df.clear()
    # without nulls the latest is the column's own max: the coalesced column is not built (16M rows, 128 MB)
    stamps = available if df.get_column("available_at").null_count() else pl.col("available_at")
    latest = df.select(stamps.max()).item()
    if latest is None or latest <= as_of:
        return df if latest is not None else df.clear()
    return df.filter(available <= as_of)


def one_per_date(df: pl.DataFrame) -> pl.DataFrame:
    """Sorted by date, keeping the last row of each date."""
    return one_per_key(df, ["date"])


def one_per_key(df: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """Sorted by ``keys``, one row per key (the last one met). Frames already in that form are returned as they are.

    The store hands out frames ordered by key with one row each, so a linear check usually replaces the sort and the
    hash-based deduplication (about 25 times cheaper on millions of rows).
    """
    if strictly_sorted(df, keys):
        return df
    return df.sort(keys).unique(keys, keep="last", maintain_order=True)


def strictly_sorted(df: pl.DataFrame, keys: list[str]) -> bool:
    """Whether the rows are in strictly increasing order of ``keys`` (lexicographic; no nulls, no repeats)."""
    if df.height < 2:
        return df.height == 0 or not any(df.get_column(k).null_count() for k in keys)
    later: pl.Expr = pl.lit(False)
    for key in reversed(keys):
        col, prev = pl.col(key), pl.col(key).shift(1)
        later = (col > prev) | ((col == prev) & later)
    return bool(df.select(later.slice(1).all(ignore_nulls=False).fill_null(False)).item())


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
    f = float(v)
    return f if math.isfinite(f) else None


def last_finite(arr: np.ndarray) -> float | None:
    """The last element as a float, or None when the array is empty or it is NaN."""
    return finite(float(arr[-1])) if len(arr) else None


def asset_names(assets: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Symbol and name per asset id from the frames' asset table."""
    rows = assets.filter(pl.col("asset_id").is_not_null()).unique("asset_id", keep="first", maintain_order=True)
    return {
        r["asset_id"]: (str(r["symbol"] or r["asset_id"].upper()), str(r["name"] or r["asset_id"]))
        for r in rows.iter_rows(named=True)
    }


@lru_cache(maxsize=1)
def _registry() -> AssetRegistry:
    return AssetRegistry.builtin()


def registry_names(asset_id: str) -> tuple[str, str]:
    """Symbol and name from the built-in registry (a plain entry for unknown ids)."""
    info = _registry().info(asset_id)
    return info.symbol, info.name


def shared_strings(column: pl.Series) -> list[str]:
    """A string column as a list whose equal values are one ``str`` object (a few sources over 100,000s of rows).

    ``Series.to_list`` makes a new object per row (about 60 bytes each); this list holds a pointer per row. Nulls
    become ``""``.
    """
    filled = column.cast(pl.String).fill_null("")
    names = filled.unique(maintain_order=True)
    codes = filled.replace_strict(names, pl.int_range(names.len(), eager=True), return_dtype=pl.Int64)
    values = names.to_list()
    return [values[c] for c in codes.to_list()]


_T = TypeVar("_T")
_P = ParamSpec("_P")


def per_frames(fn: Callable[Concatenate[MarketFrames, _P], _T]) -> Callable[Concatenate[MarketFrames, _P], _T]:
    """Remember ``fn(frames, *args)`` for as long as the frames object lives.

    Frames are immutable, and within one analysis (analytics, detectors, writer, charts) the same series are read
    several times from the same frames object; results are kept in the dict attached to that object
    (:func:`cryptodesk.core.frames.derived`), so they go when it goes. ``args`` must be hashable.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"

    @functools.wraps(fn)
    def wrapper(frames: MarketFrames, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        memo = derived(frames)
        key = (name, args, tuple(sorted(kwargs.items())))
        if key not in memo:
            memo[key] = fn(frames, *args, **kwargs)
        result: _T = memo[key]
        return result

    return wrapper
