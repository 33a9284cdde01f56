"""The desk log's index page: one row per day with its headline (linked to the day's story) and lead event."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from cryptodesk.charts.common import ap_date
from cryptodesk.charts.report_css import CSS
from cryptodesk.core.models import Event
from cryptodesk.writer import phrasing as ph
from cryptodesk.writer.story import Story


@dataclass(frozen=True)
class LogEntry:
    """One day of the desk log: the story's file (relative to the index), headline and lead event."""

    day: date
    file: str
    headline: str
    lead_event: str
    figures: int


def lead_event(story: Story) -> Event | None:
    """The event the story leads with: the one whose facts the headline cites, else the top-scored event."""
    cited = {r.fact_id for r in story.headline_refs}
    for ev in story.events:
        if cited & set(ev.fact_ids):
            return ev
    return max(story.events, key=lambda e: e.score, default=None)


def describe_event(ev: Event | None) -> str:
    """A short plain description of an event for the index ('total_market_cap day_high: highest since Nov. 8, 2022')."""
    if ev is None:
        return "no event detected"
    subject = ev.subject.replace("_", " ")
    metric = ev.metric.replace("_", " ")
    if ev.kind == "extreme":
        word = "highest" if ev.direction == "high" else "lowest"
        since = f"since {ap_date(ev.since)}" if ev.since else "on record"
        return f"{subject} {metric}: {word} {since}"
    if ev.kind == "level_cross" and ev.level is not None:
        side = "above" if ev.direction == "up" else "below"
        since = f"first time since {ap_date(ev.last_time_beyond)}" if ev.last_time_beyond else "first time on record"
        return f"{subject} {metric} {side} {ph.money(ev.level)}, {since}"
    direction = f" ({ev.direction})" if ev.direction else ""
    return f"{subject}: {ev.kind.replace('_', ' ')} in {metric}{direction}"


def log_index(entries: Sequence[LogEntry], *, title: str, subtitle: str) -> str:
    """The index page (self-contained HTML) linking each day's story."""
    rows = "\n".join(
        f"<tr><td>{html.escape(ph.weekday(e.day)[:3])} {html.escape(ap_date(e.day))}</td>"
        f'<td><a href="{html.escape(e.file, quote=True)}">{html.escape(e.headline)}</a></td>'
        f"<td>{html.escape(e.lead_event)}</td><td>{e.figures}</td></tr>"
        for e in entries
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>\n"
        f'<main class="report"><header><p class="kicker">{html.escape(subtitle)}</p>'
        f'<h1 class="headline">{html.escape(title)}</h1></header>\n'
        '<table class="ledger log"><thead><tr><th>Date</th><th>Headline</th><th>Lead event</th><th>Charts</th></tr>'
        f"</thead><tbody>\n{rows}\n</tbody></table>\n"
        "<footer><p>Each story is written as of its own day, from the data known then.</p></footer>"
        "</main></body></html>\n"
    )
