"""No look-ahead: rows not yet known at as_of never change the analysis."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.analytics.asof import analyze
from cryptodesk.analytics.market import TOTAL, daily_series
from cryptodesk.core.frames import DAILY_SCHEMA, GLOBAL_DAILY_SCHEMA, INTRADAY_SCHEMA, POINTS_SCHEMA, MarketFrames

from . import packdata

AS_OFS = [
    datetime(2022, 11, 9, 23, 0, tzinfo=UTC),
    datetime(2023, 1, 18, 14, 20, 30, tzinfo=UTC),
    datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
    datetime(2023, 1, 19, 0, 0, tzinfo=UTC),
]


@pytest.fixture(scope="module")
def data(data_pack: Path) -> dict[str, pl.DataFrame]:
    return {
        "daily": packdata.coingecko_daily(data_pack, ["btc", "eth", "sol"]),
        "global_daily": packdata.tradingview_total(data_pack),
        "intraday": packdata.binance_1m(data_pack),
        "points": packdata.coingecko_hourly(data_pack),
    }


def _future_rows(as_of: datetime) -> dict[str, pl.DataFrame]:
    """Extreme rows that become known just after ``as_of`` (today's daily bar, an open candle, later points)."""
    today = as_of.date()
    tomorrow = datetime.combine(today + timedelta(days=1), datetime.min.time(), UTC)
    later = max(tomorrow, as_of + timedelta(seconds=1))
    daily = pl.DataFrame(
        {
            "asset_id": ["bitcoin", "ethereum", "solana"],
            "date": [today, today, today],
            "close": [1e7, 1e6, 1e5],
            "high": [2e7, 2e6, 2e5],
            "low": [1.0, 1.0, 1.0],
            "volume": [1e15, 1e15, 1e15],
            "market_cap": [1e16, 1e16, 1e16],
            "source": "coingecko",
            "available_at": [later, later, later],
        },
        schema=DAILY_SCHEMA,
    )
    global_daily = pl.DataFrame(
        {
            "date": [today],
            "open": [1e12],
            "high": [9e13],
            "low": [1.0],
            "close": [5e13],
            "volume": [1e12],
            "btc_dominance": [99.0],
            "source": ["tradingview CRYPTOCAP:TOTAL"],
            "available_at": [later],
        },
        schema=GLOBAL_DAILY_SCHEMA,
    )
    intraday = pl.DataFrame(
        {
            "asset_id": ["bitcoin", "ethereum"],
            "source": "binance",
            "venue": "binance-usdm",
            "interval": ["1m", "1s"],
            "open_time": [as_of - timedelta(seconds=30), as_of],
            "close_time": [as_of + timedelta(seconds=30), as_of + timedelta(seconds=1)],
            "open": [1.0, 1.0],
            "high": [1e9, 1e9],
            "low": [0.5, 0.5],
            "close": [1e8, 1e8],
            "volume": [1.0, 1.0],
        },
        schema=INTRADAY_SCHEMA,
    )
    points = pl.DataFrame(
        {
            "asset_id": ["bitcoin", "solana"],
            "source": "coingecko",
            "ts": [as_of + timedelta(microseconds=1), as_of + timedelta(hours=1)],
            "price": [3e8, 3e8],
            "market_cap": [None, None],
            "volume_24h": [None, None],
        },
        schema=POINTS_SCHEMA,
    )
    return {"daily": daily, "global_daily": global_daily, "intraday": intraday, "points": points}


def _cut_by_hand(data: dict[str, pl.DataFrame], as_of: datetime) -> dict[str, pl.DataFrame]:
    """The pack physically truncated at ``as_of`` (what existed then), using each file's own time convention."""
    return {
        "daily": data["daily"].filter(pl.col("available_at") <= as_of),
        "global_daily": data["global_daily"].filter(
            pl.col("date").cast(pl.Datetime("us", "UTC")) + pl.duration(days=1) <= as_of
        ),
        "intraday": data["intraday"].filter(pl.col("open_time") + pl.duration(minutes=1) <= as_of),
        "points": data["points"].filter(pl.col("ts") <= as_of),
    }


def _with_future(base: dict[str, pl.DataFrame], as_of: datetime) -> dict[str, pl.DataFrame]:
    future = _future_rows(as_of)
    return {name: pl.concat([frame, future[name]]) for name, frame in base.items()}


@pytest.mark.parametrize("as_of", AS_OFS, ids=str)
def test_future_rows_cut_like_the_store_change_nothing(data: dict[str, pl.DataFrame], as_of: datetime) -> None:
    reference = analyze(packdata.frames_at(as_of, **_cut_by_hand(data, as_of)))
    assert reference.assets["bitcoin"].close_date < as_of.date() or as_of.hour == 0
    with_future = analyze(packdata.frames_at(as_of, **_with_future(data, as_of)))
    assert with_future == reference


@pytest.mark.parametrize("as_of", AS_OFS, ids=str)
def test_analyze_cuts_unfiltered_frames_itself(data: dict[str, pl.DataFrame], as_of: datetime) -> None:
    reference = analyze(packdata.frames_at(as_of, **data))
    everything = _with_future(data, as_of)
    raw = MarketFrames.empty(as_of)
    raw = dataclasses.replace(
        raw,
        daily=everything["daily"],
        global_daily=everything["global_daily"],
        intraday=everything["intraday"],
        points=everything["points"],
    )
    assert analyze(raw) == reference
    for subject in ("bitcoin", TOTAL):
        assert daily_series(raw, subject).equals(daily_series(packdata.frames_at(as_of, **data), subject))


def test_later_as_of_does_not_rewrite_the_past(data: dict[str, pl.DataFrame]) -> None:
    """Analysing day by day: each day's closes and changes stay what they were when first computed."""
    start = datetime(2023, 1, 10, 12, tzinfo=UTC)
    first = {}
    for i in range(10):
        as_of = start + timedelta(days=i)
        got = analyze(packdata.frames_at(as_of, **data)).assets["bitcoin"]
        first[got.close_date] = (got.close, got.changes["7d"].pct, got.sma50)
    again = analyze(packdata.frames_at(start + timedelta(days=4), **data)).assets["bitcoin"]
    assert first[again.close_date] == (again.close, again.changes["7d"].pct, again.sma50)
    assert len(first) == 10
