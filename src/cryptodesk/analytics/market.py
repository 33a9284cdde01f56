"""The whole market as of one moment, and the daily series other layers chart and scan.

Total market cap comes from an index series (``frames.global_daily``, e.g.
TradingView CRYPTOCAP:TOTAL; method ``index``) when one is known, otherwise it
is the sum of the tracked crypto assets' market caps (method ``sum``; the
summed assets are listed in ``coverage``). One provider's total is never
rescaled to imitate another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.common import (
    finite,
    known,
    one_per_date,
    one_per_key,
    per_frames,
    to_date,
    utc,
    window_changes,
)
from cryptodesk.analytics.types import Extreme, MarketState
from cryptodesk.core.errors import NoDataError
from cryptodesk.core.frames import MarketFrames

TOTAL = "total_market_cap"
"""Subject name of the total crypto market cap in :func:`daily_series`."""
BTC = "bitcoin"
SERIES_SCHEMA: dict[str, pl.DataType] = {
    "date": pl.Date(),
    "close": pl.Float64(),
    "high": pl.Float64(),
    "low": pl.Float64(),
    "volume": pl.Float64(),
    "source": pl.Utf8(),
}
"""Columns of :func:`daily_series`."""
MAX_INDEX_LAG_DAYS = 3
"""How many days an index total may lag the tracked assets before the sum replaces it."""
MAX_GAP_DAYS = 7
"""Longest gap in one asset's market caps that the sum bridges with its last value."""


@dataclass(frozen=True)
class TotalSeries:
    """The daily total market cap series with its provenance.

    ``frame`` has the :data:`SERIES_SCHEMA` columns plus ``btc_dominance`` (a
    fraction, null where unknown). ``method`` is 'index' or 'sum'; ``coverage``
    lists the summed assets for 'sum'.
    """

    frame: pl.DataFrame
    source: str
    method: str
    coverage: tuple[str, ...] = ()


@per_frames
def daily_series(frames: MarketFrames, subject: str) -> pl.DataFrame:
    """Daily series (date, close, high, low, volume, source) of an asset id or of ``total_market_cap``.

    Sorted by date, one row per date, rows without a close dropped, only rows
    known at ``frames.as_of``. The total comes from :func:`total_series` (the
    index when present, else the sum of tracked assets). Raises NoDataError
    when the subject has no daily close.
    """
    as_of = utc(frames.as_of)
    if subject == TOTAL:
        total = total_series(frames)
        if total is None:
            raise NoDataError(f"no total market cap known at {as_of.isoformat()}: no index series and no market caps")
        return total.frame.select(list(SERIES_SCHEMA))
    df = known(frames.daily, as_of).filter((pl.col("asset_id") == subject) & pl.col("close").is_not_null())
    if df.height == 0:
        raise NoDataError(f"no daily close for {subject!r} known at {as_of.isoformat()}")
    return one_per_date(df).select(list(SERIES_SCHEMA))


@per_frames
def total_series(frames: MarketFrames, *, max_index_lag_days: int = MAX_INDEX_LAG_DAYS) -> TotalSeries | None:
    """The total market cap as a daily series: the index if known at as_of and current, else the sum of tracked assets.

    The index is used unless its latest day is more than ``max_index_lag_days``
    older than the latest day of the summed assets (an index export that ended
    long ago must not pass for today's total); then the sum is used.
    """
    as_of = utc(frames.as_of)
    index = known(frames.global_daily, as_of).filter(pl.col("close").is_not_null())
    if index.height:
        df = one_per_date(index)
        last_day = df.get_column("date")[-1]
        summed_to = _last_sum_date(frames, as_of)  # the sum's last day, without summing
        if summed_to is None or (summed_to - last_day).days <= max_index_lag_days:
            source = str(df.get_column("source")[-1])
            frame = df.select(*SERIES_SCHEMA, (pl.col("btc_dominance") / 100.0).alias("btc_dominance"))
            return TotalSeries(frame=frame, source=source, method="index")
    return _sum_series(frames, as_of)


def _summable(frames: MarketFrames, as_of: datetime) -> pl.DataFrame:
    """Daily rows known at ``as_of`` that the sum adds up: crypto assets with a positive market cap (the columns the
    sum reads; the frame itself when every row counts, so a whole-market frame is not copied)."""
    rows = known(frames.daily, as_of).select("asset_id", "date", "market_cap", "volume", "source")
    return _keep(
        rows,
        pl.col("market_cap").is_not_null() & (pl.col("market_cap") > 0) & pl.col("asset_id").is_in(_crypto_ids(frames)),
    )


