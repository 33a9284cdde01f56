"""A story from real pack values (read here with plain CSV code, not with cryptodesk's importers or analytics).

The figures the story must print are derived independently in the test (straight string formatting of
the raw numbers), then compared with the story text and the ledger.
"""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from story_checks import bad_refs, banned, lines, uncovered_digits

from cryptodesk.analytics.types import Analysis, AssetState, Change, Extreme, IntradayRange, MarketState
from cryptodesk.core.frames import CALENDAR_SCHEMA
from cryptodesk.writer.story import Story, write_story

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)


def _coingecko_closes(path: Path) -> dict[date, float]:
    """Close of day D = the snapshot at D+1 00:00 UTC (SOURCES.md time convention)."""
    out = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            snap = date.fromisoformat(row["snapped_at"][:10])
            out[snap - timedelta(days=1)] = float(row["price"])
    return out


def _binance_until(path: Path, as_of: datetime) -> list[dict[str, float]]:
    with path.open(newline="") as fh:
        rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(fh)]
    return [r for r in rows if (r["close_time"] + 1) / 1000 <= as_of.timestamp()]


def _tradingview(path: Path) -> dict[date, dict[str, float]]:
    out = {}
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            day = datetime.fromtimestamp(int(row["time"]), tz=UTC).date()
            out[day] = {"high": float(row["high"]), "low": float(row["low"]), "close": float(row["close"])}
    return out


def ms(value: float) -> datetime:
    """A Binance millisecond timestamp as an aware UTC datetime."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)


@pytest.fixture(scope="module", params=[0, 7])
def pack_story(data_pack: Path, request: pytest.FixtureRequest) -> tuple[Story, dict[str, Any]]:
    closes = _coingecko_closes(data_pack / "daily" / "coingecko_exports" / "btc-usd-max.csv")
    end = date(2023, 1, 17)
    week = Change(
        "7d",
        closes[end] / closes[end - timedelta(days=7)] - 1,
        closes[end - timedelta(days=7)],
        end - timedelta(days=7),
        closes[end],
        end,
    )
    ytd = Change(
        "ytd",
        closes[end] / closes[date(2022, 12, 31)] - 1,
        closes[date(2022, 12, 31)],
        date(2022, 12, 31),
        closes[end],
        end,
    )
    bars = _binance_until(next((data_pack / "intraday").glob("binance_usdm_BTCUSDT_1m_*.csv")), AS_OF)
    top = max(bars, key=lambda b: b["high"])
    intra = IntradayRange(
        high=top["high"],
        high_time=ms(top["open_time"]),
        low=min(b["low"] for b in bars),
        low_time=ms(min(bars, key=lambda b: b["low"])["open_time"]),
        last=bars[-1]["close"],
        last_time=ms(bars[-1]["open_time"]),
        source="binance",
        venue="usdm",
        interval="1m",
        coverage_start=ms(bars[0]["open_time"]),
        coverage_end=ms(bars[-1]["close_time"] + 1),
    )
    btc = AssetState(
        "bitcoin",
        "BTC",
        "Bitcoin",
        closes[end],
        end,
        "coingecko",
        intra.last,
        intra.last_time,
        "binance",
        changes={"7d": week, "ytd": ytd},
        intraday=intra,
    )
    tv = _tradingview(next((data_pack / "total_market_cap").glob("tradingview_CRYPTOCAP_TOTAL_1D_*.csv")))
    autumn = {d: v for d, v in tv.items() if date(2022, 11, 1) <= d <= date(2022, 12, 31)}
    low_day = min(autumn, key=lambda d: autumn[d]["low"])
    market = MarketState(
        tv[end]["close"],
        end,
        "tradingview",
        "index",
        swing_low=Extreme(autumn[low_day]["low"], low_day),
        day_high=tv[end]["high"],
    )
    story = write_story(
        Analysis(AS_OF, market, {"bitcoin": btc}), [], pl.DataFrame(schema=CALENDAR_SCHEMA), seed=request.param
    )
    expected = {
        "high": f"${round(top['high']):,}",
        "high_value": top["high"],
        "high_time": ms(top["open_time"]).astimezone(ZoneInfo("America/New_York")).strftime("%-I:%M a.m. ET"),
        "low": f"${round(autumn[low_day]['low'] / 1e9)} billion",
        "low_day": f"Nov. {low_day.day}" if low_day.month == 11 else f"Dec. {low_day.day}",
        "start": ms(bars[0]["open_time"]).astimezone(ZoneInfo("America/New_York")).strftime("%-I:%M a.m. ET"),
        "week": week.pct,
    }
    return story, expected


def test_pack_story_prints_the_pack_values(pack_story: tuple[Story, dict[str, Any]]) -> None:
    story, expected = pack_story
    text = "\n".join(p.text for p in story.paragraphs)
    high = next(r for p in story.paragraphs for r in p.refs if r.fact_id == "bitcoin.intraday.high")
    assert high.form in ("exact", "just_below")
    assert f" at {expected['high_time']}" in text
    assert story.fact("bitcoin.intraday.high").value == pytest.approx(expected["high_value"])
    if high.form == "exact":
        assert f"{expected['high']} at {expected['high_time']}" in text
    assert f"cover only {expected['start']}" in text
    assert f"low of {expected['low']}" in text
    assert f"{expected['low_day']}" in text
    assert "TradingView's CRYPTOCAP:TOTAL index" in text
    assert "Binance USDⓈ-M perpetual futures" in text
    assert story.fact("bitcoin.change.7d").value == pytest.approx(expected["week"])


def test_pack_story_is_fully_bound(pack_story: tuple[Story, dict[str, Any]]) -> None:
    story = pack_story[0]
    for line in lines(story):
        assert uncovered_digits(line) == []
        assert banned(line.text) == []
    assert bad_refs(story) == []
