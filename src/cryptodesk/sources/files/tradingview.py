"""TradingView chart export CSV (``time,open,high,low,close,...``), source ``tradingview``.

``time`` is unix seconds (or milliseconds) or ISO-8601, decided from the whole column.
Extra columns (indicators, ``Volume``) are optional; TradingView writes ``NaN`` where
an indicator has no value, which is read as null.

* The total crypto market cap (``CRYPTOCAP:TOTAL``: ``--asset total_market_cap`` or the
  name, e.g. ``CRYPTOCAP_TOTAL, 1D.csv``) -> ``global_metrics`` bars: open/high/low,
  ``total_market_cap`` = close, ``btc_dominance`` from the ``BTC.D, CRYPTOCAP: Close``
  column when the chart has that overlay, ``total_volume`` from ``Volume``.
* Any other symbol -> ``candles``; the asset comes from ``--asset`` or TradingView's
  default name ``EXCHANGE_SYMBOL, 1D.csv`` (the exchange becomes the venue).

The bar interval is inferred from the median spacing of the timestamps, never
from the name.
"""

from __future__ import annotations

import re
from typing import ClassVar

import polars as pl

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files._assets import file_asset
from cryptodesk.sources.files._table import CsvTable, TableFormat, batch, check_unique, header_fields

SOURCE = "tradingview"
TOTAL = "total_market_cap"
EXPECTED = "time,open,high,low,close[,Volume,...]"
DOMINANCE_COL = "btc.d, cryptocap: close"
_PRICES = ("open", "high", "low", "close")
_INTERVALS = {60: "1m", 300: "5m", 900: "15m", 3600: "1h", 14400: "4h", 86400: "1d", 604800: "1w"}
_TV_NAME = re.compile(r"^([A-Z0-9]+)_([A-Z0-9.!]+), ")


class TradingViewChart(TableFormat):
    """TradingView "Export chart data" CSV."""

    name: ClassVar[str] = "tradingview"
    description: ClassVar[str] = "TradingView chart export CSV (time,open,high,low,close,...)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("candles", "global_metrics")

    def sniff(self, head: str) -> bool:
        """The header starts with ``time,open,high,low,close``."""
        return header_fields(head)[:5] == ["time", *_PRICES]

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """Global-metric bars for the total market cap, candles for anything else."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(["time", *_PRICES], EXPECTED)
        asset = file_asset(ctx, "symbol")
        with table.checks():
            frame = pl.DataFrame({"ts": _times(table), **{c: table.number(c) for c in _PRICES}})
            volume = table.number("volume", required=False) if "volume" in table.frame.columns else None
            dominance = table.number(DOMINANCE_COL, required=False) if DOMINANCE_COL in table.frame.columns else None
        check_unique(frame, ["ts"], ctx.path, table)
        interval = _interval(frame.get_column("ts"), ctx)
        if asset == TOTAL:
            frame = frame.rename({"close": "total_market_cap"}).with_columns(pl.lit(interval).alias("interval"))
            if dominance is not None:
                frame = frame.with_columns(dominance.alias("btc_dominance"))
            if volume is not None:
                frame = frame.with_columns(volume.alias("total_volume"))
            return [batch("global_metrics", frame, SOURCE)]
        match = _TV_NAME.match(ctx.path.name)
        frame = frame.rename({"ts": "open_time"}).with_columns(
            pl.lit(asset).alias("asset_id"),
            pl.lit(match.group(2) if match else ctx.registry.info(asset).symbol).alias("symbol"),
            pl.lit(match.group(1).lower() if match else "tradingview").alias("venue"),
            pl.lit(interval).alias("interval"),
        )
        if volume is not None:
            frame = frame.with_columns(volume.alias("volume"))
        return [batch("candles", frame, SOURCE)]


def _times(table: CsvTable) -> pl.Series:
    """The ``time`` column as UTC datetimes: unix seconds/ms when mostly integers, else ISO-8601."""
    if table.mostly_integer("time"):
        widest = table.text("time").str.len_chars().max()
        return table.epoch("time", "ms" if isinstance(widest, int) and widest >= 13 else "s")
    return table.datetime(
        "time",
        ["%Y-%m-%dT%H:%M:%S%#z", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"],
        what="a unix time or an ISO date/time like '2023-01-18T00:00:00Z'",
    )


def _interval(ts: pl.Series, ctx: ParseContext) -> str:
    """The bar interval from the median spacing of the timestamps."""
    if ts.len() < 2:
        raise ParseError(ctx.path, "need at least two bars to tell the bar interval")
    median = ts.sort().diff().drop_nulls().dt.total_seconds().median()
    step = int(median) if isinstance(median, int | float) else 0
    if step not in _INTERVALS:
        supported = ", ".join(_INTERVALS.values())
        raise ParseError(ctx.path, f"bars are {step} s apart; supported intervals are {supported}", column="time")
    return _INTERVALS[step]
