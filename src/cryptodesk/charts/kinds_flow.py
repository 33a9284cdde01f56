"""Sub-daily chart kinds: an asset's intraday price and liquidations (long vs. short).

Times are converted once, here, to naive local times in the chart's zone, so
every renderer labels the axis in that zone ('Time (ET)').
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from cryptodesk.analytics.types import Analysis, IntradayRange
from cryptodesk.charts.calendar import calendar_annotations
from cryptodesk.charts.common import ap_date, as_of_text, asset_name, local_day, source_name, sources_text
from cryptodesk.charts.spec import Annotation, Band, Chart, Level, Marker, Panel, Series, Span
from cryptodesk.charts.style import zone_label
from cryptodesk.core.frames import MarketFrames
from cryptodesk.core.timeutil import zone
from cryptodesk.writer import phrasing as ph

ALL_MACRO = ("CPI", "PPI", "NFP", "FOMC")
HOURLY_MAX_DAYS = 3
"""Liquidation windows up to this many days are bucketed by hour, longer ones by day."""


def _local(ts: datetime, tz: str) -> datetime:
    return ts.astimezone(zone(tz)).replace(tzinfo=None)


def intraday_chart(frames: MarketFrames, analysis: Analysis, *, asset: str, tz: str) -> Chart:
    """The asset's price through the current local day, its high and low with their times, and the as-of time."""
    name, symbol = asset_name(frames, analysis, asset)
    day = local_day(frames.as_of, tz)
    state = analysis.assets.get(asset)
    rng = state.intraday if state is not None else None
    abbr = zone_label(tz)
    day_start = datetime.combine(day, datetime.min.time())
    as_of_local = _local(frames.as_of, tz)
    cal = calendar_annotations(frames.calendar, day, day, tz, intraday=True, macro=ALL_MACRO)
    as_of_mark = Annotation(as_of_local, f"As of {ph.clock(frames.as_of, tz)}", major=True)
    title = f"{name} ({symbol}) today" if symbol else f"{name} today"
    if rng is None:
        panel = Panel(
            "usd",
            annotations=(as_of_mark,),
            y_label="Price",
            empty_message=f"No intraday prices for {name} on {ap_date(day)} in the store",
        )
        return Chart(
            "intraday", title, f"{ap_date(day)}; {as_of_text(frames.as_of, tz)}", (panel,), f"Time ({abbr})",
            "Source: none", tz, (day_start, as_of_local), alt=f"No intraday data for {name} on {ap_date(day)}.",
        )  # fmt: skip
    x, y, lows, highs = _intraday_points(frames, asset, rng, tz)
    markers = (
        Marker(_local(rng.high_time, tz), rng.high, f"High {ph.money(rng.high)} at {ph.clock(rng.high_time, tz)}",
               role="up"),
        Marker(_local(rng.low_time, tz), rng.low, f"Low {ph.money(rng.low)} at {ph.clock(rng.low_time, tz)}",
               role="down", below=True),
        Marker(_local(rng.last_time, tz), rng.last, f"Last {ph.money(rng.last)}", role="main"),
    )  # fmt: skip
    cover = f"{ph.clock(rng.coverage_start, tz)} to {ph.clock(rng.coverage_end, tz)}"
    venue = rng.venue if rng.venue and rng.venue != rng.source else ""
    source = f"Source: {source_name(venue or rng.source)}, {_interval_words(rng.interval)} prices"
    panel = Panel(
        "usd",
        (Series(f"{name} price", x, y, width=1.5),),
        (Band(f"{_interval_words(rng.interval)} high-low", x, lows, highs, role="main", opacity=0.3),) if lows else (),
        markers=markers,
        annotations=(*cal, as_of_mark),
        y_label="Price",
    )
    return Chart(
        kind="intraday",
        title=title,
        subtitle=f"{ap_date(day)}, {_interval_words(rng.interval)} prices; {as_of_text(frames.as_of, tz)}",
        panels=(panel,),
        x_label=f"Time ({abbr})",
        source=source,
        tz=tz,
        x_range=(max(day_start, x[0] - timedelta(minutes=20)) if x else day_start, as_of_local),
        alt=f"{name} price on {ap_date(day)}: high {ph.money(rng.high)} at {ph.clock(rng.high_time, tz)}, "
        f"low {ph.money(rng.low)} at {ph.clock(rng.low_time, tz)}.",
        notes=(f"Data cover {cover} only; the day's true high or low may lie outside.",),
    )


def _interval_words(interval: str) -> str:
    """'1m' -> 'one-minute', '1h' -> 'hourly'; other intervals unchanged."""
    return {"1m": "one-minute", "5m": "five-minute", "15m": "15-minute", "1h": "hourly", "points": "snapshot"}.get(
        interval, interval
    )


Path = tuple[tuple[datetime, ...], tuple[float | None, ...], tuple[float | None, ...], tuple[float | None, ...]]


