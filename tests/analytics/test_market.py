"""MarketState and daily_series on the pack's TradingView TOTAL and CoinGecko exports, checked with csv loops."""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from cryptodesk.analytics.market import TOTAL, daily_series, market_state, total_series
from cryptodesk.core.errors import NoDataError
from cryptodesk.core.frames import MarketFrames

from . import packdata
from .reference import close_on_or_before, known, read_export

SYMS = ["btc", "eth", "usdt", "bnb", "xrp", "ada", "doge", "sol"]
AS_OFS = [
    datetime(2021, 11, 10, 12, 0, tzinfo=UTC),
    datetime(2022, 6, 18, 20, 0, tzinfo=UTC),
    datetime(2022, 11, 9, 23, 0, tzinfo=UTC),
    datetime(2023, 1, 18, 17, 30, tzinfo=UTC),
]


@pytest.fixture(scope="module")
def total(data_pack: Path) -> pl.DataFrame:
    return packdata.tradingview_total(data_pack)


@pytest.fixture(scope="module")
def daily(data_pack: Path) -> pl.DataFrame:
    return packdata.coingecko_daily(data_pack, SYMS)


@dataclass(frozen=True)
class Bar:
    """One TradingView TOTAL bar: day D opens at D 00:00 UTC and is known from D+1 00:00."""

    day: date
    high: float
    low: float
    close: float
    dom: float


def _bars(pack: Path) -> list[Bar]:
    out = []
    with (pack / packdata.TV_TOTAL).open(newline="") as fh:
        for rec in csv.DictReader(fh):
            day = datetime.fromtimestamp(int(rec["time"]), UTC).date()
            out.append(
                Bar(
                    day,
                    float(rec["high"]),
                    float(rec["low"]),
                    float(rec["close"]),
                    float(rec["BTC.D, CRYPTOCAP: Close"]),
                )
            )
    return out


def _known_bars(pack: Path, as_of: datetime) -> list[Bar]:
    return [b for b in _bars(pack) if datetime.combine(b.day, datetime.min.time(), UTC) + timedelta(days=1) <= as_of]


@pytest.mark.parametrize("as_of", AS_OFS, ids=lambda t: t.strftime("%Y-%m-%d"))
def test_index_total_changes_and_dominance(
    total: pl.DataFrame, daily: pl.DataFrame, data_pack: Path, as_of: datetime
) -> None:
    bars = _known_bars(data_pack, as_of)
    last = bars[-1]
    state = market_state(packdata.frames_at(as_of, daily=daily, global_daily=total))
    assert state is not None
    assert (state.total_market_cap, state.date) == (last.close, last.day)
    assert (state.method, state.source, state.coverage) == ("index", "tradingview CRYPTOCAP:TOTAL", ())
    assert (state.day_high, state.day_low) == (last.high, last.low)
    assert state.btc_dominance == pytest.approx(last.dom / 100)
    assert state.dominance_source == "tradingview CRYPTOCAP:TOTAL btc_dominance"
    by_day = {b.day: b for b in bars}
    for window, days in {"1d": 1, "7d": 7, "30d": 30, "1y": 365}.items():
        start = by_day.get(last.day - timedelta(days=days))
        if start is None:  # TradingView TOTAL has no missing days: only before its first bar
            assert last.day - timedelta(days=days) < bars[0].day
            assert window not in state.changes
            continue
        assert state.changes[window].start_date == start.day
        assert state.changes[window].pct == pytest.approx(last.close / start.close - 1)
    prev_year_end = by_day[date(last.day.year - 1, 12, 31)]
    assert state.changes["ytd"].pct == pytest.approx(last.close / prev_year_end.close - 1)


@pytest.mark.parametrize("as_of", AS_OFS, ids=lambda t: t.strftime("%Y-%m-%d"))
def test_index_swings_are_confirmed_pivots(total: pl.DataFrame, data_pack: Path, as_of: datetime) -> None:
    bars = _known_bars(data_pack, as_of)
    state = market_state(packdata.frames_at(as_of, global_daily=total))
    assert state is not None
    assert state.swing_low is not None
    assert state.swing_high is not None
    lo, hi = state.swing_low, state.swing_high
    by_day = {b.day: b for b in bars}
    assert by_day[lo.date].low == lo.value
    assert by_day[hi.date].high == hi.value
    after_lo = [b.high for b in bars if b.day > lo.date]
    after_hi = [b.low for b in bars if b.day > hi.date]
    assert max(after_lo) >= lo.value * 1.1
    assert min(after_hi) <= hi.value * 0.9
    first, second = sorted([lo, hi], key=lambda e: e.date)
    between = [b for b in bars if first.date <= b.day <= second.date]
    # the two most recent swings bound the leg between them
    assert min(b.low for b in between) == lo.value
    assert max(b.high for b in between) == hi.value


