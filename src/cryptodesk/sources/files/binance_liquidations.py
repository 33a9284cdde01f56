"""Binance ``liquidationSnapshot`` CSV (data.binance.vision, USDⓈ-M futures) -> ``liquidations``.

Header ``time,side,order_type,time_in_force,original_quantity,price,average_price,
order_status,last_fill_quantity,accumulated_fill_quantity``; ``time`` is unix ms.
Each row is one forced (liquidation) order. A SELL force order closes a LONG
position and a BUY closes a SHORT, so ``side`` is ``long`` for SELL and ``short``
for BUY. ``quantity`` is the filled quantity (``accumulated_fill_quantity``), ``price``
the average fill price and ``notional_usd = average_price * accumulated_fill_quantity``
(USDT-margined contracts: USDT taken as USD). Orders that filled nothing (expired
with a zero fill) liquidated nothing: they are skipped and counted in ``ctx.warnings``.

The file does not name the pair: it comes from ``--asset`` or the name
(``BTCUSDT-liquidationSnapshot-2023-01-18.csv``). ``event_id`` is a stable hash of
(symbol, time, side, price, quantity), the same on every import of the same row.
"""

from __future__ import annotations

import hashlib
from typing import ClassVar

import polars as pl

from cryptodesk.core.models import Batch
from cryptodesk.sources.base import ParseContext
from cryptodesk.sources.files._assets import file_asset, name_match
from cryptodesk.sources.files._table import CsvTable, TableFormat, batch, check_unique, header_fields

SOURCE = "binance"
COLUMNS = (
    "time", "side", "order_type", "time_in_force", "original_quantity", "price", "average_price",
    "order_status", "last_fill_quantity", "accumulated_fill_quantity",
)  # fmt: skip
EXPECTED = ",".join(COLUMNS)
_REQUIRED = ("time", "side", "average_price", "accumulated_fill_quantity")
_POSITION = {"SELL": "long", "BUY": "short"}


class BinanceLiquidations(TableFormat):
    """Binance futures liquidation snapshot."""

    name: ClassVar[str] = "binance-liquidations"
    description: ClassVar[str] = "Binance liquidationSnapshot CSV (time,side,order_type,...,accumulated_fill_quantity)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("liquidations",)

    def sniff(self, head: str) -> bool:
        """The header has time, side, average_price and accumulated_fill_quantity."""
        fields = header_fields(head)
        return fields[:2] == ["time", "side"] and {"average_price", "accumulated_fill_quantity"} <= set(fields)

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One liquidation per filled force order."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(list(_REQUIRED), EXPECTED)
        table.drop_blank()
        asset = file_asset(ctx, "trading pair")
        match = name_match(ctx.path.name, ctx.registry)
        symbol = match[0].upper() if match and match[1] == asset else f"{ctx.registry.info(asset).symbol}USDT"
        with table.checks():
            ts = table.epoch("time", "ms")
            side = table.text("side").str.to_uppercase()
            table.flag(~side.is_in(list(_POSITION)), "side", "BUY or SELL")
            price = table.number("average_price")
            qty = table.number("accumulated_fill_quantity")
        frame = pl.DataFrame(
            {
                "ts": ts,
                "side": side.replace_strict(_POSITION, default=None),
                "price": price,
                "quantity": qty,
                "notional_usd": price * qty,
                "event_id": _event_ids(symbol, table.text("time"), side, price, qty),
            }
        ).with_columns(
            pl.lit("binance").alias("exchange"), pl.lit(symbol).alias("symbol"), pl.lit(asset).alias("asset_id")
        )
        check_unique(frame, ["event_id"], ctx.path, table)
        empty = frame.get_column("quantity") == 0
        if empty.any():
            ctx.warnings.append(f"{ctx.path}: skipped {int(empty.sum())} force orders that filled nothing")
        return [batch("liquidations", frame.filter(~empty), SOURCE)]


def _event_ids(symbol: str, times: pl.Series, side: pl.Series, price: pl.Series, qty: pl.Series) -> pl.Series:
    """A stable id per row: sha1 of ``symbol|time_ms|side|price|quantity`` (first 20 hex digits)."""
    ids = [
        hashlib.sha1(f"{symbol}|{t}|{s}|{p!r}|{q!r}".encode(), usedforsecurity=False).hexdigest()[:20]
        for t, s, p, q in zip(times.to_list(), side.to_list(), price.to_list(), qty.to_list(), strict=True)
    ]
    return pl.Series("event_id", ids, dtype=pl.Utf8)
