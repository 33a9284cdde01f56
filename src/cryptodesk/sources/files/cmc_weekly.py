"""CoinMarketCap weekly top-10 historical snapshots -> ``snapshots`` (source ``coinmarketcap``).

* CSV ``Date,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24hr),% 1h,% 24h,% 7d``
  (a scrape of CMC's weekly historical pages; the percent changes are not stored).
* JSON list of ``{year,month,day,rank,name,symbol,marketCap,imgSrc}`` (market cap and
  rank only).

CoinMarketCap's historical snapshot for date D is taken at the end of UTC day D (its
BTC price for 2022-11-06, $20,926, is CoinGecko's close of Nov 6, not of Nov 5), so
``ts`` is D+1 00:00 UTC: the same instant as CoinGecko's row for the close of D.
The asset is resolved through the registry
by symbol, then name (see :func:`~cryptodesk.sources.files._assets.by_symbol_then_name`);
a coin the registry does not know gets the lower-case slug of its name
(``TerraUSD`` -> ``terrausd``).
"""

from __future__ import annotations

from typing import Any, ClassVar

import polars as pl

from cryptodesk.core.errors import ParseError
from cryptodesk.core.models import UTC_TS, Batch
from cryptodesk.sources.base import FileFormat, ParseContext
from cryptodesk.sources.files._assets import by_symbol_then_name, unclash
from cryptodesk.sources.files._json import load_json, looks_like, records
from cryptodesk.sources.files._table import CsvTable, TableFormat, batch, check_unique, header_fields

SOURCE = "coinmarketcap"
CSV_EXPECTED = "Date,Name,Symbol,Market Cap,Price,Circulating Supply,Volume (24hr),% 1h,% 24h,% 7d"
_CSV_COLUMNS = {"market cap": "market_cap", "price": "price", "circulating supply": "circulating_supply"}


def _with_assets(frame: pl.DataFrame, ctx: ParseContext) -> pl.DataFrame:
    """Add ``asset_id`` (one registry lookup per distinct symbol/name pair) and keep ids unique per date."""
    pairs = frame.select("symbol", "name").unique()
    ids = [by_symbol_then_name(ctx.registry, s, n) for s, n in pairs.iter_rows()]
    lookup = pairs.with_columns(pl.Series("asset_id", ids, dtype=pl.Utf8))
    frame = frame.join(lookup, on=["symbol", "name"], how="left", nulls_equal=True, maintain_order="left")
    frame = frame.with_columns(pl.col("ts") + pl.duration(days=1))  # end of day D (module docstring)
    return unclash(frame, "ts", "name")


