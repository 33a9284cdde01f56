"""Versioned frames over a period, and the asset universe of many moments in one query.

``Store.frames(as_of)`` merges the daily rows of several sources as they were known at
``as_of``. A replay over many days (the desk log, ``events --from/--to``) would run
that merge once a day; instead :func:`load_timeline` runs it once for the last
moment and keeps **every version** a merged row went through: a merged daily row
is re-derived at each time one of its source rows became available, and is valid
from then until the next such time (``valid_from``, ``valid_to``; null = still
current). Cutting these versions at any earlier ``as_of`` gives exactly the rows
``Store.frames(as_of)`` returns (``core.frames.MarketTimeline.at``). With one
source per row, or sources that arrive together, every row has one version and
the cost is that of a single ``frames`` call.

Sub-daily frames (candles, points, liquidations) are observations keyed by their
own time, so cutting them by time is already exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import duckdb
import polars as pl

from cryptodesk.core import frames as fr
from cryptodesk.store._frames import (
    CALENDAR_SQL,
    COVERAGE_SQL,
    GLOBAL_POINTS_SQL,
    assets_sql,
    daily_rows_sql,
    global_daily_rows_sql,
    intraday_sql,
    liquidations_sql,
    merge_sql,
    points_sql,
    read_daily,
    universe,
)
from cryptodesk.store._sql import conform, fetch

_ORDER: Final = "ORDER BY _pref, source, _kind, _venue"


def daily_versions_sql(assets: list[str] | None) -> str:
    """Every version of every merged daily row known at ``$as_of``, with ``valid_from`` and ``valid_to``.

    A version exists at each distinct ``available_at`` of the key's source rows: the merge of
    ``_frames.daily_sql`` over the rows available by then. Keys whose rows all arrived at once (nearly all of them)
    have one version, merged without the join.
    """
    raw = daily_rows_sql(assets)
    cols = """asset_id, date, b.close, h.high, h.low, b.volume, b.market_cap, b.source,
           CASE WHEN h.available_at > b.available_at THEN h.available_at ELSE b.available_at END AS available_at"""
    return f"""
    WITH raw AS ({raw}),
    times AS (SELECT asset_id, date, count(DISTINCT available_at) AS n FROM raw GROUP BY ALL),
    single AS (SELECT raw.* FROM raw JOIN times USING (asset_id, date) WHERE times.n = 1),
    multi AS (
        SELECT vt._v, raw.* FROM (SELECT DISTINCT asset_id, date, available_at AS _v FROM raw) vt
        JOIN times USING (asset_id, date) JOIN raw USING (asset_id, date)
        WHERE times.n > 1 AND raw.available_at <= vt._v
    ),
    one AS (
        SELECT {cols}, available_at AS valid_from, CAST(NULL AS TIMESTAMPTZ) AS valid_to
        FROM ({merge_sql("SELECT * FROM single", "asset_id, date")})
    ),
    many AS (
        SELECT {cols}, _v AS valid_from, lead(_v) OVER (PARTITION BY asset_id, date ORDER BY _v) AS valid_to
        FROM ({merge_sql("SELECT * FROM multi", "asset_id, date, _v")})
    )
    SELECT * FROM (SELECT * FROM one UNION ALL SELECT * FROM many) ORDER BY asset_id, date, valid_from
    """


GLOBAL_VERSIONS_SQL: Final = f"""
WITH raw AS ({global_daily_rows_sql()}),
vt AS (SELECT DISTINCT date, available_at AS _v FROM raw),
best AS (
    SELECT vt._v, raw.* FROM vt JOIN raw ON raw.date = vt.date AND raw.available_at <= vt._v
    QUALIFY row_number() OVER (PARTITION BY raw.date, vt._v ORDER BY raw._pref, raw.source) = 1
)
SELECT * EXCLUDE (_pref, _v), _v AS valid_from, lead(_v) OVER (PARTITION BY date ORDER BY _v) AS valid_to
FROM best ORDER BY date, valid_from
"""
"""Every version of the preferred daily global bar per date (see :data:`_frames.GLOBAL_DAILY_SQL`)."""


def load_timeline(
    con: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    assets: list[str] | None,
    *,
    intraday_days: int | None,
    several: set[str] | None = None,
) -> fr.MarketTimeline:
    """Everything known at ``end`` about ``assets``, versioned so it can be cut at any moment from ``start`` on.

    ``several``: see :func:`_frames.read_daily`.
    """
    since = None if intraday_days is None else start - timedelta(days=intraday_days)
    params: dict[str, Any] = {"as_of": end}
    with_assets: dict[str, Any] = dict(params, assets=assets) if assets is not None else dict(params)
    sub_daily = dict(with_assets, since=since) if since is not None else with_assets
    global_versioned = {**fr.GLOBAL_DAILY_SCHEMA, **fr.VERSION_SCHEMA}

    def get(sql: str, schema: dict[str, pl.DataType], p: dict[str, Any]) -> pl.DataFrame:
        return conform(fetch(con, sql, p), schema)

    frames = fr.MarketFrames(
        as_of=end,
        daily=read_daily(con, assets, with_assets, merge=daily_versions_sql(assets), versions=True, several=several),
        intraday=get(intraday_sql(assets, since=since is not None), fr.INTRADAY_SCHEMA, sub_daily),
        points=get(points_sql(assets, since=since is not None), fr.POINTS_SCHEMA, sub_daily),
        global_daily=get(GLOBAL_VERSIONS_SQL, global_versioned, params),
        global_points=get(GLOBAL_POINTS_SQL, fr.GLOBAL_POINTS_SCHEMA, params),
        calendar=get(CALENDAR_SQL, fr.CALENDAR_SCHEMA, {}),
        liquidations=get(liquidations_sql(assets), fr.LIQ_SCHEMA, with_assets),
        coverage=get(COVERAGE_SQL, fr.COVERAGE_SCHEMA, params),
        assets=get(assets_sql(assets), fr.ASSET_SCHEMA, {"assets": assets} if assets is not None else {}),
    )
    return fr.MarketTimeline(start=start, end=end, frames=frames, intraday_days=intraday_days)


UNIVERSES_SQL: Final = f"""
WITH moments AS (SELECT m, CAST(m AS DATE) AS day FROM (SELECT unnest($moments::TIMESTAMPTZ[]) AS m)),
per AS (
    SELECT asset_id, date, available_at, max(market_cap) AS cap
    FROM ({daily_rows_sql(None, since="CAST($first AS DATE) - $fresh_days")})
    WHERE date >= CAST($first AS DATE) - $fresh_days
    GROUP BY ALL
),
kept AS (
    SELECT * FROM per
    QUALIFY cap IS NULL OR rank() OVER (PARTITION BY date, available_at ORDER BY cap DESC) <= $top_n
),
spread AS (  -- each row with every day whose window holds it: date <= day <= date + fresh_days
    SELECT asset_id, available_at, cap, CAST(date + CAST(k AS INTEGER) AS DATE) AS day
    FROM kept, range(0, $fresh_days + 1) AS r(k)
),
seen AS (
    SELECT moments.m, spread.asset_id, max(spread.cap) AS cap
    FROM moments JOIN spread ON spread.day = moments.day AND spread.available_at <= moments.m
    GROUP BY ALL
)
SELECT m, asset_id, cap FROM seen
QUALIFY row_number() OVER (PARTITION BY m ORDER BY cap DESC NULLS LAST, asset_id) <= $top_n
ORDER BY m, cap DESC NULLS LAST, asset_id
"""
""":data:`_frames.UNIVERSE_SQL` for every moment of ``$moments`` at once (``$as_of`` is the last of them).

