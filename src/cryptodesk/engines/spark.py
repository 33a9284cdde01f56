"""The Spark engine: point-in-time frames, per-asset kernels and the market total on Apache Spark.

::

    engine = SparkEngine("lake/", master="local[2]")     # a lake written by `cryptodesk export --format parquet`
    snap = engine.snapshot(as_of, engine.universe(as_of))
    frames = engine.collect(snap)                        # MarketFrames, equal to Store.frames(as_of, assets=...)
    analysis = engine.analyze(snap, tz="America/New_York", described=frames.assets)

Dispatch only differs from the DuckDB engine: the point-in-time SQL of
:mod:`cryptodesk.engines.spark_sql` (the store's rules), the per-asset kernels run
by :func:`cryptodesk.engines.buckets.arrow_task` through
``groupBy(bucket).cogroup(...).applyInArrow`` (one call per bucket of assets, the
same columnar kernel :func:`~cryptodesk.analytics.panel.indicators`), and the total
market cap summed across assets per date in Spark SQL
(:func:`~cryptodesk.engines.total_sql.sum_series_sql`). Event detection and the
story then run on the driver on the collected frames, as with DuckDB.
"""

from __future__ import annotations

import contextlib
import gc
import math
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from cryptodesk.analytics.common import asset_names, utc
from cryptodesk.analytics.market import BTC, MAX_GAP_DAYS, TOTAL, market_from_total
from cryptodesk.analytics.types import Analysis, AssetState
from cryptodesk.core import frames as fr
from cryptodesk.core.errors import ConfigError
from cryptodesk.engines import spark_sql as q
from cryptodesk.engines.buckets import BUCKET, OBS_KIND, OUTPUT_SCHEMA, arrow_task, unpickle_state
from cryptodesk.engines.market import choose_total, sum_total
from cryptodesk.engines.session import spark_session
from cryptodesk.engines.total_sql import MEMBERS_SQL, sum_series_sql
from cryptodesk.store._sql import conform
from cryptodesk.store.lake import LAYOUT, LakeTable, locate, read_manifest

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

BUCKET_ROWS = 500_000
"""Default target of daily rows per asset bucket (a few hundred MB in a Python worker at most)."""
BUCKETS_PER_CORE = 2
"""Fewest buckets per core of the session."""
_ORDER: dict[str, list[str]] = {
    "daily": ["asset_id", "date"],
    "intraday": ["asset_id", "source", "venue", "interval", "open_time"],
    "points": ["asset_id", "ts", "source"],
    "liquidations": ["ts", "exchange"],
    "assets": ["asset_id"],
}
"""Row order of collected frames (the store's ORDER BY)."""


@dataclass(frozen=True)
class SparkSnapshot:
    """Everything known at ``as_of`` about ``assets`` (None = all), as lazy Spark DataFrames."""

    as_of: datetime
    assets: list[str] | None
    daily: DataFrame
    intraday: DataFrame
    points: DataFrame
    global_daily: DataFrame
    global_points: DataFrame
    calendar: DataFrame
    liquidations: DataFrame
    coverage: DataFrame
    asset_info: DataFrame

    def release(self) -> None:
        """Drop the cached per-asset DataFrames (daily, intraday, points) from Spark's cache."""
        for df in (self.daily, self.intraday, self.points):
            df.unpersist()


def spark_type(dtype: pl.DataType) -> str:
    """The Spark SQL type of a canonical Polars dtype."""
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    if isinstance(dtype, pl.Date):
        return "date"
    if isinstance(dtype, pl.Float64 | pl.Float32):
        return "double"
    if isinstance(dtype, pl.Int64 | pl.Int32):
        return "bigint"
    return "string"


def table_schema(table: LakeTable) -> StructType:
    """The Spark schema of a lake table: its columns plus the partition columns (strings)."""
    from pyspark.sql.types import StructType, _parse_datatype_string

    fields: dict[str, str] = {c: spark_type(t) for c, t in table.columns.items()}
    for p in table.partition_by:
        fields.setdefault(p, "string")
    ddl = ", ".join(f"`{c}` {t}" for c, t in fields.items())
    parsed = _parse_datatype_string(ddl)
    assert isinstance(parsed, StructType)
    return parsed