def test_swing_low_after_ftx_is_the_nov_9_low(total: pl.DataFrame, data_pack: Path) -> None:
    """As of 2022-11-20 the latest confirmed swing low is the lowest TradingView low of 2022-11-01..19."""
    as_of = datetime(2022, 11, 20, 12, tzinfo=UTC)
    bars = [b for b in _known_bars(data_pack, as_of) if b.day >= date(2022, 11, 1)]
    lowest = min(bars, key=lambda b: b.low)
    state = market_state(packdata.frames_at(as_of, global_daily=total))
    assert state is not None
    assert state.swing_low is not None
    assert (state.swing_low.date, state.swing_low.value) == (lowest.day, lowest.low)


def _sum_on(caps: dict[str, dict[date, float]], members: list[str], day: date) -> float | None:
    """Reference rule: members count from their first day; a gap is bridged for up to 7 days, else no total."""
    total = 0.0
    for m in members:
        if day < min(caps[m]):
            continue
        seen = [d for d in caps[m] if d <= day and (day - d).days <= 7]
        if not seen:
            return None
        total += caps[m][max(seen)]
    return total


@pytest.mark.parametrize("as_of", [*AS_OFS, datetime(2023, 6, 1, tzinfo=UTC)], ids=lambda t: t.strftime("%Y-%m-%d"))
def test_sum_of_assets_when_no_index(daily: pl.DataFrame, data_pack: Path, as_of: datetime) -> None:
    caps: dict[str, dict[date, float]] = {}
    for sym in SYMS:
        rows = known(read_export(data_pack / packdata.EXPORTS / f"{sym}-usd-max.csv"), as_of)
        caps[sym] = {r.day: r.market_cap for r in rows if r.market_cap > 0}
    last_day = max(max(c) for c in caps.values() if c)
    members = sorted(s for s, c in caps.items() if last_day in c)
    expected = sum(caps[s][last_day] for s in members)
    state = market_state(packdata.frames_at(as_of, daily=daily))
    assert state is not None
    assert state.method == "sum"
    assert len(state.coverage) == len(members)
    assert state.date == last_day
    assert state.total_market_cap == pytest.approx(expected, rel=1e-12)
    assert state.btc_dominance == pytest.approx(caps["btc"][last_day] / expected)
    assert state.day_high is None
    assert state.day_low is None
    all_days = {d for m in members for d in caps[m]}
    for window, days in {"7d": 7, "30d": 30, "1y": 365}.items():
        start = last_day - timedelta(days=days)
        while start not in all_days or _sum_on(caps, members, start) is None:
            start -= timedelta(days=1)
        base = _sum_on(caps, members, start)
        assert base is not None
        assert state.changes[window].start_date == start
        assert state.changes[window].pct == pytest.approx(expected / base - 1, rel=1e-9)


def _caps_frame(caps: dict[str, dict[date, float]]) -> pl.DataFrame:
    rows = [(a, d, v) for a, series in caps.items() for d, v in series.items()]
    return pl.DataFrame(
        {
            "asset_id": [r[0] for r in rows],
            "date": [r[1] for r in rows],
            "close": [1.0] * len(rows),
            "high": [None] * len(rows),
            "low": [None] * len(rows),
            "volume": [1.0] * len(rows),
            "market_cap": [r[2] for r in rows],
            "source": ["test"] * len(rows),
            "available_at": [datetime.combine(r[1] + timedelta(days=1), datetime.min.time(), UTC) for r in rows],
        },
        schema=MarketFrames.empty(AS_OFS[0]).daily.schema,
    )


