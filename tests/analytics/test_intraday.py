"""Intraday range and last price: Binance 1m klines and CoinGecko hourly points from the pack, read with csv."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl
import pytest

from cryptodesk.analytics.asof import analyze
from cryptodesk.core.frames import INTRADAY_SCHEMA, POINTS_SCHEMA, MarketFrames

from . import packdata

NY = ZoneInfo("America/New_York")


@pytest.fixture(scope="module")
def bundle(data_pack: Path) -> dict[str, pl.DataFrame]:
    return {
        "daily": packdata.coingecko_daily(data_pack, ["btc", "eth"]),
        "intraday": packdata.binance_1m(data_pack),
        "points": packdata.coingecko_hourly(data_pack),
    }


def _frames(bundle: dict[str, pl.DataFrame], as_of: datetime) -> MarketFrames:
    return packdata.frames_at(as_of, daily=bundle["daily"], intraday=bundle["intraday"], points=bundle["points"])


def _klines(pack: Path) -> list[tuple[datetime, float, float, float]]:
    """(open_time, high, low, close) of each Binance 1m row."""
    out = []
    with (pack / packdata.BINANCE_1M).open(newline="") as fh:
        for rec in csv.DictReader(fh):
            opened = datetime.fromtimestamp(int(rec["open_time"]) / 1000, UTC)
            out.append((opened, float(rec["high"]), float(rec["low"]), float(rec["close"])))
    return out


def _hourly(pack: Path) -> list[tuple[datetime, float]]:
    with (pack / packdata.CG_HOURLY).open(newline="") as fh:
        return [
            (datetime.fromtimestamp(int(r["timestamp_ms"]) / 1000, UTC), float(r["price"])) for r in csv.DictReader(fh)
        ]


def _local_midnight(as_of: datetime, tz: ZoneInfo) -> datetime:
    local = as_of.astimezone(tz)
    return datetime(local.year, local.month, local.day, tzinfo=tz).astimezone(UTC)


@pytest.mark.parametrize(
    "as_of",
    [
        datetime(2023, 1, 18, 14, 16, tzinfo=UTC),
        datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
        datetime(2023, 1, 18, 19, 30, tzinfo=UTC),
    ],
    ids=str,
)
def test_intraday_from_binance_minutes(bundle: dict[str, pl.DataFrame], data_pack: Path, as_of: datetime) -> None:
    start = _local_midnight(as_of, NY)
    bars = [b for b in _klines(data_pack) if b[0] >= start and b[0] + timedelta(minutes=1) <= as_of]
    high = max(bars, key=lambda b: (b[1], -b[0].timestamp()))
    low = min(bars, key=lambda b: (b[2], b[0].timestamp()))
    got = analyze(_frames(bundle, as_of)).assets["bitcoin"]
    rng = got.intraday
    assert rng is not None
    assert (rng.high, rng.high_time) == (high[1], high[0])
    assert (rng.low, rng.low_time) == (low[2], low[0])
    assert (rng.last, rng.last_time) == (bars[-1][3], bars[-1][0] + timedelta(minutes=1))
    assert (rng.source, rng.venue, rng.interval) == ("binance", "binance-usdm", "1m")
    assert (rng.coverage_start, rng.coverage_end) == (bars[0][0], bars[-1][0] + timedelta(minutes=1))
    assert (got.last_price, got.last_time) == (bars[-1][3], bars[-1][0] + timedelta(minutes=1))
    assert got.price_source == "binance binance-usdm 1m"


@pytest.mark.parametrize(
    ("as_of", "tz"),
    [
        (datetime(2023, 1, 18, 12, 0, tzinfo=UTC), "America/New_York"),
        (datetime(2023, 1, 18, 3, 0, tzinfo=UTC), "America/New_York"),
        (datetime(2023, 1, 18, 3, 0, tzinfo=UTC), "UTC"),
        (datetime(2023, 1, 19, 21, 0, tzinfo=UTC), "America/New_York"),
        (datetime(2022, 12, 25, 23, 59, tzinfo=UTC), "Asia/Tokyo"),
    ],
    ids=str,
)
def test_intraday_falls_back_to_points(
    bundle: dict[str, pl.DataFrame], data_pack: Path, as_of: datetime, tz: str
) -> None:
    start = _local_midnight(as_of, ZoneInfo(tz))
    points = [p for p in _hourly(data_pack) if start <= p[0] <= as_of]
    got = analyze(_frames(bundle, as_of), tz=tz).assets["bitcoin"]
    rng = got.intraday
    assert rng is not None
    assert (rng.source, rng.venue, rng.interval) == ("coingecko", "", "snapshot")
    assert (rng.high, rng.high_time) == max(points, key=lambda p: (p[1], -p[0].timestamp()))[::-1]
    assert (rng.low, rng.low_time) == min(points, key=lambda p: (p[1], p[0].timestamp()))[::-1]
    assert (rng.coverage_start, rng.coverage_end) == (points[0][0], points[-1][0])
    assert (got.last_price, got.last_time, got.price_source) == (points[-1][1], points[-1][0], "coingecko")


def test_no_intraday_for_an_asset_without_sub_daily_data(bundle: dict[str, pl.DataFrame]) -> None:
    eth = analyze(_frames(bundle, datetime(2023, 1, 18, 17, 30, tzinfo=UTC))).assets["ethereum"]
    assert eth.intraday is None
    assert (eth.last_price, eth.price_source) == (eth.close, "coingecko")
    assert eth.last_time == datetime(2023, 1, 18, tzinfo=UTC)


def test_daily_close_wins_when_it_is_newer(bundle: dict[str, pl.DataFrame]) -> None:
    btc = analyze(_frames(bundle, datetime(2023, 1, 25, 6, 0, tzinfo=UTC))).assets["bitcoin"]
    assert btc.close_date == date(2023, 1, 24)
    assert (btc.last_price, btc.last_time, btc.price_source) == (
        btc.close,
        datetime(2023, 1, 25, tzinfo=UTC),
        "coingecko",
    )
    assert btc.intraday is None


def _candles(
    asset_id: str, interval: str, venue: str, start: datetime, minutes: int, prices: list[float]
) -> pl.DataFrame:
    opens = [start + timedelta(minutes=minutes * i) for i in range(len(prices))]
    return pl.DataFrame(
        {
            "asset_id": asset_id,
            "source": "test",
            "venue": venue,
            "interval": interval,
            "open_time": opens,
            "close_time": [t + timedelta(minutes=minutes) for t in opens],
            "open": prices,
            "high": [p + 1 for p in prices],
            "low": [p - 1 for p in prices],
            "close": prices,
            "volume": 1.0,
        },
        schema=INTRADAY_SCHEMA,
    )


def test_finest_interval_and_busiest_venue_win() -> None:
    day = datetime(2023, 3, 1, 5, 0, tzinfo=UTC)  # midnight in New York
    candles = pl.concat(
        [
            _candles("a", "5m", "spot", day, 5, [10.0, 50.0, 11.0]),
            _candles("a", "1m", "spot", day + timedelta(hours=1), 1, [20.0, 21.0, 19.0]),
            _candles("a", "1m", "perp", day + timedelta(hours=1), 1, [20.5, 22.0]),
            _candles("b", "1h", "spot", day, 60, [5.0, 6.0]),
            _candles("b", "4h", "spot", day, 240, [1.0]),
            _candles("b", "1m", "spot", day - timedelta(hours=1), 1, [100.0]),  # the previous local day
        ]
    )
    as_of = day + timedelta(hours=3)
    frames = packdata.frames_at(as_of, intraday=candles)
    daily = pl.concat([_one_close(asset, date(2023, 2, 28)) for asset in ("a", "b")])
    got = analyze(packdata.frames_at(as_of, daily=daily, intraday=frames.intraday))
    a, b = got.assets["a"].intraday, got.assets["b"].intraday
    assert a is not None
    assert (a.interval, a.venue, a.high, a.low, a.last) == ("1m", "spot", 22.0, 18.0, 19.0)
    assert a.high_time == day + timedelta(hours=1, minutes=1)
    assert b is not None
    assert (b.interval, b.high, b.low, b.last) == ("1h", 7.0, 4.0, 6.0)
    assert b.coverage_start == day
    assert got.assets["a"].last_price == 19.0
    assert got.assets["a"].price_source == "test spot 1m"


def _one_close(asset_id: str, day: date) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "asset_id": [asset_id],
            "date": [day],
            "close": [1.0],
            "high": [None],
            "low": [None],
            "volume": [None],
            "market_cap": [None],
            "source": ["test"],
            "available_at": [datetime.combine(day + timedelta(days=1), datetime.min.time(), UTC)],
        },
        schema=MarketFrames.empty(datetime(2020, 1, 1, tzinfo=UTC)).daily.schema,
    )


def _points(asset_id: str, source: str, times: list[datetime], prices: list[float]) -> pl.DataFrame:
    return pl.DataFrame(
        {"asset_id": asset_id, "source": source, "ts": times, "price": prices, "market_cap": None, "volume_24h": None},
        schema=POINTS_SCHEMA,
    )


def test_latest_observation_ties_prefer_finer_candles() -> None:
    t0 = datetime(2023, 3, 1, 12, 0, tzinfo=UTC)
    candles = pl.concat(
        [
            _candles("a", "5m", "spot", t0, 5, [10.0]),  # closes 12:05
            _candles("a", "1m", "spot", t0 + timedelta(minutes=4), 1, [11.0]),  # closes 12:05 too
        ]
    )
    points = pl.concat(
        [
            _points("a", "cg", [t0 + timedelta(minutes=5)], [12.0]),  # same time as the candles
            _points("b", "cg", [t0, t0 + timedelta(minutes=3)], [5.0, 6.0]),
            _points("b", "other", [t0 + timedelta(minutes=1)], [7.0]),
        ]
    )
    as_of = t0 + timedelta(minutes=10)
    daily = pl.concat([_one_close(a, date(2023, 2, 28)) for a in ("a", "b")])
    got = analyze(packdata.frames_at(as_of, daily=daily, intraday=candles, points=points), tz="UTC")
    a, b = got.assets["a"], got.assets["b"]
    assert (a.last_price, a.price_source) == (11.0, "test spot 1m")
    assert (b.last_price, b.last_time, b.price_source) == (6.0, t0 + timedelta(minutes=3), "cg")
    assert b.intraday is not None
    assert (b.intraday.source, b.intraday.high, b.intraday.low) == ("cg", 6.0, 5.0)  # the source with most points