def _keep(df: pl.DataFrame, predicate: pl.Expr) -> pl.DataFrame:
    """``df.filter(predicate)``, or ``df`` itself (no copy) when the predicate holds on every row."""
    mask = df.select(predicate.fill_null(False)).to_series()
    return df if mask.all() else df.filter(mask)


def _last_sum_date(frames: MarketFrames, as_of: datetime) -> date | None:
    """The last day of :func:`_sum_series` (every member has a row on the latest day with a market cap)."""
    last = _summable(frames, as_of).get_column("date").max()
    return last if isinstance(last, date) else None


def _sum_series(frames: MarketFrames, as_of: datetime) -> TotalSeries | None:
    """Sum of the market caps (and volumes) of the tracked crypto assets.

    ``coverage`` (the members) is the assets with a positive market cap on the
    latest date with any. Each member counts from its own first known day (a
    coin listed later joins the sum then, as in a provider's total). A gap in a
    member's data is bridged with its last value for up to
    :data:`MAX_GAP_DAYS` days; a date where a member's gap is longer is left
    out rather than summed short.
    """
    caps = _summable(frames, as_of)
    if caps.height == 0:
        return None
    caps = one_per_key(caps, ["asset_id", "date"])
    last_date = caps.get_column("date").max()
    members = caps.filter(pl.col("date") == last_date)
    coverage = tuple(sorted(members.get_column("asset_id").to_list()))
    sources = sorted(members.get_column("source").unique().to_list())
    # the members' rows are read chunk by chunk from the frame (no copy of all of them: 16M rows are ~600 MB)
    dates = caps.select(pl.col("date").filter(pl.col("asset_id").is_in(coverage)).unique())
    parts = [_partial_sums(_rows_of(caps, chunk), dates) for chunk in _chunks(coverage)]
    summed = (
        pl.concat(parts)
        .group_by("date")
        .agg(
            pl.col("close").sum(),
            pl.col("volume").sum(),
            pl.when(pl.col("_btc").is_not_null().any()).then(pl.col("_btc").sum()).alias("_btc"),
            pl.col("_complete").all(),
        )
        .filter(pl.col("_complete"))
        .with_columns((pl.col("_btc") / pl.col("close")).alias("btc_dominance"))
        .sort("date")
    )
    frame = summed.select(
        "date",
        "close",
        pl.lit(None, dtype=pl.Float64).alias("high"),
        pl.lit(None, dtype=pl.Float64).alias("low"),
        "volume",
        pl.lit(f"sum of {len(coverage)} assets ({', '.join(sources)})").alias("source"),
        "btc_dominance",
    )
    source = str(frame.get_column("source")[0])
    return TotalSeries(frame=frame, source=source, method="sum", coverage=coverage)


SUM_CHUNK = 500
"""Members summed at a time (the daily grid of one chunk is members x dates rows; chunks bound its memory)."""


def _chunks(members: tuple[str, ...]) -> list[tuple[str, ...]]:
    return [members[i : i + SUM_CHUNK] for i in range(0, len(members), SUM_CHUNK)] or [()]


def _rows_of(caps: pl.DataFrame, members: tuple[str, ...]) -> pl.DataFrame:
    """The rows of ``members`` (sorted) in ``caps`` (sorted by asset): filtered within the rows from the first
    member's to the last one's, which hold them all."""
    if not members:
        return caps.clear()
    ids = caps.get_column("asset_id")
    start, end = ids.search_sorted(members[0], "left"), ids.search_sorted(members[-1], "right")
    span = caps.slice(start, end - start)
    return span.filter(pl.col("asset_id").is_in(members))


