"""Render a :class:`Story`: Markdown, the report-contract JSON, and HTML with figures linked to ledger rows.

The JSON follows ``cryptodesk/schemas/report.schema.json``::

    {as_of, tz, headline, headline_refs[], paragraphs[{text, refs[{start, end, fact_id, form}]}], events[], facts[]}

``start``/``end`` are [start, end) offsets into the paragraph text (Python string indices, i.e. code points).
"""

from __future__ import annotations

import html
import json
from importlib import resources
from typing import Any

from cryptodesk.writer.ledger import Line, Ref, Span
from cryptodesk.writer.story import Story


def to_markdown(story: Story) -> str:
    """The story as Markdown: '# headline', then one paragraph per block."""
    parts = [f"# {story.headline}", *(p.text for p in story.paragraphs)]
    return "\n\n".join(parts) + "\n"


def _refs(spans: list[Span]) -> list[dict[str, Any]]:
    return [{"start": s.start, "end": s.end, "fact_id": s.fact_id, "form": s.form} for s in spans]


def to_json(story: Story) -> dict[str, Any]:
    """The report contract as a JSON-ready dict (events via Event.to_json, facts via Fact.to_json)."""
    return {
        "as_of": story.as_of.isoformat(),
        "tz": story.tz,
        "headline": story.headline,
        "headline_refs": _refs(story.headline_refs),
        "paragraphs": [{"text": p.text, "refs": _refs(p.refs)} for p in story.paragraphs],
        "events": [e.to_json() for e in story.events],
        "facts": [f.to_json() for f in story.facts],
    }


def report_schema() -> dict[str, Any]:
    """The report JSON Schema (draft 2020-12) shipped with the package."""
    text = resources.files("cryptodesk").joinpath("schemas/report.schema.json").read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def html_line(line: Line) -> str:
    """A line as HTML, every fact-bound figure linked to its ledger row (``#fact-<id>``)."""
    out: list[str] = []
    for seg in line.segments:
        if isinstance(seg, Ref):
            fid = html.escape(seg.fact_id, quote=True)
            out.append(f'<a class="fact" href="#fact-{fid}" data-fact="{fid}">{html.escape(seg.text)}</a>')
        else:
            out.append(html.escape(seg))
    return "".join(out)


def _cell(value: object) -> str:
    return "" if value is None else html.escape(str(value))


def to_html(story: Story) -> str:
    """An HTML fragment: headline, paragraphs with each figure linked to its row in the facts table below."""
    rows = []
    for f in story.facts:
        status = "missing" if f.value is None else "known"
        rows.append(
            f'<tr id="fact-{html.escape(f.id, quote=True)}" class="{status}"><td>{_cell(f.id)}</td>'
            f"<td>{_cell(f.value)}</td><td>{_cell(f.unit)}</td><td>{_cell(f.window)}</td>"
            f"<td>{_cell(f.source)}</td><td>{_cell(f.missing_reason)}</td></tr>"
        )
    body = "\n".join(f"<p>{html_line(p)}</p>" for p in story.paragraphs)
    table = (
        '<table class="ledger"><thead><tr><th>fact</th><th>value</th><th>unit</th><th>window</th>'
        "<th>source</th><th>missing because</th></tr></thead><tbody>\n" + "\n".join(rows) + "\n</tbody></table>"
    )
    return f'<article class="story">\n<h1>{html_line(story.headline_line)}</h1>\n{body}\n{table}\n</article>\n'
