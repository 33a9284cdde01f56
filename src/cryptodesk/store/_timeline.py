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
from datetime import datetime, timedelta
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
    points_sql,
    universe,
)
from cryptodesk.store._sql import conform, fetch

_ORDER: Final = "ORDER BY _pref, source, _kind, _venue"


def daily_versions_sql(assets: list[str] | None) -> str:
    """Every version of every merged daily row known at ``$as_of``, with ``valid_from`` and ``valid_to``.

    A version exists at each distinct ``available_at`` of the key's source rows: the merge of
    ``_frames.daily_sql`` over the rows available by then.
    """
    return f"""
    WITH raw AS ({daily_rows_sql(assets)}),
    vt AS (SELECT DISTINCT asset_id, date, available_at AS _v FROM raw),
    cand AS (
        SELECT vt._v, raw.* FROM vt JOIN raw
        ON raw.asset_id = vt.asset_id AND raw.date = vt.date AND raw.available_at <= vt._v
    ),
    best AS (
        SELECT * FROM cand WHERE close IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY asset_id, date, _v {_ORDER}) = 1
    ),
    hl AS (
        SELECT asset_id, date, _v, high, low, available_at AS hl_at FROM cand
        WHERE high IS NOT NULL AND low IS NOT NULL
        QUALIFY row_number() OVER (PARTITION BY asset_id, date, _v {_ORDER}) = 1
    )
    SELECT b.asset_id, b.date, b.close, hl.high, hl.low, b.volume, b.market_cap, b.source,
           CASE WHEN hl.hl_at > b.available_at THEN hl.hl_at ELSE b.available_at END AS available_at,
           b._v AS valid_from, lead(b._v) OVER (PARTITION BY b.asset_id, b.date ORDER BY b._v) AS valid_to
    FROM best b LEFT JOIN hl ON hl.asset_id = b.asset_id AND hl.date = b.date AND hl._v = b._v
    ORDER BY b.asset_id, b.date, valid_from
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
) -> fr.MarketTimeline:
    """Everything known at ``end`` about ``assets``, versioned so it can be cut at any moment from ``start`` on."""
    since = None if intraday_days is None else start - timedelta(days=intraday_days)
    params: dict[str, Any] = {"as_of": end}
    with_assets: dict[str, Any] = dict(params, assets=assets) if assets is not None else dict(params)
    sub_daily = dict(with_assets, since=since) if since is not None else with_assets
    versioned = {**fr.DAILY_SCHEMA, **fr.VERSION_SCHEMA}
    global_versioned = {**fr.GLOBAL_DAILY_SCHEMA, **fr.VERSION_SCHEMA}

    def get(sql: str, schema: dict[str, pl.DataType], p: dict[str, Any]) -> pl.DataFrame:
        return conform(fetch(con, sql, p), schema)

    frames = fr.MarketFrames(
        as_of=end,
        daily=get(daily_versions_sql(assets), versioned, with_assets),
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


def universes(
    con: duckdb.DuckDBPyConnection, moments: Sequence[datetime], *, top_n: int, fresh_days: int
) -> dict[datetime, list[str]]:
    """:func:`_frames.universe` at each of ``moments``."""
    return {m: universe(con, m, top_n=top_n, fresh_days=fresh_days) for m in moments}