class CoinMarketCapWeeklyCsv(TableFormat):
    """CMC weekly top-10 CSV."""

    name: ClassVar[str] = "coinmarketcap-weekly-csv"
    description: ClassVar[str] = "CoinMarketCap weekly top-10 CSV (Date,Name,Symbol,Market Cap,Price,...)"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots",)

    def sniff(self, head: str) -> bool:
        """The header starts with ``Date,Name,Symbol`` and has ``Market Cap``."""
        fields = header_fields(head)
        return fields[:3] == ["date", "name", "symbol"] and "market cap" in fields

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One snapshot per (date, coin) row."""
        return self.parse_table(CsvTable(data, ctx.path), ctx)

    def parse_table(self, table: CsvTable, ctx: ParseContext) -> list[Batch]:
        """The rows of the table (CSV text or Parquet columns)."""
        table.require(["date", "name", "symbol", "market cap", "price"], CSV_EXPECTED)
        table.drop_blank()
        with table.checks():
            cols: dict[str, pl.Series] = {
                "ts": table.datetime("date", ["%Y-%m-%d"], what="a date like '2023-01-15'"),
                "name": table.text("name"),
                "symbol": table.text("symbol").str.to_uppercase(),
            }
            for src, dst in _CSV_COLUMNS.items():
                if src in table.frame.columns:
                    cols[dst] = table.number(src, required=src in ("market cap", "price"))
            if "volume (24hr)" in table.frame.columns:
                cols["volume_24h"] = table.number("volume (24hr)", required=False)
        frame = _with_assets(pl.DataFrame(cols), ctx)
        check_unique(frame, ["asset_id", "ts"], ctx.path, table)
        return [batch("snapshots", frame, SOURCE)]


class CoinMarketCapWeeklyJson(FileFormat):
    """CMC weekly top-10 JSON list (iastewar/crypto-top-coins)."""

    name: ClassVar[str] = "coinmarketcap-weekly-json"
    description: ClassVar[str] = "CoinMarketCap weekly top-10 JSON ([{year,month,day,rank,name,symbol,marketCap}])"
    source: ClassVar[str] = SOURCE
    tables: ClassVar[tuple[str, ...]] = ("snapshots",)

    def sniff(self, head: str) -> bool:
        """A JSON list of records with year, month, day, symbol and marketCap."""
        return looks_like(head, "[", "year", "month", "day", "symbol", "marketCap")

    def parse(self, data: bytes, ctx: ParseContext) -> list[Batch]:
        """One snapshot (market cap and rank) per record."""
        doc = load_json(data, ctx.path)
        frame = _fast_frame(doc)
        if frame is None:
            frame = _checked_frame(doc, ctx)
        day = pl.format("{}-{}-{}", "year", "month", "day").str.strptime(pl.Datetime("us"), "%Y-%m-%d", strict=False)
        frame = frame.with_columns(day.dt.replace_time_zone("UTC").cast(UTC_TS).alias("ts"))
        if frame.get_column("ts").null_count():
            pos = int(frame.get_column("ts").is_null().arg_max() or 0)
            raise ParseError(ctx.path, f"entry {pos + 1}: year/month/day is not a valid date", column="day")
        frame = frame.rename({"marketCap": "market_cap"}).with_columns(pl.col("symbol").str.to_uppercase())
        frame = _with_assets(frame, ctx)
        check_unique(frame, ["asset_id", "ts"], ctx.path)
        return [batch("snapshots", frame, SOURCE)]


_JSON_SCHEMA: dict[str, Any] = {
    "year": pl.Int64,
    "month": pl.Int64,
    "day": pl.Int64,
    "rank": pl.Int64,
    "name": pl.Utf8,
    "symbol": pl.Utf8,
    "marketCap": pl.Float64,
}


def _fast_frame(doc: Any) -> pl.DataFrame | None:
    """The records as a frame when every field has the expected type and no key field is missing, else None."""
    if not isinstance(doc, list) or not doc or not all(isinstance(r, dict) for r in doc):
        return None
    try:
        frame = pl.DataFrame(doc, schema_overrides=None, infer_schema_length=None)
    except (pl.exceptions.PolarsError, TypeError, ValueError):
        return None
    wanted = {"year": pl.Int64, "month": pl.Int64, "day": pl.Int64, "name": pl.Utf8, "symbol": pl.Utf8}
    if any(frame.schema.get(k) != t for k, t in wanted.items()):
        return None
    if frame.schema.get("marketCap") not in (pl.Float64, pl.Int64) or frame.schema.get("rank", pl.Int64) != pl.Int64:
        return None
    needed = ["year", "month", "day", "name", "symbol", "marketCap"]
    if frame.select(pl.any_horizontal([pl.col(c).is_null() for c in needed]).any()).item():
        return None
    return frame.select(
        [pl.col(c).cast(t) if c in frame.columns else pl.lit(None, t).alias(c) for c, t in _JSON_SCHEMA.items()]
    )


def _checked_frame(doc: Any, ctx: ParseContext) -> pl.DataFrame:
    """Record by record, raising on the first bad entry and field (the slow path for bad files)."""
    rows = []
    for rec in records(doc, ctx.path, label="symbol"):
        rows.append(
            {
                "year": rec.integer("year", required=True),
                "month": rec.integer("month", required=True),
                "day": rec.integer("day", required=True),
                "rank": rec.integer("rank"),
                "name": rec.text("name"),
                "symbol": rec.text("symbol"),
                "marketCap": rec.number("marketCap", required=True),
            }
        )
    return pl.DataFrame(rows, schema=_JSON_SCHEMA)
