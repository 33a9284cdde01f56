"""CoinMarketCap Pro ``/v1/cryptocurrency/listings/latest`` JSON -> ``snapshots`` + ``assets``.

One snapshot per listing at ``quote.USD.last_updated`` (source ``coinmarketcap``).
CoinMarketCap ids are not canonical: the asset is resolved through the registry by
``slug``, then ``symbol``, then ``name``; a coin the registry does not know keeps its
CMC slug as id. When two listings resolve to the same id, the higher-ranked one
keeps it and the other keeps its slug.
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from cryptodesk.core.models import UTC_TS, Batch
from cryptodesk.sources.base import FileFormat, ParseContext
from cryptodesk.sources.files._assets import kind_of, unclash
from cryptodesk.sources.files._json import Record, load_json, looks_like, records
from cryptodesk.sources.files._table import batch, check_unique

SOURCE = "coinmarketcap"


class CoinMarketCapListings(FileFormat):
    """CMC ``listings/latest`` response."""

    name: ClassVar[str] = "coinmarketcap-listings"
    description: ClassVar[str] = "CoinMarketCap /v1/cryptocurrency/listings/latest JSON ({status, data: [...]})"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots", "assets")

    def sniff(self, head: str) -> bool:
        """A JSON object with ``data`` listings carrying ``cmc_rank`` (the ``status`` block is optional)."""
        return looks_like(head, "{", "data") and ('"cmc_rank"' in head or looks_like(head, "{", "slug", "quote"))

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """A snapshot per listing (USD quote) and an assets row per listing."""
        rows = [_row(rec, ctx) for rec in records(load_json(data, ctx.path), ctx.path, key="data", label="slug")]
        frame = pl.DataFrame(rows, schema=_SCHEMA)
        frame = unclash(frame, "ts", "slug")
        check_unique(frame, ["asset_id", "ts"], ctx.path)
        kinds = [kind_of(ctx.registry, a) for a in frame.get_column("asset_id").to_list()]
        assets = frame.select("asset_id", "symbol", "name").with_columns(pl.Series("kind", kinds, dtype=pl.Utf8))
        return [batch("snapshots", frame, SOURCE), batch("assets", assets, SOURCE)]


_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.Utf8(),
    "slug": pl.Utf8(),
    "symbol": pl.Utf8(),
    "name": pl.Utf8(),
    "ts": UTC_TS,
    "price": pl.Float64(),
    "market_cap": pl.Float64(),
    "volume_24h": pl.Float64(),
    "circulating_supply": pl.Float64(),
    "total_supply": pl.Float64(),
    "max_supply": pl.Float64(),
    "rank": pl.Int64(),
}


def _row(rec: Record, ctx: ParseContext) -> dict[str, Any]:
    """One listing as a snapshot row (plus slug/symbol/name for the assets batch)."""
    slug = rec.text("slug")
    symbol = rec.text("symbol", required=False)
    name = rec.text("name", required=False)
    quote = rec.sub("quote").sub("USD")
    resolved = next((h for t in (slug, symbol, name) if t and (h := ctx.registry.resolve(t))), None)
    return {
        "asset_id": resolved or slug,
        "slug": slug,
        "symbol": symbol,
        "name": name,
        "ts": quote.time("last_updated"),
        "price": quote.number("price", required=True),
        "market_cap": quote.number("market_cap"),
        "volume_24h": quote.number("volume_24h"),
        "circulating_supply": rec.number("circulating_supply"),
        "total_supply": rec.number("total_supply"),
        "max_supply": rec.number("max_supply"),
        "rank": rec.integer("cmc_rank"),
    }
