"""analyze() on real pack data, checked against plain-Python computations straight from the CSVs."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.analytics.asof import analyze, interval_seconds
from cryptodesk.analytics.types import Analysis, AssetState
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import MarketFrames

from . import packdata
from .reference import Row, close_on_or_before, known, read_export, rsi_loop, sigma_loop

SYMBOLS = {"bitcoin": "btc", "ethereum": "eth", "solana": "sol", "dogecoin": "doge"}
AS_OFS = [
    datetime(2021, 11, 10, 12, 0, tzinfo=UTC),
    datetime(2022, 6, 18, 20, 0, tzinfo=UTC),
    datetime(2022, 11, 9, 23, 0, tzinfo=UTC),
    datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
    datetime(2024, 3, 14, 14, 0, tzinfo=UTC),
]
REL = 1e-9


@pytest.fixture(scope="module")
def daily(data_pack: Path) -> pl.DataFrame:
    return packdata.coingecko_daily(data_pack, list(SYMBOLS.values()))


@pytest.fixture(scope="module")
def rows(data_pack: Path) -> dict[str, list[Row]]:
    return {aid: read_export(data_pack / packdata.EXPORTS / f"{sym}-usd-max.csv") for aid, sym in SYMBOLS.items()}


@pytest.fixture(scope="module")
def analyses(daily: pl.DataFrame) -> dict[datetime, Analysis]:
    return {t: analyze(packdata.frames_at(t, daily=daily)) for t in AS_OFS}


def _state(analyses: dict[datetime, Analysis], as_of: datetime, asset_id: str) -> AssetState:
    return analyses[as_of].assets[asset_id]


def _known_rows(rows: dict[str, list[Row]], asset_id: str, as_of: datetime) -> list[Row]:
    return known(rows[asset_id], as_of)


@pytest.mark.parametrize("as_of", AS_OFS, ids=lambda t: t.strftime("%Y-%m-%d"))
@pytest.mark.parametrize("asset_id", list(SYMBOLS))
def test_close_and_window_changes(
    analyses: dict[datetime, Analysis], rows: dict[str, list[Row]], as_of: datetime, asset_id: str
) -> None:
    hist = _known_rows(rows, asset_id, as_of)
    state = _state(analyses, as_of, asset_id)
    last = hist[-1]
    assert (state.close, state.close_date, state.daily_source) == (last.price, last.day, "coingecko")
    assert last.snapped <= as_of < last.snapped + timedelta(days=1)
    for window, days in {"1d": 1, "7d": 7, "30d": 30, "1y": 365}.items():
        start = close_on_or_before(hist, last.day - timedelta(days=days))
        assert start is not None
        change = state.changes[window]
        assert (change.start_date, change.end_date) == (start.day, last.day)
        assert change.pct == pytest.approx(last.price / start.price - 1, rel=REL)
    prior_year = [r for r in hist if r.day.year < last.day.year][-1]
    assert state.changes["ytd"].start_date == prior_year.day
    assert state.changes["ytd"].pct == pytest.approx(last.price / prior_year.price - 1, rel=REL)


@pytest.mark.parametrize("as_of", AS_OFS, ids=lambda t: t.strftime("%Y-%m-%d"))
@pytest.mark.parametrize("asset_id", list(SYMBOLS))
def test_trend_indicators(
    analyses: dict[datetime, Analysis], rows: dict[str, list[Row]], as_of: datetime, asset_id: str
) -> None:
    prices = [r.price for r in _known_rows(rows, asset_id, as_of)]
    state = _state(analyses, as_of, asset_id)
    sma50, sma200 = sum(prices[-50:]) / 50, sum(prices[-200:]) / 200
    assert state.sma50 == pytest.approx(sma50, rel=REL)
    assert state.sma200 == pytest.approx(sma200, rel=REL)
    assert state.dist_sma50_pct == pytest.approx(prices[-1] / sma50 - 1, rel=1e-7)
    assert state.dist_sma200_pct == pytest.approx(prices[-1] / sma200 - 1, rel=1e-7)
    sigma = [s for s in sigma_loop(prices, 50) if not math.isnan(s)]
    assert state.dist_sma50_sigma == pytest.approx(sigma[-1], rel=1e-6)
    side = [s for s in sigma if (s >= sigma[-1] if sigma[-1] >= 0 else s <= sigma[-1])]
    assert state.sigma_rarity == pytest.approx(len(side) / len(sigma), abs=2 / len(sigma))
    assert state.rsi14 == pytest.approx(rsi_loop(prices, 14)[-1], rel=1e-6)


@pytest.mark.parametrize("as_of", AS_OFS, ids=lambda t: t.strftime("%Y-%m-%d"))
@pytest.mark.parametrize("asset_id", list(SYMBOLS))
def test_highs_lows_drawdown_volume(
    analyses: dict[datetime, Analysis], rows: dict[str, list[Row]], as_of: datetime, asset_id: str
) -> None:
    hist = _known_rows(rows, asset_id, as_of)
    last = hist[-1]
    state = _state(analyses, as_of, asset_id)
    year = [r for r in hist if r.day > last.day - timedelta(days=365)]
    hi52 = max(year, key=lambda r: (r.price, -r.day.toordinal()))
    lo52 = min(year, key=lambda r: (r.price, r.day.toordinal()))
    ath = max(hist, key=lambda r: (r.price, -r.day.toordinal()))
    atl = min(hist, key=lambda r: (r.price, r.day.toordinal()))
    assert state.high_52w is not None
    assert (state.high_52w.value, state.high_52w.date) == (hi52.price, hi52.day)
    assert state.low_52w is not None
    assert (state.low_52w.value, state.low_52w.date) == (lo52.price, lo52.day)
    assert state.ath is not None
    assert (state.ath.value, state.ath.date) == (ath.price, ath.day)
    assert state.atl is not None
    assert (state.atl.value, state.atl.date) == (atl.price, atl.day)
    assert state.drawdown_from_ath == pytest.approx(last.price / ath.price - 1, rel=REL)
    before = [r.volume for r in hist if last.day - timedelta(days=30) <= r.day < last.day]
    assert state.volume == last.volume
    assert state.volume_avg30 == pytest.approx(sum(before) / len(before), rel=REL)
    assert state.volume_ratio == pytest.approx(last.volume * len(before) / sum(before), rel=REL)
    assert state.market_cap == pytest.approx(last.market_cap, rel=REL)


def test_published_sanity_figures_for_2023_01_18(analyses: dict[datetime, Analysis]) -> None:
    """The pack's SOURCES.md sanity table (BTC 7d +21.3%, YTD +27.9%, SMA50 $17,384.5 at close $21,156.8)."""
    btc = _state(analyses, datetime(2023, 1, 18, 17, 30, tzinfo=UTC), "bitcoin")
    assert btc.close == pytest.approx(21156.78, abs=0.01)
    assert btc.changes["7d"].pct == pytest.approx(0.213, abs=0.0005)
    assert btc.changes["ytd"].pct == pytest.approx(0.279, abs=0.0005)
    assert btc.sma50 == pytest.approx(17384.5, abs=0.05)


