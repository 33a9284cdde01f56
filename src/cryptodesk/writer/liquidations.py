"""The liquidations paragraph: written only from liquidation data; otherwise the facts are recorded as missing."""

from __future__ import annotations

import re
from typing import Any

from cryptodesk.core.models import Event
from cryptodesk.writer.context import WINDOW_WORDS, Ctx, source_label
from cryptodesk.writer.ledger import Segment, compose
from cryptodesk.writer.phrasing import count

Sentence = list[Segment]

LIQ_METRICS: tuple[str, ...] = ("short_usd", "long_usd", "net_short_usd")
"""Facts recorded (as missing) when there is no liquidation data: liquidations.<asset>.<metric>.<window>."""
NO_LIQUIDATIONS = "the store holds no liquidation records for this period"
NO_LIQUIDATION_EVENT = "liquidation records exist, but no liquidation imbalance was detected for this window"


def _join(names: list[str]) -> str:
    """AP series: 'A', 'A and B', 'A, B and C' (no serial comma)."""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def liquidation_source(details: dict[str, Any]) -> tuple[str, str]:
    """(raw source names for the ledger, reader-facing phrase) from a liquidation event's details.

    Uses 'source', else 'sources', else 'exchanges' ('liquidation feeds from Binance and Bybit').
    """
    raw = details.get("source") or details.get("sources")
    names = [raw] if isinstance(raw, str) else [str(x) for x in raw] if isinstance(raw, list | tuple) else []
    if names:
        labels = list(dict.fromkeys(source_label(n) for n in names))
        return ",".join(names), _join(labels)
    exchanges = [str(x) for x in details.get("exchanges", []) or []]
    if exchanges:
        labels = list(dict.fromkeys(source_label(x) for x in exchanges))
        return ",".join(exchanges), f"liquidation feeds from {_join(labels)}"
    return "liquidations", "exchange liquidation feeds"


def _window_words(window: str) -> str:
    """'over the past week' for 7d; 'over the past four hours' for 4h; a generic phrase beyond nine units."""
    if window in WINDOW_WORDS:
        return WINDOW_WORDS[window]
    m = re.fullmatch(r"([0-9]+)([hd])", window)
    if m and int(m.group(1)) <= 9:
        return f"over the past {count(int(m.group(1)), 'hour' if m.group(2) == 'h' else 'day')}"
    return "over the period measured"


def liquidation_sentences(ctx: Ctx, events: list[Event], *, available: bool) -> list[Sentence]:
    """Liquidations over the event's window, only when the data exists; otherwise the facts are recorded missing.

    The figures come from a ``liquidation_imbalance`` event's details (short_usd, long_usd, window, and
    source/sources/exchanges and per-exchange coverage shares when given). Without data,
    ``liquidations.<asset>.*`` facts are recorded with a missing reason and no sentence is written.
    Feeds connected for less than 99% of the window are said to give incomplete totals.
    """
    led = ctx.ledger
    ev = next((e for e in events if e.kind == "liquidation_imbalance"), None)
    subject = ev.subject if ev is not None else "bitcoin"
    window = str(ev.details.get("window", "7d")) if ev is not None else "7d"
    short = ev.details.get("short_usd") if ev is not None else None
    long = ev.details.get("long_usd") if ev is not None else None
    if ev is None or not available or not isinstance(short, int | float) or not isinstance(long, int | float):
        reason = NO_LIQUIDATIONS if not available else NO_LIQUIDATION_EVENT
        for metric in LIQ_METRICS:
            led.add_missing(
                f"liquidations.{subject}.{metric}.{window}",
                subject=subject,
                metric=metric,
                unit="usd",
                reason=reason,
                window=window,
            )
        return []
    src, src_phrase = liquidation_source(ev.details)
    net = float(short) - float(long)
    side, other = ("short", "long") if net >= 0 else ("long", "short")
    values = {"short_usd": float(short), "long_usd": float(long), f"net_{side}_usd": abs(net)}
    ids = {
        m: led.add(
            f"liquidations.{subject}.{m}.{window}",
            subject=subject,
            metric=m,
            value=v,
            unit="usd",
            window=window,
            source=src,
        )
        for m, v in values.items()
    }
    asset = ctx.asset(subject)
    who = ctx.name(asset) if asset is not None else subject
    out = [
        compose(
            "{when}, {s} worth of short positions on {who} have been liquidated, against {l} of long positions,"
            " according to {src}",
            when=_window_words(window),
            s=led.ref(ids["short_usd"]),
            l=led.ref(ids["long_usd"]),
            who=who,
            src=src_phrase,
        ),
        compose(
            "net of the {other} side, {n} worth of {side} positions were squeezed out",
            other=other,
            side=side,
            n=led.ref(ids[f"net_{side}_usd"]),
        ),
    ]
    coverage = ev.details.get("coverage")
    shares = [float(v) for v in coverage.values() if isinstance(v, int | float)] if isinstance(coverage, dict) else []
    if shares and min(shares) < 0.99:
        cid = led.add(
            f"liquidations.{subject}.coverage.{window}",
            subject=subject,
            metric="feed_coverage",
            value=min(shares),
            unit="pct",
            window=window,
            source=src,
        )
        out.append(
            compose(
                "those feeds were connected for only {c} of that period, so the totals are incomplete",
                c=led.first_ref(cid, ("whole",)),
            )
        )
    return out