def _intraday_points(frames: MarketFrames, asset: str, rng: IntradayRange, tz: str) -> Path:
    """The price path behind an intraday range.

    Candle closes at each bar's open time (as analytics times a bar's high and
    low) with the bars' lows and highs; else snapshot prices (no range).
    """
    lo, hi = rng.coverage_start, rng.coverage_end
    bars = frames.intraday.filter(
        (pl.col("asset_id") == asset)
        & (pl.col("source") == rng.source)
        & (pl.col("venue") == rng.venue)
        & (pl.col("interval") == rng.interval)
        & (pl.col("close_time") <= hi)
        & (pl.col("open_time") >= lo)
    ).sort("close_time")
    if bars.height:
        ts, price = bars.get_column("open_time").to_list(), bars.get_column("close").to_list()
        lows = tuple(float(v) for v in bars.get_column("low").to_list())
        highs = tuple(float(v) for v in bars.get_column("high").to_list())
        return tuple(_local(t, tz) for t in ts), tuple(float(p) for p in price), lows, highs
    pts = frames.points.filter(
        (pl.col("asset_id") == asset) & (pl.col("ts") >= lo) & (pl.col("ts") <= hi) & pl.col("price").is_not_null()
    ).sort("ts")
    ts, price = pts.get_column("ts").to_list(), pts.get_column("price").to_list()
    return tuple(_local(t, tz) for t in ts), tuple(float(p) for p in price), (), ()


def liquidations_chart(frames: MarketFrames, analysis: Analysis, *, asset: str | None, days: int, tz: str) -> Chart:
    """Long vs. short liquidations (USD) per hour or day, the net line, and when feeds were connected.

    With no liquidation rows the panel says so and draws no bars: an absent
    feed is never shown as zero liquidations.
    """
    end = frames.as_of.astimezone(UTC)
    start = end - timedelta(days=days)
    hourly = days <= HOURLY_MAX_DAYS
    liq = frames.liquidations.filter((pl.col("ts") > start) & (pl.col("ts") <= end))
    if asset is not None:
        liq = liq.filter(pl.col("asset_id") == asset)
    who = asset_name(frames, analysis, asset)[0] if asset else "all assets"
    spans = _coverage_spans(frames.coverage, start, end, tz)
    abbr = zone_label(tz)
    bucket = "hour" if hourly else "day"
    subtitle = f"Per {bucket}, last {ph.count(days, 'day')}; {as_of_text(frames.as_of, tz)}"
    x_range = (_local(start, tz), _local(end, tz))
    if liq.height == 0:
        reason = "no feed was connected" if not spans else "connected feeds recorded none"
        panel = Panel(
            "usd",
            spans=spans,
            y_label="Liquidated",
            empty_message=f"No liquidation data for {who} in this window ({reason})",
        )
        return Chart(
            "liquidations", f"Liquidations, {who}", subtitle, (panel,), f"Time ({abbr})", "Source: none", tz,
            x_range, alt=f"No liquidation data for {who} in the {days}-day window.",
        )  # fmt: skip
    local = liq.with_columns(pl.col("ts").dt.convert_time_zone(tz).dt.replace_time_zone(None).alias("_local"))
    local = local.with_columns(pl.col("_local").dt.truncate("1h" if hourly else "1d").alias("_bucket"))
    wide = (
        local.group_by("_bucket")
        .agg(
            pl.col("notional_usd").filter(pl.col("side") == "long").sum().alias("long"),
            pl.col("notional_usd").filter(pl.col("side") == "short").sum().alias("short"),
        )
        .sort("_bucket")
    )
    x = tuple(wide.get_column("_bucket").to_list())
    longs = tuple(float(v) for v in wide.get_column("long").to_list())
    shorts = tuple(float(v) for v in wide.get_column("short").to_list())
    net_x, net = _net_line(x, shorts, longs, spans, timedelta(hours=1) if hourly else timedelta(days=1))
    sources = sources_text(liq)
    panel = Panel(
        "usd",
        (
            Series("Shorts liquidated", x, shorts, role="up", kind="bar"),
            Series("Longs liquidated", x, tuple(-v for v in longs), role="down", kind="bar"),
            Series("Net (shorts - longs)", net_x, net, role="net", width=1.6),
        ),
        levels=(Level(0.0, ""),),
        spans=spans,
        y_label="Liquidated, longs below zero",
    )
    return Chart(
        kind="liquidations",
        title=f"Liquidations, {who}",
        subtitle=subtitle,
        panels=(panel,),
        x_label=f"Time ({abbr})",
        source=f"Source: {sources}; shaded: feed connected",
        tz=tz,
        x_range=x_range,
        alt=f"Bars of long and short liquidations for {who} over {ph.count(days, 'day')}.",
    )


def _net_line(
    x: tuple[datetime, ...],
    shorts: tuple[float, ...],
    longs: tuple[float, ...],
    spans: tuple[Span, ...],
    step: timedelta,
) -> tuple[tuple[datetime, ...], tuple[float | None, ...]]:
    """Net (shorts - longs) on every bucket from the first to the last with data.

    A bucket without liquidations counts as zero only while a feed was
    connected for all of it; elsewhere the line has a gap (unknown, not zero).
    """
    seen = {b: s - lg for b, s, lg in zip(x, shorts, longs, strict=True)}
    grid: list[datetime] = []
    b = x[0]
    while b <= x[-1]:
        grid.append(b)
        b += step
    covered = [(sp.start, sp.end) for sp in spans if isinstance(sp.start, datetime) and isinstance(sp.end, datetime)]
    values = tuple(
        seen[b] if b in seen else 0.0 if any(lo <= b and b + step <= hi for lo, hi in covered) else None for b in grid
    )
    return tuple(grid), values


def _coverage_spans(coverage: pl.DataFrame, start: datetime, end: datetime, tz: str) -> tuple[Span, ...]:
    """Intervals when a liquidation feed was connected, clipped to [start, end], in local time."""
    rows = coverage.filter((pl.col("end") > start) & (pl.col("start") < end)).sort("start")
    return tuple(
        Span(_local(max(r["start"], start), tz), _local(min(r["end"], end), tz), f"{r['exchange']} {r['feed']}")
        for r in rows.iter_rows(named=True)
    )
