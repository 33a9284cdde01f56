"""Daily chart kinds: total market cap, asset price with averages and RSI, performance, volume.

Each builder is a pure function of the point-in-time frames, the analysis and
the events found at the same as_of; it returns a :class:`~cryptodesk.charts.spec.Chart`.
Series come from ``analytics.market`` (``daily_series``, ``total_series``) and
indicators from ``analytics.kernels``, the same code that feeds the story.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import polars as pl

from cryptodesk.analytics import kernels as k
from cryptodesk.analytics.market import TOTAL, daily_series, total_series
from cryptodesk.analytics.types import Analysis
from cryptodesk.charts.calendar import calendar_annotations
from cryptodesk.charts.common import (
    ap_date,
    as_of_text,
    asset_name,
    dates,
    local_day,
    macro_for,
    numbers,
    round_levels,
    signed_pct,
    source_name,
    sources_text,
    trim,
    value_on,
    values,
)
from cryptodesk.charts.spec import Band, Chart, Level, Marker, Panel, Series
from cryptodesk.charts.style import level_label
from cryptodesk.core.errors import NoDataError
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.models import Event
from cryptodesk.writer import phrasing as ph

EXTREME_COLUMNS = {"day_high": "high", "day_low": "low", "close": "close"}
ROLES = ("main", "second", "third", "fourth")
SIGMA_WINDOW = 50
LONG_WINDOW = 200
RSI_WINDOW = 14


def market_cap_chart(
    frames: MarketFrames, analysis: Analysis, events: Sequence[Event], *, days: int = 365, tz: str
) -> Chart:
    """Total crypto market cap: daily close (and high-low range), round levels, 'highest since' and swing low marks."""
    total = total_series(frames)
    if total is None:
        raise NoDataError(f"no total market cap known at {frames.as_of.isoformat()}")
    s = trim(total.frame, days)
    x = dates(s)
    series: tuple[Series, ...] = (Series("Daily close", x, values(s, "close")),)
    bands: tuple[Band, ...] = ()
    if s.get_column("high").null_count() < s.height:
        bands = (Band("Daily high-low", x, values(s, "low"), values(s, "high"), role="main", opacity=0.18),)
    closes = [v for v in values(s, "close") if v is not None]
    highs = [v for v in values(s, "high") if v is not None] or closes
    levels = tuple(Level(v, level_label(v)) for v in round_levels(min(closes), max(highs)))
    markers, links = _total_event_markers(s, events)
    series = (*series, *links)
    swing = analysis.market.swing_low if analysis.market is not None else None
    if swing is not None and swing.date >= x[0]:
        label = f"Latest swing low {ph.money(swing.value)}, {ap_date(swing.date)}"
        markers.append(Marker(swing.date, swing.value, label, role="down", below=True))
    cal = calendar_annotations(frames.calendar, x[0], local_day(frames.as_of, tz), tz, macro=macro_for(days))
    what = "index" if total.method == "index" else "sum of tracked assets"
    source = source_name(total.source)
    return Chart(
        kind="market_cap",
        title="Total crypto market capitalization",
        subtitle=f"{source} ({what}), daily, through {ap_date(x[-1])}; {as_of_text(frames.as_of, tz)}",
        panels=(Panel("usd", series, bands, levels, tuple(markers), annotations=cal, y_label="Market cap"),),
        x_label="Date (UTC days)",
        source=f"Source: {source}" + (f"; members: {', '.join(total.coverage)}" if total.coverage else ""),
        tz=tz,
        x_range=(x[0], x[-1]),
        alt=f"Line chart of the total crypto market cap from {ap_date(x[0])} to {ap_date(x[-1])}, "
        f"last close {ph.money(closes[-1])}.",
    )


def _total_event_markers(s: pl.DataFrame, events: Sequence[Event]) -> tuple[list[Marker], list[Series]]:
    """Markers for the total-market-cap events ('highest since' extremes, 'first time since' crosses).

    Only the top-scored event of each kind is marked (several crossings on one
    day would bury the line in labels). An extreme also gets a dotted link from
    the day it was last matched to the latest day.
    """
    out: list[Marker] = []
    links: list[Series] = []
    last = s.get_column("date")[-1]
    marked: set[str] = set()
    for ev in sorted(events, key=lambda e: -e.score):
        if ev.subject != TOTAL or ev.kind in marked:
            continue
        marked.add(ev.kind)
        if ev.kind == "extreme" and ev.value is not None:
            column = EXTREME_COLUMNS.get(ev.metric, "close")
            word = "Highest" if ev.direction == "high" else "Lowest"
            since = f"since {ap_date(ev.since)}" if ev.since else "on record"
            out.append(Marker(last, ev.value, f"{word} {since}: {ph.money(ev.value)}", role="second"))
            before = value_on(s, ev.since, column) if ev.since else None
            if ev.since is not None and before is not None:
                out.append(Marker(ev.since, before, "", role="second"))
                links.append(Series("", (ev.since, last), (before, ev.value), role="second", dashed=True, width=0.9))
        elif ev.kind == "level_cross" and ev.level is not None and ev.last_time_beyond is not None:
            before = value_on(s, ev.last_time_beyond)
            side = "above" if ev.direction == "up" else "below"
            if before is not None:
                label = f"Last close {side} {ph.money(ev.level)}: {ap_date(ev.last_time_beyond)}"
                out.append(Marker(ev.last_time_beyond, before, label, role="second"))
    return out, links


def price_chart(frames: MarketFrames, analysis: Analysis, *, asset: str, days: int = 365, tz: str) -> Chart:
    """Daily close with 50/200-day averages, ±1σ/±2σ bands around the 50-day average, and a 14-day RSI panel."""
    full = daily_series(frames, asset)
    close = full.get_column("close").to_numpy()
    sma50, sma200 = k.sma(close, SIGMA_WINDOW), k.sma(close, LONG_WINDOW)
    std = k.rolling_std(close, SIGMA_WINDOW)
    rsi = k.rsi(close, RSI_WINDOW)
    full = full.with_columns(
        pl.Series("sma50", sma50),
        pl.Series("sma200", sma200),
        pl.Series("std", std),
        pl.Series("rsi", rsi),
    )
    s = trim(full, days)
    x = dates(s)
    m, sd = s.get_column("sma50").to_numpy(), s.get_column("std").to_numpy()
    name, symbol = asset_name(frames, analysis, asset)
    bands = (
        Band("±2σ around 50-day", x, numbers(m - 2 * sd), numbers(m + 2 * sd), role="avg", opacity=0.10),
        Band("±1σ around 50-day", x, numbers(m - sd), numbers(m + sd), role="avg", opacity=0.18),
    )
    series = (
        Series(f"{name} close", x, values(s, "close")),
        Series("50-day average", x, values(s, "sma50"), role="avg", width=1.4),
        Series("200-day average", x, values(s, "sma200"), role="avg2", dashed=True, width=1.4),
    )
    last = values(s, "close")[-1]
    markers = (Marker(x[-1], last, ph.money(last)),) if last is not None else ()
    cal = calendar_annotations(frames.calendar, x[0], local_day(frames.as_of, tz), tz, macro=macro_for(days))
    rsi_panel = Panel(
        "rsi",
        (Series("RSI (14-day)", x, values(s, "rsi"), role="fourth", width=1.3),),
        levels=(Level(70, "Overbought 70"), Level(30, "Oversold 30")),
        y_label="RSI",
        height=1.2,
        y_range=(0, 100),
    )
    label = f"{name} ({symbol})" if symbol else name
    return Chart(
        kind="price",
        title=f"{label} price with 50- and 200-day averages",
        subtitle=f"Daily close through {ap_date(x[-1])}; bands at ±1σ and ±2σ of the 50-day window; "
        f"{as_of_text(frames.as_of, tz)}",
        panels=(Panel("usd", series, bands, markers=markers, annotations=cal, y_label="Price"), rsi_panel),
        x_label="Date (UTC days)",
        source=f"Source: {sources_text(s)} daily closes",
        tz=tz,
        x_range=(x[0], x[-1]),
        alt=f"{name} daily close from {ap_date(x[0])} to {ap_date(x[-1])} with moving averages and RSI.",
    )


def performance_chart(
    frames: MarketFrames, analysis: Analysis, *, assets: Sequence[str], days: int = 30, tz: str
) -> Chart:
    """Each asset's change since the start of the window (close / first close - 1), on one percent axis."""
    if not assets:
        raise NoDataError("performance chart: no assets to compare")
    series: list[Series] = []
    markers: list[Marker] = []
    names: list[str] = []
    start_day, end_day = None, None
    for i, asset in enumerate(assets):
        full = daily_series(frames, asset)
        last = full.get_column("date")[-1]
        base = full.filter(pl.col("date") <= last - timedelta(days=days))
        s = full.filter(pl.col("date") >= (base.get_column("date")[-1] if base.height else full.get_column("date")[0]))
        first = float(s.get_column("close")[0])
        change = tuple(None if v is None else v / first - 1.0 for v in values(s, "close"))
        name, symbol = asset_name(frames, analysis, asset)
        role = ROLES[i % len(ROLES)]
        x = dates(s)
        series.append(Series(f"{name} ({symbol})" if symbol else name, x, change, role=role, width=2.0))
        if change[-1] is not None:
            markers.append(Marker(x[-1], change[-1], f"{symbol or name} {signed_pct(change[-1])}", role=role))
        names.append(name)
        start_day = x[0] if start_day is None else min(start_day, x[0])
        end_day = x[-1] if end_day is None else max(end_day, x[-1])
    assert start_day is not None
    assert end_day is not None
    cal = calendar_annotations(frames.calendar, start_day, local_day(frames.as_of, tz), tz, macro=macro_for(days))
    vs = " vs. ".join(names)
    return Chart(
        kind="performance",
        title=f"{vs}: change over {ph.count(days, 'day')}",
        subtitle=f"Daily closes indexed to {ap_date(start_day)}; {as_of_text(frames.as_of, tz)}",
        panels=(
            Panel(
                "pct",
                tuple(series),
                levels=(Level(0.0, "Start"),),
                markers=tuple(markers),
                annotations=cal,
                y_label="Change",
            ),
        ),
        x_label="Date (UTC days)",
        source="Source: daily closes (CoinGecko preferred)",
        tz=tz,
        x_range=(start_day, end_day),
        alt=f"Percent change of {vs} from {ap_date(start_day)} to {ap_date(end_day)}.",
    )


