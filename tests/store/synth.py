"""Small synthetic canonical frames for the store tests (built by hand, not by the importers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from cryptodesk.core.models import TABLES, Batch
from cryptodesk.store.db import Store


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


def staggered_store(path: Path, *, index: bool = True) -> Store:
    """Sources of the same (asset, day) that become known at different times, the preferred one last.

    Bitcoin's day D: a Binance 1d candle opening at 00:00 (known D+1 00:00, least preferred), a Yahoo candle opening
    at 03:00 with the high and low (known D+1 03:00), a CoinMarketCap candle opening at 06:00 without high/low (known
    D+1 06:00, preferred for the close). The index: CoinGecko's bar at 00:00, TradingView's (preferred) at 04:00 on
    every third day (none with ``index=False``: the market is then the sum of the assets). Ether has hourly candles
    and points for the sub-daily frames.
    """
    store = Store.open(path)
    candles, snaps, bars = [], [], []
    for d in range(40):
        day = utc(2023, 1, 1) + timedelta(days=d)
        candles.append(candle("bitcoin", day, 100.0 + d, source="binance", venue="binance-spot", volume=1.0))
        candles.append(candle("bitcoin", day + timedelta(hours=3), 150.0 + d, source="yahoo"))
        if d % 2 == 0:
            cmc = candle("bitcoin", day + timedelta(hours=6), 200.0 + d, source="coinmarketcap", venue="aggregate")
            candles.append({**cmc, "high": None, "low": None})
        snaps.append(snap("ethereum", day + timedelta(days=1), 10.0 + d, market_cap=1e9))
        for h in (3, 9, 15, 21):
            snaps.append(snap("ethereum", day + timedelta(hours=h), 10.0 + d + h / 100))
            hourly = candle("ethereum", day + timedelta(hours=h), 11.0 + d, source="binance", venue="binance-spot")
            candles.append({**hourly, "interval": "1h"})
        bars.append(global_row(day, 1e12 + d * 1e9, source="coingecko"))
        if d % 3 == 0:
            bars.append(global_row(day + timedelta(hours=4), 9e11 + d * 1e9, high=9.5e11, low=8.5e11))
    rows = {"candles": candles, "snapshots": snaps, "global_metrics": bars if index else []}
    batches = [batch(table, got) for table, got in rows.items() if got]
    store.ingest(batches, kind="import", files=[])
    return store
