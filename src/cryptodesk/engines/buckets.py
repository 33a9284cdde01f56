"""The work unit both engines share: a bucket of assets' frames in, their :class:`AssetState` out.

:func:`bucket_states` runs the columnar kernel
:func:`cryptodesk.analytics.panel.indicators` once on a bucket of many assets (every
indicator of every asset in a handful of Polars passes plus TA-Lib's RSI per asset),
the intraday range and the latest observation for the same assets, and builds each
state with :func:`~cryptodesk.analytics.panel.state_from_row`: the body of
:func:`~cryptodesk.analytics.panel.analyze_panel` without the market. Nothing here
re-implements an indicator.

* The Spark engine groups assets into buckets (``pmod(xxhash64(asset_id), n)``) and calls
  it once per bucket inside ``groupBy("_bucket").cogroup(...).applyInArrow`` through
  :func:`arrow_task`; results cross the wire pickled (exact floats).
* The memory-bounded DuckDB engine (:mod:`cryptodesk.engines.batched`) calls it on each
  batch of assets read from the store.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Final

import polars as pl
import pyarrow as pa

from cryptodesk.analytics.asof import intraday_ranges, latest_observations
from cryptodesk.analytics.common import utc
from cryptodesk.analytics.panel import indicators, state_from_row
from cryptodesk.analytics.types import AssetState
from cryptodesk.core import frames as fr
from cryptodesk.core.timeutil import zone
from cryptodesk.store._sql import conform

BUCKET: Final = "_bucket"
"""Column holding an asset's bucket number in the Spark engine."""
OBS_KIND: Final = "_obs"
"""Column of the observation side telling a candle row (``candle``) from a price point (``point``)."""
OUTPUT_SCHEMA: Final = "asset_id string, state binary"
"""Spark DDL of a bucket's output: one row per asset, its id and its pickled AssetState."""


def day_start(as_of: datetime, tz: str) -> datetime:
    """Start (UTC) of the calendar day of ``as_of`` in ``tz`` (bounds the intraday range, as in ``analyze``)."""
    zi = zone(tz, parameter="tz")
    moment = utc(as_of)
    return datetime.combine(moment.astimezone(zi).date(), time(0), tzinfo=zi).astimezone(UTC)


def bucket_states(frames: fr.MarketFrames, *, tz: str, names: dict[str, tuple[str, str]]) -> dict[str, AssetState]:
    """The AssetState of every asset with a daily close in ``frames`` (any number of assets), by asset id."""
    as_of = utc(frames.as_of)
    table = indicators(frames.daily, as_of)
    ids = table.get_column("asset_id").to_list()
    intraday = intraday_ranges(frames, day_start=day_start(as_of, tz), as_of=as_of, assets=ids)
    latest = latest_observations(frames, as_of=as_of, assets=ids)
    out: dict[str, AssetState] = {}
    for row in table.iter_rows(named=True):
        aid = str(row["asset_id"])
        out[aid] = state_from_row(row, names=names, latest=latest.get(aid), intraday=intraday.get(aid))
    return out


def _table(table: pa.Table, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return conform(frame, schema)


def arrow_task(as_of: datetime, tz: str, names: dict[str, tuple[str, str]]) -> Callable[[pa.Table, pa.Table], pa.Table]:
    """The cogroup function: (a bucket's daily rows, its candles and points) -> one row per asset (id, state)."""

    def run(daily: pa.Table, obs: pa.Table) -> pa.Table:
        if daily.num_rows == 0:
            return pa.table({"asset_id": pa.array([], pa.string()), "state": pa.array([], pa.binary())})
        empty = fr.MarketFrames.empty(as_of)
        o = pl.from_arrow(obs)
        assert isinstance(o, pl.DataFrame)
        kind = o.get_column(OBS_KIND) if o.height else pl.Series(OBS_KIND, [], pl.Utf8)
        frames = replace(
            empty,
            daily=_table(daily, fr.DAILY_SCHEMA),
            intraday=conform(o.filter(kind == "candle"), fr.INTRADAY_SCHEMA) if o.height else empty.intraday,
            points=conform(o.filter(kind == "point"), fr.POINTS_SCHEMA) if o.height else empty.points,
        )
        states = bucket_states(frames, tz=tz, names=names)
        return pa.table(
            {
                "asset_id": pa.array(list(states), pa.string()),
                "state": pa.array([pickle.dumps(s) for s in states.values()], pa.binary()),
            }
        )

    return run


def unpickle_state(blob: bytes) -> AssetState:
    """An AssetState produced by :func:`arrow_task` (TypeError on anything else)."""
    state = pickle.loads(blob)  # produced by our own Spark tasks
    if not isinstance(state, AssetState):
        raise TypeError(f"expected an AssetState from the Spark task, got {type(state).__name__}")
    return state
