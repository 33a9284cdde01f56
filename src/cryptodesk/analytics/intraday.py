"""Sub-daily observations at an as-of: the day's intraday range and the latest price, for every asset at once.

:func:`intraday_ranges` gives each asset's high, low and last of the current
calendar day so far (in the analysis time zone) from the finest candles seen
that day, else from price points; :func:`latest_observations` gives each asset's
most recent sub-daily observation. Both are columnar (one Polars pass for all
assets) and read only rows known at ``as_of``.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo

import polars as pl

from cryptodesk.analytics.common import utc
from cryptodesk.analytics.types import IntradayRange
from cryptodesk.core.frames import MarketFrames

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


def day_start(as_of: datetime, zi: tzinfo) -> datetime:
    """Start (UTC) of the calendar day of ``as_of`` in the zone ``zi``: the start of :attr:`AssetState.intraday`."""
    return datetime.combine(utc(as_of).astimezone(zi).date(), time(0), tzinfo=zi).astimezone(UTC)


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


def last_price(
    latest: tuple[float, datetime, str] | None, close: float, close_date: date, daily_source: str
) -> tuple[float, datetime, str]:
    """The most recent of the finer observation and the daily close (closed at the end of its UTC day)."""
    closed_at = datetime.combine(close_date + timedelta(days=1), time(0), tzinfo=UTC)
    if latest is not None and latest[1] > closed_at:
        return latest
    return close, closed_at, daily_source


def _f(v: object) -> float:
    if not isinstance(v, int | float):
        raise TypeError(f"expected a number, got {v!r}")
    return float(v)


def _dt(v: object) -> datetime:
    if not isinstance(v, datetime):
        raise TypeError(f"expected a datetime, got {v!r}")
    return utc(v)