def test_relative_30d_performance_at_article_time(
    analyses: dict[datetime, Analysis], rows: dict[str, list[Row]]
) -> None:
    as_of = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
    got = {a: _state(analyses, as_of, a).changes["30d"].pct for a in ("bitcoin", "ethereum")}
    expected = {}
    for a in got:
        hist = _known_rows(rows, a, as_of)
        start = close_on_or_before(hist, hist[-1].day - timedelta(days=30))
        assert start is not None
        expected[a] = hist[-1].price / start.price - 1
    assert got == pytest.approx(expected, rel=REL)
    assert got["ethereum"] > got["bitcoin"]


def test_short_history_leaves_long_windows_empty(daily: pl.DataFrame) -> None:
    young = daily.filter((pl.col("asset_id") == "solana") & (pl.col("date") <= date(2020, 6, 1)))
    state = analyze(packdata.frames_at(datetime(2020, 6, 2, tzinfo=UTC), daily=young)).assets["solana"]
    n = young.height
    assert n < 200
    assert state.sma200 is None
    assert state.dist_sma200_pct is None
    assert "1y" not in state.changes
    assert "ytd" not in state.changes
    assert (state.sma50 is None) == (n < 50)
    assert state.ath is not None
    assert state.high_52w == state.ath


def test_null_closes_are_skipped() -> None:
    as_of = datetime(2023, 3, 2, tzinfo=UTC)
    days = [date(2023, 1, 1) + timedelta(days=i) for i in range(60)]
    closes: list[float | None] = [100.0 + i for i in range(60)]
    closes[-1] = None
    closes[28] = None
    frame = _synthetic_daily("x", days, closes)
    state = analyze(packdata.frames_at(as_of, daily=frame)).assets["x"]
    assert state.close == 158.0
    assert state.close_date == days[-2]
    assert state.changes["30d"].start_date == days[27] == days[-2] - timedelta(days=31)
    present = [c for c in closes if c is not None]
    assert state.sma50 == pytest.approx(sum(present[-50:]) / 50)


def _synthetic_daily(asset_id: str, days: list[date], closes: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "asset_id": [asset_id] * len(days),
            "date": days,
            "close": closes,
            "high": [None] * len(days),
            "low": [None] * len(days),
            "volume": [1e6] * len(days),
            "market_cap": [None] * len(days),
            "source": ["test"] * len(days),
            "available_at": [datetime.combine(d + timedelta(days=1), datetime.min.time(), UTC) for d in days],
        },
        schema=MarketFrames.empty(datetime(2020, 1, 1, tzinfo=UTC)).daily.schema,
    )


def test_assets_filter_and_names(daily: pl.DataFrame) -> None:
    as_of = AS_OFS[3]
    got = analyze(packdata.frames_at(as_of, daily=daily), assets=["ethereum", "bitcoin", "nope"])
    assert list(got.assets) == ["ethereum", "bitcoin"]
    assert (got.assets["bitcoin"].symbol, got.assets["bitcoin"].name) == ("BTC", "Bitcoin")
    assert got.as_of == as_of


def test_empty_frames_give_empty_analysis() -> None:
    as_of = datetime(2023, 1, 18, tzinfo=UTC)
    got = analyze(MarketFrames.empty(as_of))
    assert got == Analysis(as_of=as_of, market=None, assets={})


def test_unknown_time_zone_names_the_parameter() -> None:
    with pytest.raises(ConfigError, match="tz") as err:
        analyze(MarketFrames.empty(datetime(2023, 1, 18, tzinfo=UTC)), tz="Mars/Olympus")
    assert err.value.parameter == "tz"


@pytest.mark.parametrize(
    ("text", "seconds"), [("1m", 60), ("5m", 300), ("1h", 3600), ("4h", 14400), ("1d", 86400), ("1w", 604800)]
)
def test_interval_seconds(text: str, seconds: int) -> None:
    assert interval_seconds(text) == seconds


def test_interval_seconds_unknown() -> None:
    assert interval_seconds("tick") is None
