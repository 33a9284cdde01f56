"""Claim extraction: every quantitative claim of the seed article, exact spans, robustness."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from pathlib import Path

import pytest

from cryptodesk.check.entities import EntityFinder
from cryptodesk.check.extract import extract, looks_english, sentences
from cryptodesk.core.assets import AssetRegistry

AS_OF = datetime(2023, 1, 18, 17, 30, tzinfo=UTC)
NY = "America/New_York"
SEED_DIR = Path(__file__).resolve().parents[3] / "shared" / "seed"

SEED_CLAIMS = [
    # (fragment of the claim span, type, subject, claimed, qualifier)
    ("touches trillion dollar mark", "market_cap_level", "total_market_cap", 1e12, "touches"),
    ("rose above $1 trillion on Wednesday morning", "market_cap_level", "total_market_cap", 1e12, "rose above"),
    ("as high as $21,501 as of 9:15 a.m. ET", "price_level", "bitcoin", 21501.0, "as high as"),
    ("up more than 20% from where it traded just one week ago", "pct_change", "bitcoin", 20.0, "more than"),
    ("gained roughly 30% so far this year", "pct_change", "bitcoin", 30.0, "roughly"),
    ("closer to $21,000", "price_level", "bitcoin", 21000.0, "closer to"),
    ("low of $796 billion on November 9", "extreme", "total_market_cap", 796e9, ""),
    ("risen by more than 20%", "pct_change", "total_market_cap", 20.0, "more than"),
    ("about 50% lower than where it stood a year ago", "comparison", "total_market_cap", -50.0, "about"),
    ("up about 23% over the last month against a 28% gain for bitcoin", "comparison", "ethereum", 23.0, "about"),
    ("just below $1,600 per coin at its highs on Wednesday morning", "price_level", "ethereum", 1600.0, "just below"),
    ("more than $893 million worth of short positions", "liquidations", "bitcoin", 893e6, "more than"),
    ("$455 million worth of short positions", "liquidations", "bitcoin", 455e6, ""),
    ("surpassed its 50-day moving average", "moving_average", "bitcoin", None, "above"),
    ("volumes begin to start to pick back up", "volume_trend", "bitcoin", None, "rising"),
]


@pytest.fixture(scope="module")
def finder() -> EntityFinder:
    return EntityFinder(AssetRegistry.builtin())


def _seed_text() -> str:
    files = sorted(SEED_DIR.glob("*.txt"))
    assert files, f"no seed article in {SEED_DIR}"
    return files[0].read_text(encoding="utf-8")


def test_seed_claims_all_extracted_in_order(finder: EntityFinder) -> None:
    text = _seed_text()
    got = extract(text, AS_OF, NY, finder)
    assert got.message == ""
    assert len(got.claims) == len(SEED_CLAIMS)
    for claim, (frag, kind, subject, claimed, qualifier) in zip(got.claims, SEED_CLAIMS, strict=True):
        assert frag in claim.text, (frag, claim.text)
        assert text[claim.start : claim.end] == claim.text
        assert (claim.type, claim.subject, claim.claimed, claim.qualifier) == (kind, subject, claimed, qualifier)


def test_seed_windows_resolved(finder: EntityFinder) -> None:
    claims = extract(_seed_text(), AS_OF, NY, finder).claims
    by_frag = {frag: c for (frag, *_), c in zip(SEED_CLAIMS, claims, strict=True)}
    assert by_frag["up more than 20% from where it traded just one week ago"].window.days == 7  # type: ignore[union-attr]
    assert by_frag["gained roughly 30% so far this year"].window.kind == "ytd"  # type: ignore[union-attr]
    since = by_frag["risen by more than 20%"].window
    assert since is not None
    assert since.kind == "since"
    assert since.start == datetime(2022, 11, 9, 5, tzinfo=UTC)
    first = by_frag["rose above $1 trillion on Wednesday morning"]
    assert first.since is not None
    assert first.since.label == "2022-11-08"
    comparison = by_frag["up about 23% over the last month against a 28% gain for bitcoin"]
    assert (comparison.versus, comparison.versus_claimed, comparison.window.days) == ("bitcoin", 28.0, 30)  # type: ignore[union-attr]
    liq = by_frag["$455 million worth of short positions"]
    assert liq.metric == "liquidations_net"
    assert liq.window is not None
    assert liq.window.days == 7


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("", "empty"),
        ("   \n\n  ", "empty"),
        ("Bitcoin had a quiet day as traders waited for the Fed.", "no quantitative claims"),
        ("Der Bitcoin-Kurs ist in dieser Woche um mehr als 20% gestiegen und die Anleger sind zufrieden.", "English"),
        ("比特币本周上涨超过20%，以太坊下跌5%。", "English"),
    ],
)
def test_nothing_to_check_gives_a_message(finder: EntityFinder, text: str, needle: str) -> None:
    got = extract(text, AS_OF, NY, finder)
    assert got.claims == ()
    assert needle in got.message


def test_sentences_keep_times_together() -> None:
    text = "Near 12:20 p.m. ET, bitcoin was near $21,000. Ether rose 3%."
    spans = [text[s:e] for s, e in sentences(text)]
    assert spans == ["Near 12:20 p.m. ET, bitcoin was near $21,000.", "Ether rose 3%."]


def test_english_detector() -> None:
    assert looks_english("Bitcoin is up more than 20% from where it traded one week ago.")
    assert not looks_english("Le bitcoin a progressé de plus de 20 % en une semaine, selon les données du marché.")


@pytest.mark.parametrize(
    ("sentence", "kind", "subject", "claimed", "direction"),
    [
        ("Solana fell 12% over the past week.", "pct_change", "solana", -12.0, "down"),
        ("XRP (XRP-USD) rose 4.5% on Tuesday.", "pct_change", "ripple", 4.5, "up"),
        ("Bitcoin’s market cap rose above $500 billion on Tuesday.", "market_cap_level", "bitcoin", 500e9, None),
        ("ETH traded at $1,550 on Tuesday.", "price_level", "ethereum", 1550.0, None),
        ("Cardano dropped below its 200-day moving average.", "moving_average", "cardano", None, "down"),
    ],
)
def test_other_phrasings(
    finder: EntityFinder, sentence: str, kind: str, subject: str, claimed: float, direction: str | None
) -> None:
    (claim,) = extract(sentence, AS_OF, NY, finder).claims
    assert (claim.type, claim.subject, claim.claimed, claim.direction) == (kind, subject, claimed, direction)


@pytest.mark.parametrize(
    ("sentence", "kind", "subject", "claimed", "window_kind"),
    [
        ("The crypto market lost $100 billion in value on Tuesday.", "usd_change", "total_market_cap", -100e9, "range"),
        ("Bitcoin added about $1,000 over the past week.", "usd_change", "bitcoin", 1000.0, "lookback"),
        ("Bitcoin is down 60% from its record high.", "pct_change", "bitcoin", -60.0, "from_high"),
        ("The S&P 500 fell 1.6% on Tuesday.", "pct_change", "sp500", -1.6, "range"),
        ("BTC slipped 3.5% week-over-week.", "pct_change", "bitcoin", -3.5, "lookback"),
        ("Bitcoin traded at $21,000 at 10:00 a.m. ET on Friday.", "price_level", "bitcoin", 21000.0, "moment"),
    ],
)
def test_more_phrasings(
    finder: EntityFinder, sentence: str, kind: str, subject: str, claimed: float, window_kind: str
) -> None:
    (claim,) = extract(sentence, AS_OF, NY, finder).claims
    assert (claim.type, claim.subject, claim.claimed) == (kind, subject, claimed)
    assert claim.window is not None
    assert claim.window.kind == window_kind


def test_clock_time_on_a_named_day(finder: EntityFinder) -> None:
    (claim,) = extract("Bitcoin traded at $21,000 at 10:00 a.m. ET on Friday.", AS_OF, NY, finder).claims
    assert claim.window is not None
    assert claim.window.start == datetime(2023, 1, 13, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    "sentence",
    [
        "Inflation cooled to 6.5% in December, the CPI report showed.",
        "Bitcoin dominance rose to 45% this week.",
        "Genesis owes creditors more than $3 billion.",
        "The exchange raised $400 million at a $32 billion valuation.",
    ],
)
def test_numbers_that_are_not_market_claims_are_skipped(finder: EntityFinder, sentence: str) -> None:
    got = extract(f"Bitcoin rose 1% on Tuesday. {sentence}", AS_OF, NY, finder)
    assert [c.text for c in got.claims] == ["Bitcoin rose 1% on Tuesday"]


def test_volume_numbers_and_a_moving_average_in_one_sentence(finder: EntityFinder) -> None:
    text = (
        "Bitcoin trading volume rose about 65% on Tuesday to $33 billion. "
        "Bitcoin rose 5% and closed above its 50-day moving average."
    )
    claims = extract(text, AS_OF, NY, finder).claims
    assert [(c.type, c.metric) for c in claims] == [
        ("volume_trend", "volume_change"),
        ("volume_trend", "volume_level"),
        ("pct_change", "pct_change"),
        ("moving_average", "sma50"),
    ]
    assert [c.text for c in claims[2:]] == ["Bitcoin rose 5%", "closed above its 50-day moving average"]
    for a, b in itertools.pairwise(claims):
        assert a.end <= b.start
