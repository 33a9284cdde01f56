"""CoinGecko CSV files -> ``snapshots`` (source ``coingecko``).

* The "Export" CSV of a coin page, ``snapped_at,price,market_cap,total_volume`` (some
  copies say ``date`` instead of ``snapped_at``; a price-only copy has just
  ``snapped_at,price`` with bare dates). One row per UTC day; ``ts`` is
  ``snapped_at`` in UTC, the snapshot at the START of that day. The content does
  not name the coin: it comes from ``--asset`` or the file name (``btc-usd-max.csv``).
* The derived long CSV ``date,symbol,price,market_cap,total_volume,source_file``
  (the exports concatenated; the asset is the ``symbol`` column).
* The hourly CSV ``timestamp_ms,time_utc,price,market_cap,total_volume`` (a flattened
  ``market_chart`` response; ``ts`` is ``timestamp_ms``).

CoinGecko writes a market cap of 0 when it does not know it (early history of
many coins): such values are stored as null, never as a zero market cap.
"""

from __future__ import annotations

from typing import ClassVar

import polars as pl

from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files._assets import file_asset, resolve_columns
from cryptodesk.sources.files._table import CsvTable, TableFormat, batch, check_unique, header_fields, null_if_zero

SOURCE = "coingecko"
DAY_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d")
_EXPORT_HEADERS = (
    ["snapped_at", "price", "market_cap", "total_volume"],
    ["date", "price", "market_cap", "total_volume"],
    ["snapped_at", "price"],
)
_EXPORT_EXPECTED = "snapped_at,price,market_cap,total_volume"
_LONG_HEADER = ["date", "symbol", "price", "market_cap", "total_volume", "source_file"]
_HOURLY_HEADER = ["timestamp_ms", "time_utc", "price", "market_cap", "total_volume"]


def _values(table: CsvTable) -> dict[str, pl.Series]:
    """price (required), market_cap (0 -> null) and volume_24h when the columns exist."""
    out = {"price": table.number("price")}
    if "market_cap" in table.frame.columns:
        out["market_cap"] = null_if_zero(table.number("market_cap", required=False))
    if "total_volume" in table.frame.columns:
        out["volume_24h"] = table.number("total_volume", required=False)
    return out


class CoinGeckoExport(TableFormat):
    """A coin page's "Export" CSV (daily)."""

    name: ClassVar[str] = "coingecko-export"
    description: ClassVar[str] = "CoinGecko coin Export CSV (snapped_at,price,market_cap,total_volume), daily"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots",)

    def sniff(self, head: str) -> bool:
        """The header is one of the export headers."""
        return header_fields(head) in _EXPORT_HEADERS

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One snapshot per row at ``snapped_at`` UTC."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        ts_col = "date" if "date" in table.frame.columns else "snapped_at"
        table.require([ts_col, "price"], _EXPORT_EXPECTED)
        asset = file_asset(ctx)
        with table.checks():
            ts = table.datetime(ts_col, DAY_FORMATS, what="a date like '2023-01-18 00:00:00 UTC'", strip_utc=True)
            values = _values(table)
        frame = pl.DataFrame({"ts": ts, **values}).with_columns(pl.lit(asset).alias("asset_id"))
        check_unique(frame, ["ts"], ctx.path, table)
        return [batch("snapshots", frame, SOURCE)]


class CoinGeckoLong(TableFormat):
    """The derived long CSV: several coins' exports in one file with a ``symbol`` column."""

    name: ClassVar[str] = "coingecko-long"
    description: ClassVar[str] = "CoinGecko daily exports concatenated (date,symbol,price,market_cap,total_volume,...)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots",)

    def sniff(self, head: str) -> bool:
        """The header starts with ``date,symbol,price,market_cap,total_volume``."""
        return header_fields(head)[:5] == _LONG_HEADER[:5]

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One snapshot per row; the asset is resolved from ``symbol`` (unknown -> lower-case symbol)."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(_LONG_HEADER[:5], ",".join(_LONG_HEADER))
        with table.checks():
            ts = table.datetime("date", DAY_FORMATS, what="a date like '2023-01-18'", strip_utc=True)
            symbol = table.text("symbol")
            values = _values(table)
        frame = pl.DataFrame({"ts": ts, "symbol": symbol, **values})
        frame = frame.with_columns(resolve_columns(ctx.registry, frame, ["symbol"], "symbol"))
        check_unique(frame, ["asset_id", "ts"], ctx.path, table)
        return [batch("snapshots", frame, SOURCE)]


class CoinGeckoHourly(TableFormat):
    """The hourly CSV (a flattened ``market_chart`` response)."""

    name: ClassVar[str] = "coingecko-hourly"
    description: ClassVar[str] = "CoinGecko hourly CSV (timestamp_ms,time_utc,price,market_cap,total_volume)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots",)

    def sniff(self, head: str) -> bool:
        """The header starts with ``timestamp_ms`` and has ``price``."""
        fields = header_fields(head)
        return fields[:1] == ["timestamp_ms"] and "price" in fields

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One snapshot per row at ``timestamp_ms``; the asset from ``--asset`` or the file name."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(["timestamp_ms", "price"], ",".join(_HOURLY_HEADER))
        asset = file_asset(ctx)
        with table.checks():
            frame = pl.DataFrame({"ts": table.epoch("timestamp_ms", "ms"), **_values(table)})
        frame = frame.with_columns(pl.lit(asset).alias("asset_id"))
        check_unique(frame, ["ts"], ctx.path, table)
        return [batch("snapshots", frame, SOURCE)]
