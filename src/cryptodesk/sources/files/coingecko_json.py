"""CoinGecko API responses saved as JSON (source ``coingecko``).

* ``/coins/markets`` (a list of coins): one snapshot per coin at its ``last_updated``,
  plus an ``assets`` row per coin (id, symbol, name).
* ``/coins/{id}/market_chart`` (``{prices, market_caps, total_volumes}`` of
  ``[ms, value]`` pairs): one snapshot per timestamp; the response does not name the
  coin, so it comes from ``--asset`` or the file name.
* ``/global``: one ``global_metrics`` row, interval ``snapshot``, at ``updated_at``
  (USD totals, BTC/ETH dominance in percent, number of active assets).
* ``/coins/{id}``: an ``assets`` row, plus a snapshot at ``market_data.last_updated``
  when the response has ``market_data``.

CoinGecko's ids are the canonical asset ids, so they are used as they are.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import polars as pl

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import UTC_TS, Batch
from cryptodesk.sources.base import FileFormat, ParseContext
from cryptodesk.sources.files._assets import file_asset, kind_of
from cryptodesk.sources.files._json import Record, load_json, looks_like, records
from cryptodesk.sources.files._table import batch, check_unique, null_if_zero

SOURCE = "coingecko"
_SNAPSHOT_SCHEMA: dict[str, pl.DataType] = {
    "asset_id": pl.Utf8(),
    "ts": UTC_TS,
    "price": pl.Float64(),
    "market_cap": pl.Float64(),
    "volume_24h": pl.Float64(),
    "circulating_supply": pl.Float64(),
    "total_supply": pl.Float64(),
    "max_supply": pl.Float64(),
    "rank": pl.Int64(),
}


def _asset_row(rec: Record, ctx: ParseContext) -> dict[str, Any]:
    """An assets row from a record with id, symbol and name (kind from the registry, else crypto)."""
    symbol = rec.text("symbol", required=False)
    asset_id = rec.text("id") or ""
    return {
        "asset_id": asset_id,
        "symbol": symbol.upper() if symbol else None,
        "name": rec.text("name", required=False),
        "kind": kind_of(ctx.registry, asset_id),
    }


def _assets_frame(rows: list[dict[str, Any]]) -> pl.DataFrame:
    """Assets rows as a frame with fixed dtypes."""
    return pl.DataFrame(rows, schema={"asset_id": pl.Utf8, "symbol": pl.Utf8, "name": pl.Utf8, "kind": pl.Utf8})


class CoinGeckoMarkets(FileFormat):
    """``/coins/markets`` response."""

    name: ClassVar[str] = "coingecko-markets"
    description: ClassVar[str] = "CoinGecko /coins/markets JSON (list of coins with current_price, market_cap, ...)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots", "assets")

    def sniff(self, head: str) -> bool:
        """A JSON list whose records have current_price and market_cap_rank."""
        return looks_like(head, "[", "id", "current_price", "market_cap_rank")

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """A snapshot per coin at its ``last_updated`` and an assets row per coin."""
        snaps: list[dict[str, Any]] = []
        assets: list[dict[str, Any]] = []
        for rec in records(load_json(data, ctx.path), ctx.path):
            assets.append(_asset_row(rec, ctx))
            snaps.append(
                {
                    "asset_id": rec.text("id"),
                    "ts": rec.time("last_updated"),
                    "price": rec.number("current_price"),
                    "market_cap": rec.number("market_cap"),
                    "volume_24h": rec.number("total_volume"),
                    "circulating_supply": rec.number("circulating_supply"),
                    "total_supply": rec.number("total_supply"),
                    "max_supply": rec.number("max_supply"),
                    "rank": rec.integer("market_cap_rank"),
                }
            )
        frame = pl.DataFrame(snaps, schema=_SNAPSHOT_SCHEMA)
        frame = frame.with_columns(null_if_zero(frame.get_column("market_cap")))
        check_unique(frame, ["asset_id", "ts"], ctx.path)
        return [batch("snapshots", frame, SOURCE), batch("assets", _assets_frame(assets), SOURCE)]


class CoinGeckoMarketChart(FileFormat):
    """``/coins/{id}/market_chart`` response."""

    name: ClassVar[str] = "coingecko-market-chart"
    description: ClassVar[str] = "CoinGecko /coins/{id}/market_chart JSON ({prices, market_caps, total_volumes})"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots",)

    def sniff(self, head: str) -> bool:
        """A JSON object with a ``prices`` list of ``[unix_ms, value]`` pairs (the other keys may lie past the head)."""
        return (
            looks_like(head, "{", "prices") and re.search(r'"prices"\s*:\s*\[\s*\[\s*\d{12,13}\s*,', head) is not None
        )

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One snapshot per price timestamp, with the market cap and volume of the same timestamp."""
        doc = load_json(data, ctx.path)
        if not isinstance(doc, dict):
            raise ParseError(ctx.path, "expected a JSON object with 'prices', 'market_caps' and 'total_volumes'")
        asset = file_asset(ctx)
        frame = _series(doc, "prices", "price", ctx, required=True)
        for key, col in (("market_caps", "market_cap"), ("total_volumes", "volume_24h")):
            if key in doc:
                frame = frame.join(_series(doc, key, col, ctx, required=False), on="ts", how="left")
        frame = frame.with_columns(pl.lit(asset).alias("asset_id"))
        if "market_cap" in frame.columns:
            frame = frame.with_columns(null_if_zero(frame.get_column("market_cap")))
        check_unique(frame, ["ts"], ctx.path)
        return [batch("snapshots", frame, SOURCE)]


