"""Point-in-time analysis: :func:`analyze` turns :class:`MarketFrames` into an :class:`Analysis`.

The store already kept only rows known at ``frames.as_of``; :func:`analyze`
re-applies the same cut (``available_at``/``close_time``/``ts`` <= as_of) so a
bundle built by hand can never leak the future either. Per asset the work is
vectorised (numpy kernels from :mod:`cryptodesk.analytics.kernels`); the
intraday range and the latest observation are computed for all assets at once
with Polars.

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

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

import numpy as np
import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.common import known, last_finite, to_date, utc, window_changes
from cryptodesk.analytics.market import market_state
from cryptodesk.analytics.types import Analysis, AssetState, Extreme, IntradayRange
from cryptodesk.core.assets import AssetRegistry
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.timeutil import zone

SMA_SHORT = 50
SMA_LONG = 200
RSI_PERIOD = 14
VOLUME_DAYS = 30
POINT_INTERVAL = "snapshot"
"""``IntradayRange.interval`` when the range comes from price points, not candles."""
POINT_VENUE = ""
"""``IntradayRange.venue`` for price points: empty, as an aggregator's price is no one venue's trades."""

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_INTERVAL_RE = re.compile(r"^(\d+)([smhdw])$")


def interval_seconds(interval: str) -> int | None:
    """Length of a candle interval such as ``1m``, ``4h`` or ``1d`` in seconds; None if unrecognised."""
    m = _INTERVAL_RE.match(interval.strip())
    return int(m.group(1)) * _UNIT_SECONDS[m.group(2)] if m else None


def analyze(frames: MarketFrames, *, tz: str = "America/New_York", assets: list[str] | None = None) -> Analysis:
    """Analyze the market and each asset as of ``frames.as_of``.

    ``assets`` restricts the analysis to those canonical ids (default: every
    asset with daily rows). An asset without a daily close known at as_of is
    left out of ``Analysis.assets``. ``tz`` is the IANA zone whose current
    calendar day bounds :attr:`AssetState.intraday` (a ConfigError names the
    ``tz`` parameter when it is unknown).
    """
    zi = zone(tz, parameter="tz")
    as_of = utc(frames.as_of)
    daily = known(frames.daily, as_of)
    ids = assets if assets is not None else sorted(daily.get_column("asset_id").unique().to_list())
    daily = daily.filter(pl.col("asset_id").is_in(ids))
    day_start = datetime.combine(as_of.astimezone(zi).date(), time(0), tzinfo=zi).astimezone(UTC)
    intraday = intraday_ranges(frames, day_start=day_start, as_of=as_of, assets=ids)
    latest = latest_observations(frames, as_of=as_of, assets=ids)
    names = _names(frames.assets)
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
    symbol, name = (names or {}).get(asset_id) or _registry_names(asset_id)
    price, when, price_source = _last_price(latest, float(close[-1]), close_date, str(last["source"]))
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


def intraday_ranges(
    frames: MarketFrames, *, day_start: datetime, as_of: datetime, assets: list[str] | None = None
) -> dict[str, IntradayRange]:
    """High/low/last of ``[day_start, as_of]`` per asset from the finest data available.

    Candles: those opening at or after ``day_start`` and closed by ``as_of``; per
    asset the smallest interval seen that day wins, and among several
    source/venue pairs at that interval the one with most candles (then by name).
    A high's or low's time is the **opening time** of the candle where it
    happened. Assets without such candles fall back to price points. Coverage
    is the span actually seen (first candle open / point to last close / point).
    """
    out = _candle_ranges(frames.intraday, day_start, as_of, assets)
    points = frames.points.filter((pl.col("ts") >= day_start) & (pl.col("ts") <= as_of) & pl.col("price").is_not_null())
    if assets is not None:
        points = points.filter(pl.col("asset_id").is_in(assets))
    points = points.filter(~pl.col("asset_id").is_in(list(out)))
    out.update(_point_ranges(points))
    return out


def _candle_ranges(
    intraday: pl.DataFrame, day_start: datetime, as_of: datetime, assets: list[str] | None
) -> dict[str, IntradayRange]:
    """Intraday ranges from candles (see :func:`intraday_ranges`)."""
    c = intraday.filter(
        (pl.col("open_time") >= day_start)
        & (pl.col("close_time") <= as_of)
        & pl.col("high").is_not_null()
        & pl.col("low").is_not_null()
        & pl.col("close").is_not_null()
    )
    if assets is not None:
        c = c.filter(pl.col("asset_id").is_in(assets))
    if c.height == 0:
        return {}
    seconds = {iv: interval_seconds(iv) for iv in c.get_column("interval").unique().to_list()}
    c = c.with_columns(pl.col("interval").replace_strict(seconds, return_dtype=pl.Int64).alias("_iv"))
    c = c.filter(pl.col("_iv").is_not_null() & (pl.col("_iv") < 86400))
    c = c.filter(pl.col("_iv") == pl.col("_iv").min().over("asset_id"))
    best = (
        c.group_by("asset_id", "source", "venue")
        .len()
        .sort(["asset_id", "len", "source", "venue"], descending=[False, True, False, False])
        .unique("asset_id", keep="first", maintain_order=True)
        .drop("len")
    )
    c = c.join(best, on=["asset_id", "source", "venue"], how="inner")
    agg = c.group_by("asset_id").agg(
        pl.col("source").first(),
        pl.col("venue").first(),
        pl.col("interval").first(),
        pl.col("high").max().alias("hi"),
        pl.col("open_time").filter(pl.col("high") == pl.col("high").max()).min().alias("hi_t"),
        pl.col("low").min().alias("lo"),
        pl.col("open_time").filter(pl.col("low") == pl.col("low").min()).min().alias("lo_t"),
        pl.col("close").sort_by("close_time").last().alias("last"),
        pl.col("close_time").max().alias("last_t"),
        pl.col("open_time").min().alias("cov_start"),
        pl.col("close_time").max().alias("cov_end"),
    )
    return {r["asset_id"]: _range(r) for r in agg.iter_rows(named=True)}


def _point_ranges(points: pl.DataFrame) -> dict[str, IntradayRange]:
    """Intraday ranges from price points (the source with most points per asset)."""
    if points.height == 0:
        return {}
    best = (
        points.group_by("asset_id", "source")
        .len()
        .sort(["asset_id", "len", "source"], descending=[False, True, False])
        .unique("asset_id", keep="first", maintain_order=True)
        .drop("len")
    )
    p = points.join(best, on=["asset_id", "source"], how="inner")
    agg = p.group_by("asset_id").agg(
        pl.col("source").first(),
        pl.lit(POINT_VENUE).alias("venue"),
        pl.lit(POINT_INTERVAL).alias("interval"),
        pl.col("price").max().alias("hi"),
        pl.col("ts").filter(pl.col("price") == pl.col("price").max()).min().alias("hi_t"),
        pl.col("price").min().alias("lo"),
        pl.col("ts").filter(pl.col("price") == pl.col("price").min()).min().alias("lo_t"),
        pl.col("price").sort_by("ts").last().alias("last"),
        pl.col("ts").max().alias("last_t"),
        pl.col("ts").min().alias("cov_start"),
        pl.col("ts").max().alias("cov_end"),
    )
    return {r["asset_id"]: _range(r) for r in agg.iter_rows(named=True)}


def _range(r: dict[str, object]) -> IntradayRange:
    """An :class:`IntradayRange` from one aggregated row."""
    return IntradayRange(
        high=_f(r["hi"]),
        high_time=_dt(r["hi_t"]),
        low=_f(r["lo"]),
        low_time=_dt(r["lo_t"]),
        last=_f(r["last"]),
        last_time=_dt(r["last_t"]),
        source=str(r["source"]),
        venue=str(r["venue"]),
        interval=str(r["interval"]),
        coverage_start=_dt(r["cov_start"]),
        coverage_end=_dt(r["cov_end"]),
    )


def latest_observations(
    frames: MarketFrames, *, as_of: datetime, assets: list[str] | None = None
) -> dict[str, tuple[float, datetime, str]]:
    """Per asset, the most recent sub-daily observation known at ``as_of``: (price, time, source label).

    Candle closes (time = close_time; label ``"<source> <venue> <interval>"``)
    and price points (time = ts; label = source) compete; on equal times the
    finer candle, then a candle over a point, wins.
    """
    candles = frames.intraday.filter((pl.col("close_time") <= as_of) & pl.col("close").is_not_null())
    seconds = {iv: interval_seconds(iv) for iv in candles.get_column("interval").unique().to_list()}
    cand = candles.select(
        "asset_id",
        pl.col("close").alias("price"),
        pl.col("close_time").alias("time"),
        pl.concat_str([pl.col("source"), pl.col("venue"), pl.col("interval")], separator=" ").alias("label"),
        pl.col("interval").replace_strict(seconds, return_dtype=pl.Int64).fill_null(10**9).alias("rank"),
    )
    pts = frames.points.filter((pl.col("ts") <= as_of) & pl.col("price").is_not_null()).select(
        "asset_id",
        "price",
        pl.col("ts").alias("time"),
        pl.col("source").alias("label"),
        pl.lit(2 * 10**9, dtype=pl.Int64).alias("rank"),
    )
    obs = pl.concat([cand, pts], how="vertical_relaxed")
    if assets is not None:
        obs = obs.filter(pl.col("asset_id").is_in(assets))
    best = obs.sort(["asset_id", "time", "rank"], descending=[False, True, False]).unique(
        "asset_id", keep="first", maintain_order=True
    )
    return {r["asset_id"]: (float(r["price"]), _dt(r["time"]), str(r["label"])) for r in best.iter_rows(named=True)}


def _last_price(
    latest: tuple[float, datetime, str] | None, close: float, close_date: date, daily_source: str
) -> tuple[float, datetime, str]:
    """The most recent of the finer observation and the daily close (closed at the end of its UTC day)."""
    closed_at = datetime.combine(close_date + timedelta(days=1), time(0), tzinfo=UTC)
    if latest is not None and latest[1] > closed_at:
        return latest
    return close, closed_at, daily_source


def _names(assets: pl.DataFrame) -> dict[str, tuple[str, str]]:
    """Symbol and name per asset id from the frames' asset table."""
    rows = assets.filter(pl.col("asset_id").is_not_null()).unique("asset_id", keep="first", maintain_order=True)
    return {
        r["asset_id"]: (str(r["symbol"] or r["asset_id"].upper()), str(r["name"] or r["asset_id"]))
        for r in rows.iter_rows(named=True)
    }


@lru_cache(maxsize=1)
def _registry() -> AssetRegistry:
    return AssetRegistry.builtin()


def _registry_names(asset_id: str) -> tuple[str, str]:
    """Symbol and name from the built-in registry (a plain entry for unknown ids)."""
    info = _registry().info(asset_id)
    return info.symbol, info.name


def _extreme(e: k.WindowExtreme | None) -> Extreme | None:
    return None if e is None else Extreme(e.value, to_date(e.date))


def _ratio(value: float, base: float | None) -> float | None:
    return None if base is None or base <= 0 else float(value / base - 1.0)


def _positive(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and np.isfinite(value) and value > 0 else None


def _f(v: object) -> float:
    if not isinstance(v, int | float):
        raise TypeError(f"expected a number, got {v!r}")
    return float(v)


def _dt(v: object) -> datetime:
    if not isinstance(v, datetime):
        raise TypeError(f"expected a datetime, got {v!r}")
    return utc(v)
