"""Store health queries: counts, coverage and gaps, freshness, source disagreements."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core.errors import ConfigError
from cryptodesk.store import Store

from .synth import batch, candle, global_row, snap, utc

D = utc(2023, 1, 1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "health.duckdb") as s:
        yield s


def _days(*offsets: int) -> list:  # type: ignore[type-arg]
    return [D + timedelta(days=k) for k in offsets]


def test_counts_cover_every_table(store: Store) -> None:
    store.ingest(
        [
            batch("snapshots", [snap("bitcoin", t, 1.0) for t in _days(0, 1, 2)]),
            batch("candles", [candle("bitcoin", t, 1.0) for t in _days(0, 1)]),
        ],
        kind="import",
        files=[],
    )
    counts = store.counts()
    assert counts["snapshots"] == 3
    assert counts["candles"] == 2
    assert counts["import_runs"] == 1
    assert counts["liquidations"] == 0
    assert set(counts) >= {
        "assets",
        "global_metrics",
        "liquidations_agg",
        "calendar_events",
        "conflicts",
        "import_files",
        "feed_coverage",
    }


def test_coverage_counts_rows_and_missing_days(store: Store) -> None:
    store.ingest(
        [
            # days 0..9 with days 3, 4 and 7 missing
            batch("snapshots", [snap("bitcoin", t, 1.0) for t in _days(0, 1, 2, 5, 6, 8, 9)]),
            batch("snapshots", [snap("bitcoin", D + timedelta(hours=h), 1.0) for h in (1, 2, 50)]),
            batch("candles", [candle("bitcoin", t, 1.0) for t in _days(0, 1, 2, 3)]),
            batch("candles", [candle("bitcoin", t, 1.0, interval="1w") for t in _days(0, 7, 21)]),
            batch("global_metrics", [global_row(t, 1.0) for t in _days(0, 2)]),
        ],
        kind="import",
        files=[],
    )
    cov = store.coverage()
    got = {
        (r["asset_id"], r["table"], r["source"], r["interval"]): (r["first"], r["last"], r["rows"], r["missing_days"])
        for r in cov.iter_rows(named=True)
    }
    assert got == {
        ("bitcoin", "snapshots", "coingecko", "daily"): (D, D + timedelta(days=9), 7, 3),
        ("bitcoin", "snapshots", "coingecko", "intraday"): (D + timedelta(hours=1), D + timedelta(hours=50), 3, None),
        ("bitcoin", "candles", "yahoo", "1d"): (D, D + timedelta(days=3), 4, 0),
        ("bitcoin", "candles", "yahoo", "1w"): (D, D + timedelta(days=21), 3, None),
        ("market", "global_metrics", "tradingview", "1d"): (D, D + timedelta(days=2), 2, 1),
    }


def test_latest_times_per_table_and_source(store: Store) -> None:
    store.ingest(
        [
            batch("snapshots", [snap("bitcoin", t, 1.0) for t in _days(0, 4)]),
            batch("snapshots", [snap("ethereum", t, 1.0, source="coinmarketcap") for t in _days(2)]),
            batch("candles", [candle("bitcoin", t, 1.0, source="binance", interval="1m") for t in _days(6)]),
        ],
        kind="import",
        files=[],
    )
    fresh = store.latest_times()
    assert fresh.rows() == [
        ("candles", "binance", D + timedelta(days=6), 1),
        ("snapshots", "coingecko", D + timedelta(days=4), 2),
        ("snapshots", "coinmarketcap", D + timedelta(days=2), 1),
    ]


def test_disagreements_above_tolerance(store: Store) -> None:
    # close of day k comes from the snapshot at k+1; Yahoo candle for day k
    cg = {0: 100.0, 1: 100.0, 2: 100.0, 3: 100.0}
    yahoo = {0: 100.4, 1: 99.0, 2: 100.6, 3: 100.0}
    store.ingest(
        [
            batch("snapshots", [snap("bitcoin", D + timedelta(days=k + 1), v) for k, v in cg.items()]),
            batch("candles", [candle("bitcoin", D + timedelta(days=k), v) for k, v in yahoo.items()]),
            batch("candles", [candle("solana", D, 10.0)]),  # one source only: nothing to compare
        ],
        kind="import",
        files=[],
    )
    found = store.disagreements(tolerance=0.005)
    expected = {
        (D + timedelta(days=k)).date(): abs(yahoo[k] - cg[k]) / cg[k]
        for k in cg
        if abs(yahoo[k] - cg[k]) / cg[k] > 0.005
    }
    assert {r["date"]: r["rel_diff"] for r in found.iter_rows(named=True)} == pytest.approx(expected)
    assert set(found["source_a"].to_list()) == {"coingecko"}
    assert set(found["source_b"].to_list()) == {"yahoo"}
    assert found["rel_diff"].to_list() == sorted(found["rel_diff"].to_list(), reverse=True)
    assert store.disagreements(tolerance=0.0).height == 3
    assert store.disagreements(tolerance=0.5).height == 0


def test_global_disagreements(store: Store) -> None:
    store.ingest(
        [
            batch(
                "global_metrics",
                [
                    global_row(D, 1.0e12),
                    global_row(D, 1.09e12, source="coingecko"),
                    global_row(D + timedelta(days=1), 1.0e12),
                ],
            )
        ],
        kind="import",
        files=[],
    )
    found = store.disagreements("global_daily", tolerance=0.05)
    assert found.rows() == [
        ("market", date(2023, 1, 1), "tradingview", 1.0e12, "coingecko", 1.09e12, pytest.approx(0.09))
    ]


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [({"table": "candles"}, "table"), ({"tolerance": -1.0}, "tolerance"), ({"tolerance": float("nan")}, "tolerance")],
)
def test_disagreements_bad_parameters(store: Store, kwargs: dict, parameter: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as info:
        store.disagreements(**kwargs)
    assert info.value.parameter == parameter


def test_health_frames_are_empty_on_a_fresh_store(store: Store) -> None:
    for frame in (store.coverage(), store.latest_times(), store.conflicts(), store.disagreements(), store.assets()):
        assert isinstance(frame, pl.DataFrame)
        assert frame.height == 0


def test_weekly_and_weekday_series_are_not_full_of_gaps(store: Store) -> None:
    """Weekly snapshots are 'weekly' with no missing-day count; an index with no weekend rows counts weekdays."""
    weekly = [D + timedelta(days=7 * i) for i in range(6)]
    weekdays = [D + timedelta(days=i) for i in range(28) if (D + timedelta(days=i)).weekday() < 5]
    dropped = weekdays[7]
    store.ingest(
        [
            batch("snapshots", [snap("ethereum", t, 1.0, source="coinmarketcap") for t in weekly]),
            batch("candles", [candle("sp500", t, 1.0) for t in weekdays if t != dropped]),
        ],
        kind="import",
        files=[],
    )
    cov = {(r["asset_id"], r["interval"]): r["missing_days"] for r in store.coverage().iter_rows(named=True)}
    assert cov[("ethereum", "weekly")] is None
    assert cov[("sp500", "1d")] == 1
