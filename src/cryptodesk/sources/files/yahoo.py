"""Yahoo Finance daily history CSV -> ``candles`` (interval ``1d``, venue and source ``yahoo``).

Header ``Date,Open,High,Low,Close,Adj Close,Volume``. ``open_time`` is the date at
00:00 UTC (for exchange-traded indices the session is the US one of that date).
Dates are ISO (``2023-01-18``) or day-first/month-first with slashes; which one is
decided from the whole column (a first part above 12 means day-first, a second
part above 12 means month-first), and a column that fits both is refused as
ambiguous. Yahoo writes rows of ``null`` for days without a quote (holidays):
those are skipped and counted in ``ctx.warnings``; a partly-null row is an error.

The content does not name the ticker: it comes from ``--asset`` or the file name
(``yahoo_BTC-USD_...``, ``BTC-USD.csv``, ``yahoo_^VIX...``, ``yahoo_SPX_...``). For
crypto pairs Yahoo's Volume is in USD and goes to ``quote_volume``; for indices and
equities it is shares/contracts and goes to ``volume``. ``Adj Close`` is not stored.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files._assets import file_asset
from cryptodesk.sources.files._table import CsvTable, TableFormat, batch, check_unique, header_fields

SOURCE = "yahoo"
EXPECTED = "Date,Open,High,Low,Close,Adj Close,Volume"
_PRICES = ("open", "high", "low", "close")
_SHARE_KINDS = ("index", "equity", "etf", "commodity", "fx")
"""Registry kinds whose Yahoo Volume is shares/contracts; every crypto kind (coin, stablecoin, ...) has USD volume."""


class YahooDaily(TableFormat):
    """Yahoo Finance "Download" / yfinance daily CSV."""

    name: ClassVar[str] = "yahoo-daily"
    description: ClassVar[str] = "Yahoo Finance daily CSV (Date,Open,High,Low,Close,Adj Close,Volume)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("candles",)

    def sniff(self, head: str) -> bool:
        """The header starts with ``Date`` and has Open/High/Low/Close and Volume."""
        fields = header_fields(head)
        return fields[:1] == ["date"] and {*_PRICES, "volume"} <= set(fields)

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One daily candle per dated row."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(["date", *_PRICES], EXPECTED)
        asset = file_asset(ctx, "ticker")
        _drop_null_rows(table, ctx)
        fmt = _date_format(table, ctx)
        with table.checks():
            dates = table.datetime("date", [fmt], what=f"a date in the file's format ({fmt})")
            values = {c: table.number(c) for c in _PRICES}
            volume = table.number("volume", required=False) if "volume" in table.frame.columns else None
        info = ctx.registry.info(asset)
        vol_col = "volume" if info.kind in _SHARE_KINDS else "quote_volume"
        frame = pl.DataFrame({"open_time": dates, **values})
        if volume is not None:
            frame = frame.with_columns(volume.alias(vol_col))
        frame = frame.with_columns(
            pl.lit(asset).alias("asset_id"),
            pl.lit(info.symbol).alias("symbol"),
            pl.lit("yahoo").alias("venue"),
            pl.lit("1d").alias("interval"),
        )
        check_unique(frame, ["open_time"], ctx.path, table)
        return [batch("candles", frame, SOURCE)]


def _drop_null_rows(table: CsvTable, ctx: ParseContext) -> None:
    """Skip Yahoo's all-``null`` rows (no quote that day), noting how many in ``ctx.warnings``."""
    cols = [(c, t) for c, t in table.frame.schema.items() if c not in ("date", "__row")]
    # a Parquet table's typed columns hold nulls where the CSV says 'null'
    nulls = [
        pl.col(c).str.strip_chars().str.to_lowercase() == "null" if t == pl.String else pl.col(c).is_null()
        for c, t in cols
    ]
    null_row = pl.all_horizontal(nulls)
    flags = table.frame.select(null_row.fill_null(False)).to_series()
    count = int(flags.sum())
    if count:
        first = table.where(int(flags.arg_max() or 0))
        table.drop(flags)
        ctx.warnings.append(f"{ctx.path}: skipped {count} rows without a quote ('null'), the first at {first}")


def _date_format(table: CsvTable, ctx: ParseContext) -> str:
    """The strptime format of the Date column, decided from all its values."""
    if table.temporal("date"):
        return "%Y-%m-%d"  # a Parquet date column: datetime() takes it as it is
    dates = table.text("date")
    if bool(dates.str.contains(r"^\d{4}-\d{2}-\d{2}$").all()):
        return "%Y-%m-%d"
    parts = dates.str.extract_groups(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
    first = parts.struct.field("1").cast(pl.Int32, strict=False)
    second = parts.struct.field("2").cast(pl.Int32, strict=False)
    if first.is_null().any():  # not all slash dates: parse as the majority style and report the first misfit
        iso = int(dates.str.contains(r"^\d{4}-").sum())
        return "%Y-%m-%d" if iso * 2 >= dates.len() else "%d/%m/%Y"
    day_first, month_first = bool((first > 12).any()), bool((second > 12).any())
    if day_first and month_first:
        raise ParseError(ctx.path, "dates mix day-first and month-first (dd/mm/yyyy and mm/dd/yyyy)", column="date")
    if not day_first and not month_first:
        raise ParseError(
            ctx.path,
            "dates are ambiguous: no day above 12 tells dd/mm/yyyy from mm/dd/yyyy; convert them to yyyy-mm-dd",
            column="date",
        )
    return "%d/%m/%Y" if day_first else "%m/%d/%Y"
