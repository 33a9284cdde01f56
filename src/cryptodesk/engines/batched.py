"""The memory-bounded DuckDB engine: the store read and analysed a batch of assets at a time.

``Desk.analyze`` holds every frame of the as-of in one Polars frame (about 80 bytes per daily
row: 18 M rows of the M panel are ~1.5 GB before the kernels run). :func:`analyze_batched`
gives the same :class:`Analysis` with memory bounded by the batch size:

* per batch of ``batch_assets`` assets: ``Store.frames(as_of, assets=batch)``, then the
  shared columnar kernel through :func:`cryptodesk.engines.buckets.bucket_states` (the
  function the Spark engine calls per bucket);
* the total market cap: each batch's positive crypto caps (5 columns) go to a scratch
  in-memory DuckDB capped at ``memory_limit`` (it spills to disk), where the same
  cross-sectional SQL as the Spark engine's (:mod:`cryptodesk.engines.total_sql`) sums
  them; then the index-vs-sum rule and the market state of :mod:`cryptodesk.engines.market`.

Results equal ``Desk.analyze`` on the same assets within 1e-9 (``tests/engines/test_batched.py``).
"""

from __future__ import annotations

import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import duckdb
import polars as pl

from cryptodesk.analytics.common import asset_names, utc
from cryptodesk.analytics.market import BTC, MAX_GAP_DAYS, TOTAL, market_from_total
from cryptodesk.analytics.types import Analysis, AssetState
from cryptodesk.core import frames as fr
from cryptodesk.core.errors import ConfigError
from cryptodesk.engines.buckets import bucket_states
from cryptodesk.engines.market import choose_total, sum_total
from cryptodesk.engines.total_sql import MEMBERS_SQL, sum_series_sql
from cryptodesk.store.db import Store

BATCH_ASSETS = 1_000
"""Default assets per batch (10 years of daily rows: ~3.6 M rows, ~0.6 GB in flight)."""
CAPS_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.Utf8(),
    "date": pl.Date(),
    "market_cap": pl.Float64(),
    "volume": pl.Float64(),
    "source": pl.Utf8(),
}

_SIZE = re.compile(r"\d+(\.\d+)?(KB|MB|GB|TB|KIB|MIB|GIB|TIB)")

Describe = Callable[[fr.MarketFrames], pl.DataFrame]
"""Completes ``frames.assets`` (symbol, name, kind) for the assets of a batch (the desk's registry)."""


def crypto_caps(frames: fr.MarketFrames) -> pl.DataFrame:
    """The rows the summed total reads: positive caps of crypto assets (kind crypto or unknown), never the total."""
    other = frames.assets.filter(pl.col("kind").is_not_null() & (pl.col("kind") != "crypto"))
    excluded = [*other.get_column("asset_id").to_list(), TOTAL]
    caps = frames.daily.filter(
        pl.col("market_cap").is_not_null() & (pl.col("market_cap") > 0) & ~pl.col("asset_id").is_in(excluded)
    )
    return caps.select(list(CAPS_SCHEMA))


def analyze_batched(
    store: Store,
    as_of: datetime,
    assets: list[str],
    *,
    tz: str,
    describe: Describe | None = None,
    batch_assets: int = BATCH_ASSETS,
    memory_limit: str = "2GB",
    timings: dict[str, float] | None = None,
) -> Analysis:
    """The Analysis of ``assets`` at ``as_of`` (states by asset id), reading and analysing ``batch_assets`` at a time.

    ``timings``, when given, receives the seconds spent reading frames (``frames``), in the
    kernels (``kernels``) and summing the total (``total``).
    """
    clock = timings if timings is not None else {}
    for key in ("frames", "kernels", "total"):
        clock.setdefault(key, 0.0)
    if batch_assets < 1:
        raise ConfigError("batch_assets: must be >= 1", parameter="batch_assets")
    moment = utc(as_of)
    states: dict[str, AssetState] = {}
    market_frames = store.frames(moment, assets=[])  # the global tables (index total), no asset rows
    with tempfile.TemporaryDirectory(prefix="cryptodesk-caps-") as scratch, duckdb.connect() as agg:
        agg.execute(f"SET memory_limit = '{_size(memory_limit)}'")
        agg.execute(f"SET temp_directory = '{scratch}'")
        agg.execute("SET preserve_insertion_order = false")
        agg.execute("CREATE TABLE caps (asset_id VARCHAR, date DATE, market_cap DOUBLE, volume DOUBLE, source VARCHAR)")
        for start in range(0, len(assets), batch_assets):
            t0 = time.perf_counter()
            frames = store.frames(moment, assets=assets[start : start + batch_assets])
            if describe is not None:
                frames = replace(frames, assets=describe(frames))
            t1 = time.perf_counter()
            states.update(bucket_states(frames, tz=tz, names=asset_names(frames.assets)))
            clock["frames"] += t1 - t0
            clock["kernels"] += time.perf_counter() - t1
            t0 = time.perf_counter()
            batch_caps = crypto_caps(frames)
            agg.register("batch_caps", batch_caps.to_arrow())
            agg.execute("INSERT INTO caps SELECT * FROM batch_caps")
            agg.unregister("batch_caps")
            btc = frames.daily.filter(pl.col("asset_id") == BTC)
            if btc.height:
                market_frames = replace(market_frames, daily=btc)
            del frames, batch_caps
            clock["total"] += time.perf_counter() - t0
        t0 = time.perf_counter()
        sums = _fetch(agg, sum_series_sql(BTC, MAX_GAP_DAYS, dialect="duckdb").format(caps="caps"))
        members = _fetch(agg, MEMBERS_SQL.format(caps="caps"))
        clock["total"] += time.perf_counter() - t0
    sums = sums.select(
        pl.col("date").cast(pl.Date), *(pl.col(c).cast(pl.Float64) for c in ("close", "volume", "btc_dominance"))
    )
    market = market_from_total(market_frames, choose_total(market_frames, sum_total(sums, members)))
    ordered = {aid: states[aid] for aid in sorted(states)}  # by asset id, as analyze and the Spark engine
    return Analysis(as_of=moment, market=market, assets=ordered)


def _fetch(con: duckdb.DuckDBPyConnection, sql: str) -> pl.DataFrame:
    frame = pl.from_arrow(con.sql(sql).to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def _size(text: str) -> str:
    """A DuckDB memory size such as ``2GB`` (ConfigError on anything else: it is inlined in SQL)."""
    value = text.strip().upper()
    if not _SIZE.fullmatch(value):
        raise ConfigError(f"memory_limit: expected a size such as 2GB, got {text!r}", parameter="memory_limit")
    return value