class SparkEngine:
    """Analytics on a lake with Spark (see the module docstring)."""

    def __init__(
        self, lake: str | Path, *, master: str | None = None, cache: bool = True, bucket_rows: int = BUCKET_ROWS
    ) -> None:
        """Open the lake at ``lake`` on the session at ``master``; ``cache`` keeps its tables in Spark's cache.

        Caching pays off when several as-ofs are analysed (``events --from/--to``): the
        Parquet files are read once, then every query runs on the cached columns.
        ``bucket_rows`` is the target number of daily rows per asset bucket (:meth:`buckets`).
        """
        if bucket_rows < 1:
            raise ConfigError("bucket_rows: must be >= 1", parameter="bucket_rows")
        self.cache = cache
        self.bucket_rows = bucket_rows
        self.manifest = read_manifest(lake)
        loc = locate(lake)
        self.uri = loc.uri if "://" in loc.uri else loc.path
        self.spark: SparkSession = spark_session(master)
        self.tables: dict[str, DataFrame] = {name: self._read(name, t) for name, t in LAYOUT.items()}

    def _read(self, name: str, table: LakeTable) -> DataFrame:
        """One lake table as a DataFrame (empty with its schema when the lake has no rows for it)."""
        schema = table_schema(table)
        rows = int(self.manifest["tables"].get(name, {}).get("rows", 0))
        if rows == 0:
            df = self.spark.createDataFrame([], schema)
        else:
            path = f"{self.uri}/table={name}"
            df = self.spark.read.schema(schema).option("basePath", path).parquet(path)
            df = df.cache() if self.cache else df
        return df.withColumnRenamed("month", q.PART) if "month" in table.partition_by else df

    def sql(self, text: str) -> DataFrame:
        """Run Spark SQL whose ``{table}`` references name lake tables."""
        refs: dict[str, Any] = dict(self.tables)
        return self.spark.sql(text, None, **refs)

    # ------------------------------------------------------------------ frames
    def universe(self, as_of: datetime, *, top_n: int = 100, fresh_days: int = 7) -> list[str]:
        """The ``top_n`` assets with fresh daily data at ``as_of`` (as ``Store.universe``)."""
        if top_n < 1 or fresh_days < 0:
            raise ConfigError("universe: top_n must be >= 1 and fresh_days >= 0", parameter="top_n")
        with quiet_sockets():
            rows = self.sql(q.universe_sql(utc(as_of), top_n=top_n, fresh_days=fresh_days)).collect()
        return [str(r["asset_id"]) for r in rows]

    def snapshot(
        self, as_of: datetime, assets: list[str] | None = None, *, intraday_days: int | None = None
    ) -> SparkSnapshot:
        """The point-in-time DataFrames at ``as_of`` for ``assets`` (None = every asset).

        ``intraday_days`` limits candles and price points to the last that many days (as ``Store.frames``). The
        per-asset frames are cached (collect, the per-asset tasks and the total all read them); call
        :meth:`SparkSnapshot.release` when done.
        """
        if as_of.tzinfo is None:
            raise ConfigError("as_of must be timezone-aware (UTC)", parameter="as_of")
        t = utc(as_of)
        since = None if intraday_days is None else t - timedelta(days=intraday_days)

        def only(df: DataFrame) -> DataFrame:
            return df if assets is None else df.filter(df["asset_id"].isin(assets))

        return SparkSnapshot(
            as_of=t,
            assets=assets,
            daily=only(self.sql(q.daily_sql(t))).cache(),
            intraday=only(self.sql(q.intraday_sql(t, since))).cache(),
            points=only(self.sql(q.points_sql(t, since))).cache(),
            global_daily=self.sql(q.global_daily_sql(t)),
            global_points=self.sql(q.global_points_sql(t)),
            calendar=self.sql(q.CALENDAR_SQL),
            liquidations=only(self.sql(q.liquidations_sql(t))),
            coverage=self.sql(q.coverage_sql(t)),
            asset_info=only(self.sql(q.ASSETS_SQL)),
        )

    def collect(self, snap: SparkSnapshot) -> fr.MarketFrames:
        """The snapshot on the driver as MarketFrames (equal to what the store returns for the same as-of)."""
        return fr.MarketFrames(
            as_of=snap.as_of,
            daily=to_polars(snap.daily, fr.DAILY_SCHEMA, _ORDER["daily"]),
            intraday=to_polars(snap.intraday, fr.INTRADAY_SCHEMA, _ORDER["intraday"]),
            points=to_polars(snap.points, fr.POINTS_SCHEMA, _ORDER["points"]),
            global_daily=to_polars(snap.global_daily, fr.GLOBAL_DAILY_SCHEMA, None),
            global_points=to_polars(snap.global_points, fr.GLOBAL_POINTS_SCHEMA, None),
            calendar=to_polars(snap.calendar, fr.CALENDAR_SCHEMA, None),
            liquidations=to_polars(snap.liquidations, fr.LIQ_SCHEMA, _ORDER["liquidations"]),
            coverage=to_polars(snap.coverage, fr.COVERAGE_SCHEMA, None),
            assets=to_polars(snap.asset_info, fr.ASSET_SCHEMA, _ORDER["assets"]),
        )

    # ------------------------------------------------------------------ analytics
    def buckets(self, assets: list[str] | None) -> int:
        """How many asset buckets the per-asset work is split into.

        At least ``BUCKETS_PER_CORE`` per core of the session (so every core stays busy and a
        slow bucket does not hold up the stage), and enough that a bucket holds about
        ``bucket_rows`` daily rows (bounding a Python worker's memory); never more than the assets.
        """
        tables = self.manifest["tables"]
        rows = sum(int(tables.get(t, {}).get("rows", 0)) for t in ("snapshots", "candles"))
        n = max(BUCKETS_PER_CORE * self.spark.sparkContext.defaultParallelism, math.ceil(rows / self.bucket_rows))
        return max(1, min(n, len(assets))) if assets is not None else n

    def asset_states(self, snap: SparkSnapshot, *, tz: str, described: pl.DataFrame) -> dict[str, AssetState]:
        """Per asset, the AssetState from the shared columnar kernel, run once per bucket of assets.

        Assets are spread over :meth:`buckets` buckets by ``pmod(xxhash64(asset_id), n)``;
        each bucket's daily rows and observations meet in one ``cogroup(...).applyInArrow``
        call of :func:`~cryptodesk.engines.buckets.arrow_task`.
        """
        from pyspark.sql import functions as sf

        n = self.buckets(snap.assets)
        bucket = sf.pmod(sf.xxhash64("asset_id"), sf.lit(n)).alias(BUCKET)
        candles = snap.intraday.withColumn(OBS_KIND, sf.lit("candle"))
        points = snap.points.withColumn(OBS_KIND, sf.lit("point"))
        obs = candles.unionByName(points, allowMissingColumns=True).withColumn(BUCKET, bucket)
        daily = snap.daily.withColumn(BUCKET, bucket)
        task = arrow_task(snap.as_of, tz, asset_names(described))
        result = daily.groupBy(BUCKET).cogroup(obs.groupBy(BUCKET)).applyInArrow(task, OUTPUT_SCHEMA)
        with quiet_sockets():
            table = result.toArrow()
        states = {
            str(a): unpickle_state(s)
            for a, s in zip(table.column("asset_id").to_pylist(), table.column("state").to_pylist(), strict=True)
        }
        return {aid: states[aid] for aid in sorted(states)}

    def total(self, snap: SparkSnapshot, *, described: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """The summed total per date (date, close, volume, btc_dominance) and the members, in Spark SQL."""
        from pyspark.sql import functions as sf

        other = described.filter(pl.col("kind").is_not_null() & (pl.col("kind") != "crypto"))
        excluded = [*other.get_column("asset_id").to_list(), TOTAL]
        caps = snap.daily.filter(
            sf.col("market_cap").isNotNull() & (sf.col("market_cap") > 0) & ~sf.col("asset_id").isin(excluded)
        ).select("asset_id", "date", "market_cap", "volume", "source")
        sums = self.spark.sql(sum_series_sql(BTC, MAX_GAP_DAYS, dialect="spark"), caps=caps)
        members = self.spark.sql(MEMBERS_SQL, caps=caps)
        schema = {"date": pl.Date(), "close": pl.Float64(), "volume": pl.Float64(), "btc_dominance": pl.Float64()}
        return to_polars(sums, schema, None), to_polars(members, {"asset_id": pl.Utf8(), "source": pl.Utf8()}, None)

    def analyze(
        self, snap: SparkSnapshot, *, tz: str, described: pl.DataFrame, states: dict[str, AssetState] | None = None
    ) -> Analysis:
        """The Analysis at ``snap.as_of``: per-asset states and the market state (index or Spark-summed total).

        ``described`` is the asset table (asset_id, symbol, name, kind) the desk completes from its registry;
        ``states`` are the :meth:`asset_states` of the same snapshot when already computed.
        """
        states = self.asset_states(snap, tz=tz, described=described) if states is None else states
        sums, members = self.total(snap, described=described)
        btc_daily = snap.daily.filter(snap.daily["asset_id"] == BTC)
        market_frames = fr.MarketFrames(
            **{
                **fr.MarketFrames.empty(snap.as_of).__dict__,
                "daily": to_polars(btc_daily, fr.DAILY_SCHEMA, _ORDER["daily"]),
                "global_daily": to_polars(snap.global_daily, fr.GLOBAL_DAILY_SCHEMA, None),
                "assets": described,
            }
        )
        market = market_from_total(market_frames, choose_total(market_frames, sum_total(sums, members)))
        return Analysis(as_of=snap.as_of, market=market, assets=states)


@contextlib.contextmanager
def quiet_sockets() -> Iterator[None]:
    """Silence the ResourceWarning of the result sockets PySpark leaves to the garbage collector.

    PySpark reads results from a local socket it does not always close; the warning
    would fire later, at a random place. Collecting garbage here finalises them now.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        try:
            yield
        finally:
            gc.collect()


def to_polars(df: DataFrame, schema: dict[str, pl.DataType], order: list[str] | None) -> pl.DataFrame:
    """A Spark DataFrame on the driver as a Polars frame conformed to ``schema`` (sorted by ``order``)."""
    if order:
        df = df.orderBy(*order)
    with quiet_sockets():
        table: Any = df.toArrow()
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    return conform(frame, schema)
