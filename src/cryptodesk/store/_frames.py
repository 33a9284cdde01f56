"""Point-in-time queries: build :class:`~cryptodesk.core.frames.MarketFrames` from the store.

Every as-of filter runs in SQL. Time conventions (see ``core/frames.py``):

* a snapshot at exactly D 00:00 UTC is the close of day D-1, available at D 00:00;
* a ``1d`` candle opening at D 00:00 is day D, available at D+1 00:00;
* a sub-daily candle closes at ``open_time + interval`` and is known from then on;
* a non-midnight snapshot is a point known from its ``ts``;
* a ``1d`` global bar opening at D is day D, available at D+1 00:00.

Daily rows of several sources are merged per (asset, date) with
:data:`cryptodesk.store.preference.SOURCE_PREFERENCE`: close, volume and market_cap
come together from the most preferred source row that has a close (so those three
never mix sources; ``source`` names that row), and high/low come from the most
preferred source that has both (which may be another source, e.g. Yahoo's high and
low beside CoinGecko's close). Within one source a snapshot beats a candle, then
venues rank alphabetically. Candle volume in USD is
``quote_volume`` when the source gives it, else ``volume * close`` (base volume
valued at the close).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Final

import duckdb
import polars as pl

from cryptodesk.core import frames as fr
from cryptodesk.store._sql import conform, fetch, lit
from cryptodesk.store.preference import preference_sql

INTERVAL_SECONDS: Final[Mapping[str, int]] = {
    "1m": 60,
    "3m": 180,
    "5m": 300,
    "15m": 900,
    "30m": 1800,
    "1h": 3600,
    "2h": 7200,
    "4h": 14_400,
    "6h": 21_600,
    "8h": 28_800,
    "12h": 43_200,
}
"""Sub-daily candle intervals and their length; candles of other intervals are not intraday."""

DAY_US: Final = 86_400_000_000
"""Microseconds in a day: ``epoch_us(ts) % DAY_US = 0`` tests for midnight UTC in any session time zone."""


def _interval_case() -> str:
    whens = " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in INTERVAL_SECONDS.items())
    return f'(CASE "interval" {whens} END)'


def _asset_filter(assets: list[str] | None, column: str = "asset_id") -> str:
    return "" if assets is None else f" AND {column} IN (SELECT unnest($assets::VARCHAR[]))"


def daily_rows_sql(assets: list[str] | None, *, bounded: bool = True, since: str | None = None) -> str:
    """Every source's unmerged daily rows (asset_id, source, date, close, ... , _pref, _kind, _venue).

    With ``bounded`` only rows available at ``$as_of`` are kept. ``since`` (an SQL date expression) leaves out the
    rows of earlier dates, and some of the day before, at the scan (where DuckDB skips whole row groups by their
    time ranges); the caller still filters on ``date`` exactly.
    """
    snap_cut = " AND ts <= $as_of" if bounded else ""
    candle_cut = " AND open_time + INTERVAL 1 DAY <= $as_of" if bounded else ""
    if since is not None:
        start = f"CAST(CAST({since} AS DATE) AS TIMESTAMPTZ)"
        snap_cut += f" AND ts >= {start}"  # a snapshot at D 00:00 is day D - 1
        candle_cut += f" AND open_time >= {start}"
    return f"""
    SELECT asset_id, source, 0 AS _kind, '' AS _venue, CAST(ts AS DATE) - 1 AS date,
           price AS close, CAST(NULL AS DOUBLE) AS high, CAST(NULL AS DOUBLE) AS low,
           volume_24h AS volume, market_cap, ts AS available_at, {preference_sql("daily")} AS _pref
    FROM snapshots
    WHERE epoch_us(ts) % {DAY_US} = 0{snap_cut}{_asset_filter(assets)}
    UNION ALL
    SELECT asset_id, source, 1 AS _kind, coalesce(venue, '') AS _venue, CAST(open_time AS DATE) AS date,
           close, high, low, coalesce(quote_volume, volume * close) AS volume, CAST(NULL AS DOUBLE) AS market_cap,
           open_time + INTERVAL 1 DAY AS available_at, {preference_sql("daily")} AS _pref
    FROM candles
    WHERE "interval" = '1d'{candle_cut}{_asset_filter(assets)}
    """


def merge_sql(raw: str, keys: str) -> str:
    """The merged daily rows of ``raw`` (a query with daily_rows_sql's columns) per ``keys``: close, volume and market
    cap from the best row with a close, high and low from the best row with both (see the module docstring).

    The merge order (preference, then source name, snapshot before candle, venue) is numbered once over the few
    distinct (source, kind, venue) combinations, so each key's best row is one ``arg_min`` on an integer in a hash
    aggregation (ranking every key's rows with a window costs several times more).
    """
    return f"""
    WITH raw AS ({raw}),
    combos AS (
        SELECT source, _kind, _venue, row_number() OVER (ORDER BY _pref, source, _kind, _venue) AS _rank
        FROM (SELECT DISTINCT _pref, source, _kind, _venue FROM raw)
    ),
    ranked AS (SELECT raw.*, combos._rank FROM raw JOIN combos USING (source, _kind, _venue)),
    best AS (
        SELECT {keys}, arg_min(struct_pack(source, close, volume, market_cap, available_at), _rank) AS b
        FROM ranked WHERE close IS NOT NULL GROUP BY {keys}
    ),
    hl AS (
        SELECT {keys}, arg_min(struct_pack(high, low, available_at), _rank) AS h
        FROM ranked WHERE high IS NOT NULL AND low IS NOT NULL GROUP BY {keys}
    )
    SELECT best.*, hl.h FROM best LEFT JOIN hl USING ({keys})
    """


def daily_sql(assets: list[str] | None) -> str:
    """One merged row per (asset, date) known at ``$as_of`` (see module docstring)."""
    return f"""
    SELECT asset_id, date, b.close, h.high, h.low, b.volume, b.market_cap, b.source,
           CASE WHEN h.available_at > b.available_at THEN h.available_at ELSE b.available_at END AS available_at
    FROM ({merge_sql(daily_rows_sql(assets), "asset_id, date")})
    ORDER BY asset_id, date
    """


# ---------------------------------------------------------------- reading merged rows without merging them
# The merge above picks, per (asset, date), the best source row with a close and the best with a high and a low. A
# key with a single row needs no choice: its merged row is that row, dropped when it has no close, with its high and
# low kept only when it has both. Most stores hold one source per asset and day (a CoinGecko history, a Binance
# export), so a read first takes the rows unmerged, which costs a scan, and merges in SQL only when some key has two
# rows. On 100 assets of a store of 18M daily rows (figure 5's report) the unmerged rows took 0.41 s and fitted in a
# 32 MB DuckDB memory limit, where the SQL merge's hash aggregations took 0.81 s and needed 128 MB. A versioned read
# (``_timeline``) gets each single row as its only version: valid from its ``available_at``, still current, which is
# what ``_timeline.daily_versions_sql`` gives such a key. tests/store/test_frames_single.py checks both paths agree.
# A store of several sources per key (the data pack) would scan twice on every read: the assets found with such keys
# are remembered (``read_daily``'s ``several``, kept by the Store until its next ingest), and a later read that
# includes one of them merges in SQL at once.

_COLUMNS = ", ".join(fr.DAILY_SCHEMA)


def unmerged_sql(assets: list[str] | None) -> str:
    """Every source's daily rows known at ``$as_of`` (of ``$assets``), with the columns of a merged row."""
    return f"SELECT {_COLUMNS} FROM ({daily_rows_sql(assets)})"


def single_rows(raw: pl.DataFrame, *, versions: bool) -> pl.DataFrame | None:
    """``raw`` (rows of :func:`unmerged_sql`) as merged daily rows, sorted by (asset_id, date), when no key has two
    rows; None when one does (the rows must then be merged).

    With ``versions`` each row gets ``valid_from`` (its ``available_at``) and ``valid_to`` (null). The rows are
    ordered through one integer key per row (the asset's rank among the frame's asset ids, then the date), which
    also finds a key with two rows, and gathered once, filtered, into the result: sorting the whole frame and then
    filtering it copied it twice, and Polars' sort of a frame peaks at three times it (a report's read held 60 MiB
    more for its 21 MiB of rows).
    """
    key = _row_keys(raw)
    order = key.arg_sort()
    ordered = key.gather(order)
    if raw.height > 1 and (ordered.slice(1) == ordered.slice(0, raw.height - 1)).any():
        return None
    order = order.filter(raw.get_column("close").gather(order).is_not_null())
    both = pl.col("high").is_not_null() & pl.col("low").is_not_null()
    merged = raw.select(pl.all().gather(order)).with_columns(
        pl.when(both).then(pl.col("high")).alias("high"), pl.when(both).then(pl.col("low")).alias("low")
    )
    if not versions:
        return conform(merged, fr.DAILY_SCHEMA)
    extra = [pl.col("available_at").alias("valid_from"), pl.lit(None).alias("valid_to")]
    return conform(merged.with_columns(extra), {**fr.DAILY_SCHEMA, **fr.VERSION_SCHEMA})


def _row_keys(raw: pl.DataFrame) -> pl.Series:
    """Each row's (asset_id, date) as one Int64 that sorts as the pair: the asset's rank among the sorted distinct
    ids in the high 32 bits, the date's day number (offset to be non-negative) in the low ones."""
    ids = raw.get_column("asset_id")
    rank = ids.cast(pl.Enum(ids.unique().sort().to_list())).to_physical().cast(pl.Int64)
    return rank * (1 << 32) + (raw.get_column("date").cast(pl.Int32).cast(pl.Int64) + (1 << 31))


def several_rows(raw: pl.DataFrame) -> set[str]:
    """The assets of ``raw`` (unmerged daily rows) with a date that has more than one row."""
    twice = raw.filter(pl.struct("asset_id", "date").is_duplicated())
    return {str(a) for a in twice.get_column("asset_id").unique().to_list()}


def read_daily(
    con: duckdb.DuckDBPyConnection,
    assets: list[str] | None,
    params: Mapping[str, Any],
    *,
    merge: str,
    versions: bool,
    several: set[str] | None = None,
) -> pl.DataFrame:
    """The merged daily rows of ``assets`` known at ``$as_of``: the stored rows when every key has one (see the
    comment above), else the result of ``merge`` (the SQL of the merge, with the same parameters).

    ``several`` holds assets known to have keys with several rows: a read of any of them (or of every asset, when
    it is not empty) runs ``merge`` without reading the rows unmerged first; a read that finds such keys adds their
    assets to it. Both paths give the same rows, so a stale ``several`` costs time, never correctness.
    """
    schema = {**fr.DAILY_SCHEMA, **fr.VERSION_SCHEMA} if versions else fr.DAILY_SCHEMA
    known = several if several is not None else set()
    if known and (assets is None or not known.isdisjoint(assets)):
        return conform(fetch(con, merge, params), schema)
    raw = fetch(con, unmerged_sql(assets), params)
    rows = single_rows(raw, versions=versions)
    if rows is not None:
        return rows
    known.update(several_rows(raw))
    del raw
    return conform(fetch(con, merge, params), schema)


def intraday_sql(assets: list[str] | None, *, since: bool = False) -> str:
    """Closed sub-daily candles (close_time <= ``$as_of``; with ``since``, opened at or after ``$since``)."""
    lower = " AND open_time >= $since" if since else ""
    return f"""
    SELECT * FROM (
        SELECT asset_id, source, venue, "interval", open_time,
               open_time + to_seconds({_interval_case()}) AS close_time, open, high, low, close, volume
        FROM candles
        WHERE {_interval_case()} IS NOT NULL AND open_time <= $as_of{lower}{_asset_filter(assets)}
    ) WHERE close_time <= $as_of
    ORDER BY asset_id, source, venue, "interval", open_time
    """


def points_sql(assets: list[str] | None, *, since: bool = False) -> str:
    """Sub-daily (non-midnight) snapshots with ts <= ``$as_of`` (with ``since``, ts >= ``$since``)."""
    lower = " AND ts >= $since" if since else ""
    return f"""
    SELECT asset_id, source, ts, price, market_cap, volume_24h FROM snapshots
    WHERE epoch_us(ts) % {DAY_US} <> 0 AND ts <= $as_of{lower}{_asset_filter(assets)}
    ORDER BY asset_id, ts, source
    """


def global_daily_rows_sql(*, bounded: bool = True) -> str:
    """Every source's daily global bars (unmerged), with ``_pref``."""
    cut = " AND ts + INTERVAL 1 DAY <= $as_of" if bounded else ""
    return f"""
    SELECT CAST(ts AS DATE) AS date, open, high, low, total_market_cap AS close, total_volume AS volume,
           btc_dominance, source, ts + INTERVAL 1 DAY AS available_at, {preference_sql("global")} AS _pref
    FROM global_metrics WHERE "interval" = '1d'{cut}
    """


GLOBAL_DAILY_SQL: Final = f"""
SELECT * EXCLUDE (_pref) FROM ({global_daily_rows_sql()})
QUALIFY row_number() OVER (PARTITION BY date ORDER BY _pref, source) = 1
ORDER BY date
"""

GLOBAL_POINTS_SQL: Final = """
SELECT ts, total_market_cap, total_volume, btc_dominance, source FROM global_metrics
WHERE "interval" = 'snapshot' AND ts <= $as_of ORDER BY ts, source
"""

CALENDAR_SQL: Final = "SELECT ts, kind, title, note, source, origin FROM calendar_events ORDER BY ts, kind, title"
"""The whole calendar: release dates are scheduled and published in advance, so future entries are known."""

COVERAGE_SQL: Final = """
SELECT exchange, feed, "start", CASE WHEN "end" IS NULL OR "end" > $as_of THEN $as_of ELSE "end" END AS "end"
FROM feed_coverage WHERE "start" <= $as_of ORDER BY exchange, feed, "start"
"""


def liquidations_sql(assets: list[str] | None) -> str:
    """Event-level liquidations with ts <= ``$as_of``."""
    return f"""
    SELECT exchange, asset_id, ts, side, notional_usd, source FROM liquidations
    WHERE ts <= $as_of{_asset_filter(assets)} ORDER BY ts, exchange
    """


def assets_sql(assets: list[str] | None) -> str:
    """One row per asset from the assets table, the most preferred source's description first."""
    where = "" if assets is None else "WHERE list_contains($assets::VARCHAR[], asset_id)"
    return f"""
    SELECT asset_id, symbol, name, kind FROM assets {where}
    QUALIFY row_number() OVER (PARTITION BY asset_id ORDER BY {preference_sql("daily")}, source) = 1
    ORDER BY asset_id
    """


UNIVERSE_SQL: Final = f"""
WITH recent AS (
    SELECT asset_id, market_cap FROM ({daily_rows_sql(None, since="CAST($as_of AS DATE) - $fresh_days")})
    WHERE date >= CAST($as_of AS DATE) - $fresh_days
)
SELECT asset_id FROM recent GROUP BY asset_id
ORDER BY max(market_cap) DESC NULLS LAST, asset_id
LIMIT $top_n
"""
"""Assets with a daily row in the last ``$fresh_days`` days, largest (latest known market cap) first."""


def universe(con: duckdb.DuckDBPyConnection, as_of: datetime, *, top_n: int, fresh_days: int) -> list[str]:
    """The ``top_n`` assets with fresh daily data at ``as_of``, by market cap (assets without one last)."""
    frame = fetch(con, UNIVERSE_SQL, {"as_of": as_of, "fresh_days": fresh_days, "top_n": top_n})
    return [str(a) for a in frame.get_column("asset_id").to_list()] if frame.height else []


def load_frames(
    con: duckdb.DuckDBPyConnection,
    as_of: datetime,
    assets: list[str] | None,
    *,
    intraday_days: int | None = None,
    several: set[str] | None = None,
) -> fr.MarketFrames:
    """Run every frame query for ``as_of`` and conform the results to the MarketFrames schemas.

    With ``intraday_days``, candles and price points are read from ``as_of - intraday_days`` on only. ``several``:
    see :func:`read_daily`.
    """
    params: dict[str, Any] = {"as_of": as_of}
    with_assets: dict[str, Any] = dict(params, assets=assets) if assets is not None else params
    since = None if intraday_days is None else as_of - timedelta(days=intraday_days)
    sub_daily = dict(with_assets, since=since) if since is not None else with_assets

    def get(sql: str, schema: Mapping[str, pl.DataType], p: Mapping[str, Any]) -> pl.DataFrame:
        return conform(fetch(con, sql, p), schema)

    return fr.MarketFrames(
        as_of=as_of,
        daily=read_daily(con, assets, with_assets, merge=daily_sql(assets), versions=False, several=several),
        intraday=get(intraday_sql(assets, since=since is not None), fr.INTRADAY_SCHEMA, sub_daily),
        points=get(points_sql(assets, since=since is not None), fr.POINTS_SCHEMA, sub_daily),
        global_daily=get(GLOBAL_DAILY_SQL, fr.GLOBAL_DAILY_SCHEMA, params),
        global_points=get(GLOBAL_POINTS_SQL, fr.GLOBAL_POINTS_SCHEMA, params),
        calendar=get(CALENDAR_SQL, fr.CALENDAR_SCHEMA, {}),
        liquidations=get(liquidations_sql(assets), fr.LIQ_SCHEMA, with_assets),
        coverage=get(COVERAGE_SQL, fr.COVERAGE_SCHEMA, params),
        assets=get(assets_sql(assets), fr.ASSET_SCHEMA, {"assets": assets} if assets is not None else {}),
    )
