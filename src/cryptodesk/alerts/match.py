"""Which events fire which rule, each event's identity (for deduplication) and its one-line text."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from cryptodesk.alerts.rules import Rule
from cryptodesk.core.models import Event

_KINDS = {
    "level_cross": ("level_cross",),
    "first_since": ("level_cross", "extreme"),
    "extreme": ("extreme",),
    "sigma": ("sma_extension",),
    "big_move": ("big_move",),
    "liquidation_imbalance": ("liquidation_imbalance",),
}


def event_day(event: Event) -> date:
    """The day the event describes (its data day), else the day it was judged."""
    for key in ("date", "end_date"):
        value = event.details.get(key)
        if isinstance(value, date):
            return value
    return event.time.date()


def event_key(event: Event) -> str:
    """A stable identity: the same fact seen again (another run, another day's judgement) has the same key."""
    level = "" if event.level is None else repr(float(event.level))
    window = str(event.details.get("window", ""))
    return "|".join(
        (event.kind, event.subject, event.metric, event.direction or "", level, window, str(event_day(event)))
    )


def days_since(event: Event) -> float | None:
    """How many days since the value was last this far (inf = never in the data); None when not applicable."""
    if event.kind == "extreme":
        n = event.details.get("days_since")
        return math.inf if event.since is None else (float(n) if isinstance(n, int | float) else None)
    if event.kind == "level_cross":
        if event.last_time_beyond is None:
            return math.inf
        return float((event_day(event) - event.last_time_beyond).days)
    return None


def _number(details: dict[str, Any], key: str) -> float | None:
    value = details.get(key)
    return float(value) if isinstance(value, int | float) else None


def _magnitude(rule: Rule, event: Event) -> float | None:
    key = {"sigma": "sigma", "big_move": "return", "liquidation_imbalance": "imbalance"}.get(rule.when)
    return _number(event.details, key) if key else None


def matches(rule: Rule, event: Event) -> bool:
    """True when ``event`` fires ``rule``."""
    if event.kind not in _KINDS[rule.when]:
        return False
    if rule.subjects and event.subject not in rule.subjects:
        return False
    if rule.metric and event.metric != rule.metric:
        return False
    if rule.direction and event.direction != rule.direction:
        return False
    if rule.level is not None and (event.level is None or not math.isclose(event.level, rule.level, rel_tol=1e-9)):
        return False
    if rule.min_days is not None:
        since = days_since(event)
        if since is None or since < rule.min_days:
            return False
    if rule.threshold is not None:
        size = _magnitude(rule, event)
        if size is None or abs(size) < rule.threshold:
            return False
    return True


def _num(v: float | None) -> str:
    if v is None:
        return "?"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"


def describe(event: Event) -> str:
    """One line a person can act on, e.g. 'total_market_cap close highest since 2022-11-10: 837,987,972,545'."""
    day = event_day(event)
    if event.kind == "extreme":
        word = "highest" if event.direction == "high" else "lowest"
        since = f"since {event.since}" if event.since else "on record"
        return f"{event.subject} {event.metric} {word} {since}: {_num(event.value)} ({day})"
    if event.kind == "level_cross":
        last = f"first time since {event.last_time_beyond}" if event.last_time_beyond else "first time in the data"
        way = "above" if event.direction == "up" else "below"
        return f"{event.subject} {event.metric} crossed {way} {_num(event.level)}, {last} ({day})"
    if event.kind == "big_move":
        ret = _number(event.details, "return")
        pct = f"{ret * 100:+.1f}%" if ret is not None else "?"
        return f"{event.subject} moved {pct} over {event.details.get('window', '?')} ({day})"
    if event.kind == "sma_extension":
        return f"{event.subject} is {_num(_number(event.details, 'sigma'))}σ from its 50-day average ({day})"
    if event.kind == "liquidation_imbalance":
        imb = _number(event.details, "imbalance")
        side = "shorts" if (imb or 0) > 0 else "longs"
        return f"{event.subject} liquidations lean to {side} ({_num(imb)}) over {event.details.get('window', '?')}"
    return f"{event.subject} {event.kind} {event.metric} {event.direction or ''} ({day})".strip()
