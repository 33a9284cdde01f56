"""Render a :class:`CheckResult`: rows for a table, stable JSON, and an accessible annotated HTML page."""

from __future__ import annotations

import html
import json

from cryptodesk.check.measure import money
from cryptodesk.check.model import CheckedClaim, CheckResult

COLOURS: dict[str, tuple[str, str, str]] = {
    "supported": ("#d3f2d9", "#0b3d17", "v-supported"),
    "contradicted": ("#f8d3d3", "#5c0a0a", "v-contradicted"),
    "unverifiable: no data": ("#e6e6e6", "#1f1f1f", "v-nodata"),
    "unverifiable: ambiguous": ("#fff0b3", "#3d3000", "v-ambiguous"),
}
"""Background, text colour (contrast ratio above 10:1) and CSS class per verdict."""
TABLE_COLUMNS = ("#", "verdict", "type", "subject", "claimed", "measured", "window", "explanation")


def value_text(value: float | None, unit: str) -> str:
    """A claimed or measured value as text ($21,501, +21.3%, -)."""
    if value is None:
        return "-"
    return f"{value:+.1f}%" if unit == "%" else money(value)


def table_rows(result: CheckResult) -> list[tuple[str, ...]]:
    """One row per claim for a text table (columns :data:`TABLE_COLUMNS`)."""
    rows: list[tuple[str, ...]] = []
    for i, c in enumerate(result.claims, 1):
        claimed = f"{c.claim.qualifier} {value_text(c.claim.claimed, c.claim.unit)}".strip()
        unit = c.claim.unit
        rows.append((str(i), c.verdict, c.claim.type, c.claim.subject or "-", claimed,
                     value_text(c.measured, unit), c.window, c.explanation))  # fmt: skip
    return rows


def to_json(result: CheckResult) -> str:
    """The stable JSON document (schemas/check.schema.json)."""
    return json.dumps(result.to_json(), indent=2, ensure_ascii=False)


def to_html(result: CheckResult) -> str:
    """A standalone page: the article with each claim highlighted by verdict, explanation on hover or focus."""
    css = "\n".join(
        f".{cls}{{background:{bg};color:{fg};border-bottom:2px solid {fg}}}" for bg, fg, cls in COLOURS.values()
    )
    body = _annotated(result)
    legend = "".join(
        f'<li><span class="claim {cls}">{html.escape(v)}</span> {n}</li>'
        for v, (_, _, cls) in COLOURS.items()
        for n in [result.counts().get(v, 0)]
    )
    message = f'<p role="status">{html.escape(result.message)}</p>' if result.message else ""
    rows = "".join(_row(i, c) for i, c in enumerate(result.claims, 1))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>cryptodesk check as of {html.escape(result.as_of.isoformat())}</title>
<style>
body{{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;line-height:1.6;color:#111;background:#fff}}
.article{{white-space:pre-wrap}}
.claim{{position:relative;padding:0 .1em;border-radius:2px;cursor:help}}
.claim:focus{{outline:3px solid #1a4fd6;outline-offset:1px}}
.claim .tip{{display:none;position:absolute;left:0;top:1.6em;z-index:2;width:28rem;padding:.5rem;
background:#111;color:#fff;font-size:.85rem;line-height:1.35;border-radius:4px}}
.claim:hover .tip,.claim:focus .tip,.claim:focus-within .tip{{display:block}}
{css}
table{{border-collapse:collapse;font-size:.85rem}}td,th{{border:1px solid #999;padding:.25rem;vertical-align:top}}
</style></head><body>
<h1>Article check</h1><p>As of {html.escape(result.as_of.isoformat())} ({html.escape(result.tz)})</p>
<ul aria-label="verdicts">{legend}</ul>{message}
<div class="article">{body}</div>
<h2>Claims</h2><table><thead><tr>{"".join(f"<th scope='col'>{h}</th>" for h in TABLE_COLUMNS)}</tr></thead>
<tbody>{rows}</tbody></table></body></html>
"""


def _annotated(result: CheckResult) -> str:
    """The escaped article with non-overlapping claim spans wrapped in focusable, described spans."""
    text = result.article
    out: list[str] = []
    pos = 0
    for i, c in enumerate(sorted(result.claims, key=lambda c: c.claim.start), 1):
        start, end = max(c.claim.start, pos), c.claim.end
        if end <= start:
            continue
        _, _, cls = COLOURS[c.verdict]
        out.append(html.escape(text[pos:start]))
        tip = f"{c.verdict}: {c.explanation} (source: {c.source}; window: {c.window})"
        out.append(
            f'<span class="claim {cls}" tabindex="0" role="mark" aria-describedby="tip{i}" '
            f'data-verdict="{html.escape(c.verdict)}">{html.escape(text[start:end])}'
            f'<span class="tip" role="tooltip" id="tip{i}">{html.escape(tip)}</span></span>'
        )
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _row(i: int, c: CheckedClaim) -> str:
    _, _, cls = COLOURS[c.verdict]
    unit = c.claim.unit
    cells = (
        str(i),
        c.verdict,
        c.claim.type,
        c.claim.subject or "-",
        f"{c.claim.qualifier} {value_text(c.claim.claimed, c.claim.unit)}".strip(),
        value_text(c.measured, unit),
        c.window,
        c.explanation,
    )
    return f'<tr class="{cls}">' + "".join(f"<td>{html.escape(x)}</td>" for x in cells) + "</tr>"
