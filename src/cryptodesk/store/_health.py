"""Store health queries for ``doctor`` and ``assets``: counts, conflicts, disagreements, coverage, freshness."""

from __future__ import annotations

from typing import Final

import duckdb
import numpy as np
import polars as pl

from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import ASSET_SCHEMA
from cryptodesk.core.models import TABLES, UTC_TS
from cryptodesk.store._frames import DAY_US, assets_sql, daily_rows_sql, global_daily_rows_sql
from cryptodesk.store._sql import conform, fetch, q

BOOKKEEPING_TABLES: Final = ("import_runs", "import_files", "conflicts", "feed_coverage")
MARKET: Final = "market"
"""The asset_id shown for whole-market series (global_metrics) in health frames."""


CONFLICT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "run_id": pl.Int64(),
    "table_name": pl.Utf8(),
    "key": pl.Utf8(),
    "column_name": pl.Utf8(),
    "old_value": pl.Utf8(),
    "new_value": pl.Utf8(),
    "old_run_id": pl.Int64(),
    "recorded_at": UTC_TS,
}
DISAGREEMENT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "asset_id": pl.Utf8(),
    "date": pl.Date(),
    "source_a": pl.Utf8(),
    "close_a": pl.Float64(),
    "source_b": pl.Utf8(),
    "close_b": pl.Float64(),
    "rel_diff": pl.Float64(),
}
COVERAGE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "asset_id": pl.Utf8(),
    "table": pl.Utf8(),
    "source": pl.Utf8(),
    "interval": pl.Utf8(),
    "first": UTC_TS,
    "last": UTC_TS,
    "rows": pl.Int64(),
    "missing_days": pl.Int64(),
}
FRESHNESS_SCHEMA: Final[dict[str, pl.DataType]] = {
    "table": pl.Utf8(),
    "source": pl.Utf8(),
    "latest": UTC_TS,
    "rows": pl.Int64(),
}

