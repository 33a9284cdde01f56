"""Point-in-time analysis: :func:`analyze` turns :class:`MarketFrames` into an :class:`Analysis`.

The store already kept only rows known at ``frames.as_of``; :func:`analyze`
re-applies the same cut (``available_at``/``close_time``/``ts`` <= as_of) so a
bundle built by hand can never leak the future either. :func:`analyze` computes
every asset at once (the columnar :mod:`cryptodesk.analytics.panel`);
:func:`analyze_loop` and :func:`asset_state` are the per-asset reference (numpy
kernels from :mod:`cryptodesk.analytics.kernels`, one asset at a time) that the
columnar path is tested against. The intraday range and the latest observation
come from :mod:`cryptodesk.analytics.intraday`.

Bases and conventions (all stated here so that stories can cite them):

* Daily metrics use the daily **close** series (``frames.daily``), one value per
  UTC day, rows with a null close dropped. Highs/lows (52-week, all-time) and
  the drawdown are on closes, not intraday highs.
* Changes (:data:`WINDOWS`) compare the latest close with the close 1, 7, 30 or
  365 calendar days earlier (the latest close before that date if it is
  missing), or with the last close of the previous calendar year (``ytd``).
* SMA50/SMA200, the σ-distance (sample std, ddof=1, of the same 50 closes) and
  RSI14 (Wilder, TA-Lib) count observations, not calendar days.
* Volume vs average: the latest day's volume over the mean volume of the 30
  calendar days before it (at least 15 of them present).
"""

from __future__ import annotations

from datetime import date, datetime

import numpy as np
import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.common import (
    RSI_PERIOD,
    SMA_LONG,
    SMA_SHORT,
    VOLUME_DAYS,
    asset_names,
    known,
    last_finite,
    registry_names,
    to_date,
    utc,
    window_changes,
)
from cryptodesk.analytics.intraday import (
    POINT_INTERVAL,
    POINT_VENUE,
    day_start,
    interval_seconds,
    intraday_ranges,
    last_price,
    latest_observations,
)
from cryptodesk.analytics.market import market_state
from cryptodesk.analytics.types import Analysis, AssetState, Extreme, IntradayRange
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.timeutil import zone

__all__ = [
    "POINT_INTERVAL",
    "POINT_VENUE",
    "RSI_PERIOD",
    "SMA_LONG",
    "SMA_SHORT",
    "VOLUME_DAYS",
    "analyze",
    "analyze_loop",
    "asset_state",
    "interval_seconds",
    "intraday_ranges",
    "latest_observations",
]


def analyze(frames: MarketFrames, *, tz: str = "America/New_York", assets: list[str] | None = None) -> Analysis:
    """Analyze the market and each asset as of ``frames.as_of``.

    ``assets`` restricts the analysis to those canonical ids (default: every
    asset with daily rows). An asset without a daily close known at as_of is
    left out of ``Analysis.assets``. ``tz`` is the IANA zone whose current
    calendar day bounds :attr:`AssetState.intraday` (a ConfigError names the
    ``tz`` parameter when it is unknown).

    Every asset is computed at once, columnarly (:func:`cryptodesk.analytics.panel.indicators`);
    :func:`analyze_loop` is the per-asset reference it equals within 1e-9.
    """
    from cryptodesk.analytics.panel import analyze_panel

    return analyze_panel(frames, tz=tz, assets=assets)


def analyze_loop(frames: MarketFrames, *, tz: str = "America/New_York", assets: list[str] | None = None) -> Analysis:
    """The reference implementation of :func:`analyze`: :func:`asset_state` (numpy kernels) asset by asset."""
    zi = zone(tz, parameter="tz")
    as_of = utc(frames.as_of)
    daily = known(frames.daily, as_of)
    ids = assets if assets is not None else sorted(daily.get_column("asset_id").unique().to_list())
    daily = daily.filter(pl.col("asset_id").is_in(ids))
    intraday = intraday_ranges(frames, day_start=day_start(as_of, zi), as_of=as_of, assets=ids)
    latest = latest_observations(frames, as_of=as_of, assets=ids)
    names = asset_names(frames.assets)
    states: dict[str, AssetState] = {}
    for (aid,), df in daily.partition_by("asset_id", as_dict=True, maintain_order=True).items():
        state = asset_state(str(aid), df, names=names, latest=latest.get(str(aid)), intraday=intraday.get(str(aid)))
        if state is not None:
            states[state.asset_id] = state
    ordered = {aid: states[aid] for aid in ids if aid in states}
    return Analysis(as_of=as_of, market=market_state(frames), assets=ordered)


def asset_state(
    asset_id: str,
    daily: pl.DataFrame,
    *,
    names: dict[str, tuple[str, str]] | None = None,
    latest: tuple[float, datetime, str] | None = None,
    intraday: IntradayRange | None = None,
) -> AssetState | None:
    """The :class:`AssetState` of one asset from its daily rows (None if it has no close).

    ``latest`` is the most recent observation (price, time, source) from finer
    data; the daily close wins when it is at least as recent.
    """
    df = daily.filter(pl.col("close").is_not_null()).sort("date").unique("date", keep="last", maintain_order=True)
    if df.height == 0:
        return None
    dates = df.get_column("date").to_numpy()
    close = df.get_column("close").to_numpy().astype(np.float64)
    last = df.row(-1, named=True)
    close_date: date = last["date"]
    symbol, name = (names or {}).get(asset_id) or registry_names(asset_id)
    price, when, price_source = last_price(latest, float(close[-1]), close_date, str(last["source"]))
    sigma = k.sigma_distance(close, SMA_SHORT)
    sma50, sma200 = last_finite(k.sma(close, SMA_SHORT)), last_finite(k.sma(close, SMA_LONG))
    hi52, lo52 = k.window_extremes(dates, close, k.DAYS_52W)
    ath, atl = k.window_extremes(dates, close, None)
    volume = df.get_column("volume").to_numpy().astype(np.float64)
    return AssetState(
        asset_id=asset_id,
        symbol=symbol,
        name=name,
        close=float(close[-1]),
        close_date=close_date,
        daily_source=str(last["source"]),
        last_price=price,
        last_time=when,
        price_source=price_source,
        changes=window_changes(dates, close),
        sma50=sma50,
        sma200=sma200,
        dist_sma50_pct=_ratio(close[-1], sma50),
        dist_sma200_pct=_ratio(close[-1], sma200),
        dist_sma50_sigma=last_finite(sigma),
        sigma_rarity=k.sigma_rarity(sigma),
        rsi14=last_finite(k.rsi(close, RSI_PERIOD)),
        high_52w=_extreme(hi52),
        low_52w=_extreme(lo52),
        ath=_extreme(ath),
        atl=_extreme(atl),
        drawdown_from_ath=last_finite(k.drawdown(close)),
        volume=last_finite(volume),
        volume_avg30=last_finite(k.trailing_mean_days(dates, volume, VOLUME_DAYS)),
        volume_ratio=last_finite(k.volume_ratio(dates, volume, VOLUME_DAYS)),
        market_cap=_positive(last["market_cap"]),
        intraday=intraday,
    )


def _extreme(e: k.WindowExtreme | None) -> Extreme | None:
    return None if e is None else Extreme(e.value, to_date(e.date))


def _ratio(value: float, base: float | None) -> float | None:
    return None if base is None or base <= 0 else float(value / base - 1.0)


def _positive(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and np.isfinite(value) and value > 0 else None