def _partial_sums(caps: pl.DataFrame, dates: pl.DataFrame) -> pl.DataFrame:
    """Per date, the sum of some members' market caps and volumes (each from its first day, gaps bridged up to
    :data:`MAX_GAP_DAYS`), bitcoin's cap when it is among them, and whether every one of them had a fresh value."""
    firsts = caps.group_by("asset_id").agg(pl.col("date").min().alias("_first")).sort("asset_id")
    # sorted members x sorted dates, left-major: the grid comes out sorted by (asset_id, date), as join_asof needs
    grid = firsts.join(dates.sort("date"), how="cross", maintain_order="left_right").filter(
        pl.col("date") >= pl.col("_first")
    )
    filled = grid.join_asof(
        caps.select("asset_id", "date", "market_cap", "volume", pl.col("date").alias("_seen")),
        on="date",
        by="asset_id",
        strategy="backward",
        check_sortedness=False,
    ).with_columns(((pl.col("date") - pl.col("_seen")).dt.total_days() <= MAX_GAP_DAYS).alias("_ok"))
    return filled.group_by("date").agg(
        pl.col("market_cap").sum().alias("close"),
        pl.col("volume").sum().alias("volume"),
        pl.col("market_cap").filter(pl.col("asset_id") == BTC).first().alias("_btc"),
        pl.col("_ok").all().alias("_complete"),
    )


def market_state(frames: MarketFrames, *, swing_threshold: float = k.DEFAULT_SWING_THRESHOLD) -> MarketState | None:
    """The :class:`MarketState` at ``frames.as_of`` (None when no total is known).

    Changes use the same windows and rules as assets (latest close vs the close
    N calendar days earlier or the previous year's last close). BTC dominance is
    the index's own dominance (percent converted to a fraction) on the latest
    row; otherwise BTC's market cap over the total on the same date, which
    ``dominance_source`` states. Swings are zigzag pivots
    (:func:`kernels.zigzag`) on the daily high/low (close where either is
    missing). ``day_high``/``day_low`` are the latest bar's (index only).
    """
    return market_from_total(frames, total_series(frames), swing_threshold=swing_threshold)


def market_from_total(
    frames: MarketFrames, total: TotalSeries | None, *, swing_threshold: float = k.DEFAULT_SWING_THRESHOLD
) -> MarketState | None:
    """The :class:`MarketState` of an already chosen total series (the Spark engine computes its own total)."""
    if total is None:
        return None
    df = total.frame
    dates = df.get_column("date").to_numpy()
    close = df.get_column("close").to_numpy().astype(np.float64)
    high = df.select(pl.coalesce("high", "close")).to_series().to_numpy().astype(np.float64)
    low = df.select(pl.coalesce("low", "close")).to_series().to_numpy().astype(np.float64)
    last = df.row(-1, named=True)
    dominance, dominance_source = _dominance(frames, total, last)
    swing_low, swing_high = k.last_swings(high, low, swing_threshold)
    return MarketState(
        total_market_cap=float(close[-1]),
        date=last["date"],
        source=total.source,
        method=total.method,
        coverage=total.coverage,
        changes=window_changes(dates, close),
        btc_dominance=dominance,
        dominance_source=dominance_source,
        swing_low=_pivot(swing_low, dates),
        swing_high=_pivot(swing_high, dates),
        day_high=finite(last["high"]) if total.method == "index" else None,
        day_low=finite(last["low"]) if total.method == "index" else None,
    )


def _dominance(frames: MarketFrames, total: TotalSeries, last: dict[str, object]) -> tuple[float | None, str | None]:
    """BTC dominance (fraction) on the latest date and where it comes from."""
    own = finite(last["btc_dominance"])
    if own is not None:
        what = "btc_dominance" if total.method == "index" else "bitcoin market_cap / total"
        return own, f"{total.source} {what}"
    day = last["date"]
    btc = known(frames.daily, utc(frames.as_of)).filter(
        (pl.col("asset_id") == BTC) & (pl.col("date") == day) & pl.col("market_cap").is_not_null()
    )
    total_value = finite(last["close"])
    if btc.height == 0 or not total_value:
        return None, None
    row = btc.row(-1, named=True)
    return float(row["market_cap"]) / total_value, f"bitcoin market_cap ({row['source']}) / total ({total.source})"


def _crypto_ids(frames: MarketFrames) -> list[str]:
    """Asset ids in ``frames.daily`` that are crypto assets (kind 'crypto' or not listed), never the total."""
    other = frames.assets.filter(pl.col("kind").is_not_null() & (pl.col("kind") != "crypto"))
    excluded = {*other.get_column("asset_id").to_list(), TOTAL}
    return [a for a in frames.daily.get_column("asset_id").unique().to_list() if a not in excluded]


def _pivot(p: k.Pivot | None, dates: np.ndarray) -> Extreme | None:
    return None if p is None else Extreme(p.value, to_date(dates[p.index]))