_SERIES_SQL: Final = f"""
SELECT asset_id, 'snapshots' AS tbl, source,
       CASE WHEN epoch_us(ts) % {DAY_US} = 0 THEN 'daily' ELSE 'intraday' END AS ivl, ts
FROM snapshots
UNION ALL SELECT asset_id, 'candles', source, "interval", open_time FROM candles
UNION ALL SELECT '{MARKET}', 'global_metrics', source, "interval", ts FROM global_metrics
UNION ALL SELECT asset_id, 'liquidations', source, 'event', ts FROM liquidations
UNION ALL SELECT asset_id, 'liquidations_agg', source, "interval", ts FROM liquidations_agg
"""
"""Every time series row as (asset_id, table, source, interval, ts)."""


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per canonical and bookkeeping table, in a stable order."""
    names = [*TABLES, *BOOKKEEPING_TABLES]
    sql = " UNION ALL ".join(f"SELECT {i} AS i, count(*) AS n FROM {q(n)}" for i, n in enumerate(names))
    rows = fetch(con, sql + " ORDER BY i")
    return {names[i]: int(n) for i, n in rows.iter_rows()}


def conflicts(con: duckdb.DuckDBPyConnection, limit: int) -> pl.DataFrame:
    """The ``limit`` most recent conflict records, newest first."""
    if limit < 0:
        raise ConfigError(f"limit must be >= 0, got {limit}", parameter="limit")
    sql = """SELECT run_id, table_name, CAST("key" AS VARCHAR) AS "key", column_name, old_value, new_value,
             old_run_id, recorded_at FROM conflicts
             ORDER BY run_id DESC, table_name, CAST("key" AS VARCHAR), column_name LIMIT $limit"""
    return conform(fetch(con, sql, {"limit": limit}), CONFLICT_SCHEMA)


def disagreements(con: duckdb.DuckDBPyConnection, table: str, tolerance: float) -> pl.DataFrame:
    """Pairs of sources whose close for the same asset and day differs by more than ``tolerance``.

    ``rel_diff = |close_b - close_a| / |close_a|`` where source_a is the preferred
    source of the pair. ``table`` is ``daily`` (per asset) or ``global_daily``
    (total market, asset_id ``market``).
    """
    if not tolerance >= 0:
        raise ConfigError(f"tolerance must be a number >= 0, got {tolerance}", parameter="tolerance")
    if table == "daily":
        rows = daily_rows_sql(None, bounded=False)
    elif table == "global_daily":
        rows = (
            f"SELECT '{MARKET}' AS asset_id, *, 0 AS _kind, '' AS _venue FROM ({global_daily_rows_sql(bounded=False)})"
        )
    else:
        raise ConfigError(f"table must be 'daily' or 'global_daily', got {table!r}", parameter="table")
    sql = f"""
    WITH raw AS ({rows}),
    per AS (
        SELECT asset_id, date, source, min(_pref) AS _pref, first(close ORDER BY _kind, _venue) AS close
        FROM raw WHERE close IS NOT NULL GROUP BY asset_id, date, source
    )
    SELECT a.asset_id, a.date, a.source AS source_a, a.close AS close_a, b.source AS source_b, b.close AS close_b,
           abs(b.close - a.close) / abs(a.close) AS rel_diff
    FROM per a JOIN per b ON a.asset_id = b.asset_id AND a.date = b.date
         AND (a._pref < b._pref OR (a._pref = b._pref AND a.source < b.source))
    WHERE a.close <> 0 AND abs(b.close - a.close) / abs(a.close) > $tolerance
    ORDER BY rel_diff DESC, a.asset_id, a.date, source_a, source_b
    """
    return conform(fetch(con, sql, {"tolerance": tolerance}), DISAGREEMENT_SCHEMA)


def coverage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per asset, table, source and interval: first and last time, rows, and missing days.

    Midnight snapshots are a ``daily`` series, or ``weekly`` when their median spacing
    is six days or more (CoinMarketCap's weekly top 10). ``missing_days`` counts UTC
    days between the first and last row that have no row at all; a series with no
    weekend rows at all (an exchange-traded index) counts only missing weekdays. It is
    NULL where gaps are normal (weekly series, sub-daily snapshot points, event tables).
    """
    sql = f"""
    WITH s AS (SELECT *, CAST(ts AS DATE) AS d FROM ({_SERIES_SQL})),
    days AS (SELECT DISTINCT asset_id, tbl, source, ivl, d FROM s),
    cadence AS (
        SELECT asset_id, tbl, source, ivl, median(gap) AS med FROM (
            SELECT asset_id, tbl, source, ivl,
                   d - lag(d) OVER (PARTITION BY asset_id, tbl, source, ivl ORDER BY d) AS gap
            FROM days)
        GROUP BY asset_id, tbl, source, ivl
    )
    SELECT s.asset_id, s.tbl AS "table", s.source,
           CASE WHEN s.ivl = 'daily' AND c.med >= 6 THEN 'weekly' ELSE s.ivl END AS "interval",
           min(s.ts) AS "first", max(s.ts) AS "last", count(*) AS "rows",
           CASE WHEN s.ivl IN ('1w', 'event', 'intraday') OR coalesce(c.med, 1) >= 6 THEN NULL
                ELSE CAST(max(s.ts) AS DATE) - CAST(min(s.ts) AS DATE) + 1 - count(DISTINCT s.d) END
               AS missing_days,
           count(DISTINCT s.d) AS _days,
           count(*) >= 10 AND bool_and(dayofweek(s.d) NOT IN (0, 6)) AS _weekdays
    FROM s JOIN cadence c USING (asset_id, tbl, source, ivl)
    GROUP BY s.asset_id, s.tbl, s.source, s.ivl, c.med
    ORDER BY s.asset_id, "table", s.source, "interval"
    """
    frame = fetch(con, sql)
    if frame.height and frame.get_column("_weekdays").any():
        weekdays = frame.filter(pl.col("_weekdays") & pl.col("missing_days").is_not_null())
        first = weekdays.get_column("first").dt.date().to_numpy()
        last = weekdays.get_column("last").dt.date().to_numpy() + np.timedelta64(1, "D")
        expected = np.busday_count(first, last)
        fixed = weekdays.with_columns(
            (pl.Series(expected, dtype=pl.Int64) - pl.col("_days")).alias("missing_days")
        ).select("asset_id", "table", "source", "interval", "missing_days")
        frame = frame.update(fixed, on=["asset_id", "table", "source", "interval"])
    return conform(frame, COVERAGE_SCHEMA)


def latest_times(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Per table and source, the latest timestamp stored and how many rows there are."""
    sql = f"""
    SELECT tbl AS "table", source, max(ts) AS latest, count(*) AS "rows"
    FROM ({_SERIES_SQL}) GROUP BY tbl, source ORDER BY "table", source
    """
    return conform(fetch(con, sql), FRESHNESS_SCHEMA)


def assets(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Every known asset, one row each (the most preferred source's description)."""
    return conform(fetch(con, assets_sql(None)), ASSET_SCHEMA)