def volume_chart(frames: MarketFrames, analysis: Analysis, *, asset: str, days: int = 90, tz: str) -> Chart:
    """Daily traded volume (USD) as bars against the mean of the 30 days before each day."""
    full = daily_series(frames, asset).filter(pl.col("volume").is_not_null())
    if full.height == 0:
        raise NoDataError(f"no daily volume for {asset!r} known at {frames.as_of.isoformat()}")
    avg = k.trailing_mean_days(full.get_column("date").to_numpy(), full.get_column("volume").to_numpy(), 30)
    s = trim(full.with_columns(pl.Series("avg30", avg)), days)
    x = dates(s)
    name, _symbol = asset_name(frames, analysis, asset)
    vol, base = values(s, "volume")[-1], values(s, "avg30")[-1]
    markers: tuple[Marker, ...] = ()
    if vol is not None and base:
        markers = (Marker(x[-1], vol, f"{ph.money(vol)}, {ph.times(vol / base)} the 30-day average"),)
    cal = calendar_annotations(frames.calendar, x[0], local_day(frames.as_of, tz), tz, macro=macro_for(days))
    return Chart(
        kind="volume",
        title=f"{name} trading volume vs. its 30-day average",
        subtitle=f"Daily volume in US dollars through {ap_date(x[-1])}; average of the 30 days before each day; "
        f"{as_of_text(frames.as_of, tz)}",
        panels=(
            Panel(
                "usd",
                (
                    Series("Daily volume", x, values(s, "volume"), role="avg2", kind="bar"),
                    Series("30-day average", x, values(s, "avg30"), role="main", width=2.0),
                ),
                markers=markers,
                annotations=cal,
                y_label="Volume",
            ),
        ),
        x_label="Date (UTC days)",
        source=f"Source: {sources_text(s)} daily volume",
        tz=tz,
        x_range=(x[0], x[-1]),
        alt=f"Bar chart of {name} daily volume from {ap_date(x[0])} to {ap_date(x[-1])} with its 30-day average.",
    )
