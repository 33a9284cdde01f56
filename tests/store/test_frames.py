"""Store.frames: point-in-time rules (no look-ahead), source preference and fallback, frame schemas."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.core import frames as fr
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.models import Batch
from cryptodesk.store import SOURCE_PREFERENCE, Store

from .synth import batch, candle, global_row, snap, utc

D = utc(2023, 1, 18)
US = timedelta(microseconds=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.open(tmp_path / "frames.duckdb") as s:
        yield s


def _ingest(store: Store, *batches: Batch) -> None:
    store.ingest(list(batches), kind="test", files=[])


def _day(frames: fr.MarketFrames, asset: str, day: date) -> dict[str, object] | None:
    rows = frames.daily.filter((pl.col("asset_id") == asset) & (pl.col("date") == day))
    assert rows.height <= 1
    return rows.row(0, named=True) if rows.height else None


def test_every_frame_has_its_schema_even_when_empty(store: Store) -> None:
    frames = store.frames(D)
    empty = fr.MarketFrames.empty(D)
    for name in (
        "daily",
        "intraday",
        "points",
        "global_daily",
        "global_points",
        "calendar",
        "liquidations",
        "coverage",
        "assets",
    ):
        assert getattr(frames, name).schema == getattr(empty, name).schema, name
        assert getattr(frames, name).height == 0
    assert frames.as_of == D


def test_naive_as_of_is_refused(store: Store) -> None:
    with pytest.raises(ConfigError, match="timezone-aware"):
        store.frames(datetime(2023, 1, 18))


def test_daily_candle_is_known_only_after_its_day(store: Store) -> None:
    _ingest(store, batch("candles", [candle("bitcoin", D, 20688.78, high=21564.5, low=20541.54)]))
    assert _day(store.frames(D + timedelta(hours=23, minutes=59, seconds=59)), "bitcoin", D.date()) is None
    assert _day(store.frames(D + timedelta(days=1) - US), "bitcoin", D.date()) is None
    row = _day(store.frames(D + timedelta(days=1)), "bitcoin", D.date())
    assert row is not None
    assert (row["close"], row["high"], row["low"], row["source"]) == (20688.78, 21564.5, 20541.54, "yahoo")
    assert row["available_at"] == D + timedelta(days=1)


def test_midnight_snapshot_is_previous_day_close(store: Store) -> None:
    _ingest(store, batch("snapshots", [snap("bitcoin", D, 21156.78, market_cap=4.074e11, volume_24h=3.33e10)]))
    assert store.frames(D - US).daily.height == 0
    frames = store.frames(D)
    assert frames.daily.height == 1
    row = frames.daily.row(0, named=True)
    assert row["date"] == date(2023, 1, 17)
    assert (row["close"], row["market_cap"], row["volume"]) == (21156.78, 4.074e11, 3.33e10)
    assert row["high"] is None
    assert row["low"] is None
    assert row["available_at"] == D
    assert frames.points.height == 0  # a midnight snapshot is a daily row, not a point


def test_daily_rows_never_available_after_as_of(store: Store) -> None:
    rows = [snap("bitcoin", D + timedelta(days=k), 100.0 + k) for k in range(-5, 6)]
    rows += [snap("bitcoin", D + timedelta(days=k, hours=h), 1.0) for k in range(-2, 3) for h in (6, 12, 18)]
    candles = [candle("ethereum", D + timedelta(days=k), 10.0 + k) for k in range(-5, 6)]
    _ingest(store, batch("snapshots", rows), batch("candles", candles))
    for as_of in (D - timedelta(hours=1), D, D + timedelta(hours=12, minutes=30), D + timedelta(days=2)):
        frames = store.frames(as_of)
        assert frames.daily["available_at"].max() <= as_of  # type: ignore[operator]
        assert frames.points["ts"].max() <= as_of  # type: ignore[operator]
        last_btc = frames.daily.filter(pl.col("asset_id") == "bitcoin")["date"].max()
        last_eth = frames.daily.filter(pl.col("asset_id") == "ethereum")["date"].max()
        # snapshot at X 00:00 -> day X-1; candle of day X -> known at X+1 00:00: both end at the day before as_of's day
        expected_last = (as_of - timedelta(days=1)).date()
        assert last_btc == expected_last
        assert last_eth == expected_last


@pytest.mark.parametrize(
    ("winner", "loser"),
    [
        ("coingecko", "yahoo"),
        ("coingecko", "coinmarketcap"),
        ("coinmarketcap", "yahoo"),
        ("yahoo", "binance"),
        ("binance", "kraken"),
        ("aaa-unknown", "zzz-unknown"),
    ],
)
def test_source_preference_for_close(store: Store, winner: str, loser: str) -> None:
    rows = [
        snap("bitcoin", D, 111.0, source=winner, market_cap=5.0, volume_24h=7.0),
        snap("bitcoin", D, 222.0, source=loser, market_cap=6.0, volume_24h=8.0),
    ]
    _ingest(store, batch("snapshots", rows))
    row = _day(store.frames(D), "bitcoin", date(2023, 1, 17))
    assert row is not None
    assert (row["close"], row["market_cap"], row["volume"], row["source"]) == (111.0, 5.0, 7.0, winner)


def test_preference_constant_order() -> None:
    assert SOURCE_PREFERENCE["daily"][:4] == ("coingecko", "coinmarketcap", "yahoo", "binance")
    assert SOURCE_PREFERENCE["global"][0] == "tradingview"


def test_high_low_from_best_source_that_has_them_and_fallback(store: Store) -> None:
    day1, day2, day3 = D - timedelta(days=2), D - timedelta(days=1), D
    _ingest(
        store,
        # CoinGecko closes for day1 and day3 only (snapshots at the next midnight)
        batch(
            "snapshots",
            [snap("bitcoin", day1 + timedelta(days=1), 100.0), snap("bitcoin", day3 + timedelta(days=1), 300.0)],
        ),
        # Yahoo and Binance candles for all three days
        batch(
            "candles",
            [
                candle("bitcoin", d, c, source="yahoo", high=c + 5, low=c - 5, quote_volume=1e9)
                for d, c in ((day1, 101.0), (day2, 201.0), (day3, 301.0))
            ],
        ),
        batch(
            "candles",
            [
                candle("bitcoin", d, c, source="binance", venue="usdm", high=c + 9, low=c - 9, volume=2.0)
                for d, c in ((day1, 102.0), (day2, 202.0), (day3, 302.0))
            ],
        ),
    )
    frames = store.frames(D + timedelta(days=1))
    got = {
        r["date"]: (r["close"], r["high"], r["low"], r["volume"], r["source"])
        for r in frames.daily.iter_rows(named=True)
    }
    assert got == {
        day1.date(): (100.0, 106.0, 96.0, None, "coingecko"),  # close from CoinGecko, high/low from Yahoo
        day2.date(): (201.0, 206.0, 196.0, 1e9, "yahoo"),  # no CoinGecko close: fall back to Yahoo
        day3.date(): (300.0, 306.0, 296.0, None, "coingecko"),
    }


def test_binance_volume_is_valued_in_usd_when_no_quote_volume(store: Store) -> None:
    _ingest(store, batch("candles", [candle("bitcoin", D, 20000.0, source="binance", volume=3.0)]))
    row = _day(store.frames(D + timedelta(days=1)), "bitcoin", D.date())
    assert row is not None
    assert row["volume"] == pytest.approx(60000.0)


def test_intraday_only_closed_sub_daily_candles(store: Store) -> None:
    t0 = D + timedelta(hours=12, minutes=29)
    minutes = [
        candle(
            "bitcoin", t0 + timedelta(minutes=k), 21000.0 + k, source="binance", venue="usdm", interval="1m", volume=1.0
        )
        for k in range(5)
    ]
    hours = [candle("bitcoin", D + timedelta(hours=h), 20000.0 + h, source="binance", interval="1h") for h in range(24)]
    daily = [candle("bitcoin", D, 1.0, source="binance")]
    _ingest(store, batch("candles", minutes + hours + daily))
    as_of = t0 + timedelta(minutes=3)  # 12:32: the 12:29, 12:30 and 12:31 bars are closed
    intraday = store.frames(as_of).intraday
    got_1m = intraday.filter(pl.col("interval") == "1m")
    assert got_1m["open_time"].to_list() == [t0, t0 + timedelta(minutes=1), t0 + timedelta(minutes=2)]
    assert got_1m["close_time"].to_list() == [t0 + timedelta(minutes=k) for k in (1, 2, 3)]
    assert got_1m["close"].to_list() == [21000.0, 21001.0, 21002.0]
    got_1h = intraday.filter(pl.col("interval") == "1h")
    assert got_1h["open_time"].to_list() == [D + timedelta(hours=h) for h in range(12)]  # 11:00 bar closed at 12:00
    assert set(intraday["interval"].to_list()) == {"1m", "1h"}
    assert store.frames(as_of - US).intraday.filter(pl.col("interval") == "1m").height == 2


def test_points_are_sub_daily_snapshots_up_to_as_of(store: Store) -> None:
    ts = [D + timedelta(hours=14, seconds=41), D + timedelta(hours=17, minutes=2, seconds=55), D + timedelta(hours=18)]
    _ingest(
        store, batch("snapshots", [snap("bitcoin", t, p) for t, p in zip(ts, (21434.2, 20532.9, 20934.4), strict=True)])
    )
    points = store.frames(ts[1]).points
    assert points["ts"].to_list() == ts[:2]
    assert points["price"].to_list() == [21434.2, 20532.9]


def test_global_daily_prefers_tradingview_and_respects_availability(store: Store) -> None:
    _ingest(
        store,
        batch(
            "global_metrics",
            [
                global_row(D - timedelta(days=1), 9.0e11, open=8.9e11, high=9.1e11, low=8.8e11, btc_dominance=41.0),
                global_row(D - timedelta(days=1), 9.8e11, source="coingecko"),
                global_row(D - timedelta(days=2), 9.7e11, source="coingecko"),
                global_row(D, 9.5e11),
                global_row(
                    D + timedelta(hours=1), 1.089e12, source="coingecko", interval="snapshot", btc_dominance=40.9
                ),
                global_row(D + timedelta(hours=3), 1.09e12, source="coingecko", interval="snapshot"),
            ],
        ),
    )
    frames = store.frames(D + timedelta(hours=2))
    got = {r["date"]: (r["close"], r["source"], r["available_at"]) for r in frames.global_daily.iter_rows(named=True)}
    assert got == {
        (D - timedelta(days=2)).date(): (9.7e11, "coingecko", D - timedelta(days=1)),
        (D - timedelta(days=1)).date(): (9.0e11, "tradingview", D),
    }
    tv = frames.global_daily.filter(pl.col("source") == "tradingview").row(0, named=True)
    assert (tv["open"], tv["high"], tv["low"], tv["btc_dominance"]) == (8.9e11, 9.1e11, 8.8e11, 41.0)
    assert frames.global_points["total_market_cap"].to_list() == [1.089e12]
    assert frames.global_points["btc_dominance"].to_list() == [40.9]


def test_liquidations_calendar_coverage_and_assets(store: Store) -> None:
    liq = [
        {
            "source": "binance",
            "exchange": "binance",
            "symbol": "BTCUSDT",
            "asset_id": "bitcoin",
            "ts": D + timedelta(hours=h),
            "side": "short",
            "quantity": 1.0,
            "price": 2.0,
            "notional_usd": 1e6 * h,
            "event_id": f"e{h}",
        }
        for h in (1, 2, 3)
    ]
    cal = [
        {
            "source": "manual",
            "ts": D + timedelta(hours=13, minutes=30),
            "kind": "PPI",
            "title": "PPI",
            "note": None,
            "origin": "pack",
        },
        {
            "source": "manual",
            "ts": D + timedelta(days=14),
            "kind": "FOMC",
            "title": "FOMC",
            "note": "statement day",
            "origin": "pack",
        },
    ]
    assets = [
        {"asset_id": "bitcoin", "symbol": "BTC", "name": "Bitcoin", "kind": "crypto", "source": "yahoo"},
        {"asset_id": "bitcoin", "symbol": "btc", "name": "Bitcoin (CG)", "kind": "crypto", "source": "coingecko"},
        {"asset_id": "ethereum", "symbol": "ETH", "name": "Ethereum", "kind": "crypto", "source": "coingecko"},
    ]
    _ingest(store, batch("liquidations", liq), batch("calendar_events", cal), batch("assets", assets))
    store.record_coverage("binance", "forceOrder", D, D + timedelta(minutes=30))
    store.record_coverage("binance", "forceOrder", D, D + timedelta(hours=1))  # same interval, extended
    store.record_coverage("binance", "forceOrder", D + timedelta(hours=1, minutes=5))
    store.record_coverage("bybit", "liquidation", D + timedelta(days=1))
    as_of = D + timedelta(hours=2)
    frames = store.frames(as_of)
    assert frames.liquidations["notional_usd"].to_list() == [1e6, 2e6]
    assert frames.calendar["kind"].to_list() == ["PPI", "FOMC"]  # the schedule is known in advance
    assert frames.coverage.rows() == [
        ("binance", "forceOrder", D, D + timedelta(hours=1)),
        ("binance", "forceOrder", D + timedelta(hours=1, minutes=5), as_of),  # still open: clipped to as_of
    ]
    assert frames.assets.rows() == [
        ("bitcoin", "btc", "Bitcoin (CG)", "crypto"),
        ("ethereum", "ETH", "Ethereum", "crypto"),
    ]
    assert store.assets().rows() == frames.assets.rows()


def test_assets_filter_applies_to_every_asset_frame(store: Store) -> None:
    _ingest(
        store,
        batch(
            "snapshots",
            [snap(a, D + timedelta(hours=h), 1.0) for a in ("bitcoin", "ethereum", "solana") for h in (0, 5)],
        ),
        batch("candles", [candle(a, D - timedelta(days=1), 1.0) for a in ("bitcoin", "ethereum", "solana")]),
    )
    frames = store.frames(D + timedelta(hours=6), assets=["bitcoin", "solana"])
    assert sorted(set(frames.daily["asset_id"].to_list())) == ["bitcoin", "solana"]
    assert sorted(frames.points["asset_id"].to_list()) == ["bitcoin", "solana"]
    assert store.frames(D + timedelta(hours=6), assets=[]).daily.height == 0
    assert store.frames(D + timedelta(hours=6)).daily["asset_id"].n_unique() == 3


def test_record_coverage_rejects_bad_intervals(store: Store) -> None:
    with pytest.raises(ConfigError, match="before start") as info:
        store.record_coverage("binance", "forceOrder", D, D - timedelta(hours=1))
    assert info.value.parameter == "end"
    with pytest.raises(ConfigError, match="timezone-aware"):
        store.record_coverage("binance", "forceOrder", datetime(2023, 1, 1))
    assert store.counts()["feed_coverage"] == 0
