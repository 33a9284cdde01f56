"""The market state from a total computed elsewhere (the Spark engine's cross-sectional sum).

:func:`choose_total` applies :func:`cryptodesk.analytics.market.total_series`'s rule
(the index unless it lags the summed assets by more than
:data:`~cryptodesk.analytics.market.MAX_INDEX_LAG_DAYS` days) to an index frame and a
sum computed by the engine; the state itself comes from the shared
:func:`~cryptodesk.analytics.market.market_from_total`, which ``market_state`` uses
too. The equivalence tests in ``tests/engines`` keep both engines' market states equal.
"""

from __future__ import annotations

import polars as pl

from cryptodesk.analytics.common import known, one_per_date, utc
from cryptodesk.analytics.market import MAX_INDEX_LAG_DAYS, SERIES_SCHEMA, TotalSeries
from cryptodesk.core.frames import MarketFrames


def sum_total(frame: pl.DataFrame, members: pl.DataFrame) -> TotalSeries | None:
    """A 'sum' TotalSeries from the engine's per-date sums (date, close, volume, btc_dominance) and members.

    ``members`` has one row per member asset and source on the latest date.
    """
    if frame.height == 0 or members.height == 0:
        return None
    coverage = tuple(sorted(set(members.get_column("asset_id").to_list())))
    sources = sorted(set(members.get_column("source").to_list()))
    label = f"sum of {len(coverage)} assets ({', '.join(sources)})"
    out = frame.sort("date").select(
        pl.col("date").cast(pl.Date),
        pl.col("close").cast(pl.Float64),
        pl.lit(None, dtype=pl.Float64).alias("high"),
        pl.lit(None, dtype=pl.Float64).alias("low"),
        pl.col("volume").cast(pl.Float64),
        pl.lit(label).alias("source"),
        pl.col("btc_dominance").cast(pl.Float64),
    )
    return TotalSeries(frame=out, source=label, method="sum", coverage=coverage)


def choose_total(frames: MarketFrames, summed: TotalSeries | None) -> TotalSeries | None:
    """The index total from ``frames.global_daily`` when known and current, else ``summed``."""
    index = known(frames.global_daily, utc(frames.as_of)).filter(pl.col("close").is_not_null())
    if index.height:
        df = one_per_date(index)
        last_day = df.get_column("date")[-1]
        if summed is None or (summed.frame.get_column("date")[-1] - last_day).days <= MAX_INDEX_LAG_DAYS:
            source = str(df.get_column("source")[-1])
            frame = df.select(*SERIES_SCHEMA, (pl.col("btc_dominance") / 100.0).alias("btc_dominance"))
            return TotalSeries(frame=frame, source=source, method="index")
    return summed
