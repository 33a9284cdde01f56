"""Six short articles of 2021-2024 (fixtures in ./articles) mixing true claims and deliberately false ones.

True numbers were derived from the pack when the articles were written; the key
ones are recomputed here from the raw CSVs. Every false claim (wrong level,
wrong window, wrong 'first time since' date, sign error) must be contradicted and
every true one supported.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.check.pack_csv import change, coingecko_closes, tradingview_total, yahoo_rows

from cryptodesk.desk import Desk
from cryptodesk.desk.check import check_text

ARTICLES = Path(__file__).parent / "articles"
S, C = "supported", "contradicted"

CASES: dict[str, list[tuple[str, str]]] = {
    "2021-05-20_crash.txt": [
        ("closed Wednesday at about $37,300", S),
        ("down roughly 13% on the day", S),
        ("low of $30,682", S),
        ("closed at $1.55 trillion", S),
        ("Ether has lost about 36% over the past week", S),
        ("Solana is up 13% over the last 7 days", C),  # wrong window (+12.7% is the month) and sign
        ("Dogecoin has gained about 17% over the last month", C),  # sign error
        ("still trading above its 50-day moving average", C),
        ("volumes surged", S),
    ],
    "2021-11-10_record.txt": [
        ("record high of $68,530", S),
        ("Ether closed Monday at $4,815", S),
        ("about 131% so far this year", S),
        ("Solana has gained 62% over the past month", S),
        ("Ether is up about 38% over the last week", C),  # wrong window (+38% is the month)
        ("Cardano rose 7% on Tuesday", S),
        ("Bitcoin closed Tuesday at $64,000", C),  # wrong level
    ],
    "2022-06-19_below20k.txt": [
        ("below $20,000 on Saturday for the first time since December 2020", S),
        ("below $1,000 on Saturday for the first time since January 2021", S),
        ("low of $17,709", S),
        ("Bitcoin has lost about 33% over the past week", S),
        ("Ether has lost about 51% over the last month", S),
        ("TOTAL index has fallen 62% so far this year", S),
        ("Solana gained 3% on Saturday", S),
        ("Bitcoin has risen 33% over the past week", C),  # sign error
        ("below its 50-day moving average", S),
    ],
    "2022-11-10_ftx.txt": [
        ("below $16,000 on Wednesday for the first time since November 2020", S),
        ("below $1,100 on Wednesday for the first time since January 2021", C),  # wrong 'since' date (July 2022)
        ("Solana plunged about 42% on Wednesday", S),
        ("Ether closed Wednesday near $1,095", S),
        ("low of $736 billion", S),
        ("Bitcoin has lost 22% over the past week", S),
        ("Dogecoin is up about 26% over the last month", S),
        ("Cardano jumped 18% over the past week", C),  # sign error
    ],
    "2023-03-14_rebound.txt": [
        ("Bitcoin jumped about 9% on Monday", S),
        ("closed Monday at $24,179", S),
        ("above $24,000 on Monday for the first time since late February", S),
        ("Ether is up about 40% so far this year", S),
        ("Solana fell 2% over the last month", S),
        ("volume picked up", S),
        ("Ether closed Monday at $1,900", C),  # wrong level
        ("Bitcoin is up 46% over the past week", C),  # wrong window (+46% is year to date)
    ],
    "2024-03-14_highs.txt": [
        ("Bitcoin closed Wednesday at $73,098", S),
        ("gained about 73% so far this year", S),
        ("well above its 50-day moving average", S),
        ("above $4,000 on Monday for the first time since December 2021", S),
        ("above $4,000 on Wednesday for the first time since December 2021", C),  # wrong: it was above on Monday
        ("Solana has surged 25% over the last 7 days", S),
        ("Dogecoin is up about 105% over the past month", S),
        ("Ether is down about 5% over the past week", C),  # sign error
    ],
}


def _as_of(name: str) -> datetime:
    """Each article is checked as of noon New York time on the day in its file name."""
    return datetime.combine(
        date.fromisoformat(name[:10]), datetime.min.time(), ZoneInfo("America/New_York")
    ) + timedelta(hours=12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_article_verdicts(pack_desk: Desk, name: str) -> None:
    result = check_text(pack_desk, (ARTICLES / name).read_text(encoding="utf-8"), _as_of(name), "America/New_York")
    got = [(c.claim.text, c.verdict) for c in result.claims]
    assert len(got) == len(CASES[name]), got
    for (text, verdict), (frag, want) in zip(got, CASES[name], strict=True):
        assert frag in text, (frag, text)
        assert verdict == want, (name, frag, verdict, [c.explanation for c in result.claims if c.claim.text == text])


def test_every_fixture_has_a_case() -> None:
    assert sorted(p.name for p in ARTICLES.glob("*.txt")) == sorted(CASES)
    years = {name[:4] for name in CASES}
    assert years == {"2021", "2022", "2023", "2024"}


def test_key_numbers_recomputed_from_csv(data_pack: Path) -> None:
    """The true claims' numbers, straight from the CSVs; the false ones are far outside tolerance."""
    btc, eth = coingecko_closes(data_pack, "btc"), coingecko_closes(data_pack, "eth")
    sol, doge = coingecko_closes(data_pack, "sol"), coingecko_closes(data_pack, "doge")
    assert change(btc, date(2021, 5, 18), date(2021, 5, 19)) == pytest.approx(-13, abs=1.5)
    assert change(sol, date(2021, 5, 12), date(2021, 5, 19)) < 0  # "up 13% over 7 days" is a sign/window error
    assert change(doge, date(2021, 4, 19), date(2021, 5, 19)) < 0
    assert change(eth, date(2021, 11, 2), date(2021, 11, 9)) < 10  # not "38% over the last week"
    assert btc[date(2021, 11, 9)] == pytest.approx(67145, rel=0.001)
    assert btc[date(2023, 3, 13)] == pytest.approx(24179, rel=0.0005)
    assert change(btc, date(2023, 3, 6), date(2023, 3, 13)) < 10  # not "46% over the past week"
    assert change(btc, date(2022, 12, 31), date(2023, 3, 13)) == pytest.approx(46, abs=1)
    assert btc[date(2024, 3, 13)] == pytest.approx(73098, rel=0.0005)
    assert change(eth, date(2024, 3, 6), date(2024, 3, 13)) > 0  # not "down about 5%"
    assert change(sol, date(2024, 3, 6), date(2024, 3, 13)) == pytest.approx(25, abs=1)
    y_btc, _y_eth = yahoo_rows(data_pack, "BTC"), yahoo_rows(data_pack, "ETH")
    assert y_btc[date(2021, 5, 19)]["Low"] == pytest.approx(30682, rel=0.0005)
    assert y_btc[date(2021, 11, 9)]["High"] == pytest.approx(68530, rel=0.0005)
    assert y_btc[date(2022, 6, 18)]["Low"] == pytest.approx(17709, rel=0.0005)
    tv = tradingview_total(data_pack)
    assert tv[date(2021, 5, 19)]["close"] == pytest.approx(1.55e12, rel=0.02)
    assert tv[date(2022, 11, 9)]["low"] == pytest.approx(736e9, rel=0.005)
    assert change({d: r["close"] for d, r in tv.items()}, date(2021, 12, 31), date(2022, 6, 18)) == pytest.approx(
        -62, abs=1
    )


