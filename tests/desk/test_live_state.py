"""store.state: resume points by run kind, and appending immutable events exactly once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.errors import StoreError
from cryptodesk.core.models import CANDLES, LIQUIDATIONS, SNAPSHOTS, Batch
from cryptodesk.store import state
from cryptodesk.store.db import Store

T = datetime(2023, 1, 18, tzinfo=UTC)


def _liq(ids: list[int], *, price: float = 100.0) -> Batch:
    frame = pl.DataFrame(
        {
            "source": "binance",
            "exchange": "binance",
            "symbol": "BTCUSDT",
            "asset_id": "bitcoin",
            "ts": [T + timedelta(seconds=i) for i in ids],
            "side": ["long" if i % 2 else "short" for i in ids],
            "quantity": [0.1 * (i + 1) for i in ids],
            "price": price,
            "notional_usd": [0.1 * (i + 1) * price for i in ids],
            "event_id": [f"e{i}" for i in ids],
        }
    )
    return Batch("liquidations", LIQUIDATIONS.conform(frame))


def test_append_inserts_only_new_keys_one_run_each(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.duckdb") as store:
        assert state.append_events(store, _liq([0, 1, 2, 2]), kind="live:liquidations") == 3
        # a replay (even with a different value) is the same event: skipped, the stored row kept
        assert state.append_events(store, _liq([1, 2, 3, 4], price=999.0), kind="live:liquidations") == 2
        rows = store.con.execute("SELECT event_id, price FROM liquidations ORDER BY event_id").fetchall()
        runs = store.con.execute("SELECT kind, CAST(detail AS VARCHAR) FROM import_runs ORDER BY run_id").fetchall()
    assert rows == [("e0", 100.0), ("e1", 100.0), ("e2", 100.0), ("e3", 999.0), ("e4", 999.0)]
    assert [k for k, _ in runs] == ["live:liquidations"] * 2
    assert '"inserted": 2' in runs[1][1]
    assert '"unchanged": 2' in runs[1][1]


def test_append_refuses_a_read_only_store_and_bad_keys(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    Store.open(path).close()
    with Store.open(path, read_only=True) as store, pytest.raises(StoreError, match="read-only"):
        state.append_events(store, _liq([0]), kind="x")
    bad = Batch("liquidations", _liq([0, 1]).frame.with_columns(pl.lit(None, pl.Utf8).alias("event_id")))
    with Store.open(path) as store:
        with pytest.raises(Exception, match="event_id"):
            state.append_events(store, bad, kind="x")
        assert store.con.execute("SELECT count(*) FROM liquidations").fetchone() == (0,)


def test_resume_points_by_run_kind(tmp_path: Path) -> None:
    def snaps(times: list[datetime]) -> Batch:
        frame = pl.DataFrame({"source": "coingecko", "asset_id": "bitcoin", "ts": times, "price": 1.0})
        return Batch("snapshots", SNAPSHOTS.conform(frame))

    chart = [T + timedelta(hours=h) for h in range(5)]
    with Store.open(tmp_path / "s.duckdb") as store:
        store.ingest([snaps(chart)], kind="live:coingecko-chart", files=[])
        store.ingest([snaps([T + timedelta(days=2)])], kind="live:coingecko-markets", files=[])
        candles = pl.DataFrame(
            {
                "source": "ccxt",
                "venue": ["binance", "binance", "okx"],
                "asset_id": "bitcoin",
                "symbol": "BTC/USDT",
                "interval": "1m",
                "open_time": [T, T + timedelta(minutes=1), T + timedelta(minutes=7)],
                "close": 1.0,
            }
        )
        store.ingest([Batch("candles", CANDLES.conform(candles))], kind="live:ccxt", files=[])
        assert state.latest_snapshot_times(store, "coingecko") == {"bitcoin": T + timedelta(days=2)}
        assert state.latest_snapshot_times(store, "coingecko", run_kind="live:coingecko-chart") == {
            "bitcoin": chart[-1]
        }
        assert state.latest_snapshot_times(store, "coingecko", run_kind="nothing") == {}
        assert state.latest_candle_times(store) == {
            ("binance", "bitcoin", "BTC/USDT", "1m"): T + timedelta(minutes=1),
            ("okx", "bitcoin", "BTC/USDT", "1m"): T + timedelta(minutes=7),
        }
        assert state.latest_global_time(store, "coingecko", "snapshot") is None
