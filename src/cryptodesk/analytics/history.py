"""Every row's point-in-time state: the :class:`AssetState` an asset had when each of its daily rows was the latest.

:func:`asset_history` runs each kernel once over an asset's whole daily series and keeps the value of **every
row**, so the state as of any later moment is a lookup (:func:`state_at`) instead of a recomputation: a replay over
ten years costs one pass, not one pass a day. It is exact because every indicator of
:func:`cryptodesk.analytics.asof.asset_state` at row ``i`` depends on rows ``0..i`` only and is computed the same way
from them (moving averages and RSI by the same TA-Lib recursion from the same first row, windows by calendar days
ending at row ``i``, ranks over rows ``0..i``); ``tests/analytics/test_history.py`` checks ``state_at(h, i)`` against
``asset_state`` of the first ``i + 1`` rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from typing import NamedTuple, TypeVar

import numpy as np
import numpy.typing as npt

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.common import (
    MAX_STALE_DAYS,
    RSI_PERIOD,
    SMA_LONG,
    SMA_SHORT,
    VOLUME_DAYS,
    WINDOW_DAYS,
)
from cryptodesk.analytics.intraday import last_price
from cryptodesk.analytics.types import WINDOWS, AssetState, Change, Extreme, IntradayRange

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class AssetHistory:
    """One asset's daily rows (oldest first, one per date, each with a close) and the indicators of rows ``first`` on.

    ``days``, ``close``, ``volume``, ``market_cap`` and ``source`` hold every row; ``days`` are day numbers (days
    since 1970-01-01). The indicator arrays (``sma50`` .. ``change_base``) start at row ``first``: row ``i``'s value
    is at ``i - first``. Index arrays hold a row number of the whole series, or -1 where undefined:
    ``change_base[w]`` the start row of window ``w``, ``high_52w`` etc. the row of the extreme.
    """

    asset_id: str
    days: IntArray
    close: FloatArray
    volume: FloatArray
    market_cap: FloatArray
    source: list[str]
    sma50: FloatArray
    sma200: FloatArray
    sigma: FloatArray
    sigma_rarity: FloatArray
    rsi14: FloatArray
    drawdown: FloatArray
    volume_avg30: FloatArray
    volume_ratio: FloatArray
    high_52w: IntArray
    low_52w: IntArray
    ath: IntArray
    atl: IntArray
    change_base: dict[str, IntArray]
    first: int = 0
    """The first row any state is read at, where the indicator arrays start (see :func:`asset_history`)."""

    def __len__(self) -> int:
        return len(self.days)

    @cached_property
    def rows(self) -> _Rows:
        """The histories as Python values from row ``first`` on (built on first use)."""
        return _Rows(self)

    def cap_at(self, i: int) -> float | None:
        """The market cap of row ``i`` (None when unknown or not positive)."""
        cap = float(self.market_cap[i])
        return cap if cap > 0 and math.isfinite(cap) else None


def asset_history(
    asset_id: str,
    *,
    days: IntArray,
    close: FloatArray,
    volume: FloatArray,
    market_cap: FloatArray,
    source: list[str],
    first: int = 0,
) -> AssetHistory:
    """The indicators of one asset's rows (sorted by day, one per day, closes not null) from row ``first`` on.

    ``first``: only rows from there on will be read (a replay of the last days of a long history). The kernels run
    over the whole series (each row's value depends on every earlier row), but only the values of rows ``first`` on
    are kept, so a live day's histories hold a few rows per asset, not ten years of them; the ranks of earlier rows
    are not computed at all. ``first`` is clamped to the last row.
    """
    first = min(max(0, first), max(0, len(days) - 1))
    dates = (days.astype("datetime64[D]")).astype("datetime64[D]")
    sigma = k.sigma_distance(close, SMA_SHORT)
    counts = k.expanding_counts_at(sigma, first)
    with np.errstate(invalid="ignore", divide="ignore"):
        hits = np.where(sigma >= 0, counts.at_least, counts.at_most) + 1
        rarity = np.where(np.isfinite(sigma), hits / (counts.valid + 1), np.nan)
        rarity[: max(0, min(first, len(rarity)))] = np.nan
    avg30 = k.trailing_mean_days(dates, volume, VOLUME_DAYS)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(avg30 > 0, volume / avg30, np.nan)  # kernels.volume_ratio, from the same average
    bases: dict[str, IntArray] = {}
    for window in WINDOWS:
        if window == "ytd":
            idx = k.ytd_base_index(dates, tolerance=MAX_STALE_DAYS)
        else:
            idx = k.lookback_index(dates, WINDOW_DAYS[window], tolerance=MAX_STALE_DAYS)
        ok = (idx >= 0) & (idx != np.arange(len(idx)))
        with np.errstate(invalid="ignore"):
            ok &= close[np.maximum(idx, 0)] > 0
        bases[window] = np.where(ok, idx, -1).astype(np.int64)
    return AssetHistory(
        asset_id=asset_id,
        days=days,
        close=close,
        volume=volume,
        market_cap=market_cap,
        source=source,
        sma50=_tail(k.sma(close, SMA_SHORT), first),
        sma200=_tail(k.sma(close, SMA_LONG), first),
        sigma=_tail(sigma, first),
        sigma_rarity=_tail(rarity, first),
        rsi14=_tail(k.rsi(close, RSI_PERIOD), first),
        drawdown=_tail(k.drawdown(close), first),
        volume_avg30=_tail(avg30, first),
        volume_ratio=_tail(ratio, first),
        high_52w=_tail(k.window_extreme_index(dates, close, k.DAYS_52W, mode="max"), first),
        low_52w=_tail(k.window_extreme_index(dates, close, k.DAYS_52W, mode="min"), first),
        ath=_tail(k.running_extreme_index(close, mode="max"), first),
        atl=_tail(k.running_extreme_index(close, mode="min"), first),
        change_base={w: _tail(idx, first) for w, idx in bases.items()},
        first=first,
    )


_A = TypeVar("_A", FloatArray, IntArray)


def _tail(values: _A, first: int) -> _A:
    """``values`` from row ``first`` on, as an array of its own (the whole one is then freed)."""
    return values if first == 0 else values[first:].copy()


def day_of(n: int | np.integer) -> date:
    """The date of day number ``n``."""
    return EPOCH + timedelta(days=int(n))


@lru_cache(maxsize=65536)
def _date(n: int) -> date:
    return EPOCH + timedelta(days=n)


class _Rows:
    """An :class:`AssetHistory` as Python values (None where undefined), for building states row by row.

    The per-row figures and the closes and dates of rows ``first`` on are lists (index ``i - first``); the closes
    and dates of earlier rows, which changes and extremes read, are read from the arrays.
    """

    def __init__(self, h: AssetHistory) -> None:
        self.first = a = h.first
        self._days, self._close = h.days, h.close
        self.days: list[int] = h.days[a:].tolist()
        self.closes: list[float] = h.close[a:].tolist()
        self.sma50, self.sma200 = _optional(h.sma50), _optional(h.sma200)
        self.sigma, self.rarity = _optional(h.sigma), _optional(h.sigma_rarity)
        self.rsi = _optional(h.rsi14)
        self.drawdown, self.volume = _optional(h.drawdown), _optional(h.volume[a:])
        self.avg30, self.ratio = _optional(h.volume_avg30), _optional(h.volume_ratio)
        with np.errstate(invalid="ignore"):
            self.cap = _optional(np.where(h.market_cap[a:] > 0, h.market_cap[a:], np.nan))
        self.hi52, self.lo52 = h.high_52w.tolist(), h.low_52w.tolist()
        self.ath, self.atl = h.ath.tolist(), h.atl.tolist()
        self.bases = [(w, h.change_base[w].tolist()) for w in WINDOWS]

    def close(self, j: int) -> float:
        """The close of row ``j`` (any row of the series)."""
        o = j - self.first
        return self.closes[o] if o >= 0 else float(self._close[j])

    def date(self, j: int) -> date:
        """The date of row ``j`` (any row of the series)."""
        o = j - self.first
        return _date(self.days[o] if o >= 0 else int(self._days[j]))

    def extreme(self, j: int) -> Extreme | None:
        return None if j < 0 else Extreme(self.close(j), self.date(j))


def _optional(values: FloatArray) -> list[float | None]:
    ok = np.isfinite(values)
    return [v if good else None for v, good in zip(values.tolist(), ok.tolist(), strict=True)]


def state_at(
    h: AssetHistory,
    i: int,
    *,
    symbol: str,
    name: str,
    latest: tuple[float, datetime, str] | None = None,
    intraday: IntradayRange | None = None,
) -> AssetState:
    """The :class:`AssetState` of ``h``'s asset when row ``i`` was its latest (``asset_state`` of rows ``0..i``)."""
    r = h.rows
    if i < r.first:
        raise IndexError(f"{h.asset_id}: row {i} is before the history's first read row {r.first}")
    close = r.close(i)
    close_date = r.date(i)
    source = h.source[i]
    price, when, price_source = last_price(latest, close, close_date, source)
    o = i - r.first
    sma50, sma200 = r.sma50[o], r.sma200[o]
    changes: dict[str, Change] = {}
    for window, base_rows in r.bases:
        j = base_rows[o]
        if j >= 0:
            base = r.close(j)
            changes[window] = Change(window, close / base - 1.0, base, r.date(j), close, close_date)
    return AssetState(
        asset_id=h.asset_id,
        symbol=symbol,
        name=name,
        close=close,
        close_date=close_date,
        daily_source=source,
        last_price=price,
        last_time=when,
        price_source=price_source,
        changes=changes,
        sma50=sma50,
        sma200=sma200,
        dist_sma50_pct=None if sma50 is None or sma50 <= 0 else close / sma50 - 1.0,
        dist_sma200_pct=None if sma200 is None or sma200 <= 0 else close / sma200 - 1.0,
        dist_sma50_sigma=r.sigma[o],
        sigma_rarity=r.rarity[o],
        rsi14=r.rsi[o],
        high_52w=r.extreme(r.hi52[o]),
        low_52w=r.extreme(r.lo52[o]),
        ath=r.extreme(r.ath[o]),
        atl=r.extreme(r.atl[o]),
        drawdown_from_ath=r.drawdown[o],
        volume=r.volume[o],
        volume_avg30=r.avg30[o],
        volume_ratio=r.ratio[o],
        market_cap=r.cap[o],
        intraday=intraday,
    )


class Sma50Distance(NamedTuple):
    """The fields of an :class:`AssetState` that describe the close's distance from its 50-day average."""

    close: float
    close_date: date
    sma50: float | None
    dist_sma50_pct: float | None
    dist_sma50_sigma: float | None
    sigma_rarity: float | None
    rsi14: float | None
    daily_source: str

    @classmethod
    def of(cls, state: AssetState) -> Sma50Distance:
        """These fields of ``state``."""
        return cls(
            state.close,
            state.close_date,
            state.sma50,
            state.dist_sma50_pct,
            state.dist_sma50_sigma,
            state.sigma_rarity,
            state.rsi14,
            state.daily_source,
        )


def sma50_distance_at(h: AssetHistory, i: int) -> Sma50Distance:
    """``Sma50Distance.of(state_at(h, i))`` without building the rest of the state."""
    r = h.rows
    if i < r.first:
        raise IndexError(f"{h.asset_id}: row {i} is before the history's first read row {r.first}")
    o = i - r.first
    close, sma50 = r.close(i), r.sma50[o]
    return Sma50Distance(
        close,
        r.date(i),
        sma50,
        None if sma50 is None or sma50 <= 0 else close / sma50 - 1.0,
        r.sigma[o],
        r.rarity[o],
        r.rsi[o],
        h.source[i],
    )


def closed_at(h: AssetHistory, i: int) -> datetime:
    """When row ``i``'s day closed (the end of its UTC day)."""
    return datetime.combine(day_of(h.days[i]) + timedelta(days=1), time(0), tzinfo=UTC)
