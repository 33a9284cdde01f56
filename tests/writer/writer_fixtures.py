"""Hand-built analysis, events and calendar shaped like the seed article's day (2023-01-18).

These are small synthetic fixtures (analytics and detectors are tested elsewhere); the numbers are
plausible for the day but the writer tests only check that the story says what these inputs say.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import polars as pl

from cryptodesk.analytics.types import Analysis, AssetState, Change, Extreme, IntradayRange, MarketState
from cryptodesk.core.frames import CALENDAR_SCHEMA
from cryptodesk.core.models import Event

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)


def change(window: str, pct: float, start: date, end: date, end_value: float = 100.0) -> Change:
    """A Change whose start value is consistent with pct."""
    return Change(window, pct, end_value / (1 + pct), start, end_value, end)


def btc_state(*, intraday: bool = True, coverage_start: datetime | None = None) -> AssetState:
    """Bitcoin as of AS_OF."""
    end = date(2023, 1, 17)
    intra = IntradayRange(
        high=21559.4,
        high_time=datetime(2023, 1, 18, 14, 15, tzinfo=UTC),
        low=20407.0,
        low_time=datetime(2023, 1, 18, 17, 5, tzinfo=UTC),
        last=20939.4,
        last_time=datetime(2023, 1, 18, 17, 20, tzinfo=UTC),
        source="binance",
        venue="binance_usdm",
        interval="1m",
        coverage_start=coverage_start or datetime(2023, 1, 18, 12, 29, tzinfo=UTC),
        coverage_end=datetime(2023, 1, 18, 17, 29, tzinfo=UTC),
    )
    return AssetState(
        asset_id="bitcoin",
        symbol="BTC",
        name="Bitcoin",
        close=21156.78,
        close_date=end,
        daily_source="coingecko",
        last_price=20939.4,
        last_time=datetime(2023, 1, 18, 17, 20, tzinfo=UTC),
        price_source="binance",
        changes={
            "7d": change("7d", 0.2134, date(2023, 1, 10), end, 21156.78),
            "ytd": change("ytd", 0.2791, date(2022, 12, 31), end, 21156.78),
            "30d": change("30d", 0.2590, date(2022, 12, 18), end, 21156.78),
        },
        sma50=17384.5,
        dist_sma50_pct=0.2170,
        dist_sma50_sigma=2.61,
        sigma_rarity=0.031,
        volume=33.28e9,
        volume_avg30=16.7e9,
        volume_ratio=33.28 / 16.7,
        market_cap=407.4e9,
        intraday=intra if intraday else None,
    )


def eth_state() -> AssetState:
    """Ether as of AS_OF (no intraday data, as in the pack)."""
    end = date(2023, 1, 17)
    return AssetState(
        asset_id="ethereum",
        symbol="ETH",
        name="Ether",
        close=1516.56,
        close_date=end,
        daily_source="coingecko",
        last_price=1516.56,
        last_time=datetime(2023, 1, 18, 0, 0, tzinfo=UTC),
        price_source="coingecko",
        changes={"30d": change("30d", 0.3201, date(2022, 12, 18), end, 1516.56)},
    )


def market_state(method: str = "index") -> MarketState:
    """TradingView-style total market cap as of AS_OF."""
    return MarketState(
        total_market_cap=949.3e9,
        date=date(2023, 1, 17),
        source="tradingview" if method == "index" else "coingecko",
        method=method,
        coverage=() if method == "index" else tuple(f"coin{i}" for i in range(16)),
        changes={"1y": change("1y", -0.4921, date(2022, 1, 17), date(2023, 1, 17), 949.3e9)},
        swing_low=Extreme(736.4e9, date(2022, 11, 9)),
        day_high=966.6e9,
    )


def seed_analysis(*, intraday: bool = True) -> Analysis:
    """The whole analysis."""
    return Analysis(AS_OF, market_state(), {"bitcoin": btc_state(intraday=intraday), "ethereum": eth_state()})


def cross_event() -> Event:
    """Total market cap crossing $1 trillion (synthetic: hand-built for the writer)."""
    return Event(
        kind="level_cross",
        subject="market",
        metric="total_market_cap",
        time=datetime(2023, 1, 18, 14, 0, tzinfo=UTC),
        score=0.9,
        direction="up",
        level=1e12,
        last_time_beyond=date(2022, 11, 8),
    )


def other_events() -> list[Event]:
    """Lower-ranked events of several kinds, shaped like the built-in detectors' events."""
    t = AS_OF
    day = date(2023, 1, 17)
    return [
        Event(
            "big_move",
            "bitcoin",
            "return_7d",
            t,
            0.7,
            direction="up",
            value=0.2134,
            details={"window": "7d", "return": 0.2134, "start_date": date(2023, 1, 10), "end_date": day},
        ),
        Event("sma_extension", "bitcoin", "dist_sma50_sigma", t, 0.6, direction="above", value=2.61),
        Event("volume_surge", "bitcoin", "volume_ratio", t, 0.4, direction="up", value=1.99),
        Event(
            "relative_performance",
            "ethereum",
            "return_30d",
            t,
            0.3,
            direction="outperform",
            value=0.061,
            details={"benchmark": "bitcoin", "window": "30d"},
        ),
        Event(
            "extreme",
            "bitcoin",
            "close",
            t,
            0.5,
            direction="high",
            value=21156.78,
            since=date(2022, 9, 13),
            details={"date": day, "history_start": date(2013, 4, 27)},
        ),
    ]


def calendar_frame() -> pl.DataFrame:
    """CPI last Thursday and PPI the morning of AS_OF (times in UTC)."""
    rows = [
        (datetime(2023, 1, 12, 13, 30, tzinfo=UTC), "CPI", "Consumer Price Index"),
        (datetime(2023, 1, 18, 13, 30, tzinfo=UTC), "PPI", "Producer Price Index"),
        (datetime(2023, 2, 1, 19, 0, tzinfo=UTC), "FOMC", "FOMC statement"),
    ]
    return pl.DataFrame(
        {
            "ts": [r[0] for r in rows],
            "kind": [r[1] for r in rows],
            "title": [r[2] for r in rows],
            "note": [None] * len(rows),
            "source": ["test"] * len(rows),
            "origin": ["hand"] * len(rows),
        },
        schema=CALENDAR_SCHEMA,
    )
