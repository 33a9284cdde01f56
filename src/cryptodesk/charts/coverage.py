"""The report's data-coverage note: which data the story and charts stand on, and what is missing."""

from __future__ import annotations

from datetime import date

import polars as pl

from cryptodesk.analytics.types import Analysis
from cryptodesk.charts.common import ap_date, source_name
from cryptodesk.core.frames import MarketFrames
from cryptodesk.writer import phrasing as ph

BENCHMARK = "bitcoin"


def coverage_lines(frames: MarketFrames, analysis: Analysis, tz: str) -> list[str]:
    """Plain sentences on the data known at as_of: daily prices, the total, intraday, liquidations, calendar."""
    out: list[str] = []
    daily = frames.daily.filter(pl.col("close").is_not_null())
    if daily.height:
        latest: date = daily.get_column("date").max()  # type: ignore[assignment]
        fresh = daily.filter(pl.col("date") == latest)
        sources = ", ".join(sorted({source_name(str(s)) for s in fresh.get_column("source").to_list()}))
        out.append(
            f"Daily prices: {fresh.get_column('asset_id').n_unique()} assets with a close for {ap_date(latest)} "
            f"({sources}); earlier history back to {ap_date(daily.get_column('date').min())}."  # type: ignore[arg-type]
        )
    else:
        out.append("Daily prices: none known at this moment.")
    m = analysis.market
    if m is not None:
        how = "an index series" if m.method == "index" else f"the sum of {len(m.coverage)} tracked assets"
        out.append(f"Total market cap: {source_name(m.source)} ({how}), latest day {ap_date(m.date)}.")
    else:
        out.append("Total market cap: no series known at this moment.")
    btc = analysis.assets.get(BENCHMARK)
    if btc is not None and btc.intraday is not None:
        r = btc.intraday
        out.append(
            f"Intraday bitcoin: {source_name(r.venue or r.source)} {r.interval} data from "
            f"{ph.clock(r.coverage_start, tz)} to {ph.clock(r.coverage_end, tz)}; outside that span the day is unseen."
        )
    else:
        out.append("Intraday bitcoin: no sub-daily prices for this day; the story uses daily closes.")
    if frames.liquidations.height:
        out.append(
            f"Liquidations: {frames.liquidations.height:,} records from "
            f"{', '.join(sorted(set(frames.liquidations.get_column('source').to_list())))}."
        )
    else:
        out.append("Liquidations: no data in the store, so the story and charts say nothing about them.")
    cal = frames.calendar
    crypto = cal.filter(pl.col("kind") == "CRYPTO").height
    out.append(f"Calendar: {cal.height - crypto} macro releases and {crypto} crypto events known.")
    return out
