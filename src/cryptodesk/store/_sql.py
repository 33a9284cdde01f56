"""Small SQL helpers shared by the store modules (quoting, fetching, Polars conversion).

DuckDB 2.0 wants every result fetched fully before the next statement on a
connection: :func:`run` fetches a statement's (row count) result, :func:`fetch`
materialises a query as an Arrow table through ``sql().to_arrow_table()``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import duckdb
import polars as pl

Params = Mapping[str, Any] | Sequence[Any] | None


def q(name: str) -> str:
    """A double-quoted SQL identifier (column names such as ``open`` or ``end`` are keywords)."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def qlist(names: Iterable[str], prefix: str = "") -> str:
    """Comma-separated quoted identifiers, each optionally qualified by ``prefix`` (e.g. ``w.``)."""
    return ", ".join(prefix + q(n) for n in names)


def run(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> int:
    """Execute a statement, fetch its result fully and return the affected row count (0 for DDL)."""
    rows = con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()
    if rows and len(rows[0]) == 1 and isinstance(rows[0][0], int):
        return int(rows[0][0])
    return 0


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> Any:
    """The first column of the first row of a query (None when it returns no row)."""
    rows = con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()
    return rows[0][0] if rows else None


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> pl.DataFrame:
    """Run a query and return its whole result as a Polars frame (through Arrow)."""
    rel = con.sql(sql, params=params) if params else con.sql(sql)
    frame = pl.from_arrow(rel.to_arrow_table())
    assert isinstance(frame, pl.DataFrame)
    return frame


def conform(frame: pl.DataFrame, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
    """Select and cast ``frame`` to ``schema``; timestamps end up in the ``UTC`` zone exactly."""
    exprs: list[pl.Expr] = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None:
            current = frame.schema.get(name)
            if isinstance(current, pl.Datetime) and current.time_zone is not None:
                col = col.dt.convert_time_zone(dtype.time_zone)
            elif isinstance(current, pl.Datetime):
                col = col.dt.replace_time_zone(dtype.time_zone)
        exprs.append(col.cast(dtype).alias(name))
    return frame.select(exprs)
