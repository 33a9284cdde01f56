"""Calendar context for charts: crypto events by title, macro releases as short tags.

Rows come from ``frames.calendar`` (ts, kind, title, note, source, origin):
the pack's US macro calendar (kinds CPI, PPI, NFP, FOMC) and a user's crypto
events file (kind CRYPTO, e.g. ``examples/crypto-events.csv``). Only rows known
at the frames' as_of are in the frame, so a chart never shows a later event.
"""

from __future__ import annotations

import re
from datetime import date, datetime

import polars as pl

from cryptodesk.charts.spec import Annotation
from cryptodesk.core.timeutil import zone

MACRO_TAGS: tuple[str, ...] = ("CPI", "FOMC")
"""Macro release kinds drawn as short tags (the others would crowd a daily chart)."""
MAJOR_KINDS: tuple[str, ...] = ("CRYPTO",)
"""Kinds drawn with their full title."""
MAX_TITLE = 40


def calendar_annotations(
    calendar: pl.DataFrame,
    start: date,
    end: date,
    tz: str,
    *,
    intraday: bool = False,
    macro: tuple[str, ...] = MACRO_TAGS,
) -> tuple[Annotation, ...]:
    """Annotations for calendar rows whose local day (in ``tz``) lies in [start, end].

    Daily charts get x = the local date; ``intraday`` charts the naive local time.
    Crypto events carry their title (shortened to :data:`MAX_TITLE` characters);
    macro releases in ``macro`` carry their kind ('CPI'). Sorted by time; one per
    (day, label).
    """
    if calendar.height == 0:
        return ()
    local_zone = zone(tz)
    out: dict[tuple[object, str], Annotation] = {}
    for row in calendar.sort("ts").iter_rows(named=True):
        ts: datetime = row["ts"]
        kind = str(row["kind"] or "")
        local = ts.astimezone(local_zone)
        if not start <= local.date() <= end:
            continue
        if kind in MAJOR_KINDS:
            label, major = _short(str(row["title"] or kind)), True
        elif kind in macro:
            label, major = kind, False
        else:
            continue
        x: date | datetime = local.replace(tzinfo=None) if intraday else local.date()
        out.setdefault((x, label), Annotation(x=x, label=label, major=major))
    return tuple(out.values())


def _short(title: str) -> str:
    """A title cut at a word boundary to fit beside a chart line."""
    title = re.sub(r"\s*\([^)]*\)", "", title).strip()
    if len(title) <= MAX_TITLE:
        return title
    cut = title[: MAX_TITLE - 1].rsplit(" ", 1)[0]
    return cut + "…"
