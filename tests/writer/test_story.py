"""write_story: seed-like content, fact binding of every figure, liquidations, variation and leads."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, date, datetime, timedelta

import polars as pl
import pytest
from story_checks import bad_refs, banned, lines, uncovered_digits
from writer_fixtures import (
    AS_OF,
    btc_state,
    calendar_frame,
    cross_event,
    eth_state,
    market_state,
    other_events,
    seed_analysis,
)

from cryptodesk.analytics.types import Analysis, Change, Extreme
from cryptodesk.core.errors import ConfigError
from cryptodesk.core.frames import CALENDAR_SCHEMA
from cryptodesk.core.models import Event
from cryptodesk.writer.phrasing import parse_money
from cryptodesk.writer.signals import sigma_label
from cryptodesk.writer.story import Story, write_story

SEEDS = range(6)


def body(story: Story) -> str:
    return "\n".join(p.text for p in story.paragraphs)


@pytest.mark.parametrize("seed", SEEDS)
def test_seed_like_story(analysis: Analysis, events: list[Event], calendar: pl.DataFrame, seed: int) -> None:
    story = write_story(analysis, events, calendar, seed=seed)
    assert re.fullmatch(
        r"Crypto market cap (tops|rises above|climbs past) \$1 trillion for first time since early "
        r"November",
        story.headline,
    )
    lead = story.paragraphs[0].text
    assert lead.startswith(
        "The total market capitalization of cryptocurrencies rose above $1 trillion on Wednesday "
        "morning for the first time since Nov. 8, according to TradingView's CRYPTOCAP:TOTAL index."
    )
    text = body(story)
    for needle in (
        "Bitcoin (BTC-USD)",
        "$21,559 at 9:15 a.m. ET",
        "one-minute bars from Binance USDⓈ-M perpetual futures",
        "cover only 7:29 a.m. ET to 12:29 p.m. ET",
        "12:20 p.m. ET",
        "last Thursday's inflation report",
        "$949 billion on Tuesday",
        "TradingView's CRYPTOCAP:TOTAL index",
        "$736 billion",
        "Nov. 9",
        "lower than",
        "Ether (ETH-USD)",
        "50-day moving average of $17,384",
        "2.6 standard deviations",
        "“extreme overbought.”",
        "30-day average of $16.7 billion",
        "Wednesday's producer price report",
        "8:30 a.m. ET",
    ):
        assert needle.lower() in text.lower(), (needle, text)
    assert text.count("total market capitalization of cryptocurrencies") == 1
    assert "a week ago" in text or "in a week" in text
    assert "so far this year" in text or "for the year" in text


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("with_events", [True, False])
def test_every_number_is_a_fact_that_renders_to_it(
    analysis: Analysis, events: list[Event], calendar: pl.DataFrame, seed: int, with_events: bool
) -> None:
    story = write_story(analysis, events if with_events else [], calendar, seed=seed)
    for line in lines(story):
        assert uncovered_digits(line) == [], line.text
    assert bad_refs(story) == []


@pytest.mark.parametrize("seed", SEEDS)
def test_figures_agree_with_their_facts_independently(
    analysis: Analysis, events: list[Event], calendar: pl.DataFrame, seed: int
) -> None:
    """Re-derive each printed figure from its span text (not via the writer's renderer) and compare to the fact."""
    story = write_story(analysis, events, calendar, seed=seed)
    facts = {f.id: f for f in story.facts}
    for line in lines(story):
        for span in line.refs:
            fact = facts[span.fact_id]
            shown = line.text[span.start : span.end]
            assert isinstance(fact.value, float | str)
            if fact.unit == "usd":
                figure = parse_money(shown[shown.index("$") :])
                value = float(fact.value)
                if span.form == "exact":
                    assert abs(figure - value) <= 0.006 * value
                elif span.form == "more_than":
                    assert figure < value
                elif span.form in ("just_below", "nearly"):
                    assert value < figure
                else:
                    assert abs(figure - value) <= 0.03 * value
            elif fact.unit == "pct":
                figure = float(re.search(r"[0-9.]+(?=%)", shown).group())  # type: ignore[union-attr]
                points = abs(float(fact.value)) * 100
                if span.form == "more_than":
                    assert figure < points
                elif span.form == "exact":
                    assert abs(figure - points) <= 0.05 + 1e-9
                else:
                    assert abs(figure - points) <= 0.08 * points


def test_no_liquidation_sentence_without_data(analysis: Analysis, events: list[Event], calendar: pl.DataFrame) -> None:
    liq = Event(
        "liquidation_imbalance",
        "bitcoin",
        "liquidations",
        AS_OF,
        5.0,
        details={"short_usd": 893e6, "long_usd": 438e6, "window": "7d", "source": "coinglass"},
    )
    for evs in (events, [liq, *events]):
        story = write_story(analysis, evs, calendar, liquidations_available=False)
        text = (story.headline + body(story)).lower()
        assert "liquidat" not in text
        assert "short position" not in text
        assert "squeez" not in text
        missing = [f for f in story.facts if f.id.startswith("liquidations.")]
        assert {f.id for f in missing} == {
            "liquidations.bitcoin.short_usd.7d",
            "liquidations.bitcoin.long_usd.7d",
            "liquidations.bitcoin.net_short_usd.7d",
        }
        assert all(f.value is None and f.missing_reason for f in missing)


def test_liquidation_sentences_with_data(analysis: Analysis, events: list[Event], calendar: pl.DataFrame) -> None:
    liq = Event(
        "liquidation_imbalance",
        "bitcoin",
        "liquidations",
        AS_OF,
        0.1,
        details={"short_usd": 893.4e6, "long_usd": 438.2e6, "window": "7d", "source": "coinglass"},
    )
    story = write_story(analysis, [*events, liq], calendar, liquidations_available=True)
    text = body(story)
    assert "$893 million worth of short positions on bitcoin have been liquidated, against $438 million" in text
    assert "according to CoinGlass" in text
    assert "$455 million worth of short positions were squeezed out" in text
    assert story.fact("liquidations.bitcoin.net_short_usd.7d").value == pytest.approx(455.2e6)
    assert bad_refs(story) == []


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("with_events", [True, False])
def test_no_banned_patterns(
    analysis: Analysis, events: list[Event], calendar: pl.DataFrame, seed: int, with_events: bool
) -> None:
    story = write_story(analysis, events if with_events else [], calendar, seed=seed)
    for line in lines(story):
        assert banned(line.text) == [], line.text
        assert line.text[:1].isupper()
    for p in story.paragraphs:
        assert p.text.endswith((".", ".”"))


def test_banned_pattern_check_can_fail() -> None:
    assert banned("Bitcoin rose 0.2134 to the the top") != []
    assert any("without a unit" in b for b in banned("Bitcoin rose 21 on Monday."))
    assert banned("Bitcoin rose 21.3% to $21,559 at 9:15 a.m. ET on Nov. 8.") == []


def test_same_seed_same_story_and_seeds_vary_phrasing_not_facts(
    analysis: Analysis, events: list[Event], calendar: pl.DataFrame
) -> None:
    stories = [write_story(analysis, events, calendar, seed=s) for s in range(10)]
    again = write_story(analysis, events, calendar, seed=3)
    assert again == stories[3]
    texts = {s.headline + body(s) for s in stories}
    assert len(texts) >= 4
    fact_sets = {tuple(sorted((f.id, f.value, f.unit, f.window) for f in s.facts)) for s in stories}
    assert len(fact_sets) == 1


def _shifted(analysis: Analysis, days: int) -> Analysis:
    return dataclasses.replace(analysis, as_of=analysis.as_of + timedelta(days=days))


def test_phrasing_varies_across_days_with_the_same_facts(events: list[Event]) -> None:
    """The same data written as of several days (no calendar): different wording, same figures."""
    base = seed_analysis()
    stories = [
        write_story(_shifted(base, d), events, pl.DataFrame(schema=CALENDAR_SCHEMA), seed=0) for d in range(0, 12)
    ]
    verbs = {re.sub(r"[^a-z ]", "", s.headline.lower()) for s in stories}
    assert len({s.headline + body(s) for s in stories}) >= 4, verbs
    values = {tuple(sorted((f.id, f.value) for f in s.facts if f.unit in ("usd", "pct"))) for s in stories}
    assert len(values) == 1


def test_sum_method_names_coverage_and_provider(events: list[Event], calendar: pl.DataFrame) -> None:
    analysis = Analysis(AS_OF, market_state("sum"), {"bitcoin": btc_state(), "ethereum": eth_state()})
    for seed in SEEDS:
        story = write_story(analysis, events, calendar, seed=seed)
        text = body(story)
        assert "16 cryptocurrencies cryptodesk tracks" in text
        assert "CoinGecko data" in text
        assert "TradingView" not in text
        assert story.fact("market.coverage.count").value == 16
        assert bad_refs(story) == []


def test_full_day_intraday_is_not_called_partial(events: list[Event], calendar: pl.DataFrame) -> None:
    analysis = seed_analysis()
    intra = analysis.assets["bitcoin"].intraday
    assert intra is not None
    whole_day = dataclasses.replace(intra, coverage_start=datetime(2023, 1, 18, 0, 0, tzinfo=UTC))
    full = dataclasses.replace(analysis.assets["bitcoin"], intraday=whole_day)
    story = write_story(Analysis(AS_OF, analysis.market, {**analysis.assets, "bitcoin": full}), events, calendar)
    assert "cover only" not in body(story)
    assert "one-minute bars from Binance" in body(story)


def test_without_intraday_uses_the_last_price(events: list[Event], calendar: pl.DataFrame) -> None:
    analysis = seed_analysis(intraday=False)
    story = write_story(analysis, events, calendar)
    assert "last traded at $20,939 as of 12:20 p.m. ET on Wednesday, according to Binance" in body(story)
    assert not any(f.id.startswith("bitcoin.intraday") for f in story.facts)


def test_calendar_context_is_only_where_it_fits(analysis: Analysis, events: list[Event]) -> None:
    empty = pl.DataFrame(schema=CALENDAR_SCHEMA)
    text = body(write_story(analysis, events, empty))
    assert "inflation report" not in text
    assert "producer price" not in text
    late_cpi = calendar_frame().with_columns(
        pl.when(pl.col("kind") == "CPI")
        .then(pl.lit(datetime(2023, 1, 16, 13, 30, tzinfo=UTC)))
        .otherwise(pl.col("ts"))
        .alias("ts")
    )
    text = body(write_story(analysis, events, late_cpi))
    assert "That one-week stretch included Monday's inflation report" in text


@pytest.mark.parametrize(
    ("sigma", "label"),
    [
        (2.61, "extreme overbought"),
        (2.0, "extreme overbought"),
        (1.4, "overbought"),
        (0.3, None),
        (-1.2, "oversold"),
        (-2.5, "extreme oversold"),
    ],
)
def test_sigma_labels(sigma: float, label: str | None) -> None:
    assert sigma_label(sigma) == label


def test_neutral_sigma_is_not_called_overbought(events: list[Event], calendar: pl.DataFrame) -> None:
    a = seed_analysis()
    calm = dataclasses.replace(a.assets["bitcoin"], dist_sma50_sigma=0.4, dist_sma50_pct=0.03)
    text = body(write_story(Analysis(AS_OF, a.market, {**a.assets, "bitcoin": calm}), events, calendar))
    assert "overbought" not in text
    assert "within the normal range" in text


def _top(event: Event) -> list[Event]:
    return [dataclasses.replace(event, score=10.0), cross_event()]


@pytest.mark.parametrize(
    ("kind", "pattern", "first_paragraph"),
    [
        (
            "big_move",
            r"Bitcoin (jumps|climbs|rallies) (more than 20%|about 20%|roughly 20%|21\.3%) in a week",
            r"Bitcoin \(BTC-USD\)",
        ),
        (
            "sma_extension",
            r"Bitcoin stretches 2\.6 standard deviations above its 50-day average",
            r"Bitcoin( closed|'s close)",
        ),
        (
            "volume_surge",
            r"Bitcoin trading volume runs at twice its 30-day average",
            r"(Trading volume|Volume is running hot)",
        ),
        ("relative_performance", r"Ether outpaces bitcoin over the last month", r"ether \(ETH-USD\)"),
        (
            "extreme",
            r"Bitcoin hits highest level since mid-September",
            r"bitcoin \(BTC-USD\) closed at \$21,157 on Tuesday, its highest level since Sept\. 13\.",
        ),
    ],
)
def test_top_event_leads(kind: str, pattern: str, first_paragraph: str, calendar: pl.DataFrame) -> None:
    ev = next(e for e in other_events() if e.kind == kind)
    story = write_story(seed_analysis(), _top(ev), calendar)
    assert re.fullmatch(pattern, story.headline), story.headline
    assert re.search(first_paragraph, story.paragraphs[0].text, flags=re.IGNORECASE), story.paragraphs[0].text
    assert bad_refs(story) == []
    assert all(uncovered_digits(line) == [] for line in lines(story))


def test_down_cross_and_record_extreme(calendar: pl.DataFrame) -> None:
    down = dataclasses.replace(cross_event(), direction="down", level=8e11, last_time_beyond=None)
    story = write_story(seed_analysis(), [down], calendar)
    assert re.fullmatch(r"Crypto market cap (falls below|drops under) \$800 billion", story.headline)
    assert "fell below $800 billion" in story.paragraphs[0].text
    assert "for the first time in the data" in story.paragraphs[0].text
    record = Event("extreme", "bitcoin", "close", AS_OF, 1.0, direction="high", value=69000.0, since=None)
    story = write_story(seed_analysis(), [record], calendar)
    assert story.headline == "Bitcoin hits record high"
    assert story.paragraphs[0].text == "Bitcoin (BTC-USD) closed at $69,000, a record high."
    in_data = dataclasses.replace(record, details={"date": date(2023, 1, 17), "history_start": date(2013, 4, 27)})
    story = write_story(seed_analysis(), [in_data], calendar)
    assert story.headline == "Bitcoin hits highest level in data going back to late April 2013"
    assert story.paragraphs[0].text == (
        "Bitcoin (BTC-USD) closed at $69,000 on Tuesday, its highest level in data going back to April 27, 2013."
    )


def test_daily_close_cross_is_told_on_its_day(calendar: pl.DataFrame) -> None:
    """The detectors' level_cross: subject total_market_cap, metric close, details date and close."""
    ev = Event(
        "level_cross",
        "total_market_cap",
        "close",
        AS_OF,
        1.0,
        direction="up",
        level=9e11,
        last_time_beyond=date(2022, 11, 7),
        value=949.3e9,
        details={"date": date(2023, 1, 17), "close": 949.3e9},
    )
    story = write_story(seed_analysis(), [ev], calendar)
    assert story.headline in {
        f"Crypto market cap {v} $900 billion for first time since early November"
        for v in ("tops", "rises above", "climbs past")
    }
    assert story.paragraphs[0].text == (
        "The total market capitalization of cryptocurrencies closed above $900 billion on Tuesday for the first time"
        " since Nov. 7, finishing at $949 billion, according to TradingView's CRYPTOCAP:TOTAL index."
    )
    assert bad_refs(story) == []


def test_events_carry_their_fact_ids(analysis: Analysis, events: list[Event], calendar: pl.DataFrame) -> None:
    story = write_story(analysis, events, calendar)
    cross = story.events[0]
    assert set(cross.fact_ids) == {
        "event.market.total_market_cap.level_cross.level",
        "event.market.total_market_cap.level_cross.time",
        "event.market.total_market_cap.level_cross.last_time_beyond",
    }
    assert story.fact("event.market.total_market_cap.level_cross.level").value == 1e12


def test_fallback_headline_without_events(analysis: Analysis, calendar: pl.DataFrame) -> None:
    story = write_story(analysis, [], calendar)
    assert re.fullmatch(r"Bitcoin up (more than 20%|about 20%|roughly 20%|21\.3%) in a week", story.headline)
    empty = write_story(Analysis(AS_OF, None, {}), [], calendar)
    assert empty.headline == "Crypto market update"
    assert all("producer price report" in p.text for p in empty.paragraphs) or empty.paragraphs == ()


def test_unknown_zone_is_a_config_error(analysis: Analysis, events: list[Event], calendar: pl.DataFrame) -> None:
    with pytest.raises(ConfigError, match="tz: unknown time zone 'Mars/Olympus'"):
        write_story(analysis, events, calendar, tz="Mars/Olympus")


@pytest.mark.parametrize(("tz", "needle"), [("UTC", "2:15 p.m. UTC"), ("America/Los_Angeles", "6:15 a.m. PT")])
def test_other_zones(analysis: Analysis, events: list[Event], calendar: pl.DataFrame, tz: str, needle: str) -> None:
    story = write_story(analysis, events, calendar, tz=tz)
    assert needle in body(story)
    assert bad_refs(story) == []


def test_market_swing_low_date_is_as_the_series_shows(events: list[Event], calendar: pl.DataFrame) -> None:
    a = seed_analysis()
    assert a.market is not None
    assert a.market.swing_low is not None
    m = dataclasses.replace(a.market, swing_low=dataclasses.replace(a.market.swing_low, date=date(2023, 1, 12)))
    story = write_story(Analysis(AS_OF, m, a.assets), events, calendar)
    assert "last Thursday" in body(story)
    assert story.fact("market.swing_low.date").value == "2023-01-12"


def _liq(details: dict[str, object]) -> Event:
    base: dict[str, object] = {"short_usd": 893.4e6, "long_usd": 438.2e6, "window": "7d"}
    return Event(
        "liquidation_imbalance",
        "bitcoin",
        "liquidations_7d",
        AS_OF,
        9.0,
        direction="shorts",
        value=455.2e6,
        details={**base, **details},
    )


@pytest.mark.parametrize(
    ("details", "needle"),
    [
        ({"sources": ["coinglass"]}, "according to CoinGlass."),
        ({"sources": ["binance_ws", "bybit_ws"]}, "according to Binance and Bybit."),
        ({"exchanges": ["binance", "bybit", "okx"]}, "according to liquidation feeds from Binance, Bybit and OKX."),
        ({}, "according to exchange liquidation feeds."),
        ({"window": "24h"}, "Over the past day, $893 million"),
        ({"window": "4h"}, "Over the past four hours, $893 million"),
        ({"window": "12h"}, "Over the period measured, $893 million"),
    ],
)
def test_liquidation_sources_and_windows(calendar: pl.DataFrame, details: dict[str, object], needle: str) -> None:
    story = write_story(seed_analysis(), [_liq(details), cross_event()], calendar, liquidations_available=True)
    assert re.fullmatch(r"Bitcoin short liquidations outweigh longs( over the .*)?", story.headline)
    assert needle in story.paragraphs[0].text
    assert bad_refs(story) == []
    assert all(uncovered_digits(line) == [] for line in lines(story))


def test_partial_liquidation_feeds_are_flagged(calendar: pl.DataFrame) -> None:
    ev = _liq({"exchanges": ["binance", "bybit"], "coverage": {"binance": 0.62, "bybit": 1.0}})
    story = write_story(seed_analysis(), [ev], calendar, liquidations_available=True)
    assert "Those feeds were connected for only 62% of that period, so the totals are incomplete." in body(story)
    full = _liq({"exchanges": ["binance"], "coverage": {"binance": 1.0}})
    assert "incomplete" not in body(write_story(seed_analysis(), [full], calendar, liquidations_available=True))


def test_liquidation_data_without_an_event_stays_silent(
    analysis: Analysis, events: list[Event], calendar: pl.DataFrame
) -> None:
    story = write_story(analysis, events, calendar, liquidations_available=True)
    assert "liquidat" not in body(story).lower()
    reasons = {f.missing_reason for f in story.facts if f.id.startswith("liquidations.")}
    assert reasons == {"liquidation records exist, but no liquidation imbalance was detected for this window"}


def test_market_move_and_event_only_windows(calendar: pl.DataFrame) -> None:
    a = seed_analysis()
    ev = Event(
        "big_move",
        "total_market_cap",
        "return_1y",
        AS_OF,
        3.0,
        direction="down",
        value=-0.4921,
        details={"window": "1y"},
    )
    story = write_story(a, [ev], calendar)
    assert re.fullmatch(
        r"Crypto market cap (slides|drops) (more than 45%|about 50%|roughly 50%|49\.2%) over the "
        r"past year",
        story.headline,
    )
    assert story.paragraphs[0].text.startswith("The total market capitalization of cryptocurrencies has fallen")
    three = Event(
        "big_move",
        "bitcoin",
        "return_1d",
        AS_OF,
        3.0,
        direction="up",
        value=0.052,
        details={"window": "1d", "return": 0.052, "start_date": date(2023, 1, 16), "end_date": date(2023, 1, 17)},
    )
    story = write_story(a, [three], calendar)
    assert story.fact("bitcoin.change.1d").value == pytest.approx(0.052)
    assert story.fact("bitcoin.change.1d").window == "2023-01-16..2023-01-17"
    assert "Bitcoin (BTC-USD) has gained" in story.paragraphs[0].text
    assert bad_refs(story) == []
    odd = dataclasses.replace(three, details={"window": "3d", "return": 0.052})
    assert write_story(a, [odd], calendar).headline.startswith("Bitcoin up")


def test_below_the_swing_low_is_said_plainly(events: list[Event], calendar: pl.DataFrame) -> None:
    a = seed_analysis()
    assert a.market is not None
    m = dataclasses.replace(a.market, swing_low=Extreme(1.05e12, date(2022, 11, 5)), changes={})
    text = body(write_story(Analysis(AS_OF, m, a.assets), events, calendar))
    assert re.search(
        r"The total now stands (more than 9%|about 10%|roughly 10%|9\.6%) below its previous swing low of"
        r" \$1\.05 trillion, set on Nov\. 5\.",
        text,
    )
    assert "Still" not in text


def test_same_day_release_is_told_once(analysis: Analysis) -> None:
    cal = calendar_frame().with_columns(
        pl.when(pl.col("kind") == "CPI")
        .then(pl.lit(datetime(2023, 1, 18, 13, 30, tzinfo=UTC)))
        .otherwise(pl.col("ts"))
        .alias("ts")
    )
    text = body(write_story(analysis, [], cal))
    assert text.count("Wednesday's inflation report") == 1
    assert "stretch" not in text


def test_names_follow_ap_by_asset_id(calendar: pl.DataFrame) -> None:
    a = seed_analysis(intraday=False)
    eth = dataclasses.replace(a.assets["ethereum"], name="Ethereum")
    story = write_story(Analysis(AS_OF, a.market, {**a.assets, "ethereum": eth}), [cross_event()], calendar)
    text = body(story)
    assert re.search(r"\b[Ee]ther \(ETH-USD\)", text)
    assert "Ethereum" not in text
    assert text.count("(BTC-USD)") == 1


@pytest.mark.parametrize(
    ("eth", "btc", "word"),
    [
        (0.32, 0.259, "outpacing"),
        (0.10, 0.259, "trailing"),
        (-0.15, -0.18, "outperforming"),
        (-0.30, -0.18, "underperforming"),
        (0.05, -0.02, "outperforming"),
    ],
)
def test_relative_wording_follows_the_data(calendar: pl.DataFrame, eth: float, btc: float, word: str) -> None:
    a = seed_analysis()
    end = date(2023, 1, 17)
    e = dataclasses.replace(
        a.assets["ethereum"], changes={"30d": Change("30d", eth, 1.0, date(2022, 12, 18), 1.0, end)}
    )
    b = dataclasses.replace(a.assets["bitcoin"], changes={"30d": Change("30d", btc, 1.0, date(2022, 12, 18), 1.0, end)})
    stories = [
        write_story(Analysis(AS_OF, a.market, {"bitcoin": b, "ethereum": e}), [], calendar, seed=s) for s in range(8)
    ]
    relative = [p.text for s in stories for p in s.paragraphs if "(ETH-USD)" in p.text]
    assert len(relative) == 8
    assert any(word in t for t in relative)
    other = {"outpacing", "trailing", "outperforming", "underperforming"} - {word}
    assert not any(o in t for t in relative for o in other)
    for t in relative:
        assert ("is up" in t or "has gained" in t) == (eth >= 0)