def test_sum_rules_on_synthetic_gaps() -> None:
    """Bridged short gap, dropped long gap, late listing, ended asset outside the coverage."""
    d0 = date(2023, 1, 1)
    days = [d0 + timedelta(days=i) for i in range(40)]
    caps = {
        "bitcoin": {d: 100.0 for d in days if d not in (days[20], days[21])},  # 2-day gap: bridged
        "gappy": {d: 10.0 for d in days if not days[5] <= d <= days[14]},  # 10-day gap: those dates dropped
        "late": dict.fromkeys(days[30:], 1.0),  # listed on day 30
        "ended": dict.fromkeys(days[:35], 1000.0),  # no value on the last day: not a member
    }
    as_of = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), UTC)
    frames = packdata.frames_at(as_of, daily=_caps_frame(caps))
    series = total_series(frames)
    assert series is not None
    assert series.coverage == ("bitcoin", "gappy", "late")
    got = dict(zip(series.frame.get_column("date").to_list(), series.frame.get_column("close").to_list(), strict=True))
    assert got[days[21]] == 110.0  # bitcoin bridged with its day-19 value
    assert got[days[29]] == 110.0
    assert got[days[30]] == 111.0
    missing = [d for d in days if d not in got]
    assert missing == days[12:15]  # gappy last seen on day 4: bridged through day 11 (7 days), not after
    state = market_state(frames)
    assert state is not None
    assert state.total_market_cap == 111.0
    assert state.btc_dominance == pytest.approx(100 / 111)
    assert state.changes["30d"].start_value == 110.0


def test_dominance_falls_back_to_btc_share(total: pl.DataFrame, daily: pl.DataFrame) -> None:
    as_of = AS_OFS[3]
    no_dom = total.with_columns(pl.lit(None, dtype=pl.Float64).alias("btc_dominance"))
    frames = packdata.frames_at(as_of, daily=daily, global_daily=no_dom)
    state = market_state(frames)
    assert state is not None
    btc = frames.daily.filter((pl.col("asset_id") == "bitcoin") & (pl.col("date") == state.date)).row(0, named=True)
    assert state.btc_dominance == pytest.approx(btc["market_cap"] / state.total_market_cap)
    assert state.dominance_source is not None
    assert "bitcoin market_cap" in state.dominance_source


def test_equities_are_not_summed(daily: pl.DataFrame) -> None:
    as_of = AS_OFS[3]
    spx = daily.filter(pl.col("asset_id") == "bitcoin").with_columns(pl.lit("spx").alias("asset_id"))
    assets = pl.DataFrame(
        {"asset_id": ["spx"], "symbol": ["SPX"], "name": ["S&P 500"], "kind": ["index"]},
        schema=MarketFrames.empty(as_of).assets.schema,
    )
    frames = dataclasses.replace(packdata.frames_at(as_of, daily=pl.concat([daily, spx])), assets=assets)
    state = market_state(frames)
    assert state is not None
    assert "spx" not in state.coverage
    assert "bitcoin" in state.coverage


def test_no_total_at_all() -> None:
    assert market_state(MarketFrames.empty(AS_OFS[0])) is None
    assert total_series(MarketFrames.empty(AS_OFS[0])) is None
    with pytest.raises(NoDataError, match="total market cap"):
        daily_series(MarketFrames.empty(AS_OFS[0]), TOTAL)


@pytest.mark.parametrize("as_of", AS_OFS, ids=lambda t: t.strftime("%Y-%m-%d"))
@pytest.mark.parametrize("sym", ["btc", "eth", "sol"])
def test_daily_series_of_an_asset(daily: pl.DataFrame, data_pack: Path, as_of: datetime, sym: str) -> None:
    rows = known(read_export(data_pack / packdata.EXPORTS / f"{sym}-usd-max.csv"), as_of)
    asset_id = {"btc": "bitcoin", "eth": "ethereum", "sol": "solana"}[sym]
    series = daily_series(packdata.frames_at(as_of, daily=daily), asset_id)
    assert series.columns == ["date", "close", "high", "low", "volume", "source"]
    assert series.get_column("date").to_list() == [r.day for r in rows]
    assert series.get_column("close").to_list() == [r.price for r in rows]
    assert series.get_column("volume").to_list() == pytest.approx([r.volume for r in rows], nan_ok=True)
    last = close_on_or_before(rows, as_of.date())
    assert last is not None
    assert series.get_column("date")[-1] == last.day


@pytest.mark.parametrize("as_of", AS_OFS, ids=lambda t: t.strftime("%Y-%m-%d"))
def test_daily_series_of_the_total(total: pl.DataFrame, data_pack: Path, as_of: datetime) -> None:
    bars = _known_bars(data_pack, as_of)
    series = daily_series(packdata.frames_at(as_of, global_daily=total), TOTAL)
    assert series.get_column("date").to_list() == [b.day for b in bars]
    assert series.get_column("high").to_list() == [b.high for b in bars]
    assert series.get_column("close").to_list() == [b.close for b in bars]


def test_daily_series_unknown_subject(daily: pl.DataFrame) -> None:
    with pytest.raises(NoDataError, match="'nope'"):
        daily_series(packdata.frames_at(AS_OFS[0], daily=daily), "nope")