Exact, and cheap on thousands of moments: a row outside the ``top_n`` largest market caps of the rows of its day
known at the same time (``rank()`` within ``(date, available_at)``) can never make its asset one of the ``top_n``
largest at any moment: the rows above it are all known whenever it is, and each lifts its own asset above it.
"""


def universes(
    con: duckdb.DuckDBPyConnection, moments: Sequence[datetime], *, top_n: int, fresh_days: int
) -> dict[datetime, list[str]]:
    """:func:`_frames.universe` at each of ``moments``, in one query (the order within each is the same)."""
    if not moments:
        return {}
    if len(moments) == 1:
        return {moments[0]: universe(con, moments[0], top_n=top_n, fresh_days=fresh_days)}
    params = {
        "moments": list(moments),
        "as_of": max(moments),
        "first": min(moments),
        "fresh_days": fresh_days,
        "top_n": top_n,
    }
    frame = fetch(con, UNIVERSES_SQL, params)
    out: dict[datetime, list[str]] = {m: [] for m in moments}
    by_utc = {m.astimezone(UTC): m for m in moments}
    for m, asset in zip(frame.get_column("m").to_list(), frame.get_column("asset_id").to_list(), strict=True):
        out[by_utc[m.astimezone(UTC)]].append(str(asset))
    return out