def _series(doc: dict[str, Any], key: str, col: str, ctx: ParseContext, *, required: bool) -> pl.DataFrame:
    """A ``[[ms, value], ...]`` list as a (ts, col) frame; the first malformed pair is an error."""
    pairs = doc.get(key)
    if not isinstance(pairs, list) or (required and not pairs):
        raise ParseError(
            ctx.path, f"expected {key!r} to be a non-empty list of [timestamp_ms, value] pairs", column=key
        )
    for n, pair in enumerate(pairs, start=1):
        ok = isinstance(pair, list) and len(pair) == 2 and isinstance(pair[0], int) and not isinstance(pair[0], bool)
        if not ok or not (pair[1] is None or isinstance(pair[1], int | float)):
            raise ParseError(ctx.path, f"entry {n}: expected [timestamp_ms, number], got {pair!r}", column=key)
    ts = pl.Series([p[0] for p in pairs], dtype=pl.Int64)
    vals = pl.Series([p[1] for p in pairs], dtype=pl.Float64)
    return pl.DataFrame({"ts": pl.from_epoch(ts, time_unit="ms").dt.replace_time_zone("UTC").cast(UTC_TS), col: vals})


class CoinGeckoGlobal(FileFormat):
    """``/global`` response."""

    name: ClassVar[str] = "coingecko-global"
    description: ClassVar[str] = "CoinGecko /global JSON (total market cap, volume, dominance)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("global_metrics",)

    def sniff(self, head: str) -> bool:
        """A JSON object with data.active_cryptocurrencies, total_market_cap and market_cap_percentage."""
        return looks_like(head, "{", "data", "active_cryptocurrencies", "total_market_cap", "market_cap_percentage")

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One ``snapshot`` row at ``updated_at``."""
        doc = load_json(data, ctx.path)
        root = Record(doc, ctx.path, "the document")
        rec = root.sub("data")
        mcap = rec.sub("total_market_cap")
        vol = rec.maybe("total_volume")
        dom = rec.maybe("market_cap_percentage")
        row = {
            "interval": "snapshot",
            "ts": rec.time("updated_at"),
            "total_market_cap": mcap.number("usd", required=True),
            "total_volume": vol.number("usd") if vol else None,
            "btc_dominance": dom.number("btc") if dom else None,
            "eth_dominance": dom.number("eth") if dom else None,
            "active_assets": rec.integer("active_cryptocurrencies"),
        }
        return [batch("global_metrics", pl.DataFrame([row]).with_columns(pl.col("ts").cast(UTC_TS)), SOURCE)]


class CoinGeckoCoin(FileFormat):
    """``/coins/{id}`` response."""

    name: ClassVar[str] = "coingecko-coin"
    description: ClassVar[str] = "CoinGecko /coins/{id} JSON (coin details; a snapshot from market_data)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("assets", "snapshots")

    def sniff(self, head: str) -> bool:
        """A JSON object with id, symbol and one of CoinGecko's coin-detail keys."""
        if not looks_like(head, "{", "id", "symbol"):
            return False
        return any(
            f'"{k}"' in head for k in ("asset_platform_id", "coingecko_rank", "market_data", "block_time_in_minutes")
        )

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """The assets row, and a snapshot when the response has market_data."""
        rec = Record(load_json(data, ctx.path), ctx.path, "the document")
        out = [batch("assets", _assets_frame([_asset_row(rec, ctx)]), SOURCE)]
        md = rec.maybe("market_data")
        if md is None:
            return out
        price = md.sub("current_price")
        row = {
            "asset_id": rec.text("id"),
            "ts": md.time("last_updated"),
            "price": price.number("usd", required=True),
            "market_cap": _usd(md, "market_cap"),
            "volume_24h": _usd(md, "total_volume"),
            "circulating_supply": md.number("circulating_supply"),
            "total_supply": md.number("total_supply"),
            "max_supply": md.number("max_supply"),
            "rank": md.integer("market_cap_rank"),
        }
        frame = pl.DataFrame([row], schema=_SNAPSHOT_SCHEMA)
        out.append(batch("snapshots", frame.with_columns(null_if_zero(frame.get_column("market_cap"))), SOURCE))
        return out


def _usd(md: Record, key: str) -> float | None:
    """``market_data[key].usd`` or None."""
    sub = md.maybe(key)
    return sub.number("usd") if sub else None
