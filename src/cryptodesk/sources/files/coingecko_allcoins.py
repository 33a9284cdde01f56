"""The per-day all-coins CoinGecko CSV (hathix/historical-crypto-data) -> ``snapshots`` + ``assets``.

Header ``timestamp,readableTimestamp,coinId,price,marketCap,totalVolume``; ``timestamp``
is unix milliseconds, ``coinId`` is the CoinGecko id (the canonical asset id, used as
is: ``link`` here is a different coin from ``chainlink``). The upstream files contain
lines made only of commas (``,,,,,``, about 9% of the lines): they carry no data and
are skipped. A line that is only partly empty is an error. A market cap of 0 means
unknown and is stored as null. CoinGecko also published a few impossible rows with a
NEGATIVE price (``hybrix`` and ``x8-project`` in November 2021): those rows are
dropped and counted in ``ctx.warnings`` rather than failing the whole file.
"""

from __future__ import annotations

import contextlib
from typing import ClassVar

import polars as pl

from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files._table import (
    CsvTable,
    Declined,
    TableFormat,
    batch,
    check_unique,
    header_fields,
    null_if_zero,
)

SOURCE = "coingecko"
HEADER = ["timestamp", "readabletimestamp", "coinid", "price", "marketcap", "totalvolume"]
EXPECTED = "timestamp,readableTimestamp,coinId,price,marketCap,totalVolume"
SCHEMA: dict[str, pl.DataType] = {
    "timestamp": pl.Int64(),
    "readabletimestamp": pl.String(),
    "coinid": pl.String(),
    "price": pl.Float64(),
    "marketcap": pl.Float64(),
    "totalvolume": pl.Float64(),
}
"""The file's columns as the typed read parses them."""


class CoinGeckoAllCoins(TableFormat):
    """Daily snapshots of every coin CoinGecko listed, one file for many days."""

    name: ClassVar[str] = "coingecko-allcoins"
    description: ClassVar[str] = "CoinGecko per-day all-coins CSV (timestamp,readableTimestamp,coinId,price,...)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots", "assets")

    def sniff(self, head: str) -> bool:
        """The header has ``timestamp`` and ``coinId`` and the price/marketCap columns."""
        fields = header_fields(head)
        return fields[:1] == ["timestamp"] and {"coinid", "price", "marketcap"} <= set(fields)

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """Snapshots for every (coin, day) and one assets row per coin id (typed read first, see ``_table``)."""
        typed = CsvTable.typed(data, ctx.path, SCHEMA, header=True)
        if typed is not None:
            with contextlib.suppress(Declined):
                return self.parse_table(typed, ctx)
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """Snapshots and assets from the table (CSV text or Parquet columns)."""
        table.require(["timestamp", "coinid", "price"], EXPECTED)
        table.drop_blank()
        with table.checks():
            frame = pl.DataFrame(
                {
                    "ts": table.epoch("timestamp", "ms"),
                    "asset_id": table.text("coinid"),
                    "price": table.number("price"),
                    "market_cap": null_if_zero(table.number("marketcap", required=False)),
                    "volume_24h": table.number("totalvolume", required=False)
                    if "totalvolume" in table.frame.columns
                    else pl.Series("volume_24h", [None] * len(table), dtype=pl.Float64),
                }
            )
        check_unique(frame, ["asset_id", "ts"], ctx.path, table)
        frame = _drop_negative(frame, table, ctx)
        # (asset_id, ts) checked unique above, the source is one: no snapshot key repeats
        return [batch("snapshots", frame, SOURCE, distinct=True), batch("assets", _assets(frame, ctx), SOURCE)]


def _drop_negative(frame: pl.DataFrame, table: CsvTable, ctx: ParseContext) -> pl.DataFrame:
    """Drop rows with a negative price (provider glitches), noting them in ``ctx.warnings``."""
    bad = frame.get_column("price") < 0
    count = int(bad.sum())
    if count:
        first = int(bad.arg_max() or 0)
        ids = sorted(set(frame.filter(bad).get_column("asset_id").to_list()))
        ctx.warnings.append(
            f"{ctx.path}: skipped {count} rows with a negative price (first at {table.where(table.row_of(first))};"
            f" coins: {', '.join(ids[:5])})"
        )
    return frame.filter(~bad)


def _assets(frame: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """One row per coin id; symbol and name from the registry when it knows the id, else null."""
    ids = frame.get_column("asset_id").unique(maintain_order=True).to_list()
    known = [ctx.registry.get(i) for i in ids]
    return pl.DataFrame(
        {
            "asset_id": ids,
            "symbol": [(k.symbol or None) if k else None for k in known],  # a learned id has "" for unknown
            "name": [(k.name or None) if k else None for k in known],
            "kind": [k.kind if k else "crypto" for k in known],
        },
        schema={"asset_id": pl.Utf8, "symbol": pl.Utf8, "name": pl.Utf8, "kind": pl.Utf8},
    )
