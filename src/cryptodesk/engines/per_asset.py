"""The per-asset work unit both engines share: one asset's frames in, its :class:`AssetState` out.

:func:`asset_analysis` is the per-asset body of :func:`cryptodesk.analytics.asof.analyze`
(the as-of cut, the intraday range, the latest observation, then
:func:`~cryptodesk.analytics.asof.asset_state`, which runs the kernels of
:mod:`cryptodesk.analytics.kernels`). The Spark engine calls it once per asset
inside ``cogroup(...).applyInArrow`` through :func:`arrow_task`; nothing here
re-implements an indicator. Results cross the wire pickled (exact floats).
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, time
from typing import Final

import polars as pl
import pyarrow as pa

from cryptodesk.analytics.asof import asset_state, intraday_ranges, latest_observations
from cryptodesk.analytics.common import known, utc
from cryptodesk.analytics.types import AssetState
from cryptodesk.core import frames as fr
from cryptodesk.core.timeutil import zone
from cryptodesk.store._sql import conform

OBS_KIND: Final = "_obs"
"""Column of the observation side telling a candle row (``candle``) from a price point (``point``)."""
OUTPUT_SCHEMA: Final = "asset_id string, state binary"
"""Spark DDL of the per-asset output: the asset id and its pickled AssetState."""


def day_start(as_of: datetime, tz: str) -> datetime:
    """Start (UTC) of the calendar day of ``as_of`` in ``tz`` (bounds the intraday range, as in ``analyze``)."""
    zi = zone(tz, parameter="tz")
    moment = utc(as_of)
    return datetime.combine(moment.astimezone(zi).date(), time(0), tzinfo=zi).astimezone(UTC)


def asset_analysis(
    asset_id: str,
    frames: fr.MarketFrames,
    *,
    tz: str,
    names: dict[str, tuple[str, str]],
) -> AssetState | None:
    """The AssetState of ``asset_id`` from frames holding (at least) its rows; None without a close."""
    as_of = utc(frames.as_of)
    daily = known(frames.daily, as_of).filter(pl.col("asset_id") == asset_id)
    ids = [asset_id]
    intraday = intraday_ranges(frames, day_start=day_start(as_of, tz), as_of=as_of, assets=ids)
    latest = latest_observations(frames, as_of=as_of, assets=ids)
    return asset_state(asset_id, daily, names=names, latest=latest.get(asset_id), intraday=intraday.get(asset_id))


def _table(table: pa.Table, schema: dict[str, pl.DataType]) -> pl.DataFrame:
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return conform(frame, schema)


def arrow_task(as_of: datetime, tz: str, names: dict[str, tuple[str, str]]) -> Callable[[pa.Table, pa.Table], pa.Table]:
    """The cogroup function: (one asset's daily rows, its candles and points) -> one row (asset_id, pickled state)."""

    def run(daily: pa.Table, obs: pa.Table) -> pa.Table:
        empty = pa.table({"asset_id": pa.array([], pa.string()), "state": pa.array([], pa.binary())})
        if daily.num_rows == 0:
            return empty
        d = _table(daily, fr.DAILY_SCHEMA)
        o = pl.from_arrow(obs)
        assert isinstance(o, pl.DataFrame)
        kind = o.get_column(OBS_KIND) if o.height else pl.Series(OBS_KIND, [], pl.Utf8)
        frames = replace(
            fr.MarketFrames.empty(as_of),
            daily=d,
            intraday=conform(o.filter(kind == "candle"), fr.INTRADAY_SCHEMA)
            if o.height
            else fr.MarketFrames.empty(as_of).intraday,
            points=conform(o.filter(kind == "point"), fr.POINTS_SCHEMA)
            if o.height
            else fr.MarketFrames.empty(as_of).points,
        )
        aid = str(d.get_column("asset_id")[0])
        state = asset_analysis(aid, frames, tz=tz, names=names)
        if state is None:
            return empty
        return pa.table({"asset_id": [aid], "state": pa.array([pickle.dumps(state)], pa.binary())})

    return run


def unpickle_state(blob: bytes) -> AssetState:
    """An AssetState produced by :func:`arrow_task` (TypeError on anything else)."""
    state = pickle.loads(blob)  # produced by our own Spark tasks
    if not isinstance(state, AssetState):
        raise TypeError(f"expected an AssetState from the Spark task, got {type(state).__name__}")
    return state
