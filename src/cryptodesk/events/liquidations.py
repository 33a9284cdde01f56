"""Liquidation imbalance: long vs short positions liquidated over 24 hours and 7 days.

For each window in ``params.liquidation_windows_h`` (hours, default 24 and 168)
ending at ``as_of``, the USD notional of liquidated longs and shorts is summed
per asset from ``frames.liquidations`` (rows with ``as_of - window < ts <=
as_of``). ``imbalance = (short - long) / (short + long)``; an event is emitted
when the total is at least ``params.liquidation_min_usd`` and ``|imbalance| >=
params.liquidation_imbalance_min``. Direction 'shorts' means more shorts than
longs were liquidated (a squeeze), 'longs' the opposite.

Coverage: for each exchange in the window, the share of the window covered by
its connected intervals in ``frames.coverage`` (None when the feed has no
coverage record, e.g. an aggregator's totals). The score is
``100 × |imbalance|`` times the lowest known coverage. With no liquidation rows
this detector returns nothing: it never estimates missing data.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import polars as pl

from cryptodesk.analytics.types import Analysis
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.events.base import MAX_SCORE, DetectParams


def window_label(hours: int) -> str:
    """'24h' for 24, '7d' for 168 (whole days beyond one day), else 'Nh'."""
    return f"{hours // 24}d" if hours > 24 and hours % 24 == 0 else f"{hours}h"


def coverage_share(coverage: pl.DataFrame, exchange: str, start: datetime, end: datetime) -> float | None:
    """Share of [start, end] covered by ``exchange``'s connected intervals (None when it has none)."""
    rows = coverage.filter(pl.col("exchange") == exchange).sort("start")
    if rows.height == 0:
        return None
    covered = timedelta(0)
    cursor = start
    for s, e in rows.select("start", "end").iter_rows():
        lo, hi = max(s, cursor), min(e, end)
        if hi > lo:
            covered += hi - lo
            cursor = hi
    return covered / (end - start)


def window_events(frames: MarketFrames, hours: int, params: DetectParams) -> list[Event]:
    """Imbalance events for one window, one per asset."""
    end = frames.as_of
    start = end - timedelta(hours=hours)
    rows = frames.liquidations.filter((pl.col("ts") > start) & (pl.col("ts") <= end))
    events: list[Event] = []
    for asset_id in sorted(str(a) for a in rows.get_column("asset_id").unique().to_list() if a):
        if not params.wants(asset_id):
            continue
        mine = rows.filter(pl.col("asset_id") == asset_id)
        long_usd = float(mine.filter(pl.col("side") == "long").get_column("notional_usd").sum() or 0.0)
        short_usd = float(mine.filter(pl.col("side") == "short").get_column("notional_usd").sum() or 0.0)
        total = long_usd + short_usd
        if total <= 0 or total < params.liquidation_min_usd:
            continue
        imbalance = (short_usd - long_usd) / total
        if abs(imbalance) < params.liquidation_imbalance_min:
            continue
        exchanges = sorted(str(x) for x in mine.get_column("exchange").unique().to_list())
        coverage = {x: coverage_share(frames.coverage, x, start, end) for x in exchanges}
        known = [c for c in coverage.values() if c is not None]
        factor = min(known) if known else 1.0
        events.append(
            Event(
                kind="liquidation_imbalance",
                subject=asset_id,
                metric=f"liquidations_{window_label(hours)}",
                time=end,
                score=min(MAX_SCORE, MAX_SCORE * abs(imbalance) * factor),
                direction="shorts" if imbalance > 0 else "longs",
                value=short_usd - long_usd,
                details={
                    "window": window_label(hours),
                    "window_start": start,
                    "window_end": end,
                    "long_usd": long_usd,
                    "short_usd": short_usd,
                    "total_usd": total,
                    "net_short_usd": short_usd - long_usd,
                    "imbalance": imbalance,
                    "events": mine.height,
                    "exchanges": exchanges,
                    "coverage": coverage,
                    "sources": sorted(str(s) for s in mine.get_column("source").unique().to_list()),
                },
            )
        )
    return events


def detect_liquidations(frames: MarketFrames, _analysis: Analysis, params: DetectParams) -> list[Event]:
    """Liquidation imbalances per asset and window; nothing when there is no liquidation data."""
    if frames.liquidations.height == 0:
        return []
    events: list[Event] = []
    for hours in params.liquidation_windows_h:
        events.extend(window_events(frames, hours, params))
    return events
