"""Small synthetic canonical frames for the store tests (built by hand, not by the importers)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import polars as pl

from cryptodesk.core.models import TABLES, Batch


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    """An aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def batch(table: str, rows: list[dict[str, Any]]) -> Batch:
    """A Batch for ``table`` from row dicts (missing columns are null), conformed to the table spec."""
    spec = TABLES[table]
    frame = pl.DataFrame(rows, schema={k: v for k, v in spec.columns.items() if any(k in r for r in rows)})
    return Batch(table, spec.conform(frame))


def snap(asset: str, ts: datetime, price: float, *, source: str = "coingecko", **extra: Any) -> dict[str, Any]:
    """One snapshots row."""
    return {"source": source, "asset_id": asset, "ts": ts, "price": price, **extra}


def candle(
    asset: str,
    open_time: datetime,
    close: float,
    *,
    source: str = "yahoo",
    interval: str = "1d",
    venue: str = "spot",
    **extra: Any,
) -> dict[str, Any]:
    """One candles row (open/high/low default around ``close``)."""
    row: dict[str, Any] = {
        "source": source,
        "venue": venue,
        "asset_id": asset,
        "symbol": asset[:3].upper(),
        "interval": interval,
        "open_time": open_time,
        "open": close,
        "high": close * 1.01,
        "low": close * 0.99,
        "close": close,
    }
    row.update(extra)
    return row


def global_row(
    ts: datetime, total: float, *, source: str = "tradingview", interval: str = "1d", **extra: Any
) -> dict[str, Any]:
    """One global_metrics row."""
    return {"source": source, "interval": interval, "ts": ts, "total_market_cap": total, **extra}


ALL_TABLES = (*TABLES, "schema_migrations", "import_runs", "import_files", "conflicts", "feed_coverage")


def dump(path: str | object) -> dict[str, pl.DataFrame]:
    """Every table's full content (sorted), read through a separate read-only connection."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        out: dict[str, pl.DataFrame] = {}
        for name in ALL_TABLES:
            table = con.sql(f'SELECT * FROM "{name}" ORDER BY ALL').to_arrow_table()
            frame = pl.from_arrow(table)
            assert isinstance(frame, pl.DataFrame)
            out[name] = frame
        return out
    finally:
        con.close()


def assert_same_content(a: dict[str, pl.DataFrame], b: dict[str, pl.DataFrame]) -> None:
    """Both dumps hold exactly the same rows in every table."""
    assert a.keys() == b.keys()
    for name, frame in a.items():
        assert frame.equals(b[name], null_equal=True), f"table {name} differs"
