"""Binance kline CSV (data.binance.vision / ``/api/v3/klines`` / ``/fapi/v1/klines``) -> ``candles``.

Twelve columns ``open_time,open,high,low,close,volume,close_time,quote_volume,count,
taker_buy_volume,taker_buy_quote_volume,ignore``; the header is optional (the
monthly dumps have none). Times are unix milliseconds (13 digits) or, in the spot
dumps from 2025 on, microseconds (16 digits): the unit is read from the file's first
row and every row must use it. The interval is ``close_time - open_time + 1`` and must
be the same on every row.

The content names neither the pair nor the market: the pair comes from ``--asset``
or the name (``BTCUSDT-1m-2023-01.csv``), and the venue is ``binance-usdm`` when
the name says ``um``, ``usdm``, ``futures`` or ``perp``, else ``binance-spot``.
"""

from __future__ import annotations

import contextlib
import re
from typing import ClassVar

import polars as pl

from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files._assets import file_asset, name_match
from cryptodesk.sources.files._table import (
    CsvTable,
    Declined,
    EpochUnit,
    TableFormat,
    batch,
    check_unique,
    first_line,
    split_line,
)

SOURCE = "binance"
COLUMNS = (
    "open_time", "open", "high", "low", "close", "volume", "close_time", "quote_volume", "count",
    "taker_buy_volume", "taker_buy_quote_volume", "ignore",
)  # fmt: skip
EXPECTED = ",".join(COLUMNS)
SCHEMA: dict[str, pl.DataType] = {c: pl.String() if c.endswith("_time") else pl.Float64() for c in COLUMNS}
"""The columns as the typed read parses them: the times stay text (their digit count gives the unit)."""
_INTERVALS = {
    1: "1s", 60: "1m", 180: "3m", 300: "5m", 900: "15m", 1800: "30m", 3600: "1h", 7200: "2h", 14400: "4h",
    21600: "6h", 28800: "8h", 43200: "12h", 86400: "1d", 259200: "3d", 604800: "1w",
}  # fmt: skip
_FUTURES = re.compile(r"(?i)(^|[_\-.\s])(um|usdm|futures|perp|perpetual)([_\-.\s]|$)")
_UNITS: dict[int, EpochUnit] = {13: "ms", 16: "us"}
_PER_SECOND = {"ms": 1_000, "us": 1_000_000}


def _headerless_row(fields: list[str]) -> bool:
    """True for a data row of a headerless dump: 12 fields, open and close times as 13/16-digit integers."""
    return len(fields) == 12 and len(fields[0]) in _UNITS and fields[0].isdigit() and fields[6].isdigit()


class BinanceKlines(TableFormat):
    """Binance spot or USDⓈ-M futures klines."""

    name: ClassVar[str] = "binance-klines"
    description: ClassVar[str] = (
        "Binance kline CSV (open_time,open,high,low,close,volume,close_time,...), header optional"
    )
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("candles",)

    def sniff(self, head: str) -> bool:
        """Binance's kline header, or a headerless first row of 12 fields starting with a ms/µs time."""
        fields = [f.lower() for f in split_line(first_line(head))]
        return fields[:7] == list(COLUMNS[:7]) or _headerless_row(fields)

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One candle per row (typed read first, see ``_table``)."""
        head = data[:4096].decode("utf-8-sig", errors="replace")
        headerless = _headerless_row(split_line(first_line(head)))
        typed = CsvTable.typed(data, ctx.path, SCHEMA, header=not headerless)
        if typed is not None:
            with contextlib.suppress(Declined):
                return self.parse_table(typed, ctx)
        return self.parse_table(CsvTable(data, ctx.path, names=COLUMNS if headerless else None), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """One candle per row of the table (CSV text or Parquet columns)."""
        table.require(list(COLUMNS[:9]), EXPECTED)
        table.drop_blank()
        asset = file_asset(ctx, "trading pair")
        with table.checks():
            unit = _unit(table)
            open_time, close_time = table.epoch("open_time", unit), table.epoch("close_time", unit)
            values = {c: table.number(c) for c in ("open", "high", "low", "close", "volume", "quote_volume")}
            trades = table.number("count", what="a trade count")
        interval = _interval(table, open_time, close_time, unit)
        match = name_match(ctx.path.name, ctx.registry)
        symbol = match[0].upper() if match and match[1] == asset else ctx.registry.info(asset).symbol
        venue = "binance-usdm" if _FUTURES.search(ctx.path.name) else "binance-spot"
        frame = pl.DataFrame({"open_time": open_time, **values, "trades": trades.cast(pl.Int64)}).with_columns(
            pl.lit(asset).alias("asset_id"),
            pl.lit(symbol).alias("symbol"),
            pl.lit(venue).alias("venue"),
            pl.lit(interval).alias("interval"),
        )
        check_unique(frame, ["open_time"], ctx.path, table)
        return [batch("candles", frame, SOURCE)]


def _unit(table: CsvTable) -> EpochUnit:
    """ms or µs, from the digits of the first open_time; rows with another width are errors."""
    if table.temporal("open_time"):
        return "ms"  # Parquet timestamps: epoch() takes them as they are, close_time - open_time + 1 ms is the bar
    plain = table.digits("open_time")
    if plain in _UNITS and table.digits("close_time") == plain:
        return _UNITS[plain]  # every time a plain 13- (or 16-) digit integer: the checks below would all pass
    widths = {c: table.text(c, required=False).str.len_chars() for c in ("open_time", "close_time")}
    known = widths["open_time"].drop_nulls()
    first = int(known[0]) if known.len() else 13
    if first not in _UNITS:
        table.flag(widths["open_time"] == first, "open_time", "a 13-digit (ms) or 16-digit (µs) unix time")
        return "ms"
    for col, width in widths.items():
        table.flag(width != first, col, f"a {first}-digit time ({_UNITS[first]}) like the first row")
    return _UNITS[first]


def _interval(table: CsvTable, open_time: pl.Series, close_time: pl.Series, unit: EpochUnit) -> str:
    """The one interval of the file, from close_time - open_time + 1 tick."""
    tick_us = 1_000_000 // _PER_SECOND[unit]
    seconds = ((close_time - open_time).dt.total_microseconds() + tick_us) // 1_000_000
    first = int(seconds[0])
    if first not in _INTERVALS:
        table.flag(seconds == first, "close_time", "close_time - open_time + 1 to be a Binance interval (1m, 1h, ...)")
    table.flag(
        seconds != first, "close_time", f"a {_INTERVALS[first]} bar (close_time - open_time + 1) like the first row"
    )
    return _INTERVALS[first]