def test_stale_index_gives_way_to_the_sum(total: pl.DataFrame, daily: pl.DataFrame) -> None:
    """TradingView TOTAL ends 2023-02-02; a year later the sum of tracked assets is the current total."""
    as_of = datetime(2024, 3, 14, 12, tzinfo=UTC)
    state = market_state(packdata.frames_at(as_of, daily=daily, global_daily=total))
    assert state is not None
    assert state.method == "sum"
    assert state.date == date(2024, 3, 13)
    lagging = datetime(2023, 2, 5, 12, tzinfo=UTC)  # index 2023-02-02 vs assets 2023-02-04; two days later the lag is 4
    state = market_state(packdata.frames_at(lagging, daily=daily, global_daily=total))
    assert state is not None
    assert (state.method, state.date) == ("index", date(2023, 2, 2))
    later = market_state(packdata.frames_at(lagging + timedelta(days=2), daily=daily, global_daily=total))
    assert later is not None
    assert later.method == "sum"


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_sum_in_chunks_of_members_follows_the_same_rules(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Members summed a few at a time (to bound memory) give the reference rule's totals on every date."""
    import cryptodesk.analytics.market as market

    d0 = date(2023, 1, 1)
    days = [d0 + timedelta(days=i) for i in range(60)]
    caps = {
        "bitcoin": {d: 100.0 + i for i, d in enumerate(days) if i not in (20, 21)},
        "gappy": {d: 10.0 + i / 7 for i, d in enumerate(days) if not 5 <= i <= 14},
        "late": {d: 1.0 + i for i, d in enumerate(days) if i >= 30},
        "later": {d: 3.0 for i, d in enumerate(days) if i >= 45 and i != 50},
        "steady": {d: 0.5 * i for i, d in enumerate(days) if i > 0},
    }
    monkeypatch.setattr(market, "SUM_CHUNK", chunk)
    as_of = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), UTC)
    series = total_series(packdata.frames_at(as_of, daily=_caps_frame(caps)))
    assert series is not None
    members = list(series.coverage)
    assert members == sorted(caps)
    got = dict(zip(series.frame.get_column("date").to_list(), series.frame.get_column("close").to_list(), strict=True))
    dominance = dict(
        zip(series.frame.get_column("date").to_list(), series.frame.get_column("btc_dominance").to_list(), strict=True)
    )
    for day in days:
        want = _sum_on(caps, members, day)
        if want is None:
            assert day not in got
            continue
        assert got[day] == pytest.approx(want, rel=1e-12)
        btc_seen = max(d for d in caps["bitcoin"] if d <= day)
        assert dominance[day] == pytest.approx(caps["bitcoin"][btc_seen] / want)


@pytest.mark.parametrize("chunk", [1, 2, 500])
def test_sum_skips_assets_between_members(monkeypatch: pytest.MonkeyPatch, chunk: int) -> None:
    """Assets without a value on the last day sort before, between and after the members (and hold the only values
    of some early dates, and non-positive caps): the chunks read the members' rows only, the dates are theirs."""
    import cryptodesk.analytics.market as market

    d0 = date(2023, 1, 1)
    days = [d0 + timedelta(days=i) for i in range(50)]
    early = [d0 - timedelta(days=i) for i in range(1, 4)]
    caps = {
        "aaa-ended": dict.fromkeys([*early, *days[:30]], 7.0),  # before every member; the only values on early days
        "bitcoin": {d: 100.0 + i for i, d in enumerate(days)},
        "c-ended": dict.fromkeys(days[:40], 50.0),  # between two members
        "d-gappy": {d: 2.0 + i for i, d in enumerate(days) if i % 5},
        "e-dead": dict.fromkeys(days, 0.0),  # a non-positive cap every day: not summed, not a member
        "zzz-ended": dict.fromkeys(days[10:45], 9.0),  # after every member
    }
    monkeypatch.setattr(market, "SUM_CHUNK", chunk)
    as_of = datetime.combine(days[-1] + timedelta(days=1), datetime.min.time(), UTC)
    series = total_series(packdata.frames_at(as_of, daily=_caps_frame(caps)))
    assert series is not None
    members = ["bitcoin", "d-gappy"]
    assert list(series.coverage) == members
    got = dict(zip(series.frame.get_column("date").to_list(), series.frame.get_column("close").to_list(), strict=True))
    positive = {a: {d: v for d, v in c.items() if v > 0} for a, c in caps.items()}
    assert sorted(got) == days  # no early date: only a non-member had values then
    for day in days:
        want = _sum_on(positive, members, day)
        assert want is not None
        assert got[day] == pytest.approx(want, rel=1e-12)