@pytest.mark.parametrize(
    ("sym", "day", "level", "since_month"),
    [
        ("BTC", date(2022, 6, 18), 20000.0, (2020, 12)),
        ("ETH", date(2022, 6, 18), 1000.0, (2021, 1)),
        ("BTC", date(2022, 11, 9), 16000.0, (2020, 11)),
    ],
)
def test_first_time_below_since_recomputed(
    data_pack: Path, sym: str, day: date, level: float, since_month: tuple[int, int]
) -> None:
    """The last day at or below the level before ``day``: Yahoo lows from 2021, CoinGecko closes before."""
    closes = coingecko_closes(data_pack, sym.lower())
    lows = {d: r["Low"] for d, r in yahoo_rows(data_pack, sym).items()}
    series = {**{d: v for d, v in closes.items() if d.year < 2021}, **lows}
    before = [d for d, v in series.items() if d < day - timedelta(days=1) and v <= level]
    assert series[day] <= level < series[day - timedelta(days=1)]
    assert (max(before).year, max(before).month) == since_month


def test_eth_below_1100_was_last_seen_in_july_2022(data_pack: Path) -> None:
    lows = {d: r["Low"] for d, r in yahoo_rows(data_pack, "ETH").items()}
    last = max(d for d, v in lows.items() if d < date(2022, 11, 9) and v <= 1100)
    assert last.year == 2022
    assert last.month == 7
