"""The publication-quality HTML report: one self-contained, offline file.

Headline, lead and body; each chart beside the paragraph it supports (images
embedded as data URIs); an optional interactive section (Plotly, with
plotly.js embedded from the installed package); a data-coverage note; and the
facts ledger at the bottom, where every number in the text links to its row
(value, window, source, as-of). Typography, a responsive two-column layout and
print CSS are inlined.

Which chart supports a paragraph is read from the facts the paragraph cites
(:func:`plan_figures`): intraday figures -> the intraday chart, the total market
cap -> the market cap chart, two assets' changes -> the performance chart, and
so on. Each kind is placed once, beside the first paragraph it supports.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass

from cryptodesk.charts.report_css import CSS
from cryptodesk.charts.spec import Chart
from cryptodesk.core.models import Fact
from cryptodesk.core.timeutil import zone
from cryptodesk.writer import phrasing as ph
from cryptodesk.writer.ledger import render
from cryptodesk.writer.render import html_line
from cryptodesk.writer.story import Story


@dataclass(frozen=True)
class FigurePlan:
    """A chart to build for the paragraph at index ``paragraph`` (-1: the headline's story as a whole)."""

    paragraph: int
    kind: str
    asset: str | None = None
    assets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Figure:
    """A rendered chart placed beside a paragraph: the spec (for title, caption, alt text) and the image."""

    paragraph: int
    chart: Chart
    image: bytes
    mime: str = "image/png"
    width: int = 900
    height: int = 500


ASSET_SUBJECTS_EXCLUDED = {"market", "calendar", "total_market_cap"}


def _topic(facts: Sequence[Fact]) -> FigurePlan | None:
    """The chart a paragraph citing these facts needs (None when no chart fits)."""
    metrics = [(f.subject, f.metric) for f in facts]
    assets = list(dict.fromkeys(s for s, _m in metrics if s not in ASSET_SUBJECTS_EXCLUDED))
    if any(m.startswith("intraday") for _s, m in metrics):
        return FigurePlan(0, "intraday", next((s for s, m in metrics if m.startswith("intraday")), None))
    if any(s == "total_market_cap" or m == "total_market_cap" for s, m in metrics):
        return FigurePlan(0, "market_cap")
    if any("liquidat" in m or (m.endswith("_usd") and ("short" in m or "long" in m)) for _s, m in metrics):
        return FigurePlan(0, "liquidations", None)
    if any(m.startswith(("dist_sma", "sma50", "sigma")) for _s, m in metrics):
        return FigurePlan(0, "price", next(s for s, m in metrics if m.startswith(("dist_sma", "sma50", "sigma"))))
    if any(m.startswith("volume") for _s, m in metrics):
        return FigurePlan(0, "volume", next(s for s, m in metrics if m.startswith("volume")))
    changed = [s for s in assets if (s, "change") in metrics]
    if len(changed) >= 2:
        return FigurePlan(0, "performance", changed[0], tuple(changed))
    if changed:
        return FigurePlan(0, "price", changed[0])
    return None


HERO = -1
"""Paragraph index of a figure shown under the headline (the headline's subject has no paragraph chart)."""


def plan_figures(story: Story) -> list[FigurePlan]:
    """One chart per kind, beside the first paragraph that cites its figures.

    When the headline's subject gets no chart that way (e.g. a coin's weekly
    rally in the headline while the body covers bitcoin), its chart goes under
    the headline (paragraph :data:`HERO`).
    """
    out: list[FigurePlan] = []
    seen: set[str] = set()
    for i, line in enumerate(story.paragraphs):
        topic = _topic([story.fact(r.fact_id) for r in line.refs])
        if topic is None or topic.kind in seen:
            continue
        seen.add(topic.kind)
        out.append(FigurePlan(i, topic.kind, topic.asset, topic.assets))
    head = _topic([story.fact(r.fact_id) for r in story.headline_refs])
    if head is not None and not any((p.kind, p.asset) == (head.kind, head.asset) for p in out):
        out.insert(0, FigurePlan(HERO, head.kind, head.asset, head.assets))
    return out


# --------------------------------------------------------------------------- HTML


def _figure_html(fig: Figure) -> str:
    data = base64.b64encode(fig.image).decode("ascii")
    c = fig.chart
    caption = f"<strong>{html.escape(c.title)}.</strong> {html.escape(c.subtitle)}. {html.escape(c.source)}."
    return (
        f'<figure class="chart" data-kind="{html.escape(c.kind)}">'
        f'<img src="data:{fig.mime};base64,{data}" alt="{html.escape(c.alt or c.title, quote=True)}" '
        f'width="{fig.width}" height="{fig.height}" loading="eager">'
        f"<figcaption>{caption}</figcaption></figure>"
    )


def _fact_value(f: Fact, tz: str) -> str:
    """The fact as the story would print it, plus the stored value when the two differ."""
    if f.value is None:
        return f'<span class="missing">missing: {html.escape(f.missing_reason or "not in the data")}</span>'
    try:
        shown = render(f, "exact", tz) if f.unit not in ("days", "date", "datetime") else None
    except ValueError:
        shown = None
    if f.unit == "date" and isinstance(f.value, str):
        shown = f.value
    if f.unit == "datetime" and isinstance(f.value, str):
        shown = render(f, "clock", tz)
    raw = html.escape(str(f.value))
    if shown and shown != str(f.value):
        return f'{html.escape(shown)} <code title="stored value">{raw}</code>'
    return f"<code>{raw}</code>"


def ledger_html(story: Story) -> str:
    """The facts ledger as a table; row ids are ``fact-<fact id>`` (the targets of the text's links)."""
    rows = []
    for f in story.facts:
        fid = html.escape(f.id, quote=True)
        as_of = f.as_of.astimezone(zone(story.tz)).strftime("%Y-%m-%d %H:%M")
        observed = f.observed_at.astimezone(zone(story.tz)).strftime("%Y-%m-%d %H:%M") if f.observed_at else ""
        rows.append(
            f'<tr id="fact-{fid}" class="{"missing" if f.value is None else "known"}">'
            f"<td><code>{html.escape(f.id)}</code></td><td>{_fact_value(f, story.tz)}</td>"
            f"<td>{html.escape(f.unit)}</td><td>{html.escape(f.window or '')}</td>"
            f"<td>{html.escape(f.source or '')}</td><td>{as_of}</td><td>{observed}</td></tr>"
        )
    abbr = html.escape(ph.zone_abbr(story.tz))
    return (
        '<table class="ledger"><thead><tr><th>Fact</th><th>Value</th><th>Unit</th><th>Window</th>'
        f"<th>Source</th><th>As of ({abbr})</th><th>Observed ({abbr})</th></tr></thead><tbody>\n"
        + "\n".join(rows)
        + "\n</tbody></table>"
    )


def report_page(
    story: Story,
    figures: Sequence[Figure] = (),
    *,
    coverage: Sequence[str] = (),
    interactive: Sequence[str] = (),
    title_prefix: str = "Crypto markets",
) -> str:
    """The whole report as one HTML document (see module docstring).

    ``interactive`` holds HTML fragments (Plotly divs; the first should carry
    plotly.js); they go in their own section after the story.
    """
    by_paragraph = {f.paragraph: f for f in figures}
    when = html.escape(_when(story))
    blocks = []
    for i, line in enumerate(story.paragraphs):
        cls = "lead" if i == 0 else "body"
        fig = by_paragraph.get(i)
        inner = f'<p class="{cls}">{html_line(line)}</p>'
        if fig is not None:
            blocks.append(f'<div class="row with-figure">{inner}{_figure_html(fig)}</div>')
        else:
            blocks.append(f'<div class="row">{inner}</div>')
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(story.headline)}</title>",
        '<meta name="generator" content="cryptodesk">',
        f"<style>{CSS}</style></head><body>",
        '<main class="report">',
        f'<header><p class="kicker">{html.escape(title_prefix)} · {when}</p>',
        f'<h1 class="headline">{html_line(story.headline_line)}</h1></header>',
        '<article class="story">',
        *([f'<div class="row hero">{_figure_html(by_paragraph[HERO])}</div>'] if HERO in by_paragraph else []),
        *blocks,
        "</article>",
    ]
    if interactive:
        parts += ['<section class="interactive"><h2>Interactive charts</h2>', *interactive, "</section>"]
    if coverage:
        items = "".join(f"<li>{html.escape(c)}</li>" for c in coverage)
        parts.append(f'<section class="coverage"><h2>Data coverage</h2><ul>{items}</ul></section>')
    parts += [
        '<section class="facts"><h2>Facts ledger</h2>',
        '<p class="note">Every figure in the story links to its row here: the value, the window it covers, '
        "its source and the moment it was known.</p>",
        ledger_html(story),
        "</section>",
        f"<footer><p>Written by cryptodesk as of {when}. Figures come only from the data named above.</p></footer>",
        "</main></body></html>",
    ]
    return "\n".join(parts) + "\n"


def _when(story: Story) -> str:
    day = story.as_of.astimezone(zone(story.tz)).date()
    return f"{ph.clock(story.as_of, story.tz)}, {ph.weekday(day)}, {ph.month_day(day, day)}, {day.year}"


def story_page(story: Story) -> str:
    """The report page of a story alone (no charts, no coverage note): the ``html`` renderer for ``Desk.render``."""
    return report_page(story)
