"""``write_story``: the market story as of one moment, every figure bound to the facts ledger.

The story leads with the top-ranked event that the analysis can support, then
covers (each only when the data has it): bitcoin's intraday high and where it
last traded, its one-week and year-to-date change (with macro-calendar context),
the total market cap with its source and method, its latest swing low and the
change against a year earlier, ether against bitcoin over a month, bitcoin's
distance from its 50-day average, volume against its 30-day average, and
liquidations. Phrasing varies with ``seed`` and the as_of day; facts never do.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import polars as pl

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.models import Event, Fact
from cryptodesk.core.timeutil import zone
from cryptodesk.writer.context import BENCHMARK, Ctx, sentence
from cryptodesk.writer.lead import Lead, event_lead, fallback_lead
from cryptodesk.writer.ledger import Ledger, Line, Segment, Span
from cryptodesk.writer.liquidations import liquidation_sentences
from cryptodesk.writer.sections import (
    intraday_sentences,
    last_price_sentence,
    market_sentences,
    relative_sentences,
    returns_sentence,
)
from cryptodesk.writer.signals import (
    same_day_sentences,
    sma_sentences,
    volume_sentences,
    window_note,
)

Sentence = list[Segment]
SECOND = "ethereum"


@dataclass(frozen=True)
class Story:
    """A written story: headline and paragraphs (text + fact spans), the events it drew on and its ledger."""

    as_of: datetime
    tz: str
    headline_line: Line
    paragraphs: tuple[Line, ...]
    events: tuple[Event, ...]
    facts: tuple[Fact, ...]

    @property
    def headline(self) -> str:
        """The headline text."""
        return self.headline_line.text

    @property
    def headline_refs(self) -> list[Span]:
        """Fact spans of the headline."""
        return self.headline_line.refs

    def fact(self, fact_id: str) -> Fact:
        """The ledger entry with this id (KeyError naming it when unknown)."""
        for f in self.facts:
            if f.id == fact_id:
                return f
        raise KeyError(f"no fact {fact_id!r} in the story's ledger")


def write_story(
    analysis: Analysis,
    events: list[Event],
    calendar: pl.DataFrame,
    *,
    tz: str = "America/New_York",
    seed: int = 0,
    liquidations_available: bool = False,
) -> Story:
    """Write the story of ``analysis`` (see module docstring); ``tz`` is an IANA zone (ConfigError if unknown)."""
    zone(tz, parameter="tz")
    ledger = Ledger(analysis.as_of, tz)
    ctx = Ctx(analysis, ledger, tz, seed)
    lead: Lead | None = None
    for ev in sorted(events, key=lambda e: -e.score):
        lead = event_lead(ctx, ev, liquidations_available=liquidations_available)
        if lead is not None:
            break
    if lead is None:
        lead = fallback_lead(ctx)
    sections = _sections(ctx, calendar, events, lead, liquidations_available=liquidations_available)
    order: list[tuple[str, str]] = [k for k in sections if k == lead.front] + [k for k in sections if k != lead.front]
    blocks = ([lead.sentences] if lead.sentences else []) + [sections[k] for k in order]
    paragraphs = tuple(Line.join(sentence(s) for s in block) for block in blocks if block)
    facts = tuple(ledger.facts)
    tagged = tuple(_with_fact_ids(ev, facts) for ev in events)
    return Story(analysis.as_of, tz, Line(tuple(lead.headline)), paragraphs, tagged, facts)


def _sections(
    ctx: Ctx, calendar: pl.DataFrame, events: list[Event], lead: Lead, *, liquidations_available: bool
) -> dict[tuple[str, str], list[Sentence]]:
    """Every section the data supports, keyed (section, asset_id), in default order."""
    out: dict[tuple[str, str], list[Sentence]] = {}
    btc = ctx.asset(BENCHMARK)
    lead_mentions_btc = any(BENCHMARK in Line(tuple(s)).text.lower() for s in lead.sentences)
    if btc is not None:
        block = intraday_sentences(ctx, btc, first_mention=not lead_mentions_btc)
        if not block:
            block = last_price_sentence(ctx, btc, first_mention=not lead_mentions_btc)
        clause: list[Segment] = []
        week = btc.changes.get("7d")
        if week is not None:
            start = datetime.combine(week.start_date + timedelta(days=1), datetime.min.time(), tzinfo=UTC)
            clause = window_note(ctx, start, calendar)
        block += returns_sentence(ctx, btc, clause)
        block += same_day_sentences(ctx, calendar)
        out[("returns", BENCHMARK)] = block
    said_total = any("total market capitalization" in Line(tuple(s)).text for s in lead.sentences)
    out[("market", "")] = market_sentences(ctx, lead_said_total=said_total)
    relatives = [SECOND]
    if lead.front is not None and lead.front[0] == "relative" and lead.front[1] not in relatives:
        relatives.insert(0, lead.front[1])
    for asset_id in relatives:
        asset = ctx.asset(asset_id)
        if asset is not None and asset_id != BENCHMARK:
            out[("relative", asset_id)] = relative_sentences(ctx, asset, btc)
    if btc is not None:
        out[("technicals", BENCHMARK)] = sma_sentences(ctx, btc)
        out[("volume", BENCHMARK)] = volume_sentences(ctx, btc)
    liq = liquidation_sentences(ctx, events, available=liquidations_available)
    liq_subject = lead.front[1] if lead.front is not None and lead.front[0] == "liquidations" else BENCHMARK
    out[("liquidations", liq_subject)] = liq
    return {k: v for k, v in out.items() if v}


def _with_fact_ids(ev: Event, facts: tuple[Fact, ...]) -> Event:
    """The event with the ids of the ledger facts recorded for it (``event.<subject>.<metric>.<kind>.*``)."""
    prefix = f"event.{ev.subject}.{ev.metric}.{ev.kind}."
    ids = tuple(dict.fromkeys((*ev.fact_ids, *(f.id for f in facts if f.id.startswith(prefix)))))
    return dataclasses.replace(ev, fact_ids=ids) if ids != ev.fact_ids else ev
