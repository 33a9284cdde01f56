"""The total market cap as the sum of the assets' caps per date, in SQL that Spark and DuckDB both run.

This is :func:`cryptodesk.analytics.market.total_series`'s sum (``market._sum_series``) as a
cross-sectional SQL aggregate, so an engine never holds every asset's rows in one process:
the Spark engine runs it in Spark SQL on the lake, the memory-bounded DuckDB engine
(:mod:`cryptodesk.engines.batched`) in DuckDB on the caps it gathered batch by batch. The
two dialects differ only in ``datediff``. ``tests/engines`` keep both equal to
``market_state`` on the same data (within 1e-9: the summation order differs).
"""

from __future__ import annotations

from typing import Final, Literal

from cryptodesk.store._sql import lit

Dialect = Literal["spark", "duckdb"]

_DAYS_BETWEEN: Final[dict[str, str]] = {
    "spark": "datediff({end}, {start})",
    "duckdb": "datediff('day', {start}, {end})",
}


def sum_series_sql(btc: str, max_gap_days: int, *, dialect: Dialect = "spark") -> str:
    """Per date: the summed cap (``close``), volume and BTC's share, from ``{caps}``.

    ``{caps}`` holds one row per crypto asset and date with a positive market cap
    (asset_id, date, market_cap, volume, source). Members are the assets with a cap on the
    latest date; each counts from its own first day; a gap is bridged with the member's
    last row (cap and volume of that same row) for up to ``max_gap_days`` days, and a date
    where a member's gap is longer is left out.
    """
    gap = _DAYS_BETWEEN[dialect].format(end="date", start="seen")
    return f"""
    WITH last_day AS (SELECT max(date) AS d FROM {{caps}}),
    members AS (SELECT DISTINCT c.asset_id FROM {{caps}} c JOIN last_day l ON c.date = l.d),
    mcaps AS (
        SELECT c.asset_id, c.date, c.market_cap, c.volume FROM {{caps}} c JOIN members m ON c.asset_id = m.asset_id
    ),
    firsts AS (SELECT asset_id, min(date) AS first_day FROM mcaps GROUP BY asset_id),
    days AS (SELECT DISTINCT date FROM mcaps),
    grid AS (SELECT f.asset_id, d.date FROM firsts f CROSS JOIN days d WHERE d.date >= f.first_day),
    seen AS (
        SELECT g.asset_id, g.date,
               max(m.date) OVER (PARTITION BY g.asset_id ORDER BY g.date
                                 ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS seen
        FROM grid g LEFT JOIN mcaps m ON m.asset_id = g.asset_id AND m.date = g.date
    ),
    filled AS (
        SELECT s.asset_id, s.date, s.seen, m.market_cap AS cap, m.volume AS vol
        FROM seen s JOIN mcaps m ON m.asset_id = s.asset_id AND m.date = s.seen
    )
    SELECT date, sum(cap) AS close, coalesce(sum(vol), CAST(0 AS DOUBLE)) AS volume,
           max(CASE WHEN asset_id = {lit(btc)} THEN cap END) / sum(cap) AS btc_dominance
    FROM filled GROUP BY date
    HAVING bool_and({gap} <= {int(max_gap_days)})
    ORDER BY date
    """


MEMBERS_SQL: Final = """
SELECT c.asset_id, c.source FROM {caps} c JOIN (SELECT max(date) AS d FROM {caps}) l ON c.date = l.d
"""
"""The members of the sum (assets with a cap on the latest date) and their sources."""
