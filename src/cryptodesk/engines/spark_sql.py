"""Point-in-time frames in Spark SQL: the rules of ``store/_frames.py``, statement for statement.

Each query here mirrors the DuckDB query of the same name in
:mod:`cryptodesk.store._frames` (read its docstring for the conventions): a
midnight snapshot is the close of the previous UTC day available at its ``ts``; a
``1d`` candle opening at D is day D available at D+1 00:00; sub-daily candles are
known from ``open_time + interval``; daily rows merge by
:data:`~cryptodesk.store.preference.SOURCE_PREFERENCE`. Every cut is
``available_at <= as_of`` (or ``close_time``/``ts`` <= as_of), so a row the DuckDB
engine does not know is never known here either. DuckDB's ``QUALIFY`` becomes a
``row_number()`` subquery; ``as_of`` is inlined as ``timestamp_micros(<int>)``
(exact), tables are DataFrame references (``{snapshots}``), and ``_part_month`` is
the lake's ``month`` partition column, used only to prune files.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from cryptodesk.store._frames import DAY_US, INTERVAL_SECONDS
from cryptodesk.store._sql import lit
from cryptodesk.store.preference import preference_sql

PART: Final = "_part_month"
"""Name given to the lake's ``month`` partition column when a table is read (pruning only)."""


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime (exact integer arithmetic)."""
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def ts_lit(moment: datetime) -> str:
    """A Spark SQL timestamp literal equal to ``moment`` to the microsecond."""
    return f"timestamp_micros({micros(moment)})"


def day_lit(moment: datetime) -> str:
    """The UTC month of ``moment`` as a ``'YYYY-MM'`` literal (compared with the lake's month partitions)."""
    return f"'{moment.astimezone(UTC).strftime('%Y-%m')}'"


def plus_seconds(column: str, seconds: str) -> str:
    """``column + seconds`` (an integer SQL expression) as an exact timestamp expression."""
    return f"timestamp_micros(unix_micros({column}) + CAST({seconds} AS BIGINT) * 1000000)"


def _interval_case() -> str:
    whens = " ".join(f"WHEN {lit(k)} THEN {v}" for k, v in INTERVAL_SECONDS.items())
    return f"(CASE `interval` {whens} END)"


def daily_rows_sql(as_of: datetime, *, bounded: bool = True) -> str:
    """Every source's unmerged daily rows (as ``daily_rows_sql`` in the store)."""
    t, d = ts_lit(as_of), day_lit(as_of)
    snap_cut = f" AND ts <= {t} AND {PART} <= {d}" if bounded else ""
    candle_cut = f" AND {plus_seconds('open_time', '86400')} <= {t} AND {PART} <= {d}" if bounded else ""
    return f"""
    SELECT asset_id, source, 0 AS _kind, '' AS _venue, date_sub(to_date(ts), 1) AS date,
           price AS close, CAST(NULL AS DOUBLE) AS high, CAST(NULL AS DOUBLE) AS low,
           volume_24h AS volume, market_cap, ts AS available_at, {preference_sql("daily")} AS _pref
    FROM {{snapshots}}
    WHERE unix_micros(ts) % {DAY_US} = 0{snap_cut}
    UNION ALL
    SELECT asset_id, source, 1 AS _kind, coalesce(venue, '') AS _venue, to_date(open_time) AS date,
           close, high, low, coalesce(quote_volume, volume * close) AS volume, CAST(NULL AS DOUBLE) AS market_cap,
           {plus_seconds("open_time", "86400")} AS available_at, {preference_sql("daily")} AS _pref
    FROM {{candles}}
    WHERE `interval` = '1d'{candle_cut}
    """


def daily_sql(as_of: datetime) -> str:
    """One merged row per (asset, date) known at ``as_of`` (as ``daily_sql`` in the store)."""
    order = "ORDER BY _pref, source, _kind, _venue"
    return f"""
    WITH raw AS ({daily_rows_sql(as_of)}),
    best AS (
        SELECT * FROM (
            SELECT *, row_number() OVER (PARTITION BY asset_id, date {order}) AS _rn FROM raw WHERE close IS NOT NULL
        ) WHERE _rn = 1
    ),
    hl AS (
        SELECT asset_id, date, high, low, hl_at FROM (
            SELECT asset_id, date, high, low, available_at AS hl_at,
                   row_number() OVER (PARTITION BY asset_id, date {order}) AS _rn
            FROM raw WHERE high IS NOT NULL AND low IS NOT NULL
        ) WHERE _rn = 1
    )
    SELECT b.asset_id, b.date, b.close, hl.high, hl.low, b.volume, b.market_cap, b.source,
           CASE WHEN hl.hl_at > b.available_at THEN hl.hl_at ELSE b.available_at END AS available_at
    FROM best b LEFT JOIN hl ON hl.asset_id = b.asset_id AND hl.date = b.date
    """


def intraday_sql(as_of: datetime, since: datetime | None = None) -> str:
    """Closed sub-daily candles (close_time <= as_of; opened at or after ``since`` when given)."""
    t = ts_lit(as_of)
    lower = "" if since is None else f" AND open_time >= {ts_lit(since)} AND {PART} >= {day_lit(since)}"
    return f"""
    SELECT * FROM (
        SELECT asset_id, source, venue, `interval`, open_time,
               {plus_seconds("open_time", _interval_case())} AS close_time, open, high, low, close, volume
        FROM {{candles}}
        WHERE {_interval_case()} IS NOT NULL AND open_time <= {t} AND {PART} <= {day_lit(as_of)}{lower}
    ) WHERE close_time <= {t}
    """


def points_sql(as_of: datetime, since: datetime | None = None) -> str:
    """Sub-daily (non-midnight) snapshots with ts <= as_of (and ts >= ``since`` when given)."""
    lower = "" if since is None else f" AND ts >= {ts_lit(since)} AND {PART} >= {day_lit(since)}"
    return f"""
    SELECT asset_id, source, ts, price, market_cap, volume_24h FROM {{snapshots}}
    WHERE unix_micros(ts) % {DAY_US} <> 0 AND ts <= {ts_lit(as_of)} AND {PART} <= {day_lit(as_of)}{lower}
    """


def global_daily_sql(as_of: datetime) -> str:
    """The preferred daily global bar per date, known at as_of."""
    return f"""
    SELECT date, open, high, low, close, volume, btc_dominance, source, available_at FROM (
        SELECT *, row_number() OVER (PARTITION BY date ORDER BY _pref, source) AS _rn FROM (
            SELECT to_date(ts) AS date, open, high, low, total_market_cap AS close, total_volume AS volume,
                   btc_dominance, source, {plus_seconds("ts", "86400")} AS available_at,
                   {preference_sql("global")} AS _pref
            FROM {{global_metrics}}
            WHERE `interval` = '1d' AND {plus_seconds("ts", "86400")} <= {ts_lit(as_of)}
        )
    ) WHERE _rn = 1 ORDER BY date
    """


def global_points_sql(as_of: datetime) -> str:
    """Global snapshots with ts <= as_of."""
    return f"""
    SELECT ts, total_market_cap, total_volume, btc_dominance, source FROM {{global_metrics}}
    WHERE `interval` = 'snapshot' AND ts <= {ts_lit(as_of)} ORDER BY ts, source
    """


CALENDAR_SQL: Final = "SELECT ts, kind, title, note, source, origin FROM {calendar_events} ORDER BY ts, kind, title"
"""The whole calendar (scheduled releases are known in advance, as in the store)."""


def coverage_sql(as_of: datetime) -> str:
    """Feed coverage intervals started by as_of, open ends clipped at as_of."""
    t = ts_lit(as_of)
    return f"""
    SELECT exchange, feed, start, CASE WHEN `end` IS NULL OR `end` > {t} THEN {t} ELSE `end` END AS `end`
    FROM {{feed_coverage}} WHERE start <= {t} ORDER BY exchange, feed, start
    """


def liquidations_sql(as_of: datetime) -> str:
    """Event-level liquidations with ts <= as_of."""
    return f"""
    SELECT exchange, asset_id, ts, side, notional_usd, source FROM {{liquidations}}
    WHERE ts <= {ts_lit(as_of)} AND {PART} <= {day_lit(as_of)}
    """


ASSETS_SQL: Final = f"""
SELECT asset_id, symbol, name, kind FROM (
    SELECT *, row_number() OVER (PARTITION BY asset_id ORDER BY {preference_sql("daily")}, source) AS _rn
    FROM {{assets}}
) WHERE _rn = 1
"""
"""One row per asset, the most preferred source's description."""


def universe_sql(as_of: datetime, *, top_n: int, fresh_days: int) -> str:
    """The ``top_n`` assets with a daily row in the last ``fresh_days`` days, largest market cap first."""
    return f"""
    WITH recent AS (
        SELECT asset_id, market_cap FROM ({daily_rows_sql(as_of)})
        WHERE date >= date_sub(to_date({ts_lit(as_of)}), {int(fresh_days)})
    )
    SELECT asset_id FROM recent GROUP BY asset_id
    ORDER BY max(market_cap) DESC NULLS LAST, asset_id
    LIMIT {int(top_n)}
    """
